//! `asr-gateway run --config FILE`: the gateway against real printers and a
//! real broker, until Ctrl-C or SIGTERM.

use std::process::ExitCode;
use std::sync::Arc;

use asr_engine::EngineConfig;
use asr_protocols::snmp::PollOptions;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::CommandError;
use crate::cli::RunArgs;
use crate::config::{Config, ConfigError};
use crate::runtime::clock::SystemClock;
use crate::runtime::{Assignment, Gateway, MqttSettings, Settings};
use crate::service_manager;
use crate::target::Target;

/// Loads the config (exit 2 if bad, before anything is touched), starts, and
/// runs until a signal.
pub async fn run(args: RunArgs) -> Result<ExitCode, CommandError> {
    let config = crate::config::load(&args.config, std::env::vars())?;
    let settings = settings_from(&config)?;
    std::fs::create_dir_all(&config.gateway.data_dir).map_err(|e| {
        CommandError::Runtime(format!(
            "cannot create data directory {}: {e}",
            config.gateway.data_dir.display()
        ))
    })?;
    let gateway = Gateway::start(settings)
        .await
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    info!(gateway = %config.gateway.id, "gateway running; Ctrl-C to stop");
    report_provisioning(&config, &args.config, gateway.store());
    report_earlier_failures(&config.gateway.data_dir, gateway.store());
    let watchdog = CancellationToken::new();
    tokio::spawn(service_manager::watchdog(
        Arc::clone(gateway.store()),
        watchdog.clone(),
    ));
    let status = format!(
        "READY=1\nSTATUS=polling {} address(es); page on {}",
        config.discovery.static_targets.len(),
        gateway
            .http_addr()
            .map_or_else(|| "no address".to_owned(), |a| a.to_string())
    );
    if let Err(e) = service_manager::notify(&status) {
        warn!(error = %e, "cannot tell systemd the gateway is ready");
    }
    super::signal::wait_for_stop().await;
    let _ = service_manager::notify("STOPPING=1\nSTATUS=stopping");
    watchdog.cancel();
    gateway.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// The store keys of what the page shows about provisioning and of the
/// last rejection told upstream.
pub const NOTICE_KEY: &str = "provisioning_notice";
const REPORTED_KEY: &str = "provisioning_reported";

/// Says what there is to say about provisioning: in the journal at every
/// start, on the page (the store's `provisioning_notice`), and upstream
/// once per rejected file (a `provisioning_rejected` event, sent when the
/// broker is reachable).
fn report_provisioning(config: &Config, path: &std::path::Path, store: &crate::store::Store) {
    use crate::config::provisioning;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let report = provisioning::read_report(dir);
    let notice = provisioning::notice(&config.gateway.id, report.as_ref());
    if let Some(text) = &notice {
        warn!("{text}");
    }
    if let Err(e) = store.meta_set(NOTICE_KEY, notice.as_deref().unwrap_or_default()) {
        warn!(error = %e, "cannot record the provisioning state");
    }
    let Some(report) = report.filter(provisioning::Report::rejected) else {
        return;
    };
    if store.meta_get(REPORTED_KEY).ok().flatten().as_deref() == Some(report.at.as_str()) {
        return;
    }
    let event = serde_json::json!({
        "event": "provisioning_rejected",
        "rejected_at": report.at,
        "error": report.error,
        "unprovisioned": provisioning::unprovisioned(&config.gateway.id),
    });
    match store.outbox_push(crate::store::OutboxKind::Event, &event, chrono::Utc::now()) {
        Ok(_) => {
            let _ = store.meta_set(REPORTED_KEY, &report.at);
        }
        Err(e) => warn!(error = %e, "cannot queue the provisioning report"),
    }
}

/// The store key of the earlier failures shown on the page.
pub const FAILURES_KEY: &str = "failures_notice";

/// Tells the failed stops systemd recorded before this start (see
/// `record-exit`): journal, page, and upstream as a `restarted_after_failure`
/// event. A good start clears the page's line.
fn report_earlier_failures(data_dir: &std::path::Path, store: &crate::store::Store) {
    let Some(failures) = super::record_exit::take(data_dir) else {
        let _ = store.meta_set(FAILURES_KEY, "");
        return;
    };
    let text = failures.describe();
    warn!("{text}");
    let _ = store.meta_set(FAILURES_KEY, &text);
    let event = serde_json::json!({
        "event": "restarted_after_failure",
        "failures": failures.count,
        "last_result": failures.result,
        "last_code": failures.code,
        "last_status": failures.status,
        "last_at": failures.at,
    });
    if let Err(e) = store.outbox_push(crate::store::OutboxKind::Event, &event, chrono::Utc::now()) {
        warn!(error = %e, "cannot queue the failure report");
    }
}

/// Turns a validated config into start-up settings.
pub fn settings_from(config: &Config) -> Result<Settings, ConfigError> {
    let mut credentials = vec![
        crate::credentials::to_client(&config.snmp.credentials).map_err(|p| {
            ConfigError::Invalid {
                key: "snmp".into(),
                problem: p,
            }
        })?,
    ];
    for (i, p) in config.printers.iter().enumerate() {
        if let Some(c) = &p.snmp {
            let c = crate::credentials::to_client(c).map_err(|problem| ConfigError::Invalid {
                key: format!("printers[{i}].snmp"),
                problem,
            })?;
            if !credentials.contains(&c) {
                credentials.push(c);
            }
        }
    }
    let targets = config
        .discovery
        .static_targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Target::parse(t, config.snmp.port).map_err(|e| ConfigError::Invalid {
                key: format!("discovery.static[{i}]"),
                problem: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Settings {
        gateway_id: config.gateway.id.clone(),
        db_path: config.gateway.data_dir.join("gateway.db"),
        poll_interval: config.gateway.poll_interval,
        max_concurrent_polls: config.gateway.max_concurrent_polls,
        outbox_max_bytes: config.gateway.outbox_max_mb << 20,
        readings_days: config.gateway.readings_days,
        housekeeping_every: std::time::Duration::from_secs(60),
        targets,
        credentials,
        poll_options: PollOptions {
            timeout: config.snmp.timeout,
            retries: config.snmp.retries,
            ..PollOptions::default()
        },
        mqtt: MqttSettings {
            host: config.mqtt.host.clone(),
            port: config.mqtt.port,
            client_id: config
                .mqtt
                .client_id
                .clone()
                .unwrap_or_else(|| config.gateway.id.clone()),
            username: config.mqtt.username.clone(),
            password: crate::config::link::password(&config.mqtt)?,
            keep_alive: config.mqtt.keep_alive,
            transport: crate::config::link::transport(&config.mqtt),
        },
        http: config.http.listen,
        admin_password_hash: config.http.admin_password_hash.clone(),
        metrics_public: config.http.metrics_public,
        http_tls: config.http.tls.then(|| {
            match (&config.http.tls_cert_file, &config.http.tls_key_file) {
                (Some(cert), Some(key)) => crate::web::tls::CertSource::Files {
                    cert: cert.clone(),
                    key: key.clone(),
                },
                _ => crate::web::tls::CertSource::SelfSigned {
                    dir: config.gateway.data_dir.clone(),
                },
            }
        }),
        engine: engine_config(config),
        assignments: config
            .printers
            .iter()
            .map(|p| Assignment {
                serial: p.serial.trim().to_string(),
                model: String::new(),
                site: p.site.clone(),
                contact: p.contact.clone(),
                excluded: p.excluded,
                protocol: p.protocol,
            })
            .collect(),
        default_assignment: config
            .gateway
            .default_site
            .clone()
            .zip(config.gateway.default_contact.clone()),
        clock: Arc::new(SystemClock::new(config.gateway.clock_sync_flag.clone())),
        tick_every: std::time::Duration::from_secs(60),
        mdns: config
            .discovery
            .mdns
            .then(asr_protocols::discovery::BrowseOptions::default),
        snmp_port: config.snmp.port,
        ipp_port: config.discovery.ipp_port,
        sweep: config
            .discovery
            .sweep
            .clone()
            .map(|cidr| (cidr, config.discovery.sweep_rate)),
        config: Some(config.clone()),
    })
}

/// The engine's policy from the `[engine]` section; ordering paused while
/// the box is not provisioned (see `config::provisioning`).
pub fn engine_config(config: &Config) -> EngineConfig {
    let e = &config.engine;
    EngineConfig {
        ordering_paused: crate::config::provisioning::unprovisioned(&config.gateway.id),
        lead_time_days: e.lead_time_days,
        horizon_days: e.horizon_days,
        supply_days: e.supply_days,
        silent_after_secs: i64::try_from(e.silent_after.as_secs()).unwrap_or(i64::MAX),
        order_hour_utc: e.order_hour_utc,
        ..EngineConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_section_reaches_the_engine() {
        let mut config = Config::default();
        config.gateway.id = "acme-01".into();
        config.engine = crate::config::EngineSection {
            lead_time_days: 7.0,
            order_hour_utc: 6,
            ..Default::default()
        };
        let c = engine_config(&config);
        assert_eq!((c.lead_time_days, c.order_hour_utc), (7.0, 6));
        assert_eq!(c.silent_after_secs, 24 * 3600);
        assert!(!c.ordering_paused);
        config.gateway.id = crate::config::provisioning::UNPROVISIONED_ID.into();
        assert!(
            engine_config(&config).ordering_paused,
            "nothing ordered unprovisioned"
        );
    }
}
