//! The settings that can change while the gateway runs (`set_config`):
//! the effective configuration, and the values the pollers read before
//! each poll. One place holds them so a remote change reaches every task
//! at once without a restart.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use asr_engine::EngineConfig;
use asr_protocols::snmp::{Credentials, PollOptions};
use tokio::sync::watch;

use super::clock::Clock;
use super::scoped_credentials::Scope;
use crate::config::Config;

/// Shortest real time between two polls of one printer, whatever the
/// configuration and the demo's clock speed say.
const MIN_REAL_POLL: Duration = Duration::from_millis(250);

/// What a remote change asks the rest of the gateway to do.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Effects {
    /// The engine's policy changed: send it as `ConfigChanged`.
    pub engine: Option<EngineConfig>,
}

pub(crate) struct LiveConfig {
    clock: Arc<dyn Clock>,
    effective: RwLock<Config>,
    /// Keys set remotely, with their values (secrets included: never shown).
    overrides: RwLock<BTreeMap<String, serde_json::Value>>,
    poll_interval: watch::Sender<Duration>,
    credentials: RwLock<Arc<Vec<Credentials>>>,
    /// Credentials for an address or subnet, most specific first.
    scoped: RwLock<Arc<Vec<(Scope, Credentials)>>>,
    poll_options: RwLock<PollOptions>,
}

impl LiveConfig {
    /// Starts from what the gateway was started with.
    pub fn new(
        base: Config,
        clock: Arc<dyn Clock>,
        poll_interval: Duration,
        credentials: Vec<Credentials>,
        poll_options: PollOptions,
    ) -> Self {
        Self {
            clock,
            effective: RwLock::new(base),
            overrides: RwLock::new(BTreeMap::new()),
            poll_interval: watch::Sender::new(poll_interval),
            credentials: RwLock::new(Arc::new(credentials)),
            scoped: RwLock::new(Arc::new(Vec::new())),
            poll_options: RwLock::new(poll_options),
        }
    }

    /// The configuration in force (file, then remote changes).
    pub fn effective(&self) -> Config {
        self.effective
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Keys changed remotely.
    pub fn override_keys(&self) -> Vec<String> {
        self.overrides
            .read()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Real time between two polls of one printer.
    pub fn poll_interval(&self) -> Duration {
        *self.poll_interval.borrow()
    }

    /// Follows the poll interval.
    pub fn watch_poll_interval(&self) -> watch::Receiver<Duration> {
        self.poll_interval.subscribe()
    }

    /// Credentials tried in order on a printer.
    pub fn credentials(&self) -> Arc<Vec<Credentials>> {
        self.credentials
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Credentials tried in order on the printer at `ip`: those set for
    /// its address or subnet first (most specific first), then the others.
    pub fn credentials_for(&self, ip: IpAddr) -> Arc<Vec<Credentials>> {
        let scoped = self
            .scoped
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|p| p.into_inner().clone());
        let general = self.credentials();
        if scoped.is_empty() {
            return general;
        }
        let mut list: Vec<Credentials> = scoped
            .iter()
            .filter(|(scope, _)| scope.contains(ip))
            .map(|(_, c)| c.clone())
            .collect();
        if list.is_empty() {
            return general;
        }
        list.extend(general.iter().cloned());
        Arc::new(list)
    }

    /// Replaces the scoped credentials (already checked).
    pub fn set_scoped(&self, mut scoped: Vec<(Scope, Credentials)>) {
        scoped.sort_by_key(|(scope, _)| std::cmp::Reverse(scope.prefix()));
        if let Ok(mut s) = self.scoped.write() {
            *s = Arc::new(scoped);
        }
    }

    /// Timeouts and retries of a poll.
    pub fn poll_options(&self) -> PollOptions {
        self.poll_options
            .read()
            .map(|o| o.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Makes `config` (already validated, `key` changed to `value`) the
    /// effective configuration and applies what changed.
    pub fn apply(&self, config: Config, key: &str, value: serde_json::Value) -> Effects {
        let previous = self.effective();
        if let Ok(mut o) = self.overrides.write() {
            o.insert(key.to_string(), value);
        }
        let mut effects = Effects::default();
        if config.gateway.poll_interval != previous.gateway.poll_interval {
            let real = self
                .clock
                .real_duration(config.gateway.poll_interval)
                .max(MIN_REAL_POLL);
            self.poll_interval.send_replace(real);
        }
        if config.engine != previous.engine {
            effects.engine = Some(crate::commands::run::engine_config(&config));
        }
        if config.snmp.credentials != previous.snmp.credentials {
            // The default credentials come first; per-printer ones follow.
            if let Ok(default) = crate::credentials::to_client(&config.snmp.credentials)
                && let Ok(mut list) = self.credentials.write()
            {
                let mut next: Vec<Credentials> = vec![default];
                next.extend(list.iter().skip(1).cloned());
                *list = Arc::new(next);
            }
        }
        if (config.snmp.timeout != previous.snmp.timeout
            || config.snmp.retries != previous.snmp.retries)
            && let Ok(mut o) = self.poll_options.write()
        {
            o.timeout = config.snmp.timeout;
            o.retries = config.snmp.retries;
        }
        if let Ok(mut e) = self.effective.write() {
            *e = config;
        }
        effects
    }
}
