//! From the credentials an operator writes (config file or command line) to
//! the SNMP client's typed credentials, with errors that name the field.

use asr_protocols::snmp::{AuthProtocol, Credentials, PrivProtocol, V3Credentials};

use crate::config::SnmpCredentials;

/// Builds client credentials; the error names the offending field.
pub fn to_client(c: &SnmpCredentials) -> Result<Credentials, String> {
    match c.version.as_str() {
        "1" => Ok(Credentials::v1(c.community.clone())),
        "2c" | "2" => Ok(Credentials::v2c(c.community.clone())),
        "3" => {
            let user = c
                .user
                .clone()
                .filter(|u| !u.is_empty())
                .ok_or("user is required for SNMPv3")?;
            let auth = match (&c.auth_proto, &c.auth_pass) {
                (Some(p), Some(pass)) => {
                    let proto: AuthProtocol = p.parse().map_err(|e| format!("auth_proto: {e}"))?;
                    Some((proto, pass.clone()))
                }
                (None, None) => None,
                _ => return Err("auth_proto and auth_pass go together".into()),
            };
            let privacy = match (&c.priv_proto, &c.priv_pass) {
                (Some(p), Some(pass)) => {
                    let proto: PrivProtocol = p.parse().map_err(|e| format!("priv_proto: {e}"))?;
                    Some((proto, pass.clone()))
                }
                (None, None) => None,
                _ => return Err("priv_proto and priv_pass go together".into()),
            };
            if privacy.is_some() && auth.is_none() {
                return Err("privacy needs authentication (auth_proto)".into());
            }
            Ok(Credentials::V3(V3Credentials {
                user,
                auth,
                privacy,
                context: c.context.clone().unwrap_or_default(),
            }))
        }
        other => Err(format!(
            "version {other:?}: expected \"1\", \"2c\" or \"3\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_every_version_and_names_bad_fields() {
        let mut c = SnmpCredentials::default();
        assert!(matches!(to_client(&c).unwrap(), Credentials::V2c { .. }));
        c.version = "1".into();
        assert!(matches!(to_client(&c).unwrap(), Credentials::V1 { .. }));
        c.version = "3".into();
        assert!(to_client(&c).unwrap_err().contains("user"));
        c.user = Some("asr".into());
        c.auth_proto = Some("SHA-256".into());
        c.auth_pass = Some("auth-pass-phrase".into());
        c.priv_proto = Some("AES".into());
        c.priv_pass = Some("priv-pass-phrase".into());
        let Credentials::V3(v3) = to_client(&c).unwrap() else {
            panic!("v3 expected")
        };
        assert_eq!(v3.security_level(), "authPriv");
        c.auth_proto = Some("ROT13".into());
        assert!(to_client(&c).unwrap_err().starts_with("auth_proto"));
    }
}
