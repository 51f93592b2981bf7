//! An ordered set of SNMP variable bindings: what a walk of a printer returned,
//! or what a simulated printer serves.
//!
//! Interpretation code reads printers only through this type, so the same
//! logic runs on a live poll, on a recording, and in tests.

use std::collections::BTreeMap;
use std::ops::Bound;

pub use async_snmp::{Oid, Value};

/// Variable bindings ordered by OID (lexicographic on arcs, as SNMP orders them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MibTree {
    entries: BTreeMap<Oid, Value>,
}

impl MibTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Inserts a binding; returns the previous value if the OID was present.
    pub fn insert(&mut self, oid: Oid, value: Value) -> Option<Value> {
        self.entries.insert(oid, value)
    }

    /// The value bound to exactly `oid`.
    pub fn get(&self, oid: &Oid) -> Option<&Value> {
        self.entries.get(oid)
    }

    /// The value bound to `prefix` + `suffix` arcs, without allocating a
    /// joined OID for callers that already hold a prefix.
    pub fn get_arcs(&self, prefix: &[u32], suffix: &[u32]) -> Option<&Value> {
        let mut arcs = Vec::with_capacity(prefix.len() + suffix.len());
        arcs.extend_from_slice(prefix);
        arcs.extend_from_slice(suffix);
        self.entries.get(&Oid::from_slice(&arcs))
    }

    /// The first binding strictly after `oid` (SNMP GETNEXT semantics).
    pub fn next_after(&self, oid: &Oid) -> Option<(&Oid, &Value)> {
        self.entries
            .range((Bound::Excluded(oid), Bound::Unbounded))
            .next()
    }

    /// Every binding under `prefix`, in order; yields the index suffix (the
    /// arcs after the prefix) with each value — the shape of a table column.
    pub fn column<'a>(
        &'a self,
        prefix: &'a [u32],
    ) -> impl Iterator<Item = (&'a [u32], &'a Value)> + 'a {
        let start = Oid::from_slice(prefix);
        self.entries
            .range((Bound::Excluded(start), Bound::Unbounded))
            .map_while(move |(oid, value)| {
                let arcs = oid.arcs();
                if arcs.len() > prefix.len() && arcs.starts_with(prefix) {
                    Some((&arcs[prefix.len()..], value))
                } else {
                    None
                }
            })
    }

    /// All bindings in OID order.
    pub fn iter(&self) -> impl Iterator<Item = (&Oid, &Value)> {
        self.entries.iter()
    }

    /// Number of bindings.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the tree holds no binding.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keeps only the bindings under one of `prefixes`.
    pub fn retain_under(&mut self, prefixes: &[&[u32]]) {
        self.entries
            .retain(|oid, _| prefixes.iter().any(|p| oid.arcs().starts_with(p)));
    }
}

impl FromIterator<(Oid, Value)> for MibTree {
    fn from_iter<I: IntoIterator<Item = (Oid, Value)>>(iter: I) -> Self {
        Self {
            entries: iter.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(s: &str) -> Oid {
        Oid::parse(s).unwrap()
    }

    #[test]
    fn column_yields_index_suffixes_in_order_and_stops_at_the_column_end() {
        let tree: MibTree = [
            (oid("1.3.6.1.2.1.43.11.1.1.9.1.2"), Value::Integer(40)),
            (oid("1.3.6.1.2.1.43.11.1.1.9.1.10"), Value::Integer(7)),
            (oid("1.3.6.1.2.1.43.11.1.1.8.1.1"), Value::Integer(100)),
            (oid("1.3.6.1.2.1.43.11.1.1.10.1.1"), Value::Integer(1)),
        ]
        .into_iter()
        .collect();
        let col: Vec<_> = tree
            .column(&[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9])
            .map(|(idx, v)| (idx.to_vec(), v.clone()))
            .collect();
        assert_eq!(
            col,
            vec![
                (vec![1, 2], Value::Integer(40)),
                (vec![1, 10], Value::Integer(7)),
            ]
        );
    }

    #[test]
    fn next_after_is_strict() {
        let tree: MibTree = [
            (oid("1.3.6.1.2.1.1.1.0"), Value::Integer(1)),
            (oid("1.3.6.1.2.1.1.2.0"), Value::Integer(2)),
        ]
        .into_iter()
        .collect();
        let (next, _) = tree.next_after(&oid("1.3.6.1.2.1.1.1.0")).unwrap();
        assert_eq!(next, &oid("1.3.6.1.2.1.1.2.0"));
        assert!(tree.next_after(&oid("1.3.6.1.2.1.1.2.0")).is_none());
    }
}
