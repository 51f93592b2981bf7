//! The procedure against a fake machine: package files are text
//! (`name version arch`), versions in `broken` never come up healthy.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use asr_cloud_sync::UpdateOrder;
use chrono::Utc;

use super::*;
use crate::update::signing::SigningKey;
use crate::update::system::PackageInfo;

#[derive(Default)]
struct Machine {
    installed: Option<String>,
    running: Option<String>,
    broken: BTreeSet<String>,
    fail_install: BTreeSet<String>,
    /// The binary says `0.2.0` for package `0.2.0-1`, as the real one does.
    running_reports_upstream: bool,
    log: Vec<String>,
}

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<Machine>>);

impl Fake {
    fn with<T>(&self, f: impl FnOnce(&mut Machine) -> T) -> T {
        f(&mut self.0.lock().expect("lock"))
    }
}

fn read_info(path: &Path) -> Result<PackageInfo, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut parts = text.split_whitespace().map(str::to_string);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(name), Some(version), Some(architecture)) => Ok(PackageInfo {
            name,
            version,
            architecture,
        }),
        _ => Err("not a Debian package".into()),
    }
}

impl PackageSystem for Fake {
    async fn installed_version(&self) -> Result<Option<String>, String> {
        Ok(self.with(|m| m.installed.clone()))
    }
    async fn architecture(&self) -> Result<String, String> {
        Ok("arm64".into())
    }
    async fn inspect(&self, path: &Path) -> Result<PackageInfo, String> {
        read_info(path)
    }
    async fn install(&self, path: &Path) -> Result<(), String> {
        let info = read_info(path)?;
        self.with(|m| {
            m.log.push(format!("install {}", info.version));
            if m.fail_install.contains(&info.version) {
                return Err("dpkg: error processing package".to_string());
            }
            m.installed = Some(info.version);
            m.running = None;
            Ok(())
        })
    }
    async fn restart(&self) -> Result<(), String> {
        self.with(|m| {
            m.log.push("restart".into());
            m.running = m
                .installed
                .clone()
                .filter(|v| !m.broken.contains(v))
                .map(|v| {
                    if m.running_reports_upstream {
                        upstream_version(&v).to_string()
                    } else {
                        v
                    }
                });
            Ok(())
        })
    }
}

impl HealthProbe for Fake {
    async fn check(&self) -> Result<String, String> {
        self.with(|m| {
            m.running
                .clone()
                .ok_or_else(|| "connection refused".to_string())
        })
    }
}

/// Serves files of a directory by URL path.
struct DirFetch(PathBuf);

impl Fetch for DirFetch {
    async fn fetch(&self, url: &str, dest: &Path) -> Result<u64, String> {
        let name = url.rsplit('/').next().unwrap_or("");
        let bytes = std::fs::read(self.0.join(name)).map_err(|_| format!("{url} answers 404"))?;
        std::fs::write(dest, &bytes).map_err(|e| e.to_string())?;
        Ok(bytes.len() as u64)
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    served: PathBuf,
    key: SigningKey,
    fake: Fake,
    updater: Updater<Fake, Fake, DirFetch>,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("dir");
    let served = dir.path().join("served");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&served).expect("dir");
    std::fs::create_dir_all(&work).expect("dir");
    std::fs::write(work.join(INSTALLED_COPY), "asr-gateway 0.1.0 arm64").expect("kept");
    let key = SigningKey::generate().expect("key");
    let fake = Fake::default();
    fake.with(|m| {
        m.installed = Some("0.1.0".into());
        m.running = Some("0.1.0".into());
    });
    let updater = Updater {
        system: fake.clone(),
        health: fake.clone(),
        fetch: DirFetch(served.clone()),
        keys: vec![key.public_key()],
        work_dir: work,
        poll_every: Duration::from_secs(2),
        healthy_in_a_row: 3,
    };
    Setup {
        _dir: dir,
        served,
        key,
        fake,
        updater,
    }
}

