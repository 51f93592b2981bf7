//! Remote management: commands arriving over MQTT, already parsed and
//! validated by the uplink, carried out here. Each is answered through its
//! reply handle (`executing` → `successful` | `failed`), and its final
//! answer is recorded so a redelivered command is answered again rather
//! than run twice.

use std::sync::Arc;

use asr_cloud_sync::{
    Catalog, CatalogScope, Command, CommandAction, CommandResponse, CommandStatus, OrderState,
    OrderStatusUpdate, PrinterChanges,
};
use asr_engine::Event;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::catalog;
use super::engine_task::EngineInput;
use super::poller::PollerShared;
use super::scoped_credentials::{self, ScopedEntry};
use super::status_report;
use super::update_handover;
use crate::store::{
    CatalogOutcome, LineQuantity, OrderUpdate, OrderUpdateOutcome, OutboxKind, PrinterUpdate,
    Store, SupplierStatus,
};
use crate::web::PageChange;

/// What the handler works with.
pub(crate) struct Handler {
    pub store: Arc<Store>,
    pub engine: mpsc::Sender<EngineInput>,
    pub poller: Arc<PollerShared>,
    pub report: Arc<status_report::StatusReport>,
}

/// Handles commands until shutdown or until the uplink is gone.
pub(crate) async fn run(
    mut commands: mpsc::Receiver<Command>,
    handler: Arc<Handler>,
    shutdown: CancellationToken,
) {
    loop {
        let command = tokio::select! {
            c = commands.recv() => match c { Some(c) => c, None => return },
            () = shutdown.cancelled() => return,
        };
        handler.handle(command).await;
    }
}

/// Why a command failed, as the sender reads it.
type Outcome = Result<Option<Value>, String>;

impl Handler {
    async fn handle(&self, command: Command) {
        let key = format!("{}/{}", command.name, command.id);
        info!(id = %command.id, action = command.name, "remote command");
        // A catalogue is judged afresh each time against the one in use (its
        // version decides): an old answer replayed would say "successful"
        // for a version a newer one has since replaced.
        let judged_afresh = matches!(command.action, CommandAction::Catalog { .. });
        // Answered before (a redelivery after a restart): the same answer again.
        match self
            .blocking({
                let key = key.clone();
                move |store| {
                    if judged_afresh {
                        return Ok(None);
                    }
                    store.command_answer(&key).map_err(|e| e.to_string())
                }
            })
            .await
        {
            Ok(Some(answer)) => {
                if let Ok(mut response) = serde_json::from_value::<CommandResponse>(answer) {
                    info!(id = %command.id, "command already answered; answering again");
                    response.updated_at = chrono::Utc::now();
                    command.reply.replay(response);
                    return;
                }
            }
            Ok(None) => {}
            Err(e) => warn!(error = %e, "cannot read recorded command answers"),
        }
        if let CommandAction::Update(order) = command.action {
            return self.update(command.id, order, command.reply, key).await;
        }
        command.reply.executing();
        let outcome = self.execute(command.action).await;
        let response = match &outcome {
            Ok(result) => CommandResponse {
                result: result.clone(),
                ..CommandResponse::new(&command.id, CommandStatus::Successful)
            },
            Err(reason) => CommandResponse::failed(&command.id, reason.clone()),
        };
        if let Ok(value) = serde_json::to_value(&response)
            && !judged_afresh
        {
            let recorded = self
                .blocking(move |store| {
                    store
                        .record_command_answer(&key, &value, chrono::Utc::now())
                        .map_err(|e| e.to_string())
                })
                .await;
            if let Err(e) = recorded {
                warn!(error = %e, "cannot record a command answer");
            }
        }
        match outcome {
            Ok(result) => command.reply.successful(result),
            Err(reason) => {
                info!(id = %command.id, %reason, "command failed");
                command.reply.failed(reason);
            }
        }
    }

