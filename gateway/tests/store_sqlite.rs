//! The store against real SQLite files in temporary directories: opening and
//! its errors, migrations, durability, polls, the outbox, decisions, and the
//! number of pages one poll writes (the SD-card budget).

use std::path::Path;

use asr_gateway::store::{
    DecisionBatch, NewAlert, NewOrder, OrderStatus, OutboxKind, SCHEMA_VERSION, Store, StoreError,
};
use asr_protocols::printer::{Gauge, PrinterReport, PrinterStatus, Supply, SupplyClass};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rusqlite::Connection;
use serde_json::json;

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0)
        .single()
        .expect("valid date")
        + Duration::minutes(minutes)
}

fn report(target: &str, serial: &str, levels: &[i64]) -> PrinterReport {
    let colours = ["black", "cyan", "magenta", "yellow"];
    let supplies = levels
        .iter()
        .enumerate()
        .map(|(i, &level)| Supply {
            index: i as u32 + 1,
            description: format!("Toner {}", i + 1),
            part_number: Some(format!("PN-{i}")),
            kind: "toner".to_owned(),
            class: SupplyClass::Consumed,
            colorant: Some(colours[i % colours.len()].to_owned()),
            unit: Some("tenthsOfGrams".to_owned()),
            max_capacity: 1000,
            level,
            percent: Some(level as f64 / 10.0),
            gauge: Gauge::Exact,
        })
        .collect();
    PrinterReport {
        target: target.to_owned(),
        serial: Some(serial.to_owned()),
        model: Some("Model X".to_owned()),
        sys_descr: None,
        sys_object_id: None,
        sys_name: Some("printer-1".to_owned()),
        uptime_ticks: Some(1),
        mac: Some("00:11:22:33:44:55".to_owned()),
        page_count: Some(12_345),
        status: PrinterStatus {
            device: Some("running".to_owned()),
            printer: Some("idle".to_owned()),
            errors: vec![],
        },
        alerts: vec![],
        supplies,
        error: None,
        source: asr_protocols::printer::ReportSource::Snmp,
        uuid: None,
    }
}

fn order(id: &str, minutes: i64) -> NewOrder {
    NewOrder {
        order_id: id.to_owned(),
        created_at: t(minutes),
        site: Some("HQ".to_owned()),
        contact: Some("desk@example.org".to_owned()),
        payload: json!({ "order_id": id, "lines": [{ "part": "PN-0", "qty": 1 }] }),
    }
}

// ---------------------------------------------------------------- opening

#[test]
fn missing_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope").join("gw.sqlite");
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::MissingDirectory { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("does not exist"), "{text}");
}

#[test]
fn directory_that_is_a_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file.txt");
    std::fs::write(&file, "hello").unwrap();
    let path = file.join("gw.sqlite");
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::MissingDirectory { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("file.txt"), "{err}");
}

#[test]
fn unwritable_location_is_a_clear_error() {
    // Tests run as root, so permissions stop nothing: /proc refuses even root.
    let path = Path::new("/proc/asr-store-test.sqlite");
    let err = Store::open(path).unwrap_err();
    assert!(matches!(err, StoreError::Unwritable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("/proc/asr-store-test.sqlite"), "{text}");
    assert!(text.contains("os error"), "the OS reason is shown: {text}");
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.sqlite");
    std::fs::write(&path, "this is not a database, just some text ".repeat(200)).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    assert!(err.to_string().contains("notes.sqlite"), "{err}");
    // The file was not damaged.
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("this is not")
    );
}

#[test]
fn wal_mode_and_schema_version_are_set() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gw.sqlite");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.path(), path);
    let conn = Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert!(dir.path().join("gw.sqlite-wal").exists());
}

#[test]
fn reopening_migrates_nothing_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gw.sqlite");
    {
        let store = Store::open(&path).unwrap();
        store.meta_set("gateway_id", "gw-1").unwrap();
    }
    let schema = |path: &Path| -> Vec<String> {
        let conn = Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let before = schema(&path);
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.meta_get("gateway_id").unwrap().as_deref(),
        Some("gw-1")
    );
    drop(store);
    assert_eq!(schema(&path), before);
}

