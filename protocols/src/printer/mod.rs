//! Printer-MIB (RFC 3805), HOST-RESOURCES (RFC 2790) and system (RFC 3418)
//! interpretation: from a [`MibTree`](crate::mib::MibTree) to a [`PrinterReport`].
//!
//! Interpretation is pure: the same tree always gives the same report, and
//! no input (missing columns, wrong types, garbage bytes, huge numbers)
//! makes it panic; bad values degrade to `None` / `Unknown`.
//!
//! - [`report`] — the contract types.
//! - [`fetch_plan`] — what a poll must fetch for [`interpret`].
//! - [`gauge`] — the level/capacity rules (the heart of it).
//! - [`supplies`], [`status`], [`alerts`], [`identity`], [`serial`] — one
//!   part of the report each; [`text`], [`enums`], [`vendor`], [`oids`]
//!   support them.

pub mod alerts;
pub mod enums;
pub mod fetch;
pub mod gauge;
pub mod hr_device;
pub mod identity;
pub mod oids;
pub mod read;
pub mod report;
pub mod serial;
pub mod status;
pub mod supplies;
pub mod text;
pub mod vendor;

use crate::mib::MibTree;

pub use fetch::fetch_plan;
pub use report::{
    Gauge, PrinterAlert, PrinterReport, PrinterStatus, ReportSource, Supply, SupplyClass,
};

/// Interprets one poll (or recording) of the printer at `target`.
pub fn interpret(target: &str, tree: &MibTree) -> PrinterReport {
    let row = hr_device::printer_row(tree);
    let id = identity::identity(tree, row);
    PrinterReport {
        target: target.to_owned(),
        serial: serial::serial(tree, id.vendor, id.sys_descr.as_deref()),
        model: id.model,
        sys_descr: id.sys_descr,
        sys_object_id: id.sys_object_id.map(|o| o.to_string()),
        sys_name: id.sys_name,
        uptime_ticks: id.uptime_ticks,
        mac: id.mac,
        page_count: id.page_count,
        status: status::status(tree, row),
        alerts: alerts::alerts(tree),
        supplies: supplies::supplies(tree),
        error: None,
        source: report::ReportSource::Snmp,
        uuid: None,
    }
}
