//! Time the engine can trust.
//!
//! A Raspberry Pi has no battery-backed clock: it boots with the time of
//! its last shutdown (fake-hwclock), possibly weeks behind, until NTP
//! answers. The engine decides on the times it is given, so the gate
//! between the gateway and the engine keeps it from seeing wrong ones:
//!
//! - Until the clock is known good, events that carry a time (readings,
//!   failed polls, deliveries, manual orders) are held with the monotonic
//!   instant they arrived at, and ticks are dropped: the readings are kept
//!   (the store has them) but no order or silence is decided. Once the
//!   clock is trusted, each held event is re-based onto the right time —
//!   now minus the monotonic time elapsed since it arrived — and handed on.
//! - A jump of the wall clock (either way) is told apart from time passing
//!   by the monotonic clock; the engine is told (`Event::ClockJumped`) before
//!   anything stamped on the new timeline, so silence is never counted
//!   across the jump. Held events are re-based on the monotonic clock, so a
//!   jump while untrusted changes nothing for them.
//!
//! The gate is pure: the caller supplies the wall clock, the monotonic
//! clock and the synchronised flag of each observation.

use std::collections::VecDeque;
use std::time::Duration;

use asr_engine::Event;
use chrono::{DateTime, Utc};

/// A wall-clock move this far from what the monotonic clock says is a jump
/// (NTP slews small errors; it steps only large ones).
const JUMP: Duration = Duration::from_secs(120);

/// Events held at most while the clock is untrusted (about a day of a
/// 500-printer fleet's readings); older ones are set aside past this.
const MAX_HELD: usize = 200_000;

/// What the gateway's clocks say at one moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Observation {
    /// The (possibly simulated) wall clock.
    pub wall: DateTime<Utc>,
    /// Monotonic time since any fixed origin.
    pub mono: Duration,
    /// Whether the wall clock is known good.
    pub synced: bool,
    /// Simulated seconds per monotonic second (1 on a real gateway).
    pub speed: f64,
}

/// What one pass through the gate lets out.
#[derive(Debug, Default)]
pub(crate) struct Admitted {
    /// Events for the engine, in order.
    pub events: Vec<Event>,
    /// The wall clock jumped by this many seconds since the last observation.
    pub jump_secs: Option<i64>,
    /// The clock became trusted with this pass; `released` held events went on.
    pub became_trusted: bool,
    pub released: usize,
}

/// The gate's state.
#[derive(Debug, Default)]
pub(crate) struct TimeGate {
    trusted: bool,
    held: VecDeque<(Duration, Event)>,
    /// Held events given up because too many waited.
    set_aside: u64,
    last: Option<(Duration, DateTime<Utc>)>,
}

impl TimeGate {
    /// Whether the clock has been trusted yet.
    pub(crate) fn trusted(&self) -> bool {
        self.trusted
    }

    /// Events waiting for a trusted clock.
    pub(crate) fn held(&self) -> usize {
        self.held.len()
    }

    /// Events given up while waiting (past [`MAX_HELD`]).
    pub(crate) fn set_aside(&self) -> u64 {
        self.set_aside
    }

    /// Lets `events` through as far as the clock allows.
    pub(crate) fn admit(&mut self, events: Vec<Event>, now: Observation) -> Admitted {
        let mut out = Admitted {
            jump_secs: self.jump(now),
            ..Admitted::default()
        };
        if !self.trusted && now.synced {
            self.trusted = true;
            out.became_trusted = true;
            out.released = self.held.len();
            for (mono, event) in std::mem::take(&mut self.held) {
                out.events.push(retimed(event, rebased(now, mono)));
            }
            // What waited is decided now, not at the next tick.
            out.events.push(Event::Tick(now.wall));
        } else if self.trusted
            && let Some(by) = out.jump_secs
        {
            out.events.push(Event::ClockJumped {
                at: now.wall,
                by_secs: by,
            });
        }
        for event in events {
            if self.trusted {
                out.events.push(event);
            } else if matches!(event, Event::Tick(_)) {
                // Time passing on a wrong clock decides nothing.
            } else if event_time(&event).is_some() {
                if self.held.len() >= MAX_HELD {
                    self.held.pop_front();
                    self.set_aside += 1;
                }
                self.held.push_back((now.mono, event));
            } else {
                // Assignments and settings carry no time: they go on.
                out.events.push(event);
            }
        }
        out
    }

    /// The jump since the last observation, if the wall clock moved more
    /// than [`JUMP`] away from what the monotonic clock allows.
    fn jump(&mut self, now: Observation) -> Option<i64> {
        let last = self.last.replace((now.mono, now.wall));
        let (mono0, wall0) = last?;
        let elapsed = now.mono.checked_sub(mono0)?.as_secs_f64() * now.speed;
        let moved = (now.wall - wall0).as_seconds_f64();
        let drift = moved - elapsed;
        let limit = JUMP.as_secs_f64() * now.speed.max(1.0);
        (drift.abs() > limit).then(|| drift.round() as i64)
    }
}

/// The right time of something that arrived at monotonic `mono`.
fn rebased(now: Observation, mono: Duration) -> DateTime<Utc> {
    let ago = now.mono.saturating_sub(mono).as_secs_f64() * now.speed;
    now.wall - chrono::Duration::milliseconds((ago * 1000.0) as i64)
}

