//! Remote management: commands arriving over MQTT, already parsed and
//! validated by the uplink, carried out here. Each is answered through its
//! reply handle (`executing` → `successful` | `failed`).

use std::sync::Arc;

use asr_cloud_sync::{Command, CommandAction};
use asr_engine::Event;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::info;

use super::engine_task::EngineInput;
use super::poller::PollerShared;
use crate::store::Store;

/// Handles commands until shutdown or until the uplink is gone.
pub(crate) async fn run(
    mut commands: mpsc::Receiver<Command>,
    store: Arc<Store>,
    engine: mpsc::Sender<EngineInput>,
    poller: Arc<PollerShared>,
    shutdown: CancellationToken,
) {
    loop {
        let command = tokio::select! {
            c = commands.recv() => match c { Some(c) => c, None => return },
            () = shutdown.cancelled() => return,
        };
        info!(id = %command.id.as_str(), action = command.action.name(), "remote command");
        command.reply.executing();
        match command.action {
            CommandAction::PollNow { serial } => {
                // Per-printer polling on demand would need the address of the
                // serial; polling everything is cheap and always right.
                poller.poll_now.notify_waiters();
                command.reply.successful(Some(
                    json!({ "polling": serial.unwrap_or_else(|| "all".into()) }),
                ));
            }
            CommandAction::SetPrinter {
                serial,
                site,
                contact,
                excluded,
            } => {
                let result = set_printer(&store, &serial, site, contact, excluded).await;
                match result {
                    Ok(event) => {
                        let _ = engine.send(EngineInput::Events(vec![event])).await;
                        command.reply.successful(Some(json!({ "serial": serial })));
                    }
                    Err(reason) => command.reply.failed(reason),
                }
            }
            CommandAction::SetConfig { key, .. } => {
                command.reply.failed(format!(
                    "set_config: key `{key}` cannot be changed remotely yet; edit the configuration file"
                ));
            }
        }
    }
}

/// Updates the assignment of a known printer; unknown serials are refused so
/// a typo does not create a phantom printer.
async fn set_printer(
    store: &Arc<Store>,
    serial: &str,
    site: Option<String>,
    contact: Option<String>,
    excluded: Option<bool>,
) -> Result<Event, String> {
    let store = store.clone();
    let serial = serial.to_string();
    tokio::task::spawn_blocking(move || {
        let current = store
            .printer(&serial)
            .map_err(|e| format!("storage error: {e}"))?
            .ok_or_else(|| format!("unknown printer serial {serial:?}"))?;
        let site = site.unwrap_or(current.site.clone().unwrap_or_default());
        let contact = contact.unwrap_or(current.contact.clone().unwrap_or_default());
        let excluded = excluded.unwrap_or(current.excluded);
        if site.trim().is_empty() || contact.trim().is_empty() {
            return Err("site and contact must both be set for a printer".to_string());
        }
        store
            .assign_printer(&serial, Some(&site), Some(&contact), excluded)
            .map_err(|e| format!("storage error: {e}"))?;
        Ok(Event::PrinterAssigned {
            serial: serial.clone(),
            model: current.model.clone().unwrap_or_default(),
            site,
            contact,
            excluded,
        })
    })
    .await
    .map_err(|e| format!("internal error: {e}"))?
}
