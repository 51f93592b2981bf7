//! What each printer maker's private MIB adds to the standard ones: its
//! name, and where it keeps the model name and the serial number when the
//! standard objects are missing.
//!
//! The vendor is taken from the sysObjectID enterprise number only, never
//! guessed from sysDescr, so a Brother print server never gets its serial
//! read from an HP OID (the Brother recording holds garbage there).

use crate::mib::Oid;

use super::oids::ENTERPRISES;

/// One printer maker, identified by its IANA enterprise number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vendor {
    /// IANA private enterprise number.
    pub enterprise: u32,
    /// Display name.
    pub name: &'static str,
    /// Private OID of the model name, if the maker has one we trust.
    pub model_oid: Option<&'static [u32]>,
    /// Private OIDs of the device serial number, tried in order.
    pub serial_oids: &'static [&'static [u32]],
}

const fn vendor(
    enterprise: u32,
    name: &'static str,
    model_oid: Option<&'static [u32]>,
    serial_oids: &'static [&'static [u32]],
) -> Vendor {
    Vendor {
        enterprise,
        name,
        model_oid,
        serial_oids,
    }
}

/// Known printer makers. Serial OIDs: HP-LASERJET-COMMON-MIB serial-number,
/// XEROX-GENERAL-MIB device detail, Ricoh serial, Lexmark hardware serial,
/// Epson identity serial, Kyocera device serial, Canon serial, Brother
/// serial, Samsung serial.
pub const VENDORS: &[Vendor] = &[
    vendor(
        11,
        "HP",
        None,
        &[&[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 4, 2, 1, 1, 3, 3, 0]],
    ),
    vendor(
        236,
        "Samsung",
        None,
        &[&[1, 3, 6, 1, 4, 1, 236, 11, 5, 1, 1, 1, 4, 0]],
    ),
    vendor(
        253,
        "Xerox",
        None,
        &[&[1, 3, 6, 1, 4, 1, 253, 8, 53, 3, 2, 1, 3, 1]],
    ),
    vendor(297, "FUJIFILM Business Innovation", None, &[]),
    vendor(
        367,
        "Ricoh",
        Some(&[1, 3, 6, 1, 4, 1, 367, 3, 2, 1, 1, 1, 1, 0]),
        &[&[1, 3, 6, 1, 4, 1, 367, 3, 2, 1, 2, 1, 4, 0]],
    ),
    vendor(
        641,
        "Lexmark",
        None,
        &[&[1, 3, 6, 1, 4, 1, 641, 2, 1, 2, 1, 6, 1]],
    ),
    vendor(674, "Dell", None, &[]),
    vendor(
        1248,
        "Epson",
        None,
        &[&[1, 3, 6, 1, 4, 1, 1248, 1, 2, 2, 1, 1, 1, 5, 1]],
    ),
    vendor(
        1347,
        "Kyocera",
        Some(&[1, 3, 6, 1, 4, 1, 1347, 43, 5, 1, 1, 1, 1]),
        &[&[1, 3, 6, 1, 4, 1, 1347, 43, 5, 1, 1, 28, 1]],
    ),
    vendor(
        1602,
        "Canon",
        Some(&[1, 3, 6, 1, 4, 1, 1602, 1, 1, 1, 1, 0]),
        &[&[1, 3, 6, 1, 4, 1, 1602, 1, 2, 1, 4, 0]],
    ),
    vendor(2001, "OKI", None, &[]),
    vendor(2385, "Sharp", None, &[]),
    vendor(
        2435,
        "Brother",
        None,
        &[&[1, 3, 6, 1, 4, 1, 2435, 2, 3, 9, 4, 2, 1, 5, 5, 1, 0]],
    ),
    vendor(
        18334,
        "Konica Minolta",
        Some(&[1, 3, 6, 1, 4, 1, 18334, 1, 1, 1, 1, 6, 2, 1, 0]),
        &[],
    ),
];

/// The enterprise number of a sysObjectID under 1.3.6.1.4.1.
pub fn enterprise_of(sys_object_id: &Oid) -> Option<u32> {
    let arcs = sys_object_id.arcs();
    arcs.starts_with(ENTERPRISES)
        .then(|| arcs.get(ENTERPRISES.len()).copied())
        .flatten()
}

/// The known vendor behind a sysObjectID.
pub fn vendor_of(sys_object_id: &Oid) -> Option<&'static Vendor> {
    let enterprise = enterprise_of(sys_object_id)?;
    VENDORS.iter().find(|v| v.enterprise == enterprise)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_comes_from_the_enterprise_arc() {
        let oid = Oid::parse("1.3.6.1.4.1.1347.41").expect("oid");
        assert_eq!(vendor_of(&oid).map(|v| v.name), Some("Kyocera"));
        let oid = Oid::parse("1.3.6.1.4.1.99999.1").expect("oid");
        assert_eq!(enterprise_of(&oid), Some(99999));
        assert!(vendor_of(&oid).is_none());
        let oid = Oid::parse("1.3.6.1.2.1.1").expect("oid");
        assert_eq!(enterprise_of(&oid), None);
    }
}
