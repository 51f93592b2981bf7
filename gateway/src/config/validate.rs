//! Semantic checks that serde cannot express. Each failure names its key.

use super::error::ConfigError;
use super::model::{Config, MqttSection, SnmpCredentials};

/// Checks a parsed config; the first problem found is returned.
pub fn validate(c: &Config) -> Result<(), ConfigError> {
    validate_gateway_id(&c.gateway.id)?;
    if c.gateway.poll_interval.as_secs() < 1 {
        return Err(ConfigError::invalid(
            "gateway.poll_interval",
            "must be at least 1s",
        ));
    }
    if !(1..=256).contains(&c.gateway.max_concurrent_polls) {
        return Err(ConfigError::invalid(
            "gateway.max_concurrent_polls",
            "must be between 1 and 256",
        ));
    }
    if !(1..=1_048_576).contains(&c.gateway.outbox_max_mb) {
        return Err(ConfigError::invalid(
            "gateway.outbox_max_mb",
            "must be between 1 and 1048576 (MiB)",
        ));
    }
    match (&c.gateway.default_site, &c.gateway.default_contact) {
        (Some(site), Some(contact)) => {
            for (key, value) in [
                ("gateway.default_site", site),
                ("gateway.default_contact", contact),
            ] {
                if value.trim().is_empty() || value.len() > 512 {
                    return Err(ConfigError::invalid(key, "must be 1 to 512 characters"));
                }
            }
        }
        (None, None) => {}
        (Some(_), None) => {
            return Err(ConfigError::invalid(
                "gateway.default_contact",
                "default_site needs default_contact too",
            ));
        }
        (None, Some(_)) => {
            return Err(ConfigError::invalid(
                "gateway.default_site",
                "default_contact needs default_site too",
            ));
        }
    }
    if !(7..=3650).contains(&c.gateway.readings_days) {
        return Err(ConfigError::invalid(
            "gateway.readings_days",
            "must be between 7 and 3650 (days)",
        ));
    }
    // The key file is checked when an update arrives (a gateway without one
    // simply refuses updates); a CA named is read now.
    if let Some(path) = &c.update.ca_file {
        asr_cloud_sync::transport::read_certs("CA file", path)
            .map_err(|e| ConfigError::invalid("update.ca_file", e.to_string()))?;
    }
    match (&c.http.tls_cert_file, &c.http.tls_key_file) {
        (Some(_), None) | (None, Some(_)) => {
            return Err(ConfigError::invalid(
                "http.tls_cert_file",
                "tls_cert_file and tls_key_file go together",
            ));
        }
        (Some(_), Some(_)) if !c.http.tls => {
            return Err(ConfigError::invalid(
                "http.tls",
                "certificate files are given: set `tls = true` to serve HTTPS",
            ));
        }
        _ => {}
    }
    if let Some(hash) = &c.http.admin_password_hash {
        crate::web::auth::validate_hash(hash)
            .map_err(|e| ConfigError::invalid("http.admin_password_hash", e.to_string()))?;
    }
    if c.mqtt.host.trim().is_empty() {
        return Err(ConfigError::invalid("mqtt.host", "must not be empty"));
    }
    if c.mqtt.port == 0 {
        return Err(ConfigError::invalid(
            "mqtt.port",
            "must be between 1 and 65535",
        ));
    }
    validate_link(&c.mqtt)?;
    if c.snmp.port == 0 {
        return Err(ConfigError::invalid(
            "snmp.port",
            "must be between 1 and 65535",
        ));
    }
    if c.snmp.timeout.as_millis() < 100 {
        return Err(ConfigError::invalid(
            "snmp.timeout",
            "must be at least 100ms",
        ));
    }
    if c.snmp.retries > 10 {
        return Err(ConfigError::invalid(
            "snmp.retries",
            "at most 10: printers are fragile",
        ));
    }
    validate_credentials("snmp", &c.snmp.credentials)?;
    for (i, target) in c.discovery.static_targets.iter().enumerate() {
        if crate::target::Target::parse(target, c.snmp.port).is_err() {
            return Err(ConfigError::invalid(
                &format!("discovery.static[{i}]"),
                format!("{target:?} is not host or host:port"),
            ));
        }
    }
    if let Some(cidr) = &c.discovery.sweep {
        match asr_protocols::discovery::Ipv4Cidr::parse(cidr) {
            Ok(net) if net.host_count() <= 65_536 => {}
            Ok(_) => return Err(ConfigError::invalid("discovery.sweep", "at most a /16")),
            Err(e) => return Err(ConfigError::invalid("discovery.sweep", e.to_string())),
        }
    }
    if c.discovery.ipp_port == 0 {
        return Err(ConfigError::invalid(
            "discovery.ipp_port",
            "must be a port (1-65535)",
        ));
    }
    if !(1..=100).contains(&c.discovery.sweep_rate) {
        return Err(ConfigError::invalid(
            "discovery.sweep_rate",
            "between 1 and 100 requests per second",
        ));
    }
    let e = &c.engine;
    if !(e.lead_time_days > 0.0 && e.lead_time_days <= 90.0) {
        return Err(ConfigError::invalid(
            "engine.lead_time_days",
            "must be in (0, 90]",
        ));
    }
    if !(e.horizon_days >= e.lead_time_days && e.horizon_days <= 180.0) {
        return Err(ConfigError::invalid(
            "engine.horizon_days",
            "must be at least engine.lead_time_days and at most 180",
        ));
    }
    if !(1.0..=365.0).contains(&e.supply_days) {
        return Err(ConfigError::invalid(
            "engine.supply_days",
            "must be between 1 and 365",
        ));
    }
    if e.order_hour_utc > 23 {
        return Err(ConfigError::invalid(
            "engine.order_hour_utc",
            "must be an hour between 0 and 23",
        ));
    }
    if e.silent_after.as_secs() < 60 {
        return Err(ConfigError::invalid(
            "engine.silent_after",
            "must be at least 1m",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, p) in c.printers.iter().enumerate() {
        let key = format!("printers[{i}]");
        if p.serial.trim().is_empty() {
            return Err(ConfigError::invalid(
                &format!("{key}.serial"),
                "must not be empty",
            ));
        }
        if !seen.insert(p.serial.trim()) {
            return Err(ConfigError::invalid(
                &format!("{key}.serial"),
                format!("{:?} is listed twice", p.serial),
            ));
        }
        if p.site.trim().is_empty() {
            return Err(ConfigError::invalid(
                &format!("{key}.site"),
                "must not be empty",
            ));
        }
        if p.contact.trim().is_empty() {
            return Err(ConfigError::invalid(
                &format!("{key}.contact"),
                "must not be empty",
            ));
        }
        if let Some(creds) = &p.snmp {
            validate_credentials(&format!("{key}.snmp"), creds)?;
        }
    }
    Ok(())
}

/// The broker link: transport, TLS files (read and parsed now, so a bad PEM
/// is a configuration error and not a reconnect loop), credentials.
fn validate_link(m: &MqttSection) -> Result<(), ConfigError> {
    use asr_cloud_sync::transport::{read_certs, read_key};
    if !matches!(m.transport.as_str(), "tcp" | "ws") {
        return Err(ConfigError::invalid(
            "mqtt.transport",
            format!("{:?}: expected \"tcp\" or \"ws\"", m.transport),
        ));
    }
    if !m.ws_path.starts_with('/') {
        return Err(ConfigError::invalid(
            "mqtt.ws_path",
            format!("{:?} must start with `/` (e.g. \"/mqtt\")", m.ws_path),
        ));
    }
    let tls = m.tls_enabled();
    for (key, set) in [
        ("mqtt.ca_file", m.ca_file.is_some()),
        ("mqtt.client_cert_file", m.client_cert_file.is_some()),
        ("mqtt.client_key_file", m.client_key_file.is_some()),
    ] {
        if set && !tls {
            return Err(ConfigError::invalid(
                key,
                "needs TLS: set mqtt.tls = true (a certificate is no use in plain text)",
            ));
        }
    }
    match (&m.client_cert_file, &m.client_key_file) {
        (Some(_), None) => {
            return Err(ConfigError::invalid(
                "mqtt.client_cert_file",
                "needs its key in mqtt.client_key_file",
            ));
        }
        (None, Some(_)) => {
            return Err(ConfigError::invalid(
                "mqtt.client_key_file",
                "a key without its certificate: set mqtt.client_cert_file",
            ));
        }
        _ => {}
    }
    if let Some(path) = &m.ca_file {
        read_certs("CA file", path)
            .map_err(|e| ConfigError::invalid("mqtt.ca_file", e.to_string()))?;
    }
    if let (Some(cert), Some(key)) = (&m.client_cert_file, &m.client_key_file) {
        read_certs("client certificate", cert)
            .map_err(|e| ConfigError::invalid("mqtt.client_cert_file", e.to_string()))?;
        read_key(key).map_err(|e| ConfigError::invalid("mqtt.client_key_file", e.to_string()))?;
        if let Some(settings) = super::link::tls_settings(m) {
            settings
                .check()
                .map_err(|e| ConfigError::invalid("mqtt.client_key_file", e.to_string()))?;
        }
    }
    if m.password.is_some() && m.password_file.is_some() {
        return Err(ConfigError::invalid(
            "mqtt.password_file",
            "set either mqtt.password or mqtt.password_file, not both",
        ));
    }
    if m.password_file.is_some() {
        super::link::password(m)?;
    }
    Ok(())
}

/// Ids end up in MQTT topics: no wildcards, separators or blanks.
fn validate_gateway_id(id: &str) -> Result<(), ConfigError> {
    if id.is_empty() {
        return Err(ConfigError::invalid(
            "gateway.id",
            "must be set (e.g. \"acme-paris-01\")",
        ));
    }
    if id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(ConfigError::invalid(
            "gateway.id",
            format!("{id:?}: use at most 64 letters, digits, '-', '_' or '.'"),
        ));
    }
    Ok(())
}

fn validate_credentials(key: &str, c: &SnmpCredentials) -> Result<(), ConfigError> {
    match c.version.as_str() {
        "1" | "2c" => {
            if c.community.is_empty() {
                return Err(ConfigError::invalid(
                    &format!("{key}.community"),
                    "must not be empty",
                ));
            }
        }
        "3" => {
            if c.user.as_deref().unwrap_or("").is_empty() {
                return Err(ConfigError::invalid(
                    &format!("{key}.user"),
                    "is required with version = \"3\"",
                ));
            }
            if c.auth_proto.is_some() != c.auth_pass.is_some() {
                return Err(ConfigError::invalid(
                    &format!("{key}.auth_pass"),
                    "auth_proto and auth_pass go together",
                ));
            }
            if c.auth_pass.as_deref().is_some_and(|p| p.len() < 8) {
                return Err(ConfigError::invalid(
                    &format!("{key}.auth_pass"),
                    "must be at least 8 characters (RFC 3414)",
                ));
            }
            if c.priv_proto.is_some() != c.priv_pass.is_some() {
                return Err(ConfigError::invalid(
                    &format!("{key}.priv_pass"),
                    "priv_proto and priv_pass go together",
                ));
            }
            if c.priv_proto.is_some() && c.auth_proto.is_none() {
                return Err(ConfigError::invalid(
                    &format!("{key}.priv_proto"),
                    "privacy needs authentication (auth_proto)",
                ));
            }
            if c.priv_pass.as_deref().is_some_and(|p| p.len() < 8) {
                return Err(ConfigError::invalid(
                    &format!("{key}.priv_pass"),
                    "must be at least 8 characters (RFC 3414)",
                ));
            }
        }
        other => {
            return Err(ConfigError::invalid(
                &format!("{key}.version"),
                format!("{other:?}: expected \"1\", \"2c\" or \"3\""),
            ));
        }
    }
    Ok(())
}
