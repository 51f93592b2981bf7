//! Why a simulated printer or fleet could not start.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A simulator start-up failure.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Another process (or agent) already owns the address.
    #[error("cannot serve a simulated printer on {addr}: address already in use")]
    AddrInUse {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The socket could not be opened.
    #[error("cannot bind a simulated printer to {addr}: {detail}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's explanation.
        detail: String,
    },
    /// The SNMP agent refused its configuration.
    #[error("simulated SNMP agent on {addr} failed to start: {detail}")]
    Agent {
        /// The public address of the printer.
        addr: SocketAddr,
        /// The agent's explanation.
        detail: String,
    },
    /// A recordings directory could not be read.
    #[error("cannot read recordings from {path}: {detail}")]
    Recordings {
        /// The directory or file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// More printers than addresses left after the base address.
    #[error("{count} printers do not fit after base address {base}")]
    AddressSpace {
        /// The first address.
        base: std::net::Ipv4Addr,
        /// The number of printers.
        count: usize,
    },
}
