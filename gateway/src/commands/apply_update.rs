//! `asr-gateway apply-update`: the updater. Run as root by
//! `asr-gateway-update.service` when the gateway leaves a request; never
//! by the gateway itself, so the process that reports the outcome is not
//! the one being replaced.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use asr_cloud_sync::{CommandId, CommandName, CommandResponse, Topic, publish_retained};
use tracing::{info, warn};

use super::CommandError;
use crate::cli::ApplyUpdateArgs;
use crate::update::apply::Updater;
use crate::update::download::HttpsFetch;
use crate::update::handover::{self, UpdateOutcome};
use crate::update::health::HttpHealth;
use crate::update::signing;
use crate::update::system::Dpkg;

/// How long the outcome is offered to the broker before only the outcome
/// file (recorded and told by the gateway) carries it.
const PUBLISH_FOR: Duration = Duration::from_secs(60);

pub async fn run(args: ApplyUpdateArgs) -> Result<ExitCode, CommandError> {
    // reqwest is built without a default crypto provider: ring, as rustls
    // everywhere else in the gateway.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = crate::config::load(&args.config, std::env::vars())?;
    let data_dir = config.gateway.data_dir.clone();
    let request_path = args
        .request
        .clone()
        .unwrap_or_else(|| handover::request_path(&data_dir));
    if !request_path.exists() {
        info!(path = %request_path.display(), "no update request; nothing to do");
        return Ok(ExitCode::SUCCESS);
    }
    std::fs::create_dir_all(&args.work_dir)?;
    // Taken first, so the path unit does not start us again for it, and a
    // request the gateway writes meanwhile waits for the next run.
    let taken = args.work_dir.join("request.json");
    std::fs::copy(&request_path, &taken)?;
    std::fs::remove_file(&request_path)?;
    let request = match handover::read_request(&taken) {
        Ok(r) => r,
        Err(e) => {
            // Without a command id there is nobody to answer.
            warn!(error = %e, "unreadable update request dropped");
            let _ = std::fs::remove_file(&taken);
            return Err(CommandError::Usage(e.to_string()));
        }
    };
    info!(id = %request.command_id, version = %request.order.version, "update request taken");

    let response = match updater(&args, &config) {
        Ok(updater) => updater.apply(&request).await,
        Err(reason) => CommandResponse::failed(&request.command_id, reason),
    };
    let outcome = UpdateOutcome {
        command_id: request.command_id.clone(),
        response,
    };
    match handover::write_outcome(&data_dir, &outcome) {
        Ok(path) => give_to_gateway(&path, &handover::update_dir(&data_dir)),
        Err(e) => warn!(error = %e, "cannot leave the outcome for the gateway"),
    }
    publish(&config, &outcome).await;
    let _ = std::fs::remove_file(&taken);
    Ok(match outcome.response.status {
        asr_cloud_sync::CommandStatus::Successful => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    })
}

fn updater(
    args: &ApplyUpdateArgs,
    config: &crate::config::Config,
) -> Result<Updater<Dpkg, HttpHealth, HttpsFetch>, String> {
    let keys = signing::read_public_keys(&config.update.key_file).map_err(|e| e.to_string())?;
    let listen = config
        .http
        .listen
        .ok_or("the status page is off (http.listen): health cannot be confirmed")?;
    let mut system = Dpkg {
        root: args.dpkg_root.clone(),
        ..Dpkg::default()
    };
    if let Some(command) = &args.restart_command {
        system.restart_command = command.split_whitespace().map(str::to_string).collect();
    }
    Ok(Updater {
        system,
        health: HttpHealth::new(listen, config.http.tls)?,
        fetch: HttpsFetch::new(args.ca_file.as_ref().or(config.update.ca_file.as_ref()))?,
        keys,
        work_dir: args.work_dir.clone(),
        poll_every: Duration::from_secs(2),
        healthy_in_a_row: 3,
    })
}

/// The outcome file belongs to the owner of the hand-over directory (the
/// gateway's user), so the gateway can remove it once recorded.
fn give_to_gateway(path: &Path, dir: &Path) {
    use std::os::unix::fs::MetadataExt as _;
    if let Ok(meta) = std::fs::metadata(dir) {
        let _ = std::os::unix::fs::chown(path, Some(meta.uid()), Some(meta.gid()));
    }
}

/// The outcome on the command's result topic, retained, from this process.
async fn publish(config: &crate::config::Config, outcome: &UpdateOutcome) {
    let settings = match super::run::settings_from(config) {
        Ok(s) => s,
        Err(e) => return warn!(error = %e, "cannot publish the outcome"),
    };
    let uplink = match crate::runtime::uplink_config(&settings.mqtt, &settings.gateway_id) {
        Ok(u) => u,
        Err(e) => return warn!(error = %e, "cannot publish the outcome"),
    };
    let (Ok(name), Ok(id)) = (
        CommandName::new("update"),
        CommandId::new(outcome.command_id.clone()),
    ) else {
        return warn!(id = %outcome.command_id, "the command id is not a topic segment");
    };
    let topic = Topic::CommandResponse { name, id };
    let started = tokio::time::Instant::now();
    let mut wait = Duration::from_secs(1);
    loop {
        let left = PUBLISH_FOR.saturating_sub(started.elapsed());
        match publish_retained(
            &uplink,
            "updater",
            &topic,
            outcome.response.to_json(),
            left.min(Duration::from_secs(15)),
        )
        .await
        {
            Ok(()) => return info!(id = %outcome.command_id, "update outcome published"),
            Err(e) if started.elapsed() + wait < PUBLISH_FOR => {
                warn!(error = %e, "cannot publish the update outcome yet");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
            }
            Err(e) => {
                return warn!(
                    error = %e,
                    "update outcome not published; the gateway tells it when it connects"
                );
            }
        }
    }
}
