//! The gateway's side of a remote update: hand the command over to the
//! updater (see `crate::update`), and record its outcome when it comes
//! back — the command's answer for redeliveries, an `update_finished`
//! event upstream, a line in the journal.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use asr_cloud_sync::{CommandStatus, UpdateOrder};
use serde_json::json;
use tracing::{info, warn};

use crate::config::Config;
use crate::store::{OutboxKind, Store};
use crate::update::handover::{self, UpdateRequest};
use crate::update::signing;

/// The store key naming the update handed over and not yet finished.
const IN_PROGRESS_KEY: &str = "update_in_progress";
/// How long the gateway watches for an outcome after a hand-over; past
/// that, the next start records it.
const WATCH_FOR: Duration = Duration::from_secs(2 * 60 * 60);
const WATCH_EVERY: Duration = Duration::from_secs(2);

/// Whether command `command_id` is the update already handed over (a
/// redelivery: the updater answers it, nothing is to be done twice).
pub(crate) fn is_in_progress(store: &Store, command_id: &str) -> bool {
    store
        .meta_get(IN_PROGRESS_KEY)
        .ok()
        .flatten()
        .is_some_and(|id| id == command_id)
}

/// Checks that this gateway can be updated and leaves the request for the
/// updater; the reason it cannot otherwise.
pub(crate) fn submit(
    store: &Store,
    config: &Config,
    command_id: &str,
    order: UpdateOrder,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<PathBuf, String> {
    let key_file = &config.update.key_file;
    signing::read_public_keys(key_file).map_err(|e| {
        format!("remote updates are not set up on this gateway ({e}; see update.key_file)")
    })?;
    if config.http.listen.is_none() {
        return Err(
            "remote updates need the status page: its /healthz confirms the new version \
             (set http.listen)"
                .into(),
        );
    }
    let data_dir = &config.gateway.data_dir;
    let request = UpdateRequest {
        command_id: command_id.to_string(),
        order,
        requested_at: now,
    };
    handover::submit(data_dir, &request).map_err(|e| e.to_string())?;
    store
        .meta_set(IN_PROGRESS_KEY, command_id)
        .map_err(|e| format!("storage error: {e}"))?;
    info!(
        id = command_id,
        version = %request.order.version,
        "update handed over to the updater"
    );
    Ok(data_dir.clone())
}

/// Records every outcome the updater left: the command's answer (for a
/// redelivery), an `update_finished` event upstream; then forgets the file.
pub(crate) fn import_outcomes(store: &Store, data_dir: &Path) {
    for (path, outcome) in handover::pending_outcomes(data_dir) {
        let response = &outcome.response;
        match response.status {
            CommandStatus::Successful => {
                info!(id = %outcome.command_id, result = ?response.result, "update finished")
            }
            _ => warn!(id = %outcome.command_id, reason = ?response.reason, "update failed"),
        }
        let key = format!("update/{}", outcome.command_id);
        let recorded = serde_json::to_value(response)
            .map_err(|e| e.to_string())
            .and_then(|value| {
                store
                    .record_command_answer(&key, &value, response.updated_at)
                    .map_err(|e| e.to_string())
            });
        let event = json!({
            "event": "update_finished",
            "command_id": outcome.command_id,
            "status": response.status,
            "reason": response.reason,
            "result": response.result,
        });
        let queued = store
            .outbox_push(OutboxKind::Event, &event, chrono::Utc::now())
            .map_err(|e| e.to_string());
        if let Err(e) = recorded.and(queued) {
            // Kept for the next try rather than lost.
            warn!(error = %e, "cannot record an update outcome yet");
            continue;
        }
        if store.meta_get(IN_PROGRESS_KEY).ok().flatten().as_deref() == Some(&outcome.command_id) {
            let _ = store.meta_set(IN_PROGRESS_KEY, "");
        }
        if let Err(e) = std::fs::remove_file(&path) {
            warn!(error = %e, path = %path.display(), "cannot remove a recorded update outcome");
        }
    }
}

/// At start: records what the updater left, and keeps watching for the
/// outcome of an update still in progress — the updater writes it only
/// after it has seen this very gateway healthy.
pub(crate) fn resume(store: &Arc<Store>, data_dir: &Path) {
    import_outcomes(store, data_dir);
    if let Some(id) = store
        .meta_get(IN_PROGRESS_KEY)
        .ok()
        .flatten()
        .filter(|id| !id.is_empty())
    {
        info!(%id, "an update is in progress; waiting for the updater's outcome");
        watch(store.clone(), data_dir.to_path_buf(), id);
    }
}

/// Watches for the outcome of `command_id` while this gateway runs (an
/// update refused early leaves the gateway running, not restarted).
pub(crate) fn watch(store: Arc<Store>, data_dir: PathBuf, command_id: String) {
    tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        while started.elapsed() < WATCH_FOR {
            tokio::time::sleep(WATCH_EVERY).await;
            if handover::read_outcome(&data_dir, &command_id).is_some() {
                let (store, dir) = (store.clone(), data_dir.clone());
                let _ = tokio::task::spawn_blocking(move || import_outcomes(&store, &dir)).await;
                return;
            }
        }
    });
}
