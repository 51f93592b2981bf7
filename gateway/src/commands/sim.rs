//! `asr-gateway sim`: serve simulated printers over SNMP until Ctrl-C, for
//! trying `poll`, another gateway, or net-snmp tools against them.

use std::process::ExitCode;

use asr_protocols::sim::{SimFleet, demo_fleet};

use super::CommandError;
use crate::cli::SimArgs;

/// Starts the fleet, lists addresses, waits for a signal.
pub async fn run(args: SimArgs) -> Result<ExitCode, CommandError> {
    let fleet = match &args.recordings {
        Some(dir) => SimFleet::from_recordings(dir, args.base_ip, args.port).await,
        None => {
            let mut specs = demo_fleet(args.seed);
            specs.truncate(args.printers.max(1));
            SimFleet::start(specs, args.base_ip, args.port, args.speed).await
        }
    }
    .map_err(|e| CommandError::Runtime(e.to_string()))?;
    for m in fleet.members() {
        println!("{:<24} {}", m.name, m.addr());
    }
    println!(
        "{} simulated printers (community \"public\" for synthetic ones, the file name for recordings); Ctrl-C stops.",
        fleet.members().len()
    );
    super::signal::wait_for_stop().await;
    fleet.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
