//! The pure state behind browsing: resolved service records keyed by full
//! name, grouped into devices, and the changes between two states.
//!
//! mdns-sd reports `ServiceResolved` again and again for the same instance
//! (first with the IPv6 address, then with both, then on every refresh), so
//! records are replaced by full name and never appended. Devices are
//! recomputed from all records after each change; a LAN has tens of
//! printers, so this is cheap and avoids incremental bookkeeping bugs.
//!
//! Grouping: services with a printer UUID group by UUID (a print server
//! advertises several queues from one host, each with its own UUID, and
//! they must stay apart); a service without UUID joins the one UUID group
//! on the same host (or sharing an address), else groups by host name,
//! and host groups sharing an address are merged.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::printer::{DiscoveredPrinter, ServiceRecord, merge_group};

/// A change of the discovered set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscoveryUpdate {
    /// A device appeared or changed (new address, new service, new TXT).
    Upserted(Box<DiscoveredPrinter>),
    /// A device is gone (all its services were removed), or was absorbed
    /// into another device under another id.
    Removed {
        /// The [`DiscoveredPrinter::id`] that no longer exists.
        id: String,
    },
}

/// Service records held at most: 500 printers announcing four services
/// each. Anything past this is a misbehaving or hostile host, and new
/// instances are ignored (each one also costs a regroup of all records)
/// until some are removed.
pub const MAX_RECORDS: usize = 2048;

/// Service records and the devices they form.
#[derive(Debug, Default, Clone)]
pub struct Merger {
    records: BTreeMap<String, ServiceRecord>,
    devices: BTreeMap<String, DiscoveredPrinter>,
    /// New instances ignored because `max_records` were held.
    refused: u64,
    /// [`MAX_RECORDS`] unless made smaller (tests).
    max_records: usize,
}

impl Merger {
    /// An empty state holding at most [`MAX_RECORDS`] records.
    pub fn new() -> Self {
        Self::with_capacity(MAX_RECORDS)
    }

    /// An empty state holding at most `max_records` records.
    pub fn with_capacity(max_records: usize) -> Self {
        Self {
            max_records,
            ..Self::default()
        }
    }

    /// Records (or replaces) a resolved service and returns what changed.
    /// mdns-sd resolves with every address it holds for the host (first the
    /// AAAA alone, then both), so the latest record replaces the earlier
    /// one whole: an address that moved (DHCP) does not linger.
    pub fn resolved(&mut self, mut record: ServiceRecord) -> Vec<DiscoveryUpdate> {
        record.addresses.sort();
        record.addresses.dedup();
        if self.records.get(&record.fullname) == Some(&record) {
            return Vec::new();
        }
        if self.records.len() >= self.max_records && !self.records.contains_key(&record.fullname) {
            self.refused += 1;
            if self.refused == 1 || self.refused.is_power_of_two() {
                tracing::warn!(
                    held = self.max_records,
                    refused = self.refused,
                    "too many mDNS service instances on this network: new ones are ignored"
                );
            }
            return Vec::new();
        }
        self.records.insert(record.fullname.clone(), record);
        self.regroup()
    }

    /// Forgets a service instance and returns what changed.
    pub fn removed(&mut self, fullname: &str) -> Vec<DiscoveryUpdate> {
        if self.records.remove(fullname).is_none() {
            return Vec::new();
        }
        self.regroup()
    }

    /// The devices now known, by id.
    pub fn printers(&self) -> impl Iterator<Item = &DiscoveredPrinter> {
        self.devices.values()
    }

    /// How many service records are held.
    pub fn record_count(&self) -> usize {
        self.records.len()
    }

    /// New instances ignored past the record limit.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    fn regroup(&mut self) -> Vec<DiscoveryUpdate> {
        let groups = group(&self.records);
        let mut next = BTreeMap::new();
        for (id, names) in groups {
            let recs: Vec<&ServiceRecord> =
                names.iter().filter_map(|n| self.records.get(n)).collect();
            if let Some(p) = merge_group(id.clone(), &recs) {
                next.insert(id, p);
            }
        }
        let mut updates: Vec<DiscoveryUpdate> = self
            .devices
            .keys()
            .filter(|id| !next.contains_key(*id))
            .map(|id| DiscoveryUpdate::Removed { id: id.clone() })
            .collect();
        for (id, p) in &next {
            if self.devices.get(id) != Some(p) {
                updates.push(DiscoveryUpdate::Upserted(Box::new(p.clone())));
            }
        }
        self.devices = next;
        updates
    }
}

