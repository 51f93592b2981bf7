//! Property tests of printer interpretation on what `printer_props.rs` does
//! not cover: trees read from arbitrary snmprec text (any tag, any value
//! under printer OIDs), huge tables, and deep or odd OIDs.
//!
//! A gateway interprets whatever a printer or a recording hands it: it must
//! stay total, bounded by the input, and fast enough for a Raspberry Pi.

use std::time::{Duration, Instant};

use asr_protocols::mib::{MibTree, Oid, Value};
use asr_protocols::printer;
use asr_protocols::snmprec;
use proptest::prelude::*;

const SUPPLIES: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1];
const ALERTS: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1];
const HR_DEVICE: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1];

/// One snmprec line under a printer OID, with any tag and value text.
fn snmprec_line() -> impl Strategy<Value = String> {
    let prefix = prop_oneof![
        Just("1.3.6.1.2.1.1".to_string()),
        Just("1.3.6.1.2.1.2.2.1".to_string()),
        Just("1.3.6.1.2.1.25.3.2.1".to_string()),
        Just("1.3.6.1.2.1.25.3.5.1".to_string()),
        Just("1.3.6.1.2.1.43.5.1.1".to_string()),
        Just("1.3.6.1.2.1.43.10.2.1".to_string()),
        Just("1.3.6.1.2.1.43.11.1.1".to_string()),
        Just("1.3.6.1.2.1.43.12.1.1".to_string()),
        Just("1.3.6.1.2.1.43.18.1.1".to_string()),
        Just("1.3.6.1.4.1.11.2.3.9.4.2.1".to_string()),
        Just("1.3.6.1.4.1.1347.43.5.1.1".to_string()),
        Just("1.3.6.1.4.1.2435.2.3.9.4.2.1.5.5".to_string()),
        Just("1.3.6.1.4.1.367.3.2.1.2.24.1.1".to_string()),
    ];
    let suffix = "(\\.(0|1|2|3|4|5|6|7|8|9|[0-9]{1,10})){0,4}";
    let tag = "(2|4|4x|5|6|64|65|66|67|68|70)";
    let value = prop_oneof![
        "-?[0-9]{1,11}",
        "[0-9]{1,20}",
        "[0-9a-f]{0,40}",
        "[ -{}~]{0,40}",
        "1\\.3\\.6(\\.[0-9]{1,10}){0,10}",
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
    ];
    (prefix, suffix, tag, value).prop_map(|(p, s, t, v)| format!("{p}{s}|{t}|{v}"))
}

/// Checks the report's contract and that it is no bigger than the tree.
fn check(tree: &MibTree) -> Result<printer::PrinterReport, TestCaseError> {
    let started = Instant::now();
    let report = printer::interpret("127.0.0.1:161", tree);
    let took = started.elapsed();
    prop_assert!(
        took < Duration::from_secs(2),
        "interpretation took {took:?}"
    );
    prop_assert!(report.supplies.len() <= tree.len());
    prop_assert!(report.alerts.len() <= tree.len());
    for s in &report.supplies {
        if let Some(p) = s.percent {
            prop_assert!((0.0..=100.0).contains(&p), "{s:?}");
        }
        prop_assert!(!s.description.contains('\0'));
    }
    // Interpretation is a pure function of the tree.
    let again = printer::interpret("127.0.0.1:161", tree);
    prop_assert_eq!(
        serde_json::to_string(&again).expect("json"),
        serde_json::to_string(&report).expect("json")
    );
    Ok(report)
}

