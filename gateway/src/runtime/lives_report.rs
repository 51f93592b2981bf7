//! The cartridge lives this gateway measured, sent up at most once a day
//! (gateway time) and only when they changed: per model and supply, the
//! pages each cartridge watched from full to empty lasted, with their
//! median and spread. The supplier pools every site's lives and sends the
//! figure back down in its catalogue.

use asr_cloud_sync::{LivesReport, ModelLives};
use asr_engine::MeasuredLives;
use asr_engine::stats::{median, quantile};
use chrono::{DateTime, Utc};
use tracing::{info, warn};

use crate::store::{OutboxKind, Store};

/// Where the digest of the last report sent is kept.
const DIGEST_KEY: &str = "lives_report_digest";

/// Decides when a report is due.
#[derive(Debug, Default)]
pub(crate) struct LivesReporter {
    /// Gateway day of the last check.
    checked_day: Option<i64>,
}

impl LivesReporter {
    /// Queues a report in the outbox when a new day began and the lives
    /// (`measured`, asked only then) changed since the last one sent.
    /// Cheap on every other call.
    pub(crate) fn maybe_report(
        &mut self,
        measured: impl FnOnce() -> Vec<MeasuredLives>,
        store: &Store,
        now: DateTime<Utc>,
    ) {
        let day = now.timestamp().div_euclid(86_400);
        if self.checked_day == Some(day) {
            return;
        }
        self.checked_day = Some(day);
        let report = report(&measured());
        if report.lives.is_empty() {
            return;
        }
        let Ok(body) = serde_json::to_value(&report) else {
            return;
        };
        let digest = format!("{:016x}", digest(body.to_string().as_bytes()));
        if store.meta_get(DIGEST_KEY).ok().flatten().as_deref() == Some(digest.as_str()) {
            return;
        }
        let pushed = store
            .outbox_push(OutboxKind::Lives, &body, now)
            .and_then(|_| store.meta_set(DIGEST_KEY, &digest));
        match pushed {
            Ok(()) => info!(
                supplies = report.lives.len(),
                "cartridge lives queued for upstream"
            ),
            // Tried again tomorrow: nothing depends on it today.
            Err(e) => warn!(error = %e, "cannot queue the cartridge lives report"),
        }
    }
}

/// The report of `measured`: each supply's lives with their median and spread.
pub(crate) fn report(measured: &[MeasuredLives]) -> LivesReport {
    LivesReport {
        lives: measured
            .iter()
            .filter_map(|m| {
                let pages: Vec<f64> = m.pages.iter().map(|p| p.round()).collect();
                Some(ModelLives {
                    model: m.model.clone(),
                    supply_type: m.supply_type.clone(),
                    colorant: m.colorant.clone(),
                    count: u32::try_from(pages.len()).unwrap_or(u32::MAX),
                    printers: m.printers,
                    median_pages: median(&pages)?.round(),
                    p10_pages: quantile(&pages, 0.1)?.round(),
                    p90_pages: quantile(&pages, 0.9)?.round(),
                    pages,
                })
            })
            .collect(),
    }
}

/// FNV-1a, to tell a changed report from the last one sent.
fn digest(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_carries_each_supplys_lives_and_spread() {
        let r = report(&[MeasuredLives {
            model: "HP LaserJet Pro M404dn".into(),
            supply_type: "toner".into(),
            colorant: Some("black".into()),
            pages: vec![2900.4, 3100.0, 3000.0],
            printers: 2,
        }]);
        let m = &r.lives[0];
        assert_eq!((m.count, m.printers, m.median_pages), (3, 2, 3000.0));
        assert!(m.p10_pages <= m.median_pages && m.median_pages <= m.p90_pages);
        assert_eq!(m.pages[0], 2900.0);
    }

    fn lives(pages: &[f64]) -> Vec<MeasuredLives> {
        vec![MeasuredLives {
            model: "M1".into(),
            supply_type: "toner".into(),
            colorant: None,
            pages: pages.to_vec(),
            printers: 1,
        }]
    }

    #[test]
    fn a_report_goes_once_a_day_and_only_when_changed() {
        let store = Store::open_in_memory().expect("store");
        let mut r = LivesReporter::default();
        let day = chrono::Duration::days(1);
        let t0 = Utc::now();
        let sent = |store: &Store| store.outbox_pending(10).expect("outbox").len();
        // Nothing measured yet: nothing sent.
        r.maybe_report(Vec::new, &store, t0);
        assert_eq!(sent(&store), 0);
        r.maybe_report(|| lives(&[3000.0]), &store, t0 + day);
        assert_eq!(sent(&store), 1);
        // The same day: not even looked at.
        r.maybe_report(|| lives(&[3000.0, 3100.0]), &store, t0 + day);
        assert_eq!(sent(&store), 1);
        // The next day, unchanged: nothing new.
        r.maybe_report(|| lives(&[3000.0]), &store, t0 + day * 2);
        assert_eq!(sent(&store), 1);
        r.maybe_report(|| lives(&[3000.0, 3100.0]), &store, t0 + day * 3);
        let rows = store.outbox_pending(10).expect("outbox");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].kind, OutboxKind::Lives);
        assert!(
            rows[1].payload.contains("\"count\":2"),
            "{}",
            rows[1].payload
        );
    }
}
