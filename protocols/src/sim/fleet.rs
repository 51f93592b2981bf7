//! A fleet of simulated printers on consecutive loopback addresses
//! (127.0.0.10, .11, ...), with a clock that runs simulated time fast
//! (e.g. a month per minute) so supplies visibly drain during a demo.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::agent::{SimAgent, SimAgentConfig};
use super::error::SimError;
use super::synthetic::{SupplyKind, SupplyUnit, SyntheticPrinter, SyntheticSpec, SyntheticSupply};
use crate::snmp::V3Credentials;
use crate::snmprec;

/// How a fleet's agents accept requests and how its clock runs.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    /// Seed of the random generator that drives page counts.
    pub seed: u64,
    /// Communities every agent accepts.
    pub communities: Vec<String>,
    /// SNMPv3 users every agent accepts.
    pub users: Vec<V3Credentials>,
    /// Real time between two clock steps.
    pub tick: Duration,
    /// Also serve IPP (Get-Printer-Attributes) on this TCP port of each
    /// printer's address, from the same state as its SNMP agent. With the
    /// agent set to [`Misbehaviour::Timeout`](super::Misbehaviour), that is
    /// a printer whose SNMP is switched off.
    pub ipp_port: Option<u16>,
}

impl Default for FleetOptions {
    fn default() -> Self {
        Self {
            seed: 0,
            communities: vec!["public".to_string()],
            users: Vec::new(),
            tick: Duration::from_millis(250),
            ipp_port: None,
        }
    }
}

/// One printer of a fleet.
#[derive(Debug)]
pub struct FleetMember {
    /// Serial number (synthetic) or recording file name without extension.
    pub name: String,
    /// The running agent (its address is `agent.local_addr()`).
    pub agent: SimAgent,
    /// The synthetic printer behind the agent; None for a recording.
    pub printer: Option<Arc<Mutex<SyntheticPrinter>>>,
    /// Where it serves IPP, when the fleet does.
    pub ipp: Option<SocketAddr>,
}

impl FleetMember {
    /// The address to poll.
    pub fn addr(&self) -> SocketAddr {
        self.agent.local_addr()
    }
}

/// Running simulated printers.
#[derive(Debug)]
pub struct SimFleet {
    members: Vec<FleetMember>,
    cancel: CancellationToken,
    clock: Option<JoinHandle<()>>,
    simulated_ms: Arc<AtomicU64>,
    rng: Arc<Mutex<StdRng>>,
}

fn nth_addr(base: Ipv4Addr, port: u16, i: usize, count: usize) -> Result<SocketAddr, SimError> {
    let ip = u32::try_from(i)
        .ok()
        .and_then(|i| u32::from(base).checked_add(i))
        .ok_or(SimError::AddressSpace { base, count })?;
    Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port))
}

/// Serves IPP for one printer when the fleet does; stopped with `cancel`.
async fn start_ipp(
    snmp: SocketAddr,
    opts: &FleetOptions,
    name: &str,
    tree: Arc<RwLock<crate::mib::MibTree>>,
    cancel: &CancellationToken,
) -> Result<Option<SocketAddr>, SimError> {
    let Some(port) = opts.ipp_port else {
        return Ok(None);
    };
    let addr = SocketAddr::new(snmp.ip(), port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| SimError::Bind {
            addr,
            detail: format!("IPP: {e}"),
        })?;
    let target = format!("ipp://{addr}/ipp/print");
    let state = Arc::new(move || {
        let tree = tree.read().unwrap_or_else(|p| p.into_inner());
        crate::printer::interpret(&target, &tree)
    });
    tokio::spawn(crate::ipp::responder::serve(
        listener,
        uuid_for(name),
        state,
        cancel.clone(),
    ));
    Ok(Some(addr))
}

