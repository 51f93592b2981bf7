//! `asr-gateway bench poll | sim-fleet | poll-plan`: the polling benchmark.
//!
//! The issue asks for figures a Raspberry Pi budget can be checked against:
//! round trips, CPU time per printer and peak RSS of the gateway polling a
//! fleet, and a ratio against the usual alternative (a loop of net-snmp
//! `snmpbulkwalk`) on the same agents. Bare timings mean little across
//! machines; ratios and per-printer figures do, so this module measures the
//! gateway side and `scripts/bench-poll.sh` runs the walk loop next to it.
//!
//! The simulated printers run in a separate process (`bench sim-fleet`), so
//! the RSS and CPU time measured by `bench poll` are the poller's alone. The
//! poller is the production path: [`snmp::fetch`] of [`printer::fetch_plan`]
//! and [`printer::interpret`] of every answer, with bounded concurrency as
//! the runtime's poller has it (`gateway.max_concurrent_polls`, default 16).
//! `bench poll-plan` prints that plan so that the walk loop fetches exactly
//! the same OIDs.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use asr_protocols::mib::MibTree;
use asr_protocols::printer;
use asr_protocols::sim::{
    SimAgent, SimAgentConfig, SyntheticPrinter, SyntheticSpec, synthetic_fleet,
};
use asr_protocols::snmp::{self, Credentials, FetchPlan, PollOptions};
use asr_protocols::snmprec;

use super::{CommandError, proc_stats};

/// Most printers one benchmark run polls or serves: 10× the issue's
/// 1,000-printer target, and far below the 16 M addresses of 127/8.
pub const MAX_PRINTERS: usize = 10_000;

/// The recordings served by [`FleetProfile::Recordings`] by default: the
/// shared fixtures next to the workspace.
pub fn default_recordings_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/printers/snmprec")
}

/// What the simulated printers look like.
#[derive(Debug, Clone, PartialEq)]
pub enum FleetProfile {
    /// The demo fleet's 12 synthetic models, repeated with distinct serials:
    /// clean Printer-MIB agents with 1 to 5 supplies each.
    Synthetic {
        /// Seed of the demo fleet.
        seed: u64,
    },
    /// Every `.snmprec` recording of a directory, repeated: real printers'
    /// whole MIBs with their quirks and their longer tables.
    Recordings(PathBuf),
}

/// How `bench poll` reaches the fleet and how hard it polls.
#[derive(Debug, Clone, PartialEq)]
pub struct PollBenchOptions {
    /// Address of the first printer; printer `i` is at `base_ip + i`.
    pub base_ip: Ipv4Addr,
    /// UDP port of every printer.
    pub port: u16,
    /// SNMPv2c community.
    pub community: String,
    /// Polls in flight at once (the gateway's `max_concurrent_polls`).
    pub concurrency: usize,
    /// Times the whole fleet is polled; CPU time is averaged over them and
    /// the first (cold) round's wall time is reported apart.
    pub rounds: u32,
    /// Request timeout; one retry follows a timeout, as in the gateway.
    pub timeout: Duration,
    /// The whole run stops with an error after this long, so that a fleet
    /// that does not answer cannot hang a script.
    pub deadline: Duration,
}

impl Default for PollBenchOptions {
    fn default() -> Self {
        Self {
            base_ip: Ipv4Addr::new(127, 0, 1, 1),
            port: 16_161,
            community: "public".into(),
            concurrency: 16,
            rounds: 3,
            timeout: Duration::from_secs(2),
            deadline: Duration::from_secs(600),
        }
    }
}

