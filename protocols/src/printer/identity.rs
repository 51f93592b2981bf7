//! Who the device is: RFC 3418 system group, model name, vendor, MAC
//! address and page count.
//!
//! The model comes from hrDeviceDescr of the printer row, else the maker's
//! private model OID, else the product part of sysDescr. The MAC is the
//! fallback identity when a printer reports no serial, so only a real
//! 6-byte unicast address of an Ethernet port qualifies.

use crate::mib::{MibTree, Oid};

use super::oids::{
    HR_DEVICE_DESCR, IF_PHYS_ADDRESS, IF_TYPE, PRT_MARKER_LIFE_COUNT, SYS_DESCR, SYS_NAME,
    SYS_OBJECT_ID, SYS_UPTIME,
};
use super::vendor::{self, Vendor};
use super::{hr_device, read, text};

/// IANA ifType ethernetCsmacd.
const IF_TYPE_ETHERNET: i64 = 6;

/// The identity fields of a report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Identity {
    /// sysDescr, cleaned.
    pub sys_descr: Option<String>,
    /// sysObjectID.
    pub sys_object_id: Option<Oid>,
    /// sysName, cleaned.
    pub sys_name: Option<String>,
    /// sysUpTime in hundredths of a second.
    pub uptime_ticks: Option<u32>,
    /// The maker, from the sysObjectID enterprise.
    pub vendor: Option<&'static Vendor>,
    /// Model name.
    pub model: Option<String>,
    /// First Ethernet MAC, `aa:bb:cc:dd:ee:ff`.
    pub mac: Option<String>,
    /// prtMarkerLifeCount of the first marker.
    pub page_count: Option<u64>,
}

/// Reads the identity of the device in `tree`.
pub fn identity(tree: &MibTree, printer_row: Option<u32>) -> Identity {
    let string = |arcs: &[u32]| read::bytes_at(tree, arcs).and_then(text::decode_non_empty);
    let sys_descr = string(SYS_DESCR);
    let sys_object_id = tree
        .get_arcs(SYS_OBJECT_ID, &[])
        .and_then(read::oid)
        .cloned();
    let vendor = sys_object_id.as_ref().and_then(vendor::vendor_of);
    let model = hr_device::printer_cell(tree, HR_DEVICE_DESCR, printer_row)
        .and_then(read::bytes)
        .and_then(text::decode_non_empty)
        .or_else(|| vendor.and_then(|v| v.model_oid).and_then(string))
        .or_else(|| sys_descr.as_deref().and_then(model_from_sys_descr));
    Identity {
        sys_name: string(SYS_NAME),
        uptime_ticks: read::integer_at(tree, SYS_UPTIME).and_then(|t| u32::try_from(t).ok()),
        mac: mac(tree),
        page_count: tree
            .column(PRT_MARKER_LIFE_COUNT)
            .find_map(|(_, v)| read::integer(v))
            .and_then(|n| u64::try_from(n).ok()),
        sys_descr,
        sys_object_id,
        vendor,
        model,
    }
}

/// The product part of a sysDescr: what comes before the first `;` (Xerox,
/// Samsung) or ` version ` (Lexmark, Dell). JetDirect banners
/// (`HP ETHERNET MULTI-ENVIRONMENT,…`) name the network card, not the
/// printer, and give nothing.
pub fn model_from_sys_descr(descr: &str) -> Option<String> {
    if descr.starts_with("HP ETHERNET") {
        return None;
    }
    let head = descr.split(';').next().unwrap_or_default();
    let head = head.split(" version ").next().unwrap_or_default().trim();
    (!head.is_empty()).then(|| head.to_owned())
}

fn mac(tree: &MibTree) -> Option<String> {
    let types = read::column_map(tree, IF_TYPE);
    let candidates: Vec<(bool, [u8; 6])> = tree
        .column(IF_PHYS_ADDRESS)
        .filter_map(|(index, value)| {
            let bytes: [u8; 6] = read::bytes(value)?.try_into().ok()?;
            let usable = bytes != [0; 6] && bytes[0] & 0x01 == 0;
            let ethernet = types.get(index).and_then(read::integer) == Some(IF_TYPE_ETHERNET);
            usable.then_some((ethernet, bytes))
        })
        .collect();
    let chosen = candidates
        .iter()
        .find(|(ethernet, _)| *ethernet)
        .or_else(|| candidates.first())?;
    Some(
        chosen
            .1
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_from_banners() {
        assert_eq!(
            model_from_sys_descr("Xerox AltaLink C8045; SS 100.002").as_deref(),
            Some("Xerox AltaLink C8045")
        );
        assert_eq!(
            model_from_sys_descr("Lexmark T640 version NS.NP.N219 kernel 2.6.6 All-N-1").as_deref(),
            Some("Lexmark T640")
        );
        assert_eq!(
            model_from_sys_descr("HP ETHERNET MULTI-ENVIRONMENT,SN:X"),
            None
        );
        assert_eq!(model_from_sys_descr(";"), None);
    }

    #[test]
    fn mac_prefers_ethernet_and_skips_empty_zero_and_multicast() {
        use crate::mib::Value;
        let mac = |b: &[u8]| Value::OctetString(b.to_vec().into());
        let t: MibTree = [
            ("1.3.6.1.2.1.2.2.1.3.1", Value::Integer(24)),
            ("1.3.6.1.2.1.2.2.1.3.4", Value::Integer(6)),
            ("1.3.6.1.2.1.2.2.1.6.1", mac(&[0x02, 0, 0, 0, 0, 1])),
            ("1.3.6.1.2.1.2.2.1.6.2", mac(&[])),
            ("1.3.6.1.2.1.2.2.1.6.3", mac(&[0x01, 0, 0x5e, 0, 0, 1])),
            (
                "1.3.6.1.2.1.2.2.1.6.4",
                mac(&[0xAC, 0xA8, 0x8E, 0x25, 0x69, 0x6C]),
            ),
        ]
        .into_iter()
        .map(|(o, v)| (Oid::parse(o).expect("oid"), v))
        .collect();
        assert_eq!(super::mac(&t).as_deref(), Some("ac:a8:8e:25:69:6c"));
        let only_zero: MibTree = [(
            Oid::parse("1.3.6.1.2.1.2.2.1.6.1").expect("oid"),
            mac(&[0; 6]),
        )]
        .into_iter()
        .collect();
        assert_eq!(super::mac(&only_zero), None);
    }
}
