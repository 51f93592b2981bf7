//! Login attempts per client address: a few wrong passwords lock that
//! address out for a while, so the admin password cannot be guessed from the
//! LAN at Argon2's pace, and the Pi's CPU is not spent on a brute force.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Wrong passwords allowed within [`WINDOW`] before the address is locked.
pub const MAX_FAILURES: u32 = 5;
/// The window failures are counted in, and how long a lock lasts.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_TRACKED: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    first: Instant,
    locked_until: Option<Instant>,
}

/// Failure counts by address.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    by_addr: HashMap<IpAddr, Record>,
}

impl LoginLimiter {
    /// `Some(wait)` while `addr` is locked out.
    pub fn locked(&self, addr: IpAddr, now: Instant) -> Option<Duration> {
        let until = self.by_addr.get(&addr)?.locked_until?;
        (until > now).then(|| until - now)
    }

    /// Records a wrong password; returns the lock's length when this one locks the address.
    pub fn failed(&mut self, addr: IpAddr, now: Instant) -> Option<Duration> {
        if self.by_addr.len() >= MAX_TRACKED {
            self.by_addr.retain(|_, r| {
                now.duration_since(r.first) <= WINDOW || r.locked_until.is_some_and(|u| u > now)
            });
        }
        let r = self.by_addr.entry(addr).or_insert(Record {
            failures: 0,
            first: now,
            locked_until: None,
        });
        if now.duration_since(r.first) > WINDOW {
            *r = Record {
                failures: 0,
                first: now,
                locked_until: None,
            };
        }
        r.failures += 1;
        if r.failures >= MAX_FAILURES {
            r.locked_until = Some(now + WINDOW);
            return Some(WINDOW);
        }
        None
    }

    /// A right password clears the address's record.
    pub fn succeeded(&mut self, addr: IpAddr) {
        self.by_addr.remove(&addr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_the_address_for_the_window() {
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let t0 = Instant::now();
        let mut l = LoginLimiter::default();
        for k in 1..MAX_FAILURES {
            assert_eq!(l.failed(a, t0 + Duration::from_secs(u64::from(k))), None);
        }
        assert_eq!(l.failed(a, t0 + Duration::from_secs(10)), Some(WINDOW));
        assert!(l.locked(a, t0 + Duration::from_secs(11)).is_some());
        assert!(l.locked(b, t0).is_none(), "other addresses are not locked");
        assert!(l.locked(a, t0 + Duration::from_secs(11) + WINDOW).is_none());
    }

    #[test]
    fn old_failures_and_a_success_are_forgotten() {
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        let mut l = LoginLimiter::default();
        for _ in 1..MAX_FAILURES {
            l.failed(a, t0);
        }
        assert_eq!(l.failed(a, t0 + WINDOW + Duration::from_secs(1)), None);
        for _ in 1..MAX_FAILURES - 1 {
            l.failed(a, t0 + WINDOW + Duration::from_secs(2));
        }
        l.succeeded(a);
        assert_eq!(l.failed(a, t0 + WINDOW + Duration::from_secs(3)), None);
    }
}
