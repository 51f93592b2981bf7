//! Which HOST-RESOURCES hrDeviceTable row is the printer.
//!
//! Model name and device status live in that row. Most printers use row 1,
//! but multifunction devices list scanners, fax and disks too (the Konica
//! recording has four rows), so the row whose hrDeviceType is
//! hrDevicePrinter wins; without a type column the first row is used.

use crate::mib::{MibTree, Value};

use super::oids::{HR_DEVICE_PRINTER, HR_DEVICE_TYPE};
use super::read;

/// The hrDeviceIndex of the printer row, when hrDeviceType names one.
pub fn printer_row(tree: &MibTree) -> Option<u32> {
    tree.column(HR_DEVICE_TYPE).find_map(|(index, value)| {
        let is_printer = read::oid(value).is_some_and(|o| o.arcs() == HR_DEVICE_PRINTER);
        match index {
            [row] if is_printer => Some(*row),
            _ => None,
        }
    })
}

/// The value of `column` for the printer row, or else the column's first
/// single-arc row (for tables such as hrPrinterTable that may exist
/// without hrDeviceType).
pub fn printer_cell<'a>(
    tree: &'a MibTree,
    column: &'a [u32],
    row: Option<u32>,
) -> Option<&'a Value> {
    if let Some(v) = row.and_then(|r| tree.get_arcs(column, &[r])) {
        return Some(v);
    }
    tree.column(column)
        .find(|(index, _)| index.len() == 1)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mib::Oid;

    #[test]
    fn the_printer_row_wins_over_the_first_row() {
        let t: MibTree = [
            (
                "1.3.6.1.2.1.25.3.2.1.2.1",
                Value::ObjectIdentifier(Oid::from_slice(&[1, 3, 6, 1, 2, 1, 25, 3, 1, 6])),
            ),
            (
                "1.3.6.1.2.1.25.3.2.1.2.2",
                Value::ObjectIdentifier(Oid::from_slice(HR_DEVICE_PRINTER)),
            ),
            (
                "1.3.6.1.2.1.25.3.2.1.3.1",
                Value::OctetString(b"Disk".to_vec().into()),
            ),
            (
                "1.3.6.1.2.1.25.3.2.1.3.2",
                Value::OctetString(b"Printer".to_vec().into()),
            ),
        ]
        .into_iter()
        .map(|(o, v)| (Oid::parse(o).expect("oid"), v))
        .collect();
        let row = printer_row(&t);
        assert_eq!(row, Some(2));
        let descr = &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3];
        assert_eq!(
            printer_cell(&t, descr, row).and_then(read::bytes),
            Some(&b"Printer"[..])
        );
        assert_eq!(
            printer_cell(&t, descr, None).and_then(read::bytes),
            Some(&b"Disk"[..])
        );
    }
}
