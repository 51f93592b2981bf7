//! A test's MQTT client that keeps everything it receives: waiting for a
//! message on one topic must not lose those that came meanwhile on others.

use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use serde_json::Value;

/// A connected client subscribed to some filters, and what it received.
pub struct Watcher {
    pub client: AsyncClient,
    events: EventLoop,
    unread: Vec<(String, Value)>,
}

impl Watcher {
    /// Connects as `client_id` to 127.0.0.1:`port` and subscribes to
    /// `filters` (QoS 1), waiting for the broker's acknowledgements.
    pub async fn connect(port: u16, client_id: &str, filters: &[&str]) -> Watcher {
        let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(5));
        options.set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut events) = AsyncClient::new(options, 100);
        for f in filters {
            client
                .subscribe(*f, QoS::AtLeastOnce)
                .await
                .expect("subscribe");
        }
        let mut acks = 0;
        while acks < filters.len() {
            match tokio::time::timeout(Duration::from_secs(5), events.poll()).await {
                Ok(Ok(Event::Incoming(Packet::SubAck(_)))) => acks += 1,
                Ok(Ok(_)) => {}
                other => panic!("test client could not connect: {other:?}"),
            }
        }
        Watcher {
            client,
            events,
            unread: Vec::new(),
        }
    }

    /// The first JSON message on `topic` that `keep` accepts, within `secs`
    /// (others stay unread for later calls).
    pub async fn next(&mut self, topic: &str, secs: u64, keep: impl Fn(&Value) -> bool) -> Value {
        self.next_where(secs, |t, v| t == topic && keep(v))
            .await
            .unwrap_or_else(|| panic!("nothing on {topic} within {secs} s"))
            .1
    }

    /// The first message `keep` accepts (topic and JSON body), within
    /// `secs`; `None` when none came. Messages it does not accept stay
    /// unread for other calls.
    pub async fn next_where(
        &mut self,
        secs: u64,
        keep: impl Fn(&str, &Value) -> bool,
    ) -> Option<(String, Value)> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut checked = 0;
        loop {
            if let Some(i) = self.unread[checked..].iter().position(|(t, v)| keep(t, v)) {
                return Some(self.unread.remove(checked + i));
            }
            checked = self.unread.len();
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            if let Ok(Ok(Event::Incoming(Packet::Publish(p)))) =
                tokio::time::timeout(left, self.events.poll()).await
                && let Ok(v) = serde_json::from_slice::<Value>(&p.payload)
            {
                self.unread.push((p.topic.clone(), v));
            }
        }
    }
}
