//! Outbox delivery, retained status and last will against the embedded broker.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use asr_cloud_sync::outbox::testing::MemoryOutbox;
use asr_cloud_sync::payload::with_envelope;
use asr_cloud_sync::{GatewayId, MessageKind, Outbox, Topic, TopicSchema};
use common::*;
use rumqttc::QoS;

fn payload(kind: MessageKind, n: usize) -> Vec<u8> {
    match kind {
        MessageKind::Order => format!(r#"{{"order_id":"o-{n}","qty":{n}}}"#).into_bytes(),
        _ => format!(r#"{{"id":"{kind}-{n}","value":{n}}}"#).into_bytes(),
    }
}

/// Fills the outbox; returns each message with the body expected on the
/// wire (the stored one with the gateway's envelope fields added).
fn fill(
    outbox: &MemoryOutbox,
    count: usize,
    gateway: &str,
) -> BTreeMap<i64, (MessageKind, Vec<u8>)> {
    let gateway = GatewayId::new(gateway).expect("id");
    (0..count)
        .map(|n| {
            let kind = MessageKind::ALL[n % 4];
            let body = payload(kind, n);
            let id = outbox.push(kind, body.clone());
            (id, (kind, with_envelope(body, &gateway)))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_outbox_message_arrives_as_stored_and_is_marked_sent() {
    let broker = start_broker();
    let schema = TopicSchema::new(GatewayId::new("gw-deliver").expect("id"));
    let mut sub =
        Subscriber::connect(broker.addr(), "test-sub-deliver", &["asr/v1/gw-deliver/#"]).await;

    let outbox = Arc::new(MemoryOutbox::new());
    let expected = fill(&outbox, 60, "gw-deliver");
    let mut running = spawn_uplink(
        fast_config(broker.addr(), "gw-deliver"),
        Arc::clone(&outbox),
    );

    let mut received: Vec<(String, Vec<u8>, QoS)> = Vec::new();
    while received.len() < expected.len() {
        let p = sub
            .next(Duration::from_secs(10))
            .await
            .expect("all outbox messages within 10 s");
        if p.topic.ends_with("/status") {
            continue;
        }
        received.push((p.topic.clone(), p.payload.to_vec(), p.qos));
    }
    // Every stored message arrived, on its kind's topic, byte for byte, with QoS 1.
    for (kind, body) in expected.values() {
        let topic = schema.topic(&Topic::for_kind(*kind));
        assert!(
            received
                .iter()
                .any(|(t, b, q)| *t == topic && b == body && *q == QoS::AtLeastOnce),
            "missing {topic} {}",
            String::from_utf8_lossy(body)
        );
    }
    // Every message was marked sent, each once.
    wait_state(&mut running.state, Duration::from_secs(5), |s| {
        s.delivered == 60
    })
    .await;
    let mut sent = outbox.sent_ids();
    sent.sort_unstable();
    assert_eq!(sent, expected.keys().copied().collect::<Vec<_>>());
    assert_eq!(outbox.depth().expect("depth"), 0);
    assert!(
        outbox.mark_sent_calls() < 60,
        "acks are batched: {} calls",
        outbox.mark_sent_calls()
    );

    // New rows are picked up on a wake-up.
    let late = outbox.push(MessageKind::Alert, payload(MessageKind::Alert, 999));
    running.wake.notify_one();
    let p = sub
        .wait_for("asr/v1/gw-deliver/alerts", Duration::from_secs(5), |_| true)
        .await;
    assert_eq!(
        p.payload.as_ref(),
        with_envelope(
            payload(MessageKind::Alert, 999),
            &GatewayId::new("gw-deliver").expect("id")
        )
        .as_slice()
    );
    wait_state(&mut running.state, Duration::from_secs(5), |s| {
        s.delivered == 61
    })
    .await;
    assert!(outbox.sent_ids().contains(&late));

    running.shutdown.cancel();
    let result = tokio::time::timeout(Duration::from_secs(5), running.task)
        .await
        .expect("uplink stops on shutdown")
        .expect("no panic");
    assert!(result.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_is_online_while_connected_and_last_will_fires_on_crash() {
    let broker = start_broker();
    let status_topic = "asr/v1/gw-will/status";
    let outbox = Arc::new(MemoryOutbox::new());
    let mut running = spawn_uplink(fast_config(broker.addr(), "gw-will"), Arc::clone(&outbox));
    wait_state(&mut running.state, Duration::from_secs(5), |s| s.connected).await;

    // A late subscriber gets the retained online status.
    let mut sub = Subscriber::connect(broker.addr(), "test-sub-will", &[status_topic]).await;
    let p = sub
        .wait_for(status_topic, Duration::from_secs(5), |p| {
            status_of(p).online
        })
        .await;
    let status = status_of(&p);
    assert_eq!(status.gateway_id, "gw-will");
    assert_eq!(status.printers, 3);
    assert_eq!(status.version, "0.1.0-test");

    // A change of the gateway's status is published.
    running.status.send_modify(|s| s.printers = 7);
    sub.wait_for(status_topic, Duration::from_secs(5), |p| {
        let s = status_of(p);
        s.online && s.printers == 7
    })
    .await;

    // Crash: abort the task; the TCP connection drops without DISCONNECT.
    running.task.abort();
    let p = sub
        .wait_for(status_topic, Duration::from_secs(10), |p| {
            !status_of(p).online
        })
        .await;
    let will = status_of(&p);
    assert_eq!(will.gateway_id, "gw-will");
    // MQTT 3.1.1 fixes the will at CONNECT: it carries the status of that moment.
    assert_eq!(will.printers, 3);

    // ...and it is retained for whoever looks later.
    let mut late = Subscriber::connect(broker.addr(), "test-sub-will-late", &[status_topic]).await;
    let p = late
        .wait_for(status_topic, Duration::from_secs(5), |_| true)
        .await;
    assert!(!status_of(&p).online);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_shutdown_publishes_offline_status() {
    let broker = start_broker();
    let status_topic = "asr/v1/gw-bye/status";
    let outbox = Arc::new(MemoryOutbox::new());
    let mut running = spawn_uplink(fast_config(broker.addr(), "gw-bye"), Arc::clone(&outbox));
    wait_state(&mut running.state, Duration::from_secs(5), |s| s.connected).await;
    let mut sub = Subscriber::connect(broker.addr(), "test-sub-bye", &[status_topic]).await;
    sub.wait_for(status_topic, Duration::from_secs(5), |p| {
        status_of(p).online
    })
    .await;

    running.shutdown.cancel();
    let result = tokio::time::timeout(Duration::from_secs(5), running.task)
        .await
        .expect("uplink stops on shutdown")
        .expect("no panic");
    assert!(result.is_ok());
    sub.wait_for(status_topic, Duration::from_secs(5), |p| {
        !status_of(p).online
    })
    .await;
    // No second offline status from a last will after a clean disconnect is
    // required by MQTT; either way the retained state stays offline.
    let mut late = Subscriber::connect(broker.addr(), "test-sub-bye-late", &[status_topic]).await;
    let p = late
        .wait_for(status_topic, Duration::from_secs(5), |_| true)
        .await;
    assert!(!status_of(&p).online);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_down_at_start_then_everything_arrives() {
    let addr = free_addr();
    let outbox = Arc::new(MemoryOutbox::new());
    let expected = fill(&outbox, 20, "gw-late");
    let mut config = fast_config(addr, "gw-late");
    // Slow enough retries that the test subscriber is in place first.
    config.retry_min = Duration::from_millis(700);
    config.retry_max = Duration::from_millis(700);
    let mut running = spawn_uplink(config, Arc::clone(&outbox));

    let state = wait_state(&mut running.state, Duration::from_secs(5), |s| {
        s.last_error.is_some()
    })
    .await;
    let error = state.last_error.expect("error");
    assert!(
        error.contains(&addr.to_string()),
        "error names the broker: {error}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!running.state.borrow().connected);
    assert!(
        outbox.sent_ids().is_empty(),
        "nothing marked sent while down"
    );
    assert_eq!(outbox.depth().expect("depth"), 20);
    assert!(!running.task.is_finished(), "the uplink keeps retrying");

    // The broker comes up: the uplink reconnects by itself and delivers
    // the whole backlog (a subscriber connecting now could miss the first
    // messages, so the outbox's own bookkeeping is the witness).
    let _broker = asr_cloud_sync::EmbeddedBroker::start(addr).expect("broker");
    wait_state(&mut running.state, Duration::from_secs(10), |s| {
        s.delivered == 20
    })
    .await;
    assert_eq!(outbox.depth().expect("depth"), 0);
    let mut sent = outbox.sent_ids();
    sent.sort_unstable();
    sent.dedup();
    assert_eq!(sent.len(), expected.len(), "each message marked sent once");
    running.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_in_use_is_a_clear_error() {
    let listener = std::net::TcpListener::bind((LOOPBACK, 0)).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let err = asr_cloud_sync::EmbeddedBroker::start(addr).expect_err("port taken");
    assert!(err.to_string().contains("port in use"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drains_a_large_backlog() {
    let broker = start_broker();
    let outbox = Arc::new(MemoryOutbox::new());
    let expected = fill(&outbox, 2000, "gw-bulk");
    let mut config = fast_config(broker.addr(), "gw-bulk");
    config.max_inflight = 32;
    config.batch = 64;
    let started = std::time::Instant::now();
    let mut running = spawn_uplink(config, Arc::clone(&outbox));
    wait_state(&mut running.state, Duration::from_secs(60), |s| {
        s.delivered == 2000
    })
    .await;
    let elapsed = started.elapsed();
    eprintln!(
        "drained {} messages in {elapsed:?} ({:.0} msg/s, {} mark_sent calls)",
        expected.len(),
        expected.len() as f64 / elapsed.as_secs_f64(),
        outbox.mark_sent_calls()
    );
    assert_eq!(outbox.depth().expect("depth"), 0);
    assert_eq!(outbox.sent_ids().len(), 2000, "each row marked sent once");
    running.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_that_could_not_be_stored_go_out_from_memory_once_connected() {
    let addr = free_addr();
    let outbox = Arc::new(MemoryOutbox::new());
    let mut config = fast_config(addr, "gw-memory");
    config.retry_min = Duration::from_millis(700);
    config.retry_max = Duration::from_millis(700);
    let mut running = spawn_uplink(config, Arc::clone(&outbox));
    wait_state(&mut running.state, Duration::from_secs(5), |s| {
        s.last_error.is_some()
    })
    .await;
    // Queued while the broker is unreachable: kept, not lost.
    let alert = br#"{"id":"alert-storage-1","kind":"storage_full"}"#.to_vec();
    let order = br#"{"id":"o-9","order_id":"o-9","lines":[]}"#.to_vec();
    assert!(running.memory.send(asr_cloud_sync::MemoryMessage {
        kind: MessageKind::Alert,
        payload: alert.clone(),
    }));
    assert!(running.memory.send(asr_cloud_sync::MemoryMessage {
        kind: MessageKind::Order,
        payload: order.clone(),
    }));
    let _broker = asr_cloud_sync::EmbeddedBroker::start(addr).expect("broker");
    let schema = TopicSchema::new(GatewayId::new("gw-memory").expect("id"));
    let alerts = schema.topic(&Topic::Alerts);
    let orders = schema.topic(&Topic::Orders);
    let mut sub = Subscriber::connect(addr, "memory-watch", &[&alerts, &orders]).await;
    let got = sub
        .wait_for(&alerts, Duration::from_secs(10), |_| true)
        .await;
    let body: serde_json::Value = serde_json::from_slice(&got.payload).expect("json");
    assert_eq!(body["id"], "alert-storage-1");
    assert_eq!(body["gateway_id"], "gw-memory", "the envelope is added");
    let got = sub
        .wait_for(&orders, Duration::from_secs(10), |_| true)
        .await;
    let body: serde_json::Value = serde_json::from_slice(&got.payload).expect("json");
    assert_eq!(body["order_id"], "o-9");
    assert!(outbox.sent_ids().is_empty(), "the outbox is not involved");
    running.shutdown.cancel();
}
