//! Turns the cartridge lives the gateways measured into the catalogue the
//! supplier publishes. Pure and deterministic: the same reports, base and
//! version always give the same catalogue, so a restarted consumer (or a
//! second one reading the same ledger) neither flips figures back and forth
//! nor republishes what did not change.
//!
//! One site sees a handful of cartridges of a model a year; the figure is
//! only worth sending once lives are pooled across sites, so every life of
//! every gateway goes into one sample per model and supply, and quantiles
//! are taken over that sample (not averaged over per-site figures, which
//! would weigh a site with one cartridge like a site with thirty).

use asr_engine::catalog::{model_words, type_family};
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::catalog::{Catalog, CatalogEntry, LearnedLife, MAX_CATALOG_BYTES, MAX_ENTRIES};
use crate::lives::LivesReport;

/// Fewest pooled lives behind a learned figure: one cartridge is an anecdote.
pub const MIN_POOLED_LIVES: usize = 2;

/// Fewest pooled lives for which the 10th percentile is trusted alone as the
/// low figure; below it the percentile sits too close to the median.
pub const MIN_LIVES_FOR_P10: usize = 5;

/// With few lives, the low figure is at most this share of the median, so a
/// gateway planning on it orders early rather than late.
pub const SMALL_SAMPLE_LOW_SHARE: f64 = 0.7;

/// A supply as compared: the model's words, the supply type's family and
/// the colorant, in lower case — the same printer model is spelt
/// differently by firmwares ("HL-L5100DN", "hl l5100dn;"), and `toner` and
/// `tonerCartridge` are one thing (the engine's rules, so a gateway finds
/// the pooled entry its printers' lives went into).
type Key = (String, String, String);

fn key_of(model: &str, supply_type: &str, colorant: Option<&str>) -> Key {
    (
        model_words(model).join(" "),
        type_family(supply_type.trim()).to_lowercase(),
        colorant.map_or("", str::trim).to_lowercase(),
    )
}

/// Every life of one supply, across gateways.
struct Pool {
    /// The first spelling seen, trimmed.
    model: String,
    supply_type: String,
    colorant: Option<String>,
    pages: Vec<f64>,
    sites: u32,
    /// Index of the last gateway that added lives, to count each site once.
    last_site: Option<usize>,
}

/// Builds the catalogue to publish from the latest report of each gateway
/// (keyed by gateway id), the supplier's `base` catalogue (part numbers,
/// rated yields), the last version published and the time of issue.
///
/// Base entries come first in their order, with the pooled figure of their
/// supply (it replaces a figure the base had; a base figure without pooled
/// lives stays); supplies the base does not name follow, sorted, with only
/// the figure. `None` when there is nothing to say: no base and no supply
/// with at least [`MIN_POOLED_LIVES`] lives — or when the result would not
/// validate, which only an invalid base can cause.
pub fn build_catalog(
    reports: &BTreeMap<String, LivesReport>,
    base: Option<&Catalog>,
    last_published: u64,
    now: DateTime<Utc>,
) -> Option<Catalog> {
    let mut learned: BTreeMap<Key, CatalogEntry> = pool(reports)
        .into_iter()
        .filter_map(|(key, pool)| {
            let life = learned_life(pool.pages, pool.sites)?;
            let entry = CatalogEntry {
                model: pool.model,
                supply_type: pool.supply_type,
                colorant: pool.colorant,
                part_numbers: Vec::new(),
                description: None,
                rated_yield_pages: None,
                learned: Some(life),
            };
            // Names too long or with control characters would make the
            // whole catalogue invalid: such a supply is left out alone.
            entry_is_valid(&entry).then_some((key, entry))
        })
        .collect();
    if base.is_none() && learned.is_empty() {
        return None;
    }
    let mut entries = Vec::new();
    for entry in base.map(|b| b.entries.as_slice()).unwrap_or_default() {
        let mut entry = entry.clone();
        let key = key_of(&entry.model, &entry.supply_type, entry.colorant.as_deref());
        if let Some(found) = learned.remove(&key) {
            entry.learned = found.learned;
        }
        entries.push(entry);
    }
    entries.extend(learned.into_values());
    entries.truncate(MAX_ENTRIES);
    let mut catalog = Catalog {
        catalog_version: base
            .map_or(0, |b| b.catalog_version)
            .max(last_published.saturating_add(1)),
        issued_at: Some(now),
        supplier: base.and_then(|b| b.supplier.clone()),
        entries,
    };
    fit_in_bytes(&mut catalog);
    catalog.validate().ok().map(|()| catalog)
}

