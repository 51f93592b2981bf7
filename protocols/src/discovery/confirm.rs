//! Confirming an mDNS sighting over SNMP: the advertisement says "a printer
//! is here", SNMP says which one (its serial) and what it holds.
//!
//! A printer is keyed by [`PrinterReport::identity_key`] (serial, else MAC),
//! never by its address: DHCP moves printers, and an mDNS name can be
//! renamed by the operator at any time.

use std::net::{IpAddr, SocketAddr};

use crate::printer::{self, PrinterReport};
use crate::snmp::{self, Credentials, PollOptions};

use super::error::DiscoveryError;
use super::printer::DiscoveredPrinter;

/// The standard SNMP agent port.
pub const SNMP_PORT: u16 = 161;

/// An advertised printer that answered SNMP.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmed {
    /// The stable key: serial, else `mac:<mac>`; `None` when the agent
    /// exposes neither (the gateway can poll it but not track it).
    pub key: Option<String>,
    /// The serial number, when the agent exposes one.
    pub serial: Option<String>,
    /// Model from SNMP, else from the TXT record.
    pub model: Option<String>,
    /// The address that answered.
    pub addr: SocketAddr,
    /// Index in the credential list of the credentials that worked.
    pub credentials_index: usize,
    /// The full interpretation of that first poll.
    pub report: PrinterReport,
}

/// [`confirm_on_port`] on the standard SNMP port 161.
///
/// # Errors
/// As [`confirm_on_port`].
pub async fn confirm(
    printer: &DiscoveredPrinter,
    creds: &[Credentials],
    opts: &PollOptions,
) -> Result<Confirmed, DiscoveryError> {
    confirm_on_port(printer, creds, opts, SNMP_PORT).await
}

/// Polls the printer's addresses (IPv4 first: printers' IPv6 SNMP agents are
/// often disabled, and link-local addresses lack their scope here) with
/// each credential in turn; the first answer wins.
///
/// # Errors
/// [`DiscoveryError::NoCredentials`], [`DiscoveryError::NoAddress`], or
/// [`DiscoveryError::NotConfirmed`] when nothing answered.
pub async fn confirm_on_port(
    printer: &DiscoveredPrinter,
    creds: &[Credentials],
    opts: &PollOptions,
    port: u16,
) -> Result<Confirmed, DiscoveryError> {
    if creds.is_empty() {
        return Err(DiscoveryError::NoCredentials);
    }
    let addrs: Vec<SocketAddr> = printer
        .ipv4_first()
        .into_iter()
        .filter(|ip| !is_unscoped_link_local(ip))
        .map(|ip| SocketAddr::new(ip, port))
        .collect();
    if addrs.is_empty() {
        return Err(DiscoveryError::NoAddress {
            name: printer.name.clone(),
        });
    }
    let plan = printer::fetch_plan();
    let mut last_error = String::new();
    for addr in &addrs {
        for (i, c) in creds.iter().enumerate() {
            match snmp::fetch(*addr, c, &plan, opts).await {
                Ok(fetched) => {
                    let report = printer::interpret(&addr.to_string(), &fetched.tree);
                    return Ok(Confirmed {
                        key: report.identity_key(),
                        serial: report.serial.clone(),
                        model: report.model.clone().or_else(|| printer.model.clone()),
                        addr: *addr,
                        credentials_index: i,
                        report,
                    });
                }
                Err(e) => {
                    tracing::debug!(%addr, error = %e, "SNMP confirmation attempt failed");
                    last_error = e.to_string();
                }
            }
        }
    }
    Err(DiscoveryError::NotConfirmed {
        name: printer.name.clone(),
        tried: addrs,
        last_error,
    })
}

/// fe80::/10 needs an interface scope we do not carry.
fn is_unscoped_link_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
        IpAddr::V4(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn printer(addrs: &[&str]) -> DiscoveredPrinter {
        DiscoveredPrinter {
            id: "uuid:x".into(),
            name: "P".into(),
            host: "p.local.".into(),
            addresses: addrs.iter().map(|a| a.parse().unwrap()).collect(),
            services: vec!["_ipp._tcp".into()],
            ports: BTreeMap::new(),
            instances: Vec::new(),
            txt: BTreeMap::new(),
            uuid: None,
            model: None,
            location: None,
            admin_url: None,
        }
    }

    #[tokio::test]
    async fn refuses_without_credentials_or_usable_address() {
        let opts = PollOptions::default();
        let p = printer(&["127.0.0.1"]);
        assert_eq!(
            confirm(&p, &[], &opts).await.unwrap_err(),
            DiscoveryError::NoCredentials
        );
        let p = printer(&["fe80::1"]);
        let err = confirm(&p, &[Credentials::v2c("public")], &opts)
            .await
            .unwrap_err();
        assert!(matches!(err, DiscoveryError::NoAddress { .. }), "{err}");
    }
}