#[test]
fn an_empty_existing_file_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.sqlite");
    std::fs::write(&path, "").unwrap();
    let store = Store::open(&path).unwrap();
    assert!(store.printers().unwrap().is_empty());
    assert_eq!(store.outbox_depth().unwrap(), 0);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.sqlite");
    drop(Store::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = Store::open(&path).unwrap_err();
    match &err {
        StoreError::SchemaTooNew { found, known, .. } => {
            assert_eq!(*found, SCHEMA_VERSION + 1);
            assert_eq!(*known, SCHEMA_VERSION);
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    assert!(err.to_string().contains("newer"), "{err}");
}

#[test]
fn store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
}

// ---------------------------------------------------------------- durability

#[test]
fn committed_data_survives_a_drop_without_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gw.sqlite");
    let store = Store::open(&path).unwrap();
    store
        .record_poll(
            "SN1",
            "10.0.0.5:161",
            &report("10.0.0.5:161", "SN1", &[500, 400]),
            t(0),
        )
        .unwrap();
    store
        .commit_decisions(&DecisionBatch {
            orders: vec![order("o-1", 1)],
            alerts: vec![],
            engine_snapshot: Some("{\"v\":1}".to_owned()),
        })
        .unwrap();
    // Simulate a crash: copy the files while the store is still open (WAL not
    // checkpointed), then open the copy as a restarted process would.
    let crash = dir.path().join("crash");
    std::fs::create_dir(&crash).unwrap();
    for name in ["gw.sqlite", "gw.sqlite-wal"] {
        std::fs::copy(dir.path().join(name), crash.join(name)).unwrap();
    }
    let wal_len = std::fs::metadata(crash.join("gw.sqlite-wal"))
        .unwrap()
        .len();
    assert!(wal_len > 0, "the commits live in the WAL only");
    let reopened = Store::open(&crash.join("gw.sqlite")).unwrap();
    assert_eq!(reopened.printers().unwrap().len(), 1);
    assert_eq!(reopened.supplies("SN1").unwrap().len(), 2);
    assert_eq!(reopened.recent_orders(10).unwrap().len(), 1);
    assert_eq!(
        reopened.load_engine_snapshot().unwrap().as_deref(),
        Some("{\"v\":1}")
    );
    drop(store);
}

#[test]
fn data_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gw.sqlite");
    {
        let store = Store::open(&path).unwrap();
        store
            .record_poll("SN1", "10.0.0.5:161", &report("x", "SN1", &[900]), t(0))
            .unwrap();
        store.checkpoint().unwrap();
    }
    let store = Store::open(&path).unwrap();
    let printers = store.printers().unwrap();
    assert_eq!(printers.len(), 1);
    assert_eq!(printers[0].address, "10.0.0.5:161");
    assert_eq!(store.readings_since("SN1", t(-1)).unwrap().len(), 1);
}

// ---------------------------------------------------------------- polls

#[test]
fn first_poll_records_printer_supplies_readings_and_levels() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("gw.sqlite")).unwrap();
    let outcome = store
        .record_poll(
            "SN1",
            "10.0.0.5:161",
            &report("x", "SN1", &[800, 600, 400]),
            t(0),
        )
        .unwrap();
    assert!(outcome.new_printer);
    assert_eq!(outcome.moved_from, None);
    assert_eq!(outcome.supplies_written, 3);
    assert_eq!(outcome.readings_added, 3);
    let level_id = outcome.level_message.expect("levels queued");

    let p = store.printer("SN1").unwrap().expect("printer stored");
    assert_eq!(p.serial.as_deref(), Some("SN1"));
    assert_eq!(p.model.as_deref(), Some("Model X"));
    assert_eq!(p.sys_name.as_deref(), Some("printer-1"));
    assert_eq!(p.page_count, Some(12_345));
    assert_eq!(p.status.device.as_deref(), Some("running"));
    assert!(p.last_poll_ok);
    assert_eq!(p.first_seen, t(0));

    let supplies = store.supplies("SN1").unwrap();
    assert_eq!(supplies.len(), 3);
    assert_eq!(supplies[1].index, 2);
    assert_eq!(supplies[1].percent, Some(60.0));
    assert_eq!(supplies[1].class, SupplyClass::Consumed);
    assert_eq!(supplies[1].gauge, Gauge::Exact);
    assert_eq!(supplies[1].colorant.as_deref(), Some("cyan"));
    assert_eq!(
        supplies[1].to_supply(),
        report("x", "SN1", &[800, 600, 400]).supplies[1]
    );

    let pending = store.outbox_pending(10).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, level_id);
    assert_eq!(pending[0].kind, OutboxKind::Level);
    let body: serde_json::Value = serde_json::from_str(&pending[0].payload).unwrap();
    assert_eq!(body["printer"], "SN1");
    assert_eq!(body["supplies"].as_array().unwrap().len(), 3);
    assert_eq!(body["supplies"][2]["percent"], 40.0);
    assert_eq!(body["supplies"][2]["gauge"], "exact");
}

