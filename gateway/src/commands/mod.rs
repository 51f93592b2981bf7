//! One module per subcommand; each returns an exit code or a [`CommandError`].

pub mod apply_update;
pub mod bench;
pub mod bench_page;
pub mod bench_poll;
pub mod bench_uplink;
pub mod bench_writes;
pub mod check_config;
pub mod demo;
pub mod discover;
mod error;
pub mod hash_password;
pub mod poll;
mod proc_stats;
pub mod provision;
pub mod record_exit;
pub mod replay;
pub mod run;
mod signal;
pub mod sim;
pub mod sim_fleet;
pub mod update_key;
pub mod upstream;

pub use error::CommandError;
