//! Where the status page gets its data from.
//!
//! A trait rather than a concrete type so the web layer does not depend on the
//! store or the engine, and tests can serve fixed data.

use super::view::StatusView;

/// Produces a fresh snapshot for each request.
///
/// `snapshot` is synchronous because implementations typically read SQLite; the
/// server calls it on a blocking thread, with a timeout, so a slow or panicking
/// source yields a 503 page instead of stalling or crashing the server.
pub trait StatusSource: Send + Sync + 'static {
    /// The current status, or a message saying why it is unavailable
    /// (shown to the user on the 503 page).
    fn snapshot(&self) -> Result<StatusView, String>;
}
