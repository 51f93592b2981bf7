//! Why discovery, confirmation or a sweep failed, in words an operator can
//! act on. One enum for the whole discovery area, so the CLI reports every
//! failure the same way.

use std::net::SocketAddr;

/// A failed discovery step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    /// The mDNS daemon could not start or refused a command.
    #[error("mDNS daemon failed: {0}")]
    Mdns(String),
    /// The browser spawns tasks and so needs a running tokio runtime.
    #[error("mDNS browsing must be started inside a tokio runtime")]
    NoRuntime,
    /// The caller named an interface selection we cannot honour.
    #[error("no usable interface in {0:?}: give at least one interface name")]
    NoInterface(Vec<String>),
    /// A service type that DNS-SD cannot browse.
    #[error("invalid DNS-SD service type {0:?}: expected e.g. \"_ipp._tcp.local.\"")]
    ServiceType(String),
    /// The sweep's network is not written `a.b.c.d/len`.
    #[error("invalid IPv4 CIDR {input:?}: {reason}")]
    Cidr {
        /// What the caller gave.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A sweep of more than a /16 floods a customer's LAN; we refuse it.
    #[error("refusing to sweep {cidr}: a /{prefix} is larger than a /16 ({hosts} hosts)")]
    CidrTooLarge {
        /// The network asked for.
        cidr: String,
        /// Its prefix length.
        prefix: u8,
        /// How many hosts it holds.
        hosts: u64,
    },
    /// More hosts than the caller allowed.
    #[error("{cidr} holds {hosts} hosts, more than the allowed {max_hosts}")]
    TooManyHosts {
        /// The network asked for.
        cidr: String,
        /// How many hosts it holds.
        hosts: u64,
        /// The caller's limit.
        max_hosts: usize,
    },
    /// A rate of zero requests per second would never finish.
    #[error("sweep rate must be at least 1 request per second")]
    ZeroRate,
    /// The printer has no address to poll.
    #[error("printer {name:?} advertised no address")]
    NoAddress {
        /// The advertised name.
        name: String,
    },
    /// No credential got an SNMP answer at any address.
    #[error("printer {name:?} did not answer SNMP at {tried:?}: {last_error}")]
    NotConfirmed {
        /// The advertised name.
        name: String,
        /// Every address tried, in order.
        tried: Vec<SocketAddr>,
        /// The last failure (never a credential).
        last_error: String,
    },
    /// No credential was given, so nothing can be asked.
    #[error("no SNMP credentials given")]
    NoCredentials,
}
