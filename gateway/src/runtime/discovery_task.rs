//! Live discovery: printers announcing themselves over mDNS/DNS-SD get a
//! polling task on their IPv4 address. Identity comes from the poll (the
//! serial), so a printer that DHCP moved is the same printer at a new
//! address, never a second one.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use asr_protocols::discovery::{BrowseOptions, Browser, DiscoveryUpdate};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::poller::{self, PollerShared};
use crate::target::Target;

/// Addresses polled at most, however many a network announces or a sweep
/// finds: each is a task, a socket and rows in the store (the simulator's
/// largest fleet is 4096 printers).
const MAX_POLLED: usize = 4096;

/// Adds `target` to the polled set; false when it is polled already or
/// the set is full (said once).
fn admit(polled: &mut HashSet<Target>, target: &Target, full_said: &mut bool) -> bool {
    // A printer announced again with its IPP endpoint (mDNS resolves its
    // services one by one) is a new target: the endpoint may be the only
    // way to read it.
    if polled.contains(target) {
        return false;
    }
    if polled.len() >= MAX_POLLED {
        if !std::mem::replace(full_said, true) {
            warn!(max = MAX_POLLED, %target, "too many printer addresses: new ones are not polled");
        }
        return false;
    }
    polled.insert(target.clone())
}

/// Browses until shutdown; every new address is polled from then on.
pub(crate) async fn run(
    options: BrowseOptions,
    snmp_port: u16,
    shared: Arc<PollerShared>,
    mut polled: HashSet<Target>,
    shutdown: CancellationToken,
) {
    let mut browser = match Browser::start(&options) {
        Ok(b) => b,
        Err(e) => {
            warn!(error = %e, "mDNS discovery unavailable; polling the static list only");
            return;
        }
    };
    info!("mDNS discovery running");
    let mut full_said = false;
    loop {
        let update = tokio::select! {
            u = browser.next() => u,
            () = shared.rescan.notified() => {
                // A fresh browser sends fresh queries: printers that missed
                // or outlived the first ones answer again.
                browser.shutdown().await;
                browser = match Browser::start(&options) {
                    Ok(b) => b,
                    Err(e) => {
                        warn!(error = %e, "mDNS discovery could not restart; polling known printers only");
                        return;
                    }
                };
                info!("mDNS browse restarted on request");
                continue;
            }
            () = shutdown.cancelled() => break,
        };
        match update {
            Some(DiscoveryUpdate::Upserted(printer)) => {
                let Some(ip) = printer.ipv4_first().into_iter().next() else {
                    continue;
                };
                let mut target = Target::from(std::net::SocketAddr::new(ip, snmp_port));
                target.ipp = printer.ipp_url(ip);
                if admit(&mut polled, &target, &mut full_said) {
                    info!(name = %printer.name, %target, model = printer.model.as_deref().unwrap_or("?"), "printer announced; polling it");
                    tokio::spawn(poller::poll_loop(shared.clone(), target));
                }
            }
            Some(DiscoveryUpdate::Removed { .. }) => {}
            None => break,
        }
    }
    browser.shutdown().await;
}

/// How often the opt-in sweep runs again.
const SWEEP_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Sweeps `cidr` at start and daily; printers found join the polling.
pub(crate) async fn sweep_loop(
    cidr: String,
    rate: u32,
    snmp_port: u16,
    shared: Arc<PollerShared>,
    mut polled: HashSet<Target>,
    shutdown: CancellationToken,
) {
    let options = asr_protocols::discovery::SweepOptions {
        port: snmp_port,
        rate,
        max_hosts: 65_536,
    };
    let mut full_said = false;
    loop {
        let (credentials, poll_options) = (shared.live.credentials(), shared.live.poll_options());
        let hits = tokio::select! {
            h = asr_protocols::discovery::sweep_with(&cidr, &credentials, &poll_options, &options) => h,
            () = shutdown.cancelled() => return,
        };
        match hits {
            Ok(hits) => {
                info!(%cidr, found = hits.len(), "SNMP sweep done");
                for hit in hits {
                    let target = Target::from(hit.addr);
                    if admit(&mut polled, &target, &mut full_said) {
                        info!(%target, descr = hit.sys_descr.as_deref().unwrap_or("?"), "printer found by sweep; polling it");
                        tokio::spawn(poller::poll_loop(shared.clone(), target));
                    }
                }
            }
            Err(e) => {
                warn!(%cidr, error = %e, "SNMP sweep refused; not retried");
                return;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(SWEEP_EVERY) => {}
            () = shared.rescan.notified() => info!(%cidr, "sweeping again on request"),
            () = shutdown.cancelled() => return,
        }
    }
}
