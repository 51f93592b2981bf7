//! Configuration changed remotely (`set_config`): which keys may be, how a
//! JSON value becomes a TOML one, and the effective configuration without
//! its secrets (`get_config`).
//!
//! A change is applied to a copy of the whole effective configuration and
//! validated with the same rules as the file, so a remote value can never
//! produce a configuration the file could not.

use toml::Value;

use super::error::ConfigError;
use super::model::Config;

/// Keys a supplier may change over MQTT. Identity, storage, the broker
/// link and the status page stay in the file: a wrong remote value there
/// could cut the gateway off for good.
pub const REMOTE_KEYS: &[&str] = &[
    "gateway.poll_interval",
    "engine.lead_time_days",
    "engine.horizon_days",
    "engine.supply_days",
    "engine.order_hour_utc",
    "engine.silent_after",
    "snmp.version",
    "snmp.community",
    "snmp.user",
    "snmp.auth_proto",
    "snmp.auth_pass",
    "snmp.priv_proto",
    "snmp.priv_pass",
    "snmp.context",
    "snmp.timeout",
    "snmp.retries",
];

/// Field names whose values are never shown (write-only).
const SECRET_FIELDS: &[&str] = &[
    "password",
    "community",
    "auth_pass",
    "priv_pass",
    "admin_password_hash",
];

/// Whether `key`'s value is a secret (never echoed back).
pub fn is_secret(key: &str) -> bool {
    key.rsplit('.')
        .next()
        .is_some_and(|field| SECRET_FIELDS.contains(&field))
}

/// `config` with `key` set to `value`, validated as a whole.
pub fn with_override(
    config: &Config,
    key: &str,
    value: &serde_json::Value,
) -> Result<Config, ConfigError> {
    with_overrides(config, &[(key.to_owned(), value.clone())])
}

/// `config` with several keys set at once, validated once as a whole: a
/// change that only makes sense together (SNMPv3 user, protocol and pass
/// phrase) is not refused half-way.
pub fn with_overrides(
    config: &Config,
    changes: &[(String, serde_json::Value)],
) -> Result<Config, ConfigError> {
    let mut doc =
        Value::try_from(config).map_err(|e| ConfigError::invalid("config", e.to_string()))?;
    let mut last_key = "config";
    for (key, value) in changes {
        let key = key.as_str();
        if !REMOTE_KEYS.contains(&key) {
            let known =
                lookup(&doc, key).is_some() || key.starts_with("mqtt.") || key.starts_with("snmp.");
            let problem = if known {
                "cannot be changed remotely; edit the configuration file".to_string()
            } else {
                format!("unknown key (remote keys: {})", REMOTE_KEYS.join(", "))
            };
            return Err(ConfigError::invalid(key, problem));
        }
        let (section, field) = key
            .split_once('.')
            .ok_or_else(|| ConfigError::invalid(key, "expected <section>.<key>"))?;
        let current = lookup(&doc, key).cloned();
        let new = to_toml(key, value, current.as_ref())?;
        let table = doc
            .get_mut(section)
            .and_then(Value::as_table_mut)
            .ok_or_else(|| ConfigError::invalid(key, "unknown section"))?;
        table.insert(field.to_string(), new);
        last_key = key;
    }
    let changed: Config = doc
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::invalid(last_key, e.message().to_string()))?;
    super::validate::validate(&changed)?;
    Ok(changed)
}

fn lookup<'a>(doc: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(doc, |v, part| v.get(part))
}

/// The TOML value for `value`, shaped like the key's current one (a whole
/// number for a float key is fine; a number for a duration key is not).
fn to_toml(
    key: &str,
    value: &serde_json::Value,
    current: Option<&Value>,
) -> Result<Value, ConfigError> {
    use serde_json::Value as J;
    let wrong = |expected: &str| {
        Err(ConfigError::invalid(
            key,
            format!("expects {expected}, got {value}"),
        ))
    };
    match (current, value) {
        (Some(Value::Float(_)), J::Number(n)) => match n.as_f64() {
            Some(f) if f.is_finite() => Ok(Value::Float(f)),
            _ => wrong("a number"),
        },
        (Some(Value::Float(_)), _) => wrong("a number"),
        (Some(Value::Integer(_)), J::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Value::Integer(i)),
            None => wrong("a whole number"),
        },
        (Some(Value::Integer(_)), _) => wrong("a whole number"),
        (Some(Value::Boolean(_)), J::Bool(b)) => Ok(Value::Boolean(*b)),
        (Some(Value::Boolean(_)), _) => wrong("true or false"),
        (_, J::String(s)) => Ok(Value::String(s.clone())),
        // An unset optional key (a v3 pass phrase): strings only.
        (None, _) | (Some(_), _) => wrong("a string (durations as \"10m\", \"24h\")"),
    }
}

/// The configuration as JSON with every secret replaced by `"<set>"`.
pub fn redacted(config: &Config) -> serde_json::Value {
    let mut value = serde_json::to_value(config).unwrap_or(serde_json::Value::Null);
    redact(&mut value);
    value
}

fn redact(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if SECRET_FIELDS.contains(&k.as_str()) {
                    if !v.is_null() {
                        *v = serde_json::Value::String("<set>".into());
                    }
                } else {
                    redact(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Config {
        let mut c = Config::default();
        c.gateway.id = "gw".into();
        c
    }

    #[test]
    fn remote_keys_are_validated_like_the_file() {
        let c = with_override(&base(), "gateway.poll_interval", &"10m".into()).expect("10m");
        assert_eq!(c.gateway.poll_interval.as_secs(), 600);
        let c = with_override(&base(), "engine.lead_time_days", &3.into()).expect("3");
        assert_eq!(c.engine.lead_time_days, 3.0);
        let err = |key, value: serde_json::Value| {
            with_override(&base(), key, &value)
                .expect_err("refused")
                .to_string()
        };
        assert!(err("engine.lead_time_days", "soon".into()).contains("expects a number"));
        assert!(err("engine.lead_time_days", 0.into()).contains("(0, 90]"));
        assert!(err("gateway.poll_interval", 600.into()).contains("expects a string"));
        assert!(err("gateway.poll_interval", "often".into()).contains("gateway.poll_interval"));
        assert!(err("engine.order_hour_utc", 1.5.into()).contains("whole number"));
        assert!(err("mqtt.host", "evil".into()).contains("cannot be changed remotely"));
        assert!(err("gateway.id", "x".into()).contains("cannot be changed remotely"));
        assert!(err("engine.nope", 1.into()).contains("unknown key"));
        assert!(err("snmp.version", "4".into()).contains("snmp.version"));
    }

    #[test]
    fn secrets_are_never_shown() {
        let mut c = base();
        c.snmp.credentials.community = "s3cret".into();
        c.mqtt.password = Some("hunter2".into());
        let text = redacted(&c).to_string();
        assert!(
            !text.contains("s3cret") && !text.contains("hunter2"),
            "{text}"
        );
        assert!(text.contains("<set>"));
        assert!(is_secret("snmp.community") && !is_secret("snmp.user"));
    }
}
