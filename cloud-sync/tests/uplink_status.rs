//! The retained status at fleet scale: published on connect, when something
//! in it changes, and as a heartbeat — never because the outbox moved, which
//! at thousands of gateways would be thousands of retained writes a second.

mod common;

use std::sync::Arc;
use std::time::Duration;

use asr_cloud_sync::MessageKind;
use asr_cloud_sync::outbox::testing::MemoryOutbox;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_goes_out_on_change_and_heartbeat_not_on_outbox_traffic() {
    let broker = start_broker();
    let topic = "asr/v1/gw-beat/status";
    let mut sub = Subscriber::connect(broker.addr(), "test-sub-beat", &[topic]).await;
    let outbox = Arc::new(MemoryOutbox::new());
    let mut config = fast_config(broker.addr(), "gw-beat");
    config.status_min_interval = Duration::from_millis(200);
    config.status_heartbeat = Duration::from_secs(3);
    config.poll_interval = Duration::from_millis(100);
    let mut running = spawn_uplink(config, Arc::clone(&outbox));
    wait_state(&mut running.state, Duration::from_secs(5), |s| s.connected).await;
    sub.wait_for(topic, Duration::from_secs(5), |p| status_of(p).online)
        .await;
    assert_eq!(running.state.borrow().status_published, 1);

    // Outbox traffic and gateway refreshes that change nothing visible:
    // no status in between (the heartbeat is 3 s away).
    for n in 0..20 {
        outbox.push(MessageKind::Level, format!(r#"{{"id":"l{n}"}}"#));
        running.wake.notify_one();
        running
            .status
            .send_modify(|s| s.updated_at = chrono::Utc::now());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wait_state(&mut running.state, Duration::from_secs(5), |s| {
        s.delivered == 20
    })
    .await;
    assert_eq!(
        running.state.borrow().status_published,
        1,
        "outbox movement alone publishes no status"
    );

    // A real change goes out at once (after the minimum interval).
    running.status.send_modify(|s| s.printers = 9);
    sub.wait_for(topic, Duration::from_secs(2), |p| {
        status_of(p).printers == 9
    })
    .await;
    // Rapid flapping is rate-limited: ten changes in 100 ms, few statuses.
    let before = running.state.borrow().status_published;
    for n in 0..10 {
        running.status.send_modify(|s| s.printers = 10 + n);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    sub.wait_for(topic, Duration::from_secs(2), |p| {
        status_of(p).printers == 19
    })
    .await;
    let flaps = running.state.borrow().status_published - before;
    assert!(flaps <= 3, "{flaps} statuses for 10 changes in 100 ms");

    // Nothing changes: the heartbeat still refreshes it, with outbox figures.
    let last = running.state.borrow().status_published;
    let beat = sub
        .wait_for(topic, Duration::from_secs(6), |p| status_of(p).online)
        .await;
    assert_eq!(status_of(&beat).outbox_depth, 0);
    assert!(running.state.borrow().status_published > last);
    running.shutdown.cancel();
}
