//! Remote commands through the embedded broker: bad ones are answered
//! `failed` with a reason, good ones reach the gateway and their status
//! transitions are published retained.

mod common;

use std::sync::Arc;
use std::time::Duration;

use asr_cloud_sync::outbox::testing::MemoryOutbox;
use asr_cloud_sync::{CommandAction, CommandResponse, CommandStatus};
use common::*;
use rumqttc::QoS;

const ROOT: &str = "asr/v1/gw-cmd";

fn response(p: &rumqttc::Publish) -> CommandResponse {
    serde_json::from_slice(&p.payload).expect("response JSON")
}

async fn send(sub: &Subscriber, topic: &str, body: &str, retain: bool) {
    sub.client
        .publish(topic, QoS::AtLeastOnce, retain, body.as_bytes().to_vec())
        .await
        .expect("publish command");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_commands_fail_with_a_reason_and_good_ones_reach_the_gateway() {
    let broker = start_broker();
    let outbox = Arc::new(MemoryOutbox::new());
    let mut running = spawn_uplink(fast_config(broker.addr(), "gw-cmd"), Arc::clone(&outbox));
    wait_state(&mut running.state, Duration::from_secs(5), |s| s.connected).await;
    // Let the uplink's subscription settle before publishing commands.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut cloud =
        Subscriber::connect(broker.addr(), "test-cloud", &[&format!("{ROOT}/cmd/#")]).await;

    let bad = [
        ("reboot", "c1", "{}", "unknown command `reboot`"),
        ("poll_now", "c2", "{not json", "not valid JSON"),
        (
            "set_printer",
            "c3",
            r#"{"site":"HQ"}"#,
            "missing field `serial`",
        ),
        (
            "set_config",
            "c4",
            r#"{"key":"engine.x","value":[1]}"#,
            "must be a string",
        ),
        ("poll_now", "c5", r#"{"id":"other"}"#, "does not match"),
    ];
    for (name, id, body, _) in bad {
        send(&cloud, &format!("{ROOT}/cmd/{name}/{id}"), body, false).await;
    }
    for (name, id, _, reason) in bad {
        let topic = format!("{ROOT}/cmd/{name}/{id}/res");
        let p = cloud
            .wait_for(&topic, Duration::from_secs(5), |_| true)
            .await;
        assert!(p.retain || p.qos == QoS::AtLeastOnce);
        let r = response(&p);
        assert_eq!(r.status, CommandStatus::Failed, "{topic}");
        assert_eq!(r.id, id);
        let got = r.reason.expect("reason");
        assert!(got.contains(reason), "{topic}: {got}");
    }
    assert!(
        running.commands.try_recv().is_err(),
        "bad commands never reach the gateway"
    );

    // A good command: init, then the gateway reports executing and success.
    send(
        &cloud,
        &format!("{ROOT}/cmd/set_printer/c9"),
        r#"{"id":"c9","serial":"SN-1","site":"HQ","excluded":false}"#,
        false,
    )
    .await;
    let command = tokio::time::timeout(Duration::from_secs(5), running.commands.recv())
        .await
        .expect("command in time")
        .expect("command");
    assert_eq!(command.id.as_str(), "c9");
    assert_eq!(
        command.action,
        CommandAction::SetPrinter {
            serial: "SN-1".into(),
            changes: asr_cloud_sync::PrinterChanges {
                site: Some("HQ".into()),
                excluded: Some(false),
                ..Default::default()
            },
        }
    );
    let res = format!("{ROOT}/cmd/set_printer/c9/res");
    let p = cloud.wait_for(&res, Duration::from_secs(5), |_| true).await;
    assert_eq!(response(&p).status, CommandStatus::Init);
    command.reply.executing();
    let p = cloud.wait_for(&res, Duration::from_secs(5), |_| true).await;
    assert_eq!(response(&p).status, CommandStatus::Executing);
    command
        .reply
        .successful(Some(serde_json::json!({"changed": ["site"]})));
    let p = cloud.wait_for(&res, Duration::from_secs(5), |_| true).await;
    let r = response(&p);
    assert_eq!(r.status, CommandStatus::Successful);
    assert_eq!(r.result, Some(serde_json::json!({"changed": ["site"]})));

    // The same command id again is a redelivery: dropped.
    send(
        &cloud,
        &format!("{ROOT}/cmd/set_printer/c9"),
        r#"{"serial":"SN-1","site":"X"}"#,
        false,
    )
    .await;
    // A handler that drops its reply still produces a final status.
    send(&cloud, &format!("{ROOT}/cmd/poll_now/c10"), "{}", false).await;
    let next = tokio::time::timeout(Duration::from_secs(5), running.commands.recv())
        .await
        .expect("command in time")
        .expect("command");
    assert_eq!(
        next.id.as_str(),
        "c10",
        "the duplicate c9 was not delivered"
    );
    drop(next);
    let res10 = format!("{ROOT}/cmd/poll_now/c10/res");
    cloud
        .wait_for(&res10, Duration::from_secs(5), |p| {
            response(p).status == CommandStatus::Failed
        })
        .await;

    // Final states are retained for late subscribers.
    let mut late = Subscriber::connect(broker.addr(), "test-cloud-late", &[&res]).await;
    let p = late.wait_for(&res, Duration::from_secs(5), |_| true).await;
    assert_eq!(response(&p).status, CommandStatus::Successful);

    running.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retained_command_runs_once_and_is_cleared() {
    let broker = start_broker();
    // The command is waiting, retained, before the gateway connects.
    let cloud = Subscriber::connect(
        broker.addr(),
        "test-cloud-ret",
        &[&format!("{ROOT}/cmd/+/+/res")],
    )
    .await;
    let cmd_topic = format!("{ROOT}/cmd/poll_now/r1");
    send(&cloud, &cmd_topic, r#"{"serial":"SN-2"}"#, true).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let outbox = Arc::new(MemoryOutbox::new());
    let mut running = spawn_uplink(fast_config(broker.addr(), "gw-cmd"), Arc::clone(&outbox));
    let command = tokio::time::timeout(Duration::from_secs(5), running.commands.recv())
        .await
        .expect("command in time")
        .expect("command");
    assert_eq!(
        command.action,
        CommandAction::PollNow {
            serial: Some("SN-2".into())
        }
    );
    command.reply.successful(None);

    // Once answered, the retained command is gone: a new subscriber sees nothing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut probe = Subscriber::connect(broker.addr(), "test-probe", &[&cmd_topic]).await;
    let leftover = probe.next(Duration::from_millis(700)).await;
    assert!(
        leftover.as_ref().is_none_or(|p| p.payload.is_empty()),
        "retained command not cleared: {leftover:?}"
    );
    running.shutdown.cancel();
}
