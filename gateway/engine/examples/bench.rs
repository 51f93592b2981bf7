//! Benchmark: generated fleets replayed through the engine and a naive baseline.
//! `cargo run --release -p asr-engine --example bench [SEED...]`

fn main() {
    let seeds: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let seeds = if seeds.is_empty() {
        vec![1, 2, 3]
    } else {
        seeds
    };
    let report = asr_engine::benchmark(&seeds);
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