#[test]
fn an_ip_change_updates_the_same_printer() {
    let store = Store::open_in_memory().unwrap();
    store
        .record_poll("SN1", "10.0.0.5:161", &report("a", "SN1", &[800]), t(0))
        .unwrap();
    store
        .assign_printer("SN1", Some("HQ"), Some("desk"), false)
        .unwrap();
    let outcome = store
        .record_poll("SN1", "10.0.0.77:161", &report("b", "SN1", &[790]), t(5))
        .unwrap();
    assert!(!outcome.new_printer);
    assert_eq!(outcome.moved_from.as_deref(), Some("10.0.0.5:161"));
    let printers = store.printers().unwrap();
    assert_eq!(printers.len(), 1, "never a second printer");
    assert_eq!(printers[0].address, "10.0.0.77:161");
    assert_eq!(printers[0].site.as_deref(), Some("HQ"), "assignment kept");
    assert_eq!(printers[0].first_seen, t(0));
    assert_eq!(printers[0].last_seen, t(5));
    let readings = store.readings_since("SN1", t(0)).unwrap();
    assert_eq!(
        readings.iter().map(|r| r.level).collect::<Vec<_>>(),
        vec![800, 790]
    );
    // Same address again: not a move.
    let again = store
        .record_poll("SN1", "10.0.0.77:161", &report("b", "SN1", &[790]), t(10))
        .unwrap();
    assert_eq!(again.moved_from, None);
}

#[test]
fn unchanged_supplies_are_not_rewritten_and_small_moves_send_no_level() {
    let store = Store::open_in_memory().unwrap();
    store
        .record_poll("SN1", "h:161", &report("h", "SN1", &[800, 600]), t(0))
        .unwrap();
    let same = store
        .record_poll("SN1", "h:161", &report("h", "SN1", &[800, 600]), t(5))
        .unwrap();
    assert_eq!(same.supplies_written, 0);
    assert_eq!(
        same.readings_added, 0,
        "unchanged levels wait for the hourly heartbeat (SD-card writes)"
    );
    assert_eq!(same.level_message, None);
    assert_eq!(store.supplies("SN1").unwrap()[0].updated_at, t(0));

    // 80.0 % -> 79.9 %: stored, but the whole percent (80) did not move.
    let small = store
        .record_poll("SN1", "h:161", &report("h", "SN1", &[799, 600]), t(10))
        .unwrap();
    assert_eq!(small.supplies_written, 1);
    assert_eq!(small.level_message, None);
    assert_eq!(store.supplies("SN1").unwrap()[0].updated_at, t(10));

    // 79.9 % -> 75 %: upstream hears about supply 1 only.
    let big = store
        .record_poll("SN1", "h:161", &report("h", "SN1", &[750, 600]), t(15))
        .unwrap();
    let id = big.level_message.expect("level queued");
    let row = store
        .outbox_pending(10)
        .unwrap()
        .into_iter()
        .find(|r| r.id == id)
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&row.payload).unwrap();
    assert_eq!(body["supplies"].as_array().unwrap().len(), 1);
    assert_eq!(body["supplies"][0]["index"], 1);
    assert_eq!(store.outbox_depth().unwrap(), 2);
}