/// What one `bench poll` run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct PollBenchReport {
    /// Printers polled per round.
    pub printers: usize,
    /// Polls in flight at once.
    pub concurrency: usize,
    /// Wall time of each round, in order.
    pub round_walls: Vec<Duration>,
    /// Process CPU time (user + system, all threads) spent in all rounds.
    pub cpu: Duration,
    /// Polls that failed (no answer, bad answer), all rounds together.
    pub errors: usize,
    /// The first failure, to tell a wrong port from a slow fleet.
    pub first_error: Option<String>,
    /// Answered request/response exchanges, all rounds together.
    pub round_trips: u64,
    /// Most round trips any single poll needed.
    pub max_round_trips: u32,
    /// Polls whose walk was cut short (row, binding or round limits).
    pub truncated_polls: usize,
    /// Supplies interpreted in the last round, to show the polls were real.
    pub supplies_last_round: usize,
    /// Peak resident set size of this process (VmHWM), in KiB.
    pub peak_rss_kib: Option<u64>,
    /// Resident set size before the first poll, in KiB: the runtime and
    /// binary alone, so that the polling's own share can be told apart.
    pub start_rss_kib: Option<u64>,
}

impl PollBenchReport {
    /// Polls attempted, all rounds together.
    pub fn polls(&self) -> usize {
        self.printers.saturating_mul(self.round_walls.len())
    }

    /// Average answered round trips per printer poll.
    pub fn round_trips_per_printer(&self) -> f64 {
        ratio(self.round_trips as f64, self.polls() as f64)
    }

    /// Average process CPU time per printer poll, in milliseconds.
    pub fn cpu_ms_per_printer(&self) -> f64 {
        ratio(self.cpu.as_secs_f64() * 1000.0, self.polls() as f64)
    }

    /// Wall time of the first round: a cold poll of the fleet, what the
    /// walk loop is compared with.
    pub fn first_wall(&self) -> Duration {
        self.round_walls.first().copied().unwrap_or_default()
    }

    /// Fastest round's wall time.
    pub fn best_wall(&self) -> Duration {
        self.round_walls.iter().min().copied().unwrap_or_default()
    }

    /// The last line of the report: `key=value` pairs for scripts.
    pub fn summary_line(&self) -> String {
        format!(
            "summary: printers={} rounds={} concurrency={} wall_first_ms={:.1} wall_best_ms={:.1} \
             cpu_ms_per_printer={:.3} round_trips_per_printer={:.2} max_round_trips={} \
             peak_rss_kib={} start_rss_kib={} errors={} truncated={} supplies={}",
            self.printers,
            self.round_walls.len(),
            self.concurrency,
            self.first_wall().as_secs_f64() * 1000.0,
            self.best_wall().as_secs_f64() * 1000.0,
            self.cpu_ms_per_printer(),
            self.round_trips_per_printer(),
            self.max_round_trips,
            self.peak_rss_kib.unwrap_or(0),
            self.start_rss_kib.unwrap_or(0),
            self.errors,
            self.truncated_polls,
            self.supplies_last_round,
        )
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

impl fmt::Display for PollBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let walls: Vec<String> = self
            .round_walls
            .iter()
            .map(|w| format!("{:.0}", w.as_secs_f64() * 1000.0))
            .collect();
        writeln!(
            f,
            "poll benchmark: {} printers, {} round(s), {} polls in flight",
            self.printers,
            self.round_walls.len(),
            self.concurrency
        )?;
        writeln!(f, "  wall time per round     {} ms", walls.join(" / "))?;
        writeln!(
            f,
            "  CPU time per printer    {:.3} ms (user+system, all threads)",
            self.cpu_ms_per_printer()
        )?;
        writeln!(
            f,
            "  round trips per printer {:.2} (worst poll {})",
            self.round_trips_per_printer(),
            self.max_round_trips
        )?;
        writeln!(
            f,
            "  peak RSS                {} (before polling {})",
            mib(self.peak_rss_kib),
            mib(self.start_rss_kib)
        )?;
        writeln!(
            f,
            "  failed polls            {} of {}{}",
            self.errors,
            self.polls(),
            self.first_error
                .as_deref()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        )?;
        writeln!(
            f,
            "  truncated polls         {}; supplies read in the last round: {}",
            self.truncated_polls, self.supplies_last_round
        )?;
        write!(f, "{}", self.summary_line())
    }
}