    async fn execute(&self, action: CommandAction) -> Outcome {
        match action {
            CommandAction::PollNow { serial } => {
                // Per-printer polling on demand would need the address of the
                // serial; polling everything is cheap and always right.
                if let Some(serial) = &serial {
                    self.known(serial).await?;
                }
                self.poller.poll_now.notify_waiters();
                Ok(Some(
                    json!({ "polling": serial.unwrap_or_else(|| "all".into()) }),
                ))
            }
            CommandAction::SetPrinter { serial, changes } => {
                self.set_printer(serial, changes).await
            }
            CommandAction::ForgetPrinter { serial } => {
                let key = serial.clone();
                let known = self
                    .blocking(move |store| store.forget_printer(&key).map_err(storage))
                    .await?;
                if !known {
                    return Err(format!("unknown printer serial {serial:?}"));
                }
                self.to_engine(Event::PrinterForgotten {
                    serial: serial.clone(),
                })
                .await;
                Ok(Some(json!({ "serial": serial, "forgotten": true })))
            }
            CommandAction::SetConfig { key, value } => self.set_config(key, value).await,
            CommandAction::GetConfig => {
                let live = &self.poller.live;
                Ok(Some(json!({
                    "config": crate::config::remote::redacted(&live.effective()),
                    "remote_keys": crate::config::remote::REMOTE_KEYS,
                    "overridden": live.override_keys(),
                })))
            }
            CommandAction::AckAlert { alert_id } => {
                let id = alert_id.clone();
                let now = self.poller.clock.now();
                let found = self
                    .blocking(move |store| store.ack_alert(&id, now).map_err(storage))
                    .await?;
                if found {
                    Ok(Some(json!({ "alert_id": alert_id, "acknowledged": true })))
                } else {
                    Err(format!("unknown alert id {alert_id:?}"))
                }
            }
            CommandAction::Rescan => {
                self.poller.rescan.notify_waiters();
                self.poller.poll_now.notify_waiters();
                Ok(Some(json!({ "rescan": "started" })))
            }
            CommandAction::GetStatus => {
                let report = self.report.clone();
                self.blocking(move |_| Ok(report.status())).await.map(Some)
            }
            CommandAction::GetDiagnostics => {
                let report = self.report.clone();
                self.blocking(move |_| Ok(report.diagnostics()))
                    .await
                    .map(Some)
            }
            CommandAction::OrderStatus(update) => self.order_status(update).await,
            CommandAction::Update(_) => Err("internal error: update is handed over".into()),
            CommandAction::Catalog { scope, catalog } => self.catalog(scope, *catalog).await,
        }
    }

    /// Hands an update over to the updater, which gives the final answer;
    /// a redelivery of the one in progress is left to it.
    async fn update(
        &self,
        id: String,
        order: asr_cloud_sync::UpdateOrder,
        reply: asr_cloud_sync::CommandReply,
        key: String,
    ) {
        let config = self.poller.live.effective();
        let data_dir = config.gateway.data_dir.clone();
        let now = self.poller.clock.now();
        let submitted = self
            .blocking({
                let id = id.clone();
                move |store| {
                    update_handover::import_outcomes(store, &config.gateway.data_dir);
                    if update_handover::is_in_progress(store, &id) {
                        return Ok(None);
                    }
                    update_handover::submit(store, &config, &id, order, now).map(Some)
                }
            })
            .await;
        match submitted {
            Ok(Some(_)) => {
                reply.executing();
                reply.hand_over();
                update_handover::watch(self.store.clone(), data_dir, id);
            }
            Ok(None) => {
                info!(%id, "update already handed over; the updater answers");
                reply.hand_over();
            }
            Err(reason) => {
                info!(%id, %reason, "update refused");
                let response = CommandResponse::failed(&id, reason.clone());
                if let Ok(value) = serde_json::to_value(&response) {
                    let _ = self
                        .blocking(move |store| {
                            store
                                .record_command_answer(&key, &value, chrono::Utc::now())
                                .map_err(|e| e.to_string())
                        })
                        .await;
                }
                reply.failed(reason);
            }
        }
    }

    async fn set_printer(&self, serial: String, c: PrinterChanges) -> Outcome {
        let current = self.known(&serial).await?;
        if let Some(protocol) = c.protocol.clone() {
            let key = protocol_key(&current.key);
            let stored = protocol.clone();
            self.blocking(move |store| store.meta_set(&key, &stored).map_err(storage))
                .await?;
            info!(printer = %current.key, %protocol, "printer protocol set");
            if c.only_protocol() {
                return Ok(Some(json!({ "serial": serial, "protocol": protocol })));
            }
        }
        let site = c.site.clone().or(current.site.clone()).unwrap_or_default();
        let contact = c
            .contact
            .clone()
            .or(current.contact.clone())
            .unwrap_or_default();
        let excluded = c.excluded.unwrap_or(current.excluded);
        if site.trim().is_empty() || contact.trim().is_empty() {
            return Err(format!(
                "printer {serial:?} has no {}: give both `site` and `contact`",
                if site.trim().is_empty() {
                    "site"
                } else {
                    "contact"
                }
            ));
        }
        let update = PrinterUpdate {
            site: c.site,
            contact: c.contact,
            postal_address: c.postal_address,
            contact_email: c.contact_email,
            contact_phone: c.contact_phone,
            excluded: c.excluded,
        };
        let key = serial.clone();
        let row = self
            .blocking(move |store| store.update_printer(&key, &update).map_err(storage))
            .await?
            .ok_or_else(|| format!("unknown printer serial {serial:?}"))?;
        self.to_engine(Event::PrinterAssigned {
            serial: serial.clone(),
            model: current.model.clone().unwrap_or_default(),
            site: site.clone(),
            contact: contact.clone(),
            excluded,
        })
        .await;
        Ok(Some(json!({
            "serial": serial,
            "site": site,
            "contact": contact,
            "postal_address": row.postal_address,
            "contact_email": row.contact_email,
            "contact_phone": row.contact_phone,
            "excluded": excluded,
        })))
    }

