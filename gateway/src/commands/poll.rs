//! `asr-gateway poll TARGET... [--json]`: read printers once, concurrently,
//! and print what each says. Exit status 0 only if every target answered.

use std::process::ExitCode;
use std::time::Duration;

use asr_protocols::ipp::{IppClient, IppUrl};
use asr_protocols::printer::{self, PrinterReport, ReportSource};
use asr_protocols::snmp::{self, PollOptions};

use super::CommandError;
use crate::cli::PollArgs;
use crate::config::SnmpCredentials;
use crate::target::Target;

/// Polls every target and prints one result per target, in argument order.
pub async fn run(args: PollArgs) -> Result<ExitCode, CommandError> {
    let creds = SnmpCredentials {
        version: if args.v3_user.is_some() {
            "3".into()
        } else if args.v1 {
            "1".into()
        } else {
            "2c".into()
        },
        community: args.community.clone(),
        user: args.v3_user.clone(),
        auth_proto: args.auth_proto.clone(),
        auth_pass: args.auth_pass.clone(),
        priv_proto: args.priv_proto.clone(),
        priv_pass: args.priv_pass.clone(),
        context: args.context.clone(),
    };
    let creds = crate::credentials::to_client(&creds).map_err(CommandError::Usage)?;
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 60.0) {
        return Err(CommandError::Usage(
            "--timeout must be between 0 and 60 seconds".into(),
        ));
    }
    let options = PollOptions {
        timeout: Duration::from_secs_f64(args.timeout),
        retries: args.retries.min(10),
        ..PollOptions::default()
    };
    if !(1..=1024).contains(&args.concurrency) {
        return Err(CommandError::Usage(
            "--concurrency must be between 1 and 1024".into(),
        ));
    }
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(args.concurrency));
    let ipp = IppClient::new(options.timeout.max(Duration::from_secs(2)) * 3)
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    let plan = printer::fetch_plan();
    let mut tasks = Vec::new();
    for text in &args.targets {
        let text = text.clone();
        let creds = creds.clone();
        let options = options.clone();
        let plan = plan.clone();
        let permits = permits.clone();
        let ipp = ipp.clone();
        tasks.push(tokio::spawn(async move {
            // Never fails: the semaphore is not closed while tasks run.
            let _permit = permits.acquire_owned().await.ok();
            if text.starts_with("ipp://") || text.starts_with("ipps://") {
                return match IppUrl::parse(&text) {
                    Ok(url) => match asr_protocols::ipp::read_printer(&ipp, &url, None).await {
                        Ok((report, _)) => report,
                        Err(e) => PrinterReport::failed_over(
                            ReportSource::Ipp,
                            url.to_string(),
                            e.to_string(),
                        ),
                    },
                    Err(e) => PrinterReport::failed_over(ReportSource::Ipp, text, e.to_string()),
                };
            }
            let target = match Target::parse(&text, 161) {
                Ok(t) => t,
                Err(e) => return PrinterReport::failed(text, e.to_string()),
            };
            let addr = match target.resolve().await {
                Ok(a) => a,
                Err(e) => return PrinterReport::failed(target.to_string(), e.to_string()),
            };
            match snmp::fetch(addr, &creds, &plan, &options).await {
                Ok(fetched) => printer::interpret(&target.to_string(), &fetched.tree),
                Err(e) => PrinterReport::failed(target.to_string(), e.to_string()),
            }
        }));
    }
    let mut all_ok = true;
    for (task, text) in tasks.into_iter().zip(&args.targets) {
        let report = task.await.unwrap_or_else(|e| {
            PrinterReport::failed(text.clone(), format!("internal error: {e}"))
        });
        all_ok &= report.error.is_none();
        if args.json {
            let line =
                serde_json::to_string(&report).map_err(|e| CommandError::Runtime(e.to_string()))?;
            println!("{line}");
        } else {
            print!("{}", human(&report));
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A few readable lines per printer.
fn human(r: &PrinterReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if let Some(e) = &r.error {
        let _ = writeln!(out, "{}: ERROR {e}", r.target);
        return out;
    }
    let identity = match (&r.serial, &r.uuid) {
        (Some(serial), _) => format!("serial {serial}"),
        (None, Some(uuid)) => format!("no serial, uuid {uuid}"),
        (None, None) => "serial (none reported)".into(),
    };
    let source = match r.source {
        ReportSource::Snmp => "SNMP",
        ReportSource::Ipp => "IPP",
    };
    let _ = writeln!(
        out,
        "{}: {} {identity} — {} pages (over {source})",
        r.target,
        r.model.as_deref().unwrap_or("unknown model"),
        r.page_count.map_or("?".to_string(), |p| p.to_string()),
    );
    for s in &r.supplies {
        let level = match s.percent {
            Some(p) => format!("{p:5.1} %"),
            None => format!("{:?}", s.gauge).to_lowercase(),
        };
        let _ = writeln!(
            out,
            "  [{:>2}] {:<40} {:<12} {:<8} {}",
            s.index,
            s.description,
            s.kind,
            s.colorant.as_deref().unwrap_or("-"),
            level
        );
    }
    if !r.status.errors.is_empty() {
        let _ = writeln!(out, "  state: {}", r.status.errors.join(", "));
    }
    out
}
