//! Ack discipline: rows are marked sent only after a PubAck, the in-flight
//! window is respected, and unacked rows are published again after the
//! connection drops. A minimal MQTT peer on a real loopback socket lets the
//! test withhold acks and cut the connection, which rumqttd cannot do.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asr_cloud_sync::outbox::testing::MemoryOutbox;
use asr_cloud_sync::{MessageKind, Outbox};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Publishes seen by the peer: (connection number, topic, payload).
type Seen = Arc<Mutex<Vec<(usize, String, Vec<u8>)>>>;

async fn read_packet(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let header = stream.read_u8().await.ok()?;
    let mut len: usize = 0;
    let mut shift = 0;
    loop {
        let byte = stream.read_u8().await.ok()?;
        len |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let mut body = vec![0; len];
    stream.read_exact(&mut body).await.ok()?;
    Some((header, body))
}

/// Serves MQTT connections: the first one never acks publishes and is cut
/// when `cut` fires; later ones ack everything.
async fn peer(listener: TcpListener, seen: Seen, cut: CancellationToken) {
    let mut connection = 0;
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        connection += 1;
        let seen = Arc::clone(&seen);
        let cut = cut.clone();
        tokio::spawn(async move {
            loop {
                let packet = tokio::select! {
                    _ = cut.cancelled(), if connection == 1 => return,
                    p = read_packet(&mut stream) => p,
                };
                let Some((header, body)) = packet else { return };
                let reply: Vec<u8> = match header >> 4 {
                    1 => vec![0x20, 2, 0, 0],
                    3 => {
                        let topic_len = usize::from(u16::from_be_bytes([body[0], body[1]]));
                        let topic = String::from_utf8_lossy(&body[2..2 + topic_len]).to_string();
                        let qos = (header >> 1) & 3;
                        let (pkid, payload) = if qos > 0 {
                            (&body[2 + topic_len..4 + topic_len], &body[4 + topic_len..])
                        } else {
                            (&body[0..0], &body[2 + topic_len..])
                        };
                        seen.lock()
                            .expect("lock")
                            .push((connection, topic, payload.to_vec()));
                        if connection > 1 && qos == 1 {
                            vec![0x40, 2, pkid[0], pkid[1]]
                        } else {
                            Vec::new()
                        }
                    }
                    8 => vec![0x90, 3, body[0], body[1], 1],
                    12 => vec![0xd0, 0],
                    14 => return,
                    _ => Vec::new(),
                };
                if !reply.is_empty() && stream.write_all(&reply).await.is_err() {
                    return;
                }
            }
        });
    }
}

fn data(seen: &Seen, connection: usize) -> Vec<Vec<u8>> {
    seen.lock()
        .expect("lock")
        .iter()
        .filter(|(c, t, _)| *c == connection && !t.ends_with("/status"))
        .map(|(_, _, p)| p.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_marked_sent_without_puback_and_unacked_rows_are_resent() {
    let listener = TcpListener::bind((LOOPBACK, 0)).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen: Seen = Arc::default();
    let cut = CancellationToken::new();
    tokio::spawn(peer(listener, Arc::clone(&seen), cut.clone()));

    let outbox = Arc::new(MemoryOutbox::new());
    for n in 0..12 {
        outbox.push(
            MessageKind::Level,
            format!(r#"{{"id":"l-{n}"}}"#).into_bytes(),
        );
    }
    let mut config = fast_config(addr, "gw-acks");
    config.max_inflight = 5;
    let mut running = spawn_uplink(config, Arc::clone(&outbox));

    // The peer receives a full window of rows but acks none of them.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while data(&seen, 1).len() < 5 {
        assert!(tokio::time::Instant::now() < deadline, "window not sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(data(&seen, 1).len(), 5, "the in-flight window is respected");
    assert!(outbox.sent_ids().is_empty(), "no ack, nothing marked sent");
    assert_eq!(outbox.depth().expect("depth"), 12);

    // The connection drops; the next one acks: every row ends up sent, the
    // first five having been published twice.
    cut.cancel();
    wait_state(&mut running.state, Duration::from_secs(10), |s| {
        s.delivered == 12
    })
    .await;
    assert_eq!(outbox.depth().expect("depth"), 0);
    let second = data(&seen, 2);
    for first in data(&seen, 1) {
        assert!(second.contains(&first), "unacked row published again");
    }
    assert_eq!(running.state.borrow().connections, 2);
    running.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_failures_are_retried_not_fatal() {
    let broker = start_broker();
    let outbox = Arc::new(MemoryOutbox::new());
    outbox.push(MessageKind::Event, br#"{"id":"e-1"}"#.to_vec());
    outbox.set_failing(true);
    let mut running = spawn_uplink(fast_config(broker.addr(), "gw-disk"), Arc::clone(&outbox));
    wait_state(&mut running.state, Duration::from_secs(5), |s| s.connected).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!running.task.is_finished());
    assert_eq!(running.state.borrow().delivered, 0);
    outbox.set_failing(false);
    wait_state(&mut running.state, Duration::from_secs(5), |s| {
        s.delivered == 1
    })
    .await;
    assert_eq!(outbox.depth().expect("depth"), 0);
    running.shutdown.cancel();
}
