//! `asr-gateway bench engine|catalog|poll|sim-fleet|poll-plan|uplink|page`: benchmarks that report
//! ratios against a baseline run on the same data in the same run (engine) or
//! the same script (poll, see `scripts/bench-poll.sh`), never bare timings.

use std::process::ExitCode;

use std::time::Duration;

use super::{CommandError, bench_page, bench_poll, bench_uplink, bench_writes};
use crate::cli::BenchArgs;

/// Runs the chosen benchmark and prints its table.
pub async fn run(args: BenchArgs) -> Result<ExitCode, CommandError> {
    match args.which.as_str() {
        "engine" => {
            let seeds = args.seeds.clone();
            let report = tokio::task::spawn_blocking(move || asr_engine_bench::benchmark(&seeds))
                .await
                .map_err(|e| CommandError::Runtime(format!("benchmark failed: {e}")))?;
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        "catalog" => {
            // Small sites (6 printers): a "some remaining" printer's model
            // seldom has another printer there to learn from.
            let seeds = if args.seeds == [1, 2, 3] {
                (1..=12).collect()
            } else {
                args.seeds.clone()
            };
            let report = tokio::task::spawn_blocking(move || {
                let spec = asr_engine_bench::fleetgen::FleetSpec {
                    printers: 6,
                    ..Default::default()
                };
                asr_engine_bench::catalog_compare::compare(&seeds, &spec, &Default::default())
            })
            .await
            .map_err(|e| CommandError::Runtime(format!("benchmark failed: {e}")))?;
            print!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        "poll" => {
            let opts = bench_poll::PollBenchOptions {
                base_ip: args.base_ip,
                port: args.port,
                concurrency: args.concurrency,
                rounds: args.rounds,
                ..bench_poll::PollBenchOptions::default()
            };
            bench_poll::poll_command(args.printers, &opts).await
        }
        "sim-fleet" => {
            let profile = match &args.recordings {
                Some(dir) => bench_poll::FleetProfile::Recordings(dir.clone()),
                None => bench_poll::FleetProfile::Synthetic {
                    seed: args.seeds.first().copied().unwrap_or(7),
                },
            };
            let duration = match args.duration {
                Some(s) => Some(
                    std::time::Duration::try_from_secs_f64(s)
                        .map_err(|e| CommandError::Usage(format!("--duration: {e}")))?,
                ),
                None => None,
            };
            bench_poll::sim_fleet_command(
                args.printers,
                &profile,
                args.base_ip,
                args.port,
                duration,
            )
            .await
        }
        "uplink" => bench_uplink::uplink_command(args.messages, args.broker.clone()).await,
        "page" => bench_page::page_command().await,
        "writes" => {
            bench_writes::writes_command(bench_writes::WritesOptions {
                printers: args.printers,
                rounds: args.rounds,
                real_poll: Duration::from_secs_f64(args.poll_seconds.clamp(0.5, 600.0)),
                base_ip: args.base_ip,
                port: args.port,
                data_dir: args.data_dir.clone(),
                history_days: args.history_days,
            })
            .await
        }
        "poll-plan" => {
            print!("{}", bench_poll::plan_listing());
            Ok(ExitCode::SUCCESS)
        }
        other => Err(CommandError::Usage(format!(
            "unknown benchmark {other:?} (known: engine, catalog, poll, sim-fleet, poll-plan, uplink, page)"
        ))),
    }
}
