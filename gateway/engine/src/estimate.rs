//! What the forecast knows about one supply, in days from `now`: the value the
//! forecast produces, the ordering rules read and the supply state caches.
//! It lives on its own so the supply state (which caches it) and the forecast
//! (which reads the supply state) do not depend on each other.

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Estimate {
    pub level: Option<f64>,
    pub p50_days: f64,
    pub pess_days: f64,
    /// Days one full cartridge lasts at the current pace.
    pub life_days: Option<f64>,
    /// The life comes from a cartridge of this supply watched from start to end
    /// (or a steady measured pace), not from a fleet guess: only then may an
    /// order carry more than one cartridge.
    pub life_known: bool,
    /// The median rests on something learned (own history, the fleet, a
    /// sibling toner); without it the median is only a placeholder for the
    /// pessimistic value and is not reported.
    pub median_known: bool,
    /// Days of median and of pessimistic stock one passing day takes away: one
    /// for a gauge, less for a cartridge whose start was not seen (each day it
    /// lasts says it had more left).
    pub drift: (f64, f64),
    pub rate: Option<f64>,
}

impl Estimate {
    /// Nothing known about the supply: it never runs out as far as anyone
    /// can tell (a line ordered by hand for it carries no dates).
    pub(crate) fn unknown() -> Self {
        Estimate {
            level: None,
            p50_days: f64::INFINITY,
            pess_days: f64::INFINITY,
            life_days: None,
            life_known: false,
            median_known: false,
            drift: (1.0, 1.0),
            rate: None,
        }
    }
}
