//! Per-printer page-counter history. Page counters are exact integers without
//! jitter, so pages per day is the most precise usage signal a printer offers;
//! it also keeps "some remaining" supplies forecastable.

/// A day printing less than this share of the median printing day is a
/// weekend or holiday day, not a working day.
const LIGHT_DAY: f64 = 0.25;

/// A day printing more than this many working days' worth is a burst.
pub(crate) const BURST_DAY: f64 = 3.0;

/// Burst days in a row, up to today, after which printing that much is the
/// printer's new normal rather than a burst.
pub(crate) const NEW_NORMAL_DAYS: usize = 5;

/// The run of burst steps that reaches the newest step, quiet weekend steps
/// aside (a burst over a weekend is one burst): how many burst steps it holds
/// and the index of its first one (the number of steps if there is none).
pub(crate) fn burst_run<S>(
    steps: impl DoubleEndedIterator<Item = S> + ExactSizeIterator,
    is_burst: impl Fn(&S) -> bool,
    weekend: impl Fn(&S) -> bool,
) -> (usize, usize) {
    let mut run = 0;
    let mut start = steps.len();
    for (i, s) in steps.enumerate().rev() {
        if is_burst(&s) {
            run += 1;
            start = i;
        } else if !weekend(&s) {
            break;
        }
    }
    (run, start)
}

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::clock::{DAY, HOUR, day_of, is_weekend};

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
    /// Last [`PageStats::working_day`] with the completed days it came from:
    /// asked at every forecast, it changes once a day.
    #[serde(skip)]
    work_cache: std::cell::Cell<Option<(WorkKey, Option<f64>)>>,
}

