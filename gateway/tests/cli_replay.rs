//! `asr-gateway sim-fleet` then `asr-gateway replay` through the real binary:
//! the replay contract as outside checks use it.

#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::process::Command;

use serde_json::Value;

fn gateway(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_generated_fleet_replays_into_time_ordered_orders_and_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let generated = gateway(&[
        "sim-fleet",
        "--out",
        out,
        "--seed",
        "4",
        "--printers",
        "8",
        "--days",
        "120",
    ]);
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let printers = dir.path().join("printers.csv");
    let readings = dir.path().join("readings.csv");
    let header = std::fs::read_to_string(&readings).unwrap();
    assert!(header.starts_with(
        "observed_at,printer,supply_index,supply_type,supply_class,colorant,unit,max_capacity,level,page_count"
    ));

    let run = gateway(&[
        "replay",
        "--printers",
        printers.to_str().unwrap(),
        "--readings",
        readings.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let orders: Vec<&Value> = lines.iter().filter(|l| l["type"] == "order").collect();
    assert!(!orders.is_empty(), "120 days of 8 printers produce orders");
    for o in &orders {
        assert!(o["order_id"].as_str().is_some_and(|s| !s.is_empty()));
        for line in o["lines"].as_array().unwrap() {
            assert!(line["quantity"].as_u64().is_some_and(|q| q >= 1));
            assert!(line["printer"].as_str().is_some());
        }
    }
    let times: Vec<&str> = lines
        .iter()
        .map(|l| l["created_at"].as_str().or(l["at"].as_str()).unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "decisions come out in time order"
    );

    // Same input, same decisions, same ids.
    let again = gateway(&[
        "replay",
        "--printers",
        printers.to_str().unwrap(),
        "--readings",
        readings.to_str().unwrap(),
    ]);
    assert_eq!(again.stdout, run.stdout);

    // A wrong header is an error naming the column, exit status 2.
    std::fs::write(dir.path().join("bad.csv"), "observed_at,printer,level\n").unwrap();
    let bad = gateway(&[
        "replay",
        "--printers",
        printers.to_str().unwrap(),
        "--readings",
        dir.path().join("bad.csv").to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("supply_index"));
}
