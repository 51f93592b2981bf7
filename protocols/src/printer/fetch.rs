//! The fetch plan of one printer poll: exactly what [`super::interpret`]
//! reads, and nothing more.
//!
//! Printers have slow, fragile SNMP agents, so a poll must fit in about
//! three round trips: one GET of the scalars (system group and the
//! vendors' private model and serial instances), and a GETBULK that walks
//! every listed table column in parallel. Columns are listed one by one for
//! that reason (walking a whole table entry would fetch column after
//! column); the tables are short (a few to ~20 rows).

use crate::mib::Oid;
use crate::snmp::plan::FetchPlan;

use super::oids::{self, ALERT_ENTRY, SUPPLIES_ENTRY};
use super::vendor::VENDORS;

/// The scalars and table columns one poll must fetch.
pub fn fetch_plan() -> FetchPlan {
    let mut scalars: Vec<Oid> = [
        oids::SYS_DESCR,
        oids::SYS_OBJECT_ID,
        oids::SYS_UPTIME,
        oids::SYS_NAME,
    ]
    .iter()
    .map(|a| Oid::from_slice(a))
    .collect();
    for v in VENDORS {
        scalars.extend(v.model_oid.iter().map(|a| Oid::from_slice(a)));
        scalars.extend(v.serial_oids.iter().map(|a| Oid::from_slice(a)));
    }

    let mut subtrees: Vec<Oid> = oids::SUP_COLUMNS
        .iter()
        .map(|&c| Oid::from_slice(&oids::column(SUPPLIES_ENTRY, c)))
        .collect();
    subtrees.extend(
        [
            oids::COLORANT_VALUE,
            oids::PRT_GENERAL_SERIAL,
            oids::PRT_MARKER_LIFE_COUNT,
            oids::HR_DEVICE_TYPE,
            oids::HR_DEVICE_DESCR,
            oids::HR_DEVICE_STATUS,
            oids::HR_PRINTER_STATUS,
            oids::HR_PRINTER_ERROR_STATE,
            oids::IF_TYPE,
            oids::IF_PHYS_ADDRESS,
        ]
        .iter()
        .map(|a| Oid::from_slice(a)),
    );
    subtrees.extend(
        oids::ALERT_COLUMNS
            .iter()
            .map(|&c| Oid::from_slice(&oids::column(ALERT_ENTRY, c))),
    );
    FetchPlan { scalars, subtrees }
}
