//! From the `[mqtt]` section to the uplink's transport and credentials:
//! the one place that knows how `tls`, the certificate files, `transport`,
//! `ws_path` and `password_file` combine.

use asr_cloud_sync::{CaSource, Carrier, TlsSettings, TransportSettings};

use super::error::ConfigError;
use super::model::MqttSection;

/// The TLS settings, when TLS is on.
pub fn tls_settings(m: &MqttSection) -> Option<TlsSettings> {
    m.tls_enabled().then(|| TlsSettings {
        ca: m.ca_file.clone().map_or(CaSource::System, CaSource::File),
        client_identity: m.client_cert_file.clone().zip(m.client_key_file.clone()),
    })
}

/// The whole transport.
pub fn transport(m: &MqttSection) -> TransportSettings {
    TransportSettings {
        carrier: match m.transport.as_str() {
            "ws" => Carrier::WebSocket {
                path: m.ws_path.clone(),
            },
            _ => Carrier::Tcp,
        },
        tls: tls_settings(m),
    }
}

/// The password, from `password` or the first line of `password_file`.
pub fn password(m: &MqttSection) -> Result<Option<String>, ConfigError> {
    let Some(path) = &m.password_file else {
        return Ok(m.password.clone());
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::invalid(
            "mqtt.password_file",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let first = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if first.is_empty() {
        return Err(ConfigError::invalid(
            "mqtt.password_file",
            format!("{} is empty", path.display()),
        ));
    }
    Ok(Some(first.to_string()))
}

/// One line for people: where the link goes and how, never a secret.
pub fn describe(m: &MqttSection) -> String {
    let scheme = match (m.transport.as_str(), m.tls_enabled()) {
        ("ws", true) => "wss",
        ("ws", false) => "ws",
        (_, true) => "mqtts",
        (_, false) => "mqtt",
    };
    let path = if m.transport == "ws" {
        m.ws_path.as_str()
    } else {
        ""
    };
    let mut text = format!("{scheme}://{}:{}{path}", m.host, m.port);
    if m.tls_enabled() {
        match &m.ca_file {
            Some(ca) => text.push_str(&format!(", CA {}", ca.display())),
            None => text.push_str(", system CAs"),
        }
        if let Some(cert) = &m.client_cert_file {
            text.push_str(&format!(", client certificate {}", cert.display()));
        }
    } else {
        text.push_str(", no TLS");
    }
    if let Some(user) = &m.username {
        let secret = if m.password_file.is_some() {
            "password from file"
        } else if m.password.is_some() {
            "password set"
        } else {
            "no password"
        };
        text.push_str(&format!(", user {user} ({secret})"));
    }
    text
}
