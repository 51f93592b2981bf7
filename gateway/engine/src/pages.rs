//! Per-printer page-counter history. Page counters are exact integers without
//! jitter, so pages per day is the most precise usage signal a printer offers;
//! it also keeps "some remaining" supplies forecastable.

/// A day printing less than this share of the median printing day is a
/// weekend or holiday day, not a working day.
const LIGHT_DAY: f64 = 0.25;

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::clock::{DAY, HOUR, day_of};

/// Keep a little over the longest averaging window.
const DAILY_KEEP: usize = 40;
const HOURLY_KEEP: usize = 30;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct PageStats {
    /// Last counter seen and when.
    pub last: Option<(i64, u64)>,
    /// Last counter of each day (time, pages), oldest first.
    daily: VecDeque<(i64, u64)>,
    /// First counter of each hour (time, pages), for the last day's usage.
    hourly: VecDeque<(i64, u64)>,
    /// Last [`PageStats::active_day_mean`] with the daily points it covered: it
    /// is asked every tick but changes at most once a day.
    #[serde(skip)]
    normal_cache: Option<(NormalKey, Option<(f64, usize)>)>,
}

/// What an active-day mean was computed from: points used, first and last used point.
type NormalKey = (usize, (i64, u64), (i64, u64));

impl PageStats {
    pub fn observe(&mut self, t: i64, pages: u64) {
        if let Some((lt, lp)) = self.last {
            if t < lt {
                return;
            }
            if pages < lp {
                // Counter reset (board swap): history no longer comparable.
                self.daily.clear();
                self.hourly.clear();
            }
        }
        self.last = Some((t, pages));
        match self.daily.back_mut() {
            Some(d) if day_of(d.0) == day_of(t) => *d = (t, pages),
            _ => {
                self.daily.push_back((t, pages));
                if self.daily.len() > DAILY_KEEP {
                    self.daily.pop_front();
                }
            }
        }
        match self.hourly.back() {
            Some(h) if h.0 / HOUR == t / HOUR => {}
            _ => {
                self.hourly.push_back((t, pages));
                if self.hourly.len() > HOURLY_KEEP {
                    self.hourly.pop_front();
                }
            }
        }
    }

    /// Mean pages per calendar day over about the last `days` days (weekends and
    /// holidays included, which is what a supply actually experiences).
    pub fn per_day(&self, days: i64) -> Option<f64> {
        let (lt, lp) = self.last?;
        let from = lt - days * DAY;
        let base = self
            .daily
            .iter()
            .find(|(t, _)| *t >= from)
            .copied()
            .or_else(|| self.daily.front().copied())?;
        let span = (lt - base.0) as f64 / DAY as f64;
        if span < 0.9 {
            return None;
        }
        Some((lp.saturating_sub(base.1)) as f64 / span)
    }

    /// Days of history available.
    pub fn history_days(&self) -> f64 {
        match (self.daily.front(), self.last) {
            (Some(f), Some((lt, _))) => (lt - f.0) as f64 / DAY as f64,
            _ => 0.0,
        }
    }

    /// Pages printed during roughly the last 24 hours.
    pub fn last_day(&self) -> Option<f64> {
        let (lt, lp) = self.last?;
        let base = self
            .hourly
            .iter()
            .find(|(t, _)| *t >= lt - DAY - HOUR / 2)?;
        let span = (lt - base.0) as f64 / DAY as f64;
        if span < 0.75 {
            return None;
        }
        Some(lp.saturating_sub(base.1) as f64 / span)
    }

    /// Mean pages on working days (days that saw more than a light day's printing), over the last four weeks: the
    /// printer's normal working day, insensitive to weekends and holidays.
    pub fn active_day_mean(&mut self, exclude_after: i64) -> Option<(f64, usize)> {
        let excluded = self
            .daily
            .iter()
            .rev()
            .take_while(|(t, _)| *t > exclude_after)
            .count();
        let used = self.daily.len() - excluded;
        let key = (
            used,
            self.daily.front().copied().unwrap_or_default(),
            used.checked_sub(1)
                .and_then(|i| self.daily.get(i).copied())
                .unwrap_or_default(),
        );
        if let Some((k, v)) = self.normal_cache
            && k == key
        {
            return v;
        }
        let v = self.compute_active_day_mean(exclude_after);
        self.normal_cache = Some((key, v));
        v
    }

    fn compute_active_day_mean(&self, exclude_after: i64) -> Option<(f64, usize)> {
        let mut days = Vec::with_capacity(self.daily.len());
        let mut prev: Option<(i64, u64)> = None;
        for &(t, p) in &self.daily {
            if t > exclude_after {
                break;
            }
            if let Some((pt, pp)) = prev
                && day_of(t) == day_of(pt) + 1
            {
                let d = p.saturating_sub(pp);
                if d > 0 {
                    days.push(d as f64);
                }
            }
            prev = Some((t, p));
        }
        // Weekends and holidays often see a few pages: counted as working days
        // they would drag the normal day down and make every busy day a spike.
        let mut sorted = days.clone();
        sorted.sort_by(f64::total_cmp);
        let median = *sorted.get(sorted.len() / 2)?;
        let (sum, n) = days
            .iter()
            .filter(|d| **d >= LIGHT_DAY * median)
            .fold((0.0, 0usize), |(s, n), d| (s + d, n + 1));
        (n > 0).then(|| (sum / n as f64, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_day_over_window() {
        let mut s = PageStats::default();
        for d in 0..30 {
            s.observe(d * DAY + 12 * HOUR, 1000 + 100 * d as u64);
        }
        let r = s.per_day(7).expect("enough history");
        assert!((r - 100.0).abs() < 1e-6, "{r}");
        assert!(s.history_days() > 28.0);
    }

    #[test]
    fn counter_reset_clears_history() {
        let mut s = PageStats::default();
        s.observe(0, 5000);
        s.observe(2 * DAY, 5200);
        s.observe(3 * DAY, 10);
        assert_eq!(s.per_day(7), None);
    }

    #[test]
    fn cached_normal_day_follows_new_days() {
        let mut s = PageStats::default();
        for d in 0..10 {
            s.observe(d * DAY + 12 * HOUR, 1000 + 100 * d as u64);
        }
        let now = 10 * DAY;
        assert_eq!(s.active_day_mean(now).map(|m| m.1), Some(9));
        // Asked again at the same state: same answer from the cache.
        assert_eq!(s.active_day_mean(now + HOUR).map(|m| m.1), Some(9));
        s.observe(10 * DAY + 12 * HOUR, 2400);
        let (mean, n) = s.active_day_mean(11 * DAY).expect("mean");
        assert_eq!(n, 10);
        assert!((mean - 140.0).abs() < 1e-9, "{mean}");
        // Excluding the newest day brings the old mean back.
        assert_eq!(s.active_day_mean(10 * DAY).map(|m| m.1), Some(9));
    }

    #[test]
    fn light_weekend_days_do_not_lower_the_working_day() {
        let mut s = PageStats::default();
        let mut pages = 1000u64;
        for d in 0..28 {
            // Five days of 100 pages, then two days of 3.
            pages += if d % 7 < 5 { 100 } else { 3 };
            s.observe(d * DAY + 20 * HOUR, pages);
        }
        let (mean, n) = s.active_day_mean(28 * DAY).expect("mean");
        assert!((mean - 100.0).abs() < 1e-9, "{mean}");
        assert_eq!(n, 19);
    }
}
