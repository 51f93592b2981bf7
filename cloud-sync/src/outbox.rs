//! The contract between the gateway's durable outbox and the uplink.
//!
//! The gateway writes everything meant for upstream into its store first; the
//! uplink only reads pending rows and marks them sent once the broker has
//! acknowledged them. The store stays the single source of truth, which is
//! what makes delivery at-least-once across crashes and broker outages.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What an outbox message is; decides its topic and its deduplication key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Order,
    Alert,
    Level,
    Event,
    /// Cartridge lives measured, per model and supply (retained, at most daily).
    Lives,
}

impl MessageKind {
    pub const ALL: [MessageKind; 5] = [
        MessageKind::Order,
        MessageKind::Alert,
        MessageKind::Level,
        MessageKind::Event,
        MessageKind::Lives,
    ];

    /// Stable lower-case name, suitable for a database column.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Order => "order",
            MessageKind::Alert => "alert",
            MessageKind::Level => "level",
            MessageKind::Event => "event",
            MessageKind::Lives => "lives",
        }
    }

    /// Inverse of [`MessageKind::as_str`].
    pub fn parse(value: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the outbox: `payload` is the JSON body sent verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Store-assigned id, increasing in insertion order.
    pub id: i64,
    pub kind: MessageKind,
    pub payload: Vec<u8>,
}

/// A failure of the store behind the outbox; the uplink logs it and retries.
#[derive(Debug, Error)]
#[error("outbox {operation} failed: {source}")]
pub struct OutboxError {
    pub operation: &'static str,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl OutboxError {
    pub fn new(
        operation: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            operation,
            source: source.into(),
        }
    }
}

/// What the outbox holds, for the retained status and the status page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxStats {
    /// Messages waiting.
    pub depth: u64,
    /// Payload bytes waiting.
    pub bytes: u64,
    /// When the oldest waiting message was created.
    pub oldest_created_at: Option<DateTime<Utc>>,
    /// Level messages merged away by thinning, in total.
    pub levels_thinned: u64,
    /// Level messages dropped past the byte budget, in total.
    pub levels_dropped: u64,
}

/// Implemented by the gateway's store. Calls are synchronous (SQLite); the
/// uplink runs them on the blocking pool.
pub trait Outbox: Send + Sync + 'static {
    /// Up to `limit` unsent messages with an id above `after`, oldest
    /// first. The uplink passes the last id it published on the connection,
    /// so rows in flight are not read again for every free slot.
    fn pending(&self, after: i64, limit: usize) -> Result<Vec<OutboxMessage>, OutboxError>;
    /// Marks messages as delivered; unknown or already sent ids are ignored.
    fn mark_sent(&self, ids: &[i64]) -> Result<(), OutboxError>;
    /// Number of unsent messages.
    fn depth(&self) -> Result<u64, OutboxError>;
    /// Depth, size and thinning counters; stores that keep no more than a
    /// depth report just that.
    fn stats(&self) -> Result<OutboxStats, OutboxError> {
        Ok(OutboxStats {
            depth: self.depth()?,
            ..OutboxStats::default()
        })
    }
}

/// An in-memory [`Outbox`] for tests and demos only: it forgets everything on
/// exit, which defeats the purpose of an outbox in production.
pub mod testing {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use super::{MessageKind, Outbox, OutboxError, OutboxMessage};

    #[derive(Debug, Default)]
    struct State {
        next_id: i64,
        pending: BTreeMap<i64, OutboxMessage>,
        sent: Vec<i64>,
        mark_sent_calls: usize,
        failing: bool,
    }

    /// Test double recording what was marked sent, with a switch to make
    /// every call fail like a broken disk.
    #[derive(Debug, Default)]
    pub struct MemoryOutbox {
        state: Mutex<State>,
    }

    impl MemoryOutbox {
        pub fn new() -> Self {
            Self::default()
        }

        fn lock(&self) -> std::sync::MutexGuard<'_, State> {
            // A poisoned lock only means a test thread panicked; the data is
            // still consistent (every mutation is a single statement).
            self.state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        }

        /// Appends a message and returns its id.
        pub fn push(&self, kind: MessageKind, payload: impl Into<Vec<u8>>) -> i64 {
            let mut state = self.lock();
            state.next_id += 1;
            let id = state.next_id;
            state.pending.insert(
                id,
                OutboxMessage {
                    id,
                    kind,
                    payload: payload.into(),
                },
            );
            id
        }

        /// Ids marked sent, in the order they were marked.
        pub fn sent_ids(&self) -> Vec<i64> {
            self.lock().sent.clone()
        }

        pub fn pending_ids(&self) -> Vec<i64> {
            self.lock().pending.keys().copied().collect()
        }

        pub fn mark_sent_calls(&self) -> usize {
            self.lock().mark_sent_calls
        }

        /// Makes every later call fail (or succeed again).
        pub fn set_failing(&self, failing: bool) {
            self.lock().failing = failing;
        }
    }

    fn check(state: &State, operation: &'static str) -> Result<(), OutboxError> {
        if state.failing {
            Err(OutboxError::new(operation, "simulated store failure"))
        } else {
            Ok(())
        }
    }

    impl Outbox for MemoryOutbox {
        fn pending(&self, after: i64, limit: usize) -> Result<Vec<OutboxMessage>, OutboxError> {
            let state = self.lock();
            check(&state, "pending")?;
            Ok(state
                .pending
                .range(after.saturating_add(1)..)
                .map(|(_, m)| m.clone())
                .take(limit)
                .collect())
        }

        fn mark_sent(&self, ids: &[i64]) -> Result<(), OutboxError> {
            let mut state = self.lock();
            check(&state, "mark_sent")?;
            state.mark_sent_calls += 1;
            for id in ids {
                if state.pending.remove(id).is_some() {
                    state.sent.push(*id);
                }
            }
            Ok(())
        }

        fn depth(&self) -> Result<u64, OutboxError> {
            let state = self.lock();
            check(&state, "depth")?;
            Ok(state.pending.len() as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::MemoryOutbox;
    use super::*;

    #[test]
    fn memory_outbox_keeps_order_and_marks() {
        let outbox = MemoryOutbox::new();
        let a = outbox.push(MessageKind::Order, b"{}".to_vec());
        let b = outbox.push(MessageKind::Level, b"{}".to_vec());
        assert_eq!(outbox.pending(0, 10).expect("pending").len(), 2);
        outbox.mark_sent(&[a, 999]).expect("mark");
        assert_eq!(outbox.pending_ids(), vec![b]);
        assert_eq!(outbox.sent_ids(), vec![a]);
        assert_eq!(outbox.depth().expect("depth"), 1);
        outbox.set_failing(true);
        assert!(outbox.pending(0, 1).is_err());
    }

    #[test]
    fn kind_names_round_trip() {
        for kind in MessageKind::ALL {
            assert_eq!(MessageKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(MessageKind::parse("nope"), None);
    }
}