/// Whether two catalogues say different things, ignoring `catalog_version`
/// and `issued_at`: a rebuild that changes nothing else is not republished
/// (every gateway would take it, store it and answer, for nothing).
pub fn content_differs(a: &Catalog, b: &Catalog) -> bool {
    // Destructured so that a field added to `Catalog` must be decided here.
    let Catalog {
        catalog_version: _,
        issued_at: _,
        supplier,
        entries,
    } = a;
    *supplier != b.supplier || *entries != b.entries
}

/// Pools the lives of every gateway per supply, in gateway id order so the
/// first spelling seen does not depend on arrival order.
fn pool(reports: &BTreeMap<String, LivesReport>) -> BTreeMap<Key, Pool> {
    let mut pools: BTreeMap<Key, Pool> = BTreeMap::new();
    for (site, report) in reports.values().enumerate() {
        for lives in &report.lives {
            let colorant = lives
                .colorant
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty());
            let key = key_of(&lives.model, &lives.supply_type, colorant);
            let pool = pools.entry(key).or_insert_with(|| Pool {
                model: lives.model.trim().to_string(),
                supply_type: lives.supply_type.trim().to_string(),
                colorant: colorant.map(str::to_string),
                pages: Vec::new(),
                sites: 0,
                last_site: None,
            });
            let before = pool.pages.len();
            pool.pages.extend(
                lives
                    .pages
                    .iter()
                    .copied()
                    .filter(|p| p.is_finite() && *p >= 1.0),
            );
            if pool.pages.len() > before && pool.last_site != Some(site) {
                pool.sites += 1;
                pool.last_site = Some(site);
            }
        }
    }
    pools
}

/// The figure of one pooled sample, `None` under [`MIN_POOLED_LIVES`].
fn learned_life(mut pages: Vec<f64>, sites: u32) -> Option<LearnedLife> {
    if pages.len() < MIN_POOLED_LIVES {
        return None;
    }
    pages.sort_by(f64::total_cmp);
    let median = quantile(&pages, 0.5);
    let p10 = quantile(&pages, 0.1);
    let low = if pages.len() >= MIN_LIVES_FOR_P10 {
        p10
    } else {
        p10.min(SMALL_SAMPLE_LOW_SHARE * median)
    };
    let median_pages = median.round();
    Some(LearnedLife {
        median_pages,
        low_pages: low.round().max(1.0).min(median_pages),
        count: u32::try_from(pages.len()).unwrap_or(u32::MAX),
        sites,
    })
}

/// Quantile `q` of sorted, non-empty `values`, interpolated linearly between
/// ranks (what spreadsheets and numpy do by default, so a supplier can
/// check a figure by hand).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let last = sorted.len().saturating_sub(1);
    #[allow(clippy::cast_precision_loss)] // at most a few thousand lives
    let rank = q * last as f64;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0 ≤ rank ≤ last
    let below = rank.floor() as usize;
    let above = (below + 1).min(last);
    let (Some(lo), Some(hi)) = (sorted.get(below), sorted.get(above)) else {
        return 0.0;
    };
    #[allow(clippy::cast_precision_loss)]
    let fraction = rank - below as f64;
    lo + (hi - lo) * fraction
}

/// Checks one entry with the catalogue's own rules, so they live in one place.
fn entry_is_valid(entry: &CatalogEntry) -> bool {
    Catalog {
        catalog_version: 1,
        issued_at: None,
        supplier: None,
        entries: vec![entry.clone()],
    }
    .validate()
    .is_ok()
}

