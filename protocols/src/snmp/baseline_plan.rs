//! A Printer-MIB fetch plan for tests, the simulator and first polls, until
//! the printer module derives its own; and the helper that says which part
//! of a device's MIB a plan covers.
//!
//! Tables are walked column by column (one GETBULK repeater per column), so
//! that an agent returns the rows of every column in parallel instead of the
//! whole table one column after the other.

use super::plan::FetchPlan;
use crate::mib::{MibTree, Oid};

const SYSTEM_SCALARS: [&[u32]; 4] = [
    &[1, 3, 6, 1, 2, 1, 1, 1, 0], // sysDescr
    &[1, 3, 6, 1, 2, 1, 1, 2, 0], // sysObjectID
    &[1, 3, 6, 1, 2, 1, 1, 3, 0], // sysUpTime
    &[1, 3, 6, 1, 2, 1, 1, 5, 0], // sysName
];

/// (table entry, first column, last column) of the tables walked by column.
const TABLE_COLUMNS: [(&[u32], u32, u32); 3] = [
    (&[1, 3, 6, 1, 2, 1, 43, 11, 1, 1], 2, 9), // prtMarkerSuppliesEntry
    (&[1, 3, 6, 1, 2, 1, 43, 12, 1, 1], 2, 5), // prtMarkerColorantEntry
    (&[1, 3, 6, 1, 2, 1, 43, 18, 1, 1], 2, 9), // prtAlertEntry
];

const SINGLE_COLUMNS: [&[u32]; 7] = [
    &[1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4], // prtMarkerLifeCount
    &[1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17], // prtGeneralSerialNumber
    &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3],  // hrDeviceDescr
    &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 5],  // hrDeviceStatus
    &[1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 1],  // hrPrinterStatus
    &[1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 2],  // hrPrinterDetectedErrorState
    &[1, 3, 6, 1, 2, 1, 2, 2, 1, 6],      // ifPhysAddress
];

impl FetchPlan {
    /// System group scalars, the marker supplies / colorant / alert tables
    /// by column, life counts, serial number, host-resources device and
    /// printer status, and interface MAC addresses.
    pub fn printer_baseline() -> Self {
        let scalars = SYSTEM_SCALARS.iter().map(|a| Oid::from_slice(a)).collect();
        let mut subtrees = Vec::new();
        for (entry, first, last) in TABLE_COLUMNS {
            for col in first..=last {
                let mut arcs = entry.to_vec();
                arcs.push(col);
                subtrees.push(Oid::from_slice(&arcs));
            }
        }
        subtrees.extend(SINGLE_COLUMNS.iter().map(|a| Oid::from_slice(a)));
        Self { scalars, subtrees }
    }

    /// True if a poll of this plan would return `oid` when the device has it.
    pub fn covers(&self, oid: &Oid) -> bool {
        self.scalars.contains(oid)
            || self
                .subtrees
                .iter()
                .any(|root| oid.starts_with(root) && oid != root)
    }

    /// The part of `tree` a poll of this plan returns: what a perfect
    /// device serving `tree` would answer. Tests compare polls against it.
    pub fn expected_from(&self, tree: &MibTree) -> MibTree {
        tree.iter()
            .filter(|(oid, _)| self.covers(oid))
            .map(|(o, v)| (o.clone(), v.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mib::Value;

    #[test]
    fn baseline_walks_columns_and_covers_only_their_rows() {
        let plan = FetchPlan::printer_baseline();
        assert_eq!(plan.scalars.len(), 4);
        assert_eq!(plan.subtrees.len(), 8 + 4 + 8 + 7);
        let level = Oid::parse("1.3.6.1.2.1.43.11.1.1.9.1.1").unwrap();
        assert!(plan.covers(&level));
        assert!(!plan.covers(&Oid::parse("1.3.6.1.2.1.43.11.1.1.9").unwrap()));
        assert!(!plan.covers(&Oid::parse("1.3.6.1.2.1.43.11.1.1.10.1.1").unwrap()));
        assert!(!plan.covers(&Oid::parse("1.3.6.1.2.1.1.4.0").unwrap()));
        let tree: MibTree = [
            (level.clone(), Value::Integer(5)),
            (Oid::parse("1.3.6.1.2.1.1.4.0").unwrap(), Value::Integer(1)),
        ]
        .into_iter()
        .collect();
        let exp = plan.expected_from(&tree);
        assert_eq!(exp.len(), 1);
        assert!(exp.get(&level).is_some());
    }
}