    async fn set_config(&self, key: String, value: Value) -> Outcome {
        self.set_configs(vec![(key.clone(), value.clone())]).await?;
        let shown = if crate::config::remote::is_secret(&key) {
            Value::String("<set>".into())
        } else {
            value
        };
        Ok(Some(json!({ "key": key, "value": shown, "applied": true })))
    }

    /// Applies several configuration keys at once: validated together,
    /// persisted, then applied live. Secrets are never logged.
    async fn set_configs(&self, changes: Vec<(String, Value)>) -> Result<(), String> {
        let live = self.poller.live.clone();
        let config = crate::config::remote::with_overrides(&live.effective(), &changes)
            .map_err(|e| e.to_string())?;
        let now = self.poller.clock.now();
        let stored = changes.clone();
        self.blocking(move |store| {
            stored
                .iter()
                .try_for_each(|(k, v)| store.set_config_override(k, v, now))
                .map_err(storage)
        })
        .await?;
        for (key, value) in changes {
            let effects = live.apply(config.clone(), &key, value.clone());
            if let Some(engine) = effects.engine {
                self.to_engine(Event::ConfigChanged(engine)).await;
            }
            let shown = if crate::config::remote::is_secret(&key) {
                Value::String("<set>".into())
            } else {
                value
            };
            info!(%key, value = %shown, "configuration changed");
        }
        Ok(())
    }

    /// Keeps a newer catalogue and hands its figures to the engine; an
    /// older one, or the same version with other content, is refused and the
    /// one in use stays.
    async fn catalog(&self, scope: CatalogScope, catalog: Catalog) -> Outcome {
        let at = self.poller.clock.now();
        let version = catalog.catalog_version;
        let entries = catalog.entries.len();
        let (outcome, kept) = self
            .blocking(move |store| {
                let outcome = store.save_catalog(scope, &catalog, at).map_err(storage)?;
                Ok((outcome, store.catalogs().map_err(storage)?))
            })
            .await?;
        let answer = json!({
            "scope": scope.as_str(),
            "catalog_version": version,
            "entries": entries,
        });
        match outcome {
            CatalogOutcome::Refused(reason) => Err(reason),
            CatalogOutcome::Unchanged => Ok(Some(json!({
                "scope": scope.as_str(),
                "catalog_version": version,
                "unchanged": true,
            }))),
            CatalogOutcome::Applied { previous_version } => {
                info!(
                    scope = scope.as_str(),
                    version,
                    ?previous_version,
                    entries,
                    "supplier catalogue in use"
                );
                let figures = catalog::engine_entries(&catalog::effective(&kept));
                self.engine
                    .send(EngineInput::Events(vec![Event::CatalogChanged {
                        entries: figures,
                    }]))
                    .await
                    .map_err(|_| "the engine has stopped".to_string())?;
                Ok(Some(answer))
            }
        }
    }

