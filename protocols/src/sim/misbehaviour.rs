//! The ways a simulated printer can misbehave, switchable while it runs.
//!
//! Real printers time out, answer slowly, report "unknown" levels while
//! asleep, grow endless tables and, with buggy firmware, walk backwards.
//! The client must survive every one of these, so the simulator can imitate
//! each on demand.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::mib::{MibTree, Oid, Value};

/// One way of misbehaving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Misbehaviour {
    /// A healthy printer.
    #[default]
    None,
    /// Drops every request (switched off, or firewalled).
    Timeout,
    /// Answers every request after this delay.
    Slow(Duration),
    /// In deep sleep: every supply level reads -2 ("unknown").
    Asleep,
    /// Its gauges only say "some remaining" (-3), as many printers do for
    /// third-party or chipless cartridges: the page counter is all there is.
    SomeRemaining,
    /// The alert table grows this many extra rows (never stored).
    HugeTable(u32),
    /// GETNEXT/GETBULK answers step backwards inside a column and loop
    /// between its first rows (SNMPv1/v2c; SNMPv3 stays healthy because
    /// its answers are encrypted by the real agent).
    Backwards,
}

/// A shared, run-time switchable [`Misbehaviour`].
#[derive(Debug, Clone, Default)]
pub struct MisbehaviourSwitch(Arc<RwLock<Misbehaviour>>);

impl MisbehaviourSwitch {
    /// Changes the behaviour; takes effect on the next request.
    pub fn set(&self, m: Misbehaviour) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = m;
    }

    /// The current behaviour.
    pub fn get(&self) -> Misbehaviour {
        *self.0.read().unwrap_or_else(|p| p.into_inner())
    }
}

/// prtMarkerSuppliesLevel: the column an asleep printer stops reporting.
pub(crate) const SUPPLIES_LEVEL: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9];
/// prtAlertDescription: the column a huge table grows in.
pub(crate) const ALERT_DESCRIPTION: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 8];
/// First alert index of the extra rows, far above real indexes.
const HUGE_FIRST_INDEX: u32 = 100_000;

/// The value a misbehaving printer reports for a stored binding.
pub(crate) fn shown_value(mode: Misbehaviour, oid: &Oid, value: &Value) -> Value {
    match mode {
        Misbehaviour::Asleep if oid.arcs().starts_with(SUPPLIES_LEVEL) => Value::Integer(-2),
        Misbehaviour::SomeRemaining if oid.arcs().starts_with(SUPPLIES_LEVEL) => Value::Integer(-3),
        _ => value.clone(),
    }
}

/// The i-th extra row of a huge alert table.
fn huge_row(i: u32) -> Oid {
    let mut arcs = ALERT_DESCRIPTION.to_vec();
    arcs.extend([1, HUGE_FIRST_INDEX.saturating_add(i)]);
    Oid::from_slice(&arcs)
}

fn huge_value(oid: &Oid) -> Value {
    let idx = oid.arcs().last().copied().unwrap_or_default();
    Value::OctetString(format!("Simulated alert {idx}").into_bytes().into())
}

/// The extra row at exactly `oid`, if `mode` makes one there.
fn huge_get(mode: Misbehaviour, oid: &Oid) -> Option<Value> {
    let Misbehaviour::HugeTable(n) = mode else {
        return None;
    };
    let arcs = oid.arcs();
    let rest = arcs.strip_prefix(ALERT_DESCRIPTION)?;
    match rest {
        [1, idx] if (HUGE_FIRST_INDEX..HUGE_FIRST_INDEX.saturating_add(n)).contains(idx) => {
            Some(huge_value(oid))
        }
        _ => None,
    }
}

