//! Browsing DNS-SD printer services over mDNS with the `mdns-sd` daemon:
//! a continuous [`Browser`] that streams [`DiscoveryUpdate`]s, and the
//! one-shot [`browse`] built on it.
//!
//! The daemon runs its own thread and reports over flume channels; one
//! tokio task per service type forwards those events to a task that owns
//! the [`Merger`], so the caller only ever sees merged devices.
//! Interfaces can be restricted because a gateway has a LAN side and a
//! management side, and tests must stay on loopback or in their own
//! network namespaces.

use std::collections::BTreeMap;
use std::time::Duration;

use mdns_sd::{DaemonEvent, IfKind, ResolvedService, ServiceDaemon, ServiceEvent};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::error::DiscoveryError;
use super::merge::{DiscoveryUpdate, Merger};
use super::printer::{DiscoveredPrinter, ServiceRecord};

/// The DNS-SD service types printers advertise: IPP Everywhere / AirPrint,
/// IPP over TLS, raw port 9100 and LPD.
pub const PRINTER_SERVICE_TYPES: [&str; 4] = [
    "_ipp._tcp.local.",
    "_ipps._tcp.local.",
    "_pdl-datastream._tcp.local.",
    "_printer._tcp.local.",
];

/// What to browse, where, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowseOptions {
    /// How long [`browse`] listens (the [`Browser`] ignores it). Printers
    /// answer a query within a second; 5–10 s also catches slow sleepers.
    pub timeout: Duration,
    /// Interface names to use (e.g. `["eth0"]`, `["lo"]`); `None` = all.
    pub interfaces: Option<Vec<String>>,
    /// Service types (`"_ipp._tcp"` or `"_ipp._tcp.local."`).
    pub service_types: Vec<String>,
}

impl Default for BrowseOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            interfaces: None,
            service_types: PRINTER_SERVICE_TYPES
                .iter()
                .map(|s| (*s).to_string())
                .collect(),
        }
    }
}

/// Accepts `_ipp._tcp`, `_ipp._tcp.local` and `_ipp._tcp.local.`.
fn full_service_type(t: &str) -> Result<String, DiscoveryError> {
    let t = t.trim().trim_end_matches('.');
    let base = t.strip_suffix(".local").unwrap_or(t);
    let ok = base.starts_with('_')
        && (base.ends_with("._tcp") || base.ends_with("._udp"))
        && base.len() > "_._tcp".len() - 1;
    if ok {
        Ok(format!("{base}.local."))
    } else {
        Err(DiscoveryError::ServiceType(t.to_string()))
    }
}

fn to_record(r: &ResolvedService) -> ServiceRecord {
    let mut addresses: Vec<_> = r.get_addresses().iter().map(|a| a.to_ip_addr()).collect();
    addresses.sort();
    addresses.dedup();
    let txt: BTreeMap<String, String> = r
        .get_properties()
        .iter()
        .map(|p| (p.key().to_string(), p.val_str().to_string()))
        .collect();
    ServiceRecord {
        fullname: r.get_fullname().to_string(),
        service_type: r.ty_domain.clone(),
        host: r.get_hostname().to_string(),
        port: r.get_port(),
        addresses,
        txt,
    }
}

/// Interface names as given by an operator: trimmed, blanks dropped. Shared
/// by browsing and the simulator's advertiser so both read a list the same way.
pub(crate) fn interface_names(list: &[String]) -> Vec<String> {
    list.iter()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

/// Starts an mDNS daemon restricted to `interfaces` (all when `None`).
pub(crate) fn start_daemon(interfaces: Option<&[String]>) -> Result<ServiceDaemon, DiscoveryError> {
    let err = |e: mdns_sd::Error| DiscoveryError::Mdns(e.to_string());
    if let Some(list) = interfaces {
        let names = interface_names(list);
        if names.is_empty() {
            return Err(DiscoveryError::NoInterface(list.to_vec()));
        }
        let daemon = ServiceDaemon::new().map_err(err)?;
        // Commands run in order, so nothing is sent before the selection.
        daemon.disable_interface(IfKind::All).map_err(err)?;
        daemon
            .enable_interface(names.into_iter().map(IfKind::Name).collect::<Vec<_>>())
            .map_err(err)?;
        Ok(daemon)
    } else {
        ServiceDaemon::new().map_err(err)
    }
}

/// A running browse: merged device updates until shut down.
pub struct Browser {
    daemon: ServiceDaemon,
    updates: mpsc::UnboundedReceiver<DiscoveryUpdate>,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("stopped", &self.cancel.is_cancelled())
            .finish_non_exhaustive()
    }
}