    async fn order_status(&self, u: OrderStatusUpdate) -> Outcome {
        let at = u.at.unwrap_or_else(|| self.poller.clock.now());
        let update = OrderUpdate {
            message_id: u.id.clone(),
            order_id: u.order_id.clone(),
            status: match u.status {
                OrderState::Accepted => SupplierStatus::Accepted,
                OrderState::Shipped => SupplierStatus::Shipped,
                OrderState::Delivered => SupplierStatus::Delivered,
                OrderState::Cancelled => SupplierStatus::Cancelled,
            },
            at,
            carrier: u.carrier.clone(),
            tracking: u.tracking.clone(),
            lines: u.lines.as_ref().map(|lines| {
                lines
                    .iter()
                    .map(|l| LineQuantity {
                        printer: l.printer.clone(),
                        supply_index: l.supply_index,
                        quantity: l.quantity,
                    })
                    .collect()
            }),
            payload: serde_json::to_value(&u).unwrap_or(Value::Null),
        };
        let outcome = self
            .blocking(move |store| store.apply_order_update(&update).map_err(storage))
            .await?;
        match outcome {
            OrderUpdateOutcome::Refused(reason) => Err(reason),
            OrderUpdateOutcome::Duplicate { status } => Ok(Some(json!({
                "order_id": u.order_id,
                "order_status": status.as_str(),
                "duplicate": true,
            }))),
            OrderUpdateOutcome::Applied {
                status,
                delivered,
                cancelled,
            } => {
                let mut events: Vec<Event> = delivered
                    .iter()
                    .map(|l| Event::Delivered {
                        order_id: u.order_id.clone(),
                        printer: l.printer.clone(),
                        supply_index: l.supply_index,
                        quantity: l.quantity,
                        at,
                    })
                    .collect();
                events.extend(cancelled.iter().map(|l| Event::Cancelled {
                    order_id: u.order_id.clone(),
                    printer: l.printer.clone(),
                    supply_index: l.supply_index,
                    quantity: l.quantity,
                    at,
                }));
                if !events.is_empty()
                    && self.engine.send(EngineInput::Events(events)).await.is_err()
                {
                    warn!("engine stopped; an order update did not reach it");
                }
                info!(order_id = %u.order_id, status = status.as_str(), "order status from the supplier");
                Ok(Some(json!({
                    "order_id": u.order_id,
                    "order_status": status.as_str(),
                    "delivered": delivered,
                    "cancelled": cancelled,
                })))
            }
        }
    }

    /// The stored printer with that serial, or a clear refusal: a typo
    /// must not create a phantom printer.
    /// A change asked for on the status page: checked like the remote
    /// command, carried out the same way (store, then engine), and told
    /// upstream as a `printer_updated` event.
    /// Queues an event for upstream (in SQLite before this returns).
    async fn publish_event(&self, event: Value) -> Result<(), String> {
        self.blocking(move |store| {
            store
                .outbox_push(OutboxKind::Event, &event, chrono::Utc::now())
                .map(|_| ())
                .map_err(storage)
        })
        .await
    }

    /// The settings page's view of the configuration in force.
    pub(crate) fn settings_view(&self) -> Result<crate::web::SettingsView, String> {
        let scoped = self.scoped_entries()?;
        Ok(super::settings_view::of(
            &self.poller.live.effective(),
            &scoped,
        ))
    }

    /// The stored scoped credentials (a damaged value reads as none).
    fn scoped_entries(&self) -> Result<Vec<ScopedEntry>, String> {
        let stored = self
            .store
            .meta_get(scoped_credentials::META_KEY)
            .map_err(storage)?;
        Ok(stored
            .map(|text| {
                scoped_credentials::decode(&text).unwrap_or_else(|e| {
                    warn!(error = %e, "stored SNMP credentials unreadable; ignored");
                    Vec::new()
                })
            })
            .unwrap_or_default())
    }

    /// Sets (`Some`) or removes (`None`) the credentials of one scope:
    /// checked, stored, applied to the next polls, told upstream without
    /// secrets.
    async fn change_scoped(
        &self,
        scope: String,
        credentials: Option<crate::config::SnmpCredentials>,
    ) -> Result<(), String> {
        let parsed = scoped_credentials::Scope::parse(&scope)?;
        if let Some(c) = &credentials {
            crate::credentials::to_client(c)?;
        }
        let mut entries = self.scoped_entries()?;
        let before = entries.len();
        entries.retain(|e| scoped_credentials::Scope::parse(&e.scope).ok() != Some(parsed));
        let action = match credentials {
            Some(credentials) => {
                if entries.len() >= scoped_credentials::MAX_ENTRIES {
                    return Err(format!(
                        "at most {} addresses or subnets have their own credentials",
                        scoped_credentials::MAX_ENTRIES
                    ));
                }
                entries.push(ScopedEntry {
                    scope: scope.trim().to_owned(),
                    credentials,
                });
                "set"
            }
            None if entries.len() == before => {
                return Err(format!("no credentials are set for {scope:?}"));
            }
            None => "removed",
        };
        let text = scoped_credentials::encode(&entries);
        self.blocking(move |store| {
            store
                .meta_set(scoped_credentials::META_KEY, &text)
                .map_err(storage)
        })
        .await?;
        self.poller
            .live
            .set_scoped(scoped_credentials::to_live(&entries));
        info!(%scope, action, "SNMP credentials for an address or subnet changed");
        self.publish_event(json!({
            "event": "snmp_credentials_changed",
            "source": "status_page",
            "scope": scope.trim(),
            "action": action,
        }))
        .await
    }

