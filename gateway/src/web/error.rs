//! Errors of the status page server.
//!
//! Only starting and running the server can fail; request-level problems
//! (bad query, unavailable status) are answered with an HTTP status instead.

use std::io;
use std::net::SocketAddr;

/// Why the status page server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Another process already listens on the address.
    #[error(
        "cannot serve the status page on {addr}: the address is already in use \
         (another asr-gateway or web server is running; choose another port)"
    )]
    AddrInUse {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Binding failed for another reason (permission, address not local…).
    #[error("cannot serve the status page on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The server stopped on an I/O error.
    #[error("the status page server on {addr} failed: {source}")]
    Serve {
        /// The address served.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}
