//! The other side of the link: a reference consumer, what a supplier runs to
//! receive orders and alerts from a fleet of gateways.
//!
//! It scales out the way MQTT clusters do, with no coordination of its own:
//! every instance joins the same MQTT 5 **shared subscription**
//! (`$share/<group>/asr/v1/+/orders`, and alerts), so the broker hands each
//! message to one instance of the group. Delivery stays at least once (a
//! gateway resends when a PubAck is lost, the broker redelivers what an
//! instance did not acknowledge before it died), so each instance records a
//! message's stable id in a shared SQLite ledger *before* acknowledging it,
//! and processes it only the first time: exactly once across the group.
//! Acknowledgements are manual for that reason.
//!
//! Processing here means: append the message as a JSON line (when asked),
//! and, for orders, optionally send an order status back down
//! (`accepted`, `shipped`, `delivered`) as the back office would.
//!
//! An instance can also close the loop of cartridge lives: it takes every
//! gateway's retained lives report (a plain subscription, not a shared one:
//! aggregating needs all of them), keeps the latest per gateway in the
//! ledger, pools them into learned figures ([`catalog_builder`]) merged into
//! the supplier's base catalogue, and publishes the result retained on
//! [`crate::topics::FLEET_CATALOG_TOPIC`] when it changed — at most once per interval,
//! since every publication makes every gateway store it and answer. One
//! such instance per group is enough; the others run without it.

pub mod catalog_builder;
mod catalog_run;
mod ledger;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Filter, Packet, Publish};
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

pub use catalog_builder::{build_catalog, content_differs};
pub use ledger::{Ledger, PublishedCatalog, Recorded, StoredLives};

use crate::catalog::{Catalog, CatalogError};
use crate::order_status::OrderState;
use crate::topics::{TOPIC_PREFIX, Topic, parse_any};
use crate::transport::{Carrier, TransportError, TransportSettings};
use crate::uplink::Credentials;
use catalog_run::{CatalogRun, lives_of, sleep_until, subscribe_lives};

/// Why the consumer cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    #[error("--broker {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("--group {0:?}: use letters, digits, '-' and '_' only")]
    BadGroup(String),
    #[error("ledger {path}: {source}")]
    Ledger {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("--out {path}: {source}")]
    Out {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("base catalogue: {0}")]
    BadCatalog(#[from] CatalogError),
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// Least time between two catalogue publications unless configured.
pub const DEFAULT_CATALOG_INTERVAL: Duration = Duration::from_secs(60);

/// Where the broker is, from a URL: `mqtt://`, `mqtts://`, `ws://`, `wss://`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub carrier: Carrier,
}

impl BrokerUrl {
    /// Parses `scheme://host[:port][/path]`; the path only matters for WebSockets.
    pub fn parse(url: &str) -> Result<BrokerUrl, ConsumerError> {
        let bad = |reason: &str| ConsumerError::BadUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected mqtt://, mqtts://, ws:// or wss://"))?;
        let (tls, ws, default_port) = match scheme {
            "mqtt" | "tcp" => (false, false, 1883),
            "mqtts" | "ssl" => (true, false, 8883),
            "ws" => (false, true, 80),
            "wss" => (true, true, 443),
            _ => return Err(bad("expected mqtt://, mqtts://, ws:// or wss://")),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (
                h.trim_start_matches('[').trim_end_matches(']'),
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| bad("the port must be 1-65535"))?,
            ),
            _ => (authority, default_port),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let carrier = if ws {
            Carrier::WebSocket {
                path: if path.is_empty() { "/mqtt" } else { path }.to_string(),
            }
        } else {
            Carrier::Tcp
        };
        Ok(BrokerUrl {
            host: host.to_string(),
            port,
            tls,
            carrier,
        })
    }
}

