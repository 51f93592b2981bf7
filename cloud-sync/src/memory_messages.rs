//! Messages published from memory because the gateway could not store them.
//!
//! Everything meant for upstream goes through the durable outbox, except
//! when the outbox itself cannot be written: a full or read-only card. Then
//! the supplier must still hear that the box is in trouble and still get
//! the orders decided meanwhile. Those messages take this side door: a
//! small bounded queue the uplink publishes with QoS 1, kept (and sent again
//! after a reconnect) until the broker acknowledges each one. They carry the
//! same stable ids as their outbox twins, so a message later delivered from
//! the outbox as well is a duplicate upstream drops.

use tokio::sync::mpsc;

use crate::outbox::MessageKind;

/// Messages waiting in memory, at most: past this the oldest is given up
/// (a box that cannot write for days must not grow without bound).
pub const MEMORY_QUEUE: usize = 256;

/// One message that could not be stored, with its envelope already in place
/// (`id`, `created_at`, `clock_synced`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryMessage {
    pub kind: MessageKind,
    pub payload: Vec<u8>,
}

/// Hands messages to the uplink's memory queue. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MemorySender(pub(crate) mpsc::Sender<MemoryMessage>);

impl MemorySender {
    /// Queues `message`; false when the queue is full or the uplink is gone
    /// (the caller says so in its log: nothing else can be done).
    pub fn send(&self, message: MemoryMessage) -> bool {
        self.0.try_send(message).is_ok()
    }
}

/// The channel between senders and the uplink.
pub(crate) fn channel() -> (MemorySender, mpsc::Receiver<MemoryMessage>) {
    let (tx, rx) = mpsc::channel(MEMORY_QUEUE);
    (MemorySender(tx), rx)
}
