//! The update procedure, step by step, each failure leaving a gateway that
//! runs: nothing is installed before the package is downloaded, signed by
//! a trusted key and named right; a copy of the installed package is kept
//! beforehand so a new version that does not come up healthy within the
//! timeout is replaced by the old one again.

use std::path::{Path, PathBuf};
use std::time::Duration;

use asr_cloud_sync::{CommandResponse, CommandStatus};
use serde_json::json;
use tokio::time::Instant;
use tracing::{info, warn};

use super::download::Fetch;
use super::handover::UpdateRequest;
use super::health::HealthProbe;
use super::signing::{PublicKey, verify};
use super::system::{PACKAGE, PackageSystem};

/// The kept copy of the installed package: what a rollback reinstalls.
pub const INSTALLED_COPY: &str = "installed.deb";
/// The copy before that, kept for a manual downgrade.
pub const PREVIOUS_COPY: &str = "previous.deb";
const DOWNLOAD: &str = "download.deb";

/// Everything the procedure works with.
pub struct Updater<S, H, F> {
    pub system: S,
    pub health: H,
    pub fetch: F,
    /// Packages must be signed by one of these.
    pub keys: Vec<PublicKey>,
    /// Root's own directory (not writable by the gateway): downloads and
    /// the kept packages.
    pub work_dir: PathBuf,
    /// Time between two health questions.
    pub poll_every: Duration,
    /// Healthy answers in a row that make a start good.
    pub healthy_in_a_row: u32,
}

impl<S: PackageSystem, H: HealthProbe, F: Fetch> Updater<S, H, F> {
    /// Carries out `request`; the final answer of its command.
    pub async fn apply(&self, request: &UpdateRequest) -> CommandResponse {
        let id = &request.command_id;
        match self.run(request).await {
            Ok(result) => CommandResponse {
                result: Some(result),
                ..CommandResponse::new(id, CommandStatus::Successful)
            },
            Err(reason) => CommandResponse::failed(id, reason),
        }
    }

    async fn run(&self, request: &UpdateRequest) -> Result<serde_json::Value, String> {
        let order = &request.order;
        let timeout = Duration::from_secs(order.health_timeout_seconds);
        let installed = self.system.installed_version().await?.ok_or_else(|| {
            format!("the {PACKAGE} package is not installed; nothing was changed")
        })?;
        let kept = self.work_dir.join(INSTALLED_COPY);
        self.check_rollback_copy(&kept, &installed).await?;

        info!(url = %order.url, version = %order.version, "downloading the update");
        let download = self.work_dir.join(DOWNLOAD);
        let _ = std::fs::remove_file(&download);
        let size = self.fetch.fetch(&order.url, &download).await?;
        let bytes = std::fs::read(&download)
            .map_err(|e| format!("cannot read the download {}: {e}", download.display()))?;
        if !verify(&self.keys, &bytes, &order.signature) {
            let _ = std::fs::remove_file(&download);
            return Err(format!(
                "the package at {} is not signed by a trusted key; nothing was installed",
                order.url
            ));
        }
        drop(bytes);
        let info = self.system.inspect(&download).await?;
        let arch = self.system.architecture().await?;
        if info.name != PACKAGE
            || info.version != order.version
            || !(info.architecture == arch || info.architecture == "all")
        {
            let _ = std::fs::remove_file(&download);
            return Err(format!(
                "the package is {} {} for {}, not {PACKAGE} {} for {arch}; nothing was installed",
                info.name, info.version, info.architecture, order.version
            ));
        }

        info!(from = %installed, to = %order.version, bytes = size, "installing the update");
        if let Err(e) = self.system.install(&download).await {
            // dpkg may have stopped half-way: put the known-good one back.
            let back = self.reinstall(&kept, &installed, timeout).await;
            return Err(format!(
                "installing {} failed: {e}; {}",
                order.version,
                describe_rollback(&installed, back)
            ));
        }
        if let Err(e) = self.system.restart().await {
            warn!(error = %e, "restart after the install failed; health decides");
        }
        match self.wait_healthy(&order.version, timeout).await {
            Ok(after) => {
                self.keep(&kept, &download);
                info!(from = %installed, to = %order.version, seconds = after.as_secs(), "update healthy");
                Ok(json!({
                    "from": installed,
                    "to": order.version,
                    "healthy_after_seconds": after.as_secs(),
                }))
            }
            Err(last) => {
                warn!(version = %order.version, %last, "the update is not healthy; rolling back");
                let back = self.reinstall(&kept, &installed, timeout).await;
                let _ = std::fs::remove_file(&download);
                Err(format!(
                    "{} did not come up healthy within {} s ({last}); {}",
                    order.version,
                    timeout.as_secs(),
                    describe_rollback(&installed, back)
                ))
            }
        }
    }

