//! The interpretation rules for one supply level: when a percentage is
//! honest, and how far it can be trusted.
//!
//! RFC 3805 prtMarkerSuppliesLevel/MaxCapacity rules applied here:
//! - level -1 ("other": no restriction, i.e. unlimited), -2 (unknown) and
//!   -3 (some remaining) are states, never numbers: `percent` is `None`
//!   (gauge `Unknown`, `Unknown`, `SomeRemaining`);
//! - max capacity -1, -2, 0 or any other non-positive value is no scale:
//!   a real level then means nothing as a fraction, so `Unknown` — unless
//!   the unit column says the level is already in percent;
//! - with a scale, `percent = level / scale × 100`, for receptacles too:
//!   their level is the space left (RFC 3805), so the fraction is already
//!   "life left" and 0 still means "replace";
//! - a level outside 0..=scale (e.g. Ricoh's -100, or more than full) is
//!   clamped to 0 or 100 and flagged `OutOfRange`.
//!
//! Coarse steps cannot be seen in one supply's single reading (50 % may be
//! exact). [`detect_steps`] therefore looks at every supply of the device
//! from the same poll; see its documentation for the rule.

use crate::printer::report::Gauge;

use super::enums::UNIT_PERCENT;

/// The percent of one supply and how far to trust it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Life left in percent, only when honest.
    pub percent: Option<f64>,
    /// Trust in `percent`.
    pub gauge: Gauge,
}

impl Reading {
    const fn none(gauge: Gauge) -> Self {
        Self {
            percent: None,
            gauge,
        }
    }
}

/// Level "other": no restriction on this supply.
pub const LEVEL_UNLIMITED: i64 = -1;
/// Level or capacity unknown.
pub const LEVEL_UNKNOWN: i64 = -2;
/// Level "some remaining": at least one unit left, amount unknown.
pub const LEVEL_SOME_REMAINING: i64 = -3;

/// Interprets one row. `level`, `max` and `unit` are the raw column values,
/// `None` when the column is missing or of the wrong type.
pub fn read(level: Option<i64>, max: Option<i64>, unit: Option<i64>) -> Reading {
    let Some(level) = level else {
        return Reading::none(Gauge::Unknown);
    };
    match level {
        LEVEL_SOME_REMAINING => return Reading::none(Gauge::SomeRemaining),
        LEVEL_UNLIMITED | LEVEL_UNKNOWN => return Reading::none(Gauge::Unknown),
        _ => {}
    }
    // "0 of a maximum of 0" is a printer with nothing to say (an empty
    // slot, a supply it does not meter), not an empty cartridge: even with
    // the percent unit it must never read as 0 %.
    if level == 0 && max == Some(0) {
        return Reading::none(Gauge::Unknown);
    }
    let scale = match max {
        Some(m) if m > 0 => m,
        _ if unit == Some(UNIT_PERCENT) => 100,
        _ => return Reading::none(Gauge::Unknown),
    };
    if level < 0 {
        return Reading {
            percent: Some(0.0),
            gauge: Gauge::OutOfRange,
        };
    }
    if level > scale {
        return Reading {
            percent: Some(100.0),
            gauge: Gauge::OutOfRange,
        };
    }
    // Both fit in i64 and are ≤ 2^63, so the f64 ratio is exact enough.
    Reading {
        percent: Some(level as f64 / scale as f64 * 100.0),
        gauge: Gauge::Exact,
    }
}

/// The scale a level was read against, for [`detect_steps`]: `(level, scale)`
/// of an `Exact` reading.
pub fn exact_fraction(level: i64, max: Option<i64>, unit: Option<i64>) -> Option<(i64, i64)> {
    match read(Some(level), max, unit).gauge {
        Gauge::Exact => Some((level, max.filter(|m| *m > 0).unwrap_or(100))),
        _ => None,
    }
}

