//! Logged-in sessions and the one-time tokens of the login form, kept in
//! memory: a restart logs everybody out, which on a box that restarts only
//! for updates is a fair price for never writing session secrets to the SD card.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A random token, 128 bits as 32 hex digits: session ids and CSRF tokens.
pub fn random_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// One logged-in browser.
#[derive(Debug, Clone)]
struct Session {
    csrf: String,
    created: Instant,
    last_used: Instant,
}

/// Sessions by id, expiring after `idle` without a request and after
/// `absolute` whatever happens.
#[derive(Debug)]
pub struct Sessions {
    by_id: HashMap<String, Session>,
    idle: Duration,
    absolute: Duration,
}

/// Sessions kept at most (the oldest go first): a flood of logins cannot grow memory.
const MAX_SESSIONS: usize = 256;

impl Sessions {
    pub fn new(idle: Duration, absolute: Duration) -> Self {
        Self {
            by_id: HashMap::new(),
            idle,
            absolute,
        }
    }

    /// Opens a session; returns its id and CSRF token.
    pub fn open(&mut self, now: Instant) -> (String, String) {
        self.prune(now);
        if self.by_id.len() >= MAX_SESSIONS
            && let Some(oldest) = self
                .by_id
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(k, _)| k.clone())
        {
            self.by_id.remove(&oldest);
        }
        let (id, csrf) = (random_token(), random_token());
        self.by_id.insert(
            id.clone(),
            Session {
                csrf: csrf.clone(),
                created: now,
                last_used: now,
            },
        );
        (id, csrf)
    }

    /// The CSRF token of a live session (touching it), or `None` when the
    /// id is unknown or expired.
    pub fn touch(&mut self, id: &str, now: Instant) -> Option<String> {
        let (idle, absolute) = (self.idle, self.absolute);
        let alive = self.by_id.get(id).is_some_and(|s| {
            now.duration_since(s.last_used) <= idle && now.duration_since(s.created) <= absolute
        });
        if !alive {
            self.by_id.remove(id);
            return None;
        }
        let s = self.by_id.get_mut(id)?;
        s.last_used = now;
        Some(s.csrf.clone())
    }

    /// Ends a session (logout).
    pub fn close(&mut self, id: &str) {
        self.by_id.remove(id);
    }

    /// Ends every session (the password changed).
    pub fn close_all(&mut self) {
        self.by_id.clear();
    }

    fn prune(&mut self, now: Instant) {
        let (idle, absolute) = (self.idle, self.absolute);
        self.by_id.retain(|_, s| {
            now.duration_since(s.last_used) <= idle && now.duration_since(s.created) <= absolute
        });
    }
}

/// CSRF tokens handed out with the login and setup forms, before anyone is
/// logged in: each bound to a short-lived cookie, usable once. A browser
/// that opens the form twice (a second tab, a favicon request sent to the
/// login page) keeps its cookie, so every form it shows stays valid.
#[derive(Debug, Default)]
pub struct FormTokens {
    /// Token → (its cookie, when issued).
    by_token: HashMap<String, (String, Instant)>,
}

/// How long a login form may stay open before its token expires.
const FORM_TOKEN_LIFE: Duration = Duration::from_secs(30 * 60);
const MAX_FORM_TOKENS: usize = 1024;

impl FormTokens {
    /// A new (cookie, token) pair; `cookie` is kept when it is one this
    /// server handed out and still live.
    pub fn issue(&mut self, cookie: Option<&str>, now: Instant) -> (String, String) {
        self.by_token
            .retain(|_, (_, at)| now.duration_since(*at) <= FORM_TOKEN_LIFE);
        if self.by_token.len() >= MAX_FORM_TOKENS {
            self.by_token.clear();
        }
        let cookie = cookie
            .filter(|c| self.by_token.values().any(|(known, _)| known == c))
            .map_or_else(random_token, str::to_owned);
        let token = random_token();
        self.by_token.insert(token.clone(), (cookie.clone(), now));
        (cookie, token)
    }

    /// Whether `token` was issued with `cookie` and is still live; it is spent either way.
    pub fn redeem(&mut self, cookie: &str, token: &str, now: Instant) -> bool {
        match self.by_token.remove(token) {
            Some((expected, at)) => {
                now.duration_since(at) <= FORM_TOKEN_LIFE && constant_time_eq(&expected, cookie)
            }
            None => false,
        }
    }
}

/// Compares two tokens without stopping at the first difference.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_when_idle_and_when_old() {
        let t0 = Instant::now();
        let mut s = Sessions::new(Duration::from_secs(60), Duration::from_secs(300));
        let (id, csrf) = s.open(t0);
        assert_eq!(
            s.touch(&id, t0 + Duration::from_secs(59)),
            Some(csrf.clone())
        );
        assert_eq!(s.touch(&id, t0 + Duration::from_secs(118)), Some(csrf));
        assert_eq!(s.touch(&id, t0 + Duration::from_secs(179)), None, "idle");
        let (id, _) = s.open(t0);
        for k in 1..=5 {
            assert!(s.touch(&id, t0 + Duration::from_secs(50 * k)).is_some());
        }
        assert!(s.touch(&id, t0 + Duration::from_secs(301)).is_none(), "old");
        assert!(s.touch("forged", t0).is_none());
    }

    #[test]
    fn form_tokens_are_bound_to_their_cookie_and_spent_once() {
        let t0 = Instant::now();
        let mut f = FormTokens::default();
        let (_, token) = f.issue(None, t0);
        let (other, other_token) = f.issue(None, t0);
        assert!(!f.redeem(&other, &token, t0), "another form's cookie");
        let (cookie, token) = f.issue(None, t0);
        // A second form in the same browser keeps the cookie; both work.
        let (same, second) = f.issue(Some(&cookie), t0);
        assert_eq!(same, cookie);
        assert!(f.redeem(&cookie, &token, t0));
        assert!(!f.redeem(&cookie, &token, t0), "spent");
        assert!(f.redeem(&cookie, &second, t0));
        // A cookie this server never handed out is replaced.
        assert_ne!(f.issue(Some("made up"), t0).0, "made up");
        assert!(f.redeem(&other, &other_token, t0));
        let (cookie, token) = f.issue(None, t0);
        assert!(!f.redeem(
            &cookie,
            &token,
            t0 + FORM_TOKEN_LIFE + Duration::from_secs(1)
        ));
    }
}