    /// A rollback needs the installed version's package at hand.
    async fn check_rollback_copy(&self, kept: &Path, installed: &str) -> Result<(), String> {
        let no_copy = |why: String| {
            format!(
                "cannot roll back: {why}; nothing was changed (put the installed package, \
                 version {installed}, at {})",
                kept.display()
            )
        };
        if !kept.exists() {
            return Err(no_copy(format!("{} is missing", kept.display())));
        }
        let info = self.system.inspect(kept).await.map_err(no_copy)?;
        if info.name != PACKAGE || info.version != installed {
            return Err(no_copy(format!(
                "{} holds {} {}",
                kept.display(),
                info.name,
                info.version
            )));
        }
        Ok(())
    }

    async fn reinstall(
        &self,
        kept: &Path,
        installed: &str,
        timeout: Duration,
    ) -> Result<Duration, String> {
        self.system.install(kept).await?;
        if let Err(e) = self.system.restart().await {
            warn!(error = %e, "restart after the rollback failed; health decides");
        }
        self.wait_healthy(installed, timeout).await
    }

    /// Waits until the gateway of package `version` reports healthy several
    /// times in a row; how long it took, or the last problem seen.
    async fn wait_healthy(&self, version: &str, timeout: Duration) -> Result<Duration, String> {
        let version = upstream_version(version);
        let started = Instant::now();
        let mut in_a_row = 0;
        let mut last = "no answer yet".to_string();
        loop {
            match self.health.check().await {
                Ok(running) if running == version => {
                    in_a_row += 1;
                    if in_a_row >= self.healthy_in_a_row {
                        return Ok(started.elapsed());
                    }
                }
                Ok(running) => {
                    in_a_row = 0;
                    last = format!("version {running} is running, not {version}");
                }
                Err(e) => {
                    in_a_row = 0;
                    last = e;
                }
            }
            if started.elapsed() >= timeout {
                return Err(last);
            }
            tokio::time::sleep(self.poll_every).await;
        }
    }

    /// The new package becomes the kept one, the old one the previous.
    fn keep(&self, kept: &Path, download: &Path) {
        let previous = self.work_dir.join(PREVIOUS_COPY);
        if let Err(e) = std::fs::rename(kept, &previous) {
            warn!(error = %e, "cannot keep the previous package");
        }
        if let Err(e) = std::fs::rename(download, kept) {
            warn!(error = %e, "cannot keep the installed package: the next update will refuse");
        }
    }
}

/// The program's own version inside a Debian package version: without the
/// epoch (`1:`) and the Debian revision (`-1`), as the binary reports it.
pub fn upstream_version(package_version: &str) -> &str {
    let without_epoch = package_version
        .split_once(':')
        .map_or(package_version, |(_, rest)| rest);
    without_epoch
        .rsplit_once('-')
        .map_or(without_epoch, |(upstream, _)| upstream)
}

fn describe_rollback(installed: &str, back: Result<Duration, String>) -> String {
    match back {
        Ok(after) => format!(
            "rolled back to {installed}, healthy again after {} s",
            after.as_secs()
        ),
        Err(e) => format!("the rollback to {installed} failed too: {e}"),
    }
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
