//! The status page of a running gateway, as the site's IT uses it: a
//! printer's delivery details changed on its page are stored in SQLite,
//! reach the engine, show on the page and the API, and go upstream as a
//! `printer_updated` event; a refused change says why and changes nothing;
//! "order one now" ships at once with its line marked manual.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use asr_gateway::runtime::Gateway;
use asr_protocols::sim::{SimFleet, demo_fleet};
use asr_system_tests::{ManualClock, page, settings};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_the_printer_page_is_stored_applied_and_sent_upstream() {
    let specs: Vec<_> = demo_fleet(4).into_iter().take(2).collect();
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 150), 16_176, 0.0)
        .await
        .unwrap();
    let mqtt = asr_cloud_sync::free_local_addr(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let _broker = asr_cloud_sync::EmbeddedBroker::start(mqtt).unwrap();
    let mut options = MqttOptions::new("status-page-watcher", "127.0.0.1", mqtt.port());
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = AsyncClient::new(options, 100);
    for topic in ["asr/v1/test-gw/events", "asr/v1/test-gw/orders"] {
        client.subscribe(topic, QoS::AtLeastOnce).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let targets: Vec<SocketAddr> = fleet.members().iter().map(|m| m.addr()).collect();
    let gateway = Gateway::start(settings(
        targets,
        &specs,
        &dir.path().join("gw.db"),
        mqtt.port(),
        ManualClock::new(chrono::Utc::now()),
        Duration::from_secs(3600),
    ))
    .await
    .unwrap();
    let http = gateway.http_addr().unwrap();
    let serial = specs[0].serial.clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while specs
        .iter()
        .any(|s| gateway.store().supplies(&s.serial).unwrap().is_empty())
    {
        gateway.poll_now();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(tokio::time::Instant::now() < deadline, "printer polled");
    }
    let path = format!("/printers/{serial}?lang=en");

    // A refused change: the reason on the page, nothing stored.
    let refused = page::submit(
        http,
        &path,
        &path,
        &[
            ("site", "Lyon"),
            ("contact", "Marie Curie"),
            ("contact_email", "not an address"),
        ],
    )
    .await;
    assert_eq!(refused.status(), reqwest::StatusCode::BAD_REQUEST);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("is not an e-mail address")
    );
    assert_ne!(
        gateway
            .store()
            .printer(&serial)
            .unwrap()
            .unwrap()
            .site
            .as_deref(),
        Some("Lyon")
    );

    // An accepted change.
    let saved = page::submit(
        http,
        &path,
        &path,
        &[
            ("site", "Lyon"),
            ("contact", "Marie Curie"),
            ("postal_address", "5 quai Claude Bernard\n69007 Lyon"),
            ("contact_email", "marie@example.fr"),
            ("contact_phone", "+33 4 00 00 00 00"),
            ("excluded", "on"),
        ],
    )
    .await;
    assert_eq!(saved.status(), reqwest::StatusCode::SEE_OTHER);
    // Stored…
    let row = gateway.store().printer(&serial).unwrap().unwrap();
    assert_eq!(row.site.as_deref(), Some("Lyon"));
    assert_eq!(row.contact.as_deref(), Some("Marie Curie"));
    assert_eq!(
        row.postal_address.as_deref(),
        Some("5 quai Claude Bernard\n69007 Lyon")
    );
    assert!(row.excluded);
    // …shown, with the eligibility it implies…
    let body = page::get(http, &path).await.text().await.unwrap();
    assert!(body.contains("Saved") || body.contains("value=\"Lyon\""));
    assert!(body.contains("Not ordered: excluded from automatic ordering."));
    let api: Value = page::get(http, "/api/status").await.json().await.unwrap();
    let listed = api["printers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["serial"] == serial.as_str())
        .unwrap()
        .clone();
    assert_eq!(listed["site"], "Lyon");
    assert_eq!(listed["registration"]["excluded"], true);
    // "Order one now" for the other printer: refused for the excluded one,
    // taken for the other and shipped at once, marked manual.
    let other = specs[1].serial.clone();
    let refused = page::submit(
        http,
        &path,
        &format!("/printers/{serial}/order?lang=en"),
        &[("supply_index", "1")],
    )
    .await;
    assert_eq!(refused.status(), reqwest::StatusCode::BAD_REQUEST);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("excluded from ordering")
    );
    let ordered = page::submit(
        http,
        &path,
        &format!("/printers/{other}/order?lang=en"),
        &[("supply_index", "1")],
    )
    .await;
    assert_eq!(ordered.status(), reqwest::StatusCode::SEE_OTHER);

    // …and told upstream: the event, and the order with its manual line.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let (mut event, mut order) = (None, None);
    while event.is_none() || order.is_none() {
        let polled = tokio::time::timeout_at(deadline, events.poll())
            .await
            .expect("the event and the order within 20 s")
            .unwrap();
        if let Event::Incoming(Packet::Publish(p)) = polled {
            let v: Value = serde_json::from_slice(&p.payload).unwrap();
            if v["event"] == "printer_updated" {
                event = Some(v);
            } else if p.topic.ends_with("/orders")
                && v["lines"].as_array().is_some_and(|lines| {
                    lines
                        .iter()
                        .any(|l| l["printer"] == other.as_str() && l["reason"] == "manual")
                })
            {
                order = Some(v);
            }
        }
    }
    let event = event.unwrap();
    let order = order.unwrap();
    assert!(
        order["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["printer"] != serial.as_str()),
        "nothing for the excluded printer"
    );
    assert_eq!(event["serial"], serial.as_str());
    assert_eq!(event["source"], "status_page");
    assert_eq!(event["printer"]["site"], "Lyon");
    assert!(event["id"].is_string(), "an id to drop duplicates on");
    gateway.shutdown().await;
}

/// The settings page of a running gateway: a new SNMP community is stored,
/// applied to the very next poll (a wrong one makes the printer silent, the
/// right one brings it back) and told upstream without the secret; a
/// printer forgotten on the registration page leaves the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_and_forgetting_on_the_page_apply_live_and_go_upstream() {
    let specs: Vec<_> = demo_fleet(4).into_iter().take(2).collect();
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 151), 16_178, 0.0)
        .await
        .unwrap();
    let mqtt = asr_cloud_sync::free_local_addr(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let _broker = asr_cloud_sync::EmbeddedBroker::start(mqtt).unwrap();
    let mut options = MqttOptions::new("settings-watcher", "127.0.0.1", mqtt.port());
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = AsyncClient::new(options, 100);
    client
        .subscribe("asr/v1/test-gw/events", QoS::AtLeastOnce)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let targets: Vec<SocketAddr> = fleet.members().iter().map(|m| m.addr()).collect();
    let gateway = Gateway::start(settings(
        targets,
        &specs,
        &dir.path().join("gw.db"),
        mqtt.port(),
        ManualClock::new(chrono::Utc::now()),
        Duration::from_secs(3600),
    ))
    .await
    .unwrap();
    let http = gateway.http_addr().unwrap();
    let serial = specs[0].serial.clone();
    let reachable = |serial: String, want: bool| {
        let gateway = &gateway;
        async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            loop {
                let ok = gateway
                    .store()
                    .printer(&serial)
                    .unwrap()
                    .is_some_and(|p| p.last_poll_ok);
                if ok == want {
                    return;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "printer {serial} reachable = {want} within 30 s"
                );
                gateway.poll_now();
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    let other = specs[1].serial.clone();
    reachable(serial.clone(), true).await;
    reachable(other.clone(), true).await;

    let page_path = "/settings?lang=en";
    // The first printer's address gets credentials of its own…
    let address = gateway.store().printer(&serial).unwrap().unwrap().address;
    let ip = address.rsplit_once(':').unwrap().0.to_owned();
    let added = page::submit(
        http,
        page_path,
        "/settings/scoped?lang=en",
        &[
            ("scope", ip.as_str()),
            ("version", "2c"),
            ("community", "public"),
        ],
    )
    .await;
    assert_eq!(added.status(), reqwest::StatusCode::SEE_OTHER);
    let bad_scope = page::submit(
        http,
        page_path,
        "/settings/scoped?lang=en",
        &[
            ("scope", "printer-3"),
            ("version", "2c"),
            ("community", "x"),
        ],
    )
    .await;
    assert_eq!(bad_scope.status(), reqwest::StatusCode::BAD_REQUEST);
    let body = page::get(http, page_path).await.text().await.unwrap();
    assert!(body.contains(&format!("<strong>{ip}</strong> · SNMP v2c")));
    let body = page::get(http, page_path).await.text().await.unwrap();
    assert!(body.contains("Community <small>(set)</small>"));
    assert!(
        !body.contains("value=\"public\""),
        "the community is never shown"
    );
    // A wrong community: stored, and the printer stops answering.
    let saved = page::submit(
        http,
        page_path,
        "/settings/snmp?lang=en",
        &[("version", "2c"), ("community", "not-the-community")],
    )
    .await;
    let status = saved.status();
    assert_eq!(
        status,
        reqwest::StatusCode::SEE_OTHER,
        "{}",
        saved.text().await.unwrap()
    );
    let stored = gateway.store().config_overrides().unwrap();
    assert!(
        stored
            .iter()
            .any(|(k, v)| k == "snmp.community" && v == "not-the-community"),
        "{stored:?}"
    );
    // …so it keeps answering while the other one falls silent…
    reachable(other.clone(), false).await;
    reachable(serial.clone(), true).await;
    // …until its own credentials are removed.
    let removed = page::submit(
        http,
        page_path,
        "/settings/scoped?lang=en",
        &[("remove", ip.as_str())],
    )
    .await;
    assert_eq!(removed.status(), reqwest::StatusCode::SEE_OTHER);
    reachable(serial.clone(), false).await;
    // The right one back: it answers again, no restart.
    let saved = page::submit(
        http,
        page_path,
        "/settings/snmp?lang=en",
        &[("version", "2c"), ("community", "public")],
    )
    .await;
    assert_eq!(saved.status(), reqwest::StatusCode::SEE_OTHER);
    reachable(serial.clone(), true).await;
    reachable(other.clone(), true).await;
    // A poll interval the gateway refuses says why.
    let refused = page::submit(
        http,
        page_path,
        "/settings/polling?lang=en",
        &[("poll_interval", "5s")],
    )
    .await;
    assert_eq!(refused.status(), reqwest::StatusCode::BAD_REQUEST);
    let saved = page::submit(
        http,
        page_path,
        "/settings/polling?lang=en",
        &[("poll_interval", "30m")],
    )
    .await;
    assert_eq!(saved.status(), reqwest::StatusCode::SEE_OTHER);
    let body = page::get(http, page_path).await.text().await.unwrap();
    assert!(body.contains("value=\"30m\""), "the new interval is shown");

    // Forgotten on the registration page.
    let forgotten = page::submit(
        http,
        "/registration?lang=en",
        &format!("/printers/{other}/forget?lang=en"),
        &[],
    )
    .await;
    assert_eq!(forgotten.status(), reqwest::StatusCode::SEE_OTHER);
    assert!(gateway.store().printer(&other).unwrap().is_none());

    // Upstream: the changes, secrets redacted, and the forgetting.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let (mut configs, mut forgot, mut scoped) = (Vec::new(), None, Vec::new());
    while configs.len() < 3 || forgot.is_none() || scoped.len() < 2 {
        let polled = tokio::time::timeout_at(deadline, events.poll())
            .await
            .expect("the events within 20 s")
            .unwrap();
        if let Event::Incoming(Packet::Publish(p)) = polled {
            let text = String::from_utf8_lossy(&p.payload).to_string();
            assert!(!text.contains("not-the-community"), "no secret upstream");
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["event"] == "config_changed" {
                configs.push(v);
            } else if v["event"] == "printer_forgotten" {
                forgot = Some(v);
            } else if v["event"] == "snmp_credentials_changed" {
                scoped.push(v);
            }
        }
    }
    assert_eq!(configs[0]["changes"]["snmp.community"], "<set>");
    assert_eq!(configs[2]["changes"]["gateway.poll_interval"], "30m");
    assert_eq!(forgot.unwrap()["serial"], other.as_str());
    assert_eq!(scoped[0]["action"], "set");
    assert_eq!(scoped[1]["action"], "removed");
    assert_eq!(scoped[1]["scope"], ip.as_str());
    gateway.shutdown().await;
}
