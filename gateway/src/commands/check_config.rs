//! `asr-gateway check-config --config FILE`: validate without starting anything.

use std::process::ExitCode;

use crate::cli::RunArgs;

use super::CommandError;

/// Loads and validates; prints a one-line summary on success.
pub fn run(args: RunArgs) -> Result<ExitCode, CommandError> {
    let config = crate::config::load(&args.config, std::env::vars())?;
    println!(
        "config OK: gateway {}, broker {}, {} static target(s), {} assigned printer(s)",
        config.gateway.id,
        crate::config::link::describe(&config.mqtt),
        config.discovery.static_targets.len(),
        config.printers.len()
    );
    Ok(ExitCode::SUCCESS)
}
