//! The supplier catalogue in the engine: a "some remaining" toner of a model
//! nobody on the site has watched from full to empty is forecast with the
//! catalogue's figure (learned across the supplier's sites before the rated
//! yield), and what the site learned itself still comes first.

mod common;

use asr_engine::{CatalogLife, Decision, Engine, EngineConfig, Event, LifeSource, SupplyForecast};
use common::{at, reading};

const MODEL: &str = "HP LaserJet Pro M404dn";

fn engine(model: &str) -> Engine {
    let mut e = Engine::new(EngineConfig::default());
    e.handle(Event::PrinterAssigned {
        serial: "SR1".into(),
        model: model.into(),
        site: "site".into(),
        contact: "contact".into(),
        excluded: false,
    });
    e
}

fn entry(rated: Option<f64>, learned: Option<(f64, f64, u32)>) -> CatalogLife {
    CatalogLife {
        // How the supplier spells it; the printer says "HP LaserJet Pro M404dn".
        model: "LaserJet Pro M404dn".into(),
        supply_type: "toner".into(),
        colorant: Some("black".into()),
        rated_pages: rated,
        learned_pages: learned.map(|l| l.0),
        learned_low: learned.map(|l| l.1),
        learned_count: learned.map_or(0, |l| l.2),
    }
}

/// Hourly readings of a "some remaining" toner printing 150 pages a day;
/// returns the hours at which an order went out.
fn run(e: &mut Engine, hours: i64) -> Vec<i64> {
    let mut orders = Vec::new();
    for h in 0..hours {
        let mut out = e.handle(Event::Tick(at(h)));
        out.extend(e.handle(reading(h, "SR1", -3, Some(40_000 + (h as u64) * 150 / 24))));
        if out.iter().any(|d| matches!(d, Decision::Order(_))) {
            orders.push(h);
        }
    }
    orders
}

fn forecast(e: &Engine) -> SupplyForecast {
    e.forecasts()
        .into_iter()
        .find(|f| f.printer == "SR1")
        .expect("a forecast")
}

#[test]
fn a_some_remaining_toner_is_forecast_with_the_catalogues_figure() {
    // Nothing known: the cautious figure for a toner.
    let mut blind = engine(MODEL);
    let blind_orders = run(&mut blind, 40 * 24);
    let f = forecast(&blind);
    assert_eq!(f.life_source, Some(LifeSource::Stated));

    // The rated yield of a 9,000-page cartridge.
    let mut rated = engine(MODEL);
    rated.handle(Event::CatalogChanged {
        entries: vec![entry(Some(9000.0), None)],
    });
    let rated_orders = run(&mut rated, 40 * 24);
    let f = forecast(&rated);
    assert_eq!(f.life_source, Some(LifeSource::CatalogRated));
    assert_eq!(f.life_pages, Some(9000.0));
    // A cartridge met part-used lasts longer by a long life: the first order
    // comes later than with the cautious figure (or not within these 40 days).
    let first = |o: &[i64]| o.first().copied().unwrap_or(i64::MAX);
    assert!(
        first(&rated_orders) > first(&blind_orders),
        "rated {rated_orders:?} vs blind {blind_orders:?}"
    );

    // A figure the supplier learned across its sites wins over the rated one.
    let mut learned = engine(MODEL);
    learned.handle(Event::CatalogChanged {
        entries: vec![entry(Some(9000.0), Some((7200.0, 6400.0, 40)))],
    });
    run(&mut learned, 3 * 24);
    let f = forecast(&learned);
    assert_eq!(f.life_source, Some(LifeSource::CatalogLearned));
    assert_eq!(f.life_pages, Some(7200.0));

    // A new catalogue replaces the old one at the next tick; an empty one
    // leaves the engine where it started.
    learned.handle(Event::CatalogChanged { entries: vec![] });
    learned.handle(Event::Tick(at(3 * 24 + 1)));
    assert_eq!(forecast(&learned).life_source, Some(LifeSource::Stated));
}

#[test]
fn another_models_entry_or_another_colour_is_not_used() {
    for (model, colour) in [("HP LaserJet Pro M404n", "black"), (MODEL, "cyan")] {
        let mut e = engine(model);
        let mut other = entry(Some(9000.0), None);
        other.colorant = Some(colour.into());
        e.handle(Event::CatalogChanged {
            entries: vec![other],
        });
        run(&mut e, 24);
        assert_eq!(
            forecast(&e).life_source,
            Some(LifeSource::Stated),
            "{model} {colour}"
        );
    }
}

#[test]
fn a_catalogue_survives_the_engines_snapshot() {
    let mut e = engine(MODEL);
    e.handle(Event::CatalogChanged {
        entries: vec![entry(Some(9000.0), None)],
    });
    run(&mut e, 24);
    let json = serde_json::to_string(&e).expect("snapshot");
    let mut back: Engine = serde_json::from_str(&json).expect("restore");
    back.handle(Event::Tick(at(25)));
    assert_eq!(forecast(&back).life_pages, Some(9000.0));
}

/// A printer met days ago whose coarse gauge (tens of percent) has not
/// stepped down yet: its gauge gives no pace, the catalogue's life and the
/// page counter do.
#[test]
fn a_new_printers_still_gauge_is_paced_by_the_catalogue_and_its_page_counter() {
    let run = |catalog: Option<CatalogLife>| {
        let mut e = engine(MODEL);
        if let Some(c) = catalog {
            e.handle(Event::CatalogChanged { entries: vec![c] });
        }
        for h in 0..4 * 24 {
            e.handle(Event::Tick(at(h)));
            e.handle(reading(h, "SR1", 80, Some(40_000 + (h as u64) * 300 / 24)));
        }
        forecast(&e)
    };
    let blind = run(None);
    assert_eq!(blind.p50_empty_at, None, "{blind:?}");
    let rated = run(Some(entry(Some(3000.0), None)));
    assert_eq!(rated.life_source, Some(LifeSource::CatalogRated));
    // 300 pages a day of a 3,000-page cartridge: 10 points a day, so the
    // 75 % or so left last about a week.
    let days = (rated.p50_empty_at.expect("a median") - at(4 * 24 - 1)).num_hours() as f64 / 24.0;
    assert!((4.0..12.0).contains(&days), "{days} days: {rated:?}");
}