/// How one consumer instance runs.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub host: String,
    pub port: u16,
    pub transport: TransportSettings,
    pub credentials: Option<Credentials>,
    /// The shared-subscription group: instances of one group split the load.
    pub group: String,
    /// MQTT client id; stable, so the broker keeps this instance's session
    /// (and its unacknowledged messages) across restarts.
    pub client_id: String,
    /// The ledger file, shared by the instances of the group.
    pub ledger: PathBuf,
    /// Where to append processed messages as JSON lines.
    pub out: Option<PathBuf>,
    /// Order status to send back for every order processed.
    pub respond: Option<OrderState>,
    /// How long the broker keeps this instance's session while it is away.
    pub session_expiry: Duration,
    /// Whether this instance turns lives into the fleet catalogue.
    pub catalog: CatalogSettings,
}

/// Whether and how an instance aggregates lives and publishes the
/// catalogue. Off by default: one instance of a group does it, and it must
/// be asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogSettings {
    /// Take every gateway's lives and publish the catalogue.
    pub enabled: bool,
    /// The supplier's part numbers and rated yields, into which the learned
    /// figures are merged; without it the catalogue holds figures only.
    pub base: Option<Catalog>,
    /// Least time between two publications.
    pub min_interval: Duration,
}

impl Default for CatalogSettings {
    fn default() -> Self {
        CatalogSettings {
            enabled: false,
            base: None,
            min_interval: DEFAULT_CATALOG_INTERVAL,
        }
    }
}

impl ConsumerConfig {
    /// The shared-subscription filters of `group`.
    pub fn filters(group: &str) -> [String; 2] {
        [
            format!("$share/{group}/{TOPIC_PREFIX}/+/orders"),
            format!("$share/{group}/{TOPIC_PREFIX}/+/alerts"),
        ]
    }

    /// The filter of every gateway's lives: not shared, since each
    /// aggregating instance needs every report.
    pub fn lives_filter() -> String {
        format!("{TOPIC_PREFIX}/+/lives")
    }
}

/// What an instance has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsumerStats {
    /// Connected to the broker now.
    pub connected: bool,
    /// The broker confirmed the group's subscriptions (or kept them in the session).
    pub subscribed: bool,
    /// Messages received (duplicates included).
    pub received: u64,
    /// Orders processed (first delivery of their id).
    pub orders: u64,
    /// Alerts processed.
    pub alerts: u64,
    /// Deliveries dropped as already processed (here or by another instance).
    pub duplicates: u64,
    /// Messages that were not JSON or had no id: acknowledged and logged.
    pub malformed: u64,
    /// Order statuses sent back.
    pub responded: u64,
    /// Valid lives reports received and kept (bad ones count as malformed).
    pub lives_reports: u64,
    /// Catalogue versions this instance published.
    pub catalogs_published: u64,
    /// The last catalogue version published by the instances sharing the
    /// ledger, as far as this one knows.
    pub catalog_version: Option<u64>,
    /// Why the last connection attempt failed.
    pub last_error: Option<String>,
}

