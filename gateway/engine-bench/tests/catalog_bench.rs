//! The supplier catalogue on small sites, where a "some remaining" printer's
//! model often has no other printer to learn from: with the rated yields the
//! engine leaves fewer unused spares on those supplies and runs out no more
//! often; a wrong catalogue (40 % short) still does no worse than none.

use asr_engine::replay::ReplayOptions;
use asr_engine_bench::evaluate::{PolicyScore, benchmark_with};
use asr_engine_bench::fleetgen::{FleetSpec, rated_catalog};

fn score(catalog: Option<f64>) -> PolicyScore {
    let spec = FleetSpec {
        printers: 6,
        ..FleetSpec::default()
    };
    let opts = ReplayOptions {
        catalog: catalog.map(rated_catalog).unwrap_or_default(),
        ..ReplayOptions::default()
    };
    benchmark_with(&[1, 2, 3, 4, 5, 6], &spec, &opts).engine
}

#[test]
fn rated_yields_cut_unused_spares_on_some_remaining_supplies() {
    let none = score(None);
    let rated = score(Some(1.0));
    let short = score(Some(0.6));
    assert!(none.replacements > 100, "a fleet worth scoring");
    assert!(
        none.spares_unused_some_remaining >= 10,
        "the fleets have the problem: {}",
        none.spares_unused_some_remaining
    );
    assert!(
        2 * rated.spares_unused_some_remaining <= none.spares_unused_some_remaining,
        "rated yields: {} unused on -3 supplies, none: {}",
        rated.spares_unused_some_remaining,
        none.spares_unused_some_remaining
    );
    assert!(
        rated.stockouts <= none.stockouts,
        "{} > {}",
        rated.stockouts,
        none.stockouts
    );
    assert!(short.spares_unused_some_remaining <= none.spares_unused_some_remaining);
    assert!(short.stockouts <= none.stockouts);
}