/// The first extra row strictly after `after`, by binary search.
fn huge_next(mode: Misbehaviour, after: &Oid) -> Option<Oid> {
    let Misbehaviour::HugeTable(n) = mode else {
        return None;
    };
    let (mut lo, mut hi) = (0u32, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if huge_row(mid) > *after {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    (lo < n).then(|| huge_row(lo))
}

/// GET as a printer in `mode` answers it.
pub(crate) fn view_get(tree: &MibTree, mode: Misbehaviour, oid: &Oid) -> Option<Value> {
    if let Some(v) = huge_get(mode, oid) {
        return Some(v);
    }
    tree.get(oid).map(|v| shown_value(mode, oid, v))
}

/// GETNEXT as a correct printer in `mode` answers it.
pub(crate) fn view_next(tree: &MibTree, mode: Misbehaviour, after: &Oid) -> Option<(Oid, Value)> {
    let real = tree
        .next_after(after)
        .map(|(o, v)| (o.clone(), shown_value(mode, o, v)));
    match (real, huge_next(mode, after)) {
        (Some(r), Some(h)) if h < r.0 => {
            let v = huge_value(&h);
            Some((h, v))
        }
        (None, Some(h)) => {
            let v = huge_value(&h);
            Some((h, v))
        }
        (real, _) => real,
    }
}

/// GETNEXT as a buggy printer answers it: from a row that has a previous
/// row in the same column it steps back to that row, so a walk reads
/// row 1, row 2, row 1, row 2, ... forever.
pub(crate) fn backwards_next(tree: &MibTree, after: &Oid) -> Option<(Oid, Value)> {
    if tree.get(after).is_some() {
        let parent = &after.arcs()[..after.arcs().len().saturating_sub(1)];
        let prev = tree
            .iter()
            .take_while(|(o, _)| *o < after)
            .last()
            .filter(|(o, _)| o.arcs().len() == after.arcs().len() && o.arcs().starts_with(parent));
        if let Some((o, v)) = prev {
            return Some((o.clone(), v.clone()));
        }
    }
    tree.next_after(after).map(|(o, v)| (o.clone(), v.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(s: &str) -> Oid {
        Oid::parse(s).unwrap()
    }

    #[test]
    fn huge_table_rows_are_ordered_and_bounded() {
        let tree = MibTree::new();
        let mode = Misbehaviour::HugeTable(3);
        let col = Oid::from_slice(ALERT_DESCRIPTION);
        let mut at = col.clone();
        let mut seen = 0;
        while let Some((next, _)) = view_next(&tree, mode, &at) {
            assert!(next > at);
            at = next;
            seen += 1;
        }
        assert_eq!(seen, 3);
        assert!(view_get(&tree, mode, &huge_row(2)).is_some());
        assert!(view_get(&tree, mode, &huge_row(3)).is_none());
    }

    #[test]
    fn backwards_loops_between_first_rows() {
        let tree: MibTree = [
            (oid("1.3.6.1.2.1.43.11.1.1.9.1.1"), Value::Integer(10)),
            (oid("1.3.6.1.2.1.43.11.1.1.9.1.2"), Value::Integer(20)),
            (oid("1.3.6.1.2.1.43.11.1.1.9.1.3"), Value::Integer(30)),
        ]
        .into_iter()
        .collect();
        let col = oid("1.3.6.1.2.1.43.11.1.1.9");
        let (a, _) = backwards_next(&tree, &col).unwrap();
        let (b, _) = backwards_next(&tree, &a).unwrap();
        let (c, _) = backwards_next(&tree, &b).unwrap();
        assert_eq!(a, oid("1.3.6.1.2.1.43.11.1.1.9.1.1"));
        assert_eq!(b, oid("1.3.6.1.2.1.43.11.1.1.9.1.2"));
        assert_eq!(c, a, "steps back");
    }

    #[test]
    fn asleep_hides_levels_only() {
        let level = oid("1.3.6.1.2.1.43.11.1.1.9.1.1");
        let max = oid("1.3.6.1.2.1.43.11.1.1.8.1.1");
        assert_eq!(
            shown_value(Misbehaviour::Asleep, &level, &Value::Integer(5)),
            Value::Integer(-2)
        );
        assert_eq!(
            shown_value(Misbehaviour::Asleep, &max, &Value::Integer(5)),
            Value::Integer(5)
        );
        assert_eq!(
            shown_value(Misbehaviour::None, &level, &Value::Integer(5)),
            Value::Integer(5)
        );
        assert_eq!(
            shown_value(Misbehaviour::SomeRemaining, &level, &Value::Integer(5)),
            Value::Integer(-3)
        );
        assert_eq!(
            shown_value(Misbehaviour::SomeRemaining, &max, &Value::Integer(100)),
            Value::Integer(100)
        );
    }
}
