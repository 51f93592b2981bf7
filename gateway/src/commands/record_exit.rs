//! `asr-gateway record-exit --data-dir DIR`: run by systemd after the
//! service stops (`ExecStopPost=`), it keeps what systemd says of the stop
//! (`SERVICE_RESULT`, `EXIT_CODE`, `EXIT_STATUS`) when it was a failure, so
//! the next start can say so on the page and upstream — a gateway that
//! failed and came back (after an upgrade, say) does not look as if nothing
//! happened. Failures since the last good start are counted.

use std::path::Path;
use std::process::ExitCode;

use serde::{Deserialize, Serialize};

use super::CommandError;

/// The file, in the data directory.
pub const FILE: &str = "last-failure.json";

/// Failed stops since the gateway last started well.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failures {
    /// How many.
    pub count: u32,
    /// The last one: systemd's result (`exit-code`, `signal`, `watchdog`,
    /// `timeout`, `core-dump`…), code and status.
    pub result: String,
    pub code: String,
    pub status: String,
    /// When (UTC, RFC 3339).
    pub at: String,
}

/// Records the stop described by systemd's variables; a clean stop records
/// nothing.
pub fn run(data_dir: &Path) -> Result<ExitCode, CommandError> {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let result = var("SERVICE_RESULT");
    if result.is_empty() || result == "success" {
        return Ok(ExitCode::SUCCESS);
    }
    let previous = read(data_dir).map_or(0, |f| f.count);
    let failures = Failures {
        count: previous.saturating_add(1),
        result,
        code: var("EXIT_CODE"),
        status: var("EXIT_STATUS"),
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let json = serde_json::to_string(&failures)
        .map_err(|e| CommandError::Runtime(format!("failure record: {e}")))?;
    std::fs::write(data_dir.join(FILE), json)?;
    Ok(ExitCode::SUCCESS)
}

/// The failures recorded in `data_dir`, if any.
pub fn read(data_dir: &Path) -> Option<Failures> {
    serde_json::from_str(&std::fs::read_to_string(data_dir.join(FILE)).ok()?).ok()
}

/// Consumes the record at a good start: what to tell, once.
pub fn take(data_dir: &Path) -> Option<Failures> {
    let failures = read(data_dir)?;
    let _ = std::fs::remove_file(data_dir.join(FILE));
    Some(failures)
}

impl Failures {
    /// One line for the page and the journal.
    pub fn describe(&self) -> String {
        format!(
            "the gateway stopped on a failure {} time(s) before this start (last at {}: {} {}={}); \
             see journalctl -u asr-gateway",
            self.count, self.at, self.result, self.code, self.status
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_until_taken() {
        let dir = tempfile::tempdir().unwrap();
        assert!(take(dir.path()).is_none());
        std::fs::write(
            dir.path().join(FILE),
            r#"{"count":1,"result":"exit-code","code":"exited","status":"1","at":"2026-12-04T00:00:00Z"}"#,
        )
        .unwrap();
        let f = take(dir.path()).unwrap();
        assert_eq!(f.count, 1);
        assert!(
            f.describe().contains("exit-code exited=1"),
            "{}",
            f.describe()
        );
        assert!(take(dir.path()).is_none(), "told once");
    }
}
