//! The replay CSV/JSON contract: header errors name the column, bad rows are
//! reported with their line numbers, decisions have the agreed JSON shape.

use asr_engine::replay::{ReplayError, ReplayOptions, run};

const PRINTERS: &str = "serial,model,site,contact\nP1,\"Model, X\",lyon,alice\nP2,M,lyon,alice\n";

fn header() -> &'static str {
    "observed_at,printer,supply_index,supply_type,supply_class,colorant,unit,max_capacity,level,page_count\n"
}

/// Hourly readings of two printers whose black toner drains at `per_hour` points.
fn readings(hours: i64, per_hour: f64) -> String {
    let mut s = String::from(header());
    let start = chrono::DateTime::parse_from_rfc3339("2025-03-03T00:00:00Z")
        .expect("valid")
        .timestamp();
    for h in 0..hours {
        let t = chrono::DateTime::from_timestamp(start + h * 3600, 0)
            .expect("valid")
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let level = (90.0 - per_hour * h as f64).max(0.0).round() as i64;
        s.push_str(&format!(
            "{t},P1,1,toner,consumed,black,percent,100,{level},{}\n",
            1000 + 10 * h
        ));
        s.push_str(&format!(
            "{t},P2,1,toner,consumed,black,percent,100,{level},{}\n",
            5000 + 10 * h
        ));
    }
    s
}

fn replay(
    printers: &str,
    readings: &str,
) -> (
    Result<asr_engine::replay::ReplayStats, ReplayError>,
    String,
    String,
) {
    let mut out = Vec::new();
    let mut diag = Vec::new();
    let r = run(
        printers.as_bytes(),
        readings.as_bytes(),
        &ReplayOptions::default(),
        &mut out,
        &mut diag,
    );
    (
        r,
        String::from_utf8(out).expect("utf8"),
        String::from_utf8(diag).expect("utf8"),
    )
}