/// A stable UUID for a simulated printer (FNV-1a of its name, spread over
/// 128 bits in the UUID text layout).
fn uuid_for(name: &str) -> String {
    let hash = |seed: u64| {
        name.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let (a, b) = (hash(0xcbf2_9ce4_8422_2325), hash(0x6c62_272e_07bb_0142));
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn agent_config(addr: SocketAddr, opts: &FleetOptions) -> SimAgentConfig {
    SimAgentConfig {
        bind: addr,
        communities: opts.communities.clone(),
        users: opts.users.clone(),
    }
}

impl SimFleet {
    /// Starts one agent per synthetic printer on `base_ip`, `base_ip + 1`, ...
    /// (all on `port`), and a clock advancing them by `speed` simulated
    /// seconds per real second (0 = no clock; use [`Self::advance`]).
    ///
    /// # Errors
    /// The first agent that cannot start (address in use, ...); the ones
    /// already started are stopped.
    pub async fn start(
        specs: Vec<SyntheticSpec>,
        base_ip: Ipv4Addr,
        port: u16,
        speed: f64,
    ) -> Result<Self, SimError> {
        Self::start_with(specs, base_ip, port, speed, &FleetOptions::default()).await
    }

    /// [`Self::start`] with explicit options.
    ///
    /// # Errors
    /// As [`Self::start`].
    pub async fn start_with(
        specs: Vec<SyntheticSpec>,
        base_ip: Ipv4Addr,
        port: u16,
        speed: f64,
        opts: &FleetOptions,
    ) -> Result<Self, SimError> {
        let count = specs.len();
        let mut members = Vec::with_capacity(count);
        let cancel = CancellationToken::new();
        for (i, spec) in specs.into_iter().enumerate() {
            let addr = nth_addr(base_ip, port, i, count)?;
            let name = spec.serial.clone();
            let printer = SyntheticPrinter::new(spec);
            let agent = SimAgent::start(agent_config(addr, opts), printer.tree()).await?;
            let ipp = start_ipp(addr, opts, &name, printer.tree(), &cancel).await?;
            members.push(FleetMember {
                name,
                agent,
                printer: Some(Arc::new(Mutex::new(printer))),
                ipp,
            });
        }
        let mut fleet = Self {
            members,
            cancel,
            clock: None,
            simulated_ms: Arc::new(AtomicU64::new(0)),
            rng: Arc::new(Mutex::new(StdRng::seed_from_u64(opts.seed))),
        };
        if speed.is_finite() && speed > 0.0 {
            fleet.clock = Some(fleet.spawn_clock(speed, opts.tick));
        }
        Ok(fleet)
    }

    /// Serves every `.snmprec` file of `dir` (sorted by name), one per
    /// address from `base_ip`, community "public".
    ///
    /// # Errors
    /// An unreadable directory or file, or an agent that cannot start.
    pub async fn from_recordings(
        dir: &Path,
        base_ip: Ipv4Addr,
        port: u16,
    ) -> Result<Self, SimError> {
        Self::from_recordings_with(dir, base_ip, port, &FleetOptions::default()).await
    }

    /// [`Self::from_recordings`] with explicit options.
    ///
    /// # Errors
    /// As [`Self::from_recordings`].
    pub async fn from_recordings_with(
        dir: &Path,
        base_ip: Ipv4Addr,
        port: u16,
        opts: &FleetOptions,
    ) -> Result<Self, SimError> {
        let bad = |path: &Path, e: std::io::Error| SimError::Recordings {
            path: path.to_path_buf(),
            detail: e.to_string(),
        };
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| bad(dir, e))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "snmprec"))
            .collect();
        files.sort();
        let count = files.len();
        let mut members = Vec::with_capacity(count);
        let cancel = CancellationToken::new();
        for (i, path) in files.iter().enumerate() {
            let text = std::fs::read_to_string(path).map_err(|e| bad(path, e))?;
            let rec = snmprec::parse(&text);
            let addr = nth_addr(base_ip, port, i, count)?;
            let tree = Arc::new(RwLock::new(rec.tree));
            let agent = SimAgent::start(agent_config(addr, opts), tree.clone()).await?;
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let ipp = start_ipp(addr, opts, &name, tree, &cancel).await?;
            members.push(FleetMember {
                name,
                agent,
                printer: None,
                ipp,
            });
        }
        Ok(Self {
            members,
            cancel,
            clock: None,
            simulated_ms: Arc::new(AtomicU64::new(0)),
            rng: Arc::new(Mutex::new(StdRng::seed_from_u64(opts.seed))),
        })
    }

    fn spawn_clock(&self, speed: f64, tick: Duration) -> JoinHandle<()> {
        let printers: Vec<_> = self
            .members
            .iter()
            .filter_map(|m| m.printer.clone())
            .collect();
        let (cancel, simulated, rng) = (
            self.cancel.clone(),
            self.simulated_ms.clone(),
            self.rng.clone(),
        );
        let tick = tick.max(Duration::from_millis(10));
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(tick);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval.tick().await;
            let step =
                Duration::try_from_secs_f64(tick.as_secs_f64() * speed).unwrap_or(Duration::ZERO);
            loop {
                tokio::select! {
                    () = cancel.cancelled() => break,
                    _ = interval.tick() => advance_all(&printers, &rng, &simulated, step),
                }
            }
        })
    }

    /// Advances every synthetic printer by `simulated` at once (for tests
    /// and for a fleet started with speed 0).
    pub fn advance(&self, simulated: Duration) {
        let printers: Vec<_> = self
            .members
            .iter()
            .filter_map(|m| m.printer.clone())
            .collect();
        advance_all(&printers, &self.rng, &self.simulated_ms, simulated);
    }

    /// Simulated time elapsed since start.
    pub fn simulated_elapsed(&self) -> Duration {
        Duration::from_millis(self.simulated_ms.load(Ordering::Relaxed))
    }

    /// The printers, in address order.
    pub fn members(&self) -> &[FleetMember] {
        &self.members
    }

    /// Stops the clock and every agent, and waits until their sockets close.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(clock) = self.clock.take() {
            let _ = clock.await;
        }
        for m in std::mem::take(&mut self.members) {
            m.agent.shutdown().await;
        }
    }
}

