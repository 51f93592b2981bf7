//! What one poll of one printer tells us, in the shape the gateway stores and
//! `asr-gateway poll --json` prints. This is a contract: field names follow
//! issue #3 and change only together with their consumers.

use serde::{Deserialize, Serialize};

/// Everything read from one printer in one poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrinterReport {
    /// What was polled (`host:port`).
    pub target: String,
    /// Normalised serial number, or `None` when the printer reports none
    /// (we never invent one; see [`PrinterReport::identity_key`]).
    pub serial: Option<String>,
    /// Model name (hrDeviceDescr, else vendor MIB, else sysDescr).
    pub model: Option<String>,
    /// RFC 3418 sysDescr.
    pub sys_descr: Option<String>,
    /// RFC 3418 sysObjectID, dotted.
    pub sys_object_id: Option<String>,
    /// sysName.
    pub sys_name: Option<String>,
    /// sysUpTime in hundredths of a second.
    pub uptime_ticks: Option<u32>,
    /// MAC address of the first Ethernet interface, `aa:bb:…`, the fallback key.
    pub mac: Option<String>,
    /// Total impressions (prtMarkerLifeCount of the first marker).
    pub page_count: Option<u64>,
    /// Device and printer state.
    pub status: PrinterStatus,
    /// Rows of prtAlertTable.
    pub alerts: Vec<PrinterAlert>,
    /// Rows of prtMarkerSuppliesTable, interpreted.
    pub supplies: Vec<Supply>,
    /// Why the poll failed, when it did; the other fields are then empty.
    pub error: Option<String>,
    /// Which protocol read it.
    #[serde(default)]
    pub source: ReportSource,
    /// `printer-uuid` (IPP), the key of a printer that tells no serial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

/// The protocol a report came over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportSource {
    #[default]
    Snmp,
    Ipp,
}

impl PrinterReport {
    /// An empty report for `target` that failed with `error`.
    pub fn failed(target: impl Into<String>, error: impl Into<String>) -> Self {
        Self {
            target: target.into(),
            serial: None,
            model: None,
            sys_descr: None,
            sys_object_id: None,
            sys_name: None,
            uptime_ticks: None,
            mac: None,
            page_count: None,
            status: PrinterStatus::default(),
            alerts: Vec::new(),
            supplies: Vec::new(),
            error: Some(error.into()),
            source: ReportSource::Snmp,
            uuid: None,
        }
    }

    /// The same, for a poll over `source`.
    pub fn failed_over(
        source: ReportSource,
        target: impl Into<String>,
        error: impl Into<String>,
    ) -> Self {
        Self {
            source,
            ..Self::failed(target, error)
        }
    }

    /// The stable key of this device: its serial, else `mac:<mac>`, else
    /// `uuid:<printer-uuid>`, else none. Never the IP address: DHCP moves
    /// printers.
    pub fn identity_key(&self) -> Option<String> {
        self.serial
            .clone()
            .or_else(|| self.mac.as_ref().map(|m| format!("mac:{m}")))
            .or_else(|| self.uuid.as_ref().map(|u| format!("uuid:{u}")))
    }
}

/// hrDeviceStatus, hrPrinterStatus and hrPrinterDetectedErrorState, decoded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrinterStatus {
    /// hrDeviceStatus name: unknown, running, warning, testing, down.
    pub device: Option<String>,
    /// hrPrinterStatus name: other, unknown, idle, printing, warmup.
    pub printer: Option<String>,
    /// Names of the bits set in hrPrinterDetectedErrorState
    /// (lowPaper, noPaper, lowToner, noToner, doorOpen, jammed, offline, …).
    pub errors: Vec<String>,
}

/// One prtAlertTable row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrinterAlert {
    /// Row index.
    pub index: u32,
    /// prtAlertSeverityLevel name (critical, warning, warningBinaryChangeEvent, other).
    pub severity: String,
    /// prtAlertTrainingLevel name (untrained, trained, fieldService, management, …).
    pub training_level: Option<String>,
    /// prtAlertGroup name (markerSupplies, input, cover, …).
    pub group: Option<String>,
    /// prtAlertCode name (tonerEmpty, tonerAlmostEmpty, jam, …) or the number.
    pub code: Option<String>,
    /// prtAlertDescription, cleaned.
    pub description: Option<String>,
}

/// RFC 3805 PrtMarkerSuppliesClassTC, reduced to what ordering needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplyClass {
    /// Toner, ink, drums…: the level falls as it is used.
    Consumed,
    /// Waste toner/ink bottles: the level is the space left, it falls as it fills.
    Receptacle,
    /// Anything the printer calls "other".
    Other,
}

/// How much the percent can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gauge {
    /// A real level over a real capacity.
    Exact,
    /// A real level, but the printer only reports coarse steps (10/20/25 %, 100/10/1).
    Stepped,
    /// The printer only says "some remaining" (-3): no number is honest.
    SomeRemaining,
    /// Unknown (-2, or no usable capacity).
    Unknown,
    /// Level outside 0..=capacity: clamped, flagged.
    OutOfRange,
}

/// One interpreted prtMarkerSuppliesTable row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Supply {
    /// Row index (the last arc of the OID).
    pub index: u32,
    /// Cleaned description (no NULs, no Xerox `, PN …` tail).
    pub description: String,
    /// Part number when the description carries one.
    pub part_number: Option<String>,
    /// RFC 3805 PrtMarkerSuppliesTypeTC name (toner, wasteToner, ink, …).
    pub kind: String,
    /// Consumed or receptacle.
    pub class: SupplyClass,
    /// Colour name from prtMarkerColorantTable, joined on the colorant index.
    pub colorant: Option<String>,
    /// RFC 3805 PrtMarkerSuppliesSupplyUnitTC name (percent, tenthsOfGrams, impressions, …).
    pub unit: Option<String>,
    /// Raw prtMarkerSuppliesMaxCapacity (negative codes kept).
    pub max_capacity: i64,
    /// Raw prtMarkerSuppliesLevel (negative codes kept).
    pub level: i64,
    /// Life left in percent (for a receptacle: the space left), only when honest.
    pub percent: Option<f64>,
    /// How far `percent` can be trusted.
    pub gauge: Gauge,
}
