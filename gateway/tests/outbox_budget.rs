//! The outbox over its byte budget, on a real SQLite file: five days offline
//! of three printers polled every 10 minutes, with orders and alerts in
//! between. Orders and alerts all survive; level telemetry is merged per
//! hour (then per day) keeping the latest reading of every supply, and only
//! past the budget are the oldest levels dropped — counted, never silently.

use std::collections::{BTreeMap, HashMap};

use asr_gateway::store::{DecisionBatch, NewAlert, NewOrder, OutboxKind, Store};
use asr_protocols::printer::{Gauge, PrinterReport, PrinterStatus, Supply, SupplyClass};
use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use serde_json::{Value, json};

const PRINTERS: [&str; 3] = ["SN-A", "SN-B", "SN-C"];
const POLLS: i64 = 5 * 24 * 6; // five days, every 10 minutes

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .single()
        .expect("valid date")
        + Duration::minutes(minutes)
}

fn report(serial: &str, levels: &[i64; 4]) -> PrinterReport {
    let colours = ["black", "cyan", "magenta", "yellow"];
    PrinterReport {
        target: format!("10.0.0.{}", serial.len()),
        serial: Some(serial.to_owned()),
        model: Some("Model X".to_owned()),
        sys_descr: None,
        sys_object_id: None,
        sys_name: None,
        uptime_ticks: Some(1),
        mac: None,
        page_count: Some(1_000),
        status: PrinterStatus::default(),
        alerts: vec![],
        supplies: levels
            .iter()
            .enumerate()
            .map(|(i, &level)| Supply {
                index: i as u32 + 1,
                description: format!("Toner {}", colours[i]),
                part_number: None,
                kind: "toner".to_owned(),
                class: SupplyClass::Consumed,
                colorant: Some(colours[i].to_owned()),
                unit: None,
                max_capacity: 1000,
                level,
                percent: Some(level as f64 / 10.0),
                gauge: Gauge::Exact,
            })
            .collect(),
        error: None,
        source: asr_protocols::printer::ReportSource::Snmp,
        uuid: None,
    }
}

/// Fills a store with five days of polls (one supply moves per poll, so
/// every poll queues a level message carrying that supply only), an order
/// every 6 hours and an alert every 12. Returns the last level of every
/// (printer, supply).
fn offline_week(store: &Store) -> HashMap<(String, u64), i64> {
    let mut levels: HashMap<&str, [i64; 4]> = PRINTERS
        .iter()
        .map(|p| (*p, [1000, 1000, 1000, 1000]))
        .collect();
    let mut last = HashMap::new();
    for poll in 0..POLLS {
        let at = t(poll * 10);
        for printer in PRINTERS {
            let l = levels.get_mut(printer).expect("printer");
            let moved = (poll % 4) as usize;
            l[moved] = if l[moved] <= 100 { 1000 } else { l[moved] - 20 };
            store
                .record_poll(printer, "10.0.0.1", &report(printer, l), at)
                .expect("poll recorded");
            for (i, level) in l.iter().enumerate() {
                last.insert((printer.to_owned(), i as u64 + 1), *level);
            }
        }
        if poll % 36 == 35 {
            let id = format!("ord-{poll}");
            let alert = (poll % 72 == 71).then(|| NewAlert {
                kind: "printer_silent".to_owned(),
                printer: Some("SN-B".to_owned()),
                at,
                payload: json!({ "poll": poll }),
            });
            store
                .commit_decisions(&DecisionBatch {
                    orders: vec![NewOrder {
                        order_id: id.clone(),
                        created_at: at,
                        site: Some("HQ".to_owned()),
                        contact: Some("it@example.org".to_owned()),
                        payload: json!({ "order_id": id, "lines": [{ "printer": "SN-A", "quantity": 1 }] }),
                    }],
                    alerts: alert.into_iter().collect(),
                    engine_snapshot: None,
                })
                .expect("decisions committed");
        }
    }
    last
}

/// The pending messages, by kind, with their payloads.
fn pending(store: &Store) -> BTreeMap<&'static str, Vec<(DateTime<Utc>, Value)>> {
    let mut by_kind: BTreeMap<&'static str, Vec<(DateTime<Utc>, Value)>> = BTreeMap::new();
    for row in store.outbox_pending(1_000_000).expect("pending") {
        by_kind.entry(row.kind.as_str()).or_default().push((
            row.created_at,
            serde_json::from_str(&row.payload).expect("payload is JSON"),
        ));
    }
    by_kind
}

/// The latest level of every (printer, supply) that pending level messages carry.
fn latest_levels(levels: &[(DateTime<Utc>, Value)]) -> HashMap<(String, u64), i64> {
    let mut latest = HashMap::new();
    for (_, message) in levels {
        let printer = message["printer"].as_str().expect("printer").to_owned();
        for s in message["supplies"].as_array().expect("supplies") {
            latest.insert(
                (printer.clone(), s["index"].as_u64().expect("index")),
                s["level"].as_i64().expect("level"),
            );
        }
    }
    latest
}