/// The address of printer `i` of a fleet starting at `base`.
fn nth_addr(base: Ipv4Addr, port: u16, i: usize) -> Result<SocketAddr, String> {
    let ip = u32::try_from(i)
        .ok()
        .and_then(|i| u32::from(base).checked_add(i))
        .map(Ipv4Addr::from)
        .filter(|ip| ip.is_loopback())
        .ok_or_else(|| format!("printer {i} from {base} falls outside 127.0.0.0/8"))?;
    Ok(SocketAddr::new(IpAddr::V4(ip), port))
}

fn check_fleet(printers: usize, base_ip: Ipv4Addr, port: u16) -> Result<(), String> {
    if !(1..=MAX_PRINTERS).contains(&printers) {
        return Err(format!(
            "--printers must be between 1 and {MAX_PRINTERS} (got {printers})"
        ));
    }
    if !base_ip.is_loopback() {
        return Err(format!(
            "the benchmark stays on loopback: --base-ip must be in 127.0.0.0/8 (got {base_ip})"
        ));
    }
    if port == 0 {
        return Err("--port must not be 0: every printer needs the same known port".into());
    }
    nth_addr(base_ip, port, printers - 1).map(|_| ())
}

/// Per-worker tallies, merged after each round.
#[derive(Debug, Default)]
struct Tally {
    errors: usize,
    first_error: Option<String>,
    round_trips: u64,
    max_round_trips: u32,
    truncated: usize,
    supplies: usize,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.round_trips += other.round_trips;
        self.max_round_trips = self.max_round_trips.max(other.max_round_trips);
        self.truncated += other.truncated;
        self.supplies += other.supplies;
    }
}

/// Polls every printer once with at most `concurrency` polls in flight:
/// workers take the next printer from a shared counter, as the gateway's
/// poller takes a permit.
async fn poll_round(
    targets: Arc<Vec<SocketAddr>>,
    creds: Arc<Credentials>,
    plan: Arc<FetchPlan>,
    opts: Arc<PollOptions>,
    concurrency: usize,
) -> Result<Tally, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.min(targets.len()).max(1) {
        let (targets, creds, plan, opts, next) = (
            targets.clone(),
            creds.clone(),
            plan.clone(),
            opts.clone(),
            next.clone(),
        );
        workers.spawn(async move {
            let mut tally = Tally::default();
            while let Some(&addr) = targets.get(next.fetch_add(1, Ordering::Relaxed)) {
                match snmp::fetch(addr, &creds, &plan, &opts).await {
                    Ok(fetched) => {
                        let report = printer::interpret(&addr.to_string(), &fetched.tree);
                        tally.round_trips += u64::from(fetched.round_trips);
                        tally.max_round_trips = tally.max_round_trips.max(fetched.round_trips);
                        tally.truncated += usize::from(!fetched.truncated.is_empty());
                        tally.supplies += report.supplies.len();
                    }
                    Err(e) => {
                        tally.errors += 1;
                        tally.first_error.get_or_insert_with(|| e.to_string());
                    }
                }
            }
            tally
        });
    }
    let mut total = Tally::default();
    while let Some(done) = workers.join_next().await {
        total.merge(done.map_err(|e| format!("a poll worker failed: {e}"))?);
    }
    Ok(total)
}

