//! The gateway's reaction to its storage failing. Every write reports to
//! the store's storage health; this task turns a change of that state into
//! action: the retained status is published again at once, an alert goes
//! upstream (stored if it can be, else from memory), a full disk gets room
//! made (the reserve released, telemetry thinned, old readings folded, the
//! WAL truncated), and once the filesystem has room again the reserve is
//! written back and the storage declared healthy.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::clock::Clock;
use super::memory_door::MemoryDoor;
use super::uplink_glue;
use crate::store::{DecisionBatch, NewAlert, OutboxKind, StorageState, Store};

/// How often the state is looked at (an atomic read).
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// How often room is made again while the disk stays full.
const ROOM_AGAIN_EVERY: Duration = Duration::from_secs(60);
/// How often a full disk is checked for room to resume (a `statvfs`).
const RESUME_CHECK_EVERY: Duration = Duration::from_secs(5);

/// What the watch needs.
pub(crate) struct StorageWatch {
    pub store: Arc<Store>,
    pub status_tx: Arc<watch::Sender<asr_cloud_sync::StatusPayload>>,
    pub memory: Arc<MemoryDoor>,
    pub clock: Arc<dyn Clock>,
    pub gateway_id: String,
    pub version: String,
    /// Raw readings are kept this long (older ones may be folded to make room).
    pub readings_kept: chrono::Duration,
}

impl StorageWatch {
    /// Runs until shutdown.
    pub(crate) async fn run(self, shutdown: CancellationToken) {
        let watch = Arc::new(self);
        {
            let watch = watch.clone();
            let held = blocking(move || watch.store.hold_reserve()).await;
            if let Some(Err(e)) = held {
                warn!(error = %e, "no room for the storage reserve: a full disk would find no room for orders");
            }
        }
        let mut last = watch.store.storage().state();
        let mut last_room: Option<Instant> = None;
        let mut last_resume_check: Option<Instant> = None;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(CHECK_EVERY) => {}
            }
            let now = watch.store.storage().state();
            if now == StorageState::Full
                && last_room.is_none_or(|t| t.elapsed() >= ROOM_AGAIN_EVERY)
            {
                last_room = Some(Instant::now());
                let w = watch.clone();
                blocking(move || w.make_room()).await;
            }
            if now == StorageState::Full
                && last_resume_check.is_none_or(|t| t.elapsed() >= RESUME_CHECK_EVERY)
            {
                last_resume_check = Some(Instant::now());
                let w = watch.clone();
                blocking(move || w.resume_if_room()).await;
            }
            let now = watch.store.storage().state();
            if now == last {
                continue;
            }
            let before = std::mem::replace(&mut last, now);
            if now == StorageState::Ok {
                last_room = None;
            }
            let w = watch.clone();
            blocking(move || {
                w.alert(before, now);
                let status = uplink_glue::status_payload(&w.store, &w.gateway_id, &w.version);
                let _ = w.status_tx.send(status);
            })
            .await;
        }
    }

    fn make_room(&self) {
        let readings_before = self.clock.now() - self.readings_kept;
        let outcome = self.store.make_room(Utc::now(), readings_before);
        warn!(
            reserve_released = outcome.reserve_released,
            delivered_pruned = outcome.sent_pruned,
            levels_thinned = outcome.levels_thinned,
            readings_folded = outcome.readings_folded,
            wal_bytes_freed = outcome.wal_bytes_freed,
            failures = ?outcome.failures,
            "storage full: made room for orders and alerts; polls are not stored until space returns"
        );
    }

    /// Writes the reserve back and declares the storage healthy once the
    /// filesystem has room for it and a margin.
    fn resume_if_room(&self) {
        if !self.store.room_to_resume() {
            return;
        }
        match self.store.hold_reserve() {
            Ok(()) => {
                info!("storage has room again: reserve restored, polls stored again");
                self.store.storage().room_again();
            }
            Err(e) => warn!(error = %e, "cannot restore the storage reserve yet"),
        }
    }

    /// Tells upstream (and the alerts page) that the storage changed state:
    /// stored if the store takes it, else sent from memory.
    fn alert(&self, before: StorageState, now: StorageState) {
        let at = self.clock.now();
        let kind = if now == StorageState::Ok {
            "storage_recovered"
        } else {
            "storage_failure"
        };
        let reason = self.store.storage().reason();
        let message = match now {
            StorageState::Ok => format!("storage writable again (was {})", before.as_str()),
            _ => format!(
                "storage {}: {}",
                now.as_str(),
                reason.as_deref().unwrap_or("writes fail")
            ),
        };
        let id = format!("alr-{kind}-{}-{}", self.gateway_id, at.timestamp_millis());
        let payload = storage_alert(&id, kind, now, at, &message);
        let batch = DecisionBatch {
            alerts: vec![NewAlert {
                kind: kind.to_owned(),
                printer: None,
                at,
                payload: payload.clone(),
            }],
            ..DecisionBatch::default()
        };
        match self.store.commit_decisions(&batch) {
            Ok(_) => info!(
                kind,
                storage = now.as_str(),
                "storage alert stored for upstream"
            ),
            Err(e) => {
                warn!(error = %e, "storage alert cannot be stored: sending it from memory");
                self.memory.send_once(
                    &self.store,
                    OutboxKind::Alert,
                    &id,
                    &payload.to_string(),
                    at,
                    None,
                );
            }
        }
    }
}

/// The alert's body: the same shape as the engine's alerts, about the
/// gateway itself rather than a printer.
fn storage_alert(
    id: &str,
    kind: &str,
    state: StorageState,
    at: DateTime<Utc>,
    message: &str,
) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "type": "alert",
        "kind": kind,
        "printer": null,
        "at": at,
        "storage": state.as_str(),
        "message": message,
    })
}

/// Runs blocking store work off the async threads; `None` if it panicked.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(work).await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alert_names_the_state_and_the_reason() {
        let at = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let v = storage_alert(
            "alr-x",
            "storage_failure",
            StorageState::Full,
            at,
            "storage full: database or disk is full",
        );
        assert_eq!(v["kind"], "storage_failure");
        assert_eq!(v["storage"], "full");
        assert_eq!(v["id"], "alr-x");
        assert!(v["message"].as_str().unwrap().contains("disk is full"));
    }
}
