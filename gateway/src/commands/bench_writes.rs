//! `asr-gateway bench writes`: what the live gateway writes to its storage
//! per printer poll — the figure that decides how long an SD card lives.
//!
//! A real gateway (poller, store, engine, uplink to an embedded broker)
//! polls `--printers` simulated printers, each on its own loopback address,
//! with a scaled clock so that one real poll interval is 15 simulated
//! minutes (levels move as they would). The counter is the process's
//! `write_bytes` (`/proc/self/io`: bytes sent towards the block device,
//! WAL, checkpoints and the database file included), read after a first
//! full round (every printer created) and again after `--rounds` more.
//! The files are flushed once per round, as the kernel would between two
//! real cycles 15 minutes apart (otherwise compressed cycles share dirty
//! pages and look cheaper than they are). Result: bytes per printer poll,
//! the projection for 500 printers polled every 15 minutes, and its ratio
//! to the 50 MB a day budget. Use at least 96 rounds (a simulated day):
//! the daily reading points and the 6-hourly printer rows only show over a
//! day. The database must be on a real disk (`--data-dir`;
//! tmpfs counts nothing).

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use asr_protocols::sim::{SimFleet, synthetic_fleet};
use asr_protocols::snmp::{Credentials, PollOptions};

use super::{CommandError, proc_stats};
use crate::runtime::clock::ScaledClock;
use crate::runtime::{Assignment, Gateway, MqttSettings, Settings};

/// Simulated time between two polls of a printer.
const SIMULATED_POLL: Duration = Duration::from_secs(15 * 60);
/// Polls a day of one printer polled every 15 minutes.
const POLLS_PER_DAY: f64 = 96.0;
/// The budget: 50 MB a day for 500 printers.
const BUDGET_BYTES_PER_DAY: f64 = 50e6;

/// What the benchmark is asked for.
#[derive(Debug, Clone)]
pub struct WritesOptions {
    pub printers: usize,
    pub rounds: u32,
    pub real_poll: Duration,
    pub base_ip: Ipv4Addr,
    pub port: u16,
    pub data_dir: Option<PathBuf>,
    pub history_days: u32,
}

/// Polls a day of history holds per printer (each one a changed level).
const HISTORY_POLLS_PER_DAY: i64 = 8;

/// `days` of history for the fleet's printers, ending now: every printer
/// polled 8 times a day with every supply a little lower each time (so
/// every poll appends), one transaction a day, as the poll writer would.
fn prefill(
    db: &std::path::Path,
    specs: &[asr_protocols::sim::SyntheticSpec],
    days: u32,
) -> Result<u64, CommandError> {
    use asr_protocols::printer::{Gauge, PrinterReport, Supply, SupplyClass};
    let store = crate::store::Store::open(db).map_err(|e| CommandError::Runtime(e.to_string()))?;
    let start = chrono::Utc::now() - chrono::Duration::days(i64::from(days));
    let colours = ["black", "cyan", "magenta", "yellow"];
    let mut rows = 0u64;
    for step in 0..i64::from(days) * HISTORY_POLLS_PER_DAY {
        let at = start + chrono::Duration::minutes(step * 24 * 60 / HISTORY_POLLS_PER_DAY);
        let reports: Vec<(String, PrinterReport)> = specs
            .iter()
            .map(|spec| {
                let level = 1000 - (step % 950);
                let supplies = (0..4u32)
                    .map(|i| Supply {
                        index: i + 1,
                        description: format!("Toner {}", colours[i as usize]),
                        part_number: None,
                        kind: "toner".to_owned(),
                        class: SupplyClass::Consumed,
                        colorant: Some(colours[i as usize].to_owned()),
                        unit: Some("percent".to_owned()),
                        max_capacity: 1000,
                        level,
                        percent: Some(level as f64 / 10.0),
                        gauge: Gauge::Exact,
                    })
                    .collect();
                let report = PrinterReport {
                    serial: Some(spec.serial.clone()),
                    model: Some("history".to_owned()),
                    page_count: Some(u64::try_from(step).unwrap_or_default() * 50),
                    supplies,
                    error: None,
                    source: asr_protocols::printer::ReportSource::Snmp,
                    uuid: None,
                    ..PrinterReport::failed("192.0.2.1:161", "")
                };
                (spec.serial.clone(), report)
            })
            .collect();
        let polls: Vec<crate::store::PollRecord<'_>> = reports
            .iter()
            .map(|(key, report)| crate::store::PollRecord::Answered {
                key,
                address: "192.0.2.1:161",
                report,
                at,
            })
            .collect();
        for outcome in store.record_polls(&polls) {
            rows += outcome
                .map_err(|e| CommandError::Runtime(e.to_string()))?
                .readings_added as u64;
        }
    }
    store
        .checkpoint()
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    Ok(rows)
}

/// Writes the database's dirty pages out (fsync of each file).
fn flush_files(dir: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        if let Ok(file) = std::fs::File::open(dir.join(format!("gateway.db{suffix}"))) {
            let _ = file.sync_all();
        }
    }
}

