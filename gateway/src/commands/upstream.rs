//! `asr-gateway upstream`: the reference consumer a supplier runs (see
//! `asr_cloud_sync::consumer`). Arguments are checked before anything
//! connects; it runs until Ctrl-C or SIGTERM and prints what it processed.

use std::process::ExitCode;
use std::time::Duration;

use asr_cloud_sync::consumer::{self, BrokerUrl, CatalogSettings, ConsumerConfig, ConsumerStats};
use asr_cloud_sync::{
    CaSource, Catalog, Credentials, OrderState, TlsSettings, TransportSettings, parse_catalog,
};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::info;

use super::CommandError;
use super::signal::wait_for_stop;
use crate::cli::UpstreamArgs;

/// Statuses a consumer may answer every order with.
const ANSWERS: [OrderState; 3] = [
    OrderState::Accepted,
    OrderState::Shipped,
    OrderState::Delivered,
];

/// Fewest seconds between catalogue publications: faster would make every
/// gateway rewrite its catalogue for each lives report.
const MIN_CATALOG_EVERY: f64 = 1.0;

/// Checks the arguments, then consumes until stopped.
pub async fn run(args: UpstreamArgs) -> Result<ExitCode, CommandError> {
    let config = config_from(&args)?;
    let (stats_tx, mut stats_rx) = watch::channel(ConsumerStats::default());
    let shutdown = CancellationToken::new();
    let mut task = tokio::spawn(consumer::run(config, stats_tx, shutdown.clone()));
    let report = tokio::spawn(async move {
        let mut last = ConsumerStats::default();
        while stats_rx.changed().await.is_ok() {
            let now = stats_rx.borrow_and_update().clone();
            if now.connected != last.connected {
                info!(connected = now.connected, error = ?now.last_error, "broker link");
            }
            last = now;
        }
        last
    });
    // Runs until a signal, or until the consumer gives up on its own (its
    // ledger or output file cannot be opened).
    let outcome = tokio::select! {
        () = wait_for_stop() => {
            shutdown.cancel();
            (&mut task).await
        }
        ended = &mut task => ended,
    };
    outcome
        .map_err(|e| CommandError::Runtime(e.to_string()))?
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    let stats = report.await.unwrap_or_default();
    println!(
        "{}",
        serde_json::json!({
            "received": stats.received,
            "orders": stats.orders,
            "alerts": stats.alerts,
            "duplicates": stats.duplicates,
            "malformed": stats.malformed,
            "responded": stats.responded,
            "lives_reports": stats.lives_reports,
            "catalogs_published": stats.catalogs_published,
            "catalog_version": stats.catalog_version,
        })
    );
    Ok(ExitCode::SUCCESS)
}

/// The consumer's configuration from the command line, or a usage error.
pub fn config_from(args: &UpstreamArgs) -> Result<ConsumerConfig, CommandError> {
    let url = BrokerUrl::parse(&args.broker).map_err(|e| CommandError::Usage(e.to_string()))?;
    let respond = match args.respond.as_deref() {
        None => None,
        Some(name) => Some(
            OrderState::parse(name)
                .filter(|s| ANSWERS.contains(s))
                .ok_or_else(|| {
                    CommandError::Usage(format!(
                        "--respond {name:?}: expected accepted, shipped or delivered"
                    ))
                })?,
        ),
    };
    if args.ca_file.is_some() && !url.tls {
        return Err(CommandError::Usage(
            "--ca-file needs an mqtts:// or wss:// broker".into(),
        ));
    }
    let transport = TransportSettings {
        carrier: url.carrier.clone(),
        tls: url.tls.then(|| TlsSettings {
            ca: args
                .ca_file
                .clone()
                .map_or(CaSource::System, CaSource::File),
            client_identity: None,
        }),
    };
    transport
        .prepare(&url.host, url.port)
        .map_err(|e| CommandError::Usage(e.to_string()))?;
    let credentials = match (&args.username, &args.password_file) {
        (Some(username), file) => Some(Credentials {
            username: username.clone(),
            password: match file {
                Some(path) => std::fs::read_to_string(path)
                    .map_err(|e| {
                        CommandError::Usage(format!("--password-file {}: {e}", path.display()))
                    })?
                    .trim_end_matches(['\r', '\n'])
                    .to_string(),
                None => String::new(),
            },
        }),
        (None, Some(_)) => {
            return Err(CommandError::Usage(
                "--password-file needs --username".into(),
            ));
        }
        (None, None) => None,
    };
    let catalog = catalog_settings(args)?;
    let client_id = args.client_id.clone().unwrap_or_else(|| {
        let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
        let seed = format!(
            "{}|{}|{}",
            host.trim(),
            args.db.display(),
            args.out
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        format!("asr-upstream-{}-{:08x}", args.group, fnv32(&seed))
    });
    Ok(ConsumerConfig {
        host: url.host,
        port: url.port,
        transport,
        credentials,
        group: args.group.clone(),
        client_id,
        ledger: args.db.clone(),
        out: args.out.clone(),
        respond,
        session_expiry: Duration::from_secs(7 * 24 * 3600),
        catalog,
    })
}

/// The catalogue settings, the base catalogue read and validated now so a
/// bad file is a usage error before anything connects.
fn catalog_settings(args: &UpstreamArgs) -> Result<CatalogSettings, CommandError> {
    let min_interval = Duration::try_from_secs_f64(args.catalog_every)
        .ok()
        .filter(|_| args.catalog_every >= MIN_CATALOG_EVERY)
        .ok_or_else(|| {
            CommandError::Usage(format!(
                "--catalog-every {}: expected a number of seconds, at least {MIN_CATALOG_EVERY}",
                args.catalog_every
            ))
        })?;
    let base = match &args.catalog {
        Some(path) => Some(read_catalog(path)?),
        None => None,
    };
    Ok(CatalogSettings {
        enabled: !args.no_catalog,
        base,
        min_interval,
    })
}

fn read_catalog(path: &std::path::Path) -> Result<Catalog, CommandError> {
    let bad =
        |reason: String| CommandError::Usage(format!("--catalog {}: {reason}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    parse_catalog(&bytes).map_err(|e| bad(e.to_string()))
}

/// A short stable digest (FNV-1a) for default client ids.
fn fnv32(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}
