//! The local status page for the customer's IT staff, in French and English:
//! printers, supply levels, forecasts and orders, served over HTTP on the LAN.
//!
//! The runtime fills a [`StatusView`] through a [`StatusSource`]; this module
//! renders it (`GET /`), exposes it as JSON (`GET /api/status`) and answers a
//! liveness probe (`GET /healthz`). See `routes` for the exact HTTP contract.

mod admin_routes;
mod alerts_page;
pub mod api;
pub mod auth;
mod catalog_card;
mod chart;
mod counter_chart;
mod error;
mod format;
mod html;
mod i18n;
mod life_section;
pub mod limits;
mod metrics;
pub(crate) mod overview_table;
pub(crate) mod page;
pub(crate) mod printer_page;
mod registration_page;
mod routes;
mod server;
mod settings_page;
mod source;
pub mod tls;
mod view;
mod view_build;

pub use auth::Auth;
pub use error::WebError;
pub use i18n::Lang;
pub use routes::{SNAPSHOT_TIMEOUT, router};
pub use server::{WebServer, serve};
pub use source::{PageChange, StatusSource};
pub use view::{
    AlertView, CatalogView, CloudView, HealthView, OrderLineView, OrderView, PrinterDetail,
    PrinterView, Registration, ScopedCredentialsView, SettingsView, StatusView, SupplyHistory,
    SupplyLife, SupplyView, UplinkView,
};
