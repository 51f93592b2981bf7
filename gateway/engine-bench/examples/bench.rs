//! Benchmark: generated fleets replayed through the engine, a naive baseline
//! and a clairvoyant policy.
//! `cargo run --release -p asr-engine-bench --example bench -- --help` lists the options.
//!
//! The options change the fleet (page volume, size, length) or the supplier's
//! lead time, so the engine can be checked on fleets it was not tuned on;
//! `--without` leaves some of the fleet's surprises out, to show what each costs.

use asr_engine::replay::ReplayOptions;
use asr_engine_bench::fleetgen::{FleetSpec, rated_catalog};

const USAGE: &str = "usage: bench [--calm] [--without bursts,outages,step-changes,holidays] \
[--usage F] [--lead DAYS] [--printers N] [--days N] [--start YYYY-MM-DD] [--poll-minutes N] \
[--horizon D] [--can D] [--safety D] [--catalog SCALE] [--catalog-compare] [SEED...]   \
(seeds 1 2 3 when none is given; --catalog gives the engine the supplier's rated yields \
times SCALE; --catalog-compare runs the fleets without a catalogue, with the right one and \
with ones 40 % short and 50 % long; BENCH_VERBOSE=1 adds every stockout and unused spare)";

/// What one `bench` run measures.
struct Run {
    spec: FleetSpec,
    opts: ReplayOptions,
    seeds: Vec<u64>,
    catalog_compare: bool,
}

/// The number after `name`: present, finite and not negative.
fn value(args: &mut impl Iterator<Item = String>, name: &str) -> Result<f64, String> {
    let raw = args.next().ok_or(format!("{name} needs a number"))?;
    raw.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or(format!("{name}: {raw:?} is not a number of zero or more"))
}

/// The run the arguments ask for; `None` for `--help`.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Run>, String> {
    let mut run = Run {
        spec: FleetSpec::default(),
        opts: ReplayOptions::default(),
        seeds: Vec::new(),
        catalog_compare: false,
    };
    let (spec, config) = (&mut run.spec, &mut run.opts.config);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--calm" => spec.calm = true,
            // The first poll's day (midnight UTC), to try other seasons.
            "--start" => {
                let d = args.next().unwrap_or_default();
                spec.start = chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .ok_or(format!("--start: {d:?} is not a date (YYYY-MM-DD)"))?
                    .and_utc()
                    .timestamp();
            }
            "--without" => {
                spec.without = args
                    .next()
                    .unwrap_or_default()
                    .parse()
                    .map_err(|e| format!("--without: {e}"))?;
            }
            "--usage" => spec.usage_factor = value(&mut args, &a)?,
            "--catalog" => run.opts.catalog = rated_catalog(value(&mut args, &a)?.max(0.01)),
            "--catalog-compare" => run.catalog_compare = true,
            "--lead" => config.lead_time_days = value(&mut args, &a)?,
            "--printers" => spec.printers = (value(&mut args, &a)? as usize).max(1),
            "--horizon" => config.horizon_days = value(&mut args, &a)?,
            "--can" => config.can_order_days = value(&mut args, &a)?,
            "--safety" => config.safety_days = value(&mut args, &a)?,
            "--days" => spec.days = (value(&mut args, &a)? as i64).max(1),
            "--poll-minutes" => spec.poll_secs = (value(&mut args, &a)? as i64).max(1) * 60,
            seed => run.seeds.push(
                seed.parse()
                    .map_err(|_| format!("{seed:?} is neither an option nor a seed"))?,
            ),
        }
    }
    if run.seeds.is_empty() {
        run.seeds = vec![1, 2, 3];
    }
    Ok(Some(run))
}

fn main() {
    let Run {
        spec,
        opts,
        seeds,
        catalog_compare,
    } = match parse(std::env::args().skip(1)) {
        Ok(Some(run)) => run,
        Ok(None) => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("bench: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    if catalog_compare {
        print!(
            "{}",
            asr_engine_bench::catalog_compare::compare(&seeds, &spec, &opts)
        );
        return;
    }
    let report = asr_engine_bench::evaluate::benchmark_with(&seeds, &spec, &opts);
    print!("{report}");
    if std::env::var_os("BENCH_VERBOSE").is_some() {
        for s in &report.engine.stockout_details {
            println!("engine stockout: {s}");
        }
        println!(
            "engine longest stockout: {} ({:.1} days)",
            report.engine.longest_stockout, report.engine.longest_stockout_days
        );
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
    report: &asr_engine_bench::evaluate::BenchReport,
    keep: impl Fn(f64, asr_engine_bench::fleetgen::GaugeStyle) -> bool,
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
