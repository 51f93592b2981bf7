//! Tracks which outbox row each in-flight MQTT publish carries.
//!
//! rumqttc does not return the packet id from `publish`; it reports it later
//! as `Outgoing::Publish(pkid)` when the event loop writes the packet, in the
//! order requests were queued. Tagging each queued publish and pairing tags
//! with those events in FIFO order tells which outbox id a `PubAck(pkid)`
//! confirms, so a row is marked sent only once the broker holds it.
//!
//! A tracker lives for one connection: rumqttc runs clean sessions here, so
//! after a reconnect nothing is retransmitted by the client; unacked rows are
//! simply still pending in the outbox and get published again.

use std::collections::{HashMap, HashSet, VecDeque};

/// What a queued publish carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    Outbox(i64),
    Status,
    /// A command answer, numbered so an unacked one can be sent again.
    Response(u64),
    /// Housekeeping (clearing a retained command): nothing waits for it.
    Control,
    /// The offline status published on shutdown; its ack ends the session.
    Offline,
}

#[derive(Debug, Default)]
pub(crate) struct InflightTracker {
    /// Publishes handed to the client, not yet written by the event loop.
    queued: VecDeque<Tag>,
    /// Written publishes waiting for their PubAck.
    by_pkid: HashMap<u16, Tag>,
    /// Outbox ids published on this connection and not yet marked sent.
    outbox_ids: HashSet<i64>,
    /// Acked outbox ids waiting for `mark_sent`.
    acked: Vec<i64>,
}

impl InflightTracker {
    pub(crate) fn queued(&mut self, tag: Tag) {
        if let Tag::Outbox(id) = tag {
            self.outbox_ids.insert(id);
        }
        self.queued.push_back(tag);
    }

    /// Pairs the packet id just written with the oldest queued tag.
    pub(crate) fn on_outgoing_publish(&mut self, pkid: u16) {
        if let Some(tag) = self.queued.pop_front() {
            // QoS 0 would report pkid 0 and never be acked; everything here is QoS 1.
            if pkid != 0 {
                self.by_pkid.insert(pkid, tag);
            }
        }
    }

    /// Records a PubAck and returns what it confirmed.
    pub(crate) fn on_puback(&mut self, pkid: u16) -> Option<Tag> {
        let tag = self.by_pkid.remove(&pkid)?;
        if let Tag::Outbox(id) = tag {
            self.acked.push(id);
        }
        Some(tag)
    }

    /// Whether `id` is already on its way (do not publish it twice).
    pub(crate) fn contains(&self, id: i64) -> bool {
        self.outbox_ids.contains(&id)
    }

    /// Outbox rows published but not yet acked by the broker.
    pub(crate) fn outstanding_outbox(&self) -> usize {
        self.outbox_ids.len() - self.acked.len()
    }

    /// Requests sitting in the client channel.
    pub(crate) fn queued_requests(&self) -> usize {
        self.queued.len()
    }

    pub(crate) fn acked_len(&self) -> usize {
        self.acked.len()
    }

    /// Hands over the acked ids for `mark_sent`; call [`Self::confirmed`] or
    /// [`Self::restore`] with the result.
    pub(crate) fn take_acked(&mut self) -> Vec<i64> {
        std::mem::take(&mut self.acked)
    }

    pub(crate) fn confirmed(&mut self, ids: &[i64]) {
        for id in ids {
            self.outbox_ids.remove(id);
        }
    }

    /// Puts ids back after a failed `mark_sent`, to retry later.
    pub(crate) fn restore(&mut self, ids: Vec<i64>) {
        self.acked.extend(ids);
    }

    pub(crate) fn is_waiting_for(&self, tag: Tag) -> bool {
        self.queued.contains(&tag) || self.by_pkid.values().any(|t| *t == tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_acks_with_outbox_ids_in_queue_order() {
        let mut t = InflightTracker::default();
        t.queued(Tag::Status);
        t.queued(Tag::Outbox(10));
        t.queued(Tag::Outbox(11));
        assert!(t.contains(10));
        assert_eq!(t.outstanding_outbox(), 2);
        t.on_outgoing_publish(1);
        t.on_outgoing_publish(2);
        t.on_outgoing_publish(3);
        assert_eq!(t.queued_requests(), 0);
        // Broker acks out of order.
        assert_eq!(t.on_puback(3), Some(Tag::Outbox(11)));
        assert_eq!(t.on_puback(1), Some(Tag::Status));
        assert_eq!(t.on_puback(9), None);
        assert_eq!(t.outstanding_outbox(), 1);
        let ids = t.take_acked();
        assert_eq!(ids, vec![11]);
        t.restore(ids);
        let ids = t.take_acked();
        t.confirmed(&ids);
        assert!(!t.contains(11));
        assert!(t.contains(10));
        assert_eq!(t.on_puback(2), Some(Tag::Outbox(10)));
        assert_eq!(t.acked_len(), 1);
    }
}