/// Polls `printers` simulated printers at `opts.base_ip + i : opts.port`
/// `opts.rounds` times and measures this process while doing it.
///
/// # Errors
/// Bad options (printer count, non-loopback address, zero concurrency or
/// rounds), a run longer than `opts.deadline`, or a poll task that panicked.
/// Printers that do not answer are not an error: they are counted in
/// [`PollBenchReport::errors`].
pub async fn run(printers: usize, opts: &PollBenchOptions) -> Result<PollBenchReport, String> {
    check_fleet(printers, opts.base_ip, opts.port)?;
    if !(1..=1024).contains(&opts.concurrency) {
        return Err(format!(
            "--concurrency must be between 1 and 1024 (got {})",
            opts.concurrency
        ));
    }
    if !(1..=100).contains(&opts.rounds) {
        return Err(format!(
            "--rounds must be between 1 and 100 (got {})",
            opts.rounds
        ));
    }
    let targets: Vec<SocketAddr> = (0..printers)
        .map(|i| nth_addr(opts.base_ip, opts.port, i))
        .collect::<Result<_, _>>()?;
    let targets = Arc::new(targets);
    let creds = Arc::new(Credentials::v2c(opts.community.clone()));
    let plan = Arc::new(printer::fetch_plan());
    let poll_opts = Arc::new(PollOptions {
        timeout: opts.timeout,
        retries: 1,
        ..PollOptions::default()
    });
    let start_rss_kib = proc_stats::status_kib("VmRSS");
    let cpu_before = proc_stats::cpu_time();
    let rounds = async {
        let mut walls = Vec::new();
        let mut tally = Tally::default();
        for _ in 0..opts.rounds {
            let started = Instant::now();
            let round = poll_round(
                targets.clone(),
                creds.clone(),
                plan.clone(),
                poll_opts.clone(),
                opts.concurrency,
            )
            .await?;
            walls.push(started.elapsed());
            tally.supplies = 0;
            tally.merge(round);
        }
        Ok::<_, String>((walls, tally))
    };
    let (round_walls, tally) =
        tokio::time::timeout(opts.deadline, rounds)
            .await
            .map_err(|_| {
                format!(
                    "the benchmark did not finish within {} s (is the fleet running on {}:{}?)",
                    opts.deadline.as_secs(),
                    opts.base_ip,
                    opts.port
                )
            })??;
    let cpu = match (cpu_before, proc_stats::cpu_time()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => Duration::ZERO,
    };
    Ok(PollBenchReport {
        printers,
        concurrency: opts.concurrency,
        round_walls,
        cpu,
        errors: tally.errors,
        first_error: tally.first_error,
        round_trips: tally.round_trips,
        max_round_trips: tally.max_round_trips,
        truncated_polls: tally.truncated,
        supplies_last_round: tally.supplies,
        peak_rss_kib: proc_stats::status_kib("VmHWM"),
        start_rss_kib,
    })
}

/// `printers` synthetic printers (see [`synthetic_fleet`]).
pub fn synthetic_specs(seed: u64, printers: usize) -> Vec<SyntheticSpec> {
    synthetic_fleet(seed, printers)
}

/// The trees of every `.snmprec` file of `dir`, sorted by file name.
fn recording_trees(dir: &Path) -> Result<Vec<MibTree>, String> {
    let unreadable = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "snmprec"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no .snmprec recording there", dir.display()));
    }
    files
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .map(|text| snmprec::parse(&text).tree)
                .map_err(|e| unreadable(p, e))
        })
        .collect()
}

/// Starts `printers` agents of `profile` on `base_ip + i : port`
/// (community "public"). The caller keeps them alive.
///
/// # Errors
/// Bad arguments, unreadable recordings, or an address that cannot be bound.
pub async fn start_fleet(
    printers: usize,
    profile: &FleetProfile,
    base_ip: Ipv4Addr,
    port: u16,
) -> Result<Vec<SimAgent>, String> {
    check_fleet(printers, base_ip, port)?;
    let trees: Vec<Arc<RwLock<MibTree>>> = match profile {
        FleetProfile::Synthetic { seed } => synthetic_specs(*seed, printers)
            .into_iter()
            .map(|spec| SyntheticPrinter::new(spec).tree())
            .collect(),
        FleetProfile::Recordings(dir) => {
            let recorded = recording_trees(dir)?;
            (0..printers)
                .filter_map(|i| recorded.get(i % recorded.len()).cloned())
                .map(|t| Arc::new(RwLock::new(t)))
                .collect()
        }
    };
    let mut agents = Vec::with_capacity(printers);
    for (i, tree) in trees.into_iter().enumerate() {
        let addr = nth_addr(base_ip, port, i)?;
        let agent = SimAgent::start(SimAgentConfig::new(addr), tree)
            .await
            .map_err(|e| e.to_string())?;
        agents.push(agent);
    }
    Ok(agents)
}

