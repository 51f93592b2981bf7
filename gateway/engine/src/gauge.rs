//! Turning a raw RFC 3805 (max_capacity, level) pair into something comparable
//! across printers: a percentage with its resolution, "some remaining" (-3), or
//! nothing usable (-1, -2, nonsense).

/// A normalised gauge value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Gauge {
    /// Percentage left (space left for receptacles) and the gauge's resolution in points.
    Percent { pct: f32, step: f32 },
    /// The printer only says that something is left.
    SomeRemaining,
    /// Not a level at all (unknown, other, glitch codes).
    Unknown,
}

/// Gauges coarser than this (e.g. max_capacity 1) say only "ok / empty".
const BINARY_STEP: f32 = 50.0;

pub(crate) fn normalize(max_capacity: i64, level: i64) -> Gauge {
    if level == -3 {
        return Gauge::SomeRemaining;
    }
    if level < 0 {
        return Gauge::Unknown;
    }
    // 0 of 0: the printer meters nothing here; an empty reading it is not.
    if max_capacity == 0 && level == 0 {
        return Gauge::Unknown;
    }
    if max_capacity > 0 {
        let step = 100.0 / max_capacity as f32;
        let pct = level.min(max_capacity) as f32 * 100.0 / max_capacity as f32;
        if step >= BINARY_STEP && pct > 0.0 {
            return Gauge::SomeRemaining;
        }
        return Gauge::Percent { pct, step };
    }
    // Unknown capacity: many printers then report the level as a percentage.
    if level <= 100 {
        Gauge::Percent {
            pct: level as f32,
            step: 1.0,
        }
    } else {
        Gauge::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_codes() {
        assert_eq!(normalize(100, -3), Gauge::SomeRemaining);
        assert_eq!(normalize(0, 0), Gauge::Unknown, "0 of 0 never looks empty");
        assert_eq!(normalize(100, -2), Gauge::Unknown);
        assert_eq!(normalize(-2, -1), Gauge::Unknown);
    }

    #[test]
    fn scales_to_percent() {
        assert_eq!(
            normalize(4500, 2250),
            Gauge::Percent {
                pct: 50.0,
                step: 100.0 / 4500.0
            }
        );
        assert_eq!(
            normalize(10, 3),
            Gauge::Percent {
                pct: 30.0,
                step: 10.0
            }
        );
        assert_eq!(normalize(1, 1), Gauge::SomeRemaining);
        assert_eq!(
            normalize(1, 0),
            Gauge::Percent {
                pct: 0.0,
                step: 100.0
            }
        );
        assert_eq!(
            normalize(-2, 40),
            Gauge::Percent {
                pct: 40.0,
                step: 1.0
            }
        );
    }
}