/// Runs it and prints the table.
pub async fn writes_command(opts: WritesOptions) -> Result<ExitCode, CommandError> {
    if proc_stats::write_bytes().is_none() {
        return Err(CommandError::Runtime(
            "/proc/self/io is not readable here: nothing to measure".into(),
        ));
    }
    let keep;
    let dir = match &opts.data_dir {
        Some(d) => d.clone(),
        None => {
            keep = tempfile::tempdir_in(".")
                .map_err(|e| CommandError::Runtime(format!("temporary directory: {e}")))?;
            keep.path().to_path_buf()
        }
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| CommandError::Runtime(format!("{}: {e}", dir.display())))?;
    let speed = SIMULATED_POLL.as_secs_f64() / opts.real_poll.as_secs_f64();
    let specs = synthetic_fleet(7, opts.printers);
    let fleet = SimFleet::start(specs.clone(), opts.base_ip, opts.port, speed)
        .await
        .map_err(|e| CommandError::Runtime(format!("simulated printers: {e}")))?;
    let mqtt = asr_cloud_sync::free_local_addr(Ipv4Addr::LOCALHOST.into())
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    let _broker = asr_cloud_sync::EmbeddedBroker::start(mqtt)
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    if opts.history_days > 0 {
        let started = Instant::now();
        let rows = prefill(&dir.join("gateway.db"), &specs, opts.history_days)?;
        println!(
            "bench writes: {} days of history put in first ({rows} readings, {:.0} s)",
            opts.history_days,
            started.elapsed().as_secs_f64()
        );
    }
    let clock = Arc::new(ScaledClock::new(chrono::Utc::now(), speed));
    let settings = Settings {
        gateway_id: "bench-writes".into(),
        db_path: dir.join("gateway.db"),
        poll_interval: opts.real_poll,
        max_concurrent_polls: 32,
        outbox_max_bytes: 64 << 20,
        readings_days: 90,
        housekeeping_every: Duration::from_secs(60),
        targets: fleet.members().iter().map(|m| m.addr().into()).collect(),
        credentials: vec![Credentials::v2c("public")],
        poll_options: PollOptions {
            timeout: Duration::from_millis(800),
            retries: 1,
            ..PollOptions::default()
        },
        mqtt: MqttSettings {
            host: "127.0.0.1".into(),
            port: mqtt.port(),
            client_id: "bench-writes".into(),
            username: None,
            password: None,
            keep_alive: Duration::from_secs(30),
            transport: asr_cloud_sync::TransportSettings::tcp(),
        },
        http: None,
        admin_password_hash: None,
        metrics_public: false,
        http_tls: None,
        engine: asr_engine::EngineConfig::default(),
        assignments: specs.iter().map(Assignment::from).collect(),
        default_assignment: None,
        tick_every: opts.real_poll,
        clock,
        mdns: None,
        snmp_port: opts.port,
        ipp_port: 631,
        sweep: None,
        config: None,
    };
    let gateway = Gateway::start(settings)
        .await
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    // A first full round: every printer is new (rows created once).
    let warm = Instant::now();
    while gateway.polls().0 < opts.printers as u64 {
        if warm.elapsed() > Duration::from_secs(120) {
            return Err(CommandError::Runtime(format!(
                "only {} of {} printers answered in 2 minutes",
                gateway.polls().0,
                opts.printers
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let span = opts.real_poll * opts.rounds;
    let (polls0, bytes0) = (gateway.polls().0, proc_stats::write_bytes().unwrap_or(0));
    // Real cycles are 15 minutes apart: the kernel writes each cycle's
    // dirty pages out (after ~30 s) before the next cycle dirties them
    // again, and each time they count. Compressed to seconds, cycles would
    // share dirty pages and look cheaper than they are, so the files are
    // flushed once per round, as the kernel would.
    let end = tokio::time::Instant::now() + span;
    while tokio::time::Instant::now() < end {
        tokio::time::sleep(opts.real_poll.min(end - tokio::time::Instant::now())).await;
        flush_files(&dir);
    }
    let (polls1, bytes1) = (gateway.polls().0, proc_stats::write_bytes().unwrap_or(0));
    let db_bytes = ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(dir.join(format!("gateway.db{s}"))).ok())
        .map(|m| m.len())
        .sum::<u64>();
    gateway.shutdown().await;
    drop(fleet);

    let polls = polls1.saturating_sub(polls0).max(1);
    let written = bytes1.saturating_sub(bytes0);
    let per_poll = written as f64 / polls as f64;
    let per_day_500 = per_poll * 500.0 * POLLS_PER_DAY;
    println!(
        "bench writes: {} printers, {} rounds of {:?} real = 15 simulated minutes",
        opts.printers, opts.rounds, opts.real_poll
    );
    println!("| measure | value |");
    println!("|---|---|");
    println!("| printer polls measured | {polls} |");
    println!("| bytes written (write_bytes) | {written} |");
    println!("| bytes per printer poll | {per_poll:.0} |");
    println!(
        "| projected, 500 printers every 15 min | {:.1} MB/day |",
        per_day_500 / 1e6
    );
    println!(
        "| ratio to the 50 MB/day budget | {:.2} |",
        per_day_500 / BUDGET_BYTES_PER_DAY
    );
    println!(
        "| database + WAL at the end | {:.1} MB |",
        db_bytes as f64 / 1e6
    );
    Ok(ExitCode::SUCCESS)
}