#[test]
fn a_supply_no_longer_reported_is_removed_but_not_on_an_empty_table() {
    let store = Store::open_in_memory().unwrap();
    store
        .record_poll("SN1", "h:161", &report("h", "SN1", &[800, 600, 400]), t(0))
        .unwrap();
    let empty = store
        .record_poll("SN1", "h:161", &report("h", "SN1", &[]), t(5))
        .unwrap();
    assert_eq!(empty.supplies_removed, 0);
    assert_eq!(store.supplies("SN1").unwrap().len(), 3);
    let fewer = store
        .record_poll("SN1", "h:161", &report("h", "SN1", &[800, 600]), t(10))
        .unwrap();
    assert_eq!(fewer.supplies_removed, 1);
    assert_eq!(store.supplies("SN1").unwrap().len(), 2);
    assert_eq!(store.all_supplies().unwrap().len(), 2);
}

#[test]
fn poll_failures_are_recorded_without_moving_the_printer() {
    let store = Store::open_in_memory().unwrap();
    assert!(
        !store
            .record_poll_failure("SN1", "h:161", "timeout", t(0))
            .unwrap()
    );
    store
        .record_poll("SN1", "h:161", &report("h", "SN1", &[800]), t(0))
        .unwrap();
    assert!(
        store
            .record_poll_failure("SN1", "other:161", "timeout", t(5))
            .unwrap()
    );
    let p = store.printer("SN1").unwrap().unwrap();
    assert!(!p.last_poll_ok);
    assert_eq!(p.last_error.as_deref(), Some("timeout"));
    assert_eq!(p.address, "h:161");
    assert_eq!(p.last_seen, t(0));
    assert_eq!(p.last_poll_at, t(5));
    // A report carrying an error counts as a failure too.
    let failed = PrinterReport::failed("h:161", "no response");
    let outcome = store.record_poll("SN1", "h:161", &failed, t(10)).unwrap();
    assert_eq!(outcome.readings_added, 0);
    let p = store.printer("SN1").unwrap().unwrap();
    assert_eq!(p.last_error.as_deref(), Some("no response"));
    assert_eq!(store.supplies("SN1").unwrap().len(), 1);
    // The next success clears the error.
    store
        .record_poll("SN1", "h:161", &report("h", "SN1", &[800]), t(15))
        .unwrap();
    let p = store.printer("SN1").unwrap().unwrap();
    assert!(p.last_poll_ok);
    assert_eq!(p.last_error, None);
}

#[test]
fn an_empty_key_is_refused() {
    let store = Store::open_in_memory().unwrap();
    let err = store
        .record_poll(" ", "h:161", &report("h", "SN1", &[800]), t(0))
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput { .. }), "{err:?}");
    assert!(store.printers().unwrap().is_empty());
}

#[test]
fn assignment_of_an_unknown_printer_is_reported() {
    let store = Store::open_in_memory().unwrap();
    assert!(!store.assign_printer("SN9", Some("HQ"), None, true).unwrap());
    store
        .record_poll("SN9", "h:161", &report("h", "SN9", &[800]), t(0))
        .unwrap();
    assert!(store.assign_printer("SN9", Some("HQ"), None, true).unwrap());
    assert!(store.assign_printer("SN9", Some("HQ"), None, true).unwrap());
    let p = store.printer("SN9").unwrap().unwrap();
    assert!(p.excluded);
    assert_eq!(p.site.as_deref(), Some("HQ"));
    assert_eq!(p.contact, None);
}

// ---------------------------------------------------------------- decisions and outbox

