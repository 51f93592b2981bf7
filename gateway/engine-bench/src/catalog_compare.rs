//! What the supplier catalogue buys: the same fleets replayed without a
//! catalogue, with the suppliers' rated yields, and with catalogues that
//! are wrong (40 % short, 50 % long), scored on stockouts and unused spares,
//! overall and on supplies whose gauge only says "some remaining".

use std::fmt;

use asr_engine::replay::ReplayOptions;

use crate::evaluate::benchmark_with;
use crate::fleetgen::{FleetSpec, rated_catalog};

/// One catalogue tried.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogRow {
    pub label: &'static str,
    pub replacements: u64,
    pub stockouts: u64,
    pub stockouts_some_remaining: u64,
    pub spares_unused: u64,
    pub spares_unused_some_remaining: u64,
    pub cartridges_ordered: u64,
}

/// Every catalogue tried on the same fleets.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogComparison {
    pub seeds: Vec<u64>,
    pub printers: usize,
    pub days: i64,
    pub rows: Vec<CatalogRow>,
}

/// The catalogues tried: none, right, short, long.
const CATALOGUES: [(&str, Option<f64>); 4] = [
    ("none", None),
    ("rated yields", Some(1.0)),
    ("rated yields, 40 % short", Some(0.6)),
    ("rated yields, 50 % long", Some(1.5)),
];

/// Replays the fleets of `seeds` once per catalogue.
pub fn compare(seeds: &[u64], spec: &FleetSpec, opts: &ReplayOptions) -> CatalogComparison {
    let rows = CATALOGUES
        .iter()
        .map(|&(label, scale)| {
            let opts = ReplayOptions {
                catalog: scale.map(rated_catalog).unwrap_or_default(),
                ..opts.clone()
            };
            let e = benchmark_with(seeds, spec, &opts).engine;
            CatalogRow {
                label,
                replacements: e.replacements,
                stockouts: e.stockouts,
                stockouts_some_remaining: e.stockouts_some_remaining,
                spares_unused: e.spares_unused,
                spares_unused_some_remaining: e.spares_unused_some_remaining,
                cartridges_ordered: e.cartridges_ordered,
            }
        })
        .collect();
    CatalogComparison {
        seeds: seeds.to_vec(),
        printers: spec.printers,
        days: spec.days,
        rows,
    }
}

impl fmt::Display for CatalogComparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "fleets: seeds {:?}, {} printers x {} days each (same fleets for every row)",
            self.seeds, self.printers, self.days
        )?;
        writeln!(
            f,
            "{:<26} {:>11} {:>8} {:>8} {:>8} {:>11} {:>9}",
            "catalogue", "stockouts", "of -3", "unused", "of -3", "cartridges", "unused %"
        )?;
        for r in &self.rows {
            let pct = if r.cartridges_ordered == 0 {
                0.0
            } else {
                100.0 * r.spares_unused as f64 / r.cartridges_ordered as f64
            };
            writeln!(
                f,
                "{:<26} {:>11} {:>8} {:>8} {:>8} {:>11} {:>8.1}%",
                r.label,
                format!("{}/{}", r.stockouts, r.replacements),
                r.stockouts_some_remaining,
                r.spares_unused,
                r.spares_unused_some_remaining,
                r.cartridges_ordered,
                pct
            )?;
        }
        Ok(())
    }
}
