//! Integer-second time helpers: the engine keeps time as Unix seconds so the hot
//! path never builds calendar values, converting only at the API boundary.

use chrono::{DateTime, Utc};

pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;

/// Unix seconds of a UTC timestamp (sub-second precision is irrelevant here).
pub fn secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// Back to a timestamp; out-of-range values clamp instead of panicking.
pub fn to_utc(t: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(t, 0).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// Day number since the epoch.
pub fn day_of(t: i64) -> i64 {
    t.div_euclid(DAY)
}

/// Saturday or Sunday (UTC) for a day number from [`day_of`]: the days that
/// recur every week in an office's printing.
pub fn is_weekend(day: i64) -> bool {
    // Day 0, 1970-01-01, was a Thursday.
    (day + 3).rem_euclid(7) >= 5
}

/// Hour of the week, Monday 00:00 UTC = 0 (1970-01-01 was a Thursday).
pub fn hour_of_week(t: i64) -> usize {
    let day = t.div_euclid(DAY);
    let weekday = (day + 3).rem_euclid(7);
    let hour = t.rem_euclid(DAY) / HOUR;
    (weekday * 24 + hour) as usize
}

/// An instant `days` after `t`, saturating far in the future for infinite spans.
pub fn add_days(t: i64, days: f64) -> Option<i64> {
    if !days.is_finite() || days > 36_500.0 {
        return None;
    }
    Some(t + (days * DAY as f64).round() as i64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn weekends_are_saturday_and_sunday() {
        // 2025-01-06 was a Monday.
        let monday = day_of(1_736_121_600);
        let weekend: Vec<bool> = (monday..monday + 7).map(is_weekend).collect();
        assert_eq!(weekend, [false, false, false, false, false, true, true]);
    }

    use super::*;

    #[test]
    fn monday_is_hour_zero() {
        // 2024-01-01 was a Monday.
        let t = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:30:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        assert_eq!(hour_of_week(secs(t)), 0);
        assert_eq!(hour_of_week(secs(t) + 5 * DAY + 3 * HOUR), 5 * 24 + 3);
    }
}
