//! Tolerant typed reads of MIB values.
//!
//! Printers answer with the wrong ASN.1 type surprisingly often (a level as
//! Gauge32, a serial as an OID, a Counter64 where a Counter32 belongs).
//! These helpers accept every reasonable encoding and turn anything else
//! into `None`, so interpretation never has to match on `Value` itself.

use std::collections::BTreeMap;

use crate::mib::{MibTree, Oid, Value};

/// A signed integer from Integer, Gauge32, Counter32, TimeTicks or Counter64
/// (when it fits in `i64`). Strings and other types give `None`.
pub fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(v) => Some(i64::from(*v)),
        Value::Gauge32(v) | Value::UInteger32(v) | Value::Counter32(v) | Value::TimeTicks(v) => {
            Some(i64::from(*v))
        }
        Value::Counter64(v) => i64::try_from(*v).ok(),
        _ => None,
    }
}

/// The raw bytes of an OCTET STRING-like value.
pub fn bytes(value: &Value) -> Option<&[u8]> {
    match value {
        Value::OctetString(b) | Value::Opaque(b) | Value::Nsap(b) => Some(b),
        _ => None,
    }
}

/// An OBJECT IDENTIFIER value.
pub fn oid(value: &Value) -> Option<&Oid> {
    match value {
        Value::ObjectIdentifier(o) => Some(o),
        _ => None,
    }
}

/// The integer at exactly `arcs`.
pub fn integer_at(tree: &MibTree, arcs: &[u32]) -> Option<i64> {
    tree.get_arcs(arcs, &[]).and_then(integer)
}

/// The bytes at exactly `arcs`.
pub fn bytes_at<'a>(tree: &'a MibTree, arcs: &[u32]) -> Option<&'a [u8]> {
    tree.get_arcs(arcs, &[]).and_then(bytes)
}

/// A whole column keyed by its index suffix, for joins on the index.
/// Values are cloned (cheap: byte strings are reference-counted).
pub fn column_map(tree: &MibTree, column: &[u32]) -> BTreeMap<Vec<u32>, Value> {
    tree.column(column)
        .map(|(index, value)| (index.to_vec(), value.clone()))
        .collect()
}