#[test]
fn over_budget_levels_are_merged_per_hour_and_orders_and_alerts_survive() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&dir.path().join("gw.sqlite")).expect("store");
    let last = offline_week(&store);
    let before = store.outbox_figures().expect("figures");
    let kinds = pending(&store);
    let orders = kinds["order"].len();
    let alerts = kinds["alert"].len();
    assert_eq!(kinds["level"].len(), PRINTERS.len() * POLLS as usize);
    assert_eq!((orders, alerts), (20, 10));
    assert!(before.bytes > 0 && before.oldest_created_at == Some(t(0)));

    // A budget a bit under what waits: hourly merging is enough.
    let budget = before.bytes * 9 / 10;
    let outcome = store.outbox_enforce_budget(budget).expect("budget");
    assert!(outcome.thinned > 0, "{outcome:?}");
    assert_eq!(outcome.dropped, 0, "merging was enough: {outcome:?}");
    assert!(outcome.bytes_after <= budget, "{outcome:?}");

    let kinds = pending(&store);
    assert_eq!(kinds["order"].len(), orders, "every order kept");
    assert_eq!(kinds["alert"].len(), alerts, "every alert kept");
    let levels = &kinds["level"];
    let mut per_hour: HashMap<(String, DateTime<Utc>), usize> = HashMap::new();
    for (at, message) in levels {
        let hour = at
            .with_minute(0)
            .and_then(|h| h.with_second(0))
            .expect("hour");
        *per_hour
            .entry((message["printer"].as_str().expect("p").to_owned(), hour))
            .or_default() += 1;
    }
    assert!(
        per_hour.values().all(|n| *n == 1),
        "one per printer per hour"
    );
    assert_eq!(levels.len(), PRINTERS.len() * (POLLS as usize / 6));
    // Nothing of substance is lost: every supply's latest level is there.
    assert_eq!(latest_levels(levels), last);
    // Merged messages say so, and the counters show it.
    assert!(levels.iter().all(|(_, m)| m["thinned"] == true));
    let after = store.outbox_figures().expect("figures");
    assert_eq!(after.levels_thinned, outcome.thinned);
    assert_eq!(after.levels_dropped, 0);
    assert_eq!(after.depth, (orders + alerts + levels.len()) as u64);

    // Under budget: another check changes nothing.
    let again = store.outbox_enforce_budget(budget).expect("budget");
    assert_eq!((again.thinned, again.dropped), (0, 0));
}

#[test]
fn far_over_budget_levels_go_daily_then_oldest_first_and_nothing_else_goes() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&dir.path().join("gw.sqlite")).expect("store");
    let last = offline_week(&store);
    let kinds = pending(&store);
    let keep_bytes: usize = ["order", "alert"]
        .iter()
        .flat_map(|k| kinds[k].iter())
        .map(|(_, v)| v.to_string().len())
        .sum();

    // Room for orders, alerts and a few level messages only.
    let budget = (keep_bytes + 2_000) as u64;
    let outcome = store.outbox_enforce_budget(budget).expect("budget");
    assert!(outcome.thinned > 0 && outcome.dropped > 0, "{outcome:?}");
    assert!(outcome.bytes_after <= budget, "{outcome:?}");
    let kinds = pending(&store);
    assert_eq!(kinds["order"].len(), 20);
    assert_eq!(kinds["alert"].len(), 10);
    // What is left of the levels is the newest (oldest dropped first), and
    // it still carries the latest level of the supplies it covers.
    let levels = kinds.get("level").cloned().unwrap_or_default();
    let newest_day = t((POLLS - 1) * 10).date_naive();
    assert!(
        levels.iter().all(|(at, _)| at.date_naive() == newest_day),
        "only the last day survives"
    );
    for (key, level) in latest_levels(&levels) {
        assert_eq!(last[&key], level, "{key:?}");
    }
    let figures = store.outbox_figures().expect("figures");
    assert_eq!(figures.levels_dropped, outcome.dropped);
    assert_eq!(figures.levels_thinned, outcome.thinned);

    // Orders and alerts alone over the budget: nothing is dropped.
    let tiny = store.outbox_enforce_budget(100).expect("budget");
    assert!(tiny.bytes_after > 100);
    let kinds = pending(&store);
    assert_eq!(kinds["order"].len(), 20);
    assert_eq!(kinds["alert"].len(), 10);
    assert!(!kinds.contains_key("level"));
    assert!(
        store
            .outbox_pending(1_000_000)
            .expect("pending")
            .iter()
            .all(|r| r.kind != OutboxKind::Level)
    );
}
