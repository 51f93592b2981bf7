//! Ed25519 signatures of update packages.
//!
//! The supplier signs each `.deb` with a private key it keeps; the image
//! carries the public key (`update.key_file`). Files are plain text: the
//! public key file holds one base64 key per line (several allow a key
//! rotation: a package signed by any of them is accepted; `#` starts a
//! comment), the private key file holds the base64 of its PKCS#8 document.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

use super::error::UpdateError;

/// Length of a raw ed25519 public key.
const PUBLIC_KEY_LEN: usize = 32;
/// Key files are a few lines; anything bigger is not one.
const MAX_KEY_FILE: u64 = 16 * 1024;

/// A public key packages may be signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey([u8; PUBLIC_KEY_LEN]);

impl PublicKey {
    /// The base64 text of the key, as key files hold it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Whether `signature` (raw 64 bytes) is this key's signature of `data`.
    fn verifies(&self, data: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.0)
            .verify(data, signature)
            .is_ok()
    }
}

/// A private signing key (the supplier's side).
pub struct SigningKey {
    pkcs8: Vec<u8>,
    pair: Ed25519KeyPair,
}

impl SigningKey {
    /// A new random key.
    pub fn generate() -> Result<SigningKey, UpdateError> {
        let document = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| UpdateError::Key("cannot generate a key".into()))?;
        Self::from_pkcs8(document.as_ref().to_vec())
    }

    fn from_pkcs8(pkcs8: Vec<u8>) -> Result<SigningKey, UpdateError> {
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
            .map_err(|e| UpdateError::Key(format!("not an ed25519 PKCS#8 key: {e}")))?;
        Ok(SigningKey { pkcs8, pair })
    }

    /// Reads a private key file written by [`SigningKey::to_file_text`].
    pub fn read(path: &Path) -> Result<SigningKey, UpdateError> {
        let text = read_small(path)?;
        let line = key_lines(&text)
            .next()
            .ok_or_else(|| UpdateError::Key(format!("{} holds no key", path.display())))?;
        let pkcs8 = STANDARD
            .decode(line)
            .map_err(|e| UpdateError::Key(format!("{}: not base64: {e}", path.display())))?;
        Self::from_pkcs8(pkcs8)
    }

    /// The text of its private key file.
    pub fn to_file_text(&self) -> String {
        format!(
            "# ASR gateway update signing key (ed25519, PKCS#8). Keep it secret.\n{}\n",
            STANDARD.encode(&self.pkcs8)
        )
    }

    pub fn public_key(&self) -> PublicKey {
        let mut raw = [0u8; PUBLIC_KEY_LEN];
        raw.copy_from_slice(self.pair.public_key().as_ref());
        PublicKey(raw)
    }

    /// The base64 signature of `data`, as the `update` command carries it.
    pub fn sign(&self, data: &[u8]) -> String {
        STANDARD.encode(self.pair.sign(data).as_ref())
    }
}

/// The text of a public key file holding `key`.
pub fn public_key_file_text(key: &PublicKey) -> String {
    format!(
        "# ASR gateway update key (ed25519). Packages signed by any key here are accepted.\n{}\n",
        key.to_base64()
    )
}

/// Reads a public key file: at least one key, every line a valid key.
pub fn read_public_keys(path: &Path) -> Result<Vec<PublicKey>, UpdateError> {
    let text = read_small(path)?;
    let mut keys = Vec::new();
    for line in key_lines(&text) {
        let raw = STANDARD
            .decode(line)
            .ok()
            .and_then(|bytes| <[u8; PUBLIC_KEY_LEN]>::try_from(bytes).ok())
            .ok_or_else(|| {
                UpdateError::Key(format!(
                    "{}: {line:?} is not the base64 of a 32-byte ed25519 public key",
                    path.display()
                ))
            })?;
        keys.push(PublicKey(raw));
    }
    if keys.is_empty() {
        return Err(UpdateError::Key(format!("{} holds no key", path.display())));
    }
    Ok(keys)
}

/// Whether `signature` (base64) is a signature of `data` by one of `keys`.
pub fn verify(keys: &[PublicKey], data: &[u8], signature: &str) -> bool {
    let Ok(raw) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    keys.iter().any(|k| k.verifies(data, &raw))
}

fn key_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn read_small(path: &Path) -> Result<String, UpdateError> {
    let len = std::fs::metadata(path)
        .map_err(|e| UpdateError::Key(format!("cannot read {}: {e}", path.display())))?
        .len();
    if len > MAX_KEY_FILE {
        return Err(UpdateError::Key(format!(
            "{} is {len} bytes: not a key file",
            path.display()
        )));
    }
    std::fs::read_to_string(path)
        .map_err(|e| UpdateError::Key(format!("cannot read {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_key_and_data() {
        let key = SigningKey::generate().expect("key");
        let other = SigningKey::generate().expect("key");
        let signature = key.sign(b"package bytes");
        assert!(verify(&[key.public_key()], b"package bytes", &signature));
        assert!(verify(
            &[other.public_key(), key.public_key()],
            b"package bytes",
            &signature
        ));
        assert!(!verify(&[other.public_key()], b"package bytes", &signature));
        assert!(!verify(&[key.public_key()], b"package byteS", &signature));
        assert!(!verify(
            &[key.public_key()],
            b"package bytes",
            "not base64!"
        ));
    }

    #[test]
    fn key_files_round_trip_and_bad_ones_are_named() {
        let dir = tempfile::tempdir().expect("dir");
        let key = SigningKey::generate().expect("key");
        let private = dir.path().join("update.key");
        let public = dir.path().join("update-key.pub");
        std::fs::write(&private, key.to_file_text()).expect("write");
        std::fs::write(&public, public_key_file_text(&key.public_key())).expect("write");
        let again = SigningKey::read(&private).expect("private key");
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(
            read_public_keys(&public).expect("public keys"),
            vec![key.public_key()]
        );

        std::fs::write(&public, "# nothing\n").expect("write");
        let err = read_public_keys(&public).expect_err("empty");
        assert!(err.to_string().contains("holds no key"), "{err}");
        std::fs::write(&public, "c2hvcnQ=\n").expect("write");
        let err = read_public_keys(&public).expect_err("short");
        assert!(err.to_string().contains("32-byte"), "{err}");
        let err = read_public_keys(&dir.path().join("missing")).expect_err("missing");
        assert!(err.to_string().contains("cannot read"), "{err}");
    }
}
