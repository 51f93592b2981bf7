//! The catalogue side of an aggregating consumer: it keeps the latest
//! lives report of every gateway (in memory and in the ledger), decides
//! when the catalogue may be built again, and publishes it retained when
//! it says something new. The figures themselves come from
//! [`super::catalog_builder`]; this module only does the I/O around it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;
use rumqttc::v5::AsyncClient;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::Publish;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::catalog_builder::{build_catalog, content_differs};
use super::{CatalogSettings, ConsumerConfig, ConsumerError, ConsumerStats, Handled, Ledger};
use crate::catalog::{Catalog, parse_catalog};
use crate::lives::{LivesReport, parse_lives};
use crate::topics::{FLEET_CATALOG_TOPIC, GatewayId, Topic, parse_any};

/// Sleeps until `at`, or forever when there is nothing to wait for.
pub(super) async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The gateway whose lives `publish` carries, `None` for other topics.
pub(super) fn lives_of(publish: &Publish) -> Option<GatewayId> {
    let topic = std::str::from_utf8(&publish.topic).ok()?;
    match parse_any(topic) {
        Ok((gateway, Topic::Lives)) => Some(gateway),
        _ => None,
    }
}

/// Subscribes to the lives on every connection when aggregating: a
/// session kept from a run without the catalogue lacks the subscription,
/// and subscribing again brings every retained report anew. An instance
/// that does not aggregate drops one its kept session may still have.
pub(super) async fn subscribe_lives(
    client: &AsyncClient,
    aggregating: bool,
    session_present: bool,
) {
    let filter = ConsumerConfig::lives_filter();
    let sent = if aggregating {
        client.subscribe(filter, QoS::AtLeastOnce).await
    } else if session_present {
        client.unsubscribe(filter).await
    } else {
        Ok(())
    };
    if let Err(e) = sent {
        warn!(error = %e, "lives subscription not updated");
    }
}

/// The catalogue side of an aggregating instance: the latest report of
/// every gateway, and when the next publication may go.
pub(super) struct CatalogRun {
    base: Option<Catalog>,
    min_interval: Duration,
    /// By gateway id, so the catalogue does not depend on arrival order.
    reports: BTreeMap<String, LivesReport>,
    /// Something changed since the last build.
    dirty: bool,
    /// The last publication (or failed attempt), for the interval.
    last_attempt: Option<Instant>,
    /// The last version published by any instance sharing the ledger.
    pub(super) known_version: Option<u64>,
}

impl CatalogRun {
    /// Picks up the reports and the last version a previous run left in
    /// the ledger. A first build is due at once: the base may have changed.
    pub(super) fn start(
        settings: &CatalogSettings,
        ledger: &Ledger,
        path: &Path,
    ) -> Result<CatalogRun, ConsumerError> {
        let fail = |source| ConsumerError::Ledger {
            path: path.display().to_string(),
            source,
        };
        let mut reports = BTreeMap::new();
        for stored in ledger.lives().map_err(fail)? {
            match parse_lives(stored.body.as_bytes()) {
                Ok(report) => {
                    reports.insert(stored.gateway, report);
                }
                Err(e) => {
                    warn!(gateway = %stored.gateway, error = %e, "stored lives report skipped")
                }
            }
        }
        let known_version = ledger.last_catalog().map_err(fail)?.map(|c| c.version);
        info!(
            gateways = reports.len(),
            ?known_version,
            "catalogue aggregation resumed"
        );
        Ok(CatalogRun {
            base: settings.base.clone(),
            min_interval: settings.min_interval,
            reports,
            dirty: true,
            last_attempt: None,
            known_version,
        })
    }

    /// When the pending build may run, `None` when nothing is pending.
    pub(super) fn due(&self) -> Option<Instant> {
        self.dirty.then(|| {
            self.last_attempt
                .map_or_else(Instant::now, |at| at + self.min_interval)
        })
    }

