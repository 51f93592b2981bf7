//! One retained message, published by a short-lived client.
//!
//! The updater reports the outcome of an `update` command itself: it is the
//! process that outlives the gateway it replaces, so it cannot count on the
//! gateway's uplink. It connects with the gateway's own broker settings
//! (transport, TLS, credentials) under a client id of its own, publishes at
//! least once, waits for the broker's acknowledgement and leaves.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS};
use thiserror::Error;

use crate::topics::{Topic, TopicSchema};
use crate::uplink::UplinkConfig;

#[derive(Debug, Error)]
pub enum OneShotError {
    #[error("MQTT transport: {0}")]
    Transport(#[from] crate::transport::TransportError),
    #[error("cannot reach the broker: {0}")]
    Connection(String),
    #[error("the broker did not acknowledge within {0:?}")]
    Timeout(Duration),
}

/// Publishes `payload` retained with QoS 1 on `topic` of the gateway in
/// `config`, as client `<config.client_id>-<role>`; returns once the broker
/// has acknowledged it, or fails after `timeout`.
pub async fn publish_retained(
    config: &UplinkConfig,
    role: &str,
    topic: &Topic,
    payload: Vec<u8>,
    timeout: Duration,
) -> Result<(), OneShotError> {
    let prepared = config.transport.prepare(&config.host, config.port)?;
    let mut options = MqttOptions::new(
        format!("{}-{role}", config.client_id),
        prepared.broker_addr,
        config.port,
    );
    options.set_transport(prepared.transport);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_clean_session(true);
    if let Some(c) = &config.credentials {
        options.set_credentials(c.username.clone(), c.password.clone());
    }
    let name = TopicSchema::new(config.gateway_id.clone()).topic(topic);
    let (client, mut eventloop) = AsyncClient::new(options, 8);
    let exchange = async {
        client
            .publish(name, QoS::AtLeastOnce, true, payload)
            .await
            .map_err(|e| OneShotError::Connection(e.to_string()))?;
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => break,
                Ok(Event::Incoming(Packet::ConnAck(ack)))
                    if ack.code != rumqttc::ConnectReturnCode::Success =>
                {
                    return Err(OneShotError::Connection(format!(
                        "connection refused: {:?}",
                        ack.code
                    )));
                }
                Ok(_) => {}
                Err(e) => return Err(OneShotError::Connection(e.to_string())),
            }
        }
        let _ = client.disconnect().await;
        // Let the disconnect leave before the socket is dropped.
        while let Ok(Ok(event)) =
            tokio::time::timeout(Duration::from_millis(500), eventloop.poll()).await
        {
            if matches!(event, Event::Outgoing(Outgoing::Disconnect)) {
                break;
            }
        }
        Ok(())
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| OneShotError::Timeout(timeout))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::EmbeddedBroker;
    use crate::topics::{CommandId, CommandName, GatewayId};

    #[tokio::test]
    async fn a_retained_message_reaches_a_later_subscriber() {
        let addr = crate::broker::free_local_addr([127, 0, 0, 1].into()).expect("addr");
        let broker = EmbeddedBroker::start(addr).expect("broker");
        let addr = broker.addr();
        let gateway = GatewayId::new("gw1").expect("id");
        let config = UplinkConfig::new(addr.ip().to_string(), addr.port(), gateway.clone());
        let topic = Topic::CommandResponse {
            name: CommandName::new("update").expect("name"),
            id: CommandId::new("u1").expect("id"),
        };
        publish_retained(
            &config,
            "updater",
            &topic,
            b"{\"status\":\"successful\"}".to_vec(),
            Duration::from_secs(10),
        )
        .await
        .expect("published");

        let mut options = MqttOptions::new("reader", addr.ip().to_string(), addr.port());
        options.set_keep_alive(Duration::from_secs(5));
        let (client, mut eventloop) = AsyncClient::new(options, 8);
        client
            .subscribe(TopicSchema::new(gateway).topic(&topic), QoS::AtLeastOnce)
            .await
            .expect("subscribe");
        let received = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Ok(Event::Incoming(Packet::Publish(p))) = eventloop.poll().await {
                    return p;
                }
            }
        })
        .await
        .expect("retained message");
        assert!(received.retain);
        assert_eq!(&received.payload[..], b"{\"status\":\"successful\"}");
    }

    #[tokio::test]
    async fn an_absent_broker_is_an_error_not_a_hang() {
        let addr = crate::broker::free_local_addr([127, 0, 0, 1].into()).expect("addr");
        let config = UplinkConfig::new(
            addr.ip().to_string(),
            addr.port(),
            GatewayId::new("gw1").expect("id"),
        );
        let err = publish_retained(
            &config,
            "updater",
            &Topic::Status,
            b"{}".to_vec(),
            Duration::from_secs(5),
        )
        .await
        .expect_err("nobody listens");
        assert!(matches!(err, OneShotError::Connection(_)), "{err}");
    }
}
