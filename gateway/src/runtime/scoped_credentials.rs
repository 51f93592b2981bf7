//! SNMP credentials for one printer address or one subnet, set on the
//! settings page: a site whose accounting printers use another community,
//! or a floor with SNMPv3. They are tried first on the addresses they
//! cover, before the default credentials, and kept in the database (the
//! page never shows their secrets back).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::config::SnmpCredentials;

/// The `meta` key holding the list (JSON).
pub(crate) const META_KEY: &str = "snmp_scoped_credentials";

/// Most entries a gateway keeps: a page is not a credentials database.
pub(crate) const MAX_ENTRIES: usize = 64;

/// Which addresses an entry covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scope {
    network: IpAddr,
    prefix: u8,
}

impl Scope {
    /// `192.168.10.21`, `192.168.10.0/24`, `fd00::/64`.
    pub fn parse(text: &str) -> Result<Scope, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = addr.parse().map_err(|_| {
            format!("{text:?} is neither an address nor a subnet such as 192.168.10.0/24")
        })?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(Scope { network, prefix })
    }

    /// Whether `ip` is inside.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }

    /// Longer prefixes are more specific: they are tried first.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }
}

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ScopedEntry {
    /// As the admin typed it (normalised by [`Scope::parse`] when checked).
    pub scope: String,
    /// The credentials, secrets included.
    pub credentials: SnmpCredentials,
}

/// The live form of `entries`; an entry that no longer checks out (a
/// protocol name this version refuses) is skipped with a warning.
pub(crate) fn to_live(entries: &[ScopedEntry]) -> Vec<(Scope, asr_protocols::snmp::Credentials)> {
    entries
        .iter()
        .filter_map(|e| {
            let checked = Scope::parse(&e.scope)
                .and_then(|scope| crate::credentials::to_client(&e.credentials).map(|c| (scope, c)));
            checked
                .map_err(|reason| tracing::warn!(scope = %e.scope, %reason, "stored SNMP credentials skipped"))
                .ok()
        })
        .collect()
}

/// Parses the stored list; a damaged value is an empty list (and a warning
/// by the caller), never a crash.
pub(crate) fn decode(text: &str) -> Result<Vec<ScopedEntry>, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// The stored form of `entries`.
pub(crate) fn encode(entries: &[ScopedEntry]) -> String {
    serde_json::to_string(entries).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_cover_what_they_say() {
        let net = Scope::parse("192.168.10.0/24").unwrap();
        assert!(net.contains("192.168.10.200".parse().unwrap()));
        assert!(!net.contains("192.168.11.1".parse().unwrap()));
        assert!(!net.contains("fd00::1".parse().unwrap()));
        let host = Scope::parse(" 10.0.0.7 ").unwrap();
        assert_eq!(host.prefix(), 32);
        assert!(host.contains("10.0.0.7".parse().unwrap()));
        assert!(!host.contains("10.0.0.8".parse().unwrap()));
        assert!(
            Scope::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            Scope::parse("fd00::/64")
                .unwrap()
                .contains("fd00::abcd".parse().unwrap())
        );
        for bad in ["printer-3", "10.0.0.0/33", "10.0.0.0/x", ""] {
            assert!(Scope::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_stored_list_round_trips_and_garbage_is_an_error() {
        let entries = vec![ScopedEntry {
            scope: "10.0.0.0/8".into(),
            credentials: SnmpCredentials::default(),
        }];
        assert_eq!(decode(&encode(&entries)).unwrap(), entries);
        assert!(decode("{not json").is_err());
    }
}
