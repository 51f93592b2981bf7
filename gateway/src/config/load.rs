//! Loading: file, then `ASR_<SECTION>_<KEY>` environment overrides, then
//! validation — all before anything is opened or bound, so a bad config
//! touches nothing.

use std::path::Path;

use toml::Value;

use super::error::ConfigError;
use super::model::Config;

/// Sections that environment variables may address.
const SECTIONS: &[&str] = &[
    "gateway",
    "mqtt",
    "http",
    "snmp",
    "discovery",
    "engine",
    "update",
];

/// Reads, overrides from `vars` (pass `std::env::vars()`), and validates.
pub fn load(
    path: &Path,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    from_str(&text, vars).map_err(|e| match e {
        ConfigError::Parse { message, .. } => ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        },
        other => other,
    })
}

/// Same as [`load`] from text already read.
pub fn from_str(
    text: &str,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let parse_err = |message: String| ConfigError::Parse {
        path: Default::default(),
        message,
    };
    // First pass on the raw text: toml's messages then carry line numbers.
    let _: Config = toml::from_str(text).map_err(|e| parse_err(e.to_string()))?;
    let mut doc: toml::Table = toml::from_str(text).map_err(|e| parse_err(e.to_string()))?;
    let defaults = Value::try_from(Config::default()).map_err(|e| parse_err(e.to_string()))?;
    for (var, raw) in vars {
        let Some(rest) = var.strip_prefix("ASR_") else {
            continue;
        };
        apply_env(&mut doc, &defaults, &var, rest, &raw)?;
    }
    let config: Config = Value::Table(doc)
        .try_into()
        .map_err(|e: toml::de::Error| parse_err(format!("after environment overrides: {e}")))?;
    super::validate::validate(&config)?;
    Ok(config)
}

fn apply_env(
    doc: &mut toml::Table,
    defaults: &Value,
    var: &str,
    rest: &str,
    raw: &str,
) -> Result<(), ConfigError> {
    let env_err = |problem: String| ConfigError::Env {
        var: var.to_string(),
        problem,
    };
    let lower = rest.to_ascii_lowercase();
    let (section, key) = lower
        .split_once('_')
        .ok_or_else(|| env_err("expected ASR_<SECTION>_<KEY>, e.g. ASR_MQTT_HOST".into()))?;
    if !SECTIONS.contains(&section) {
        return Err(env_err(format!(
            "unknown section `{section}` (known: {})",
            SECTIONS.join(", ")
        )));
    }
    let default_value = defaults.get(section).and_then(|s| s.get(key));
    // Optional switches have no default to take their type from.
    let bool_switch = Value::Boolean(false);
    let default_value = match (section, key) {
        ("mqtt", "tls") => Some(&bool_switch),
        _ => default_value,
    };
    let value =
        match default_value {
            Some(Value::Integer(_)) => Value::Integer(raw.trim().parse().map_err(|_| {
                env_err(format!(
                    "`{section}.{key}` expects a whole number, got {raw:?}"
                ))
            })?),
            Some(Value::Float(_)) => Value::Float(raw.trim().parse().map_err(|_| {
                env_err(format!("`{section}.{key}` expects a number, got {raw:?}"))
            })?),
            Some(Value::Boolean(_)) => Value::Boolean(match raw.trim() {
                "true" | "1" | "yes" | "on" => true,
                "false" | "0" | "no" | "off" => false,
                _ => {
                    return Err(env_err(format!(
                        "`{section}.{key}` expects true or false, got {raw:?}"
                    )));
                }
            }),
            Some(Value::Array(_)) => Value::Array(
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            ),
            _ => Value::String(raw.to_string()),
        };
    let table = doc
        .entry(section.to_string())
        .or_insert_with(|| Value::Table(toml::Table::new()));
    let Value::Table(table) = table else {
        return Err(env_err(format!("`{section}` in the file is not a table")));
    };
    table.insert(key.to_string(), value);
    Ok(())
}
