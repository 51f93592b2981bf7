//! Named OIDs read by printer interpretation, as arc slices.
//!
//! Kept in one place so the fetch plan and the interpretation can never
//! disagree about what a poll must bring back: `fetch_plan` lists exactly
//! these, and interpretation reads nothing else.

/// sysDescr.0 (RFC 3418).
pub const SYS_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 1, 0];
/// sysObjectID.0.
pub const SYS_OBJECT_ID: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 2, 0];
/// sysUpTime.0.
pub const SYS_UPTIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
/// sysName.0.
pub const SYS_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 5, 0];

/// ifType column (IF-MIB), to prefer Ethernet ports for the MAC.
pub const IF_TYPE: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 3];
/// ifPhysAddress column, the MAC fallback identity.
pub const IF_PHYS_ADDRESS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 6];

/// hrDeviceType column (RFC 2790), to find the printer row.
pub const HR_DEVICE_TYPE: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 2];
/// hrDeviceDescr column, the preferred model name.
pub const HR_DEVICE_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3];
/// hrDeviceStatus column.
pub const HR_DEVICE_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 5];
/// hrPrinterStatus column.
pub const HR_PRINTER_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 1];
/// hrPrinterDetectedErrorState column (a BITS octet string).
pub const HR_PRINTER_ERROR_STATE: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 2];
/// hrDeviceType value that marks a printer row (hrDevicePrinter).
pub const HR_DEVICE_PRINTER: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 1, 5];

/// prtGeneralSerialNumber column (RFC 3805).
pub const PRT_GENERAL_SERIAL: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17];
/// prtMarkerLifeCount column: total impressions per marker.
pub const PRT_MARKER_LIFE_COUNT: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4];

/// prtMarkerSuppliesEntry; columns are this prefix plus one arc.
pub const SUPPLIES_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1];
/// prtMarkerSuppliesMarkerIndex column number.
pub const SUP_MARKER_INDEX: u32 = 2;
/// prtMarkerSuppliesColorantIndex column number.
pub const SUP_COLORANT_INDEX: u32 = 3;
/// prtMarkerSuppliesClass column number.
pub const SUP_CLASS: u32 = 4;
/// prtMarkerSuppliesType column number.
pub const SUP_TYPE: u32 = 5;
/// prtMarkerSuppliesDescription column number.
pub const SUP_DESCRIPTION: u32 = 6;
/// prtMarkerSuppliesSupplyUnit column number.
pub const SUP_UNIT: u32 = 7;
/// prtMarkerSuppliesMaxCapacity column number.
pub const SUP_MAX_CAPACITY: u32 = 8;
/// prtMarkerSuppliesLevel column number.
pub const SUP_LEVEL: u32 = 9;
/// Every prtMarkerSuppliesTable column a poll walks.
pub const SUP_COLUMNS: [u32; 8] = [
    SUP_MARKER_INDEX,
    SUP_COLORANT_INDEX,
    SUP_CLASS,
    SUP_TYPE,
    SUP_DESCRIPTION,
    SUP_UNIT,
    SUP_MAX_CAPACITY,
    SUP_LEVEL,
];

/// prtMarkerColorantValue column: the colour name, joined on the colorant index.
pub const COLORANT_VALUE: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 12, 1, 1, 4];

/// prtAlertEntry; columns are this prefix plus one arc.
pub const ALERT_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1];
/// prtAlertSeverityLevel column number.
pub const ALERT_SEVERITY: u32 = 2;
/// prtAlertTrainingLevel column number.
pub const ALERT_TRAINING: u32 = 3;
/// prtAlertGroup column number.
pub const ALERT_GROUP: u32 = 4;
/// prtAlertCode column number.
pub const ALERT_CODE: u32 = 7;
/// prtAlertDescription column number.
pub const ALERT_DESCRIPTION: u32 = 8;
/// Every prtAlertTable column a poll walks.
pub const ALERT_COLUMNS: [u32; 5] = [
    ALERT_SEVERITY,
    ALERT_TRAINING,
    ALERT_GROUP,
    ALERT_CODE,
    ALERT_DESCRIPTION,
];

/// The private-enterprise prefix: sysObjectID arc 6 is the vendor number.
pub const ENTERPRISES: &[u32] = &[1, 3, 6, 1, 4, 1];

/// A table column OID: `entry` + `column`.
pub fn column(entry: &[u32], column: u32) -> Vec<u32> {
    let mut arcs = entry.to_vec();
    arcs.push(column);
    arcs
}