/// Groups record full names into devices, keyed by device id.
fn group(records: &BTreeMap<String, ServiceRecord>) -> BTreeMap<String, BTreeSet<String>> {
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // host (lowercase) and address → UUID group ids found there.
    let mut uuid_hosts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut uuid_addrs: BTreeMap<IpAddr, BTreeSet<String>> = BTreeMap::new();
    let mut without: Vec<&ServiceRecord> = Vec::new();
    for r in records.values() {
        match r.uuid() {
            Some(u) => {
                let id = format!("uuid:{u}");
                uuid_hosts
                    .entry(r.host.to_ascii_lowercase())
                    .or_default()
                    .insert(id.clone());
                for a in &r.addresses {
                    uuid_addrs.entry(*a).or_default().insert(id.clone());
                }
                groups.entry(id).or_default().insert(r.fullname.clone());
            }
            None => without.push(r),
        }
    }

    // Host groups of UUID-less records, merged when they share an address.
    let mut host_groups: Vec<(String, BTreeSet<IpAddr>, BTreeSet<String>)> = Vec::new();
    for r in without {
        let host = r.host.to_ascii_lowercase();
        let by_host = uuid_hosts.get(&host).filter(|s| s.len() == 1);
        let by_addr = || {
            let ids: BTreeSet<&String> = r
                .addresses
                .iter()
                .filter_map(|a| uuid_addrs.get(a))
                .flatten()
                .collect();
            (ids.len() == 1)
                .then(|| ids.into_iter().next().cloned())
                .flatten()
        };
        if let Some(id) = by_host
            .and_then(|s| s.iter().next().cloned())
            .or_else(by_addr)
        {
            groups.entry(id).or_default().insert(r.fullname.clone());
            continue;
        }
        let addrs: BTreeSet<IpAddr> = r.addresses.iter().copied().collect();
        let hit = host_groups
            .iter()
            .position(|(h, a, _)| (!host.is_empty() && *h == host) || !a.is_disjoint(&addrs));
        match hit {
            Some(i) => {
                let g = &mut host_groups[i];
                g.1.extend(addrs);
                g.2.insert(r.fullname.clone());
            }
            None => host_groups.push((host, addrs, BTreeSet::from([r.fullname.clone()]))),
        }
    }
    // One more pass: a record may have linked two earlier host groups.
    let mut merged: Vec<(String, BTreeSet<IpAddr>, BTreeSet<String>)> = Vec::new();
    for g in host_groups {
        match merged.iter_mut().find(|m| !m.1.is_disjoint(&g.1)) {
            Some(m) => {
                m.1.extend(g.1);
                m.2.extend(g.2);
            }
            None => merged.push(g),
        }
    }
    for (host, addrs, names) in merged {
        let id = if host.is_empty() {
            addrs.iter().next().map_or_else(
                || format!("name:{}", names.iter().next().cloned().unwrap_or_default()),
                |a| format!("addr:{a}"),
            )
        } else {
            format!("host:{host}")
        };
        groups.entry(id).or_default().extend(names);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(name: &str, ty: &str, host: &str, addrs: &[&str], uuid: Option<&str>) -> ServiceRecord {
        let mut txt = BTreeMap::from([("ty".to_string(), format!("Model {name}"))]);
        if let Some(u) = uuid {
            txt.insert("UUID".into(), u.into());
        }
        ServiceRecord {
            fullname: format!("{name}.{ty}"),
            service_type: ty.into(),
            host: host.into(),
            port: 631,
            addresses: addrs.iter().map(|a| a.parse().unwrap()).collect(),
            txt,
        }
    }

    #[test]
    fn a_flood_of_announcements_is_bounded() {
        let mut m = Merger::with_capacity(64);
        for n in 0..164 {
            let name = format!("flood {n}");
            let addr = format!("10.{}.{}.{}", n / 65_536 % 256, n / 256 % 256, n % 256);
            m.resolved(rec(
                &name,
                "_ipp._tcp.local.",
                &format!("h{n}.local."),
                &[&addr],
                None,
            ));
        }
        assert_eq!(m.record_count(), 64);
        assert_eq!(m.refused(), 100);
        // A known instance still updates; a removal makes room again.
        let first = "flood 0";
        assert!(
            !m.resolved(rec(
                first,
                "_ipp._tcp.local.",
                "h0.local.",
                &["10.9.9.9"],
                None
            ))
            .is_empty()
        );
        m.removed("flood 0._ipp._tcp.local.");
        let late = "late";
        assert!(
            !m.resolved(rec(
                late,
                "_ipp._tcp.local.",
                "late.local.",
                &["10.200.0.1"],
                None
            ))
            .is_empty()
        );
    }

    const IPP: &str = "_ipp._tcp.local.";
    const RAW: &str = "_pdl-datastream._tcp.local.";
    const LPD: &str = "_printer._tcp.local.";

    #[test]
    fn repeated_resolution_updates_in_place_and_merges_v6_then_v4() {
        let mut m = Merger::new();
        let up = m.resolved(rec("A", IPP, "a.local.", &["fe80::1"], Some("u1")));
        assert_eq!(up.len(), 1);
        let up = m.resolved(rec(
            "A",
            IPP,
            "a.local.",
            &["10.0.0.1", "fe80::1"],
            Some("u1"),
        ));
        assert_eq!(up.len(), 1, "{up:?}");
        let up = m.resolved(rec(
            "A",
            IPP,
            "a.local.",
            &["fe80::1", "10.0.0.1"],
            Some("u1"),
        ));
        assert!(up.is_empty(), "nothing changed: {up:?}");
        let all: Vec<_> = m.printers().collect();
        assert_eq!(all.len(), 1);
        assert_eq!(
            all[0].addresses,
            vec![
                "10.0.0.1".parse::<IpAddr>().unwrap(),
                "fe80::1".parse().unwrap()
            ]
        );
        assert_eq!(m.record_count(), 1);
    }

    #[test]
    fn services_of_one_device_merge_by_uuid_host_or_address() {
        let mut m = Merger::new();
        m.resolved(rec("A", IPP, "a.local.", &["10.0.0.1"], Some("u1")));
        m.resolved(rec("A", RAW, "a.local.", &["10.0.0.1"], None));
        m.resolved(rec("A", LPD, "other.local.", &["10.0.0.1"], None));
        // Same host, two UUIDs: a print server's two queues stay apart.
        m.resolved(rec("Q1", IPP, "srv.local.", &["10.0.0.9"], Some("q1")));
        m.resolved(rec("Q2", IPP, "srv.local.", &["10.0.0.9"], Some("q2")));
        // No UUID at all: by host, then by address.
        m.resolved(rec("B", RAW, "b.local.", &["10.0.0.2"], None));
        m.resolved(rec("B", LPD, "b.local.", &["10.0.0.2"], None));
        m.resolved(rec("C", RAW, "c1.local.", &["10.0.0.3"], None));
        m.resolved(rec("C", LPD, "c2.local.", &["10.0.0.3"], None));
        let ids: Vec<_> = m.printers().map(|p| p.id.clone()).collect();
        assert_eq!(
            ids,
            vec![
                "host:b.local.",
                "host:c1.local.",
                "uuid:q1",
                "uuid:q2",
                "uuid:u1"
            ]
        );
        let a = m.printers().find(|p| p.id == "uuid:u1").unwrap();
        assert_eq!(
            a.services,
            vec!["_ipp._tcp", "_pdl-datastream._tcp", "_printer._tcp"]
        );
        let c = m.printers().find(|p| p.id == "host:c1.local.").unwrap();
        assert_eq!(c.services.len(), 2);
    }

    #[test]
    fn removal_drops_the_device_only_with_its_last_service() {
        let mut m = Merger::new();
        m.resolved(rec("A", IPP, "a.local.", &["10.0.0.1"], Some("u1")));
        m.resolved(rec("A", RAW, "a.local.", &["10.0.0.1"], None));
        let up = m.removed("A._ipp._tcp.local.");
        // The raw service now stands alone under its host id.
        assert!(up.contains(&DiscoveryUpdate::Removed {
            id: "uuid:u1".into()
        }));
        assert_eq!(m.printers().count(), 1);
        let up = m.removed("A._pdl-datastream._tcp.local.");
        assert_eq!(
            up,
            vec![DiscoveryUpdate::Removed {
                id: "host:a.local.".into()
            }]
        );
        assert!(m.removed("unknown._ipp._tcp.local.").is_empty());
        assert_eq!(m.printers().count(), 0);
    }

    #[test]
    fn a_new_resolution_replaces_old_addresses() {
        let mut m = Merger::new();
        m.resolved(rec("A", IPP, "a.local.", &["10.0.0.1"], Some("u1")));
        let up = m.resolved(rec("A", IPP, "a.local.", &["10.0.0.7"], Some("u1")));
        assert_eq!(up.len(), 1);
        let p = m.printers().next().unwrap();
        assert_eq!(p.addresses, vec!["10.0.0.7".parse::<IpAddr>().unwrap()]);
        assert_eq!(m.printers().count(), 1);
    }
}
