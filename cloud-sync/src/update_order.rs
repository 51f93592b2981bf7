//! The body of the remote `update` command: which package to install.
//!
//! The gateway only checks the shape here (an `https` URL, a Debian version,
//! a base64 ed25519 signature of the right length, a sane health timeout);
//! the signature itself is checked by the updater against the key baked into
//! the image, after the download, by a process that is not the one being
//! replaced.

use serde::{Deserialize, Serialize};

/// Longest package URL accepted.
const MAX_URL: usize = 2048;
/// Health timeouts accepted, in seconds: long enough for a Pi to restart the
/// service, short enough that a broken package is rolled back the same hour.
pub const HEALTH_TIMEOUT_RANGE: std::ops::RangeInclusive<u64> = 10..=1800;
/// The default health timeout, in seconds.
pub const DEFAULT_HEALTH_TIMEOUT: u64 = 180;

/// A validated `update` command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateOrder {
    /// Where the `.deb` is, over HTTPS.
    pub url: String,
    /// The package version it holds; the running gateway must report it
    /// after the restart for the update to count as healthy.
    pub version: String,
    /// Base64 of the 64-byte ed25519 signature of the whole `.deb` file.
    pub signature: String,
    /// How long the new version has to come up healthy before it is rolled
    /// back, in seconds.
    pub health_timeout_seconds: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateBody {
    #[serde(default, rename = "id")]
    _id: Option<String>,
    url: String,
    version: String,
    signature: String,
    health_timeout_seconds: Option<u64>,
}

impl UpdateBody {
    /// The checks every `update` gets before anything is downloaded.
    pub(crate) fn validate(self) -> Result<UpdateOrder, String> {
        let url = self.url.trim();
        if url.len() > MAX_URL {
            return Err(format!("`url` is longer than {MAX_URL} bytes"));
        }
        let Some(rest) = url.strip_prefix("https://") else {
            return Err(format!(
                "`url` {url:?} must be an https:// URL (packages are never fetched in clear)"
            ));
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("`url` {url:?} is not a valid URL"));
        }
        check_version(&self.version)?;
        let signature = self.signature.trim();
        if !is_signature(signature) {
            return Err(
                "`signature` must be the base64 of a 64-byte ed25519 signature of the package"
                    .into(),
            );
        }
        let timeout = self
            .health_timeout_seconds
            .unwrap_or(DEFAULT_HEALTH_TIMEOUT);
        if !HEALTH_TIMEOUT_RANGE.contains(&timeout) {
            return Err(format!(
                "`health_timeout_seconds` must be between {} and {}",
                HEALTH_TIMEOUT_RANGE.start(),
                HEALTH_TIMEOUT_RANGE.end()
            ));
        }
        Ok(UpdateOrder {
            url: url.to_string(),
            version: self.version,
            signature: signature.to_string(),
            health_timeout_seconds: timeout,
        })
    }
}

/// A Debian version as dpkg spells it (`[epoch:]upstream[-revision]`),
/// kept to the characters dpkg allows so it can be compared and logged
/// safely.
pub fn check_version(version: &str) -> Result<(), String> {
    let ok = !version.is_empty()
        && version.len() <= 64
        && version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".+-~:".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`version` {version:?} is not a Debian package version (e.g. 0.2.0-1)"
        ))
    }
}

/// Whether `text` is standard base64 (with padding) of exactly 64 bytes.
fn is_signature(text: &str) -> bool {
    // 64 bytes are 86 base64 digits and `==`.
    text.len() == 88
        && text.ends_with("==")
        && text[..86]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(url: &str, version: &str, signature: &str, timeout: Option<u64>) -> UpdateBody {
        UpdateBody {
            _id: None,
            url: url.into(),
            version: version.into(),
            signature: signature.into(),
            health_timeout_seconds: timeout,
        }
    }

    fn sig() -> String {
        format!("{}==", "A".repeat(86))
    }

    #[test]
    fn a_good_order_validates_with_the_default_timeout() {
        let order = body("https://updates.example.com/a.deb", "0.2.0-1", &sig(), None)
            .validate()
            .expect("valid");
        assert_eq!(order.health_timeout_seconds, DEFAULT_HEALTH_TIMEOUT);
        assert_eq!(order.version, "0.2.0-1");
    }

    #[test]
    fn bad_orders_say_which_field() {
        let cases = [
            (
                body("http://x.example/a.deb", "1.0", &sig(), None),
                "https://",
            ),
            (
                body("https:///a.deb", "1.0", &sig(), None),
                "not a valid URL",
            ),
            (
                body("https://x/a b.deb", "1.0", &sig(), None),
                "not a valid URL",
            ),
            (body("https://x/a.deb", "v1", &sig(), None), "`version`"),
            (body("https://x/a.deb", "1.0;rm", &sig(), None), "`version`"),
            (body("https://x/a.deb", "1.0", "abc", None), "`signature`"),
            (
                body(
                    "https://x/a.deb",
                    "1.0",
                    &format!("{}==", "A".repeat(85)),
                    None,
                ),
                "`signature`",
            ),
            (
                body("https://x/a.deb", "1.0", &sig(), Some(5)),
                "health_timeout",
            ),
            (
                body(
                    &format!("https://x/{}", "a".repeat(3000)),
                    "1.0",
                    &sig(),
                    None,
                ),
                "longer than",
            ),
        ];
        for (b, expected) in cases {
            let err = b.validate().expect_err("invalid");
            assert!(err.contains(expected), "{err} should mention {expected}");
        }
    }
}