#[test]
fn orders_alerts_and_snapshot_commit_together_and_duplicates_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("gw.sqlite")).unwrap();
    assert_eq!(store.load_engine_snapshot().unwrap(), None);
    let batch = DecisionBatch {
        orders: vec![order("o-1", 0), order("o-2", 1)],
        alerts: vec![NewAlert {
            kind: "excluded_low".to_owned(),
            printer: Some("SN1".to_owned()),
            at: t(2),
            payload: json!({ "percent": 4 }),
        }],
        engine_snapshot: Some("{\"state\":1}".to_owned()),
    };
    let first = store.commit_decisions(&batch).unwrap();
    assert_eq!(first.orders_inserted, vec!["o-1", "o-2"]);
    assert!(first.orders_duplicate.is_empty());
    assert_eq!(first.alerts_inserted, 1);
    assert_eq!(first.outbox_ids.len(), 3);
    assert_eq!(store.outbox_depth().unwrap(), 3);

    // The same decisions again (a replay after restart): orders ignored.
    let again = store
        .commit_decisions(&DecisionBatch {
            orders: vec![order("o-2", 1)],
            alerts: vec![],
            engine_snapshot: Some("{\"state\":2}".to_owned()),
        })
        .unwrap();
    assert!(again.orders_inserted.is_empty());
    assert_eq!(again.orders_duplicate, vec!["o-2"]);
    assert!(again.outbox_ids.is_empty());
    assert_eq!(store.outbox_depth().unwrap(), 3);
    assert_eq!(store.recent_orders(10).unwrap().len(), 2);
    assert_eq!(
        store.load_engine_snapshot().unwrap().as_deref(),
        Some("{\"state\":2}")
    );

    let orders = store.recent_orders(1).unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].order_id, "o-2", "newest first");
    assert_eq!(orders[0].status, OrderStatus::Queued);
    assert_eq!(orders[0].payload["lines"][0]["part"], "PN-0");
    let alerts = store.recent_alerts(10).unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].kind, "excluded_low");
    assert_eq!(alerts[0].printer.as_deref(), Some("SN1"));
    assert_eq!(alerts[0].payload["percent"], 4);
}

#[test]
fn outbox_delivers_oldest_first_and_mark_sent_updates_orders() {
    let store = Store::open_in_memory().unwrap();
    let event = store
        .outbox_push(OutboxKind::Event, &json!({ "event": "started" }), t(0))
        .unwrap();
    store
        .commit_decisions(&DecisionBatch {
            orders: vec![order("o-1", 1)],
            ..DecisionBatch::default()
        })
        .unwrap();
    let pending = store.outbox_pending(10).unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0].id, event);
    assert_eq!(pending[0].kind, OutboxKind::Event);
    assert_eq!(pending[1].kind, OutboxKind::Order);
    assert!(pending[0].id < pending[1].id);
    let body: serde_json::Value = serde_json::from_str(&pending[1].payload).unwrap();
    assert_eq!(body["order_id"], "o-1");
    assert_eq!(store.outbox_pending(1).unwrap().len(), 1);

    assert_eq!(store.outbox_mark_sent(&[pending[1].id, 9999]).unwrap(), 1);
    assert_eq!(
        store.outbox_mark_sent(&[pending[1].id]).unwrap(),
        0,
        "idempotent"
    );
    assert_eq!(store.outbox_depth().unwrap(), 1);
    let o = store.order("o-1").unwrap().unwrap();
    assert_eq!(o.status, OrderStatus::Sent);
    assert!(o.sent_at.is_some());
    let left = store.outbox_pending(10).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, event);
}

#[test]
fn outbox_ids_are_never_reused_after_delivery() {
    let store = Store::open_in_memory().unwrap();
    let ids: Vec<i64> = (0..3)
        .map(|i| {
            store
                .outbox_push(OutboxKind::Event, &json!({ "n": i }), t(i))
                .unwrap()
        })
        .collect();
    // Delivered rows leave the outbox at once; pending ones stay.
    assert_eq!(store.outbox_mark_sent(&ids).unwrap(), 3);
    let pending = store
        .outbox_push(OutboxKind::Event, &json!({}), t(4))
        .unwrap();
    assert_eq!(store.outbox_depth().unwrap(), 1);
    assert_eq!(
        store
            .outbox_prune_sent(Utc::now() + Duration::seconds(1))
            .unwrap(),
        0,
        "nothing delivered is left to prune"
    );
    assert_eq!(store.outbox_depth().unwrap(), 1);
    store.outbox_mark_sent(&[pending]).unwrap();
    assert_eq!(store.outbox_depth().unwrap(), 0);
    // The table is empty now: AUTOINCREMENT still never hands out an old id.
    let next = store
        .outbox_push(OutboxKind::Event, &json!({}), t(5))
        .unwrap();
    assert!(next > pending, "{next} must not reuse an id <= {pending}");
}