impl Setup {
    /// Serves a package file and returns a request for it, signed by `key`.
    fn request(&self, file: &str, content: &str, version: &str, key: &SigningKey) -> UpdateRequest {
        std::fs::write(self.served.join(file), content).expect("serve");
        UpdateRequest {
            command_id: "u1".into(),
            order: UpdateOrder {
                url: format!("https://pkg.example.com/{file}"),
                version: version.into(),
                signature: key.sign(content.as_bytes()),
                health_timeout_seconds: 60,
            },
            requested_at: Utc::now(),
        }
    }

    fn kept(&self) -> String {
        std::fs::read_to_string(self.updater.work_dir.join(INSTALLED_COPY)).expect("kept")
    }

    fn log(&self) -> Vec<String> {
        self.fake.with(|m| m.log.clone())
    }
}

#[tokio::test(start_paused = true)]
async fn a_healthy_update_is_kept_and_reported() {
    let s = setup();
    let request = s.request("a.deb", "asr-gateway 0.2.0 arm64", "0.2.0", &s.key);
    let answer = s.updater.apply(&request).await;
    assert_eq!(answer.status, CommandStatus::Successful, "{answer:?}");
    let result = answer.result.expect("result");
    assert_eq!(result["from"], "0.1.0");
    assert_eq!(result["to"], "0.2.0");
    assert_eq!(result["healthy_after_seconds"], 4);
    assert_eq!(s.kept(), "asr-gateway 0.2.0 arm64");
    assert_eq!(
        std::fs::read_to_string(s.updater.work_dir.join(PREVIOUS_COPY)).expect("previous"),
        "asr-gateway 0.1.0 arm64"
    );
    assert_eq!(s.log(), ["install 0.2.0", "restart"]);
}

#[test]
fn the_binary_reports_the_upstream_part_of_the_package_version() {
    assert_eq!(upstream_version("0.2.0-1"), "0.2.0");
    assert_eq!(upstream_version("1:0.2.0-rc1-3"), "0.2.0-rc1");
    assert_eq!(upstream_version("0.2.0"), "0.2.0");
    assert_eq!(upstream_version("0.2.0+b1"), "0.2.0+b1");
}

#[tokio::test(start_paused = true)]
async fn a_debian_revision_is_healthy_when_its_binary_runs() {
    let s = setup();
    s.fake.with(|m| m.running_reports_upstream = true);
    let request = s.request("a.deb", "asr-gateway 0.2.0-1 arm64", "0.2.0-1", &s.key);
    let answer = s.updater.apply(&request).await;
    assert_eq!(answer.status, CommandStatus::Successful, "{answer:?}");
    assert_eq!(answer.result.expect("result")["to"], "0.2.0-1");
}

