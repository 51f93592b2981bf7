//! `asr-gateway`: see `cli.rs` for the subcommands and README.md for the tour.

use std::process::ExitCode;

use clap::Parser;

use asr_gateway::cli::{Cli, Command};
use asr_gateway::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Demo(args) => commands::demo::run(args).await,
            Command::Run(args) => commands::run::run(args).await,
            Command::CheckConfig(args) => commands::check_config::run(args),
            Command::Provision(args) => commands::provision::run(args),
            Command::RecordExit(args) => commands::record_exit::run(&args.data_dir),
            Command::ApplyUpdate(args) => commands::apply_update::run(args).await,
            Command::UpdateKey { command } => commands::update_key::run(command),
            Command::Poll(args) => commands::poll::run(args).await,
            Command::Discover(args) => commands::discover::run(args).await,
            Command::Sim(args) => commands::sim::run(args).await,
            Command::Replay(args) => commands::replay::run(args),
            Command::SimFleet(args) => commands::sim_fleet::run(args),
            Command::Bench(args) => commands::bench::run(args).await,
            Command::Upstream(args) => commands::upstream::run(args).await,
            Command::HashPassword => commands::hash_password::run(),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_status())
        }
    }
}

/// Logs go to stderr (stdout carries JSON for `poll --json` and `replay`);
/// `RUST_LOG` filters as usual, default `info`.
/// Warnings and errors are also kept in memory for `get_diagnostics`.
fn init_tracing() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    asr_gateway::diagnostics::mark_start();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rumqttd=off,async_snmp=off"));
    tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(asr_gateway::diagnostics::RecentWarnings)
        .init();
}
