//! `asr-gateway replay --printers P.csv --readings R.csv > decisions.jsonl`:
//! the engine on recorded data, streaming, decisions as JSON lines on stdout,
//! bad rows on stderr with their line numbers.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::process::ExitCode;

use asr_engine::replay::{self, ReplayError, ReplayOptions};

use super::CommandError;
use crate::cli::ReplayArgs;

/// Runs the replay; exit 2 for bad arguments or a bad header, 1 for I/O.
pub fn run(args: ReplayArgs) -> Result<ExitCode, CommandError> {
    let mut config = match &args.config {
        Some(path) => super::run::engine_config(&crate::config::load(path, std::env::vars())?),
        None => asr_engine::EngineConfig::default(),
    };
    if let Some(days) = args.lead_time_days {
        if !(days.is_finite() && days > 0.0 && days <= 90.0) {
            return Err(CommandError::Usage(
                "--lead-time-days must be in (0, 90]".into(),
            ));
        }
        config.lead_time_days = days;
    }
    if let Some(text) = &args.silent_after {
        let d = crate::config::duration::parse(text)
            .map_err(|e| CommandError::Usage(format!("--silent-after: {e}")))?;
        config.silent_after_secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    }
    let open = |path: &std::path::Path| {
        File::open(path)
            .map(|f| BufReader::with_capacity(1 << 16, f))
            .map_err(|e| CommandError::Usage(format!("cannot open {}: {e}", path.display())))
    };
    let printers = open(&args.printers)?;
    let readings = open(&args.readings)?;
    let options = ReplayOptions {
        config,
        ..ReplayOptions::default()
    };
    let stdout = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let stderr = std::io::stderr().lock();
    match replay::run(printers, readings, &options, stdout, stderr) {
        Ok(stats) => {
            eprintln!(
                "replay: {} printers, {} readings ({} bad rows skipped), {} orders / {} lines, {} alerts",
                stats.printers,
                stats.readings,
                stats.bad_rows,
                stats.orders,
                stats.order_lines,
                stats.alerts
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (ReplayError::MissingColumn { .. } | ReplayError::Empty { .. })) => {
            Err(CommandError::Usage(e.to_string()))
        }
        Err(ReplayError::Io(e)) => Err(CommandError::Io(e)),
        Err(e) => Err(CommandError::Runtime(e.to_string())),
    }
}
