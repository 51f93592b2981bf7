//! Where the status page gets its data from.
//!
//! A trait rather than a concrete type so the web layer does not depend on the
//! store or the engine, and tests can serve fixed data.

use asr_cloud_sync::PrinterChanges;

use super::view::{AlertView, CatalogView, PrinterDetail, SettingsView, StatusView, SupplyLife};

/// A change asked for on the page.
#[derive(Debug, Clone, PartialEq)]
pub enum PageChange {
    /// Site, contact, shipping details or eligibility of one printer
    /// (validated like the remote `set_printer` command).
    SetPrinter {
        /// The printer's serial.
        serial: String,
        /// What changes.
        changes: PrinterChanges,
    },
    /// "Order one now": cartridges of one supply, with the next shipment of
    /// the printer's site and contact, marked `"reason": "manual"`.
    OrderNow {
        /// The printer's serial.
        serial: String,
        /// The supply's row index.
        supply_index: u32,
        /// Cartridges (1 to 10).
        quantity: u32,
    },
    /// A person saw an alert.
    AckAlert {
        /// The alert's id.
        alert_id: String,
    },
    /// Forgets a printer (record and history); it comes back as new if it
    /// still answers.
    ForgetPrinter {
        /// The printer's serial.
        serial: String,
    },
    /// SNMP credentials for one address or subnet (replacing those it had).
    SetScopedCredentials {
        /// `192.168.10.21` or `192.168.10.0/24`.
        scope: String,
        /// The credentials, as the configuration file writes them.
        credentials: crate::config::SnmpCredentials,
    },
    /// Drops the credentials of one address or subnet.
    RemoveScopedCredentials {
        /// As listed on the page.
        scope: String,
    },
    /// Configuration keys (the file's `<section>.<key>` names, those a
    /// remote `set_config` may change), validated and applied together.
    SetConfig {
        /// `(key, value)` pairs, in order.
        changes: Vec<(String, serde_json::Value)>,
    },
}

/// Produces a fresh snapshot for each request.
///
/// `snapshot` is synchronous because implementations typically read SQLite; the
/// server calls it on a blocking thread, with a timeout, so a slow or panicking
/// source yields a 503 page instead of stalling or crashing the server.
pub trait StatusSource: Send + Sync + 'static {
    /// The current status, or a message saying why it is unavailable
    /// (shown to the user on the 503 page).
    fn snapshot(&self) -> Result<StatusView, String>;

    /// One printer with its history, `None` when no printer has that serial.
    /// The default takes it from the snapshot, without history.
    fn printer(&self, serial: &str) -> Result<Option<PrinterDetail>, String> {
        let view = self.snapshot()?;
        Ok(view
            .printers
            .into_iter()
            .find(|p| p.serial == serial)
            .map(|printer| PrinterDetail {
                generated_at: view.generated_at,
                printer,
                history: Vec::new(),
                page_counts: Vec::new(),
                alerts: Vec::new(),
                orders: Vec::new(),
            }))
    }

    /// Why the database cannot be written (`full: …`, `read_only: …`,
    /// `error: …`), read without blocking; `None` when it can. The default
    /// has no database.
    fn storage_problem(&self) -> Option<String> {
        None
    }

    /// Recent alerts, newest first. The default has none.
    fn alerts(&self) -> Result<Vec<AlertView>, String> {
        Ok(Vec::new())
    }

    /// The settings in force, secrets only as set or not. The default has
    /// none to show.
    fn settings(&self) -> Result<SettingsView, String> {
        Err("settings are not available here".to_owned())
    }

    /// The supplier catalogues kept, this gateway's own first (build them
    /// with [`CatalogView::kept`]). The default has none, like a gateway
    /// the supplier has not sent one to yet.
    fn catalogs(&self) -> Result<Vec<CatalogView>, String> {
        Ok(Vec::new())
    }

    /// The cartridge life each supply of printer `serial` is forecast
    /// with, for the supplies whose forecast rests on one (build them with
    /// [`SupplyLife::of`]). The default knows none: the page then says
    /// nothing about lives rather than guess.
    fn supply_lives(&self, serial: &str) -> Result<Vec<SupplyLife>, String> {
        let _ = serial;
        Ok(Vec::new())
    }

    /// Carries out a change asked for on the page: persisted, applied live
    /// and told upstream before it returns. `Err` carries the reason shown
    /// to the user. The default refuses: a source without a gateway behind
    /// it has nothing to change.
    fn apply(&self, change: PageChange) -> Result<(), String> {
        let _ = change;
        Err("this page is read-only".to_owned())
    }
}
