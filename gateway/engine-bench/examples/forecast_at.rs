//! Replays CSV files and prints the engine's forecasts for one printer at the end.
//! `cargo run --release -p asr-engine-bench --example forecast_at -- PRINTERS READINGS SERIAL`

use std::fs::File;
use std::io::BufReader;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let (Some(p), Some(r), Some(serial)) = (a.first(), a.get(1), a.get(2)) else {
        return Err("usage: forecast_at PRINTERS READINGS SERIAL".into());
    };
    let opts = asr_engine::replay::ReplayOptions::default();
    let mut engine = asr_engine::Engine::new(opts.config.clone());
    asr_engine::replay::run_with(
        &mut engine,
        BufReader::new(File::open(p)?),
        BufReader::new(File::open(r)?),
        &opts,
        std::io::sink(),
        std::io::sink(),
    )?;
    for f in engine.forecasts().iter().filter(|f| &f.printer == serial) {
        println!("{}", serde_json::to_string(f)?);
    }
    Ok(())
}
