//! `asr-gateway bench engine|poll`: benchmarks that report ratios against a
//! baseline run in the same process on the same data, never bare timings.

use std::process::ExitCode;

use super::CommandError;
use crate::cli::BenchArgs;

/// Runs the chosen benchmark and prints its table.
pub async fn run(args: BenchArgs) -> Result<ExitCode, CommandError> {
    match args.which.as_str() {
        "engine" => {
            let seeds = args.seeds.clone();
            let report = tokio::task::spawn_blocking(move || asr_engine::benchmark(&seeds))
                .await
                .map_err(|e| CommandError::Runtime(format!("benchmark failed: {e}")))?;
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(CommandError::Usage(format!(
            "unknown benchmark {other:?} (known: engine)"
        ))),
    }
}
