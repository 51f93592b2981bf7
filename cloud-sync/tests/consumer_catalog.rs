//! The reference consumer closing the loop of cartridge lives through the
//! embedded broker: retained lives reports of two gateways (with their
//! envelope) are pooled into the supplier's base catalogue and published
//! retained on `asr/v1/catalog`; a gateway's new report brings a higher
//! version with the new figure; garbage changes nothing; and a restarted
//! consumer keeps both the lives it had and increasing versions.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use asr_cloud_sync::consumer::{self, CatalogSettings, ConsumerConfig, ConsumerStats};
use asr_cloud_sync::{
    Catalog, EmbeddedBroker, FLEET_CATALOG_TOPIC, TransportSettings, parse_catalog,
};
use common::*;
use rumqttc::QoS;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const MODEL: &str = "LaserJet Pro M404dn";

/// The supplier's base: part numbers and rated yields, no learned figure.
fn base() -> Catalog {
    parse_catalog(
        serde_json::json!({
            "catalog_version": 5,
            "supplier": "Supplies & Co",
            "entries": [
                {"model": MODEL, "supply_type": "toner", "colorant": "black",
                 "part_numbers": ["CF259A", "CF259X"], "rated_yield_pages": 3000},
                {"model": "MFC-L8900CDW", "supply_type": "wasteToner",
                 "part_numbers": ["WT-229CL"]}
            ]
        })
        .to_string()
        .as_bytes(),
    )
    .expect("base catalogue")
}

/// A lives report as a gateway sends it: envelope fields included.
fn report(gateway: &str, n: u32, pages: &[f64]) -> String {
    serde_json::json!({
        "id": format!("lives-{gateway}-{n}"),
        "created_at": "2025-06-01T08:00:00Z",
        "clock_synced": true,
        "schema_version": 3,
        "gateway_id": gateway,
        "lives": [{
            // Another firmware's spelling: compared without case.
            "model": if gateway == "site-b" { "LASERJET PRO M404DN" } else { MODEL },
            "supply_type": "toner", "colorant": "black",
            "count": pages.len(), "printers": 1,
            "median_pages": pages[0], "p10_pages": pages[0], "p90_pages": pages[0],
            "pages": pages
        }]
    })
    .to_string()
}

struct Consumer {
    stats: watch::Receiver<ConsumerStats>,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), consumer::ConsumerError>>,
}

impl Consumer {
    fn start(v5: SocketAddr, name: &str, ledger: &Path) -> Consumer {
        let config = ConsumerConfig {
            host: v5.ip().to_string(),
            port: v5.port(),
            transport: TransportSettings::tcp(),
            credentials: None,
            group: "backoffice".into(),
            client_id: format!("upstream-{name}"),
            ledger: ledger.to_path_buf(),
            out: None,
            respond: None,
            session_expiry: Duration::from_secs(60),
            catalog: CatalogSettings {
                enabled: true,
                base: Some(base()),
                min_interval: Duration::from_millis(300),
            },
        };
        let (tx, stats) = watch::channel(ConsumerStats::default());
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(consumer::run(config, tx, shutdown.clone()));
        Consumer {
            stats,
            shutdown,
            task,
        }
    }

    async fn stop(self) -> ConsumerStats {
        self.shutdown.cancel();
        self.task
            .await
            .expect("consumer task")
            .expect("consumer ran");
        self.stats.borrow().clone()
    }
}

fn start_brokers() -> (EmbeddedBroker, SocketAddr) {
    let v5 = free_addr();
    let broker = EmbeddedBroker::start_with_v5(free_addr(), Some(v5)).expect("broker");
    (broker, v5)
}

async fn publish_lives(sub: &Subscriber, gateway: &str, body: &str) {
    sub.client
        .publish(
            format!("asr/v1/{gateway}/lives"),
            QoS::AtLeastOnce,
            true,
            body.as_bytes().to_vec(),
        )
        .await
        .expect("publish lives");
}

/// The next catalogue on the fleet topic satisfying `pred`.
async fn catalogue(sub: &mut Subscriber, pred: impl Fn(&Catalog) -> bool) -> Catalog {
    let p = sub
        .wait_for(FLEET_CATALOG_TOPIC, Duration::from_secs(15), |p| {
            parse_catalog(&p.payload).is_ok_and(|c| pred(&c))
        })
        .await;
    parse_catalog(&p.payload).expect("valid catalogue")
}

