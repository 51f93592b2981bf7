//! Property tests: interpretation never panics, whatever a printer sends,
//! and its numbers are always within their contract.

use asr_protocols::mib::{MibTree, Oid, Value};
use asr_protocols::printer::{self, Gauge, gauge, text};
use proptest::prelude::*;

/// Any SNMP value a buggy agent could send.
fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::Integer),
        prop_oneof![Just(-3), Just(-2), Just(-1), Just(0), Just(1), Just(100)]
            .prop_map(Value::Integer),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|b| Value::OctetString(b.into())),
        "[ -~\n]{0,40}".prop_map(|s| Value::OctetString(s.into_bytes().into())),
        Just(Value::Null),
        any::<u32>().prop_map(Value::Gauge32),
        any::<u32>().prop_map(Value::Counter32),
        any::<u32>().prop_map(Value::TimeTicks),
        any::<u64>().prop_map(Value::Counter64),
        proptest::collection::vec(0u32..50, 0..12)
            .prop_map(|a| Value::ObjectIdentifier(Oid::from_slice(&a))),
        any::<[u8; 4]>().prop_map(Value::IpAddress),
    ]
}

/// OID prefixes interpretation reads: tables get index arcs appended.
const PREFIXES: &[&[u32]] = &[
    &[1, 3, 6, 1, 2, 1, 1, 1, 0],
    &[1, 3, 6, 1, 2, 1, 1, 2, 0],
    &[1, 3, 6, 1, 2, 1, 1, 3, 0],
    &[1, 3, 6, 1, 2, 1, 1, 5, 0],
    &[1, 3, 6, 1, 2, 1, 2, 2, 1, 3],
    &[1, 3, 6, 1, 2, 1, 2, 2, 1, 6],
    &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 2],
    &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3],
    &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 5],
    &[1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 1],
    &[1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 2],
    &[1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17],
    &[1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4],
    &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 2],
    &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 3],
    &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 4],
    &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 5],
    &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 6],
    &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 7],
    &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 8],
    &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9],
    &[1, 3, 6, 1, 2, 1, 43, 12, 1, 1, 4],
    &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 2],
    &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 7],
    &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 8],
    &[1, 3, 6, 1, 4, 1, 1347, 43, 5, 1, 1, 28, 1],
    &[1, 3, 6, 1, 4, 1, 2435, 2, 3, 9, 4, 2, 1, 5, 5, 1, 0],
];

/// One binding under a printer OID, with 0–3 index arcs (including none,
/// and odd shapes such as a single arc where two are expected).
fn binding() -> impl Strategy<Value = (Oid, Value)> {
    (
        0..PREFIXES.len(),
        proptest::collection::vec(prop_oneof![0u32..4, any::<u32>()], 0..4),
        any_value(),
    )
        .prop_map(|(p, index, value)| {
            let mut arcs = PREFIXES[p].to_vec();
            arcs.extend(index);
            (Oid::from_slice(&arcs), value)
        })
}

fn any_tree() -> impl Strategy<Value = MibTree> {
    proptest::collection::vec(binding(), 0..60).prop_map(|b| b.into_iter().collect())
}

/// Well-typed supply rows with adversarial numbers, so the gauge paths
/// (not only the type checks) are exercised.
fn supply_tree() -> impl Strategy<Value = MibTree> {
    let level = prop_oneof![-5i32..=120, any::<i32>()];
    let max = prop_oneof![-3i32..=200, any::<i32>()];
    proptest::collection::vec((1u32..8, level, max, proptest::option::of(1i32..20)), 0..10)
        .prop_map(|rows| {
            let mut tree = MibTree::new();
            for (i, level, max, unit) in rows {
                let at = |c: u32| Oid::from_slice(&[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, c, 1, i]);
                tree.insert(at(9), Value::Integer(level));
                tree.insert(at(8), Value::Integer(max));
                if let Some(u) = unit {
                    tree.insert(at(7), Value::Integer(u));
                }
            }
            tree
        })
}

fn check_report(tree: &MibTree) -> Result<(), TestCaseError> {
    let report = printer::interpret("127.0.0.1:161", tree);
    for s in &report.supplies {
        if let Some(p) = s.percent {
            prop_assert!(
                (0.0..=100.0).contains(&p),
                "percent {p} out of range: {s:?}"
            );
        }
        let numeric = matches!(s.gauge, Gauge::Exact | Gauge::Stepped | Gauge::OutOfRange);
        prop_assert_eq!(
            s.percent.is_some(),
            numeric,
            "gauge/percent mismatch: {:?}",
            s
        );
        prop_assert!(!s.description.contains('\0'));
    }
    if let Some(serial) = &report.serial {
        prop_assert!(!serial.is_empty() && !serial.chars().any(char::is_whitespace));
    }
    if let Some(mac) = &report.mac {
        prop_assert_eq!(mac.len(), 17);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn interpret_never_panics_on_arbitrary_trees(tree in any_tree()) {
        check_report(&tree)?;
    }

    #[test]
    fn percent_is_bounded_and_consistent_with_the_gauge(tree in supply_tree()) {
        check_report(&tree)?;
    }

    #[test]
    fn any_bytes_decode_to_clean_text(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let t = text::decode(&bytes);
        prop_assert!(!t.contains('\0'));
        prop_assert_eq!(t.trim(), t.as_str());
        let (d, part) = text::supply_description(&bytes);
        prop_assert!(!d.contains('\0'));
        if let Some(p) = part {
            prop_assert!(!p.is_empty());
        }
    }

    #[test]
    fn gauge_read_is_total(level in proptest::option::of(any::<i64>()),
                           max in proptest::option::of(any::<i64>()),
                           unit in proptest::option::of(any::<i64>())) {
        let r = gauge::read(level, max, unit);
        if let Some(p) = r.percent {
            prop_assert!((0.0..=100.0).contains(&p));
        }
        if matches!(level, Some(-3..=-1) | None) {
            prop_assert_eq!(r.percent, None);
        }
    }

    #[test]
    fn step_detection_is_total(f in proptest::collection::vec((any::<i64>(), any::<i64>()), 0..10)) {
        let _ = gauge::detect_steps(&f);
    }
}