#[test]
fn wrong_header_names_the_column() {
    let bad = "observed_at,printer,supply_index,supply_type,supply_class,colorant,unit,max_capacity,lvl,page_count\n";
    let (r, _, _) = replay(PRINTERS, bad);
    let err = r.expect_err("header must be rejected");
    assert!(
        matches!(
            err,
            ReplayError::MissingColumn {
                column: "level",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("level"));
    let (r, _, _) = replay("serial,model,site\nP1,M,S\n", header());
    let err = r.expect_err("printers header must be rejected");
    assert!(err.to_string().contains("contact"), "{err}");
}

#[test]
fn bad_rows_are_reported_with_line_numbers() {
    let mut csv = readings(3, 0.1);
    csv.push_str("not-a-time,P1,1,toner,consumed,black,percent,100,50,1\n"); // line 8
    csv.push_str("2025-03-03T05:00:00Z,P1,x,toner,consumed,black,percent,100,50,1\n"); // line 9
    csv.push_str("2025-03-03T05:00:00Z,P1,1,toner\n"); // line 10
    csv.push_str("2025-03-03T06:00:00Z,P1,1,toner,consumed,black,percent,100,50,1\n"); // good
    let (r, _, diag) = replay(PRINTERS, &csv);
    let stats = r.expect("replay runs");
    assert_eq!(stats.bad_rows, 3, "{diag}");
    assert_eq!(stats.readings, 7);
    for n in ["line 8", "line 9", "line 10"] {
        assert!(diag.contains(n), "{n} missing in {diag}");
    }
    assert!(
        diag.contains("observed_at") && diag.contains("supply_index"),
        "{diag}"
    );
}

#[test]
fn decisions_have_the_contract_shape() {
    // 90 % draining 0.15 points per hour: empty in 25 days, so an order is due.
    let (r, out, _) = replay(PRINTERS, &readings(24 * 12, 0.15));
    let stats = r.expect("replay runs");
    assert!(stats.orders >= 1, "{out}");
    let first: serde_json::Value =
        serde_json::from_str(out.lines().next().expect("a decision")).expect("json");
    let order = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .find(|v| v["type"] == "order")
        .expect("an order");
    assert!(first.get("type").is_some());
    for k in ["order_id", "created_at", "site", "contact", "lines"] {
        assert!(order.get(k).is_some(), "missing {k} in {order}");
    }
    assert_eq!(order["site"], "lyon");
    let lines = order["lines"].as_array().expect("lines array");
    // Both printers of the same site and contact travel in one order.
    assert_eq!(lines.len(), 2, "{order}");
    for l in lines {
        for k in [
            "printer",
            "supply_index",
            "supply_type",
            "colorant",
            "quantity",
            "predicted_empty_at",
        ] {
            assert!(l.get(k).is_some(), "missing {k} in {l}");
        }
        assert!(l["quantity"].as_u64().expect("quantity") >= 1);
    }
    // Same input, same ids.
    let (_, again, _) = replay(PRINTERS, &readings(24 * 12, 0.15));
    assert_eq!(out, again);
}

#[test]
fn premature_swap_and_silence_alerts() {
    let mut csv = String::from(header());
    let start = chrono::DateTime::parse_from_rfc3339("2025-03-03T00:00:00Z")
        .expect("valid")
        .timestamp();
    for h in 0..(24 * 6) {
        let t = chrono::DateTime::from_timestamp(start + h * 3600, 0)
            .expect("valid")
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let level = if h < 48 { 60 } else { 100 };
        csv.push_str(&format!(
            "{t},P1,1,toner,consumed,black,percent,100,{level},\n"
        ));
        // P2 stops answering after day 2 and comes back on day 5.
        if !(48..96).contains(&h) {
            csv.push_str(&format!("{t},P2,1,toner,consumed,black,percent,100,80,\n"));
        }
    }
    let (r, out, _) = replay(PRINTERS, &csv);
    r.expect("replay runs");
    let alerts: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .filter(|v| v["type"] == "alert")
        .collect();
    let prem = alerts
        .iter()
        .find(|a| a["kind"] == "premature_replacement")
        .expect("premature alert");
    assert_eq!(prem["printer"], "P1");
    assert_eq!(prem["supply_index"], 1);
    assert_eq!(prem["level_left_percent"], 60.0);
    let silent = alerts
        .iter()
        .find(|a| a["kind"] == "printer_silent")
        .expect("silent alert");
    assert_eq!(silent["printer"], "P2");
    assert!(
        alerts
            .iter()
            .any(|a| a["kind"] == "printer_back" && a["printer"] == "P2")
    );
}

/// A "some remaining" toner whose printer raises markerTonerAlmostEmpty
/// (1104) near the end of each cartridge and markerTonerEmpty (1101) at the
/// end, replaced an hour later: 90 days, 480 pages a day, 6,000-page
/// cartridges. Given through the optional columns, the signals show every
/// cartridge's end, so the engine learns the real life and orders about one
/// cartridge per 6,000 pages; the same readings without the columns (an
/// older file, which still replays) leave it the page-counter safety net on
/// the stated life, which orders more.
#[test]
fn printer_signals_in_optional_columns_show_the_ends_a_gauge_hides() {
    let start = chrono::DateTime::parse_from_rfc3339("2025-03-03T00:00:00Z")
        .expect("valid")
        .timestamp();
    let (life, per_hour, hours) = (6000u64, 20u64, 90 * 24);
    let mut with = format!("{},alert_codes,detected_errors\n", header().trim_end());
    let mut without = String::from(header());
    let mut in_cartridge = 0u64;
    for h in 0..hours {
        let t = chrono::DateTime::from_timestamp(start + h * 3600, 0)
            .expect("valid")
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let pages = 1000 + per_hour * h as u64;
        let (level, codes, errors) = if in_cartridge >= life {
            in_cartridge = 0; // swapped an hour after it ran out
            (-3, "", "")
        } else if in_cartridge + per_hour >= life {
            (-3, "1101", "noToner")
        } else if in_cartridge >= life * 9 / 10 {
            (-3, "1104", "lowToner")
        } else {
            (-3, "", "")
        };
        in_cartridge += per_hour;
        let row = format!("{t},P1,1,toner,consumed,black,percent,100,{level},{pages}");
        with.push_str(&format!("{row},{codes},{errors}\n"));
        without.push_str(&format!("{row}\n"));
    }
    let printers = "serial,model,site,contact\nP1,M,lyon,alice\n";
    let ordered = |readings: &str| -> u64 {
        let (r, out, diag) = replay(printers, readings);
        let stats = r.expect("replays");
        assert_eq!(stats.bad_rows, 0, "{diag}");
        out.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|d| d["type"] == "order")
            .flat_map(|d| d["lines"].as_array().cloned().unwrap_or_default())
            .map(|l| l["quantity"].as_u64().unwrap_or(0))
            .sum()
    };
    let printed = (per_hour * hours as u64) as f64;
    let with_signals = ordered(&with);
    let without_signals = ordered(&without);
    // What was printed, give or take the cartridge in the printer at the
    // start and the 30-day supply on the shelf at the end.
    let used = printed / life as f64;
    let shelf = 30.0 * (24 * per_hour) as f64 / life as f64;
    assert!(
        (used - 1.0..=used + shelf + 1.0).contains(&(with_signals as f64)),
        "{with_signals} ordered for {printed} pages of {life}-page cartridges"
    );
    assert!(
        without_signals > with_signals,
        "without the signals: {without_signals}, with: {with_signals}"
    );
}