impl Drop for SimFleet {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn advance_all(
    printers: &[Arc<Mutex<SyntheticPrinter>>],
    rng: &Mutex<StdRng>,
    simulated_ms: &AtomicU64,
    step: Duration,
) {
    let mut rng = rng.lock().unwrap_or_else(|p| p.into_inner());
    for p in printers {
        p.lock()
            .unwrap_or_else(|p| p.into_inner())
            .advance(step, &mut *rng);
    }
    let ms = u64::try_from(step.as_millis()).unwrap_or(u64::MAX);
    simulated_ms.fetch_add(ms, Ordering::Relaxed);
}

/// A site of the demo fleet, with its contacts.
const SITES: [(&str, [&str; 2]); 3] = [
    (
        "Lyon HQ",
        ["facilities@lyon.example.com", "it-desk@lyon.example.com"],
    ),
    (
        "Grenoble Lab",
        [
            "lab-office@grenoble.example.com",
            "lab-office@grenoble.example.com",
        ],
    ),
    (
        "Annecy Office",
        ["accueil@annecy.example.com", "accueil@annecy.example.com"],
    ),
];

struct Model {
    vendor: &'static str,
    model: &'static str,
    enterprise: u32,
    serial_prefix: &'static str,
    /// (kind, colorant, description, yield in pages)
    supplies: &'static [(SupplyKind, &'static str, &'static str, f64)],
    pages_per_day: f64,
}

const K: SupplyKind = SupplyKind::Toner;
const W: SupplyKind = SupplyKind::WasteToner;

const MODELS: [Model; 12] = [
    Model {
        vendor: "HP",
        model: "LaserJet Pro M404dn",
        enterprise: 11,
        serial_prefix: "VNB3R",
        supplies: &[(K, "black", "Black Cartridge HP 59A", 3000.0)],
        pages_per_day: 90.0,
    },
    Model {
        vendor: "HP",
        model: "Color LaserJet Pro M454dw",
        enterprise: 11,
        serial_prefix: "VNB3K",
        supplies: &[
            (K, "black", "Black Cartridge HP 415A", 2400.0),
            (K, "cyan", "Cyan Cartridge HP 415A", 2100.0),
            (K, "magenta", "Magenta Cartridge HP 415A", 2100.0),
            (K, "yellow", "Yellow Cartridge HP 415A", 2100.0),
        ],
        pages_per_day: 70.0,
    },
    Model {
        vendor: "Brother",
        model: "HL-L5100DN",
        enterprise: 2435,
        serial_prefix: "E78254B1N",
        supplies: &[
            (K, "black", "Toner TN-3430", 3000.0),
            (SupplyKind::Drum, "", "Drum DR-3400", 30000.0),
        ],
        pages_per_day: 60.0,
    },
    Model {
        vendor: "Brother",
        model: "MFC-L8900CDW",
        enterprise: 2435,
        serial_prefix: "E79173M8N",
        supplies: &[
            (K, "black", "Toner TN-423BK", 6500.0),
            (K, "cyan", "Toner TN-423C", 4000.0),
            (K, "magenta", "Toner TN-423M", 4000.0),
            (K, "yellow", "Toner TN-423Y", 4000.0),
            (W, "", "Waste Toner Box WT-229CL", 50000.0),
        ],
        pages_per_day: 120.0,
    },
    Model {
        vendor: "Kyocera",
        model: "ECOSYS P3145dn",
        enterprise: 1347,
        serial_prefix: "R4P8Z",
        supplies: &[(K, "black", "TK-3160", 12500.0)],
        pages_per_day: 250.0,
    },
    Model {
        vendor: "Kyocera",
        model: "ECOSYS M6630cidn",
        enterprise: 1347,
        serial_prefix: "VCF9Z",
        supplies: &[
            (K, "black", "TK-5280K", 13000.0),
            (K, "cyan", "TK-5280C", 11000.0),
            (K, "magenta", "TK-5280M", 11000.0),
            (K, "yellow", "TK-5280Y", 11000.0),
            (W, "", "Waste Toner Box WT-5140", 44000.0),
        ],
        pages_per_day: 200.0,
    },
    Model {
        vendor: "Lexmark",
        model: "MS521dn",
        enterprise: 641,
        serial_prefix: "4601T",
        supplies: &[(K, "black", "Black Toner Cartridge 56F2H00", 15000.0)],
        pages_per_day: 180.0,
    },
    Model {
        vendor: "Xerox",
        model: "VersaLink C405",
        enterprise: 253,
        serial_prefix: "3391",
        supplies: &[
            (K, "black", "Black Toner Cartridge 106R03516", 10500.0),
            (K, "cyan", "Cyan Toner Cartridge 106R03517", 8000.0),
            (K, "magenta", "Magenta Toner Cartridge 106R03518", 8000.0),
            (K, "yellow", "Yellow Toner Cartridge 106R03519", 8000.0),
            (W, "", "Waste Cartridge 108R01416", 30000.0),
        ],
        pages_per_day: 150.0,
    },
    Model {
        vendor: "Canon",
        model: "imageRUNNER ADVANCE C3530i",
        enterprise: 1602,
        serial_prefix: "XLW0",
        supplies: &[
            (K, "black", "Canon C-EXV49 Black Toner", 36000.0),
            (K, "cyan", "Canon C-EXV49 Cyan Toner", 19000.0),
            (K, "magenta", "Canon C-EXV49 Magenta Toner", 19000.0),
            (K, "yellow", "Canon C-EXV49 Yellow Toner", 19000.0),
            (W, "", "Waste Toner Container", 100000.0),
        ],
        pages_per_day: 600.0,
    },
    Model {
        vendor: "Ricoh",
        model: "IM C3000",
        enterprise: 367,
        serial_prefix: "3108R",
        supplies: &[
            (K, "black", "Print Cartridge Black IM C3000", 33000.0),
            (K, "cyan", "Print Cartridge Cyan IM C3000", 18000.0),
            (K, "magenta", "Print Cartridge Magenta IM C3000", 18000.0),
            (K, "yellow", "Print Cartridge Yellow IM C3000", 18000.0),
            (W, "", "Waste Toner Bottle", 100000.0),
        ],
        pages_per_day: 500.0,
    },
    Model {
        vendor: "Epson",
        model: "WorkForce Pro WF-C5790",
        enterprise: 1248,
        serial_prefix: "X3BT",
        supplies: &[
            (SupplyKind::Ink, "black", "Black Ink T9451 XL", 5000.0),
            (SupplyKind::Ink, "cyan", "Cyan Ink T9452 XL", 5000.0),
            (SupplyKind::Ink, "magenta", "Magenta Ink T9453 XL", 5000.0),
            (SupplyKind::Ink, "yellow", "Yellow Ink T9454 XL", 5000.0),
            (SupplyKind::WasteInk, "", "Maintenance Box T6716", 50000.0),
        ],
        pages_per_day: 80.0,
    },
    Model {
        vendor: "HP",
        model: "LaserJet Enterprise M507dn",
        enterprise: 11,
        serial_prefix: "PHCBB",
        supplies: &[(K, "black", "Black Cartridge HP 89A", 5000.0)],
        pages_per_day: 160.0,
    },
];

/// Initial levels (in % of capacity) chosen so that several supplies run
/// low within the first simulated month: (printer, supply) → level.
const LOW_START: [(usize, usize, i32); 7] = [
    (0, 0, 22),
    (1, 2, 30),
    (3, 0, 18),
    (5, 4, 20),
    (7, 1, 25),
    (10, 0, 28),
    (11, 0, 35),
];

/// `count` synthetic printers: the demo fleet's models over and over, each
/// copy with its own serial, name and MAC so no two look alike (the
/// benchmarks and scale tests need hundreds).
pub fn synthetic_fleet(seed: u64, count: usize) -> Vec<SyntheticSpec> {
    let base = demo_fleet(seed);
    let models = base.len().max(1);
    (0..count)
        .filter_map(|i| {
            let mut spec = base.get(i % models)?.clone();
            let copy = i / models;
            if copy > 0 {
                spec.serial = format!("{}B{copy}", spec.serial);
                spec.sys_name = format!("{}-{copy}", spec.sys_name);
                let [hi, lo] = u16::try_from(copy).unwrap_or(u16::MAX).to_be_bytes();
                spec.mac[3] = hi;
                spec.mac[4] = lo;
            }
            Some(spec)
        })
        .collect()
}

/// The demo fleet: 12 printers (mono and colour lasers, waste-toner bottles,
/// one inkjet) over 3 sites and 4 contacts, deterministic for a seed.
pub fn demo_fleet(seed: u64) -> Vec<SyntheticSpec> {
    let mut rng = StdRng::seed_from_u64(seed);
    MODELS
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let site = i / 4;
            let (site_name, contacts) = SITES[site];
            let contact = contacts[(i % 4) / 2];
            let digits = 10u32.pow(
                u32::try_from(10usize.saturating_sub(m.serial_prefix.len()))
                    .unwrap_or(5)
                    .min(9),
            );
            let serial = format!(
                "{}{:0width$}",
                m.serial_prefix,
                rng.random_range(0..digits),
                width = 10usize.saturating_sub(m.serial_prefix.len()).max(5)
            );
            let supplies = m
                .supplies
                .iter()
                .enumerate()
                .map(|(j, (kind, colorant, description, yield_pages))| {
                    let pct = LOW_START
                        .iter()
                        .find(|(p, s, _)| *p == i && *s == j)
                        .map_or_else(|| rng.random_range(45..=100), |(_, _, l)| *l);
                    SyntheticSupply {
                        kind: *kind,
                        colorant: (*colorant).to_string(),
                        description: (*description).to_string(),
                        capacity: 100,
                        unit: SupplyUnit::Percent,
                        level: pct,
                        yield_pages: *yield_pages,
                    }
                })
                .collect::<Vec<_>>();
            let colour = supplies.iter().any(|s| s.colorant == "cyan");
            let id = u8::try_from(i).unwrap_or(u8::MAX);
            SyntheticSpec {
                serial,
                model: m.model.to_string(),
                vendor: m.vendor.to_string(),
                enterprise: m.enterprise,
                colour,
                supplies,
                pages_per_day: m.pages_per_day * rng.random_range(0.8..1.2),
                colour_share: if colour {
                    rng.random_range(0.15..0.4)
                } else {
                    0.0
                },
                initial_pages: rng.random_range(2_000..250_000),
                sys_name: format!("{}-{}", m.vendor.to_lowercase(), i + 1),
                site: site_name.to_string(),
                contact: contact.to_string(),
                mac: [0x02, 0x42, 0xac, 0x10, u8::try_from(site).unwrap_or(0), id],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_fleet_is_deterministic_and_varied() {
        let a = demo_fleet(42);
        assert_eq!(a, demo_fleet(42));
        assert_eq!(a.len(), 12);
        let sites: std::collections::BTreeSet<_> = a.iter().map(|s| s.site.clone()).collect();
        let contacts: std::collections::BTreeSet<_> = a.iter().map(|s| s.contact.clone()).collect();
        assert_eq!(sites.len(), 3);
        assert_eq!(contacts.len(), 4);
        assert!(a.iter().any(|s| s.colour) && a.iter().any(|s| !s.colour));
        assert!(
            a.iter()
                .any(|s| s.supplies.iter().any(|x| x.kind == SupplyKind::WasteToner))
        );
        assert_eq!(
            a.iter()
                .filter(|s| s.supplies.iter().any(|x| x.kind == SupplyKind::Ink))
                .count(),
            1
        );
        assert_eq!(a[0].serial.len(), 10, "{}", a[0].serial);
        assert!(a[0].serial.starts_with("VNB3R"));
    }

    #[test]
    fn several_supplies_run_low_within_a_month() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut low = 0;
        for spec in demo_fleet(1) {
            let mut p = SyntheticPrinter::new(spec.clone());
            let mut min = vec![100; spec.supplies.len()];
            for _ in 0..30 {
                p.advance(Duration::from_secs(86_400), &mut rng);
                for (i, m) in min.iter_mut().enumerate() {
                    *m = (*m).min(p.level(i).unwrap_or(100));
                }
            }
            low += min.iter().filter(|m| **m < 15).count();
        }
        assert!(low >= 4, "only {low} supplies ran low");
    }
}

#[cfg(test)]
mod send_tests {
    use super::*;

    #[test]
    fn fleet_and_agent_futures_can_be_spawned() {
        fn assert_send<T: Send>(_: &T) {}
        let base = Ipv4Addr::LOCALHOST;
        let fleet = SimFleet::start(Vec::new(), base, 0, 0.0);
        assert_send(&fleet);
        let recs = SimFleet::from_recordings(Path::new("."), base, 0);
        assert_send(&recs);
        let agent = SimAgent::start(
            SimAgentConfig::new(SocketAddr::from((base, 0))),
            Arc::new(RwLock::new(crate::mib::MibTree::new())),
        );
        assert_send(&agent);
    }
}