/// Runs one consumer instance until `shutdown`. Stats are published on `stats`.
pub async fn run(
    config: ConsumerConfig,
    stats: watch::Sender<ConsumerStats>,
    shutdown: CancellationToken,
) -> Result<(), ConsumerError> {
    if config.group.is_empty()
        || !config
            .group
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ConsumerError::BadGroup(config.group.clone()));
    }
    if let Some(base) = &config.catalog.base {
        base.validate()?;
    }
    let opened = Ledger::open(&config.ledger)?;
    let mut catalog = if config.catalog.enabled {
        let run = CatalogRun::start(&config.catalog, &opened, &config.ledger)?;
        stats.send_modify(|s| s.catalog_version = run.known_version);
        Some(run)
    } else {
        None
    };
    // A mutex only to make the future `Send`: one task uses it.
    let ledger = Mutex::new(opened);
    let mut out = match &config.out {
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|source| ConsumerError::Out {
                    path: path.display().to_string(),
                    source,
                })?,
        ),
        None => None,
    };
    let prepared = config.transport.prepare(&config.host, config.port)?;
    let mut options = MqttOptions::new(config.client_id.clone(), prepared.broker_addr, config.port);
    options.set_transport(prepared.transport);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_clean_start(false);
    options.set_session_expiry_interval(Some(
        u32::try_from(config.session_expiry.as_secs()).unwrap_or(u32::MAX),
    ));
    options.set_manual_acks(true);
    if let Some(c) = &config.credentials {
        options.set_credentials(c.username.clone(), c.password.clone());
    }
    let (client, mut events) = AsyncClient::new(options, 256);
    let mut backoff = Duration::from_millis(250);
    let mut connected = false;
    info!(broker = %config.host, group = %config.group, client_id = %config.client_id,
        catalog = config.catalog.enabled, "upstream consumer starting");
    loop {
        // Publications wait for a connection: queued while away, a stale
        // one could go out after a newer one recorded by another instance.
        // The timer interrupts `poll` at most once per interval; rumqttc
        // keeps what it had read for the next call.
        let catalog_due = catalog
            .as_ref()
            .filter(|_| connected)
            .and_then(CatalogRun::due);
        let event = tokio::select! {
            () = shutdown.cancelled() => break,
            () = sleep_until(catalog_due) => {
                if let Some(run) = catalog.as_mut() {
                    run.publish(&ledger, &client, &stats).await;
                }
                continue;
            }
            event = events.poll() => event,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                backoff = Duration::from_millis(250);
                connected = true;
                stats.send_modify(|s| {
                    s.connected = true;
                    s.last_error = None;
                });
                info!(session_present = ack.session_present, "connected");
                if ack.session_present {
                    stats.send_modify(|s| s.subscribed = true);
                } else {
                    let filters = ConsumerConfig::filters(&config.group)
                        .into_iter()
                        .map(|path| Filter::new(path, QoS::AtLeastOnce));
                    if let Err(e) = client.subscribe_many(filters).await {
                        warn!(error = %e, "subscribe failed");
                    }
                }
                subscribe_lives(&client, catalog.is_some(), ack.session_present).await;
                if let Some(run) = &catalog
                    && !ack.session_present
                {
                    run.republish(&ledger, &client).await;
                }
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                stats.send_modify(|s| s.subscribed = true);
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let outcome = match lives_of(&publish) {
                    Some(gateway) => match catalog.as_mut() {
                        Some(run) => run.take_lives(&ledger, &gateway, &publish.payload),
                        None => Handled::Ignored,
                    },
                    None => handle(&config, &ledger, out.as_mut(), &client, &publish).await,
                };
                stats.send_modify(|s| {
                    s.received += 1;
                    match outcome {
                        Handled::Order { responded } => {
                            s.orders += 1;
                            s.responded += u64::from(responded);
                        }
                        Handled::Alert => s.alerts += 1,
                        Handled::Duplicate { responded } => {
                            s.duplicates += 1;
                            s.responded += u64::from(responded);
                        }
                        Handled::Lives => s.lives_reports += 1,
                        Handled::Malformed => s.malformed += 1,
                        Handled::Ignored | Handled::NotStored => {}
                    }
                });
                // Acknowledge only what is in the ledger: a message the
                // ledger could not take is redelivered on reconnect.
                if outcome != Handled::NotStored
                    && let Err(e) = client.ack(&publish).await
                {
                    warn!(error = %e, "acknowledgement not sent");
                }
            }
            Ok(_) => {}
            Err(e) => {
                connected = false;
                let reason = e.to_string();
                stats.send_modify(|s| {
                    s.connected = false;
                    s.subscribed = false;
                    s.last_error = Some(reason.clone());
                });
                warn!(error = %reason, retry_in = ?backoff, "broker connection lost");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
    let _ = client.disconnect().await;
    Ok(())
}

/// What became of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handled {
    Order {
        responded: bool,
    },
    Alert,
    Duplicate {
        responded: bool,
    },
    /// A lives report kept.
    Lives,
    /// Nothing to count: a lives report to an instance that does not
    /// aggregate them, or a cleared one.
    Ignored,
    Malformed,
    /// The ledger refused the write: not acknowledged, so it comes back.
    NotStored,
}

