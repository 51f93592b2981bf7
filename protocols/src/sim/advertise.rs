//! Advertising simulated printers over mDNS/DNS-SD, so discovery can be
//! tried end to end against the simulator instead of a room of printers.
//!
//! Each printer gets the two records a networked office printer typically
//! publishes: IPP (`_ipp._tcp`, port 631) and LPD (`_printer._tcp`, port
//! 515), with the TXT keys real devices send (`txtvers`, `ty`, `product`,
//! `UUID`, `note`, `rp`, `adminurl`, `usb_MFG`, `usb_MDL`), so the browser
//! and its merge rules see what they would see on a LAN.
//!
//! Multicasting simulated printers onto a real network would pollute every
//! print dialog on it, so the advertiser only ever speaks on the interfaces
//! it is given (the CLI insists on naming them).

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

use mdns_sd::{ServiceDaemon, ServiceInfo};

use super::fleet::FleetMember;
use crate::discovery::mdns::start_daemon;
use crate::mib::MibTree;
use crate::printer::{self, hr_device, identity, read, text};

/// IPP service type (IPP Everywhere / AirPrint).
pub const IPP_SERVICE: &str = "_ipp._tcp.local.";
/// LPD service type.
pub const LPD_SERVICE: &str = "_printer._tcp.local.";
/// sysLocation.0: where the operator put the printer, shown as `note`.
const SYS_LOCATION: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 6, 0];
/// How long shutdown waits for each goodbye to be sent.
const GOODBYE_WAIT: Duration = Duration::from_secs(2);
/// DNS label limit (RFC 1035).
const MAX_LABEL: usize = 63;

/// Why printers could not be advertised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdvertiseError {
    /// An interface list was given but holds no name.
    #[error("no interface to advertise on (got {0:?}); name at least one, e.g. lo")]
    NoInterface(Vec<String>),
    /// A named interface does not exist on this host.
    #[error("no network interface named {0:?} on this host")]
    UnknownInterface(String),
    /// Two printers would answer to the same DNS-SD instance name.
    #[error("two printers are named {0:?}; instance names must be unique")]
    DuplicateName(String),
    /// A printer's records are not valid DNS-SD (name too long, ...).
    #[error("cannot advertise {name:?}: {detail}")]
    BadRecord {
        /// The instance name.
        name: String,
        /// The mDNS library's explanation.
        detail: String,
    },
    /// The mDNS daemon failed.
    #[error("mDNS daemon: {0}")]
    Mdns(String),
}

/// What is advertised for one printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvertisedPrinter {
    /// DNS-SD instance name, e.g. `"HP LaserJet Pro M404dn [VNB3R12345]"`.
    pub name: String,
    /// SRV target, e.g. `"hp-vnb3r12345.local."`.
    pub host_name: String,
    /// The one address of the A record (where its SNMP agent listens).
    pub addr: IpAddr,
    /// Make and model (`ty`), e.g. `"HP LaserJet Pro M404dn"`.
    pub model: String,
    /// Manufacturer (`usb_MFG`), e.g. `"HP"`.
    pub manufacturer: String,
    /// Printer UUID (`UUID`), lowercase, without `urn:uuid:`.
    pub uuid: String,
    /// Location (`note`).
    pub note: String,
    /// Serial number, when the printer reports one (not advertised: real
    /// printers do not put it in TXT; discovery gets it over SNMP).
    pub serial: Option<String>,
    /// The port of its `_ipp._tcp` record: where the simulator serves IPP,
    /// 631 when it does not.
    pub ipp_port: u16,
}

impl AdvertisedPrinter {
    /// Derives the advertisement from a fleet member: the synthetic spec
    /// when there is one, else what its recording says (model from
    /// hrDeviceDescr or sysDescr, serial, sysLocation). The UUID is a hash
    /// of the serial (else the member name), so it is stable across runs.
    pub fn from_member(member: &FleetMember) -> Self {
        let addr = member.addr().ip();
        let tree = member
            .agent
            .tree()
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let from_tree = TreeFacts::read(&tree);
        let spec = member
            .printer
            .as_ref()
            .map(|p| p.lock().unwrap_or_else(|e| e.into_inner()).spec().clone());
        let (manufacturer, model, serial, note) = match spec {
            Some(s) => (
                s.vendor.clone(),
                with_maker(&s.vendor, &s.model),
                Some(s.serial.clone()).filter(|x| !x.trim().is_empty()),
                s.site.clone(),
            ),
            None => {
                let model = from_tree
                    .model
                    .clone()
                    .unwrap_or_else(|| member.name.clone());
                let maker = from_tree
                    .vendor
                    .clone()
                    .or_else(|| model.split_whitespace().next().map(str::to_string))
                    .unwrap_or_else(|| "Unknown".to_string());
                (
                    maker.clone(),
                    with_maker(&maker, &model),
                    from_tree.serial.clone(),
                    from_tree.location.clone().unwrap_or_default(),
                )
            }
        };
        let key = serial.clone().unwrap_or_else(|| member.name.clone());
        let note = if note.trim().is_empty() {
            "Simulated printer".to_string()
        } else {
            note
        };
        Self {
            name: instance_name(&model, &key),
            host_name: host_name(&manufacturer, &key),
            addr,
            uuid: uuid_from(&key),
            model,
            manufacturer,
            note,
            serial,
            ipp_port: member.ipp.map_or(631, |a| a.port()),
        }
    }