fn learned(c: &Catalog) -> Option<(f64, f64, u32, u32)> {
    c.entries
        .iter()
        .find(|e| e.model == MODEL)
        .and_then(|e| e.learned)
        .map(|l| (l.median_pages, l.low_pages, l.count, l.sites))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lives_of_two_gateways_become_the_fleet_catalogue() {
    let dir = tempfile::tempdir().expect("dir");
    let (broker, v5) = start_brokers();
    let mut sub =
        Subscriber::connect(broker.addr(), "supplier-watch", &[FLEET_CATALOG_TOPIC]).await;
    // Retained before the consumer runs, as gateways left them.
    publish_lives(&sub, "site-a", &report("site-a", 1, &[2600.0, 2800.0])).await;
    publish_lives(
        &sub,
        "site-b",
        &report("site-b", 1, &[3000.0, 3200.0, 3400.0]),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let consumer = Consumer::start(v5, "catalog", &dir.path().join("ledger.sqlite"));
    let first = catalogue(&mut sub, |c| learned(c).is_some_and(|l| l.3 == 2)).await;
    // Pooled: 2600..3400, median 3000; five lives, so the plain p10.
    assert_eq!(learned(&first), Some((3000.0, 2680.0, 5, 2)));
    assert!(first.catalog_version >= 5, "{}", first.catalog_version);
    assert_eq!(first.supplier.as_deref(), Some("Supplies & Co"));
    let entry = &first.entries[0];
    assert_eq!(entry.model, MODEL, "the base's spelling");
    assert_eq!(entry.part_numbers, ["CF259A", "CF259X"]);
    assert_eq!(entry.rated_yield_pages, Some(3000.0));
    assert_eq!(first.entries[1], base().entries[1]);
    assert_eq!(first.entries.len(), 2);

    // Garbage on a lives topic is logged and ignored.
    publish_lives(&sub, "site-c", "not json at all").await;
    publish_lives(&sub, "site-d", r#"{"lives": 3}"#).await;
    // site-a's new report replaces its old one.
    publish_lives(&sub, "site-a", &report("site-a", 2, &[3600.0, 3800.0])).await;
    let second = catalogue(&mut sub, |c| learned(c).is_some_and(|l| l.0 == 3400.0)).await;
    assert!(second.catalog_version > first.catalog_version);
    assert_eq!(learned(&second), Some((3400.0, 3080.0, 5, 2)));
    assert_eq!(second.entries[0].part_numbers, ["CF259A", "CF259X"]);
    // Retained: a gateway connecting later gets the latest at once.
    let mut late = Subscriber::connect(broker.addr(), "late-gateway", &[FLEET_CATALOG_TOPIC]).await;
    let retained = catalogue(&mut late, |_| true).await;
    assert_eq!(retained, second);

    let stats = consumer.stop().await;
    assert!(stats.malformed >= 2, "{stats:?}");
    assert!(stats.lives_reports >= 3, "{stats:?}");
    assert!(stats.catalogs_published >= 2, "{stats:?}");
    assert_eq!(stats.catalog_version, Some(second.catalog_version));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_consumer_keeps_its_lives_and_its_versions() {
    let dir = tempfile::tempdir().expect("dir");
    let ledger = dir.path().join("ledger.sqlite");
    let (broker, v5) = start_brokers();
    let mut sub =
        Subscriber::connect(broker.addr(), "supplier-watch", &[FLEET_CATALOG_TOPIC]).await;

    let consumer = Consumer::start(v5, "first", &ledger);
    publish_lives(&sub, "site-a", &report("site-a", 1, &[2000.0, 2200.0])).await;
    publish_lives(&sub, "site-b", &report("site-b", 1, &[2400.0, 2600.0])).await;
    let before = catalogue(&mut sub, |c| learned(c).is_some_and(|l| l.2 == 4)).await;
    assert_eq!(learned(&before), Some((2300.0, 1610.0, 4, 2)));
    consumer.stop().await;

    // The broker forgets site-b's report: only the ledger still has it.
    publish_lives(&sub, "site-b", "").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut probe = Subscriber::connect(broker.addr(), "probe", &["asr/v1/site-b/lives"]).await;
    assert!(probe.next(Duration::from_millis(500)).await.is_none());

    let consumer = Consumer::start(v5, "second", &ledger);
    // Nothing changed: at most the same version again, never a new one.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    while let Some(p) = sub.next(Duration::from_millis(100)).await {
        let c = parse_catalog(&p.payload).expect("catalogue");
        assert_eq!(c.catalog_version, before.catalog_version);
        assert!(!asr_cloud_sync::consumer::content_differs(&c, &before));
    }
    assert_eq!(consumer.stats.borrow().catalogs_published, 0);
    assert_eq!(
        consumer.stats.borrow().catalog_version,
        Some(before.catalog_version)
    );

    publish_lives(&sub, "site-a", &report("site-a", 2, &[2800.0, 3000.0])).await;
    let after = catalogue(&mut sub, |c| c.catalog_version > before.catalog_version).await;
    // site-b's lives came from the ledger.
    assert_eq!(learned(&after), Some((2700.0, 1890.0, 4, 2)));
    consumer.stop().await;
}