/// Serves `printers` simulated printers until Ctrl-C/SIGTERM or, when
/// given, `duration` (so that a script that dies cannot leave it behind).
/// Prints `ready: N printers on FIRST..LAST` once every agent answers.
///
/// # Errors
/// As [`start_fleet`].
pub async fn serve_fleet(
    printers: usize,
    profile: &FleetProfile,
    base_ip: Ipv4Addr,
    port: u16,
    duration: Option<Duration>,
) -> Result<(), String> {
    let agents = start_fleet(printers, profile, base_ip, port).await?;
    let first = agents.first().map(|a| a.local_addr().to_string());
    let last = agents.last().map(|a| a.local_addr().to_string());
    println!(
        "ready: {} printers on {}..{}",
        agents.len(),
        first.unwrap_or_default(),
        last.unwrap_or_default()
    );
    match duration {
        Some(d) => {
            tokio::select! {
                () = super::signal::wait_for_stop() => {}
                () = tokio::time::sleep(d) => {}
            }
        }
        None => super::signal::wait_for_stop().await,
    }
    for agent in agents {
        agent.shutdown().await;
    }
    Ok(())
}

/// The printer fetch plan, one OID per line: `scalar OID` or `subtree OID`.
/// The walk loop of `scripts/bench-poll.sh` reads it, so that both sides
/// fetch the same things.
pub fn plan_listing() -> String {
    let plan = printer::fetch_plan();
    let mut out = String::new();
    for oid in &plan.scalars {
        out.push_str(&format!("scalar {oid}\n"));
    }
    for oid in &plan.subtrees {
        out.push_str(&format!("subtree {oid}\n"));
    }
    out
}

