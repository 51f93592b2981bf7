//! How long each printer took to answer its last poll: shown on the page
//! and in `/metrics`, so a slow printer (or a slow LAN) is seen before it
//! starts timing out. In memory only: a restart loses nothing that matters.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use asr_protocols::printer::ReportSource;

/// Last poll duration per printer key, and totals since start.
#[derive(Debug, Default)]
pub(crate) struct PollTimes {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    last: HashMap<String, f64>,
    source: HashMap<String, ReportSource>,
    ok: u64,
    failed: u64,
}

/// Polls since start, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PollCounts {
    pub ok: u64,
    pub failed: u64,
}

impl PollTimes {
    /// Records one poll of the printer `key` (unknown before its first
    /// answer: only counted).
    pub fn record(&self, key: Option<&str>, took: Duration, ok: bool) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if ok {
            inner.ok += 1;
        } else {
            inner.failed += 1;
        }
        if let Some(key) = key {
            inner.last.insert(key.to_owned(), took.as_secs_f64());
        }
    }

    /// Records which protocol read the printer `key` last.
    pub fn record_source(&self, key: &str, source: ReportSource) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.source.insert(key.to_owned(), source);
        }
    }

    /// The protocol `key` was last read over.
    pub fn source(&self, key: &str) -> Option<ReportSource> {
        self.inner.lock().ok()?.source.get(key).copied()
    }

    /// The last poll's duration of `key`, in seconds.
    pub fn last(&self, key: &str) -> Option<f64> {
        self.inner.lock().ok()?.last.get(key).copied()
    }

    /// Polls since start.
    pub fn counts(&self) -> PollCounts {
        self.inner
            .lock()
            .map(|i| PollCounts {
                ok: i.ok,
                failed: i.failed,
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_duration_and_counts_outcomes() {
        let times = PollTimes::default();
        times.record(Some("S1"), Duration::from_millis(1500), true);
        times.record(Some("S1"), Duration::from_millis(250), true);
        times.record(None, Duration::from_secs(3), false);
        assert_eq!(times.last("S1"), Some(0.25));
        assert_eq!(times.last("S2"), None);
        assert_eq!(times.counts(), PollCounts { ok: 2, failed: 1 });
    }
}
