//! Why an update step failed.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum UpdateError {
    #[error("update key: {0}")]
    Key(String),
    #[error("update request: {0}")]
    Request(String),
    #[error("{0}")]
    Io(String),
}

impl UpdateError {
    pub(crate) fn io(what: impl std::fmt::Display, e: std::io::Error) -> UpdateError {
        UpdateError::Io(format!("{what}: {e}"))
    }
}