/// `bench poll`: runs [`run`] and prints its report; exit status 1 if any
/// poll failed, so a script notices a fleet that was not there.
///
/// # Errors
/// [`CommandError::Usage`] for bad options, [`CommandError::Runtime`] for a
/// run that could not finish.
pub async fn poll_command(
    printers: usize,
    opts: &PollBenchOptions,
) -> Result<ExitCode, CommandError> {
    let report = run(printers, opts).await.map_err(CommandError::Runtime)?;
    println!("{report}");
    Ok(if report.errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `bench sim-fleet`: runs [`serve_fleet`].
///
/// # Errors
/// [`CommandError::Runtime`] when the fleet cannot start.
pub async fn sim_fleet_command(
    printers: usize,
    profile: &FleetProfile,
    base_ip: Ipv4Addr,
    port: u16,
    duration: Option<Duration>,
) -> Result<ExitCode, CommandError> {
    serve_fleet(printers, profile, base_ip, port, duration)
        .await
        .map_err(CommandError::Runtime)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_parses_past_a_tricky_command_name() {
        let stat = "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 250 37 0 0 20 0 3 0 5";
        assert_eq!(
            proc_stats::parse_cpu_time(stat),
            Some(Duration::from_millis(2870))
        );
        assert_eq!(proc_stats::parse_cpu_time("42 (x) S 1"), None);
        assert!(proc_stats::cpu_time().is_some());
    }

    #[test]
    fn status_lines_give_kib() {
        let status = "Name:\tx\nVmHWM:\t   12345 kB\nVmRSS:\t  999 kB\n";
        assert_eq!(proc_stats::parse_status_kib(status, "VmHWM"), Some(12_345));
        assert_eq!(proc_stats::parse_status_kib(status, "VmRSS"), Some(999));
        assert_eq!(proc_stats::parse_status_kib(status, "VmPeak"), None);
        assert!(proc_stats::status_kib("VmHWM").is_some_and(|k| k > 0));
    }

    #[test]
    fn synthetic_copies_are_distinct() {
        let specs = synthetic_specs(7, 30);
        assert_eq!(specs.len(), 30);
        let serials: std::collections::BTreeSet<_> = specs.iter().map(|s| &s.serial).collect();
        let macs: std::collections::BTreeSet<_> = specs.iter().map(|s| s.mac).collect();
        assert_eq!(serials.len(), 30);
        assert_eq!(macs.len(), 30);
    }

    #[test]
    fn plan_listing_names_every_oid_of_the_plan() {
        let listing = plan_listing();
        let plan = printer::fetch_plan();
        assert_eq!(
            listing.lines().count(),
            plan.scalars.len() + plan.subtrees.len()
        );
        assert!(listing.contains("subtree 1.3.6.1.2.1.43.11.1.1.9\n"));
        assert!(listing.contains("scalar 1.3.6.1.2.1.1.1.0\n"));
    }

    #[tokio::test]
    async fn bad_options_are_refused_before_any_poll() {
        let opts = PollBenchOptions::default();
        assert!(run(0, &opts).await.is_err());
        let outside = PollBenchOptions {
            base_ip: Ipv4Addr::new(10, 0, 0, 1),
            ..opts.clone()
        };
        assert!(run(1, &outside).await.unwrap_err().contains("loopback"));
        let past_the_end = PollBenchOptions {
            base_ip: Ipv4Addr::new(127, 255, 255, 250),
            ..opts.clone()
        };
        assert!(run(10, &past_the_end).await.is_err());
        let idle = PollBenchOptions {
            concurrency: 0,
            ..opts
        };
        assert!(run(1, &idle).await.is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn polls_a_synthetic_fleet_in_few_round_trips() {
        let (base_ip, port) = (Ipv4Addr::new(127, 0, 91, 1), 39_161);
        let agents = start_fleet(14, &FleetProfile::Synthetic { seed: 7 }, base_ip, port)
            .await
            .expect("fleet starts");
        let opts = PollBenchOptions {
            base_ip,
            port,
            rounds: 2,
            concurrency: 4,
            deadline: Duration::from_secs(60),
            ..PollBenchOptions::default()
        };
        let report = run(14, &opts).await.expect("benchmark runs");
        for a in agents {
            a.shutdown().await;
        }
        assert_eq!(report.errors, 0, "{:?}", report.first_error);
        assert_eq!(report.polls(), 28);
        assert!(report.round_trips_per_printer() >= 1.0);
        assert!(report.max_round_trips <= 3, "{report}");
        // 14 printers cycle through the 12 demo models (1 to 5 supplies).
        assert!(report.supplies_last_round >= 14, "{report}");
        assert!(report.peak_rss_kib.is_some_and(|k| k > 0));
        assert!(report.summary_line().contains("printers=14 rounds=2"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn polls_repeated_recordings_and_counts_silence_as_errors() {
        let (base_ip, port) = (Ipv4Addr::new(127, 0, 92, 1), 39_162);
        let dir = default_recordings_dir();
        let agents = start_fleet(25, &FleetProfile::Recordings(dir), base_ip, port)
            .await
            .expect("fleet starts");
        let opts = PollBenchOptions {
            base_ip,
            port,
            rounds: 1,
            timeout: Duration::from_millis(200),
            deadline: Duration::from_secs(60),
            ..PollBenchOptions::default()
        };
        // Two more printers than agents: the last two never answer.
        let report = run(27, &opts).await.expect("benchmark runs");
        for a in agents {
            a.shutdown().await;
        }
        assert_eq!(report.errors, 2, "{report}");
        assert!(report.first_error.is_some());
        assert!(report.supplies_last_round > 25, "{report}");
        assert!(report.round_trips_per_printer() > 0.9);
    }

    #[tokio::test]
    async fn missing_recordings_are_a_clear_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let err = start_fleet(
            2,
            &FleetProfile::Recordings(dir.path().to_path_buf()),
            Ipv4Addr::new(127, 0, 93, 1),
            39_163,
        )
        .await
        .unwrap_err();
        assert!(err.contains("no .snmprec"), "{err}");
    }
}
