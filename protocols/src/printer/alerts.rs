//! prtAlertTable (RFC 3805) rows: what the printer itself is complaining
//! about, with enum numbers turned into their standard names.

use std::collections::BTreeSet;

use crate::mib::MibTree;
use crate::printer::report::PrinterAlert;

use super::oids::{self, ALERT_ENTRY};
use super::{enums, read, text};

/// Every alert row, in index order. A row exists when any alert column has
/// it; a missing or unassigned severity reads `other`, other unassigned
/// numbers are kept as their number.
pub fn alerts(tree: &MibTree) -> Vec<PrinterAlert> {
    let columns: Vec<_> = oids::ALERT_COLUMNS
        .iter()
        .map(|&c| (c, read::column_map(tree, &oids::column(ALERT_ENTRY, c))))
        .collect();
    let cell = |col: u32, index: &[u32]| {
        columns
            .iter()
            .find(|(c, _)| *c == col)
            .and_then(|(_, m)| m.get(index))
    };
    let int = |col: u32, index: &[u32]| cell(col, index).and_then(read::integer);
    let named = |col: u32, index: &[u32], names: fn(i64) -> Option<&'static str>| {
        int(col, index).map(|n| names(n).map_or_else(|| n.to_string(), str::to_owned))
    };
    let indices: BTreeSet<Vec<u32>> = columns
        .iter()
        .flat_map(|(_, m)| m.keys().cloned())
        .collect();
    indices
        .iter()
        .map(|index| PrinterAlert {
            index: index.last().copied().unwrap_or_default(),
            severity: int(oids::ALERT_SEVERITY, index)
                .and_then(enums::alert_severity)
                .unwrap_or("other")
                .to_owned(),
            training_level: named(oids::ALERT_TRAINING, index, enums::alert_training),
            group: named(oids::ALERT_GROUP, index, enums::alert_group),
            code: named(oids::ALERT_CODE, index, enums::alert_code),
            description: cell(oids::ALERT_DESCRIPTION, index)
                .and_then(read::bytes)
                .and_then(text::decode_non_empty),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mib::{Oid, Value};

    #[test]
    fn decodes_names_and_keeps_unknown_numbers() {
        let t: MibTree = [
            ("1.3.6.1.2.1.43.18.1.1.2.1.7", Value::Integer(3)),
            ("1.3.6.1.2.1.43.18.1.1.3.1.7", Value::Integer(3)),
            ("1.3.6.1.2.1.43.18.1.1.4.1.7", Value::Integer(11)),
            ("1.3.6.1.2.1.43.18.1.1.7.1.7", Value::Integer(1101)),
            (
                "1.3.6.1.2.1.43.18.1.1.8.1.7",
                Value::OctetString(b"Toner empty\0".to_vec().into()),
            ),
            ("1.3.6.1.2.1.43.18.1.1.7.1.9", Value::Integer(4242)),
        ]
        .into_iter()
        .map(|(o, v)| (Oid::parse(o).expect("oid"), v))
        .collect();
        let a = alerts(&t);
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].index, 7);
        assert_eq!(a[0].severity, "critical");
        assert_eq!(a[0].training_level.as_deref(), Some("untrained"));
        assert_eq!(a[0].group.as_deref(), Some("markerSupplies"));
        assert_eq!(a[0].code.as_deref(), Some("markerTonerEmpty"));
        assert_eq!(a[0].description.as_deref(), Some("Toner empty"));
        assert_eq!(a[1].severity, "other");
        assert_eq!(a[1].code.as_deref(), Some("4242"));
    }
}