/// A supplies table of `rows` well-formed rows plus an alert table of the
/// same size.
fn big_tree(rows: u32) -> MibTree {
    let mut tree = MibTree::new();
    for i in 1..=rows {
        let at = |c: u32| Oid::from_slice(&[SUPPLIES, &[c, 1, i]].concat());
        tree.insert(at(2), Value::Integer(1));
        tree.insert(at(4), Value::Integer(3));
        tree.insert(at(5), Value::Integer(3));
        tree.insert(
            at(6),
            Value::OctetString(format!("Toner {i}").into_bytes().into()),
        );
        tree.insert(at(7), Value::Integer(13));
        tree.insert(at(8), Value::Integer(1000));
        tree.insert(at(9), Value::Integer((i % 1001) as i32));
        let alert = |c: u32| Oid::from_slice(&[ALERTS, &[c, 1, i]].concat());
        tree.insert(alert(2), Value::Integer(3));
        tree.insert(alert(7), Value::Integer(1101));
        tree.insert(alert(8), Value::OctetString(b"Toner low".to_vec().into()));
    }
    tree
}

#[test]
fn huge_tables_are_interpreted_in_bounded_time() {
    let tree = big_tree(5_000);
    let started = Instant::now();
    let report = printer::interpret("127.0.0.1:161", &tree);
    let took = started.elapsed();
    println!(
        "{} bindings -> {} supplies, {} alerts in {took:?}",
        tree.len(),
        report.supplies.len(),
        report.alerts.len()
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(report.supplies.len() <= 5_000);
    assert!(!report.supplies.is_empty(), "well-formed rows must be read");
    for s in &report.supplies {
        if let Some(p) = s.percent {
            assert!((0.0..=100.0).contains(&p), "{s:?}");
        }
    }
}

#[test]
fn deep_and_extreme_oids_are_ignored_or_read_safely() {
    let mut tree = big_tree(3);
    // Index arcs at the limits, very deep instances, and bare column OIDs.
    for col in [2u32, 4, 5, 6, 7, 8, 9] {
        let mut deep = [SUPPLIES, &[col]].concat();
        deep.extend(std::iter::repeat_n(u32::MAX, 100));
        tree.insert(Oid::from_slice(&deep), Value::Integer(i32::MIN));
        tree.insert(
            Oid::from_slice(&[SUPPLIES, &[col, u32::MAX, u32::MAX]].concat()),
            Value::Integer(i32::MAX),
        );
        tree.insert(Oid::from_slice(&[SUPPLIES, &[col]].concat()), Value::Null);
        tree.insert(
            Oid::from_slice(&[SUPPLIES, &[col, 0]].concat()),
            Value::OctetString(vec![0xff; 10_000].into()),
        );
    }
    let mut hr = [HR_DEVICE, &[3]].concat();
    hr.extend(std::iter::repeat_n(0, 120));
    tree.insert(
        Oid::from_slice(&hr),
        Value::ObjectIdentifier(Oid::from_slice(&[0; 128])),
    );
    let report = printer::interpret("127.0.0.1:161", &tree);
    assert!(report.supplies.len() <= tree.len());
    for s in &report.supplies {
        assert!(s.description.len() <= 10_000 * 3, "description grew");
        if let Some(p) = s.percent {
            assert!((0.0..=100.0).contains(&p), "{s:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn trees_read_from_arbitrary_snmprec_interpret_safely(
        lines in proptest::collection::vec(snmprec_line(), 0..80)
    ) {
        let rec = snmprec::parse(&lines.join("\n"));
        let report = check(&rec.tree)?;
        // The same tree written out and read back interprets identically.
        let back = snmprec::parse(&snmprec::render(&rec.tree));
        let again = printer::interpret("127.0.0.1:161", &back.tree);
        prop_assert_eq!(
            serde_json::to_string(&again).expect("json"),
            serde_json::to_string(&report).expect("json")
        );
    }

    #[test]
    fn deep_random_oids_under_printer_tables_are_safe(
        entries in proptest::collection::vec(
            (
                prop_oneof![Just(SUPPLIES), Just(ALERTS), Just(HR_DEVICE)],
                proptest::collection::vec(any::<u32>(), 0..40),
                any::<i32>(),
            ),
            0..60,
        )
    ) {
        let tree: MibTree = entries
            .into_iter()
            .map(|(p, tail, v)| (Oid::from_slice(&[p, tail.as_slice()].concat()), Value::Integer(v)))
            .collect();
        check(&tree)?;
    }
}
