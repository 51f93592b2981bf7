//! Is a printer silent, or just off as usual? Each printer learns, per hour of the
//! week, how often it answers; silence only counts while the printer would
//! normally be up. A printer off every night or weekend therefore never raises
//! `printer_silent` for that, yet a real outage does (the clock runs during its
//! usual working hours), and habitual power-off earns one advisory.

use serde::{Deserialize, Serialize};

use crate::clock::{DAY, HOUR, hour_of_week};

const WEEK_HOURS: usize = 168;
/// Weekly decay of the per-hour evidence, so a changed routine is relearned.
const DECAY: f32 = 0.8;
/// Silences at least this long are candidates for a power-off habit.
const HABIT_MIN_SECS: i64 = 6 * HOUR;
const HABIT_EPISODES: usize = 6;
/// Silent seconds, within usual hours, after which nothing is ordered for a
/// printer until it answers again.
const OVERDUE_SECS: i64 = 4 * HOUR;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Presence {
    pub last_seen: Option<i64>,
    up: Vec<f32>,
    down: Vec<f32>,
    last_tick: Option<i64>,
    /// Silent seconds counted during hours the printer is normally up.
    unexpected: i64,
    pub alerted_since: Option<i64>,
    /// Start times of recent long silences that ended on their own.
    episodes: Vec<i64>,
    pub habit_advised: bool,
    /// Usual seconds between two readings while the printer is up: the
    /// gateway may poll every few minutes or every few hours, and a printer is
    /// neither silent nor "down" for that hour until a poll is overdue.
    #[serde(default)]
    poll_gap: Option<i64>,
}

impl Default for Presence {
    fn default() -> Self {
        Presence {
            last_seen: None,
            up: vec![0.0; WEEK_HOURS],
            down: vec![0.0; WEEK_HOURS],
            last_tick: None,
            unexpected: 0,
            alerted_since: None,
            episodes: Vec::new(),
            habit_advised: false,
            poll_gap: None,
        }
    }
}

/// What a tick or a reading changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PresenceChange {
    None,
    Silent { since: i64 },
    Back { since: i64 },
    Habit,
}

impl Presence {
    /// Up-probability of an hour-of-week bucket (unknown hours count as "up" so new
    /// printers are watched from day one).
    fn usually_up(&self, bucket: usize) -> bool {
        let (u, d) = (self.up[bucket], self.down[bucket]);
        (u + 0.5) / (u + d + 1.0) >= 0.5
    }

    /// The wall clock jumped to `t`: times kept so far are on another
    /// timeline. The printer counts as last seen at the jump (if it was
    /// ever seen), so silence is measured from there on the new timeline.
    pub fn rebase(&mut self, t: i64) {
        if self.last_seen.is_some() {
            self.last_seen = Some(t);
        }
        self.last_tick = Some(t);
        self.unexpected = 0;
        if let Some(since) = self.alerted_since.as_mut() {
            *since = t;
        }
        self.episodes.clear();
    }

    /// A reading arrived at `t`.
    pub fn seen(&mut self, t: i64) -> PresenceChange {
        let prev = self.last_seen;
        if prev.is_some_and(|p| t <= p) {
            return PresenceChange::None;
        }
        self.last_seen = Some(t);
        self.unexpected = 0;
        if let Some(p) = prev {
            self.learn_poll_gap(t - p);
        }
        if let Some(since) = self.alerted_since.take() {
            return PresenceChange::Back { since };
        }
        if let Some(p) = prev
            && t - p >= HABIT_MIN_SECS
        {
            self.episodes.push(p);
            if self.episodes.len() > HABIT_EPISODES {
                self.episodes.remove(0);
            }
            if !self.habit_advised && self.is_habitual() {
                self.habit_advised = true;
                return PresenceChange::Habit;
            }
        }
        PresenceChange::None
    }

    /// Gaps of up to [`HABIT_MIN_SECS`] are polls (a longer one is a power-off
    /// or an outage); one much longer than usual is a missed poll and does not
    /// move the figure.
    fn learn_poll_gap(&mut self, gap: i64) {
        if gap <= 0 || gap > HABIT_MIN_SECS {
            return;
        }
        self.poll_gap = Some(match self.poll_gap {
            None => gap,
            Some(usual) if 2 * gap > 3 * usual => usual,
            Some(usual) => (9 * usual + gap) / 10,
        });
    }

    /// Seconds without a reading that are still a normal wait for the next
    /// poll: the configured grace, or one and a half usual polls if longer.
    fn overdue_after(&self, grace: i64) -> i64 {
        grace.max(self.poll_gap.map_or(0, |g| g + g / 2))
    }

    /// Recent silences began at about the same time of day.
    fn is_habitual(&self) -> bool {
        if self.episodes.len() < HABIT_EPISODES {
            return false;
        }
        let span = self.episodes.last().copied().unwrap_or(0)
            - self.episodes.first().copied().unwrap_or(0);
        if span > 21 * DAY {
            return false;
        }
        let minutes: Vec<i64> = self
            .episodes
            .iter()
            .map(|t| t.rem_euclid(DAY) / 60)
            .collect();
        let first = minutes[0];
        minutes.iter().all(|m| {
            let d = (m - first).rem_euclid(1440);
            d.min(1440 - d) <= 120
        })
    }

