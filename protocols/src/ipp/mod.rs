//! IPP (RFC 8010/8011, PWG 5100.13): reading supplies from printers whose
//! SNMP is switched off.
//!
//! - [`client`] — one Get-Printer-Attributes over HTTP(S), certificates pinned.
//! - [`codec`] — the IPP/1.1 binary message format, encoded and decoded
//!   with bounds (a printer is untrusted input).
//! - [`report`] — an answer as the same `PrinterReport` SNMP gives.
//! - [`responder`] — the printer side, for the simulator: a report answered over IPP.
//! - [`supply`] — `printer-supply` (PWG 5100.13) and the older `marker-*`
//!   attributes into the same [`Supply`](crate::printer::Supply) values SNMP
//!   gives.

pub mod client;
pub mod codec;
pub mod report;
pub mod responder;
pub mod supply;

pub use client::{IppClient, IppError, IppUrl};

/// One poll of a printer over IPP: its report (`"source": "ipp"`) and the
/// certificate fingerprint to pin (IPPS).
pub async fn read_printer(
    client: &IppClient,
    url: &IppUrl,
    pinned: Option<&str>,
) -> Result<(crate::printer::PrinterReport, Option<String>), IppError> {
    let answer = client
        .get_printer_attributes(url, client::REQUESTED, pinned)
        .await?;
    Ok((
        report::interpret(&url.to_string(), &answer.message),
        answer.certificate,
    ))
}
