//! Why a poll failed, in words an operator can act on.
//!
//! Every variant names the device, because a gateway polls dozens of them and
//! a bare "timeout" in a log is useless. Messages never contain credentials.

use std::net::SocketAddr;
use std::time::Duration;

/// A failed poll.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnmpError {
    /// The device did not answer any attempt.
    #[error("no SNMP answer from {target} after {attempts} attempt(s) over {waited:?}")]
    Timeout {
        /// The device polled.
        target: SocketAddr,
        /// Requests sent, retries included.
        attempts: u32,
        /// Time spent waiting, backoff included.
        waited: Duration,
    },
    /// The device rejected our SNMPv3 user, keys or security level.
    #[error("SNMPv3 authentication failed at {target}: {detail}")]
    AuthFailed {
        /// The device polled.
        target: SocketAddr,
        /// What the device reported.
        detail: String,
    },
    /// The configured credentials cannot be used (e.g. password too short).
    #[error("invalid SNMP credentials for {target}: {detail}")]
    InvalidCredentials {
        /// The device the credentials were meant for.
        target: SocketAddr,
        /// What is wrong with them (never the secret itself).
        detail: String,
    },
    /// The device answered with something we cannot decode or that does not
    /// fit the request.
    #[error("malformed SNMP response from {target}: {detail}")]
    Malformed {
        /// The device polled.
        target: SocketAddr,
        /// What was wrong.
        detail: String,
    },
    /// The device answered with an SNMP error status.
    #[error("SNMP agent at {target} answered with error {status}")]
    Agent {
        /// The device polled.
        target: SocketAddr,
        /// The error status as the protocol names it (e.g. "genErr").
        status: String,
    },
    /// The request could not be sent or the socket failed.
    #[error("network error talking to {target}: {detail}")]
    Network {
        /// The device polled.
        target: SocketAddr,
        /// The operating system's explanation.
        detail: String,
    },
    /// Anything else the SNMP stack reported.
    #[error("SNMP failure with {target}: {detail}")]
    Other {
        /// The device polled.
        target: SocketAddr,
        /// The library's explanation.
        detail: String,
    },
}

impl SnmpError {
    /// The device this error is about.
    pub fn target(&self) -> SocketAddr {
        match self {
            Self::Timeout { target, .. }
            | Self::AuthFailed { target, .. }
            | Self::InvalidCredentials { target, .. }
            | Self::Malformed { target, .. }
            | Self::Agent { target, .. }
            | Self::Network { target, .. }
            | Self::Other { target, .. } => *target,
        }
    }

    /// True for a device that did not answer (as opposed to one that answered
    /// badly): the gateway marks it offline rather than misconfigured.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// Translates a library error (other than a timeout, which the poll
    /// loop counts itself).
    pub(crate) fn from_lib(target: SocketAddr, err: &async_snmp::Error) -> Self {
        use async_snmp::Error as E;
        use async_snmp::v3::ReportStatus as R;
        let err = err.exchange_source();
        let detail = err.to_string();
        match err {
            E::Auth { .. } => Self::AuthFailed { target, detail },
            E::Report { status, .. } => match status.as_ref() {
                R::UnknownUserName { .. }
                | R::WrongDigest { .. }
                | R::UnsupportedSecurityLevel { .. }
                | R::DecryptionError { .. } => Self::AuthFailed {
                    target,
                    detail: status.to_string(),
                },
                other => Self::Other {
                    target,
                    detail: format!("SNMPv3 report: {other}"),
                },
            },
            E::Timeout { elapsed, .. } => Self::Timeout {
                target,
                attempts: 1,
                waited: *elapsed,
            },
            E::Snmp { status, .. } => Self::Agent {
                target,
                status: status.to_string(),
            },
            E::Decode(_) | E::MalformedResponse { .. } | E::ResponseShape { .. } => {
                Self::Malformed { target, detail }
            }
            E::Network { source, .. } => Self::Network {
                target,
                detail: source.to_string(),
            },
            E::Config(_) | E::InvalidOid(_) | E::InvalidMessage(_) => {
                Self::Other { target, detail }
            }
            _ => Self::Other { target, detail },
        }
    }
}
