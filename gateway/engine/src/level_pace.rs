//! Consumption from a fine gauge's daily means, for printers without a page
//! counter. Bursts are told apart as the page pace does ([`crate::pages`]): a
//! day that fell far more than the usual working day counts as a usual day in
//! the pace, and a burst under way is forecast on its own. Without this, a
//! burst's fall steepened the fitted slope for four weeks and put the median
//! forecast of the next orders about twenty days early (measured on the
//! benchmark fleets' printers without a page counter).

use crate::clock::{DAY, is_weekend};
use crate::pages::{BURST_DAY, NEW_NORMAL_DAYS, burst_run};
use crate::stats::{fit, median};
use crate::supply::DayPoint;

/// A fall smaller than this (points of percent) is never a burst: gauge
/// jitter on a slow cartridge can triple a day's fall.
const MIN_BURST_FALL: f64 = 3.0;

/// Weekday falls needed before the usual working day is trusted.
const MIN_WORKDAYS: usize = 5;

/// Percent per day over the last four weeks and the last week (least-squares
/// slopes, bursts counted as usual days), and the burst under way (percent
/// per day, days so far).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct LevelPace {
    pub long: Option<f64>,
    pub short: Option<f64>,
    pub burst: Option<(f64, f64)>,
}

/// The paces of `days` (oldest first) as seen at `now`.
pub(crate) fn level_pace<'a>(days: impl Iterator<Item = &'a DayPoint>, now: i64) -> LevelPace {
    let from = (now - 28 * DAY) as f64;
    let pts: Vec<(f64, f64)> = days
        .filter(|d| d.t() >= from)
        .map(|d| (d.t() / DAY as f64, d.pct()))
        .collect();
    // (fall, days between the two means, weekday) per step.
    let steps: Vec<(f64, f64, bool)> = pts
        .windows(2)
        .map(|w| {
            let gap = (w[1].0 - w[0].0).max(1e-6);
            (w[0].1 - w[1].1, gap, !is_weekend(w[1].0.floor() as i64))
        })
        .collect();
    let work: Vec<f64> = steps
        .iter()
        .filter(|s| s.2)
        .map(|s| s.0 / s.1.max(1.0))
        .collect();
    let usual = (work.len() >= MIN_WORKDAYS)
        .then(|| median(&work))
        .flatten()
        .filter(|m| *m > 0.0);
    let is_burst = |&(fall, gap, _): &(f64, f64, bool)| {
        usual.is_some_and(|m| fall >= MIN_BURST_FALL && fall > BURST_DAY * m * gap.max(1.0))
    };
    let (run, run_start) = burst_run(steps.iter(), |s| is_burst(s), |s| !s.2);
    let new_normal = run >= NEW_NORMAL_DAYS;
    // The level as it would read had the bursts been usual days.
    let mut adjusted = Vec::with_capacity(pts.len());
    if let Some(&first) = pts.first() {
        adjusted.push(first);
        let mut y = first.1;
        for (i, (step, pt)) in steps.iter().zip(pts.iter().skip(1)).enumerate() {
            let (fall, gap, _) = *step;
            let fall = match usual {
                Some(m) if is_burst(step) && !(new_normal && i >= run_start) => m * gap,
                _ => fall,
            };
            y -= fall;
            adjusted.push((pt.0, y));
        }
    }
    let slope = |since: f64, min: usize| {
        fit(adjusted.iter().copied().filter(|p| p.0 >= since))
            .filter(|l| l.n >= min)
            .map(|l| -l.slope)
    };
    let last_x = adjusted.last().map_or(0.0, |p| p.0);
    let under_way = steps.last().is_some_and(is_burst) && !new_normal;
    let burst = under_way.then(|| {
        let tail = &steps[run_start..];
        let fall: f64 = tail.iter().map(|s| s.0).sum();
        let span: f64 = tail.iter().map(|s| s.1).sum();
        (fall / span.max(0.5), run as f64)
    });
    LevelPace {
        long: slope(f64::MIN, 3),
        short: slope(last_x - 7.0, 4),
        burst,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::HOUR;

    fn day(d: i64, pct: f64) -> DayPoint {
        let t = (d * DAY + 12 * HOUR) as f64;
        DayPoint {
            day: d,
            n: 1,
            sum_t: t,
            sum_pct: pct,
            n_pages: 0,
            sum_pages: 0.0,
            last_pct: pct as f32,
        }
    }

    /// Two points a weekday, none at weekends, then `burst` days falling
    /// `fall` points each. Day 0 is a Thursday.
    fn gauge(burst: i64, fall: f64, quiet_after: i64) -> Vec<DayPoint> {
        let mut v = Vec::new();
        let mut pct = 90.0;
        for d in 0..21 + burst + quiet_after {
            let in_burst = (21..21 + burst).contains(&d);
            if !is_weekend(d) {
                pct -= if in_burst { fall } else { 1.0 };
            }
            v.push(day(d, pct));
        }
        v
    }

    #[test]
    fn a_burst_is_left_out_of_the_slope_once_over() {
        let days = gauge(3, 8.0, 7);
        let now = 31 * DAY + 13 * HOUR;
        let p = level_pace(days.iter(), now);
        // Five working days in seven: 0.71 points a calendar day.
        let long = p.long.expect("a slope");
        assert!((long - 5.0 / 7.0).abs() < 0.1, "{p:?}");
        assert_eq!(p.burst, None);
        // Counted as it fell, the burst would nearly double the four weeks' slope.
        let raw = fit(days.iter().map(|d| (d.t() / DAY as f64, d.pct())))
            .map(|l| -l.slope)
            .expect("a slope");
        assert!(raw > 1.3 * long, "{raw} {long}");
    }

    #[test]
    fn a_burst_under_way_is_reported_with_its_age() {
        let days = gauge(2, 8.0, 0);
        let now = 22 * DAY + 13 * HOUR;
        let p = level_pace(days.iter(), now);
        let (rate, age) = p.burst.expect("a burst");
        assert!((rate - 8.0).abs() < 0.5, "{rate}");
        assert!((age - 2.0).abs() < 1e-9, "{age}");
        assert!(p.long.is_some_and(|l| l < 1.0), "{p:?}");
    }

    #[test]
    fn jitter_on_a_slow_gauge_is_no_burst() {
        // A quarter point a day, read with a point of jitter.
        let days: Vec<DayPoint> = (0..28)
            .map(|d| {
                day(
                    d,
                    80.0 - 0.25 * d as f64 + if d % 3 == 0 { 1.0 } else { 0.0 },
                )
            })
            .collect();
        let p = level_pace(days.iter(), 28 * DAY);
        assert_eq!(p.burst, None);
        let raw = fit(days.iter().map(|d| (d.t() / DAY as f64, d.pct())))
            .map(|l| -l.slope)
            .expect("a slope");
        assert!((p.long.expect("a slope") - raw).abs() < 1e-9);
    }

    #[test]
    fn a_week_of_steep_falls_is_a_new_normal() {
        let days = gauge(8, 4.0, 0);
        let p = level_pace(days.iter(), 29 * DAY + 13 * HOUR);
        assert_eq!(p.burst, None);
        assert!(p.short.is_some_and(|s| s > 2.0), "{p:?}");
    }
}