#[tokio::test(start_paused = true)]
async fn a_version_that_does_not_come_up_is_rolled_back() {
    let s = setup();
    s.fake.with(|m| m.broken.insert("0.2.0".into()));
    let request = s.request("a.deb", "asr-gateway 0.2.0 arm64", "0.2.0", &s.key);
    let started = Instant::now();
    let answer = s.updater.apply(&request).await;
    assert_eq!(answer.status, CommandStatus::Failed);
    let reason = answer.reason.expect("reason");
    assert!(
        reason.contains("0.2.0 did not come up healthy within 60 s (connection refused)")
            && reason.contains("rolled back to 0.1.0, healthy again"),
        "{reason}"
    );
    // The timeout, then three healthy answers two seconds apart.
    assert_eq!(started.elapsed().as_secs(), 60 + 4);
    assert_eq!(s.fake.with(|m| m.running.clone()), Some("0.1.0".into()));
    assert_eq!(s.kept(), "asr-gateway 0.1.0 arm64");
    assert_eq!(
        s.log(),
        ["install 0.2.0", "restart", "install 0.1.0", "restart"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_rollback_is_said() {
    let s = setup();
    s.fake.with(|m| {
        m.broken.insert("0.2.0".into());
        m.fail_install.insert("0.1.0".into());
    });
    let request = s.request("a.deb", "asr-gateway 0.2.0 arm64", "0.2.0", &s.key);
    let reason = s.updater.apply(&request).await.reason.expect("failed");
    assert!(
        reason.contains("the rollback to 0.1.0 failed too: dpkg"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_install_puts_the_old_version_back() {
    let s = setup();
    s.fake.with(|m| m.fail_install.insert("0.2.0".into()));
    let request = s.request("a.deb", "asr-gateway 0.2.0 arm64", "0.2.0", &s.key);
    let reason = s.updater.apply(&request).await.reason.expect("failed");
    assert!(
        reason.starts_with("installing 0.2.0 failed: dpkg")
            && reason.contains("rolled back to 0.1.0"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_wrong_version_running_is_not_healthy() {
    let s = setup();
    // The package installs, but the service keeps running the old binary.
    let request = s.request("a.deb", "asr-gateway 0.2.0 arm64", "0.2.0", &s.key);
    s.fake.with(|m| m.broken.insert("0.2.0".into()));
    s.fake.with(|m| m.running = Some("0.1.0".into()));
    let updater = Updater {
        system: NoRestart(s.fake.clone()),
        health: s.fake.clone(),
        fetch: DirFetch(s.served.clone()),
        keys: vec![s.key.public_key()],
        work_dir: s.updater.work_dir.clone(),
        poll_every: Duration::from_secs(2),
        healthy_in_a_row: 3,
    };
    let reason = updater.apply(&request).await.reason.expect("failed");
    assert!(
        reason.contains("(version 0.1.0 is running, not 0.2.0)"),
        "{reason}"
    );
}

/// A machine whose restart does nothing.
struct NoRestart(Fake);

impl PackageSystem for NoRestart {
    async fn installed_version(&self) -> Result<Option<String>, String> {
        self.0.installed_version().await
    }
    async fn architecture(&self) -> Result<String, String> {
        self.0.architecture().await
    }
    async fn inspect(&self, path: &Path) -> Result<PackageInfo, String> {
        self.0.inspect(path).await
    }
    async fn install(&self, path: &Path) -> Result<(), String> {
        let before = self.0.with(|m| m.running.clone());
        self.0.install(path).await?;
        self.0.with(|m| m.running = before);
        Ok(())
    }
    async fn restart(&self) -> Result<(), String> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn nothing_is_installed_without_a_good_signature_name_and_rollback_copy() {
    let s = setup();
    let stranger = SigningKey::generate().expect("key");
    let cases = [
        (
            s.request("a.deb", "asr-gateway 0.2.0 arm64", "0.2.0", &stranger),
            "not signed by a trusted key",
        ),
        (
            s.request("b.deb", "other-tool 0.2.0 arm64", "0.2.0", &s.key),
            "the package is other-tool 0.2.0 for arm64, not asr-gateway 0.2.0 for arm64",
        ),
        (
            s.request("c.deb", "asr-gateway 0.3.0 arm64", "0.2.0", &s.key),
            "not asr-gateway 0.2.0",
        ),
        (
            s.request("d.deb", "asr-gateway 0.2.0 amd64", "0.2.0", &s.key),
            "for amd64",
        ),
    ];
    for (request, expected) in cases {
        let reason = s.updater.apply(&request).await.reason.expect("failed");
        assert!(
            reason.contains(expected) && reason.contains("nothing was installed"),
            "{reason}"
        );
    }
    let mut missing = s.request("e.deb", "", "0.2.0", &s.key);
    missing.order.url = "https://pkg.example.com/none.deb".into();
    let reason = s.updater.apply(&missing).await.reason.expect("failed");
    assert!(reason.contains("answers 404"), "{reason}");

    std::fs::remove_file(s.updater.work_dir.join(INSTALLED_COPY)).expect("rm");
    let request = s.request("a.deb", "asr-gateway 0.2.0 arm64", "0.2.0", &s.key);
    let reason = s.updater.apply(&request).await.reason.expect("failed");
    assert!(
        reason.starts_with("cannot roll back") && reason.contains("nothing was changed"),
        "{reason}"
    );
    assert!(s.log().is_empty(), "{:?}", s.log());
}
