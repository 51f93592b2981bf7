//! The files through which the gateway and the updater talk.
//!
//! The gateway runs sandboxed as its own user and cannot install anything;
//! the updater runs as root and is started by systemd when a request
//! appears (`asr-gateway-update.path`). Both live in `<data_dir>/update/`:
//! - `request.json` — written (atomically) by the gateway when an `update`
//!   command arrives; taken by the updater when it starts. The updater
//!   treats it as untrusted input: the package's signature is what counts.
//! - `outcome-<command id>.json` — written by the updater when it is done;
//!   the gateway (the new one, or the old one after a rollback) records it
//!   as the command's answer, so a redelivered command gets it again, and
//!   tells it upstream as an `update_finished` event.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use asr_cloud_sync::{CommandResponse, UpdateOrder};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::UpdateError;

/// The request and outcome files are small JSON documents.
const MAX_FILE: u64 = 64 * 1024;
const REQUEST_FILE: &str = "request.json";

/// The directory of the hand-over files under the data directory.
pub fn update_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("update")
}

/// Where the gateway leaves a request (what the path unit watches).
pub fn request_path(data_dir: &Path) -> PathBuf {
    update_dir(data_dir).join(REQUEST_FILE)
}

/// An `update` command handed from the gateway to the updater.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateRequest {
    /// The command's id: the outcome is answered on its result topic.
    pub command_id: String,
    pub order: UpdateOrder,
    pub requested_at: DateTime<Utc>,
}

/// What the updater did, for the gateway to record and tell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateOutcome {
    pub command_id: String,
    /// The final answer, as published on the command's result topic.
    pub response: CommandResponse,
}

/// Leaves `request` for the updater. Refused while another one waits.
pub fn submit(data_dir: &Path, request: &UpdateRequest) -> Result<(), UpdateError> {
    let dir = update_dir(data_dir);
    std::fs::create_dir_all(&dir).map_err(|e| UpdateError::io(dir.display(), e))?;
    let path = dir.join(REQUEST_FILE);
    if let Ok(waiting) = read_json::<UpdateRequest>(&path) {
        return Err(UpdateError::Request(format!(
            "update {} (to {}) is still in progress",
            waiting.command_id, waiting.order.version
        )));
    }
    let text = serde_json::to_vec_pretty(request)
        .map_err(|e| UpdateError::Request(format!("cannot encode the request: {e}")))?;
    write_atomic(&path, &text, 0o640)
}

/// Reads a request file, bounded in size.
pub fn read_request(path: &Path) -> Result<UpdateRequest, UpdateError> {
    read_json(path)
}

/// Records `outcome` for the gateway (readable by it, whoever writes it).
pub fn write_outcome(data_dir: &Path, outcome: &UpdateOutcome) -> Result<PathBuf, UpdateError> {
    let dir = update_dir(data_dir);
    std::fs::create_dir_all(&dir).map_err(|e| UpdateError::io(dir.display(), e))?;
    let path = dir.join(outcome_name(&outcome.command_id));
    let text = serde_json::to_vec_pretty(outcome)
        .map_err(|e| UpdateError::Request(format!("cannot encode the outcome: {e}")))?;
    write_atomic(&path, &text, 0o644)?;
    Ok(path)
}

/// The outcome of command `command_id`, when the updater has written it.
pub fn read_outcome(data_dir: &Path, command_id: &str) -> Option<UpdateOutcome> {
    read_json(&update_dir(data_dir).join(outcome_name(command_id))).ok()
}

/// Every outcome waiting to be recorded, oldest first.
pub fn pending_outcomes(data_dir: &Path) -> Vec<(PathBuf, UpdateOutcome)> {
    let Ok(entries) = std::fs::read_dir(update_dir(data_dir)) else {
        return Vec::new();
    };
    let mut found: Vec<(PathBuf, UpdateOutcome)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("outcome-") && n.ends_with(".json"))
        })
        .filter_map(|p| read_json(&p).ok().map(|o| (p, o)))
        .collect();
    found.sort_by_key(|(_, o)| o.response.updated_at);
    found
}

fn outcome_name(command_id: &str) -> String {
    // Command ids are topic segments; keep only what is safe in a file name.
    let safe: String = command_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("outcome-{safe}.json")
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, UpdateError> {
    let file = std::fs::File::open(path).map_err(|e| UpdateError::io(path.display(), e))?;
    let len = file
        .metadata()
        .map_err(|e| UpdateError::io(path.display(), e))?
        .len();
    if len > MAX_FILE {
        return Err(UpdateError::Request(format!(
            "{} is {len} bytes, over {MAX_FILE}",
            path.display()
        )));
    }
    serde_json::from_reader(std::io::BufReader::new(file))
        .map_err(|e| UpdateError::Request(format!("{}: {e}", path.display())))
}

fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), UpdateError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("json.tmp");
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        UpdateError::io(path.display(), e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use asr_cloud_sync::CommandStatus;

    fn request(id: &str) -> UpdateRequest {
        UpdateRequest {
            command_id: id.into(),
            order: UpdateOrder {
                url: "https://pkg.example.com/a.deb".into(),
                version: "0.2.0-1".into(),
                signature: format!("{}==", "A".repeat(86)),
                health_timeout_seconds: 60,
            },
            requested_at: Utc::now(),
        }
    }

    #[test]
    fn one_request_at_a_time_and_outcomes_are_found() {
        let dir = tempfile::tempdir().expect("dir");
        submit(dir.path(), &request("u1")).expect("first");
        let err = submit(dir.path(), &request("u2")).expect_err("second waits");
        assert!(err.to_string().contains("u1"), "{err}");
        assert_eq!(
            read_request(&request_path(dir.path())).expect("read"),
            request("u1").clone_with_time(&read_request(&request_path(dir.path())).expect("read"))
        );

        let outcome = UpdateOutcome {
            command_id: "u1/../x".into(),
            response: CommandResponse::new("u1/../x", CommandStatus::Successful),
        };
        let path = write_outcome(dir.path(), &outcome).expect("outcome");
        assert_eq!(path.parent(), Some(update_dir(dir.path()).as_path()));
        assert_eq!(read_outcome(dir.path(), "u1/../x"), Some(outcome.clone()));
        assert_eq!(pending_outcomes(dir.path()), vec![(path, outcome)]);
    }

    #[test]
    fn an_oversized_request_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("r.json");
        std::fs::write(&path, vec![b' '; 70 * 1024]).expect("write");
        let err = read_request(&path).expect_err("too big");
        assert!(err.to_string().contains("over"), "{err}");
    }

    impl UpdateRequest {
        fn clone_with_time(&self, other: &UpdateRequest) -> UpdateRequest {
            UpdateRequest {
                requested_at: other.requested_at,
                ..self.clone()
            }
        }
    }
}
