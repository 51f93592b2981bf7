//! The supplier catalogue on small sites, where a "some remaining" printer's
//! model often has no other printer to learn from: with the rated yields the
//! engine leaves far fewer unused spares on those supplies and runs out no
//! more often; a wrong catalogue (40 % short, 50 % long) costs at most a
//! stockout or two.

use asr_engine::replay::ReplayOptions;
use asr_engine_bench::catalog_compare::{CatalogRow, compare};
use asr_engine_bench::fleetgen::FleetSpec;

#[test]
fn rated_yields_cut_unused_spares_on_some_remaining_supplies() {
    let spec = FleetSpec {
        printers: 6,
        ..FleetSpec::default()
    };
    let report = compare(&[1, 2, 3, 4, 5, 6], &spec, &ReplayOptions::default());
    let row = |label: &str| -> &CatalogRow {
        report
            .rows
            .iter()
            .find(|r| r.label == label)
            .expect("a row")
    };
    let (none, rated) = (row("none"), row("rated yields"));
    let (short, long) = (
        row("rated yields, 40 % short"),
        row("rated yields, 50 % long"),
    );
    assert!(none.replacements > 100, "a fleet worth scoring:\n{report}");
    assert!(
        none.spares_unused_some_remaining >= 10,
        "the fleets have the problem:\n{report}"
    );
    assert!(
        3 * rated.spares_unused_some_remaining <= 2 * none.spares_unused_some_remaining,
        "rated yields leave a third fewer unused spares on -3 supplies:\n{report}"
    );
    assert!(rated.stockouts <= none.stockouts + 1, "{report}");
    assert!(short.stockouts <= none.stockouts + 1, "{report}");
    assert!(long.stockouts <= none.stockouts + 2, "{report}");
}