#[test]
fn prune_keeps_recent_readings_and_works_in_batches() {
    let store = Store::open_in_memory().unwrap();
    // 1200 readings: more than two batches.
    for minute in 0..100 {
        store
            .record_poll(
                "SN1",
                "h:161",
                &report("h", "SN1", &[800 - minute; 12]),
                t(minute),
            )
            .unwrap();
    }
    assert_eq!(store.readings_after(0, 10_000).unwrap().len(), 1200);
    let pruned = store.prune_readings(t(60)).unwrap();
    assert_eq!(pruned, 720);
    let left = store.readings_after(0, 10_000).unwrap();
    assert_eq!(left.len(), 480);
    assert!(left.iter().all(|r| r.observed_at >= t(60)));
    assert_eq!(
        store.readings_after(left[9].id, 5).unwrap()[0].id,
        left[10].id
    );
}

#[test]
fn old_readings_fold_into_daily_rows_in_small_batches() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("g.db")).unwrap();
    // 20 days, a poll every 15 minutes, the level falling by one each poll
    // and a new cartridge on day 10: 1920 polls, 2 supplies each.
    let mut level = 1000;
    for poll in 0..1920 {
        level = if poll == 960 { 1000 } else { level - 1 };
        store
            .record_poll(
                "SN1",
                "h:161",
                &report("h", "SN1", &[level, 500]),
                t(poll * 15),
            )
            .unwrap();
    }
    let raw = store.readings_after(0, 100_000).unwrap();
    let cutoff = t(17 * 24 * 60); // keep the last 3 days raw
    let old = raw.iter().filter(|r| r.observed_at < cutoff).count() as u64;
    assert!(old > 1000, "{old} old readings: several batches");

    // A run limited to 2 batches leaves the rest for the next run.
    let first = store.compact_readings(cutoff, 2).unwrap();
    assert_eq!((first.folded, first.batches, first.more), (1000, 2, true));
    let rest = store.compact_readings(cutoff, 100).unwrap();
    assert_eq!(first.folded + rest.folded, old);
    assert!(!rest.more);
    assert_eq!(
        store.compact_readings(cutoff, 100).unwrap().folded,
        0,
        "nothing left to fold"
    );

    let left = store.readings_after(0, 100_000).unwrap();
    assert!(left.iter().all(|r| r.observed_at >= cutoff));
    assert_eq!(left.len() as u64, raw.len() as u64 - old);
    let days = store
        .daily_readings("SN1", t(0) - Duration::days(1))
        .unwrap();
    let toner: Vec<_> = days.iter().filter(|d| d.supply_index == 1).collect();
    // 1 March 8:00 to 18 March 8:00: 18 UTC days, the first and last partial.
    assert_eq!(toner.len(), 18, "one row a day: {toner:?}");
    assert_eq!(
        toner.iter().map(|d| d.samples).sum::<u64>(),
        raw.iter()
            .filter(|r| r.observed_at < cutoff && r.supply_index == 1)
            .count() as u64
    );
    let swap_day = toner
        .iter()
        .find(|d| d.max_percent == Some(100.0))
        .expect("the swap's day");
    assert!(swap_day.min_percent.unwrap() < 70.0, "{swap_day:?}");
    for pair in toner.windows(2) {
        assert!(pair[0].day < pair[1].day);
    }
    // The unchanged supply kept its daily point.
    assert!(
        days.iter()
            .filter(|d| d.supply_index == 2)
            .all(|d| d.last_percent == Some(50.0))
    );
    // Forgetting the printer forgets its daily rows.
    assert!(store.forget_printer("SN1").unwrap());
    assert!(store.daily_readings("SN1", t(0)).unwrap().is_empty());
}

#[test]
fn meta_values_round_trip() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.meta_get("gateway_id").unwrap(), None);
    let id = store
        .meta_get_or_insert_with("gateway_id", || "gw-abc".to_owned())
        .unwrap();
    assert_eq!(id, "gw-abc");
    let again = store
        .meta_get_or_insert_with("gateway_id", || "gw-other".to_owned())
        .unwrap();
    assert_eq!(again, "gw-abc");
    store.meta_set("site", "HQ").unwrap();
    store.meta_set("site", "Annex").unwrap();
    assert_eq!(store.meta_get("site").unwrap().as_deref(), Some("Annex"));
}