    /// The TXT record of one service; `rp` is the queue (`ipp/print` for
    /// IPP, `auto` for LPD), the rest is the same on both, as on real
    /// printers.
    pub fn txt(&self, rp: &str) -> Vec<(String, String)> {
        let host = self.host_name.trim_end_matches('.');
        let mdl = strip_maker(&self.manufacturer, &self.model);
        [
            ("txtvers", "1".to_string()),
            ("qtotal", "1".to_string()),
            ("rp", rp.to_string()),
            ("ty", self.model.clone()),
            ("product", format!("({})", self.model)),
            ("UUID", self.uuid.clone()),
            ("note", self.note.clone()),
            ("adminurl", format!("http://{host}/")),
            ("usb_MFG", self.manufacturer.clone()),
            ("usb_MDL", mdl),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn service_infos(&self) -> Result<Vec<ServiceInfo>, AdvertiseError> {
        [
            (IPP_SERVICE, self.ipp_port, "ipp/print"),
            (LPD_SERVICE, 515, "auto"),
        ]
        .into_iter()
        .map(|(ty, port, rp)| {
            let txt = self.txt(rp);
            let props: Vec<(&str, &str)> =
                txt.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            ServiceInfo::new(ty, &self.name, &self.host_name, self.addr, port, &props[..]).map_err(
                |e| AdvertiseError::BadRecord {
                    name: self.name.clone(),
                    detail: e.to_string(),
                },
            )
        })
        .collect()
    }
}

/// What a recording says about itself.
struct TreeFacts {
    model: Option<String>,
    vendor: Option<String>,
    serial: Option<String>,
    location: Option<String>,
}

impl TreeFacts {
    fn read(tree: &MibTree) -> Self {
        let id = identity::identity(tree, hr_device::printer_row(tree));
        let report = printer::interpret("", tree);
        Self {
            model: report.model.or(report.sys_descr),
            vendor: id.vendor.map(|v| v.name.to_string()),
            serial: report.serial,
            location: read::bytes_at(tree, SYS_LOCATION).and_then(text::decode_non_empty),
        }
    }
}

/// `ty` names maker and model, as printers do ("HP LaserJet ...").
fn with_maker(maker: &str, model: &str) -> String {
    let model = model.trim();
    let maker = maker.trim();
    if maker.is_empty()
        || model
            .to_ascii_lowercase()
            .starts_with(&maker.to_ascii_lowercase())
    {
        model.to_string()
    } else {
        format!("{maker} {model}")
    }
}

/// `usb_MDL` is the model without the maker (IEEE 1284 device ID style).
fn strip_maker(maker: &str, model: &str) -> String {
    let lower = model.to_ascii_lowercase();
    let prefix = maker.trim().to_ascii_lowercase();
    if !prefix.is_empty() && lower.starts_with(&prefix) {
        let rest = model.get(prefix.len()..).unwrap_or_default().trim();
        if !rest.is_empty() {
            return rest.to_string();
        }
    }
    model.trim().to_string()
}

/// Cuts `s` to at most `max` bytes on a character boundary.
fn truncate_bytes(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `"Model [key]"`, like HP's `"HP LaserJet ... [A1B2C3]"`, within one
/// DNS label; the key is kept whole because it keeps names unique.
fn instance_name(model: &str, key: &str) -> String {
    let key = truncate_bytes(key.trim(), MAX_LABEL - 4);
    let room = MAX_LABEL - key.len() - 3;
    let model = truncate_bytes(model.trim(), room).trim_end();
    if model.is_empty() {
        key.to_string()
    } else {
        format!("{model} [{key}]")
    }
}

/// `maker-key.local.`, lowercase letters, digits and hyphens only.
fn host_name(maker: &str, key: &str) -> String {
    let raw = format!("{maker}-{key}").to_ascii_lowercase();
    let mut label = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if !(c == '-' && (label.is_empty() || label.ends_with('-'))) {
            label.push(c);
        }
    }
    let label = truncate_bytes(label.trim_end_matches('-'), MAX_LABEL).trim_end_matches('-');
    let label = if label.is_empty() { "printer" } else { label };
    format!("{label}.local.")
}

fn fnv1a(seed: u64, data: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64 ^ seed;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A stable UUID for `key`: 128 hashed bits marked as an RFC 9562
/// version 8 (vendor-specific) UUID, so it cannot collide with a real
/// printer's time- or random-based one.
fn uuid_from(key: &str) -> String {
    let data = format!("asr-sim/{key}");
    let hi = fnv1a(0x5157_0001, data.as_bytes());
    let lo = fnv1a(0x5157_0002, data.as_bytes());
    let hi = (hi & !0xf000) | 0x8000; // version 8
    let lo = (lo & !(0b11 << 62)) | (0b10 << 62); // RFC variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

/// A running mDNS responder for simulated printers. Shut it down to send
/// goodbyes; dropping it also withdraws the records, without waiting.
pub struct Advertiser {
    daemon: ServiceDaemon,
    fullnames: Vec<String>,
    printers: Vec<AdvertisedPrinter>,
    stopped: bool,
}

impl std::fmt::Debug for Advertiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Advertiser")
            .field("services", &self.fullnames)
            .finish_non_exhaustive()
    }
}

/// Names must exist so a typo does not silently advertise nowhere.
fn check_interfaces(list: &[String]) -> Result<Vec<String>, AdvertiseError> {
    let names = crate::discovery::mdns::interface_names(list);
    if names.is_empty() {
        return Err(AdvertiseError::NoInterface(list.to_vec()));
    }
    let sys = std::path::Path::new("/sys/class/net");
    if sys.is_dir()
        && let Some(missing) = names.iter().find(|n| !sys.join(n.as_str()).exists())
    {
        return Err(AdvertiseError::UnknownInterface(missing.clone()));
    }
    Ok(names)
}

impl Advertiser {
    /// Registers `_ipp._tcp` and `_printer._tcp` for every printer, on the
    /// named `interfaces` only (`None`: every interface of the host — the
    /// CLI never passes that).
    ///
    /// # Errors
    /// An empty or unknown interface list, duplicate instance names, a
    /// record mDNS rejects, or a daemon that cannot start. Nothing is
    /// advertised when an error is returned.
    pub fn start(
        printers: &[AdvertisedPrinter],
        interfaces: Option<Vec<String>>,
    ) -> Result<Self, AdvertiseError> {
        let interfaces = interfaces.as_deref().map(check_interfaces).transpose()?;
        let mut seen = BTreeSet::new();
        let mut infos = Vec::new();
        for p in printers {
            if !seen.insert(p.name.to_ascii_lowercase()) {
                return Err(AdvertiseError::DuplicateName(p.name.clone()));
            }
            infos.extend(p.service_infos()?);
        }
        let daemon =
            start_daemon(interfaces.as_deref()).map_err(|e| AdvertiseError::Mdns(e.to_string()))?;
        let mut advertiser = Self {
            daemon,
            fullnames: Vec::new(),
            printers: printers.to_vec(),
            stopped: false,
        };
        for info in infos {
            let fullname = info.get_fullname().to_string();
            // On failure, drop withdraws what was registered so far.
            advertiser
                .daemon
                .register(info)
                .map_err(|e| AdvertiseError::BadRecord {
                    name: fullname.clone(),
                    detail: e.to_string(),
                })?;
            advertiser.fullnames.push(fullname);
        }
        Ok(advertiser)
    }

    /// What is advertised.
    pub fn printers(&self) -> &[AdvertisedPrinter] {
        &self.printers
    }

    /// The full DNS-SD instance names registered.
    pub fn service_names(&self) -> &[String] {
        &self.fullnames
    }

    /// Withdraws every record (goodbye packets, TTL 0), waits until they
    /// are sent (at most a couple of seconds each), and stops the daemon.
    pub async fn shutdown(mut self) {
        let pending: Vec<_> = self
            .fullnames
            .iter()
            .filter_map(|n| self.daemon.unregister(n).ok())
            .collect();
        for rx in pending {
            let _ = tokio::time::timeout(GOODBYE_WAIT, rx.recv_async()).await;
        }
        self.stop_daemon();
    }

    fn stop_daemon(&mut self) {
        self.stopped = true;
        if let Ok(done) = self.daemon.shutdown() {
            drop(done);
        }
    }
}

impl Drop for Advertiser {
    fn drop(&mut self) {
        if !self.stopped {
            // Commands run in order: the goodbyes go out before the exit.
            for n in &self.fullnames {
                let _ = self.daemon.unregister(n);
            }
            self.stop_daemon();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_dns_labels_and_stay_unique() {
        let long = "X".repeat(100);
        let n = instance_name(&long, "SERIAL1");
        assert!(n.len() <= MAX_LABEL, "{n}");
        assert!(n.ends_with("[SERIAL1]"), "{n}");
        assert_ne!(
            instance_name(&long, "SERIAL1"),
            instance_name(&long, "SERIAL2")
        );
        assert_eq!(host_name("HP", "VNB3R 12_345"), "hp-vnb3r-12-345.local.");
        assert_eq!(host_name("", "--"), "printer.local.");
        assert!(host_name(&long, "k").len() <= MAX_LABEL + ".local.".len());
    }

    #[test]
    fn uuids_are_stable_well_formed_and_distinct() {
        let a = uuid_from("VNB3R12345");
        assert_eq!(a, uuid_from("VNB3R12345"));
        assert_ne!(a, uuid_from("VNB3R12346"));
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('8'), "{a}");
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{a}");
    }

    #[test]
    fn maker_is_added_once_and_stripped_for_usb_mdl() {
        assert_eq!(with_maker("HP", "LaserJet M404"), "HP LaserJet M404");
        assert_eq!(
            with_maker("Brother", "Brother HL-5370DW"),
            "Brother HL-5370DW"
        );
        assert_eq!(strip_maker("HP", "HP LaserJet M404"), "LaserJet M404");
        assert_eq!(strip_maker("Canon", "Canon"), "Canon");
    }

    #[test]
    fn bad_interface_lists_are_refused() {
        let p: Vec<AdvertisedPrinter> = Vec::new();
        assert_eq!(
            Advertiser::start(&p, Some(vec![" ".into()])).unwrap_err(),
            AdvertiseError::NoInterface(vec![" ".into()])
        );
        if std::path::Path::new("/sys/class/net").is_dir() {
            assert_eq!(
                Advertiser::start(&p, Some(vec!["no-such-if0".into()])).unwrap_err(),
                AdvertiseError::UnknownInterface("no-such-if0".into())
            );
        }
    }

    #[tokio::test]
    async fn from_member_uses_the_spec_or_the_recording() {
        use crate::sim::{SimFleet, demo_fleet};
        use std::net::Ipv4Addr;
        let specs: Vec<_> = demo_fleet(7).into_iter().take(2).collect();
        let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 1), 0, 0.0)
            .await
            .unwrap();
        let a: Vec<_> = fleet
            .members()
            .iter()
            .map(AdvertisedPrinter::from_member)
            .collect();
        assert_eq!(a[0].model, "HP LaserJet Pro M404dn");
        assert_eq!(a[0].manufacturer, "HP");
        assert_eq!(a[0].serial.as_deref(), Some(specs[0].serial.as_str()));
        assert_eq!(a[0].note, specs[0].site);
        assert_eq!(a[0].addr, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(a[0].uuid, uuid_from(&specs[0].serial));
        assert_eq!(
            a[0].name,
            format!("HP LaserJet Pro M404dn [{}]", specs[0].serial)
        );
        assert_ne!(a[0].uuid, a[1].uuid);
        assert_ne!(a[0].host_name, a[1].host_name);
        let txt = a[1].txt("ipp/print");
        let get = |k: &str| txt.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
        assert_eq!(get("product"), Some("(HP Color LaserJet Pro M454dw)"));
        assert_eq!(get("usb_MFG"), Some("HP"));
        assert_eq!(get("usb_MDL"), Some("Color LaserJet Pro M454dw"));
        assert_eq!(get("txtvers"), Some("1"));
        // Deterministic across runs.
        assert_eq!(AdvertisedPrinter::from_member(&fleet.members()[0]), a[0]);
        fleet.shutdown().await;

        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/printers/snmprec");
        let recs = SimFleet::from_recordings(&dir, Ipv4Addr::new(127, 0, 0, 1), 0)
            .await
            .unwrap();
        let brother = recs.members().iter().find(|m| m.name == "brother").unwrap();
        let b = AdvertisedPrinter::from_member(brother);
        assert_eq!(b.model, "Brother MFC-L2710DW series");
        assert_eq!(b.manufacturer, "Brother");
        assert_eq!(strip_maker(&b.manufacturer, &b.model), "MFC-L2710DW series");
        let tree = brother.agent.tree().read().unwrap().clone();
        assert_eq!(b.serial, printer::interpret("", &tree).serial);
        let key = b.serial.clone().unwrap_or_else(|| "brother".into());
        assert_eq!(b.uuid, uuid_from(&key));
        // Every recording gets a unique, valid advertisement.
        let all: Vec<_> = recs
            .members()
            .iter()
            .map(AdvertisedPrinter::from_member)
            .collect();
        let names: BTreeSet<_> = all.iter().map(|p| p.name.clone()).collect();
        assert_eq!(names.len(), all.len());
        for p in &all {
            assert!(!p.model.is_empty() && !p.manufacturer.is_empty(), "{p:?}");
            assert_eq!(p.service_infos().unwrap().len(), 2, "{p:?}");
        }
        recs.shutdown().await;
    }
}
