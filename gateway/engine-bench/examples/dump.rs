//! Writes a generated fleet and the engine's decisions to a directory, for inspection.
//! `cargo run --release -p asr-engine-bench --example dump -- SEED DIR [USAGE_FACTOR]`
//! (`CALM=1`: a fleet without bursts, outages, step changes, trends or holidays;
//! `POLL_MINUTES=N`: polled every N minutes instead of hourly; `PRINTERS=N`: a fleet
//! of N printers; `CATALOG=SCALE`: the engine has the supplier's rated yields times SCALE)

use std::fs::File;
use std::io::BufReader;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    const USAGE: &str = "usage: dump SEED DIR [USAGE_FACTOR]";
    let mut args = std::env::args().skip(1);
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).ok_or(USAGE)?;
    let dir = std::path::PathBuf::from(args.next().ok_or(USAGE)?);
    let usage = match args.next() {
        Some(u) => Some(u.parse::<f64>().map_err(|_| USAGE)?),
        None => None,
    };
    let mut spec = asr_engine_bench::fleetgen::FleetSpec {
        seed,
        ..Default::default()
    };
    if let Some(u) = usage {
        spec.usage_factor = u;
    }
    spec.calm = std::env::var_os("CALM").is_some();
    if let Some(m) = std::env::var("POLL_MINUTES")
        .ok()
        .and_then(|m| m.parse::<i64>().ok())
    {
        spec.poll_secs = m.max(1) * 60;
    }
    if let Some(n) = std::env::var("PRINTERS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    {
        spec.printers = n.max(1);
    }
    let truth = asr_engine_bench::fleetgen::generate(
        &spec,
        File::create(dir.join("printers.csv"))?,
        File::create(dir.join("readings.csv"))?,
    )?;
    let mut opts = asr_engine::replay::ReplayOptions::default();
    if let Some(scale) = std::env::var("CATALOG")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        opts.catalog = asr_engine_bench::fleetgen::rated_catalog(scale.max(0.01));
    }
    let stats = asr_engine::replay::run(
        BufReader::new(File::open(dir.join("printers.csv"))?),
        BufReader::new(File::open(dir.join("readings.csv"))?),
        &opts,
        File::create(dir.join("decisions.jsonl"))?,
        File::create(dir.join("diag.txt"))?,
    )?;
    println!("{stats:?}");
    for p in &truth.printers {
        println!(
            "printer {} pages {} power {:?} bursts {:?} outages {:?}",
            p.serial, p.has_pages, p.power, p.bursts, p.outages
        );
    }
    for c in &truth.cartridges {
        println!(
            "cart {} {} {:?} inst {} empty {:?} removed {:?} prem {} left {:.0}",
            c.printer,
            c.supply_index,
            c.style,
            c.installed_at,
            c.empty_at,
            c.removed_at,
            c.premature,
            c.level_left
        );
    }
    Ok(())
}
