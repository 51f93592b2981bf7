//! Human-readable dates and numbers, per language.
//!
//! Done by hand (a dozen month names and two separators) rather than pulling a
//! locale library onto a Raspberry Pi. Times are shown in UTC and say so: the
//! gateway does not know the reader's time zone, and the exact instant is
//! always in the `datetime` attribute of the surrounding `<time>` element.

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::i18n::Lang;

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTHS_FR: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

/// Non-breaking space, so "42 %" and "12 345" never wrap.
const NBSP: char = '\u{a0}';
/// Narrow non-breaking space, the French thousands separator.
const NNBSP: char = '\u{202f}';

fn month(lang: Lang, dt: &DateTime<Utc>) -> &'static str {
    let i = dt.month0() as usize % 12;
    match lang {
        Lang::En => MONTHS_EN[i],
        Lang::Fr => MONTHS_FR[i],
    }
}

/// "29 Nov 2026" / "29 nov. 2026".
pub fn date(lang: Lang, dt: &DateTime<Utc>) -> String {
    format!("{} {} {}", dt.day(), month(lang, dt), dt.year())
}

/// "29 Nov 2026, 14:05 UTC" / "29 nov. 2026 à 14:05 UTC".
pub fn date_time(lang: Lang, dt: &DateTime<Utc>) -> String {
    let sep = match lang {
        Lang::En => ",",
        Lang::Fr => " à",
    };
    format!(
        "{}{sep} {:02}:{:02}{NBSP}UTC",
        date(lang, dt),
        dt.hour(),
        dt.minute()
    )
}

/// The exact instant for `datetime` attributes (RFC 3339, seconds, `Z`).
pub fn iso(dt: &DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// "in 3 days", "5 min ago", "just now" (and French), counted from `now`.
pub fn relative(lang: Lang, dt: &DateTime<Utc>, now: &DateTime<Utc>) -> String {
    let secs = dt.signed_duration_since(*now).num_seconds();
    let future = secs > 0;
    let abs = secs.unsigned_abs();
    if abs < 60 {
        return match lang {
            Lang::En => "just now".to_owned(),
            Lang::Fr => "à l’instant".to_owned(),
        };
    }
    let amount = if abs < 3600 {
        format!("{}{NBSP}min", abs / 60)
    } else if abs < 48 * 3600 {
        format!("{}{NBSP}h", abs / 3600)
    } else {
        let days = abs / 86_400;
        match lang {
            Lang::En => format!("{days}{NBSP}days"),
            Lang::Fr => format!("{days}{NBSP}jours"),
        }
    };
    match (lang, future) {
        (Lang::En, true) => format!("in {amount}"),
        (Lang::En, false) => format!("{amount} ago"),
        (Lang::Fr, true) => format!("dans {amount}"),
        (Lang::Fr, false) => format!("il y a {amount}"),
    }
}

/// "12,345" / "12 345".
pub fn integer(lang: Lang, n: u64) -> String {
    let sep = match lang {
        Lang::En => ',',
        Lang::Fr => NNBSP,
    };
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// "12.0 GB" / "12,0 Go": a disk size read at a glance (powers of 1024).
pub fn bytes(lang: Lang, n: u64) -> String {
    let units: [&str; 5] = match lang {
        Lang::En => ["B", "KB", "MB", "GB", "TB"],
        Lang::Fr => ["o", "Ko", "Mo", "Go", "To"],
    };
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    let text = if unit == 0 {
        format!("{n}")
    } else {
        format!("{value:.1}")
    };
    let text = match lang {
        Lang::En => text,
        Lang::Fr => text.replace('.', ","),
    };
    format!("{text}{NBSP}{}", units[unit])
}

/// "42 %" with the non-breaking space both languages accept; "< 1 %" for a
/// trace left, so a nearly empty cartridge is not shown as "0 %".
pub fn percent(p: f64) -> String {
    if !p.is_finite() {
        return "?".to_owned();
    }
    let p = p.clamp(0.0, 100.0);
    if p > 0.0 && p < 1.0 {
        format!("<{NBSP}1{NBSP}%")
    } else {
        format!("{:.0}{NBSP}%", p.round())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid date")
    }

    #[test]
    fn sizes_read_at_a_glance() {
        assert_eq!(bytes(Lang::En, 512), format!("512{NBSP}B"));
        assert_eq!(bytes(Lang::En, 12_884_901_888), format!("12.0{NBSP}GB"));
        assert_eq!(bytes(Lang::Fr, 1_572_864), format!("1,5{NBSP}Mo"));
    }

    #[test]
    fn dates_read_naturally() {
        let dt = at(2026, 2, 3, 9, 5);
        assert_eq!(date_time(Lang::En, &dt), "3 Feb 2026, 09:05\u{a0}UTC");
        assert_eq!(date_time(Lang::Fr, &dt), "3 févr. 2026 à 09:05\u{a0}UTC");
        assert_eq!(date(Lang::Fr, &at(2026, 8, 15, 0, 0)), "15 août 2026");
        assert_eq!(iso(&dt), "2026-02-03T09:05:00Z");
    }

    #[test]
    fn relative_times() {
        let now = at(2026, 1, 10, 12, 0);
        assert_eq!(
            relative(Lang::En, &at(2026, 1, 10, 11, 55), &now),
            "5\u{a0}min ago"
        );
        assert_eq!(
            relative(Lang::Fr, &at(2026, 1, 10, 11, 55), &now),
            "il y a 5\u{a0}min"
        );
        assert_eq!(
            relative(Lang::En, &at(2026, 1, 20, 12, 0), &now),
            "in 10\u{a0}days"
        );
        assert_eq!(
            relative(Lang::Fr, &at(2026, 1, 20, 12, 0), &now),
            "dans 10\u{a0}jours"
        );
        assert_eq!(
            relative(Lang::En, &at(2026, 1, 11, 0, 0), &now),
            "in 12\u{a0}h"
        );
        assert_eq!(relative(Lang::Fr, &now, &now), "à l’instant");
    }

    #[test]
    fn numbers() {
        assert_eq!(integer(Lang::En, 0), "0");
        assert_eq!(integer(Lang::En, 999), "999");
        assert_eq!(integer(Lang::En, 1_234_567), "1,234,567");
        assert_eq!(integer(Lang::Fr, 12_345), "12\u{202f}345");
        assert_eq!(percent(42.4), "42\u{a0}%");
        assert_eq!(percent(0.3), "<\u{a0}1\u{a0}%");
        assert_eq!(percent(0.0), "0\u{a0}%");
        assert_eq!(percent(130.0), "100\u{a0}%");
        assert_eq!(percent(f64::NAN), "?");
    }
}
