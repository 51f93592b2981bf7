//! Configuration errors. Each names the key (or environment variable) and the
//! problem, because the person reading it is on a customer site with a
//! terminal and no debugger.

use std::path::PathBuf;

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not fit the schema.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said (names the key and line).
        message: String,
    },
    /// A key has a value that parses but makes no sense.
    #[error("config key `{key}`: {problem}")]
    Invalid {
        /// Dotted key, e.g. `mqtt.port`.
        key: String,
        /// What is wrong and what is expected.
        problem: String,
    },
    /// An `ASR_…` environment variable could not be applied.
    #[error("environment variable {var}: {problem}")]
    Env {
        /// The variable name.
        var: String,
        /// What is wrong.
        problem: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(key: &str, problem: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.to_string(),
            problem: problem.into(),
        }
    }
}
