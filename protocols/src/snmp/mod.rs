//! The SNMP client side: fetch plans, credentials and the poll that runs them.

pub mod baseline_plan;
pub mod credentials;
pub mod error;
pub mod plan;
pub mod poll;
mod rto;

pub use credentials::{AuthProtocol, Credentials, PrivProtocol, UnknownProtocol, V3Credentials};
pub use error::SnmpError;
pub use plan::FetchPlan;
pub use poll::{Fetched, PollOptions, Truncation, TruncationReason, fetch};