/// When an event says it happened, for those that carry a time.
fn event_time(event: &Event) -> Option<DateTime<Utc>> {
    match event {
        Event::Reading(r) => Some(r.observed_at),
        Event::PollFailed { at, .. }
        | Event::Delivered { at, .. }
        | Event::Cancelled { at, .. }
        | Event::ManualOrder { at, .. }
        | Event::ClockJumped { at, .. }
        | Event::Tick(at) => Some(*at),
        Event::PrinterAssigned { .. }
        | Event::PrinterForgotten { .. }
        | Event::CatalogChanged { .. }
        | Event::ConfigChanged(_) => None,
    }
}

/// `event` stamped `at` instead.
fn retimed(mut event: Event, at: DateTime<Utc>) -> Event {
    match &mut event {
        Event::Reading(r) => r.observed_at = at,
        Event::PollFailed { at: t, .. }
        | Event::Delivered { at: t, .. }
        | Event::Cancelled { at: t, .. }
        | Event::ManualOrder { at: t, .. }
        | Event::ClockJumped { at: t, .. }
        | Event::Tick(t) => *t = at,
        Event::PrinterAssigned { .. }
        | Event::PrinterForgotten { .. }
        | Event::CatalogChanged { .. }
        | Event::ConfigChanged(_) => {}
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn seen(wall: DateTime<Utc>, mono_s: u64, synced: bool) -> Observation {
        Observation {
            wall,
            mono: Duration::from_secs(mono_s),
            synced,
            speed: 1.0,
        }
    }

    fn failed(t: DateTime<Utc>) -> Event {
        Event::PollFailed {
            printer: "A".into(),
            at: t,
        }
    }

    #[test]
    fn untrusted_time_is_held_and_re_based_once_the_clock_is_good() {
        let mut gate = TimeGate::default();
        // Booted 90 days behind: a poll every 10 minutes, ticks dropped.
        let wrong = at("2026-09-05T08:00:00Z");
        for k in 0..6u64 {
            let t = wrong + chrono::Duration::minutes(10 * k as i64);
            let out = gate.admit(vec![Event::Tick(t), failed(t)], seen(t, 600 * k, false));
            assert!(out.events.is_empty(), "nothing decided on a wrong clock");
        }
        assert_eq!(gate.held(), 6);
        // NTP answers: the wall clock jumps 90 days ahead, and is trusted.
        let right = at("2026-12-04T08:55:00Z");
        let out = gate.admit(vec![], seen(right, 3300, true));
        assert!(out.became_trusted);
        assert_eq!(out.released, 6);
        assert!(matches!(out.events.last(), Some(Event::Tick(t)) if *t == right));
        assert!(out.jump_secs.is_some_and(|j| j > 89 * 86_400));
        let times: Vec<_> = out.events.iter().filter_map(event_time).collect();
        // Re-based on the monotonic clock: 55, 45, … 5 minutes ago.
        assert_eq!(times[0], right - chrono::Duration::minutes(55));
        assert_eq!(times[5], right - chrono::Duration::minutes(5));
        assert_eq!(times.len(), 7, "six held, then a tick");
        assert!(
            !out.events
                .iter()
                .any(|e| matches!(e, Event::ClockJumped { .. })),
            "nothing the engine saw was on the old timeline"
        );
        assert!(gate.trusted());
    }

    #[test]
    fn a_jump_while_trusted_is_told_before_the_new_timeline() {
        let mut gate = TimeGate::default();
        let t0 = at("2026-12-04T08:00:00Z");
        gate.admit(vec![], seen(t0, 0, true));
        let t1 = t0 + chrono::Duration::minutes(1);
        let out = gate.admit(vec![failed(t1)], seen(t1, 60, true));
        assert_eq!(out.jump_secs, None, "time passing is no jump");
        assert_eq!(out.events.len(), 1);
        // Pulled back a day.
        let t2 = t1 - chrono::Duration::days(1) + chrono::Duration::minutes(1);
        let out = gate.admit(vec![failed(t2)], seen(t2, 120, true));
        assert_eq!(out.jump_secs, Some(-86_400));
        assert!(matches!(
            out.events[0],
            Event::ClockJumped {
                by_secs: -86_400,
                ..
            }
        ));
        assert_eq!(out.events.len(), 2);
    }

    #[test]
    fn a_fast_simulated_clock_is_no_jump_and_settings_pass_while_untrusted() {
        let mut gate = TimeGate::default();
        let t0 = at("2026-12-04T08:00:00Z");
        let fast = |wall, mono_s| Observation {
            wall,
            mono: Duration::from_secs(mono_s),
            synced: false,
            speed: 86_400.0,
        };
        gate.admit(vec![], fast(t0, 0));
        let out = gate.admit(
            vec![Event::PrinterForgotten { serial: "A".into() }],
            fast(t0 + chrono::Duration::days(1), 1),
        );
        assert_eq!(out.jump_secs, None);
        assert_eq!(out.events.len(), 1, "settings carry no time and go on");
    }

    #[test]
    fn the_hold_is_bounded() {
        let mut gate = TimeGate::default();
        let t = at("2026-01-01T00:00:00Z");
        let batch: Vec<Event> = (0..MAX_HELD + 10).map(|_| failed(t)).collect();
        gate.admit(batch, seen(t, 0, false));
        assert_eq!(gate.held(), MAX_HELD);
        assert_eq!(gate.set_aside(), 10);
    }
}
