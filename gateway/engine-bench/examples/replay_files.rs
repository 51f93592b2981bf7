//! Replays a printers/readings CSV pair with default options and prints the
//! replay statistics and the speed (for profiling and memory measurements).
//! `cargo run --release -p asr-engine-bench --example replay_files -- PRINTERS READINGS`
//! `cargo run --release -p asr-engine-bench --example replay_files -- --generate SEED PRINTERS DAYS DIR`
//! writes a generated fleet to DIR instead.

use std::fs::File;
use std::io::BufReader;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.first().map(String::as_str) == Some("--generate") {
        let num = |i: usize| a.get(i).and_then(|s| s.parse::<u64>().ok());
        let (Some(seed), Some(printers), Some(days), Some(dir)) =
            (num(1), num(2), num(3), a.get(4))
        else {
            return Err("usage: --generate SEED PRINTERS DAYS DIR".into());
        };
        let spec = asr_engine_bench::fleetgen::FleetSpec {
            seed,
            printers: printers as usize,
            days: days as i64,
            ..Default::default()
        };
        let dir = std::path::Path::new(dir);
        let truth = asr_engine_bench::fleetgen::generate(
            &spec,
            File::create(dir.join("printers.csv"))?,
            File::create(dir.join("readings.csv"))?,
        )?;
        println!("{} readings written", truth.readings);
        return Ok(());
    }
    let (Some(p), Some(r)) = (a.first(), a.get(1)) else {
        return Err("usage: replay_files PRINTERS READINGS".into());
    };
    let opts = asr_engine::replay::ReplayOptions::default();
    let started = Instant::now();
    let stats = asr_engine::replay::run(
        BufReader::with_capacity(1 << 16, File::open(p)?),
        BufReader::with_capacity(1 << 16, File::open(r)?),
        &opts,
        std::io::sink(),
        std::io::sink(),
    )?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{stats:?}\n{:.2} s, {:.0} readings/s",
        secs,
        stats.readings as f64 / secs
    );
    Ok(())
}
