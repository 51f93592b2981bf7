//! What the store knows of recent polls without having written it: a poll
//! that changed nothing but the time and the page counter is not worth an
//! SD-card write, so those values live here until the next real change or
//! the heartbeat writes them; readers see them merged into the rows, and a
//! clean stop writes them all in one transaction (`Store::flush_recent`).
//! A crash loses at most a heartbeat of "last seen" precision, never a
//! level: a changed level is always written.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// A printer row is written at least this often (gateway time) even when
/// nothing changed: "last seen" in the database is never older, even after
/// a crash. Every printer's row rewritten hourly was, after the level
/// points, the largest share of SD-card writes.
pub(crate) const HEARTBEAT: Duration = Duration::hours(6);

/// An unchanged supply still gets a reading this often (gateway time): the
/// history and its daily aggregates keep a point a day, with the page
/// counter. More often says nothing new and costs the SD card an index
/// page per printer (measured: hourly points were a third of all writes).
pub(crate) const READING_HEARTBEAT: Duration = Duration::hours(24);

/// The unwritten part of a printer's row.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Fresh {
    pub last_seen: Option<DateTime<Utc>>,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub page_count: Option<u64>,
}

#[derive(Debug, Default)]
pub(crate) struct PollCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    fresh: HashMap<String, Fresh>,
    /// When each supply's last reading was appended.
    last_reading: HashMap<(String, u32), DateTime<Utc>>,
}

impl PollCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The unwritten values of `key`.
    pub fn fresh(&self, key: &str) -> Option<Fresh> {
        self.lock().fresh.get(key).copied()
    }

    /// A poll answered at `at`.
    pub fn seen(&self, key: &str, at: DateTime<Utc>, page_count: Option<u64>) {
        let mut inner = self.lock();
        let f = inner.fresh.entry(key.to_owned()).or_default();
        f.last_seen = Some(at);
        f.last_poll_at = Some(at);
        if page_count.is_some() {
            f.page_count = page_count;
        }
    }

    /// A poll failed at `at`.
    pub fn failed(&self, key: &str, at: DateTime<Utc>) {
        self.lock()
            .fresh
            .entry(key.to_owned())
            .or_default()
            .last_poll_at = Some(at);
    }

    /// Whether a reading of this supply is due at `at` even if unchanged.
    pub fn reading_due(&self, key: &str, index: u32, at: DateTime<Utc>) -> bool {
        self.lock()
            .last_reading
            .get(&(key.to_owned(), index))
            .is_none_or(|last| at - *last >= READING_HEARTBEAT || at < *last)
    }

    /// Readings appended (after their transaction committed).
    pub fn read(&self, key: &str, indexes: &[u32], at: DateTime<Utc>) {
        let mut inner = self.lock();
        for index in indexes {
            inner.last_reading.insert((key.to_owned(), *index), at);
        }
    }

    /// Every printer's unwritten values.
    pub fn all_fresh(&self) -> Vec<(String, Fresh)> {
        self.lock()
            .fresh
            .iter()
            .map(|(k, f)| (k.clone(), *f))
            .collect()
    }

    /// A printer forgotten: nothing of it is kept.
    pub fn forget(&self, key: &str) {
        let mut inner = self.lock();
        inner.fresh.remove(key);
        inner.last_reading.retain(|(k, _), _| k != key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn readings_are_due_daily_and_after_a_clock_jump_back() {
        let cache = PollCache::default();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap();
        assert!(cache.reading_due("P", 1, t0), "never read");
        cache.read("P", &[1], t0);
        assert!(!cache.reading_due("P", 1, t0 + Duration::minutes(15)));
        assert!(!cache.reading_due("P", 1, t0 + Duration::minutes(23 * 60 + 45)));
        assert!(cache.reading_due("P", 1, t0 + Duration::hours(24)));
        assert!(
            cache.reading_due("P", 1, t0 - Duration::minutes(5)),
            "clock went back"
        );
        cache.seen("P", t0, Some(10));
        cache.seen("P", t0 + Duration::minutes(15), None);
        let f = cache.fresh("P").unwrap();
        assert_eq!(f.page_count, Some(10), "a poll without a counter keeps it");
        cache.forget("P");
        assert!(cache.fresh("P").is_none() && cache.reading_due("P", 1, t0));
    }
}
