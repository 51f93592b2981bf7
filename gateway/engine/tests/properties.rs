//! Property tests of the ordering rules on random consumption histories.

use asr_engine::{Decision, Engine, EngineConfig, Event, SupplyReading};
use chrono::{DateTime, Utc};
use proptest::prelude::*;

fn at(h: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_740_960_000 + h * 3600, 0).expect("valid")
}

fn reading(h: i64, printer: &str, level: i64, pages: Option<u64>) -> Event {
    Event::Reading(SupplyReading {
        observed_at: at(h),
        printer: printer.into(),
        supply_index: 1,
        supply_type: "toner".into(),
        supply_class: "consumed".into(),
        colorant: Some("black".into()),
        unit: Some("percent".into()),
        max_capacity: 100,
        level,
        page_count: pages,
    })
}

fn assign(serial: &str, excluded: bool) -> Event {
    Event::PrinterAssigned {
        serial: serial.into(),
        model: "M".into(),
        site: "s".into(),
        contact: "c".into(),
        excluded,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// One cartridge draining at any pace with jitter: at most one order for it,
    /// quantities at least 1, nothing for the excluded printer.
    #[test]
    fn one_order_per_need(rate in 0.01f64..1.5, jitter in 0u32..3, hours in 200i64..1500, seed in 0u64..1000) {
        let mut e = Engine::new(EngineConfig::default());
        e.handle(assign("A", false));
        e.handle(assign("X", true));
        let mut lines_a = 0;
        let mut noise = seed;
        for h in 0..hours {
            noise = noise.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = if jitter == 0 { 0 } else { (noise >> 33) as i64 % (2 * jitter as i64 + 1) - jitter as i64 };
            let level = ((95.0 - rate * h as f64).max(0.0).round() as i64 + j).clamp(0, 100);
            let mut out = e.handle(Event::Tick(at(h)));
            out.extend(e.handle(reading(h, "A", level, Some(10 * h as u64))));
            out.extend(e.handle(reading(h, "X", level, Some(10 * h as u64))));
            for d in out {
                if let Decision::Order(o) = d {
                    for l in &o.lines {
                        prop_assert!(l.quantity >= 1);
                        prop_assert_ne!(&l.printer, "X");
                        if l.printer == "A" { lines_a += 1; }
                    }
                }
            }
        }
        prop_assert!(lines_a <= 1, "ordered {} times for one cartridge", lines_a);
    }

    /// Random junk levels (glitch codes included) never panic and never order
    /// for a printer that is not assigned.
    #[test]
    fn junk_is_harmless(levels in proptest::collection::vec(-3i64..120, 1..300)) {
        let mut e = Engine::new(EngineConfig::default());
        for (h, l) in levels.iter().enumerate() {
            let h = h as i64 * 6;
            let mut out = e.handle(Event::Tick(at(h)));
            out.extend(e.handle(reading(h, "U", *l, None)));
            prop_assert!(out.iter().all(|d| !matches!(d, Decision::Order(_))));
        }
    }
}
