//! Remote updates that cannot brick a site.
//!
//! The `update` command carries a package URL, its version and an ed25519
//! signature. The gateway, sandboxed and unprivileged, only hands it over
//! ([`handover`]); a root service started by systemd on that hand-over
//! (`asr-gateway apply-update`) downloads the package, checks the signature
//! against the key baked into the image ([`signing`]), installs it, waits
//! for the restarted gateway to report the new version healthy, and rolls
//! back to the kept copy of the previous package otherwise ([`apply`]). It
//! reports the outcome on the command's result topic itself: the process
//! that reports is never the one being replaced.

pub mod apply;
pub mod download;
mod error;
pub mod handover;
pub mod health;
pub mod signing;
pub mod system;

pub use error::UpdateError;
