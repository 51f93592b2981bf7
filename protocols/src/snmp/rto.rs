//! How long to wait for a printer's answer, learned from its answers
//! (RFC 6298's retransmission timer, applied to SNMP requests).
//!
//! Printers' agents answer in milliseconds when idle and in seconds while
//! they print or wake from sleep, and one slow shared agent may serve many
//! addresses. A fixed timeout either gives up on them or waits needlessly on
//! the dead. Each request waits the current estimate — the configured
//! timeout until answers say otherwise, then the smoothed round-trip time
//! plus four deviations, never below the configured timeout — and each
//! resend of the same request waits twice as long as the one before, up to
//! a ceiling. A healthy printer therefore sees exactly the requests it did
//! with a fixed timeout; a slow one is read instead of declared offline.

use std::time::Duration;

/// The estimator of one poll's target.
#[derive(Debug, Clone)]
pub(crate) struct Rto {
    srtt: Option<f64>,
    rttvar: f64,
    floor: Duration,
    ceiling: Duration,
}

impl Rto {
    /// Starts at `floor` (the configured timeout); never waits past `ceiling`.
    pub(crate) fn new(floor: Duration, ceiling: Duration) -> Rto {
        Rto {
            srtt: None,
            rttvar: 0.0,
            floor,
            ceiling: ceiling.max(floor),
        }
    }

    /// The wait for the first attempt of the next request.
    pub(crate) fn current(&self) -> Duration {
        let estimate = self.srtt.map_or(self.floor, |s| {
            Duration::from_secs_f64(s + 4.0 * self.rttvar)
        });
        estimate.clamp(self.floor, self.ceiling)
    }

    /// The wait for attempt `attempt` (1-based): doubled per resend.
    pub(crate) fn for_attempt(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(16);
        self.current()
            .saturating_mul(1 << doublings)
            .min(self.ceiling)
    }

    /// An answer arrived `rtt` after its request went out. Every attempt
    /// is a new request id, so the sample is unambiguous (no Karn rule).
    pub(crate) fn sample(&mut self, rtt: Duration) {
        let r = rtt.as_secs_f64();
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2.0;
            }
            Some(s) => {
                self.rttvar = 0.75 * self.rttvar + 0.25 * (s - r).abs();
                self.srtt = Some(0.875 * s + 0.125 * r);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn a_fast_printer_keeps_the_configured_timeout() {
        let mut rto = Rto::new(2 * S, 16 * S);
        for _ in 0..10 {
            rto.sample(Duration::from_millis(20));
        }
        assert_eq!(rto.current(), 2 * S);
        assert_eq!(rto.for_attempt(2), 4 * S);
        assert_eq!(rto.for_attempt(10), 16 * S);
    }

    #[test]
    fn a_slow_printer_raises_the_wait_above_its_round_trip() {
        let mut rto = Rto::new(2 * S, 16 * S);
        rto.sample(3 * S);
        assert!(rto.current() >= 3 * S, "{:?}", rto.current());
        for _ in 0..20 {
            rto.sample(3 * S);
        }
        let wait = rto.current();
        assert!(wait > 3 * S && wait < 4 * S, "{wait:?}");
    }
}