    /// Keeps the report of `gateway` in the ledger and in memory. An empty
    /// payload is a cleared retained report: the gateway's lives are
    /// forgotten. A bad report is logged and changes nothing.
    pub(super) fn take_lives(
        &mut self,
        ledger: &Mutex<Ledger>,
        gateway: &GatewayId,
        payload: &[u8],
    ) -> Handled {
        let gateway = gateway.as_str();
        if payload.is_empty() {
            let forgotten = match ledger.lock() {
                Ok(ledger) => ledger.forget_lives(gateway),
                Err(_) => return Handled::NotStored,
            };
            if let Err(e) = forgotten {
                warn!(error = %e, gateway, "ledger write failed; the lives will come again");
                return Handled::NotStored;
            }
            if self.reports.remove(gateway).is_some() {
                info!(gateway, "lives report cleared; its lives are forgotten");
                self.dirty = true;
            }
            return Handled::Ignored;
        }
        let report = match parse_lives(payload) {
            Ok(report) => report,
            Err(e) => {
                warn!(gateway, error = %e, "lives report ignored");
                return Handled::Malformed;
            }
        };
        let body = String::from_utf8_lossy(payload);
        let stored = match ledger.lock() {
            Ok(ledger) => ledger.store_lives(gateway, Utc::now(), &body),
            Err(_) => return Handled::NotStored,
        };
        if let Err(e) = stored {
            warn!(error = %e, gateway, "ledger write failed; the lives will come again");
            return Handled::NotStored;
        }
        debug!(gateway, supplies = report.lives.len(), "lives report kept");
        if self.reports.get(gateway) != Some(&report) {
            self.reports.insert(gateway.to_string(), report);
            self.dirty = true;
        }
        Handled::Lives
    }

    /// Builds the catalogue and publishes it when it says something new.
    /// The version is claimed in the ledger first, so it never goes back.
    pub(super) async fn publish(
        &mut self,
        ledger: &Mutex<Ledger>,
        client: &AsyncClient,
        stats: &watch::Sender<ConsumerStats>,
    ) {
        self.dirty = false;
        let now = Utc::now();
        let mut known = self.known_version;
        let claimed = match ledger.lock() {
            Ok(mut ledger) => ledger.claim_catalog(now, |last| {
                known = last.map(|l| l.version);
                let next = build_catalog(
                    &self.reports,
                    self.base.as_ref(),
                    known.unwrap_or_default(),
                    now,
                )?;
                let unchanged = last
                    .and_then(|l| parse_catalog(l.body.as_bytes()).ok())
                    .is_some_and(|l| !content_differs(&l, &next));
                (!unchanged).then_some(next)
            }),
            Err(_) => return,
        };
        let claimed = match claimed {
            Ok(claimed) => claimed,
            Err(e) => {
                warn!(error = %e, "ledger unavailable; the catalogue is built again later");
                self.dirty = true;
                self.last_attempt = Some(Instant::now());
                return;
            }
        };
        self.known_version = known;
        stats.send_modify(|s| s.catalog_version = known);
        let Some(catalog) = claimed else {
            debug!("catalogue unchanged; nothing published");
            return;
        };
        self.last_attempt = Some(Instant::now());
        let version = catalog.catalog_version;
        let sent = client
            .publish(
                FLEET_CATALOG_TOPIC,
                QoS::AtLeastOnce,
                true,
                catalog.to_json(),
            )
            .await;
        self.known_version = Some(version);
        match sent {
            Ok(()) => {
                info!(
                    version,
                    entries = catalog.entries.len(),
                    gateways = self.reports.len(),
                    "catalogue published"
                );
                stats.send_modify(|s| {
                    s.catalogs_published += 1;
                    s.catalog_version = Some(version);
                });
            }
            Err(e) => warn!(error = %e, version, "catalogue not published"),
        }
    }

    /// Publishes the last recorded catalogue again on a fresh session: a
    /// broker that forgot this client may have lost its retained messages
    /// too, and a run that stopped between recording and sending left it
    /// unsent. Gateways take the same version again as a no-op.
    pub(super) async fn republish(&self, ledger: &Mutex<Ledger>, client: &AsyncClient) {
        let last = match ledger.lock() {
            Ok(ledger) => ledger.last_catalog(),
            Err(_) => return,
        };
        match last {
            Ok(Some(last)) => {
                if let Err(e) = client
                    .publish(
                        FLEET_CATALOG_TOPIC,
                        QoS::AtLeastOnce,
                        true,
                        last.body.into_bytes(),
                    )
                    .await
                {
                    warn!(error = %e, "catalogue not published again");
                } else {
                    debug!(version = last.version, "last catalogue published again");
                }
            }
            Ok(None) => {}
            Err(e) => {
                warn!(error = %e, "ledger unavailable; the last catalogue is not published again")
            }
        }
    }
}
