//! Fast RFC 3339 timestamp parsing for the replay hot path. The common shape
//! `YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm)` is decoded by hand; anything else falls
//! back to chrono, so unusual but valid forms still work.

use chrono::DateTime;

fn num(b: &[u8]) -> Option<i64> {
    let mut v: i64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn fast(b: &[u8]) -> Option<i64> {
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let (h, mi, s) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        rest = &rest[1 + digits..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let off = num(&[*h1, *h2])? * 3600 + num(&[*m1, *m2])? * 60;
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    // Days beyond the month's end (e.g. Feb 30) are left to chrono to reject.
    if d > 28 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset)
}

/// Unix seconds of an RFC 3339 timestamp.
pub(crate) fn parse_rfc3339(b: &[u8]) -> Option<i64> {
    if let Some(t) = fast(b) {
        return Some(t);
    }
    let s = std::str::from_utf8(b).ok()?;
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono_secs(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).expect("valid").timestamp()
    }

    #[test]
    fn matches_chrono() {
        for s in [
            "2026-03-01T10:00:00Z",
            "1999-12-31T23:59:59Z",
            "2024-02-29T12:00:00.123Z",
            "2026-07-15T08:30:00+02:00",
            "2026-01-28T00:00:00-05:30",
            "2000-03-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(s.as_bytes()), Some(chrono_secs(s)), "{s}");
        }
        assert_eq!(parse_rfc3339(b"2024-02-30T00:00:00Z"), None);
        assert_eq!(parse_rfc3339(b"yesterday"), None);
        assert_eq!(parse_rfc3339(b"2026-13-01T00:00:00Z"), None);
    }
}
