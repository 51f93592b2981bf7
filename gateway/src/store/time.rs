//! Timestamps are stored as INTEGER milliseconds since the Unix epoch (UTC):
//! 6–8 bytes instead of a 24-byte text date, on rows written every poll, and
//! they sort and compare natively for the retention queries.

use chrono::{DateTime, Utc};

use super::StoreError;

/// A timestamp as stored.
pub(crate) fn to_db(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// A stored timestamp back; `column` names it in the error.
pub(crate) fn from_db(ms: i64, column: &'static str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or(StoreError::InvalidValue {
        column,
        value: ms.to_string(),
    })
}

/// An optional stored timestamp back.
pub(crate) fn opt_from_db(
    ms: Option<i64>,
    column: &'static str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    ms.map(|ms| from_db(ms, column)).transpose()
}
