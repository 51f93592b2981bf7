//! Remote management of `asr-gateway run` over MQTT, as a supplier's back
//! office drives it: assign a printer with its postal address, change the
//! lead time and the poll interval, poll now, exclude a printer, follow an
//! order from accepted to delivered — each answered `successful` and visible
//! in the gateway's own state (its SQLite file and `get_config`), and the
//! remote configuration still there after a restart.

#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use asr_gateway::store::{OrderStatus, Store};
use asr_protocols::sim::{SimFleet, demo_fleet};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use serde_json::{Value, json};

const GW: &str = "rm-test";

struct Cloud {
    client: AsyncClient,
    events: EventLoop,
    /// Messages received while waiting for others, oldest first.
    kept: Vec<(String, Value)>,
}

impl Cloud {
    async fn connect(port: u16) -> Cloud {
        let mut options = MqttOptions::new("rm-test-cloud", "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(5));
        let (client, events) = AsyncClient::new(options, 100);
        client
            .subscribe(format!("asr/v1/{GW}/#"), QoS::AtLeastOnce)
            .await
            .unwrap();
        Cloud {
            client,
            events,
            kept: Vec::new(),
        }
    }

    /// The next publish on `topic` matching `pred`, within `within`.
    async fn wait(
        &mut self,
        topic: &str,
        within: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        if let Some(i) = self.kept.iter().position(|(t, v)| t == topic && pred(v)) {
            return self.kept.remove(i).1;
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let Ok(polled) = tokio::time::timeout_at(deadline, self.events.poll()).await else {
                panic!("nothing matching on {topic} within {within:?}");
            };
            let event = polled.unwrap();
            if let Event::Incoming(Packet::Publish(p)) = event
                && let Ok(v) = serde_json::from_slice::<Value>(&p.payload)
            {
                if p.topic == topic && pred(&v) {
                    return v;
                }
                self.kept.push((p.topic.clone(), v));
            }
        }
    }

    /// Sends command `name` with id `id` and waits for its final answer.
    async fn command(&mut self, name: &str, id: &str, body: Value) -> Value {
        let topic = format!("asr/v1/{GW}/cmd/{name}/{id}");
        self.client
            .publish(&topic, QoS::AtLeastOnce, false, body.to_string())
            .await
            .unwrap();
        self.wait(&format!("{topic}/res"), Duration::from_secs(20), |v| {
            v["status"] == "successful" || v["status"] == "failed"
        })
        .await
    }

    /// Sends order news and waits for the gateway's answer.
    async fn order_status(&mut self, order_id: &str, body: Value) -> Value {
        let topic = format!("asr/v1/{GW}/orders/{order_id}/status");
        self.client
            .publish(&topic, QoS::AtLeastOnce, false, body.to_string())
            .await
            .unwrap();
        let id = body["id"].clone();
        self.wait(&format!("{topic}/res"), Duration::from_secs(20), move |v| {
            v["id"] == id && (v["status"] == "successful" || v["status"] == "failed")
        })
        .await
    }
}

/// Records an order as the engine thread does: order row, outbox message
/// and the engine's snapshot in one transaction.
fn seed_order(data: &Path, serial: &str) -> String {
    std::fs::create_dir_all(data).unwrap();
    let store = Store::open(&data.join("gateway.db")).unwrap();
    let created_at = chrono::Utc::now();
    let order = asr_engine::Order {
        order_id: "ord-rm-0001".into(),
        created_at,
        site: "Paris".into(),
        contact: "Alex Durand".into(),
        lines: vec![asr_engine::OrderLine {
            printer: serial.into(),
            supply_index: 1,
            supply_type: "toner".into(),
            colorant: Some("black".into()),
            quantity: 1,
            predicted_empty_at: None,
            pessimistic_empty_at: None,
            priority: None,
            reason: None,
            life_pages: None,
            life_source: None,
        }],
    };
    let payload = serde_json::to_value(asr_engine::Decision::Order(order.clone())).unwrap();
    store
        .commit_decisions(&asr_gateway::store::DecisionBatch {
            orders: vec![asr_gateway::store::NewOrder {
                order_id: order.order_id.clone(),
                created_at,
                site: Some(order.site.clone()),
                contact: Some(order.contact.clone()),
                payload,
            }],
            ..Default::default()
        })
        .unwrap();
    order.order_id
}

fn successful(answer: &Value) -> &Value {
    assert_eq!(answer["status"], "successful", "{answer}");
    &answer["result"]
}

fn spawn_run(config: &Path) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
        .args(["run", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

async fn stop(mut child: tokio::process::Child) {
    let pid = child.id().unwrap();
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("stops within 15 s")
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_back_office_manages_a_running_gateway_over_mqtt() {
    let specs: Vec<_> = demo_fleet(33).into_iter().take(3).collect();
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 190), 16_177, 0.0)
        .await
        .unwrap();
    let broker_addr: SocketAddr =
        asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let _broker = asr_cloud_sync::EmbeddedBroker::start(broker_addr).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let targets: Vec<String> = fleet
        .members()
        .iter()
        .map(|m| format!("\"{}\"", m.addr()))
        .collect();
    // The third printer is not in the file: it is assigned remotely.
    let printers: String = specs[..2]
        .iter()
        .map(|s| {
            format!(
                "[[printers]]\nserial = \"{}\"\nsite = \"{}\"\ncontact = \"{}\"\n",
                s.serial, s.site, s.contact
            )
        })
        .collect();
    let config = format!(
        "[gateway]\nid = \"{GW}\"\ndata_dir = \"{}\"\npoll_interval = \"1s\"\n\
         [mqtt]\nhost = \"127.0.0.1\"\nport = {}\n[http]\nlisten = \"127.0.0.1:0\"\n\
         [engine]\nsilent_after = \"1h\"\n\
         [discovery]\nmdns = false\nstatic = [{}]\n{printers}",
        data.display(),
        broker_addr.port(),
        targets.join(", "),
    );
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, config).unwrap();
    // An order the engine decided before this start (in real time an engine
    // takes days to order), still waiting in the outbox.
    let order_id = seed_order(&data, &specs[0].serial);

    let mut cloud = Cloud::connect(broker_addr.port()).await;
    let child = spawn_run(&path);
    cloud
        .wait(
            &format!("asr/v1/{GW}/status"),
            Duration::from_secs(30),
            |s| s["online"] == true && s["printers"] == 3,
        )
        .await;
    let store = Store::open(&data.join("gateway.db")).unwrap();

    // Assign the third printer, with where and to whom supplies go.
    let third = &specs[2].serial;
    let answer = cloud
        .command(
            "set_printer",
            "c-assign",
            json!({
                "serial": third,
                "site": "Lyon",
                "contact": "Camille Martin",
                "postal_address": "12 rue de la République, 69002 Lyon",
                "contact_email": "camille.martin@example.com",
                "contact_phone": "+33 4 72 00 00 00",
            }),
        )
        .await;
    assert_eq!(successful(&answer)["site"], "Lyon");
    let row = store.printer(third).unwrap().unwrap();
    assert_eq!(row.site.as_deref(), Some("Lyon"));
    assert_eq!(
        row.postal_address.as_deref(),
        Some("12 rue de la République, 69002 Lyon")
    );
    assert_eq!(row.contact_phone.as_deref(), Some("+33 4 72 00 00 00"));

    // Lead time and poll interval, applied live and shown by get_config.
    successful(
        &cloud
            .command(
                "set_config",
                "c-lead",
                json!({"key": "engine.lead_time_days", "value": 3}),
            )
            .await,
    );
    successful(
        &cloud
            .command(
                "set_config",
                "c-poll",
                json!({"key": "gateway.poll_interval", "value": "2s"}),
            )
            .await,
    );
    let refused = cloud
        .command(
            "set_config",
            "c-bad",
            json!({"key": "engine.lead_time_days", "value": -1}),
        )
        .await;
    assert_eq!(refused["status"], "failed");
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("engine.lead_time_days"),
        "{refused}"
    );
    let config = successful(&cloud.command("get_config", "c-get", json!({})).await).clone();
    assert_eq!(config["config"]["engine"]["lead_time_days"], 3.0);
    assert_eq!(config["config"]["gateway"]["poll_interval"], "2s");
    assert!(
        !config.to_string().contains("\"public\""),
        "no community: {config}"
    );
    let status = successful(&cloud.command("get_status", "c-status", json!({})).await).clone();
    assert_eq!(status["poll_interval_secs"], 2.0);
    assert_eq!(status["printers"], 3);

