//! The configuration in force as the settings page shows it: values an
//! admin may read, secrets only as "set" or "not set".

use super::scoped_credentials::ScopedEntry;
use crate::config::Config;
use crate::web::{CloudView, ScopedCredentialsView, SettingsView};

/// The page's view of `config` and the scoped credentials.
pub(crate) fn of(config: &Config, scoped: &[ScopedEntry]) -> SettingsView {
    let snmp = &config.snmp.credentials;
    let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
    let mqtt = &config.mqtt;
    SettingsView {
        poll_interval: human(config.gateway.poll_interval),
        snmp_version: snmp.version.clone(),
        community_set: !snmp.community.is_empty(),
        snmp_user: snmp.user.clone().filter(|u| !u.is_empty()),
        auth_proto: snmp.auth_proto.clone(),
        auth_pass_set: set(&snmp.auth_pass),
        priv_proto: snmp.priv_proto.clone(),
        priv_pass_set: set(&snmp.priv_pass),
        cloud: CloudView {
            broker: format!("{}:{}", mqtt.host, mqtt.port),
            transport: mqtt.transport.clone(),
            tls: mqtt.tls_enabled(),
            client_id: mqtt
                .client_id
                .clone()
                .unwrap_or_else(|| config.gateway.id.clone()),
            username: mqtt.username.clone(),
        },
        scoped: scoped
            .iter()
            .map(|e| ScopedCredentialsView {
                scope: e.scope.clone(),
                version: e.credentials.version.clone(),
                user: e.credentials.user.clone().filter(|u| !u.is_empty()),
            })
            .collect(),
    }
}

/// `15m`, `1h30m`, `45s`: what a person types back into the form.
fn human(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 {
        out.push_str(&format!("{s}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn secrets_show_only_whether_they_are_set() {
        let mut config = Config::default();
        config.snmp.credentials.version = "3".into();
        config.snmp.credentials.user = Some("asr".into());
        config.snmp.credentials.auth_pass = Some("very secret".into());
        let view = of(&config, &[]);
        assert!(view.auth_pass_set && !view.priv_pass_set);
        let text = serde_json::to_string(&view).expect("json");
        assert!(!text.contains("very secret"), "{text}");
    }

    #[test]
    fn durations_read_as_typed() {
        assert_eq!(human(Duration::from_secs(900)), "15m");
        assert_eq!(human(Duration::from_secs(5400)), "1h30m");
        assert_eq!(human(Duration::from_secs(45)), "45s");
        assert_eq!(human(Duration::from_millis(250)), "250ms");
    }
}
