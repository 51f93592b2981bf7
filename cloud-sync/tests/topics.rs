//! The topic schema round-trips every topic and rejects ids that would break
//! MQTT subscriptions.

use asr_cloud_sync::topics::parse_any;
use asr_cloud_sync::{
    CommandId, CommandName, GatewayId, MessageKind, Topic, TopicError, TopicSchema,
};

fn all_topics() -> Vec<Topic> {
    let name = CommandName::new("set_printer").expect("name");
    let id = CommandId::new("7f3a-01").expect("id");
    let mut topics = vec![
        Topic::Status,
        Topic::Orders,
        Topic::Alerts,
        Topic::Levels,
        Topic::Events,
        Topic::Command {
            name: name.clone(),
            id: id.clone(),
        },
        Topic::CommandResponse { name, id },
    ];
    topics.extend(MessageKind::ALL.map(Topic::for_kind));
    topics
}

#[test]
fn every_topic_round_trips() {
    for gateway in ["gw-1", "site.paris_03", "GW:42", "é-passerelle"] {
        let schema = TopicSchema::new(GatewayId::new(gateway).expect("valid id"));
        for topic in all_topics() {
            let text = schema.topic(&topic);
            assert!(text.starts_with(&format!("asr/v1/{gateway}/")), "{text}");
            assert_eq!(schema.parse(&text), Ok(topic.clone()), "{text}");
            let (gw, parsed) = parse_any(&text).expect("parse_any");
            assert_eq!(gw.as_str(), gateway);
            assert_eq!(parsed, topic);
        }
    }
}

#[test]
fn concrete_layout_is_stable() {
    let schema = TopicSchema::new(GatewayId::new("gw-1").expect("id"));
    assert_eq!(schema.topic(&Topic::Status), "asr/v1/gw-1/status");
    assert_eq!(
        schema.topic(&Topic::for_kind(MessageKind::Order)),
        "asr/v1/gw-1/orders"
    );
    assert_eq!(schema.command_filter(), "asr/v1/gw-1/cmd/+/+");
    let cmd = Topic::Command {
        name: CommandName::new("poll_now").expect("name"),
        id: CommandId::new("c1").expect("id"),
    };
    assert_eq!(schema.topic(&cmd), "asr/v1/gw-1/cmd/poll_now/c1");
    let res = cmd.response_of().expect("response topic");
    assert_eq!(schema.topic(&res), "asr/v1/gw-1/cmd/poll_now/c1/res");
    assert_eq!(Topic::Status.response_of(), None);
}

#[test]
fn bad_ids_are_rejected() {
    for bad in [
        "",
        "a/b",
        "gw+",
        "gw#",
        "+",
        "#",
        "with space",
        "$SYS",
        &"x".repeat(129),
    ] {
        let err = GatewayId::new(bad).expect_err(bad);
        assert!(
            matches!(err, TopicError::InvalidSegment { .. }),
            "{bad}: {err}"
        );
        assert!(err.to_string().contains("gateway id"), "{err}");
        assert!(CommandId::new(bad).is_err(), "command id {bad:?}");
    }
    assert!("gw-1".parse::<GatewayId>().is_ok());
    assert!(CommandName::new("Reboot").is_err());
}

#[test]
fn unknown_and_foreign_topics_are_errors() {
    let schema = TopicSchema::new(GatewayId::new("gw-1").expect("id"));
    let cases = [
        ("asr/v1/gw-1/unknown", "unknown topic"),
        ("asr/v1/gw-1/status/extra", "unknown topic"),
        ("asr/v1/gw-1/cmd/poll_now", "unknown topic"),
        ("asr/v1/gw-1/cmd/poll_now/c1/other", "unknown topic"),
        ("asr/v1/gw-1/cmd/Poll/c1", "invalid command name"),
        ("asr/v1/gw-1/cmd/poll_now/$x", "invalid command id"),
        ("asr/v1/gw-2/status", "belongs to gateway `gw-2`"),
        ("asr/v2/gw-1/status", "is not under"),
        ("other/gw-1/status", "is not under"),
        ("asr/v1/gw-1", "is not under"),
        ("", "is not under"),
    ];
    for (topic, expected) in cases {
        let err = schema.parse(topic).expect_err(topic);
        assert!(err.to_string().contains(expected), "{topic}: {err}");
    }
    assert!(parse_any("asr/v1/+/status").is_err());
}
