//! The one place the live gateway reads time. The engine never does: it is
//! handed `now` in events. The demo runs on a scaled clock so that a simulated
//! month passes in about a minute, and the simulator drains supplies on the
//! same scale, so forecasts are in simulated days.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// A source of "now".
pub trait Clock: Send + Sync + 'static {
    /// The current (possibly simulated) time.
    fn now(&self) -> DateTime<Utc>;
    /// How many simulated seconds pass per real second (1 for the wall clock).
    fn speed(&self) -> f64;
    /// The real duration that corresponds to `simulated` on this clock.
    fn real_duration(&self, simulated: Duration) -> Duration {
        Duration::from_secs_f64(simulated.as_secs_f64() / self.speed().max(f64::MIN_POSITIVE))
    }
    /// Whether this time can be trusted: a Raspberry Pi has no battery-backed
    /// clock and boots with the time of its last shutdown until NTP answers.
    /// Simulated clocks are what they say they are.
    fn synchronised(&self) -> bool {
        true
    }
    /// Time elapsed on a clock that never jumps, from a fixed origin: how
    /// a jump of [`Clock::now`] is told apart from time passing. The
    /// process's monotonic clock; a test's clock keeps its own.
    fn monotonic(&self) -> Duration {
        static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed()
    }
}

/// Where systemd-timesyncd says the clock is synchronised.
pub const TIMESYNC_FLAG: &str = "/run/systemd/timesync/synchronized";

/// The wall clock. Synchronised once `sync_flag` exists: systemd-timesyncd
/// leaves [`TIMESYNC_FLAG`] once it has synchronised since boot; another NTP
/// client can be told by `gateway.clock_sync_flag`. Without the file the
/// answer is "not known", i.e. false.
#[derive(Debug, Clone)]
pub struct SystemClock {
    sync_flag: std::path::PathBuf,
}

impl SystemClock {
    /// The wall clock, trusted once `sync_flag` exists.
    pub fn new(sync_flag: impl Into<std::path::PathBuf>) -> Self {
        Self {
            sync_flag: sync_flag.into(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new(TIMESYNC_FLAG)
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn speed(&self) -> f64 {
        1.0
    }

    fn synchronised(&self) -> bool {
        self.sync_flag.exists()
    }
}

/// A clock that starts at `origin` and runs `speed` times faster than real time.
#[derive(Debug, Clone)]
pub struct ScaledClock {
    origin: DateTime<Utc>,
    started: Instant,
    speed: f64,
}

impl ScaledClock {
    /// Starts now, at `origin`, running `speed` times faster than the wall clock.
    pub fn new(origin: DateTime<Utc>, speed: f64) -> Self {
        Self {
            origin,
            started: Instant::now(),
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
        }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let simulated = self.started.elapsed().as_secs_f64() * self.speed;
        let millis = (simulated * 1000.0).min(i64::MAX as f64 / 2.0) as i64;
        self.origin + chrono::Duration::milliseconds(millis)
    }

    fn speed(&self) -> f64 {
        self.speed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_clock_runs_faster_and_converts_durations() {
        let origin = DateTime::parse_from_rfc3339("2026-01-05T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = ScaledClock::new(origin, 3600.0);
        std::thread::sleep(Duration::from_millis(20));
        let elapsed = clock.now() - origin;
        assert!(
            elapsed >= chrono::Duration::seconds(60),
            "20 ms real is >= 72 s simulated, got {elapsed}"
        );
        assert_eq!(
            clock.real_duration(Duration::from_secs(3600)),
            Duration::from_secs(1)
        );
        assert_eq!(
            ScaledClock::new(origin, -1.0).speed(),
            1.0,
            "nonsense speeds fall back to real time"
        );
    }
}
