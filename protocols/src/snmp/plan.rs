//! What to fetch from a device in one poll: a few scalars and a few table
//! subtrees. The printer module builds the plan; the SNMP client decides how
//! to fetch it in as few round trips as the protocol version allows.

use crate::mib::Oid;

/// The OIDs one poll needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchPlan {
    /// Scalar instances fetched as-is (e.g. `sysDescr.0`); answered by GET
    /// or as GETBULK non-repeaters.
    pub scalars: Vec<Oid>,
    /// Table columns or subtrees walked to their end (e.g. `prtMarkerSuppliesLevel`).
    pub subtrees: Vec<Oid>,
}
