//! What discovery knows about one device: the DNS-SD service instances it
//! advertised, merged into one [`DiscoveredPrinter`].
//!
//! A printer advertises the same queue several times (IPP, IPPS, raw 9100,
//! LPD), each with its own TXT record; the operator wants one line per
//! device, so the merge keeps every service type and the union of the TXT
//! keys, preferring the IPP record's values because IPP Everywhere defines
//! them most precisely.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// One resolved DNS-SD service instance, as the merge consumes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRecord {
    /// Full instance name, e.g. `"Office M404._ipp._tcp.local."`; the
    /// identity of the record (mDNS re-announces it many times).
    pub fullname: String,
    /// Service type with domain, e.g. `"_ipp._tcp.local."`.
    pub service_type: String,
    /// SRV target host, e.g. `"NPI1A2B3C.local."`.
    pub host: String,
    /// SRV port.
    pub port: u16,
    /// A and AAAA records seen so far.
    pub addresses: Vec<IpAddr>,
    /// TXT key/value pairs as advertised (keys keep their case).
    pub txt: BTreeMap<String, String>,
}

impl ServiceRecord {
    /// The instance label without the service type and domain.
    pub fn instance_name(&self) -> &str {
        let suffix = format!(".{}", self.service_type);
        self.fullname
            .strip_suffix(&suffix)
            .unwrap_or(&self.fullname)
    }

    /// A TXT value by key; DNS-SD keys are case-insensitive (RFC 6763 §6.4).
    pub fn txt_value(&self, key: &str) -> Option<&str> {
        txt_lookup(&self.txt, key)
    }

    /// The printer UUID of the TXT record, normalised (lowercase, no
    /// `urn:uuid:` prefix), if any.
    pub fn uuid(&self) -> Option<String> {
        self.txt_value("UUID").and_then(normalise_uuid)
    }

    /// Service type without the domain, e.g. `"_ipp._tcp"`.
    pub fn short_type(&self) -> &str {
        short_type(&self.service_type)
    }
}

/// One device found on the network, all of its services merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredPrinter {
    /// Merge key, stable while the device's services stay the same:
    /// `uuid:<uuid>`, `host:<host>` or `addr:<ip>`.
    pub id: String,
    /// The advertised instance name (the IPP one when there is one).
    pub name: String,
    /// SRV target host name.
    pub host: String,
    /// Every address seen, IPv4 first, each once.
    pub addresses: Vec<IpAddr>,
    /// Service types without domain (`_ipp._tcp`, ...), sorted.
    pub services: Vec<String>,
    /// Port per service type.
    pub ports: BTreeMap<String, u16>,
    /// Full instance names merged into this device, sorted.
    pub instances: Vec<String>,
    /// TXT keys of all services; IPP values win over the others.
    pub txt: BTreeMap<String, String>,
    /// Normalised printer UUID.
    pub uuid: Option<String>,
    /// Make and model (`ty`, else `usb_MFG usb_MDL`, else `product`).
    pub model: Option<String>,
    /// Where the operator put it (`note`).
    pub location: Option<String>,
    /// The embedded web server (`adminurl`).
    pub admin_url: Option<String>,
}

impl DiscoveredPrinter {
    /// A TXT value by key, case-insensitively.
    pub fn txt_value(&self, key: &str) -> Option<&str> {
        txt_lookup(&self.txt, key)
    }

    /// Where it speaks IPP, at `ip`: IPPS when announced (its certificate
    /// is then pinned), else IPP; the resource path from the `rp` TXT key
    /// (IPP Everywhere), `/ipp/print` without one.
    pub fn ipp_url(&self, ip: IpAddr) -> Option<crate::ipp::IppUrl> {
        let (tls, port) = match (self.ports.get("_ipps._tcp"), self.ports.get("_ipp._tcp")) {
            (Some(&p), _) => (true, p),
            (None, Some(&p)) => (false, p),
            (None, None) => return None,
        };
        let rp = self
            .txt_value("rp")
            .map(|r| r.trim().trim_start_matches('/'))
            .filter(|r| {
                !r.is_empty()
                    && r.chars()
                        .all(|c| c.is_ascii_graphic() && c != '?' && c != '#')
            })
            .unwrap_or("ipp/print");
        Some(crate::ipp::IppUrl {
            tls,
            host: ip.to_string(),
            port,
            path: format!("/{rp}"),
        })
    }

