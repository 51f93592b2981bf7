//! The machine side of an update: what is installed, what a package holds,
//! installing it and restarting the service. Behind a trait so the
//! procedure in `apply` is tested step by step with a fake, and run for
//! real with dpkg and systemd (or, in tests, dpkg on a scratch root and a
//! script that restarts a gateway process).

use std::path::{Path, PathBuf};

use tokio::process::Command;

/// The package the gateway ships in.
pub const PACKAGE: &str = "asr-gateway";

/// The fields of a `.deb` the updater checks before installing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageInfo {
    pub name: String,
    pub version: String,
    pub architecture: String,
}

/// What the updater needs from the machine.
pub trait PackageSystem {
    /// The installed version of the gateway's package, if any.
    fn installed_version(&self) -> impl Future<Output = Result<Option<String>, String>> + Send;
    /// The machine's package architecture (`arm64`, `amd64`).
    fn architecture(&self) -> impl Future<Output = Result<String, String>> + Send;
    /// The control fields of the package file at `path`.
    fn inspect(&self, path: &Path) -> impl Future<Output = Result<PackageInfo, String>> + Send;
    /// Installs the package file at `path` (upgrade or downgrade).
    fn install(&self, path: &Path) -> impl Future<Output = Result<(), String>> + Send;
    /// Restarts the gateway service so the installed binary runs.
    fn restart(&self) -> impl Future<Output = Result<(), String>> + Send;
}

/// dpkg for packages, a command (by default `systemctl restart`) for the
/// service.
#[derive(Debug, Clone)]
pub struct Dpkg {
    /// Another root than `/` (tests): dpkg's `--root`, without maintainer
    /// scripts run in a chroot.
    pub root: Option<PathBuf>,
    /// The restart command and its arguments.
    pub restart_command: Vec<String>,
}

impl Default for Dpkg {
    fn default() -> Self {
        Self {
            root: None,
            restart_command: ["systemctl", "restart", "asr-gateway.service"]
                .map(String::from)
                .to_vec(),
        }
    }
}

impl Dpkg {
    fn admin_dir(&self) -> Option<PathBuf> {
        self.root.as_ref().map(|r| r.join("var/lib/dpkg"))
    }
}

impl PackageSystem for Dpkg {
    async fn installed_version(&self) -> Result<Option<String>, String> {
        let mut cmd = Command::new("dpkg-query");
        if let Some(admin) = self.admin_dir() {
            cmd.arg(format!("--admindir={}", admin.display()));
        }
        cmd.args([
            "--show",
            "--showformat=${db:Status-Status} ${Version}",
            PACKAGE,
        ]);
        let out = cmd
            .output()
            .await
            .map_err(|e| format!("cannot run dpkg-query: {e}"))?;
        if !out.status.success() {
            // Not known to dpkg at all.
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&out.stdout);
        Ok(match text.trim().split_once(' ') {
            Some(("installed", version)) => Some(version.to_string()),
            _ => None,
        })
    }

    async fn architecture(&self) -> Result<String, String> {
        let out = run(Command::new("dpkg").arg("--print-architecture")).await?;
        Ok(out.trim().to_string())
    }

    async fn inspect(&self, path: &Path) -> Result<PackageInfo, String> {
        let out = run(Command::new("dpkg-deb").arg("--field").arg(path).args([
            "Package",
            "Version",
            "Architecture",
        ]))
        .await
        .map_err(|e| format!("not a Debian package: {e}"))?;
        let field = |name: &str| {
            out.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                .map(|v| v.trim().to_string())
                .ok_or_else(|| format!("the package has no {name} field"))
        };
        Ok(PackageInfo {
            name: field("Package")?,
            version: field("Version")?,
            architecture: field("Architecture")?,
        })
    }

    async fn install(&self, path: &Path) -> Result<(), String> {
        let mut cmd = Command::new("dpkg");
        if let Some(root) = &self.root {
            cmd.arg(format!("--root={}", root.display()))
                .args(["--force-not-root", "--force-script-chrootless"]);
        }
        // Keep the site's edited configuration files; never ask.
        cmd.args(["--force-confold", "--install"])
            .arg(path)
            .env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut cmd).await.map(|_| ())
    }

    async fn restart(&self) -> Result<(), String> {
        let (program, args) = self
            .restart_command
            .split_first()
            .ok_or("no restart command")?;
        run(Command::new(program).args(args)).await.map(|_| ())
    }
}

/// Runs `cmd`; its standard output, or its last error lines.
async fn run(cmd: &mut Command) -> Result<String, String> {
    let shown = format!("{:?}", cmd.as_std().get_program());
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(format!(
            "{shown} failed ({}): {}",
            out.status,
            tail.join(" / ")
        ))
    }
}