    // Poll now, and exclude the second printer from ordering.
    successful(&cloud.command("poll_now", "c-poll-now", json!({})).await);
    let second = &specs[1].serial;
    successful(
        &cloud
            .command(
                "set_printer",
                "c-exclude",
                json!({"serial": second, "excluded": true}),
            )
            .await,
    );
    assert!(store.printer(second).unwrap().unwrap().excluded);
    let unknown = cloud
        .command(
            "set_printer",
            "c-typo",
            json!({"serial": "NOPE", "excluded": true}),
        )
        .await;
    assert_eq!(unknown["status"], "failed");
    assert!(
        unknown["reason"]
            .as_str()
            .unwrap()
            .contains("unknown printer")
    );

    // The order goes up; the supplier reports on it.
    let order = cloud
        .wait(
            &format!("asr/v1/{GW}/orders"),
            Duration::from_secs(30),
            |o| o["order_id"] == order_id.as_str(),
        )
        .await;
    assert_eq!(order["gateway_id"], GW);
    assert!(order["schema_version"].is_number());
    for (id, body) in [
        ("s-1", json!({"id": "s-1", "status": "accepted"})),
        (
            "s-2",
            json!({"id": "s-2", "status": "shipped", "carrier": "Colissimo", "tracking": "6A123"}),
        ),
        ("s-3", json!({"id": "s-3", "status": "delivered"})),
    ] {
        let answer = cloud.order_status(&order_id, body).await;
        assert_eq!(answer["status"], "successful", "{id}: {answer}");
    }
    let row = store.order(&order_id).unwrap().unwrap();
    assert_eq!(row.status, OrderStatus::Delivered);
    assert_eq!(row.tracking.as_deref(), Some("6A123"));
    assert!(!row.delivered.is_empty());
    // A transition that makes no sense, and an order nobody knows.
    let late = cloud
        .order_status(&order_id, json!({"id": "s-4", "status": "accepted"}))
        .await;
    assert_eq!(late["status"], "failed");
    assert!(
        late["reason"]
            .as_str()
            .unwrap()
            .contains("already delivered"),
        "{late}"
    );
    let unknown = cloud
        .order_status("ord-nope", json!({"id": "s-5", "status": "shipped"}))
        .await;
    assert!(
        unknown["reason"]
            .as_str()
            .unwrap()
            .contains("unknown order")
    );

    // A restart keeps the remote configuration.
    stop(child).await;
    let child = spawn_run(&path);
    cloud
        .wait(
            &format!("asr/v1/{GW}/status"),
            Duration::from_secs(30),
            |s| s["online"] == true,
        )
        .await;
    let config = successful(&cloud.command("get_config", "c-get-2", json!({})).await).clone();
    assert_eq!(config["config"]["engine"]["lead_time_days"], 3.0);
    assert!(
        config["overridden"]
            .as_array()
            .unwrap()
            .contains(&json!("engine.lead_time_days"))
    );
    // A command id already answered is answered again, not run again.
    let again = cloud
        .command(
            "set_config",
            "c-lead",
            json!({"key": "engine.lead_time_days", "value": 3}),
        )
        .await;
    assert_eq!(again["status"], "successful");
    stop(child).await;
    fleet.shutdown().await;
}
