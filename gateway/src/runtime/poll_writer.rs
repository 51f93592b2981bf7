//! One writer for every poll of the fleet: the polling tasks hand their
//! results here and wait for the answer, and the writer records the polls
//! that arrive close together in one SQLite transaction. On an SD card a
//! commit costs whole pages (the WAL frames, then the checkpoint), so a
//! poll cycle of 500 printers committed in a few transactions instead of
//! 500 is most of what keeps the card alive.
//!
//! A batch closes when no poll arrived for [`LINGER`], when the first one
//! has waited [`MAX_WAIT`], or at [`MAX_BATCH`] polls: a lone poll is
//! recorded at once, a burst is grouped, and nobody waits long.

use std::sync::Arc;
use std::time::Duration;

use asr_protocols::printer::PrinterReport;
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::store::{PollOutcome, PollRecord, StorageState, Store};

/// Quiet time that closes a batch.
pub(crate) const LINGER: Duration = Duration::from_millis(150);
/// Longest a poll waits for its batch to close.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(1);
/// Most polls in one transaction.
pub(crate) const MAX_BATCH: usize = 1000;
/// After shutdown, how long the writer still takes polls that were under
/// way (a poll started before shutdown is not lost).
const DRAIN: Duration = Duration::from_secs(3);

/// One poll to record, owned (it crosses tasks).
#[derive(Debug, Clone)]
pub(crate) enum PollJob {
    Answered {
        key: String,
        address: String,
        report: Box<PrinterReport>,
        at: DateTime<Utc>,
    },
    Failed {
        key: String,
        address: String,
        error: String,
        at: DateTime<Utc>,
    },
}

impl PollJob {
    fn record(&self) -> PollRecord<'_> {
        match self {
            PollJob::Answered {
                key,
                address,
                report,
                at,
            } => PollRecord::Answered {
                key,
                address,
                report,
                at: *at,
            },
            PollJob::Failed {
                key,
                address,
                error,
                at,
            } => PollRecord::Failed {
                key,
                address,
                error,
                at: *at,
            },
        }
    }
}

type Reply = oneshot::Sender<Result<PollOutcome, String>>;

/// The polling tasks' handle on the writer.
#[derive(Debug, Clone)]
pub(crate) struct PollWriter {
    tx: mpsc::Sender<(PollJob, Reply)>,
}

impl PollWriter {
    /// Starts the writer task on `store`; it ends when every handle is
    /// dropped, or [`DRAIN`] after `shutdown`.
    pub(crate) fn spawn(
        store: Arc<Store>,
        shutdown: CancellationToken,
    ) -> (PollWriter, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(MAX_BATCH);
        let task = tokio::spawn(run(store, rx, shutdown));
        (PollWriter { tx }, task)
    }

    /// Records `job` (with whatever other polls arrive meanwhile); the
    /// store's answer once it is committed.
    pub(crate) async fn record(&self, job: PollJob) -> Result<PollOutcome, String> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((job, reply))
            .await
            .map_err(|_| "the poll writer has stopped".to_owned())?;
        answer
            .await
            .map_err(|_| "the poll writer stopped before recording the poll".to_owned())?
    }
}

async fn run(
    store: Arc<Store>,
    mut rx: mpsc::Receiver<(PollJob, Reply)>,
    shutdown: CancellationToken,
) {
    let mut stop_at: Option<tokio::time::Instant> = None;
    loop {
        let first = if let Some(deadline) = stop_at {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(job)) => job,
                Ok(None) | Err(_) => return,
            }
        } else {
            tokio::select! {
                job = rx.recv() => match job {
                    Some(job) => job,
                    None => return,
                },
                () = shutdown.cancelled() => {
                    stop_at = Some(tokio::time::Instant::now() + DRAIN);
                    continue;
                }
            }
        };
        let batch = collect(first, &mut rx).await;
        write(&store, batch).await;
    }
}

/// The first job and those that follow it closely.
async fn collect(
    first: (PollJob, Reply),
    rx: &mut mpsc::Receiver<(PollJob, Reply)>,
) -> Vec<(PollJob, Reply)> {
    let close = tokio::time::Instant::now() + MAX_WAIT;
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        let quiet = (tokio::time::Instant::now() + LINGER).min(close);
        match tokio::time::timeout_at(quiet, rx.recv()).await {
            Ok(Some(job)) => batch.push(job),
            Ok(None) | Err(_) => break,
        }
    }
    batch
}

/// Records a batch in one transaction and answers each poller.
async fn write(store: &Arc<Store>, batch: Vec<(PollJob, Reply)>) {
    let (jobs, replies): (Vec<PollJob>, Vec<Reply>) = batch.into_iter().unzip();
    if store.storage().state() == StorageState::Full {
        // The room left is for orders and alerts; the engine still sees
        // these polls, and the storage watch says when space returns.
        for reply in replies {
            let _ = reply.send(Err(
                "storage full: polls are not stored until space returns".to_owned(),
            ));
        }
        return;
    }
    let store = Arc::clone(store);
    let done = tokio::task::spawn_blocking(move || {
        let records: Vec<PollRecord<'_>> = jobs.iter().map(PollJob::record).collect();
        store.record_polls(&records)
    })
    .await;
    match done {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result.map_err(|e| e.to_string()));
            }
        }
        Err(e) => {
            warn!(error = %e, "the storage task failed; this batch of polls is not recorded");
            for reply in replies {
                let _ = reply.send(Err(format!("storage task failed: {e}")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asr_protocols::printer::PrinterReport;

    fn report(serial: &str) -> PrinterReport {
        PrinterReport {
            serial: Some(serial.to_owned()),
            model: Some("Test".to_owned()),
            error: None,
            source: asr_protocols::printer::ReportSource::Snmp,
            uuid: None,
            ..PrinterReport::failed("192.0.2.1", "")
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn polls_arriving_together_are_all_recorded_and_answered() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("g.db")).unwrap());
        let shutdown = CancellationToken::new();
        let (writer, task) = PollWriter::spawn(Arc::clone(&store), shutdown.clone());
        let at = Utc::now();
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let writer = writer.clone();
                tokio::spawn(async move {
                    writer
                        .record(PollJob::Answered {
                            key: format!("SN{i:03}"),
                            address: format!("192.0.2.{i}"),
                            report: Box::new(report(&format!("SN{i:03}"))),
                            at,
                        })
                        .await
                })
            })
            .collect();
        for h in handles {
            assert!(h.await.unwrap().unwrap().new_printer);
        }
        // A failure of a printer nobody knows records nothing, and says so.
        let unknown = writer
            .record(PollJob::Failed {
                key: "NOPE".into(),
                address: "192.0.2.99".into(),
                error: "timeout".into(),
                at,
            })
            .await
            .unwrap();
        assert!(!unknown.new_printer);
        assert_eq!(store.printers().unwrap().len(), 50);
        drop(writer);
        task.await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn after_shutdown_polls_under_way_are_still_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("g.db")).unwrap());
        let shutdown = CancellationToken::new();
        let (writer, task) = PollWriter::spawn(Arc::clone(&store), shutdown.clone());
        shutdown.cancel();
        tokio::time::sleep(Duration::from_millis(50)).await;
        writer
            .record(PollJob::Answered {
                key: "LATE".into(),
                address: "192.0.2.1".into(),
                report: Box::new(report("LATE")),
                at: Utc::now(),
            })
            .await
            .unwrap();
        assert!(store.printer("LATE").unwrap().is_some());
        drop(writer);
        task.await.unwrap();
    }
}
