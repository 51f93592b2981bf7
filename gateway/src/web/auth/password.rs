//! The admin password: stored only as an Argon2id hash in PHC string form
//! (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), so neither the config file nor
//! the database ever holds it in clear.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// The shortest admin password accepted when one is set on the gateway.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Why a password or a stored hash was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    /// The stored value is not an Argon2 PHC string.
    #[error(
        "not an Argon2 password hash (expected a PHC string such as \
         `$argon2id$v=19$m=19456,t=2,p=1$…$…`; make one with `asr-gateway hash-password`): {0}"
    )]
    BadHash(String),
    /// A new password that is too weak to protect the page.
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// Hashing failed (should not happen with the default parameters).
    #[error("cannot hash the password: {0}")]
    Hashing(String),
}

/// Checks that `phc` is an Argon2 hash this gateway can verify against.
pub fn validate_hash(phc: &str) -> Result<(), PasswordError> {
    let parsed = PasswordHash::new(phc).map_err(|e| PasswordError::BadHash(e.to_string()))?;
    match parsed.algorithm.as_str() {
        "argon2id" | "argon2i" | "argon2d" => Ok(()),
        other => Err(PasswordError::BadHash(format!(
            "algorithm {other:?} is not Argon2"
        ))),
    }
}

/// Hashes a new admin password with Argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Whether `password` matches the stored hash (constant-time comparison
/// inside the Argon2 crate). A malformed hash matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(validate_hash(&h).is_ok());
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("", &h));
    }

    #[test]
    fn short_passwords_and_foreign_hashes_are_refused() {
        assert_eq!(hash_password("short"), Err(PasswordError::TooShort));
        assert!(validate_hash("plain text").is_err());
        assert!(validate_hash("$2b$12$abcdefghijklmnopqrstuv").is_err());
        assert!(!verify("anything", "not a hash"));
    }
}