    pub(crate) async fn page_change(&self, change: PageChange) -> Result<(), String> {
        match change {
            PageChange::SetPrinter { serial, changes } => {
                changes.validate().map_err(|e| match e {
                    asr_cloud_sync::CommandError::Invalid { reason, .. } => reason,
                    other => other.to_string(),
                })?;
                let printer = self.set_printer(serial.clone(), changes).await?;
                self.publish_event(json!({
                    "event": "printer_updated",
                    "source": "status_page",
                    "serial": serial,
                    "printer": printer,
                }))
                .await
            }
            PageChange::ForgetPrinter { serial } => {
                self.execute(CommandAction::ForgetPrinter {
                    serial: serial.clone(),
                })
                .await?;
                self.publish_event(json!({
                    "event": "printer_forgotten",
                    "source": "status_page",
                    "serial": serial,
                }))
                .await
            }
            PageChange::SetScopedCredentials { scope, credentials } => {
                self.change_scoped(scope, Some(credentials)).await
            }
            PageChange::RemoveScopedCredentials { scope } => self.change_scoped(scope, None).await,
            PageChange::SetConfig { changes } => {
                if changes.is_empty() {
                    return Err("nothing to change".to_owned());
                }
                self.set_configs(changes.clone()).await?;
                let shown: serde_json::Map<String, Value> = changes
                    .into_iter()
                    .map(|(k, v)| {
                        let v = if crate::config::remote::is_secret(&k) {
                            Value::String("<set>".into())
                        } else {
                            v
                        };
                        (k, v)
                    })
                    .collect();
                self.publish_event(json!({
                    "event": "config_changed",
                    "source": "status_page",
                    "changes": shown,
                }))
                .await
            }
            PageChange::AckAlert { alert_id } => self
                .execute(CommandAction::AckAlert { alert_id })
                .await
                .map(|_| ()),
            PageChange::OrderNow {
                serial,
                supply_index,
                quantity,
            } => {
                if !(1..=10).contains(&quantity) {
                    return Err(format!("between 1 and 10 cartridges, not {quantity}"));
                }
                let printer = self.known(&serial).await?;
                if printer.excluded {
                    return Err(format!(
                        "printer {serial} is excluded from ordering: include it first"
                    ));
                }
                if printer.site.as_deref().is_none_or(|s| s.trim().is_empty())
                    || printer
                        .contact
                        .as_deref()
                        .is_none_or(|c| c.trim().is_empty())
                {
                    return Err(format!(
                        "printer {serial} has no site or contact to ship to: set them first"
                    ));
                }
                let key = printer.key.clone();
                let has_supply = self
                    .blocking(move |store| {
                        store
                            .supplies(&key)
                            .map(|s| s.iter().any(|s| s.index == supply_index))
                            .map_err(storage)
                    })
                    .await?;
                if !has_supply {
                    return Err(format!("printer {serial} has no supply {supply_index}"));
                }
                info!(%serial, supply_index, quantity, "manual order from the status page");
                self.to_engine(Event::ManualOrder {
                    printer: serial,
                    supply_index,
                    quantity,
                    // The gateway's clock (simulated in the demo and tests).
                    at: self.report.clock.now(),
                })
                .await;
                Ok(())
            }
        }
    }

    async fn known(&self, serial: &str) -> Result<crate::store::PrinterRow, String> {
        let key = serial.to_string();
        self.blocking(move |store| store.printer(&key).map_err(storage))
            .await?
            .ok_or_else(|| format!("unknown printer serial {serial:?}"))
    }

    async fn to_engine(&self, event: Event) {
        if self
            .engine
            .send(EngineInput::Events(vec![event]))
            .await
            .is_err()
        {
            warn!("engine stopped; a command's change did not reach it");
        }
    }

    /// Runs a store call on the blocking pool.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, String> + Send + 'static,
    ) -> Result<T, String> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| format!("internal error: {e}"))?
    }
}

fn storage(e: crate::store::StoreError) -> String {
    format!("storage error: {e}")
}

/// Where the protocol chosen for a printer (page, `set_printer`) is kept;
/// it wins over `[[printers]] protocol` in the file.
pub(crate) fn protocol_key(printer_key: &str) -> String {
    format!("protocol:{printer_key}")
}
