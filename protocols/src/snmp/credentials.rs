//! How the gateway authenticates to a printer: a v1/v2c community or an
//! SNMPv3 USM user.
//!
//! These types are read from the operator's TOML configuration, so they carry
//! their own small protocol enums (parsed from the spellings operators use,
//! e.g. "SHA-256", "AES") instead of exposing the SNMP library's types. Their
//! `Debug` and `Display` never print a community or a password: credentials
//! end up in logs through error messages and `{:?}` far too easily.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

/// Credentials for one device.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "version", rename_all = "lowercase", deny_unknown_fields)]
pub enum Credentials {
    /// SNMPv1 with a community string (no GETBULK).
    V1 {
        /// The community string; a secret.
        community: String,
    },
    /// SNMPv2c with a community string.
    V2c {
        /// The community string; a secret.
        community: String,
    },
    /// SNMPv3 with a USM user.
    #[serde(rename = "v3")]
    V3(V3Credentials),
}

impl Credentials {
    /// v2c with the given community.
    pub fn v2c(community: impl Into<String>) -> Self {
        Self::V2c {
            community: community.into(),
        }
    }

    /// v1 with the given community.
    pub fn v1(community: impl Into<String>) -> Self {
        Self::V1 {
            community: community.into(),
        }
    }

    /// The protocol version as operators name it ("v1", "v2c", "v3").
    pub fn version_name(&self) -> &'static str {
        match self {
            Self::V1 { .. } => "v1",
            Self::V2c { .. } => "v2c",
            Self::V3(_) => "v3",
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V1 { .. } => f.debug_struct("V1").field("community", &Redacted).finish(),
            Self::V2c { .. } => f.debug_struct("V2c").field("community", &Redacted).finish(),
            Self::V3(v3) => f.debug_tuple("V3").field(v3).finish(),
        }
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V1 { .. } => f.write_str("SNMPv1 community <redacted>"),
            Self::V2c { .. } => f.write_str("SNMPv2c community <redacted>"),
            Self::V3(v3) => fmt::Display::fmt(v3, f),
        }
    }
}

/// An SNMPv3 USM user. Authentication without privacy is authNoPriv;
/// privacy requires authentication (USM has no noAuthPriv).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct V3Credentials {
    /// The USM user name (not a secret).
    pub user: String,
    /// Authentication protocol and password.
    #[serde(default)]
    pub auth: Option<(AuthProtocol, String)>,
    /// Privacy protocol and password.
    #[serde(default)]
    pub privacy: Option<(PrivProtocol, String)>,
    /// The SNMPv3 context name; empty for the default context.
    #[serde(default)]
    pub context: String,
}

impl V3Credentials {
    /// A user with authentication and privacy (authPriv).
    pub fn auth_priv(
        user: impl Into<String>,
        auth: AuthProtocol,
        auth_password: impl Into<String>,
        privacy: PrivProtocol,
        priv_password: impl Into<String>,
    ) -> Self {
        Self {
            user: user.into(),
            auth: Some((auth, auth_password.into())),
            privacy: Some((privacy, priv_password.into())),
            context: String::new(),
        }
    }

    /// A user with authentication only (authNoPriv).
    pub fn auth_no_priv(
        user: impl Into<String>,
        auth: AuthProtocol,
        auth_password: impl Into<String>,
    ) -> Self {
        Self {
            user: user.into(),
            auth: Some((auth, auth_password.into())),
            privacy: None,
            context: String::new(),
        }
    }

    /// The security level as USM names it.
    pub fn security_level(&self) -> &'static str {
        match (&self.auth, &self.privacy) {
            (Some(_), Some(_)) => "authPriv",
            (Some(_), None) => "authNoPriv",
            (None, Some(_)) => "invalid (privacy without authentication)",
            (None, None) => "noAuthNoPriv",
        }
    }
}

impl fmt::Debug for V3Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V3Credentials")
            .field("user", &self.user)
            .field("auth", &self.auth.as_ref().map(|(p, _)| (p, Redacted)))
            .field(
                "privacy",
                &self.privacy.as_ref().map(|(p, _)| (p, Redacted)),
            )
            .field("context", &self.context)
            .finish()
    }
}

impl fmt::Display for V3Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SNMPv3 user {:?} ({}", self.user, self.security_level())?;
        if let Some((p, _)) = &self.auth {
            write!(f, ", auth {p}")?;
        }
        if let Some((p, _)) = &self.privacy {
            write!(f, ", privacy {p}")?;
        }
        if !self.context.is_empty() {
            write!(f, ", context {:?}", self.context)?;
        }
        f.write_str(")")
    }
}

/// Stands in for a secret in `Debug` output.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A protocol name that is not one we know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} protocol {input:?}; expected one of {expected}")]
pub struct UnknownProtocol {
    kind: &'static str,
    input: String,
    expected: &'static str,
}

/// USM authentication protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthProtocol {
    /// HMAC-MD5-96; old printers only.
    Md5,
    /// HMAC-SHA-96 ("SHA").
    Sha1,
    /// HMAC-SHA-224.
    Sha224,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-384.
    Sha384,
    /// HMAC-SHA-512.
    Sha512,
}

impl AuthProtocol {
    pub(crate) fn to_lib(self) -> async_snmp::AuthProtocol {
        match self {
            Self::Md5 => async_snmp::AuthProtocol::Md5,
            Self::Sha1 => async_snmp::AuthProtocol::Sha1,
            Self::Sha224 => async_snmp::AuthProtocol::Sha224,
            Self::Sha256 => async_snmp::AuthProtocol::Sha256,
            Self::Sha384 => async_snmp::AuthProtocol::Sha384,
            Self::Sha512 => async_snmp::AuthProtocol::Sha512,
        }
    }
}

