//! A real Mosquitto for the tests: its own directory, a free loopback port,
//! persistence, and the two faults that matter — SIGKILL and a restart on
//! the same port with the same persistence file.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs the broker (`/usr/sbin` is not always on `PATH`).
pub fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|dir| dir.join("mosquitto"))
        .find(|candidate| candidate.is_file())
}

/// A Mosquitto process, killed on drop.
#[derive(Debug)]
pub struct Mosquitto {
    binary: PathBuf,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Mosquitto {
    /// Starts a broker on 127.0.0.1:`port`; `extra` follows the `listener`
    /// line, so TLS files and `protocol websockets` apply to it. Everything
    /// it writes goes to `dir`. Persistence is on
    /// and saved on every change, so a SIGKILL loses as little as it can.
    pub fn start(dir: &Path, port: u16, extra: &str) -> Mosquitto {
        let binary = binary().expect("mosquitto is installed (scripts/test.sh installs it)");
        std::fs::create_dir_all(dir).expect("broker dir");
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "log_dest stderr\npersistence true\npersistence_location {}/\n\
                 autosave_interval 1\nautosave_on_changes true\nmax_queued_messages 100000\n\
                 {}listener {port} 127.0.0.1\n{extra}\n",
                dir.display(),
                if extra.contains("allow_anonymous") {
                    ""
                } else {
                    "allow_anonymous true\n"
                },
            ),
        )
        .expect("write mosquitto.conf");
        // As root, Mosquitto switches to its own user: it must be able to
        // read its config and write its persistence file here.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let mut broker = Mosquitto {
            binary,
            dir: dir.to_path_buf(),
            port,
            child: None,
        };
        broker.restart();
        broker
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// SIGKILL: no clean shutdown, no final save.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again (same port, same persistence file) and waits until it
    /// accepts connections.
    pub fn restart(&mut self) {
        self.kill9();
        let child = Command::new(&self.binary)
            .arg("-c")
            .arg(self.dir.join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn mosquitto");
        self.child = Some(child);
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
            assert!(
                Instant::now() < deadline,
                "mosquitto did not start on {addr}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.kill9();
    }
}