#[test]
fn store_is_usable_from_many_threads() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(&dir.path().join("gw.sqlite")).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|n| {
            let store = store.clone();
            std::thread::spawn(move || {
                let key = format!("SN{n}");
                for minute in 0..10 {
                    store
                        .record_poll(
                            &key,
                            "h:161",
                            &report("h", &key, &[500 - minute, 400]),
                            t(minute),
                        )
                        .unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(store.printers().unwrap().len(), 4);
    // The moving supply is recorded every poll, the idle one once.
    assert_eq!(store.readings_after(0, 1000).unwrap().len(), 44);
}

// ---------------------------------------------------------------- SD-card writes

/// Frames in the WAL right now (each frame is one page write).
fn wal_frames(conn: &Connection) -> i64 {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
        .expect("checkpoint")
}

#[test]
fn one_poll_of_a_twelve_supply_printer_writes_few_pages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gw.sqlite");
    let store = Store::open(&path).unwrap();
    let observer = Connection::open(&path).unwrap();
    let page_size: i64 = observer
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap();

    // Ten printers polled for a while, so the tables have a realistic shape.
    let levels = |step: i64| -> Vec<i64> { (0..12).map(|i| 900 - i * 10 - step).collect() };
    for step in 0..20 {
        for n in 0..10 {
            let key = format!("SN{n}");
            store
                .record_poll(&key, "h:161", &report("h", &key, &levels(step)), t(step))
                .unwrap();
        }
    }
    // Average WAL frames per poll over 50 polls (5 rounds of the 10 printers):
    // B-tree page splits come every few polls, an average is the honest figure.
    let measure = |first_step: i64, moving: bool| -> f64 {
        observer
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        assert_eq!(wal_frames(&observer), 0);
        for round in 0..5 {
            let step = if moving {
                first_step + round * 10
            } else {
                first_step
            };
            for n in 0..10 {
                let key = format!("SN{n}");
                store
                    .record_poll(
                        &key,
                        "h:161",
                        &report("h", &key, &levels(step)),
                        t(100 + round),
                    )
                    .unwrap();
            }
        }
        wal_frames(&observer) as f64 / 50.0
    };
    // Levels unchanged: printer row + 12 readings, no supply rewrite.
    let steady = measure(19, false);
    // Every level moved by a whole percent: 12 supply rows + a level message.
    let moving = measure(30, true);
    observer
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    store
        .record_poll(
            "SN-new",
            "h:161",
            &report("h", "SN-new", &levels(0)),
            t(200),
        )
        .unwrap();
    let first = wal_frames(&observer);
    println!(
        "WAL frames (pages of {page_size} B) per poll of a 12-supply printer, average of 50: \
         unchanged levels {steady:.1}, all levels moved {moving:.1}; new printer {first}"
    );
    assert!(steady <= 5.0, "steady poll wrote {steady} pages");
    assert!(moving <= 12.0, "moving poll wrote {moving} pages");
    assert!(first <= 14, "first poll wrote {first} pages");
    assert!(steady < moving);
}

#[test]
fn daily_rows_expire_after_three_years_so_the_database_stops_growing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("g.db")).unwrap();
    let days = asr_gateway::store::DAILY_KEPT_DAYS + 100;
    for day in 0..days {
        let level = 1000 - (day % 900);
        store
            .record_poll("SN1", "h:161", &report("h", "SN1", &[level]), t(day * 1440))
            .unwrap();
    }
    let cutoff = t(days * 1440);
    store.compact_readings(cutoff, u64::MAX).unwrap();
    let kept = store
        .daily_readings("SN1", t(0) - Duration::days(1))
        .unwrap();
    assert!(
        kept.len() as i64 <= asr_gateway::store::DAILY_KEPT_DAYS + 1,
        "{} daily rows",
        kept.len()
    );
    assert!(kept.len() as i64 >= asr_gateway::store::DAILY_KEPT_DAYS - 1);
    assert!(
        kept[0].day >= t(99 * 1440) - Duration::days(1),
        "the oldest went"
    );
}
