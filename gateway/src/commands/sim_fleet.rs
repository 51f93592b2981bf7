//! `asr-gateway sim-fleet --out DIR`: a synthetic fleet's history as the two
//! CSV files `replay` reads, with the nastiness real fleets have (jitter,
//! coarse steps, "some remaining" printers, gaps, nightly power-offs,
//! premature swaps, bursts, a decommissioned printer). Deterministic by seed.

use std::fs::File;
use std::io::BufWriter;
use std::process::ExitCode;

use asr_engine_bench::fleetgen::{FleetSpec, generate};

use super::CommandError;
use crate::cli::SimFleetArgs;

/// Writes `printers.csv` and `readings.csv`; prints a one-line summary.
pub fn run(args: SimFleetArgs) -> Result<ExitCode, CommandError> {
    if args.printers == 0 || args.printers > 100_000 {
        return Err(CommandError::Usage(
            "--printers must be between 1 and 100000".into(),
        ));
    }
    if !(1..=3650).contains(&args.days) {
        return Err(CommandError::Usage(
            "--days must be between 1 and 3650".into(),
        ));
    }
    if !(args.usage.is_finite() && args.usage > 0.0 && args.usage <= 100.0) {
        return Err(CommandError::Usage("--usage must be in (0, 100]".into()));
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CommandError::Runtime(format!("cannot create {}: {e}", args.out.display())))?;
    let create = |name: &str| {
        let path = args.out.join(name);
        File::create(&path)
            .map(|f| BufWriter::with_capacity(1 << 16, f))
            .map_err(|e| CommandError::Runtime(format!("cannot write {}: {e}", path.display())))
    };
    let spec = FleetSpec {
        seed: args.seed,
        printers: args.printers,
        days: args.days,
        usage_factor: args.usage,
        ..FleetSpec::default()
    };
    let truth = generate(&spec, create("printers.csv")?, create("readings.csv")?)?;
    eprintln!(
        "sim-fleet: {} printers, {} days, {} readings, {} cartridges written to {}",
        args.printers,
        args.days,
        truth.readings,
        truth.cartridges.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