impl FromStr for AuthProtocol {
    type Err = UnknownProtocol;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_uppercase();
        Ok(match norm.as_str() {
            "MD5" | "HMACMD5" => Self::Md5,
            "SHA" | "SHA1" | "HMACSHA" => Self::Sha1,
            "SHA224" => Self::Sha224,
            "SHA256" => Self::Sha256,
            "SHA384" => Self::Sha384,
            "SHA512" => Self::Sha512,
            _ => {
                return Err(UnknownProtocol {
                    kind: "authentication",
                    input: s.to_string(),
                    expected: "MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512",
                });
            }
        })
    }
}

impl fmt::Display for AuthProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Md5 => "MD5",
            Self::Sha1 => "SHA",
            Self::Sha224 => "SHA-224",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        })
    }
}

impl<'de> Deserialize<'de> for AuthProtocol {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// USM privacy protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrivProtocol {
    /// DES-CBC; broken, but some old printers offer nothing else.
    Des,
    /// AES-128-CFB ("AES").
    Aes128,
    /// AES-192-CFB (Blumenthal key extension).
    Aes192,
    /// AES-256-CFB (Blumenthal key extension).
    Aes256,
}

impl PrivProtocol {
    pub(crate) fn to_lib(self) -> async_snmp::PrivProtocol {
        match self {
            Self::Des => async_snmp::PrivProtocol::Des,
            Self::Aes128 => async_snmp::PrivProtocol::Aes128,
            Self::Aes192 => async_snmp::PrivProtocol::Aes192Blumenthal,
            Self::Aes256 => async_snmp::PrivProtocol::Aes256Blumenthal,
        }
    }
}

impl FromStr for PrivProtocol {
    type Err = UnknownProtocol;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_uppercase();
        Ok(match norm.as_str() {
            "DES" | "DESCBC" => Self::Des,
            "AES" | "AES128" | "AESCFB128" => Self::Aes128,
            "AES192" => Self::Aes192,
            "AES256" => Self::Aes256,
            _ => {
                return Err(UnknownProtocol {
                    kind: "privacy",
                    input: s.to_string(),
                    expected: "DES, AES (AES-128), AES-192, AES-256",
                });
            }
        })
    }
}

impl fmt::Display for PrivProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Des => "DES",
            Self::Aes128 => "AES",
            Self::Aes192 => "AES-192",
            Self::Aes256 => "AES-256",
        })
    }
}

impl<'de> Deserialize<'de> for PrivProtocol {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names_parse_in_operator_spellings() {
        assert_eq!("SHA".parse::<AuthProtocol>().unwrap(), AuthProtocol::Sha1);
        assert_eq!(
            "sha-256".parse::<AuthProtocol>().unwrap(),
            AuthProtocol::Sha256
        );
        assert_eq!(
            "SHA512".parse::<AuthProtocol>().unwrap(),
            AuthProtocol::Sha512
        );
        assert_eq!("MD5".parse::<AuthProtocol>().unwrap(), AuthProtocol::Md5);
        assert_eq!("AES".parse::<PrivProtocol>().unwrap(), PrivProtocol::Aes128);
        assert_eq!(
            "aes-128".parse::<PrivProtocol>().unwrap(),
            PrivProtocol::Aes128
        );
        assert_eq!("DES".parse::<PrivProtocol>().unwrap(), PrivProtocol::Des);
        let err = "SHA-3".parse::<AuthProtocol>().unwrap_err();
        assert!(err.to_string().contains("SHA-3"), "{err}");
        assert!("blowfish".parse::<PrivProtocol>().is_err());
    }

    #[test]
    fn debug_and_display_never_show_secrets() {
        let all = [
            Credentials::v1("s3cretCommunity"),
            Credentials::v2c("s3cretCommunity"),
            Credentials::V3(V3Credentials {
                context: "ctx".into(),
                ..V3Credentials::auth_priv(
                    "monitor",
                    AuthProtocol::Sha256,
                    "s3cretAuthPass",
                    PrivProtocol::Aes128,
                    "s3cretPrivPass",
                )
            }),
        ];
        for c in &all {
            for text in [format!("{c:?}"), format!("{c:#?}"), format!("{c}")] {
                assert!(!text.contains("s3cret"), "secret leaked: {text}");
                assert!(
                    text.contains("redacted") || text.contains("monitor"),
                    "{text}"
                );
            }
        }
        let v3 = format!("{}", all[2]);
        assert!(
            v3.contains("monitor") && v3.contains("SHA-256") && v3.contains("authPriv"),
            "{v3}"
        );
    }

    #[test]
    fn deserializes_from_toml_shaped_values() {
        let json = r#"{"version":"v3","user":"u","auth":["SHA-256","authpassword"],"privacy":["AES","privpassword"]}"#;
        let c: Credentials = serde_json::from_str(json).unwrap();
        let Credentials::V3(v3) = c else {
            panic!("expected v3")
        };
        assert_eq!(v3.auth.as_ref().unwrap().0, AuthProtocol::Sha256);
        assert_eq!(v3.privacy.as_ref().unwrap().0, PrivProtocol::Aes128);
        assert_eq!(v3.context, "");
        let c: Credentials =
            serde_json::from_str(r#"{"version":"v2c","community":"public"}"#).unwrap();
        assert_eq!(c, Credentials::v2c("public"));
        assert!(
            serde_json::from_str::<Credentials>(
                r#"{"version":"v3","user":"u","auth":["SHA-3","x"]}"#
            )
            .is_err()
        );
    }
}