/// Whether a device reports coarse steps, judged from one poll.
///
/// Input: `(level, scale)` of every `Exact` supply of the device. Readings
/// at exactly 0 % or 100 % lie on every grid, so they are no evidence and
/// are ignored. The device is stepped when at least two remaining readings
/// exist and all of them lie on one coarse grid:
/// - multiples of 10 % (covers 20 % steps too), or
/// - multiples of 25 %, or
/// - the Canon-style ladder 10 % / 1 %.
///
/// Two independent exact readings both land on the 10 % grid by chance
/// with probability about (9/99)² ≈ 0.8 %, so two is the least evidence
/// that means something; a single reading (e.g. max 100 and level 50) never
/// does. A device with one supply, or with all supplies full, cannot be
/// judged and stays `Exact`. The grid test is done in integers, on the
/// exact fraction, so 20700/23000 (exactly 90 %) is on the grid and
/// 287100/290000 (exactly 99 %) is not.
pub fn detect_steps(fractions: &[(i64, i64)]) -> bool {
    let evidence: Vec<(i128, i128)> = fractions
        .iter()
        .map(|&(l, s)| (i128::from(l), i128::from(s)))
        .filter(|&(l, s)| s > 0 && l > 0 && l < s)
        .collect();
    if evidence.len() < 2 {
        return false;
    }
    let on_grid = |step: i128| evidence.iter().all(|&(l, s)| (l * 100) % (s * step) == 0);
    let on_ladder = evidence
        .iter()
        .all(|&(l, s)| l * 100 == s * 10 || l * 100 == s);
    on_grid(10) || on_grid(25) || on_ladder
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(level: i64, max: i64) -> Option<f64> {
        read(Some(level), Some(max), None).percent
    }

    #[test]
    fn special_levels_are_never_numbers() {
        assert_eq!(
            read(Some(-1), Some(100), None),
            Reading::none(Gauge::Unknown)
        );
        assert_eq!(
            read(Some(-2), Some(100), None),
            Reading::none(Gauge::Unknown)
        );
        assert_eq!(
            read(Some(-3), Some(-2), None),
            Reading::none(Gauge::SomeRemaining)
        );
        assert_eq!(
            read(Some(-3), Some(100), Some(19)),
            Reading::none(Gauge::SomeRemaining)
        );
        assert_eq!(read(None, Some(100), None), Reading::none(Gauge::Unknown));
    }

    #[test]
    fn no_real_capacity_means_unknown() {
        for max in [Some(-1), Some(-2), Some(0), Some(-7), None] {
            assert_eq!(
                read(Some(9), max, None),
                Reading::none(Gauge::Unknown),
                "{max:?}"
            );
        }
        // The Brother HL-5370DW toner: max -2, level 0 is not "empty".
        assert_eq!(read(Some(0), Some(-2), None).percent, None);
    }

    #[test]
    fn zero_of_zero_is_no_reading_even_in_percent() {
        for unit in [Some(UNIT_PERCENT), Some(13), None] {
            let r = read(Some(0), Some(0), unit);
            assert_eq!(
                (r.percent, r.gauge),
                (None, Gauge::Unknown),
                "unit {unit:?}"
            );
        }
    }

    #[test]
    fn percent_unit_is_a_scale_of_its_own() {
        let r = read(Some(42), Some(-2), Some(19));
        assert_eq!((r.percent, r.gauge), (Some(42.0), Gauge::Exact));
        // Another unit (items) without a capacity stays unknown.
        assert_eq!(read(Some(42), Some(-2), Some(18)).gauge, Gauge::Unknown);
    }

    #[test]
    fn real_units_become_percent_over_a_real_capacity() {
        assert_eq!(pct(1060, 5300), Some(20.0));
        assert_eq!(pct(0, 100), Some(0.0));
        assert_eq!(pct(100, 100), Some(100.0));
        assert_eq!(read(Some(5340), Some(6000), Some(13)).gauge, Gauge::Exact);
    }

    #[test]
    fn receptacle_level_is_space_left_so_no_inversion() {
        // Xerox waste container: 5 of 100 left means nearly full: 5 % life.
        assert_eq!(pct(5, 100), Some(5.0));
    }

    #[test]
    fn out_of_range_is_clamped_and_flagged() {
        let r = read(Some(150), Some(100), None);
        assert_eq!((r.percent, r.gauge), (Some(100.0), Gauge::OutOfRange));
        let r = read(Some(-100), Some(100), None);
        assert_eq!((r.percent, r.gauge), (Some(0.0), Gauge::OutOfRange));
        let r = read(Some(i64::MAX), Some(1), None);
        assert_eq!(r.percent, Some(100.0));
    }

    #[test]
    fn huge_values_stay_in_range() {
        let r = read(Some(i64::from(u32::MAX)), Some(i64::from(u32::MAX)), None);
        assert_eq!(r.percent, Some(100.0));
        let r = read(Some(1), Some(i64::MAX), None);
        assert!(r.percent.is_some_and(|p| (0.0..=100.0).contains(&p)));
    }

    #[test]
    fn steps_need_two_informative_readings_on_one_grid() {
        // Ricoh: 40, 20, 50, 50 (and a full waste bottle).
        assert!(detect_steps(&[
            (40, 100),
            (100, 100),
            (20, 100),
            (50, 100),
            (50, 100)
        ]));
        // Canon TM in real units: 2400/3000 = 80 %, 1800/3000 = 60 %, 6030/6700 = 90 %.
        assert!(detect_steps(&[(2400, 3000), (1800, 3000), (6030, 6700)]));
        // 25 % grid.
        assert!(detect_steps(&[(25, 100), (75, 100)]));
        // Canon-style ladder.
        assert!(detect_steps(&[(1, 100), (10, 100), (100, 100)]));
        // One reading is not enough evidence, even on the grid.
        assert!(!detect_steps(&[(50, 100)]));
        assert!(!detect_steps(&[(50, 100), (100, 100), (0, 100)]));
        // Mixed grid values.
        assert!(!detect_steps(&[(54, 100), (40, 100)]));
        // 99 % exact on a real scale breaks the grid.
        assert!(!detect_steps(&[(287100, 290000), (20700, 23000)]));
        // Degenerate input never panics.
        assert!(!detect_steps(&[
            (i64::MAX, i64::MAX),
            (1, i64::MAX),
            (0, 0)
        ]));
    }
}