    /// Time passed to `now`; returns a silence alert when due.
    pub fn tick(&mut self, now: i64, grace: i64, silent_after: i64) -> PresenceChange {
        let prev_tick = self.last_tick.replace(now);
        let Some(seen) = self.last_seen else {
            return PresenceChange::None;
        };
        let Some(prev_tick) = prev_tick else {
            return PresenceChange::None;
        };
        if now <= prev_tick {
            return PresenceChange::None;
        }
        let dt = (now - prev_tick).min(3 * HOUR);
        let bucket = hour_of_week(now - 1);
        let grace = self.overdue_after(grace);
        let silent = now - seen > grace;
        if silent && self.usually_up(bucket) {
            self.unexpected += dt;
        }
        // Learn the routine from whole hours only.
        if now / HOUR != prev_tick / HOUR || dt >= HOUR {
            let up = now - seen <= HOUR.max(self.poll_gap.unwrap_or(0)) + 60;
            self.up[bucket] = self.up[bucket] * DECAY + if up { 1.0 } else { 0.0 };
            self.down[bucket] = self.down[bucket] * DECAY + if up { 0.0 } else { 1.0 };
        }
        if silent && self.alerted_since.is_none() && self.unexpected + grace >= silent_after {
            self.alerted_since = Some(seen);
            return PresenceChange::Silent { since: seen };
        }
        PresenceChange::None
    }

    /// Silent long enough that ordering must stop.
    pub fn is_silent(&self) -> bool {
        self.alerted_since.is_some()
    }

    /// Not answering for a few of the hours it usually does: a printer just
    /// unplugged for good looks like this for a day before it is silent, and
    /// nothing is ordered for it meanwhile (a blip of an hour or two, or a
    /// night not yet learned as a habit, holds nothing back).
    pub fn is_overdue(&self) -> bool {
        self.unexpected >= OVERDUE_SECS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run hourly ticks from `from` to `to`, with readings when `on(t)`.
    fn run(
        p: &mut Presence,
        from: i64,
        to: i64,
        on: impl Fn(i64) -> bool,
    ) -> Vec<(i64, PresenceChange)> {
        let mut out = Vec::new();
        let mut t = from;
        while t < to {
            let c = p.tick(t, 5400, DAY);
            if c != PresenceChange::None {
                out.push((t, c));
            }
            if on(t) {
                let c = p.seen(t + 60);
                if c != PresenceChange::None {
                    out.push((t, c));
                }
            }
            t += HOUR;
        }
        out
    }

    #[test]
    fn nightly_off_never_alerts_but_is_advised_once() {
        let mut p = Presence::default();
        let night = |t: i64| {
            let h = t.rem_euclid(DAY) / HOUR;
            (7..19).contains(&h)
        };
        let out = run(&mut p, 0, 60 * DAY, night);
        assert!(
            out.iter()
                .all(|(_, c)| !matches!(c, PresenceChange::Silent { .. })),
            "{out:?}"
        );
        assert_eq!(
            out.iter()
                .filter(|(_, c)| *c == PresenceChange::Habit)
                .count(),
            1
        );
    }

    #[test]
    fn outage_alerts_once_then_back() {
        let mut p = Presence::default();
        let outage = |t: i64| !(20 * DAY..23 * DAY).contains(&t);
        let out = run(&mut p, 0, 30 * DAY, outage);
        let kinds: Vec<_> = out.iter().map(|(t, c)| (t / HOUR, *c)).collect();
        assert_eq!(kinds.len(), 2, "{kinds:?}");
        assert!(matches!(kinds[0].1, PresenceChange::Silent { .. }));
        assert!(
            kinds[0].0 >= 20 * 24 + 23 && kinds[0].0 <= 20 * 24 + 26,
            "{kinds:?}"
        );
        assert!(matches!(kinds[1].1, PresenceChange::Back { .. }));
    }

    #[test]
    fn a_printer_polled_every_four_hours_is_learned_and_its_outage_alerted() {
        let mut p = Presence::default();
        // Nights off (7:00 to 19:00 up), one poll every four hours, an outage
        // from day 20 to day 24.
        let polled = |t: i64| {
            let h = t.rem_euclid(DAY) / HOUR;
            h % 4 == 0 && (7..19).contains(&h) && !(20 * DAY..24 * DAY).contains(&t)
        };
        let out = run(&mut p, 0, 30 * DAY, polled);
        let kinds: Vec<_> = out
            .iter()
            .filter(|(_, c)| *c != PresenceChange::Habit)
            .map(|(t, c)| (t / HOUR, *c))
            .collect();
        assert_eq!(kinds.len(), 2, "{kinds:?}");
        assert!(matches!(kinds[0].1, PresenceChange::Silent { .. }));
        // A day of working hours after the last poll (day 19, 16:00): day 21.
        assert!((21 * 24..22 * 24).contains(&kinds[0].0), "{kinds:?}");
        assert!(matches!(kinds[1].1, PresenceChange::Back { .. }));
    }

    #[test]
    fn overdue_after_a_few_usual_hours_not_at_a_learned_night() {
        let mut p = Presence::default();
        let day_hours = |t: i64| (7..19).contains(&(t.rem_euclid(DAY) / HOUR));
        run(&mut p, 0, 28 * DAY, day_hours);
        // A learned night off is no absence.
        p.tick(28 * DAY + 3 * HOUR, 5400, DAY);
        assert!(!p.is_overdue());
        // Gone from 9:00: not yet at 11:00, overdue by 15:00.
        let t = 28 * DAY + 9 * HOUR;
        p.seen(t - HOUR);
        for h in 0..=2 {
            p.tick(t + h * HOUR, 5400, DAY);
        }
        assert!(!p.is_overdue());
        for h in 3..=6 {
            p.tick(t + h * HOUR, 5400, DAY);
        }
        assert!(p.is_overdue());
        p.seen(t + 6 * HOUR + 60);
        assert!(!p.is_overdue());
    }
}
