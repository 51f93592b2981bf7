//! Device and printer state from HOST-RESOURCES (RFC 2790): hrDeviceStatus,
//! hrPrinterStatus and the hrPrinterDetectedErrorState bit string.

use crate::mib::MibTree;
use crate::printer::report::PrinterStatus;

use super::oids::{HR_DEVICE_STATUS, HR_PRINTER_ERROR_STATE, HR_PRINTER_STATUS};
use super::{enums, hr_device, read};

/// Decodes the three status objects of the printer row. Unknown numbers
/// give `None`; unassigned error bits are named `bitN` so nothing the
/// printer said is lost.
pub fn status(tree: &MibTree, row: Option<u32>) -> PrinterStatus {
    let name = |column: &[u32], names: fn(i64) -> Option<&'static str>| {
        hr_device::printer_cell(tree, column, row)
            .and_then(read::integer)
            .and_then(names)
            .map(str::to_owned)
    };
    let errors = hr_device::printer_cell(tree, HR_PRINTER_ERROR_STATE, row)
        .and_then(read::bytes)
        .map(error_names)
        .unwrap_or_default();
    PrinterStatus {
        device: name(HR_DEVICE_STATUS, enums::device_status),
        printer: name(HR_PRINTER_STATUS, enums::printer_status),
        errors,
    }
}

/// Names of the bits set in a BITS value; bit 0 is the most significant
/// bit of the first octet (SMIv2 BITS encoding).
pub fn error_names(bits: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    // More than a few octets is garbage, not a longer bit list.
    for (octet_no, octet) in bits.iter().take(8).enumerate() {
        for bit_in_octet in 0..8 {
            if octet & (0x80 >> bit_in_octet) != 0 {
                let bit = octet_no * 8 + bit_in_octet;
                names
                    .push(enums::error_bit(bit).map_or_else(|| format!("bit{bit}"), str::to_owned));
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_zero_is_the_msb_of_the_first_octet() {
        assert_eq!(error_names(&[0x80]), vec!["lowPaper"]);
        assert_eq!(error_names(&[0x20, 0x00]), vec!["lowToner"]);
        assert_eq!(error_names(&[0x00, 0x80]), vec!["inputTrayMissing"]);
        assert_eq!(
            error_names(&[0x01, 0x01]),
            vec!["serviceRequested", "bit15"]
        );
        assert!(error_names(&[]).is_empty());
    }
}