/// What a working-day median was computed from: completed days, last one used.
type WorkKey = (usize, (i64, u64));

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

    /// Mean pages per calendar day over about the last `days` days (weekends
    /// included, which is what a supply actually experiences).
    ///
    /// A day printing more than [`BURST_DAY`] times the median working day is
    /// a burst: transient, and forecast on its own while under way
    /// ([`PageStats::burst`]), so it counts as a usual working day here and
    /// does not inflate the pace for weeks after (measured: counting it even
    /// capped at three days' worth put the median forecast ten days early for
    /// the orders that followed a burst). Only a run of [`NEW_NORMAL_DAYS`]
    /// burst days reaching today (weekends aside) is a new normal, and counts
    /// in full.
    ///
    /// Weekdays that printed next to nothing (a holiday, a closure, an outage)
    /// are left out: they do not come back every week as weekends do, and
    /// counting them would slow the pace for weeks after the summer closure.
    pub fn usual_per_day(&self, days: i64) -> Option<f64> {
        let (lt, _) = self.last?;
        let from = lt - days * DAY;
        let median = self.working_day();
        // Today's point is still growing: its day is not judged.
        let today = self.daily.back().map(|d| day_of(d.0));
        let first = self.daily.iter().position(|d| d.0 >= from)?;
        let start = self.daily[first].0;
        // (pages, calendar days, weekdays judged) between consecutive points.
        let steps = || {
            self.daily
                .range(first..)
                .zip(self.daily.range(first + 1..))
                .map(|(&(pt, pp), &(t, p))| {
                    let judged_to = if Some(day_of(t)) == today {
                        day_of(t) - 1
                    } else {
                        day_of(t)
                    };
                    let weekdays = (day_of(pt) + 1..=judged_to)
                        .filter(|d| !is_weekend(*d))
                        .count() as f64;
                    let gap_days = ((t - pt) as f64 / DAY as f64).max(1.0);
                    (p.saturating_sub(pp) as f64, gap_days, weekdays)
                })
        };
        let is_burst = |&(pages, gap, _): &(f64, f64, f64)| {
            median.is_some_and(|m| pages > BURST_DAY * m * gap)
        };
        let (run, run_start) = burst_run(steps(), is_burst, |s| s.2 == 0.0);
        let new_normal = run >= NEW_NORMAL_DAYS;
        let mut sum = 0.0;
        let mut closed = 0.0;
        for (i, step) in steps().enumerate() {
            let (pages, _, weekdays) = step;
            sum += match median {
                Some(m) if is_burst(&step) && !(new_normal && i >= run_start) => {
                    m * weekdays.max(1.0)
                }
                _ => pages,
            };
            if median.is_some_and(|m| weekdays > 0.0 && pages < LIGHT_DAY * m * weekdays) {
                // Only the weekday goes, not its share of a week's
                // weekend: some of the closure stays in the pace, as
                // closures and outages will come again (measured: leaving
                // the whole week's share out ordered earlier for nothing).
                closed += weekdays;
            }
        }
        let span = (lt - start) as f64 / DAY as f64 - closed;
        (span >= 0.9).then(|| sum / span)
    }

    /// The burst under way, if the last 24 hours printed more than
    /// [`BURST_DAY`] working days' worth: its pages per day and how many days
    /// it has lasted so far (the days before today that were bursts too, plus
    /// half of today).
    pub fn burst(&self) -> Option<(f64, f64)> {
        let day = self.last_day()?;
        let m = self.working_day()?;
        if day <= BURST_DAY * m || day - m < 50.0 {
            return None;
        }
        // Completed days, newest first: the last point is today's so far.
        let n = self.daily.len();
        let earlier = (1..n.saturating_sub(1))
            .rev()
            .map(|i| (self.daily[i - 1], self.daily[i]))
            .take_while(|(a, b)| {
                day_of(b.0) == day_of(a.0) + 1 && b.1.saturating_sub(a.1) as f64 > BURST_DAY * m
            })
            .count();
        Some((day, earlier as f64 + 0.5))
    }

    /// Median pages of a working day over the kept history (at least five
    /// working days), weekends and holidays left out.
    fn working_day(&self) -> Option<f64> {
        // Completed days only (the last point is today's, still growing).
        let done = self.daily.len().saturating_sub(1);
        let key = (
            done,
            done.checked_sub(1)
                .and_then(|i| self.daily.get(i).copied())
                .unwrap_or_default(),
        );
        if let Some((k, v)) = self.work_cache.get()
            && k == key
        {
            return v;
        }
        let v = self.compute_working_day(done);
        self.work_cache.set(Some((key, v)));
        v
    }

    fn compute_working_day(&self, done: usize) -> Option<f64> {
        let work = self.working_days(done);
        (work.len() >= 5).then(|| work[work.len() / 2])
    }

    /// Pages of each working day among the first `points` daily points,
    /// sorted: the increments between consecutive calendar days, without days
    /// that printed nothing or less than a light share of the median day.
    /// Weekends and holidays often see a few pages: counted as working days
    /// they would drag the normal day down and make every busy day a spike.
    fn working_days(&self, points: usize) -> Vec<f64> {
        let mut days: Vec<f64> = self
            .daily
            .iter()
            .take(points)
            .zip(self.daily.iter().skip(1).take(points.saturating_sub(1)))
            .filter(|(a, b)| day_of(b.0) == day_of(a.0) + 1)
            .map(|(a, b)| b.1.saturating_sub(a.1) as f64)
            .filter(|d| *d > 0.0)
            .collect();
        days.sort_by(f64::total_cmp);
        if let Some(&median) = days.get(days.len() / 2) {
            days.retain(|d| *d >= LIGHT_DAY * median);
        }
        days
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
        let points = self
            .daily
            .iter()
            .take_while(|(t, _)| *t <= exclude_after)
            .count();
        let work = self.working_days(points);
        let n = work.len();
        (n > 0).then(|| (work.iter().sum::<f64>() / n as f64, n))
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
        let r = s.usual_per_day(7).expect("enough history");
        assert!((r - 100.0).abs() < 1e-6, "{r}");
        assert!(s.history_days() > 28.0);
    }

    #[test]
    fn a_closed_week_does_not_slow_the_pace() {
        // 100 pages every weekday, none at weekends; then a week closed
        // (day 0 is a Thursday, so days 18 to 22 are Monday to Friday).
        let mut s = PageStats::default();
        let mut pages = 0;
        for d in 0..30 {
            let closed = (18..=22).contains(&d);
            if !crate::clock::is_weekend(d) && !closed {
                pages += 100;
            }
            s.observe(d * DAY + 20 * HOUR, pages);
        }
        let r = s.usual_per_day(28).expect("enough history");
        // Counting the closed days would say 54 pages a calendar day; a
        // normal week says 71. The closed weekdays are left out, their
        // weekend share is not: 1,500 pages over 23 days.
        assert!((r - 1500.0 / 23.0).abs() < 0.5, "{r}");
    }

    #[test]
    fn counter_reset_clears_history() {
        let mut s = PageStats::default();
        s.observe(0, 5000);
        s.observe(2 * DAY, 5200);
        s.observe(3 * DAY, 10);
        assert_eq!(s.usual_per_day(7), None);
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

    #[test]
    fn a_burst_is_reported_with_its_age_and_left_out_of_the_pace() {
        let mut s = PageStats::default();
        let mut pages = 1000u64;
        // Three weeks of 100 pages a day, then two days at 600.
        for d in 0..23 {
            pages += if d < 21 { 100 } else { 600 };
            for h in [9, 13, 17] {
                s.observe(d * DAY + h * HOUR, pages - 100 + 33 * (h as u64 - 9) / 4);
            }
        }
        let (rate, age) = s.burst().expect("a burst");
        assert!(rate > 400.0, "{rate}");
        assert!((age - 1.5).abs() < 1e-9, "{age}");
        // The burst days count as usual days in the pace: 100 pages a day.
        let capped = s.usual_per_day(7).expect("pace");
        assert!((capped - 100.0).abs() < 1.0, "{capped}");
        let mut quiet = PageStats::default();
        for d in 0..10 {
            quiet.observe(d * DAY + 12 * HOUR, 1000 + 100 * d as u64);
        }
        assert_eq!(quiet.burst(), None);
    }

    #[test]
    fn a_week_of_bursts_is_a_new_normal() {
        // Three weeks of 100 pages a day; then 600 a day, first for four
        // days (a burst: the pace stays), then for six (a new normal).
        let pace_after = |burst_days: i64| {
            let mut s = PageStats::default();
            let mut pages = 1000u64;
            for d in 0..21 + burst_days {
                pages += if d < 21 { 100 } else { 600 };
                s.observe(d * DAY + 20 * HOUR, pages);
            }
            s.usual_per_day(7).expect("pace")
        };
        assert!((pace_after(4) - 100.0).abs() < 1.0);
        // Six days at 600, one usual.
        assert!(
            (pace_after(6) - 3700.0 / 7.0).abs() < 1.0,
            "{}",
            pace_after(6)
        );
    }
}