async fn handle(
    config: &ConsumerConfig,
    ledger: &Mutex<Ledger>,
    out: Option<&mut std::fs::File>,
    client: &AsyncClient,
    publish: &Publish,
) -> Handled {
    let topic = String::from_utf8_lossy(&publish.topic).into_owned();
    let Ok((gateway, kind)) = parse_any(&topic) else {
        warn!(%topic, "message on an unexpected topic");
        return Handled::Malformed;
    };
    let kind = match kind {
        Topic::Orders => "order",
        Topic::Alerts => "alert",
        _ => return Handled::Malformed,
    };
    let message: Value = match serde_json::from_slice(&publish.payload) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            warn!(%topic, "payload is not a JSON object");
            return Handled::Malformed;
        }
    };
    let Some(id) = message
        .get("id")
        .or_else(|| message.get("order_id"))
        .and_then(Value::as_str)
    else {
        warn!(%topic, "message without an id");
        return Handled::Malformed;
    };
    // The ledger is keyed per gateway: ids are only unique within one.
    let key = format!("{}/{id}", gateway.as_str());
    let text = message.to_string();
    // A sub-millisecond insert on a task of its own: called inline.
    let recorded = match ledger.lock() {
        Ok(ledger) => ledger.record(
            &key,
            kind,
            gateway.as_str(),
            &config.client_id,
            Utc::now(),
            &text,
        ),
        Err(_) => return Handled::NotStored,
    };
    let recorded = match recorded {
        Ok(r) => r,
        Err(e) => {
            warn!(error = %e, %key, "ledger write failed; the message will come again");
            return Handled::NotStored;
        }
    };
    if recorded == Recorded::New
        && let Some(file) = out
    {
        let line = json!({
            "received_at": Utc::now(),
            "consumer": config.client_id,
            "gateway": gateway.as_str(),
            "kind": kind,
            "message": message,
        });
        if let Err(e) = writeln!(file, "{line}") {
            warn!(error = %e, "could not append to --out");
        }
    }
    // Answering is idempotent (a stable status id per order and state), so
    // a duplicate is answered again: the first answer may have been lost.
    let responded = match (kind, config.respond) {
        ("order", Some(state)) => respond(client, gateway.as_str(), &message, state).await,
        _ => false,
    };
    match (recorded, kind) {
        (Recorded::Duplicate, _) => Handled::Duplicate { responded },
        (Recorded::New, "order") => Handled::Order { responded },
        (Recorded::New, _) => Handled::Alert,
    }
}

/// Sends `state` for the order in `message` to its gateway.
async fn respond(client: &AsyncClient, gateway: &str, message: &Value, state: OrderState) -> bool {
    let Some(order_id) = message.get("order_id").and_then(Value::as_str) else {
        return false;
    };
    let body = json!({
        "id": format!("{order_id}-{}", state.as_str()),
        "order_id": order_id,
        "status": state.as_str(),
        "at": Utc::now(),
    });
    let topic = format!("{TOPIC_PREFIX}/{gateway}/orders/{order_id}/status");
    match client
        .publish(topic, QoS::AtLeastOnce, false, body.to_string())
        .await
    {
        Ok(()) => true,
        Err(e) => {
            warn!(error = %e, order_id, "order status not sent");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls() {
        let u = BrokerUrl::parse("mqtt://127.0.0.1:1884").expect("url");
        assert_eq!((u.host.as_str(), u.port, u.tls), ("127.0.0.1", 1884, false));
        let u = BrokerUrl::parse("mqtts://broker.example.net").expect("url");
        assert_eq!((u.port, u.tls), (8883, true));
        let u = BrokerUrl::parse("wss://broker.example.net/ws").expect("url");
        assert_eq!(
            (u.port, u.tls, u.carrier),
            (443, true, Carrier::WebSocket { path: "/ws".into() })
        );
        let u = BrokerUrl::parse("mqtt://[::1]:1883").expect("url");
        assert_eq!((u.host.as_str(), u.port), ("::1", 1883));
        for bad in [
            "broker:1883",
            "http://x",
            "mqtt://:1883",
            "mqtt://h:0",
            "mqtt://h:x",
        ] {
            assert!(BrokerUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn filters_are_shared_subscriptions() {
        assert_eq!(
            ConsumerConfig::filters("backoffice"),
            [
                "$share/backoffice/asr/v1/+/orders".to_string(),
                "$share/backoffice/asr/v1/+/alerts".to_string()
            ]
        );
    }
}
