//! What a subcommand can fail with, and the exit status each maps to.

use crate::config::ConfigError;

/// A subcommand failure, printed as `error: …` on stderr.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Bad configuration or arguments: exit status 2, nothing was touched.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// Bad command-line usage beyond what the parser checks: exit status 2.
    #[error("{0}")]
    Usage(String),
    /// The gateway could not start or stopped on an error: exit status 1.
    #[error("{0}")]
    Runtime(String),
    /// Reading or writing a file or stream failed: exit status 1.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl CommandError {
    /// The process exit status for this error.
    pub fn exit_status(&self) -> u8 {
        match self {
            Self::Config(_) | Self::Usage(_) => 2,
            Self::Runtime(_) | Self::Io(_) => 1,
        }
    }
}