    /// IPv4 addresses first, in the order SNMP confirmation tries them.
    pub fn ipv4_first(&self) -> Vec<IpAddr> {
        let mut v: Vec<IpAddr> = self
            .addresses
            .iter()
            .copied()
            .filter(IpAddr::is_ipv4)
            .collect();
        v.extend(self.addresses.iter().copied().filter(IpAddr::is_ipv6));
        v
    }
}

/// Preference of a service type as the source of name and TXT values:
/// IPP Everywhere first, then IPPS, raw and LPD.
fn rank(service_type: &str) -> u8 {
    match short_type(service_type) {
        "_ipp._tcp" => 0,
        "_ipps._tcp" => 1,
        "_pdl-datastream._tcp" => 2,
        "_printer._tcp" => 3,
        _ => 4,
    }
}

pub(crate) fn short_type(service_type: &str) -> &str {
    let t = service_type.trim_end_matches('.');
    t.strip_suffix(".local").unwrap_or(t)
}

fn txt_lookup<'a>(txt: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    txt.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

fn normalise_uuid(raw: &str) -> Option<String> {
    let t = raw.trim().to_ascii_lowercase();
    let t = t.strip_prefix("urn:uuid:").unwrap_or(&t).trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// `product` is written `(Model Name)` by Bonjour printers.
fn clean_product(p: &str) -> Option<String> {
    let t = p.trim();
    let t = t
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(t)
        .trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn model_of(txt: &BTreeMap<String, String>) -> Option<String> {
    if let Some(ty) = txt_lookup(txt, "ty") {
        return Some(ty.trim().to_string());
    }
    match (txt_lookup(txt, "usb_MFG"), txt_lookup(txt, "usb_MDL")) {
        (Some(mfg), Some(mdl)) if mdl.starts_with(mfg) => return Some(mdl.trim().to_string()),
        (Some(mfg), Some(mdl)) => return Some(format!("{} {}", mfg.trim(), mdl.trim())),
        (None, Some(mdl)) => return Some(mdl.trim().to_string()),
        _ => {}
    }
    txt_lookup(txt, "product").and_then(clean_product)
}

/// Merges the records of one device (already grouped) into a printer.
/// `records` must not be empty; an empty group gives `None`.
pub(crate) fn merge_group(id: String, records: &[&ServiceRecord]) -> Option<DiscoveredPrinter> {
    let mut sorted: Vec<&ServiceRecord> = records.to_vec();
    sorted.sort_by(|a, b| {
        rank(&a.service_type)
            .cmp(&rank(&b.service_type))
            .then_with(|| a.fullname.cmp(&b.fullname))
    });
    let best = *sorted.first()?;

    let mut txt: BTreeMap<String, String> = BTreeMap::new();
    for r in &sorted {
        for (k, v) in &r.txt {
            if txt_lookup(&txt, k).is_none() {
                txt.retain(|old, _| !old.eq_ignore_ascii_case(k));
                txt.insert(k.clone(), v.clone());
            }
        }
    }
    let mut v4: Vec<IpAddr> = Vec::new();
    let mut v6: Vec<IpAddr> = Vec::new();
    for a in sorted.iter().flat_map(|r| r.addresses.iter()) {
        let list = if a.is_ipv4() { &mut v4 } else { &mut v6 };
        if !list.contains(a) {
            list.push(*a);
        }
    }
    v4.sort();
    v6.sort();
    v4.extend(v6);

    let mut services: Vec<String> = sorted.iter().map(|r| r.short_type().to_string()).collect();
    services.sort();
    services.dedup();
    let ports = sorted
        .iter()
        .rev()
        .map(|r| (r.short_type().to_string(), r.port))
        .collect();
    let mut instances: Vec<String> = sorted.iter().map(|r| r.fullname.clone()).collect();
    instances.sort();

    Some(DiscoveredPrinter {
        id,
        name: best.instance_name().to_string(),
        host: best.host.clone(),
        addresses: v4,
        services,
        ports,
        instances,
        uuid: sorted.iter().find_map(|r| r.uuid()),
        model: model_of(&txt),
        location: txt_lookup(&txt, "note").map(str::to_string),
        admin_url: txt_lookup(&txt, "adminurl").map(str::to_string),
        txt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(fullname: &str, ty: &str, txt: &[(&str, &str)]) -> ServiceRecord {
        ServiceRecord {
            fullname: fullname.into(),
            service_type: ty.into(),
            host: "npi.local.".into(),
            port: 631,
            addresses: vec!["10.0.0.5".parse().unwrap()],
            txt: txt
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
        }
    }

    #[test]
    fn model_prefers_ty_then_usb_then_product() {
        let t = |pairs: &[(&str, &str)]| {
            model_of(
                &pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                    .collect(),
            )
        };
        assert_eq!(
            t(&[("ty", "HP LaserJet M404"), ("product", "(x)")]).as_deref(),
            Some("HP LaserJet M404")
        );
        assert_eq!(
            t(&[("usb_MFG", "Brother"), ("usb_MDL", "HL-L5100DN")]).as_deref(),
            Some("Brother HL-L5100DN")
        );
        assert_eq!(
            t(&[("usb_mfg", "HP"), ("USB_MDL", "HP LaserJet")]).as_deref(),
            Some("HP LaserJet")
        );
        assert_eq!(
            t(&[("product", "(Kyocera ECOSYS)")]).as_deref(),
            Some("Kyocera ECOSYS")
        );
        assert_eq!(t(&[("product", "()"), ("ty", " ")]), None);
    }

    #[test]
    fn ipp_values_win_and_keys_are_case_insensitive() {
        let lpd = rec(
            "P._printer._tcp.local.",
            "_printer._tcp.local.",
            &[("ty", "LPD name"), ("rp", "queue")],
        );
        let ipp = rec(
            "P._ipp._tcp.local.",
            "_ipp._tcp.local.",
            &[("TY", "IPP name"), ("UUID", "URN:UUID:ABC-1")],
        );
        let p = merge_group("x".into(), &[&lpd, &ipp]).unwrap();
        assert_eq!(p.model.as_deref(), Some("IPP name"));
        assert_eq!(p.txt_value("rp"), Some("queue"));
        assert_eq!(p.txt.len(), 3, "{:?}", p.txt);
        assert_eq!(p.uuid.as_deref(), Some("abc-1"));
        assert_eq!(p.name, "P");
        assert_eq!(p.services, vec!["_ipp._tcp", "_printer._tcp"]);
        assert_eq!(p.addresses.len(), 1);
        assert!(merge_group("y".into(), &[]).is_none());
    }

    #[test]
    fn the_ipp_endpoint_prefers_ipps_and_takes_the_resource_path() {
        let ipp = rec(
            "P._ipp._tcp.local.",
            "_ipp._tcp.local.",
            &[("rp", "ipp/print/queue1")],
        );
        let mut ipps = rec("P._ipps._tcp.local.", "_ipps._tcp.local.", &[]);
        ipps.port = 8443;
        let ip: IpAddr = "10.0.0.5".parse().unwrap();
        let p = merge_group("x".into(), &[&ipp]).unwrap();
        assert_eq!(
            p.ipp_url(ip).unwrap().to_string(),
            "ipp://10.0.0.5:631/ipp/print/queue1"
        );
        let p = merge_group("x".into(), &[&ipp, &ipps]).unwrap();
        assert_eq!(
            p.ipp_url(ip).unwrap().to_string(),
            "ipps://10.0.0.5:8443/ipp/print/queue1"
        );
        let lpd = rec("P._printer._tcp.local.", "_printer._tcp.local.", &[]);
        assert!(
            merge_group("x".into(), &[&lpd])
                .unwrap()
                .ipp_url(ip)
                .is_none()
        );
    }
}