impl Browser {
    /// Starts the daemon and browses every service type of `options`.
    /// Updates are queued without bound so the mDNS daemon is never
    /// blocked (it drops a browse whose channel fills up); they are small
    /// and few (one per change of a device).
    ///
    /// # Errors
    /// A bad service type, an empty interface list, no tokio runtime, or a
    /// daemon that cannot start.
    pub fn start(options: &BrowseOptions) -> Result<Self, DiscoveryError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(DiscoveryError::NoRuntime);
        }
        let types: Vec<String> = options
            .service_types
            .iter()
            .map(|t| full_service_type(t))
            .collect::<Result<_, _>>()?;
        let daemon = start_daemon(options.interfaces.as_deref())?;
        let cancel = CancellationToken::new();
        let (events_tx, events_rx) = mpsc::unbounded_channel::<ServiceEvent>();
        let mut tasks = Vec::new();
        for t in &types {
            let rx = match daemon.browse(t) {
                Ok(rx) => rx,
                Err(e) => {
                    let _ = daemon.shutdown();
                    return Err(DiscoveryError::Mdns(e.to_string()));
                }
            };
            let tx = events_tx.clone();
            tasks.push(tokio::spawn(async move {
                while let Ok(ev) = rx.recv_async().await {
                    if tx.send(ev).is_err() {
                        break;
                    }
                }
            }));
        }
        drop(events_tx);
        if let Ok(monitor) = daemon.monitor() {
            tasks.push(tokio::spawn(async move {
                while let Ok(ev) = monitor.recv_async().await {
                    if let DaemonEvent::Error(e) = ev {
                        tracing::warn!(error = %e, "mDNS daemon error");
                    }
                }
            }));
        }
        let (updates_tx, updates) = mpsc::unbounded_channel();
        tasks.push(tokio::spawn(run_merger(
            events_rx,
            updates_tx,
            cancel.clone(),
        )));
        Ok(Self {
            daemon,
            updates,
            cancel,
            tasks,
        })
    }

    /// The next change; `None` once the browser stopped.
    pub async fn next(&mut self) -> Option<DiscoveryUpdate> {
        self.updates.recv().await
    }

    /// The update channel itself, for `select!` loops.
    pub fn updates(&mut self) -> &mut mpsc::UnboundedReceiver<DiscoveryUpdate> {
        &mut self.updates
    }

    /// Stops browsing and the daemon thread.
    pub async fn shutdown(mut self) {
        self.stop();
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
    }

    fn stop(&self) {
        self.cancel.cancel();
        if let Ok(done) = self.daemon.shutdown() {
            // The daemon confirms on its own thread; we need not wait.
            drop(done);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.cancel.is_cancelled() {
            self.stop();
        }
    }
}

async fn run_merger(
    mut events: mpsc::UnboundedReceiver<ServiceEvent>,
    updates: mpsc::UnboundedSender<DiscoveryUpdate>,
    cancel: CancellationToken,
) {
    let mut merger = Merger::new();
    loop {
        let ev = tokio::select! {
            () = cancel.cancelled() => break,
            ev = events.recv() => match ev {
                Some(ev) => ev,
                None => break,
            },
        };
        let changes = match ev {
            ServiceEvent::ServiceResolved(r) => {
                tracing::debug!(fullname = %r.fullname, addresses = r.addresses.len(), "mDNS service resolved");
                merger.resolved(to_record(&r))
            }
            ServiceEvent::ServiceRemoved(_, fullname) => {
                tracing::debug!(%fullname, "mDNS service removed");
                merger.removed(&fullname)
            }
            _ => Vec::new(),
        };
        for c in changes {
            if updates.send(c).is_err() {
                return;
            }
        }
    }
}

/// Listens for `options.timeout` and returns the printers found, sorted by
/// name.
///
/// # Errors
/// As [`Browser::start`].
pub async fn browse(options: BrowseOptions) -> Result<Vec<DiscoveredPrinter>, DiscoveryError> {
    let mut browser = Browser::start(&options)?;
    let deadline = tokio::time::Instant::now() + options.timeout;
    let mut found: BTreeMap<String, DiscoveredPrinter> = BTreeMap::new();
    while let Ok(Some(update)) = tokio::time::timeout_at(deadline, browser.next()).await {
        match update {
            DiscoveryUpdate::Upserted(p) => {
                found.insert(p.id.clone(), *p);
            }
            DiscoveryUpdate::Removed { id } => {
                found.remove(&id);
            }
        }
    }
    browser.shutdown().await;
    let mut list: Vec<DiscoveredPrinter> = found.into_values().collect();
    list.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_types_accept_short_and_full_forms() {
        assert_eq!(full_service_type("_ipp._tcp").unwrap(), "_ipp._tcp.local.");
        assert_eq!(
            full_service_type("_ipp._tcp.local").unwrap(),
            "_ipp._tcp.local."
        );
        assert_eq!(
            full_service_type("_ipp._tcp.local.").unwrap(),
            "_ipp._tcp.local."
        );
        assert!(full_service_type("ipp").is_err());
        assert!(full_service_type("_ipp._sctp").is_err());
        assert!(full_service_type("").is_err());
    }

    #[test]
    fn starting_outside_a_runtime_is_an_error() {
        let err = Browser::start(&BrowseOptions::default()).unwrap_err();
        assert_eq!(err, DiscoveryError::NoRuntime);
    }

    #[tokio::test]
    async fn empty_interface_list_is_refused() {
        let opts = BrowseOptions {
            interfaces: Some(vec![" ".into()]),
            ..BrowseOptions::default()
        };
        let err = Browser::start(&opts).unwrap_err();
        assert!(matches!(err, DiscoveryError::NoInterface(_)), "{err}");
        let opts = BrowseOptions {
            service_types: vec!["printer".into()],
            ..BrowseOptions::default()
        };
        assert!(matches!(
            browse(opts).await,
            Err(DiscoveryError::ServiceType(_))
        ));
    }
}
