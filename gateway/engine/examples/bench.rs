//! Benchmark: generated fleets replayed through the engine and a naive baseline.
//! `cargo run --release -p asr-engine --example bench -- [--usage F] [--lead DAYS]
//! [--printers N] [--days N] [--horizon D] [--can D] [--safety D] [SEED...]`
//!
//! The options change the fleet (page volume, size, length) or the supplier's
//! lead time, so the engine can be checked on fleets it was not tuned on.

use asr_engine::fleetgen::FleetSpec;
use asr_engine::replay::ReplayOptions;

fn main() {
    let mut spec = FleetSpec::default();
    let mut opts = ReplayOptions::default();
    let mut seeds: Vec<u64> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().and_then(|v| v.parse::<f64>().ok());
        match a.as_str() {
            "--usage" => spec.usage_factor = value().unwrap_or(1.0),
            "--lead" => opts.config.lead_time_days = value().unwrap_or(5.0),
            "--printers" => spec.printers = value().map_or(36, |v| v as usize),
            "--horizon" => opts.config.horizon_days = value().unwrap_or(21.0),
            "--can" => opts.config.can_order_days = value().unwrap_or(21.0),
            "--safety" => opts.config.safety_days = value().unwrap_or(3.0),
            "--days" => spec.days = value().map_or(365, |v| v as i64),
            other => seeds.extend(other.parse::<u64>().ok()),
        }
    }
    if seeds.is_empty() {
        seeds = vec![1, 2, 3];
    }
    let report = asr_engine::evaluate::benchmark_with(&seeds, &spec, &opts);
    print!("{report}");
    if std::env::var_os("BENCH_VERBOSE").is_some() {
        for s in &report.engine.stockout_details {
            println!("engine stockout: {s}");
        }
        for s in &report.engine.unused_details {
            println!("engine unused: {s}");
        }
    }
}
