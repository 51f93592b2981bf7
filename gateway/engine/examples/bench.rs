//! Benchmark: generated fleets replayed through the engine and a naive baseline.
//! `cargo run --release -p asr-engine --example bench -- [--usage F] [--lead DAYS]
//! [--printers N] [--days N] [--start YYYY-MM-DD] [--poll-minutes N] [--calm] [--without bursts,outages,step-changes,holidays]
//! [--horizon D] [--can D] [--safety D] [SEED...]`
//!
//! The options change the fleet (page volume, size, length) or the supplier's
//! lead time, so the engine can be checked on fleets it was not tuned on;
//! `--without` leaves some of the fleet's surprises out, to show what each costs.

use asr_engine::fleetgen::FleetSpec;
use asr_engine::replay::ReplayOptions;

fn main() {
    let mut spec = FleetSpec::default();
    let mut opts = ReplayOptions::default();
    let mut seeds: Vec<u64> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--start" {
            // The first poll's day (midnight UTC), to try other seasons.
            match args
                .next()
                .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
            {
                Some(d) => spec.start = d.and_utc().timestamp(),
                None => {
                    eprintln!("--start: a date, YYYY-MM-DD");
                    std::process::exit(2);
                }
            }
            continue;
        }
        if a == "--without" {
            match args.next().unwrap_or_default().parse() {
                Ok(w) => spec.without = w,
                Err(e) => {
                    eprintln!("--without: {e}");
                    std::process::exit(2);
                }
            }
            continue;
        }
        let mut value = || args.next().and_then(|v| v.parse::<f64>().ok());
        match a.as_str() {
            "--calm" => spec.calm = true,
            "--usage" => spec.usage_factor = value().unwrap_or(1.0),
            "--lead" => opts.config.lead_time_days = value().unwrap_or(5.0),
            "--printers" => spec.printers = value().map_or(36, |v| v as usize),
            "--horizon" => opts.config.horizon_days = value().unwrap_or(21.0),
            "--can" => opts.config.can_order_days = value().unwrap_or(30.0),
            "--safety" => opts.config.safety_days = value().unwrap_or(5.0),
            "--days" => spec.days = value().map_or(365, |v| v as i64),
            "--poll-minutes" => spec.poll_secs = value().map_or(60, |v| v as i64).max(1) * 60,
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
        // Forecast error by how far ahead the line predicted, and by gauge.
        let buckets = [(0.0, 10.0), (10.0, 25.0), (25.0, 40.0), (40.0, 1e9)];
        for (lo, hi) in buckets {
            print_errors(&format!("ahead {lo:>2}..{hi:<3}"), &report, |d, _| {
                d >= lo && d < hi
            });
        }
        for style in ["Fine", "Coarse10", "Tenths", "Grams", "SomeRemaining"] {
            print_errors(style, &report, |_, g| format!("{g:?}") == style);
        }
    }
}

fn print_errors(
    label: &str,
    report: &asr_engine::evaluate::BenchReport,
    keep: impl Fn(f64, asr_engine::fleetgen::GaugeStyle) -> bool,
) {
    let mut abs: Vec<f64> = Vec::new();
    let mut signed: Vec<f64> = Vec::new();
    for &(ahead, err, g) in &report.engine.error_details {
        if keep(ahead, g) {
            abs.push(err.abs());
            signed.push(err);
        }
    }
    if abs.is_empty() {
        return;
    }
    abs.sort_by(f64::total_cmp);
    signed.sort_by(f64::total_cmp);
    println!(
        "errors {label:<16} n {:>4}  median |err| {:>5.1}  p90 |err| {:>5.1}  median signed {:>5.1}",
        abs.len(),
        abs[abs.len() / 2],
        abs[abs.len() * 9 / 10],
        signed[signed.len() / 2]
    );
}
