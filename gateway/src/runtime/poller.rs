//! The polling loop: one task per printer address, at most N polls at once
//! across the fleet, never two at once on one printer (printers are fragile).
//! Each poll is stored first, then handed to the engine.
//!
//! Every printer is polled on one shared grid (multiples of the interval
//! from the gateway's start): a cycle is a burst, paced by the concurrency
//! limit, that the poll writer records in a few transactions — where
//! polls spread over the interval would each cost the SD card a commit.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use asr_engine::{Event, SupplyReading};
use asr_protocols::printer::{self, PrinterReport};
use asr_protocols::snmp::{self, FetchPlan};
use chrono::{DateTime, Utc};
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::clock::Clock;
use super::engine_task::EngineInput;
use super::live::LiveConfig;
use super::poll_writer::PollJob;
use super::settings::Assignment;
use crate::config::Protocol;
use crate::store::Store;
use crate::target::Target;

/// What every polling task shares.
pub(crate) struct PollerShared {
    pub store: Arc<Store>,
    pub clock: Arc<dyn Clock>,
    /// Interval, credentials and timeouts, changeable while running.
    pub live: Arc<LiveConfig>,
    pub plan: FetchPlan,
    pub permits: Semaphore,
    pub poll_now: Notify,
    /// Asks discovery to look for printers now (`rescan`).
    pub rescan: Notify,
    pub engine: mpsc::Sender<EngineInput>,
    pub shutdown: CancellationToken,
    /// Configured assignments by serial, applied when a printer is first seen.
    pub assignments: HashMap<String, Assignment>,
    /// Site and contact for a new printer no assignment names.
    pub default_assignment: Option<(String, String)>,
    /// How long polls take (page and metrics).
    pub times: Arc<super::poll_times::PollTimes>,
    /// Records polls, several to a transaction.
    pub writer: super::poll_writer::PollWriter,
    /// The origin of the polling grid.
    pub epoch: tokio::time::Instant,
    /// IPP, for printers that do not speak SNMP.
    pub ipp: asr_protocols::ipp::IppClient,
    /// The IPP port tried on printers whose endpoint is not known.
    pub ipp_port: u16,
}

/// Polls `target` at once, then on the grid of the interval, until shutdown.
pub(crate) async fn poll_loop(shared: Arc<PollerShared>, target: Target) {
    let mut state = TargetState::default();
    let mut interval = shared.live.watch_poll_interval();
    loop {
        let permit = tokio::select! {
            p = shared.permits.acquire() => p,
            () = shared.shutdown.cancelled() => return,
        };
        let Ok(_permit) = permit else { return };
        let started = tokio::time::Instant::now();
        poll_once(&shared, &target, &mut state).await;
        drop(_permit);
        let every = *interval.borrow_and_update();
        if wait(&shared, started, every, Some(&mut interval)).await {
            return;
        }
    }
}

/// The first point of the grid of step `every` from `epoch` after `from`.
pub(crate) fn next_on_grid(
    epoch: tokio::time::Instant,
    from: tokio::time::Instant,
    every: Duration,
) -> tokio::time::Instant {
    let step = every.as_nanos().max(1);
    let since = from.saturating_duration_since(epoch).as_nanos();
    let steps = since / step + 1;
    let offset = u64::try_from(steps.saturating_mul(step)).unwrap_or(u64::MAX);
    epoch + Duration::from_nanos(offset)
}

