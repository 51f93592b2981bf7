//! A printer address as an operator writes it: `host`, `host:port`,
//! `192.0.2.10`, `[2001:db8::1]:161` (SNMP, with IPP as a fallback), or
//! `ipp://host[:port]/path`, `ipps://…` (IPP only). Kept as text until
//! polled, because a host name may resolve differently after DHCP moves
//! things around.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use asr_protocols::ipp::IppUrl;

/// A host, its SNMP port, and where it speaks IPP when known.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    /// Host name or literal address (IPv6 without brackets).
    pub host: String,
    /// SNMP's UDP port.
    pub port: u16,
    /// Its IPP endpoint, when given (an `ipp://` target) or announced
    /// (mDNS `_ipp._tcp`); else `ipp://host:631/ipp/print` is tried.
    pub ipp: Option<IppUrl>,
    /// Whether SNMP is tried at all (not for an `ipp://` target).
    pub snmp: bool,
}

/// Why a target string was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    /// Nothing usable.
    #[error("empty printer address")]
    Empty,
    /// The port part is not a number in 1..=65535.
    #[error("bad port in {0:?}")]
    BadPort(String),
    /// Characters no host name or address can have.
    #[error("bad host in {0:?}")]
    BadHost(String),
    /// Name resolution failed.
    #[error("cannot resolve {host}: {reason}")]
    Resolve {
        /// The host.
        host: String,
        /// Why.
        reason: String,
    },
}

impl Target {
    /// Parses `host[:port]`, using `default_port` when none is given, or
    /// an `ipp://` / `ipps://` URL.
    pub fn parse(text: &str, default_port: u16) -> Result<Self, TargetError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(TargetError::Empty);
        }
        if t.starts_with("ipp://") || t.starts_with("ipps://") {
            let url = IppUrl::parse(t).map_err(|_| TargetError::BadHost(t.to_string()))?;
            return Ok(Self {
                host: url.host.clone(),
                port: default_port,
                ipp: Some(url),
                snmp: false,
            });
        }
        if let Ok(addr) = t.parse::<SocketAddr>() {
            return Ok(Self::from(addr));
        }
        if let Ok(ip) = t.parse::<IpAddr>() {
            return Ok(Self {
                host: ip.to_string(),
                port: default_port,
                ipp: None,
                snmp: true,
            });
        }
        let (host, port) = match t.rsplit_once(':') {
            Some((h, p)) => {
                let port: u16 = p.parse().map_err(|_| TargetError::BadPort(t.to_string()))?;
                if port == 0 {
                    return Err(TargetError::BadPort(t.to_string()));
                }
                (h, port)
            }
            None => (t, default_port),
        };
        let valid = !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
        if !valid {
            return Err(TargetError::BadHost(t.to_string()));
        }
        Ok(Self {
            host: host.to_string(),
            port,
            ipp: None,
            snmp: true,
        })
    }

    /// Resolves to one socket address (IPv4 preferred: most printers' SNMP
    /// agents answer there first).
    pub async fn resolve(&self) -> Result<SocketAddr, TargetError> {
        if let Ok(ip) = self.host.parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, self.port));
        }
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(|e| TargetError::Resolve {
                host: self.host.clone(),
                reason: e.to_string(),
            })?
            .collect();
        addrs
            .iter()
            .find(|a| a.is_ipv4())
            .or_else(|| addrs.first())
            .copied()
            .ok_or_else(|| TargetError::Resolve {
                host: self.host.clone(),
                reason: "no address".into(),
            })
    }
}

impl From<SocketAddr> for Target {
    fn from(addr: SocketAddr) -> Self {
        Self {
            host: addr.ip().to_string(),
            port: addr.port(),
            ipp: None,
            snmp: true,
        }
    }
}

impl Target {
    /// Where to ask over IPP: the known endpoint, else the IPP Everywhere
    /// default on this host.
    pub fn ipp_url(&self, default_port: u16) -> IppUrl {
        self.ipp.clone().unwrap_or_else(|| IppUrl {
            tls: false,
            host: self.host.clone(),
            port: default_port,
            path: "/ipp/print".into(),
        })
    }
}

impl fmt::Display for Target {
    /// `host:port` (the SNMP address) or, for an IPP-only target, its URL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (false, Some(url)) = (self.snmp, &self.ipp) {
            return write!(f, "{url}");
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipp_urls_are_ipp_only_targets_and_others_fall_back_to_the_default() {
        let t = Target::parse("ipps://printer-7.lan:8631/ipp/print", 161).unwrap();
        assert!(!t.snmp);
        assert_eq!(t.host, "printer-7.lan");
        assert_eq!(t.to_string(), "ipps://printer-7.lan:8631/ipp/print");
        assert_eq!(t.ipp_url(631).port, 8631);
        let s = Target::parse("192.0.2.10", 161).unwrap();
        assert!(s.snmp);
        assert_eq!(s.ipp_url(631).to_string(), "ipp://192.0.2.10:631/ipp/print");
        assert!(Target::parse("ipp://", 161).is_err());
    }

    #[test]
    fn parses_the_forms_operators_write() {
        assert_eq!(
            Target::parse("192.0.2.10", 161).unwrap().to_string(),
            "192.0.2.10:161"
        );
        assert_eq!(Target::parse("192.0.2.10:1161", 161).unwrap().port, 1161);
        assert_eq!(
            Target::parse("[2001:db8::1]:162", 161).unwrap().to_string(),
            "[2001:db8::1]:162"
        );
        assert_eq!(Target::parse("2001:db8::1", 161).unwrap().port, 161);
        assert_eq!(
            Target::parse("printer-3.lan", 161).unwrap().host,
            "printer-3.lan"
        );
    }

    #[test]
    fn refuses_garbage() {
        assert_eq!(Target::parse("  ", 161), Err(TargetError::Empty));
        assert!(matches!(
            Target::parse("host:99999", 161),
            Err(TargetError::BadPort(_))
        ));
        assert!(matches!(
            Target::parse("host:0", 161),
            Err(TargetError::BadPort(_))
        ));
        assert!(matches!(
            Target::parse("bad host!", 161),
            Err(TargetError::BadHost(_))
        ));
    }
}
