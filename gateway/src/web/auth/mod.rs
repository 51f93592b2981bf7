//! Who may use the status page: one local admin password (Argon2id hash from
//! the config file, or set once on a setup page reachable only from the LAN),
//! in-memory sessions in an HttpOnly, SameSite=Strict cookie, a CSRF token on
//! every form, and login attempts limited per address.
//!
//! Everything but `/healthz` (and the login and setup pages themselves) needs
//! a session: see [`http::require_login`].

pub mod http;
mod limiter;
pub mod password;
mod sessions;
pub(crate) mod text;

use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use limiter::LoginLimiter;
use sessions::{FormTokens, Sessions};

pub use password::{PasswordError, hash_password, validate_hash};

/// Stores a hash chosen on the setup page (the gateway writes it to SQLite).
pub type PersistHash = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// A session stays open this long without a request…
pub const DEFAULT_IDLE: Duration = Duration::from_secs(8 * 3600);
/// …and never longer than this.
pub const DEFAULT_ABSOLUTE: Duration = Duration::from_secs(7 * 24 * 3600);

/// The page's access control, shared by every request.
pub struct Auth {
    hash: RwLock<Option<String>>,
    persist: Option<PersistHash>,
    sessions: Mutex<Sessions>,
    forms: Mutex<FormTokens>,
    limiter: Mutex<LoginLimiter>,
    secure_cookies: bool,
    public_metrics: bool,
    password_in_file: bool,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("password_set", &self.password_set())
            .finish_non_exhaustive()
    }
}

/// Why a password change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeRefused {
    /// The password is set in the configuration file.
    InFile,
    /// The current password is wrong.
    WrongCurrent,
    /// The two new ones differ.
    Mismatch,
    /// The new one is too weak (the reason).
    Weak(String),
    /// Too many wrong passwords from this address.
    Locked(Duration),
    /// It could not be stored.
    Storage(String),
}

/// What a login attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Logged in: the new session's id.
    Session(String),
    /// Wrong password (the attempt is counted).
    Wrong,
    /// Too many wrong passwords from this address: try again after this long.
    Locked(Duration),
    /// No password is set yet: the setup page comes first.
    NoPassword,
}

impl Auth {
    /// Access control with `hash` (a validated Argon2 PHC string) or, when
    /// `None`, waiting for the setup page, which stores its choice through `persist`.
    pub fn new(hash: Option<String>, persist: Option<PersistHash>) -> Self {
        Self::with_lifetimes(hash, persist, DEFAULT_IDLE, DEFAULT_ABSOLUTE)
    }

    /// As [`Auth::new`], with the session lifetimes chosen (tests use seconds).
    pub fn with_lifetimes(
        hash: Option<String>,
        persist: Option<PersistHash>,
        idle: Duration,
        absolute: Duration,
    ) -> Self {
        Self {
            hash: RwLock::new(hash),
            persist,
            sessions: Mutex::new(Sessions::new(idle, absolute)),
            forms: Mutex::new(FormTokens::default()),
            limiter: Mutex::new(LoginLimiter::default()),
            secure_cookies: false,
            public_metrics: false,
            password_in_file: false,
        }
    }

    /// Marks cookies `Secure` (the page is served over HTTPS).
    pub fn secure(mut self) -> Self {
        self.secure_cookies = true;
        self
    }

    /// Lets `/metrics` be read without a session (a monitoring server on
    /// the LAN has no browser to log in with).
    pub fn public_metrics(mut self, public: bool) -> Self {
        self.public_metrics = public;
        self
    }

    /// The password comes from the configuration file: the page cannot
    /// change it for good (the file wins at the next start), so it says so
    /// instead of offering to.
    pub fn password_in_file(mut self, in_file: bool) -> Self {
        self.password_in_file = in_file;
        self
    }

    /// Whether the password is the configuration file's.
    pub fn password_from_file(&self) -> bool {
        self.password_in_file
    }

    /// Whether an admin password exists (else the setup page is open to the LAN).
    pub fn password_set(&self) -> bool {
        self.hash
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// A CSRF token for a login or setup form, bound to the returned cookie
    /// value (the browser's current one when it has a live one).
    pub fn form_token(&self, cookie: Option<&str>) -> (String, String) {
        self.forms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .issue(cookie, Instant::now())
    }

    /// Whether a form's token is the one its cookie was given (spent either way).
    pub fn redeem_form(&self, cookie: &str, token: &str) -> bool {
        self.forms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .redeem(cookie, token, Instant::now())
    }

    /// Checks a password from `addr` (Argon2 on the caller's thread: call it
    /// from a blocking task).
    pub fn login(&self, addr: IpAddr, password: &str) -> LoginOutcome {
        let now = Instant::now();
        if let Some(wait) = self.lock_limiter().locked(addr, now) {
            return LoginOutcome::Locked(wait);
        }
        let Some(hash) = self
            .hash
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        else {
            return LoginOutcome::NoPassword;
        };
        if password::verify(password, &hash) {
            self.lock_limiter().succeeded(addr);
            let (id, _) = self.lock_sessions().open(now);
            LoginOutcome::Session(id)
        } else {
            match self.lock_limiter().failed(addr, now) {
                Some(wait) => LoginOutcome::Locked(wait),
                None => LoginOutcome::Wrong,
            }
        }
    }

    /// The CSRF token of a live session, or `None` (unknown or expired).
    pub fn session(&self, id: &str) -> Option<String> {
        self.lock_sessions().touch(id, Instant::now())
    }

    /// Ends a session.
    pub fn logout(&self, id: &str) {
        self.lock_sessions().close(id);
    }

    /// Sets the admin password (setup page or password change): stored
    /// first, then used; every open session ends.
    pub fn set_password(&self, new_password: &str) -> Result<(), String> {
        let hash = hash_password(new_password).map_err(|e| e.to_string())?;
        if let Some(persist) = &self.persist {
            persist(&hash)?;
        }
        *self.hash.write().unwrap_or_else(PoisonError::into_inner) = Some(hash);
        self.lock_sessions().close_all();
        Ok(())
    }

    /// Changes the password from the settings page: the current one must be
    /// right (a wrong one counts like a failed login from `addr`), the new
    /// one typed twice. Every session ends; the caller's gets a new one,
    /// whose id is returned.
    pub fn change_password(
        &self,
        addr: IpAddr,
        current: &str,
        new: &str,
        confirm: &str,
    ) -> Result<String, ChangeRefused> {
        if self.password_in_file {
            return Err(ChangeRefused::InFile);
        }
        let now = Instant::now();
        if let Some(wait) = self.lock_limiter().locked(addr, now) {
            return Err(ChangeRefused::Locked(wait));
        }
        if !self.verify(current) {
            return Err(match self.lock_limiter().failed(addr, now) {
                Some(wait) => ChangeRefused::Locked(wait),
                None => ChangeRefused::WrongCurrent,
            });
        }
        if new != confirm {
            return Err(ChangeRefused::Mismatch);
        }
        if new.chars().count() < password::MIN_PASSWORD_CHARS {
            return Err(ChangeRefused::Weak(
                password::PasswordError::TooShort.to_string(),
            ));
        }
        self.set_password(new).map_err(ChangeRefused::Storage)?;
        Ok(self.lock_sessions().open(now).0)
    }

    /// Checks a password without opening a session (password change).
    pub fn verify(&self, password: &str) -> bool {
        self.hash
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_deref()
            .is_some_and(|h| password::verify(password, h))
    }

    fn lock_sessions(&self) -> std::sync::MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_limiter(&self) -> std::sync::MutexGuard<'_, LoginLimiter> {
        self.limiter.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