/// Sleeps until the next grid point after `from`, or until "poll now";
/// true when shutting down. A new poll interval (`set_config`) moves the
/// deadline onto the new grid: a shorter one takes effect now, not after
/// the old wait.
async fn wait(
    shared: &PollerShared,
    from: tokio::time::Instant,
    d: Duration,
    mut interval: Option<&mut tokio::sync::watch::Receiver<Duration>>,
) -> bool {
    let mut deadline = next_on_grid(shared.epoch, from, d);
    loop {
        let changed = async {
            match interval.as_mut() {
                Some(rx) => rx.changed().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => return false,
            () = shared.poll_now.notified() => return false,
            () = shared.shutdown.cancelled() => return true,
            ok = changed => {
                match (ok, interval.as_mut()) {
                    (true, Some(rx)) => {
                        deadline = next_on_grid(shared.epoch, from, *rx.borrow_and_update());
                    }
                    // The sender is gone (shutdown): keep the deadline.
                    _ => interval = None,
                }
            }
        }
    }
}

/// What a polling task remembers about its address.
#[derive(Default)]
struct TargetState {
    /// The printer last seen there (serial or MAC key).
    key: Option<String>,
    /// Index in the credentials list that worked last.
    credentials: Option<usize>,
    /// Consecutive failures, to log the first and then stay quiet.
    failures: u32,
    /// How long this printer takes to answer, learned by the last poll: a
    /// printer that answers in seconds is waited for from the first attempt.
    learned_wait: Option<std::time::Duration>,
    /// `auto` found SNMP silent (or empty) and IPP answering: IPP is asked
    /// first, and SNMP tried again every [`SNMP_RETRY_EVERY`] polls.
    via_ipp: bool,
    /// Polls over IPP since SNMP was last tried.
    since_snmp: u32,
}

/// Polls of an `auto` printer over IPP between two tries of SNMP (which a
/// site may switch back on).
const SNMP_RETRY_EVERY: u32 = 24;

async fn poll_once(shared: &PollerShared, target: &Target, state: &mut TargetState) {
    let at = shared.clock.now();
    let started = std::time::Instant::now();
    let read = read_printer(shared, target, state).await;
    let key = match &read {
        Ok(report) => report.identity_key(),
        Err(_) => state.key.clone(),
    };
    shared
        .times
        .record(key.as_deref(), started.elapsed(), read.is_ok());
    match read {
        Ok(report) => {
            let Some(key) = report.identity_key() else {
                warn!(%target, "printer reports neither a serial number nor a MAC address; not tracked");
                return;
            };
            if state.failures > 0 {
                info!(%target, printer = %key, "printer answers again");
            }
            state.failures = 0;
            if state.key.as_deref() != Some(key.as_str()) {
                info!(%target, printer = %key, model = report.model.as_deref().unwrap_or("?"), "printer identified");
            }
            state.key = Some(key.clone());
            shared.times.record_source(&key, report.source);
            let stored = shared
                .writer
                .record(PollJob::Answered {
                    key: key.clone(),
                    address: target.to_string(),
                    report: Box::new(report.clone()),
                    at,
                })
                .await;
            match stored {
                Ok(outcome) => {
                    if let Some(old) = &outcome.moved_from {
                        info!(printer = %key, from = %old, to = %target, "printer moved to a new address");
                    }
                    if let (true, Some(a)) = (outcome.new_printer, shared.assignments.get(&key)) {
                        let _ = shared.store.assign_printer(
                            &key,
                            Some(&a.site),
                            Some(&a.contact),
                            a.excluded,
                        );
                    } else if let (true, Some((site, contact))) =
                        (outcome.new_printer, &shared.default_assignment)
                    {
                        assign_default(shared, &key, &report, site, contact).await;
                    }
                }
                Err(e) => {
                    // The store's health says it (once a minute, on the
                    // page, in the status); the engine still sees the
                    // poll and keeps deciding from memory.
                    debug!(%target, error = %e, "could not store a poll");
                }
            }
            let events = readings(&key, &report, at);
            if !events.is_empty()
                && shared
                    .engine
                    .send(EngineInput::Events(events))
                    .await
                    .is_err()
            {
                debug!("engine stopped; poll not forwarded");
            }
        }
        Err(error) => {
            state.failures += 1;
            if state.failures == 1 {
                warn!(%target, %error, "printer does not answer");
            } else {
                debug!(%target, %error, failures = state.failures, "printer still does not answer");
            }
            let Some(key) = state.key.clone() else { return };
            // A printer that now answers elsewhere (DHCP moved it) is not
            // silent: only its old address is.
            let here = target.to_string();
            let lives_elsewhere = shared
                .store
                .printer(&key)
                .ok()
                .flatten()
                .is_some_and(|p| p.address != here && p.last_poll_ok);
            if lives_elsewhere {
                debug!(%target, printer = %key, "printer moved away from this address");
                return;
            }
            let failure = PollJob::Failed {
                key: key.clone(),
                address: here,
                error: error.clone(),
                at,
            };
            if let Err(e) = shared.writer.record(failure).await {
                if shared.store.storage().state() == crate::store::StorageState::Ok {
                    warn!(%target, error = %e, "could not store a failed poll");
                } else {
                    debug!(%target, error = %e, "could not store a failed poll");
                }
            }
            let _ = shared
                .engine
                .send(EngineInput::Events(vec![Event::PollFailed {
                    printer: key,
                    at,
                }]))
                .await;
        }
    }
}

/// A new printer nobody assigned gets the site's defaults
/// (`gateway.default_site` / `default_contact`), in the store and in the
/// engine, so it is ordered for like a registered one.
async fn assign_default(
    shared: &PollerShared,
    key: &str,
    report: &PrinterReport,
    site: &str,
    contact: &str,
) {
    if let Err(e) = shared
        .store
        .assign_printer(key, Some(site), Some(contact), false)
    {
        warn!(printer = %key, error = %e, "cannot store the default assignment");
        return;
    }
    info!(printer = %key, %site, %contact, "new printer given the site's default assignment");
    let event = Event::PrinterAssigned {
        serial: key.to_string(),
        model: report.model.clone().unwrap_or_default(),
        site: site.to_string(),
        contact: contact.to_string(),
        excluded: false,
    };
    let _ = shared.engine.send(EngineInput::Events(vec![event])).await;
}

/// Reads the printer at `target` over the protocol chosen for it: SNMP,
/// IPP, or (`auto`) SNMP with IPP for a printer SNMP cannot read.
async fn read_printer(
    shared: &PollerShared,
    target: &Target,
    state: &mut TargetState,
) -> Result<PrinterReport, String> {
    let configured = state
        .key
        .as_ref()
        .and_then(|k| chosen_protocol(shared, k))
        .unwrap_or_default();
    let protocol = if target.snmp {
        configured
    } else {
        Protocol::Ipp
    };
    match protocol {
        Protocol::Snmp => read_snmp(shared, target, state).await,
        Protocol::Ipp => read_ipp(shared, target, state.key.as_deref()).await,
        Protocol::Auto => {
            if state.via_ipp && state.since_snmp < SNMP_RETRY_EVERY {
                state.since_snmp += 1;
                if let Ok(report) = read_ipp(shared, target, state.key.as_deref()).await {
                    return Ok(report);
                }
            }
            let snmp = read_snmp(shared, target, state).await;
            if matches!(&snmp, Ok(r) if !r.supplies.is_empty()) {
                state.via_ipp = false;
                return snmp;
            }
            match read_ipp(shared, target, state.key.as_deref()).await {
                Ok(report) if !report.supplies.is_empty() || snmp.is_err() => {
                    if !state.via_ipp {
                        let why = match &snmp {
                            Ok(_) => "reports no supplies over SNMP".to_string(),
                            Err(e) => format!("does not answer SNMP ({e})"),
                        };
                        info!(%target, "printer {why}; reading it over IPP");
                    }
                    state.via_ipp = true;
                    state.since_snmp = 0;
                    Ok(report)
                }
                Ok(_) => snmp,
                Err(ipp) => snmp.map_err(|e| format!("{e}; over IPP: {ipp}")),
            }
        }
    }
}

/// The protocol chosen for printer `key`: on the page or by `set_printer`
/// (kept in the store), else in the file.
pub(crate) fn chosen_protocol(shared: &PollerShared, key: &str) -> Option<Protocol> {
    let stored = shared
        .store
        .meta_get(&super::command_handler::protocol_key(key))
        .ok()
        .flatten()
        .and_then(|p| parse_protocol(&p));
    stored.or_else(|| shared.assignments.get(key).map(|a| a.protocol))
}

/// `auto`, `snmp` or `ipp`.
pub(crate) fn parse_protocol(text: &str) -> Option<Protocol> {
    match text {
        "auto" => Some(Protocol::Auto),
        "snmp" => Some(Protocol::Snmp),
        "ipp" => Some(Protocol::Ipp),
        _ => None,
    }
}

/// One poll over IPP. The certificate of an IPPS printer is pinned to the
/// printer's identity on first use; another one later is refused (and
/// reported) rather than trusted.
async fn read_ipp(
    shared: &PollerShared,
    target: &Target,
    known: Option<&str>,
) -> Result<PrinterReport, String> {
    let url = target.ipp_url(shared.ipp_port);
    let (mut report, certificate) = asr_protocols::ipp::read_printer(&shared.ipp, &url, None)
        .await
        .map_err(|e| e.to_string())?;
    same_printer_over_ipp(&shared.store, &mut report, known);
    if let (Some(seen), Some(key)) = (certificate, report.identity_key()) {
        let pin_key = format!("ipp_certificate:{key}");
        match shared.store.meta_get(&pin_key).ok().flatten() {
            Some(pinned) if pinned != seen => {
                return Err(asr_protocols::ipp::IppError::CertificateChanged {
                    url: url.to_string(),
                    pinned,
                    seen,
                }
                .to_string());
            }
            Some(_) => {}
            None => {
                info!(%url, printer = %key, "printer certificate pinned");
                let _ = shared.store.meta_set(&pin_key, &seen);
            }
        }
    }
    Ok(report)
}

/// One printer is one printer whichever protocol reads it. A printer whose
/// IPP tells no serial (only its `printer-uuid`) keeps the key SNMP gave
/// it: the UUID is tied to that key the first time IPP reads a printer
/// known at this address (same model), and looked up afterwards, restarts
/// included.
fn same_printer_over_ipp(store: &Store, report: &mut PrinterReport, known: Option<&str>) {
    if report.serial.is_some() {
        return;
    }
    let Some(uuid) = report.uuid.clone() else {
        return;
    };
    let link = format!("ipp_uuid:{uuid}");
    let linked = store.meta_get(&link).ok().flatten();
    let key = match (linked, known) {
        (Some(key), _) => key,
        (None, Some(known)) if !known.starts_with("uuid:") => {
            let row = store.printer(known).ok().flatten();
            let same_model =
                row.as_ref()
                    .is_some_and(|r| match (r.model.as_deref(), report.model.as_deref()) {
                        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                        _ => true,
                    });
            if !same_model {
                return;
            }
            info!(printer = %known, %uuid, "printer read over IPP keeps the identity SNMP gave it");
            let _ = store.meta_set(&link, known);
            known.to_owned()
        }
        _ => return,
    };
    if let Some(mac) = key.strip_prefix("mac:") {
        report.mac = Some(mac.to_owned());
    } else {
        report.serial = Some(key);
    }
}

/// Resolves, then tries the remembered credentials first, then the others.
async fn read_snmp(
    shared: &PollerShared,
    target: &Target,
    state: &mut TargetState,
) -> Result<PrinterReport, String> {
    let addr = target.resolve().await.map_err(|e| e.to_string())?;
    let credentials = shared.live.credentials_for(addr.ip());
    let mut options = shared.live.poll_options();
    if let Some(wait) = state.learned_wait {
        options.timeout = wait.clamp(options.timeout, options.max_timeout.max(options.timeout));
    }
    let mut order: Vec<usize> = (0..credentials.len()).collect();
    if let Some(i) = state.credentials {
        order.retain(|&j| j != i);
        order.insert(0, i);
    }
    let mut last_error = String::from("no SNMP credentials configured");
    for i in order {
        let Some(creds) = credentials.get(i) else {
            continue;
        };
        match snmp::fetch(addr, creds, &shared.plan, &options).await {
            Ok(fetched) => {
                state.credentials = Some(i);
                state.learned_wait = Some(fetched.wait);
                let report = printer::interpret(&target.to_string(), &fetched.tree);
                if report.identity_key().is_none()
                    && report.supplies.is_empty()
                    && report.sys_descr.is_none()
                {
                    last_error = "the device answered but exposes no printer data".into();
                    continue;
                }
                return Ok(report);
            }
            Err(e) => last_error = e.to_string(),
        }
    }
    Err(last_error)
}

/// One engine reading per supply of the report.
fn readings(key: &str, report: &PrinterReport, at: DateTime<Utc>) -> Vec<Event> {
    // The printer's own low/empty word: prtAlertTable codes and the
    // hrPrinterDetectedErrorState bits. They name a kind of supply, not
    // which one: they are given to a supply only when it is the printer's
    // only one of its kind (a colour printer's "toner low" could be any).
    let codes: Vec<&str> = report
        .alerts
        .iter()
        .filter_map(|a| a.code.as_deref())
        .collect();
    let codes = codes.join(";");
    let errors = report.status.errors.join(";");
    report
        .supplies
        .iter()
        .map(|s| {
            let alone = report.supplies.iter().filter(|o| o.kind == s.kind).count() == 1;
            let signal = alone
                .then(|| asr_engine::signal_for(&s.kind, &codes, &errors))
                .flatten();
            Event::Reading(SupplyReading {
                observed_at: at,
                printer: key.to_string(),
                supply_index: s.index,
                supply_type: s.kind.clone(),
                supply_class: class_name(s.class).to_string(),
                colorant: s.colorant.clone(),
                unit: s.unit.clone(),
                max_capacity: s.max_capacity,
                level: s.level,
                page_count: report.page_count,
                signal,
            })
        })
        .collect()
}

fn class_name(class: printer::SupplyClass) -> &'static str {
    match class {
        printer::SupplyClass::Consumed => "consumed",
        printer::SupplyClass::Receptacle => "receptacle",
        printer::SupplyClass::Other => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_point_is_strictly_after_and_on_a_multiple() {
        let epoch = tokio::time::Instant::now();
        let every = Duration::from_secs(900);
        let s = Duration::from_secs;
        assert_eq!(next_on_grid(epoch, epoch, every), epoch + s(900));
        assert_eq!(next_on_grid(epoch, epoch + s(3), every), epoch + s(900));
        assert_eq!(next_on_grid(epoch, epoch + s(900), every), epoch + s(1800));
        assert_eq!(
            next_on_grid(epoch, epoch + s(2000), Duration::from_secs(60)),
            epoch + s(2040),
            "a new interval starts its own grid from the same origin"
        );
        assert_eq!(
            next_on_grid(epoch, epoch, Duration::ZERO),
            epoch + Duration::from_nanos(1),
            "a zero interval cannot spin on one instant"
        );
    }

    #[test]
    fn a_printer_read_over_ipp_without_a_serial_keeps_its_snmp_identity() {
        use asr_protocols::printer::{PrinterReport, ReportSource};
        let store = Store::open_in_memory().expect("store");
        let mut snmp = PrinterReport::failed("10.0.0.5:161", "");
        snmp.error = None;
        snmp.serial = Some("SER1".into());
        snmp.model = Some("Laser 4000".into());
        store
            .record_poll("SER1", "10.0.0.5:161", &snmp, chrono::Utc::now())
            .expect("poll");
        let ipp = |model: &str| {
            let mut r =
                PrinterReport::failed_over(ReportSource::Ipp, "ipp://10.0.0.5/ipp/print", "");
            r.error = None;
            r.model = Some(model.into());
            r.uuid = Some("f119f7ed-31f1-3647-5d3d-79b700c9950a".into());
            r
        };
        // Another model at the address: not taken for the same printer.
        let mut other = ipp("Inkjet 12");
        same_printer_over_ipp(&store, &mut other, Some("SER1"));
        assert_eq!(
            other.identity_key().as_deref(),
            Some("uuid:f119f7ed-31f1-3647-5d3d-79b700c9950a")
        );
        // The same model: the SNMP key, and the UUID remembered for later
        // (a restart, where the address's last key is not known).
        let mut same = ipp("LASER 4000");
        same_printer_over_ipp(&store, &mut same, Some("SER1"));
        assert_eq!(same.identity_key().as_deref(), Some("SER1"));
        let mut later = ipp("Laser 4000");
        same_printer_over_ipp(&store, &mut later, None);
        assert_eq!(later.identity_key().as_deref(), Some("SER1"));
    }
}
