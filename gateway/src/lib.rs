//! The ASR edge gateway.
//!
//! - [`cli`] — the command line.
//! - [`commands`] — one module per subcommand.
//! - [`config`] — the TOML configuration, environment overrides, validation.
//! - [`credentials`] — SNMP credentials from config to client.
//! - [`diagnostics`] — recent warnings, uptime and disk space for `get_diagnostics`.
//! - [`runtime`] — the live gateway: polling, engine thread, uplink, status page.
//! - [`store`] — the SQLite database.
//! - [`target`] — printer addresses as operators write them.
//! - [`web`] — the status page.

pub mod cli;
pub mod commands;
pub mod config;
pub mod credentials;
pub mod diagnostics;
pub mod runtime;
pub mod service_manager;
pub mod store;
pub mod target;
pub mod update;
pub mod web;