/// Drops entries from the end until the body fits what gateways accept:
/// a catalogue they refuse as a whole would teach them nothing.
fn fit_in_bytes(catalog: &mut Catalog) {
    let mut size = catalog.to_json().len();
    if size <= MAX_CATALOG_BYTES {
        return;
    }
    while size > MAX_CATALOG_BYTES {
        let Some(entry) = catalog.entries.pop() else {
            return;
        };
        // The entry and the comma before it.
        size = size.saturating_sub(serde_json::to_vec(&entry).map_or(0, |b| b.len()) + 1);
    }
    // The estimate ignores the comma of a now single entry: check for real.
    while catalog.to_json().len() > MAX_CATALOG_BYTES && catalog.entries.pop().is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lives::ModelLives;

    fn lives(model: &str, supply: &str, colorant: Option<&str>, pages: &[f64]) -> ModelLives {
        ModelLives {
            model: model.into(),
            supply_type: supply.into(),
            colorant: colorant.map(str::to_string),
            count: u32::try_from(pages.len()).expect("few"),
            printers: 1,
            median_pages: 0.0,
            p10_pages: 0.0,
            p90_pages: 0.0,
            pages: pages.to_vec(),
        }
    }

    fn reports(items: Vec<(&str, Vec<ModelLives>)>) -> BTreeMap<String, LivesReport> {
        items
            .into_iter()
            .map(|(gw, lives)| (gw.to_string(), LivesReport { lives }))
            .collect()
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000, 0).expect("time")
    }

    fn base() -> Catalog {
        Catalog {
            catalog_version: 7,
            issued_at: None,
            supplier: Some("Supplies & Co".into()),
            entries: vec![
                CatalogEntry {
                    model: "LaserJet Pro M404dn".into(),
                    supply_type: "toner".into(),
                    colorant: Some("black".into()),
                    part_numbers: vec!["CF259A".into(), "CF259X".into()],
                    description: Some("HP 59A black".into()),
                    rated_yield_pages: Some(3000.0),
                    learned: Some(LearnedLife {
                        median_pages: 100.0,
                        low_pages: 50.0,
                        count: 1,
                        sites: 1,
                    }),
                },
                CatalogEntry {
                    model: "MFC-L8900CDW".into(),
                    supply_type: "wasteToner".into(),
                    colorant: None,
                    part_numbers: vec!["WT-229CL".into()],
                    description: None,
                    rated_yield_pages: None,
                    learned: None,
                },
            ],
        }
    }

    #[test]
    fn lives_are_pooled_across_gateways() {
        let r = reports(vec![
            (
                "site-a",
                vec![lives("M1", "toner", Some("black"), &[2000.0, 2400.0])],
            ),
            (
                "site-b",
                vec![lives(" m1 ", "Toner", Some("Black "), &[2600.0, 3000.0])],
            ),
        ]);
        let c = build_catalog(&r, None, 0, now()).expect("catalogue");
        assert_eq!(c.catalog_version, 1);
        assert_eq!(c.issued_at, Some(now()));
        assert_eq!(c.entries.len(), 1);
        let e = &c.entries[0];
        // The first spelling seen (gateway ids in order), trimmed.
        assert_eq!((e.model.as_str(), e.supply_type.as_str()), ("M1", "toner"));
        assert_eq!(e.colorant.as_deref(), Some("black"));
        assert!(e.part_numbers.is_empty());
        let l = e.learned.expect("learned");
        assert_eq!((l.median_pages, l.count, l.sites), (2500.0, 4, 2));
        // Four lives: min(p10 = 2120, 0.7 × 2500 = 1750).
        assert_eq!(l.low_pages, 1750.0);
    }

    #[test]
    fn spellings_of_one_model_and_supply_pool_together() {
        let r = reports(vec![
            (
                "site-a",
                vec![lives("HL-L5100DN", "toner", Some("black"), &[3000.0])],
            ),
            (
                "site-b",
                vec![lives(
                    "hl l5100dn;",
                    "tonerCartridge",
                    Some("black"),
                    &[3200.0],
                )],
            ),
        ]);
        let c = build_catalog(&r, None, 0, now()).expect("catalogue");
        assert_eq!(c.entries.len(), 1, "{c:?}");
        assert_eq!(
            c.entries[0].learned.map(|l| (l.count, l.sites)),
            Some((2, 2))
        );
    }

    #[test]
    fn the_low_figure_follows_the_sample_size() {
        let one = |pages: &[f64]| {
            let r = reports(vec![("gw", vec![lives("M", "toner", None, pages)])]);
            build_catalog(&r, None, 0, now()).map(|c| c.entries[0].learned.expect("learned"))
        };
        // One life: no figure at all.
        assert_eq!(one(&[3000.0]), None);
        // Two close lives: the 0.7 × median cap wins over p10.
        let l = one(&[3000.0, 3100.0]).expect("two");
        assert_eq!((l.median_pages, l.low_pages, l.count), (3050.0, 2135.0, 2));
        // Two far apart: p10 is already lower than the cap.
        let l = one(&[500.0, 3000.0]).expect("two");
        assert_eq!((l.median_pages, l.low_pages), (1750.0, 750.0));
        // Five or more: the 10th percentile alone, interpolated.
        let l = one(&[1000.0, 2000.0, 3000.0, 4000.0, 5000.0]).expect("five");
        assert_eq!((l.median_pages, l.low_pages, l.count), (3000.0, 1400.0, 5));
        // Pages are whole numbers and the low figure never tops the median.
        let l = one(&[1.2, 1.4]).expect("tiny");
        assert_eq!((l.median_pages, l.low_pages), (1.0, 1.0));
        let l = one(&[2000.4, 2000.6, 2000.5, 2000.5, 2000.5]).expect("flat");
        assert!(l.low_pages <= l.median_pages);
        assert_eq!(l.median_pages.fract(), 0.0);
        assert_eq!(l.low_pages.fract(), 0.0);
    }

    #[test]
    fn the_base_keeps_its_part_numbers_and_gains_the_figure() {
        let r = reports(vec![
            (
                "site-a",
                vec![
                    lives("laserjet pro m404dn", "TONER", Some("black"), &[2500.0]),
                    lives("Zeta 9", "toner", None, &[900.0, 1100.0]),
                ],
            ),
            (
                "site-b",
                vec![
                    lives(
                        "LaserJet Pro M404dn",
                        "toner",
                        Some("black"),
                        &[2700.0, 2900.0],
                    ),
                    lives("Alpha 1", "ink", Some("cyan"), &[400.0, 600.0]),
                ],
            ),
        ]);
        let b = base();
        let c = build_catalog(&r, Some(&b), 3, now()).expect("catalogue");
        assert!(c.validate().is_ok());
        // The base's version when higher than the last published one.
        assert_eq!(c.catalog_version, 7);
        assert_eq!(c.supplier.as_deref(), Some("Supplies & Co"));
        let names: Vec<&str> = c.entries.iter().map(|e| e.model.as_str()).collect();
        assert_eq!(
            names,
            ["LaserJet Pro M404dn", "MFC-L8900CDW", "Alpha 1", "Zeta 9"]
        );
        let first = &c.entries[0];
        assert_eq!(first.part_numbers, ["CF259A", "CF259X"]);
        assert_eq!(first.rated_yield_pages, Some(3000.0));
        assert_eq!(first.description.as_deref(), Some("HP 59A black"));
        let l = first.learned.expect("learned");
        assert_eq!((l.median_pages, l.count, l.sites), (2700.0, 3, 2));
        assert_eq!(c.entries[1], b.entries[1]);
        assert!(c.entries[2].part_numbers.is_empty());
        // Past the base's version, the next one after the last published.
        let c = build_catalog(&r, Some(&b), 9, now()).expect("catalogue");
        assert_eq!(c.catalog_version, 10);
    }

    #[test]
    fn a_new_report_replaces_the_gateways_old_one() {
        let mut r = reports(vec![
            (
                "site-a",
                vec![lives("M1", "toner", None, &[1000.0, 1200.0])],
            ),
            (
                "site-b",
                vec![lives("M1", "toner", None, &[3000.0, 3200.0])],
            ),
        ]);
        let before = build_catalog(&r, None, 0, now()).expect("before");
        let l = before.entries[0].learned.expect("learned");
        assert_eq!((l.median_pages, l.count, l.sites), (2100.0, 4, 2));
        r.insert(
            "site-a".into(),
            LivesReport {
                lives: vec![lives("M1", "toner", None, &[3100.0])],
            },
        );
        let after = build_catalog(&r, None, before.catalog_version, now()).expect("after");
        assert_eq!(after.catalog_version, 2);
        let l = after.entries[0].learned.expect("learned");
        assert_eq!((l.median_pages, l.count, l.sites), (3100.0, 3, 2));
        assert!(content_differs(&before, &after));
    }

    #[test]
    fn nothing_is_published_when_nothing_is_known() {
        assert_eq!(build_catalog(&BTreeMap::new(), None, 4, now()), None);
        let r = reports(vec![
            ("site-a", vec![lives("M1", "toner", None, &[1000.0])]),
            ("site-b", vec![lives("M2", "toner", None, &[1000.0])]),
        ]);
        assert_eq!(build_catalog(&r, None, 4, now()), None);
        // A supply no catalogue may carry is left out, not the catalogue.
        let r = reports(vec![(
            "site-a",
            vec![lives("M1", "", None, &[1000.0, 1100.0])],
        )]);
        assert_eq!(build_catalog(&r, None, 4, now()), None);
        // A base alone is still worth publishing.
        let c = build_catalog(&BTreeMap::new(), Some(&base()), 4, now()).expect("base");
        assert_eq!(c.entries, base().entries);
    }

    #[test]
    fn the_output_is_deterministic() {
        let a = reports(vec![
            (
                "site-b",
                vec![lives("M1", "toner", None, &[3000.0, 1000.0])],
            ),
            (
                "site-a",
                vec![
                    lives("m1", "toner", None, &[2000.0]),
                    lives("M2", "toner", None, &[5.0, 7.0]),
                ],
            ),
        ]);
        let b = reports(vec![
            (
                "site-a",
                vec![
                    lives("M2", "toner", None, &[7.0, 5.0]),
                    lives("m1", "toner", None, &[2000.0]),
                ],
            ),
            (
                "site-b",
                vec![lives("M1", "toner", None, &[1000.0, 3000.0])],
            ),
        ]);
        let first = build_catalog(&a, Some(&base()), 2, now()).expect("a");
        let second = build_catalog(&b, Some(&base()), 2, now()).expect("b");
        assert_eq!(first.to_json(), second.to_json());
        // The spelling of site-a, the first gateway id.
        assert_eq!(first.entries[2].model, "m1");
        // Only the version and the time differ: no change to publish.
        let later =
            build_catalog(&a, Some(&base()), 8, now() + chrono::Duration::hours(1)).expect("later");
        assert!(!content_differs(&first, &later));
        assert_ne!(first.catalog_version, later.catalog_version);
    }

    #[test]
    fn entries_are_capped_in_number_and_bytes() {
        let many = |name_len: usize| {
            let many: Vec<ModelLives> = (0..MAX_ENTRIES + 10)
                .map(|i| {
                    let model = format!("Model {i:05} {}", "x".repeat(name_len));
                    lives(&model, "toner", None, &[1000.0, 2000.0])
                })
                .collect();
            let c = build_catalog(&reports(vec![("gw", many)]), None, 0, now()).expect("some");
            assert!(c.validate().is_ok());
            assert!(c.to_json().len() <= MAX_CATALOG_BYTES);
            c.entries.len()
        };
        assert_eq!(many(1), MAX_ENTRIES);
        let long = many(100);
        assert!(long < MAX_ENTRIES && long > MAX_ENTRIES / 2, "{long}");
    }
}
