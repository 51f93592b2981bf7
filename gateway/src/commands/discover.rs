//! `asr-gateway discover`: what an installer runs first on a new site — which
//! printers announce themselves over mDNS (and, opt-in, which answer SNMP in
//! a CIDR), confirmed over SNMP with their serial numbers.

use std::process::ExitCode;
use std::time::Duration;

use asr_protocols::discovery::{self, BrowseOptions, SweepOptions};
use asr_protocols::snmp::{Credentials, PollOptions};

use super::CommandError;
use crate::cli::DiscoverArgs;

/// Browses, confirms, prints; exit status 0 even when nothing is found.
pub async fn run(args: DiscoverArgs) -> Result<ExitCode, CommandError> {
    let timeout = crate::config::duration::parse(&args.timeout)
        .map_err(|e| CommandError::Usage(format!("--timeout: {e}")))?;
    if timeout > Duration::from_secs(600) {
        return Err(CommandError::Usage("--timeout: at most 10m".into()));
    }
    let creds = vec![Credentials::v2c(args.community.clone())];
    let options = PollOptions {
        timeout: Duration::from_secs(1),
        retries: 1,
        ..PollOptions::default()
    };
    let browse = BrowseOptions {
        timeout,
        interfaces: (!args.interfaces.is_empty()).then(|| args.interfaces.clone()),
        ..BrowseOptions::default()
    };
    let found = discovery::browse(browse)
        .await
        .map_err(|e| CommandError::Runtime(format!("mDNS: {e}")))?;
    for printer in &found {
        let confirmed = discovery::confirm_on_port(printer, &creds, &options, args.snmp_port).await;
        let serial = confirmed.as_ref().ok().and_then(|c| c.key.clone());
        if args.json {
            println!("{}", discovery::to_json_line(printer, serial.as_deref()));
        } else {
            let addrs: Vec<String> = printer.addresses.iter().map(ToString::to_string).collect();
            println!(
                "{:<40} {:<30} {:<28} {}",
                printer.name,
                printer.model.as_deref().unwrap_or("-"),
                addrs.join(", "),
                match &confirmed {
                    Ok(c) => format!("serial {}", c.key.as_deref().unwrap_or("(none)")),
                    Err(e) => format!("SNMP: {e}"),
                }
            );
        }
    }
    if let Some(cidr) = &args.sweep {
        let sweep = SweepOptions {
            port: args.snmp_port,
            rate: args.sweep_rate,
            max_hosts: 65_536,
        };
        let hits = discovery::sweep_with(cidr, &creds, &options, &sweep)
            .await
            .map_err(|e| CommandError::Usage(format!("--sweep: {e}")))?;
        for hit in hits {
            if args.json {
                let line = serde_json::json!({
                    "address": hit.addr.to_string(),
                    "sys_object_id": hit.sys_object_id,
                    "sys_descr": hit.sys_descr,
                    "source": "sweep",
                });
                println!("{line}");
            } else {
                println!(
                    "{:<40} {}",
                    hit.addr,
                    hit.sys_descr.as_deref().unwrap_or("-")
                );
            }
        }
    }
    if !args.json {
        eprintln!("{} printer(s) announced over mDNS", found.len());
    }
    Ok(ExitCode::SUCCESS)
}
