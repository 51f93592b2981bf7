//! Human-friendly durations in the config (`"15m"`, `"24h"`, `"500ms"`, `"7d"`),
//! because operators edit this file by hand over SSH and seconds are error-prone.

use std::time::Duration;

/// Parses `<number><unit>` with unit `ms`, `s`, `m`, `h` or `d`; a bare number
/// is seconds. Several parts may be combined: `1h30m`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .ok_or_else(|| format!("{text:?} lacks a unit (ms, s, m, h, d)"))?;
        if digits == 0 {
            return Err(format!("{text:?} is not a duration like 30s, 15m, 24h"));
        }
        let value: f64 = rest[..digits]
            .parse()
            .map_err(|_| format!("bad number in duration {text:?}"))?;
        let after = &rest[digits..];
        let unit_len = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        let unit = &after[..unit_len];
        let secs = match unit {
            "ms" => value / 1000.0,
            "s" => value,
            "m" | "min" => value * 60.0,
            "h" => value * 3600.0,
            "d" => value * 86_400.0,
            other => {
                return Err(format!(
                    "unknown unit {other:?} in duration {text:?} (use ms, s, m, h, d)"
                ));
            }
        };
        total += Duration::try_from_secs_f64(secs)
            .map_err(|_| format!("duration {text:?} out of range"))?;
        rest = &after[unit_len..];
    }
    Ok(total)
}

/// Serde adapter for `Duration` fields written as strings or whole seconds.
pub mod serde_str {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Accepts `"15m"` or `900`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Secs(u64),
        }
        match Raw::deserialize(d)? {
            Raw::Text(t) => super::parse(&t).map_err(serde::de::Error::custom),
            Raw::Secs(s) => Ok(Duration::from_secs(s)),
        }
    }

    /// Writes `"<n>s"`, or `"<n>ms"` when the duration is not whole
    /// seconds: a remote change round-trips the whole configuration through
    /// this, and a 300 ms SNMP timeout must not come back as 0 s.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        if d.subsec_nanos() == 0 {
            s.serialize_str(&format!("{}s", d.as_secs()))
        } else {
            s.serialize_str(&format!("{}ms", d.as_millis().max(1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_combinations() {
        assert_eq!(parse("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5_400));
        assert_eq!(parse("7d").unwrap(), Duration::from_secs(604_800));
    }

    #[test]
    fn sub_second_durations_survive_a_round_trip() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct T {
            #[serde(with = "super::serde_str")]
            d: Duration,
        }
        for d in [Duration::from_millis(300), Duration::from_secs(900)] {
            let text = toml::to_string(&T { d }).unwrap();
            let back: T = toml::from_str(&text).unwrap();
            assert_eq!(back.d, d, "{text}");
        }
    }

    #[test]
    fn rejects_garbage_with_a_reason() {
        assert!(parse("").unwrap_err().contains("empty"));
        assert!(parse("5 parsecs").is_err());
        assert!(parse("h").unwrap_err().contains("not a duration"));
        assert!(parse("10x").unwrap_err().contains("unknown unit"));
    }
}
