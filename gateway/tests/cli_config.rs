//! The configuration through the real binary: a bad config names the key and
//! the problem, exits with status 2, and touches nothing.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::path::Path;
use std::process::{Command, Output};

fn gateway(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_asr-gateway"));
    cmd.args(args);
    // A developer's own ASR_* variables must not leak into these tests.
    for (key, _) in std::env::vars() {
        if key.starts_with("ASR_") {
            cmd.env_remove(key);
        }
    }
    cmd.envs(envs.iter().copied());
    cmd.output().expect("run asr-gateway")
}

fn write(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("gateway.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

const MINIMAL: &str =
    "[gateway]\nid = \"acme-01\"\ndata_dir = \"DATA\"\n[mqtt]\nhost = \"127.0.0.1\"\n";

fn minimal(dir: &Path) -> String {
    MINIMAL.replace("DATA", &dir.join("data").display().to_string())
}

#[test]
fn the_example_config_is_valid() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/gateway.example.toml");
    let out = gateway(&["check-config", "--config", example], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("config OK: gateway acme-paris-01"));
}

#[test]
fn a_wrong_type_names_the_key_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        &format!("{}port = \"eighteen\"\n", minimal(dir.path())),
    );
    let out = gateway(&["check-config", "--config", path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("port"), "{err}");
}

#[test]
fn an_unknown_key_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        &format!("{}hots = \"typo\"\n", minimal(dir.path())),
    );
    let out = gateway(&["check-config", "--config", path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("hots"));
}

#[test]
fn semantic_problems_name_the_dotted_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[gateway]\nid = \"a/b\"\n[mqtt]\nhost = \"h\"\n",
            "gateway.id",
        ),
        (
            "[gateway]\nid = \"ok\"\nreadings_days = 3\n[mqtt]\nhost = \"h\"\n",
            "gateway.readings_days",
        ),
        (
            "[gateway]\nid = \"ok\"\ndefault_site = \"HQ\"\n[mqtt]\nhost = \"h\"\n",
            "gateway.default_contact",
        ),
        (
            "[gateway]\nid = \"ok\"\ndefault_site = \" \"\ndefault_contact = \"C\"\n[mqtt]\nhost = \"h\"\n",
            "gateway.default_site",
        ),
        (
            "[gateway]\nid = \"ok\"\n[mqtt]\nhost = \"h\"\n[update]\nca_file = \"/nonexistent/ca.pem\"\n",
            "update.ca_file",
        ),
        (
            "[gateway]\nid = \"ok\"\n[mqtt]\nhost = \"h\"\n[engine]\nhorizon_days = 1\n",
            "engine.horizon_days",
        ),
        (
            "[gateway]\nid = \"ok\"\n[mqtt]\nhost = \"h\"\n[engine]\norder_hour_utc = 24\n",
            "engine.order_hour_utc",
        ),
        (
            "[gateway]\nid = \"ok\"\n[mqtt]\nhost = \"h\"\n[snmp]\nversion = \"3\"\n",
            "snmp.user",
        ),
        (
            "[gateway]\nid = \"ok\"\n[mqtt]\nhost = \"h\"\n[[printers]]\nserial = \"S1\"\nsite = \"A\"\ncontact = \"B\"\n[[printers]]\nserial = \"S1\"\nsite = \"A\"\ncontact = \"B\"\n",
            "printers[1].serial",
        ),
        (
            "[gateway]\nid = \"ok\"\n[mqtt]\nhost = \"h\"\n[discovery]\nstatic = [\"bad host!\"]\n",
            "discovery.static[0]",
        ),
        (
            "[gateway]\nid = \"ok\"\n[mqtt]\nhost = \"h\"\n[discovery]\nsweep = \"10.0.0.0/8\"\n",
            "discovery.sweep",
        ),
        (
            "[gateway]\nid = \"ok\"\n[mqtt]\nhost = \"h\"\n[http]\ntls = true\ntls_cert_file = \"c.pem\"\n",
            "http.tls_cert_file",
        ),
        (
            "[gateway]\nid = \"ok\"\n[mqtt]\nhost = \"h\"\n[http]\ntls_cert_file = \"c.pem\"\ntls_key_file = \"k.pem\"\n",
            "http.tls",
        ),
    ];
    for (text, key) in cases {
        let path = write(dir.path(), text);
        let out = gateway(&["check-config", "--config", path.to_str().unwrap()], &[]);
        assert_eq!(out.status.code(), Some(2), "{key}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key), "expected {key} in {err}");
    }
}

#[test]
fn environment_variables_override_and_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &minimal(dir.path()));
    let p = path.to_str().unwrap();
    let out = gateway(
        &["check-config", "--config", p],
        &[
            ("ASR_MQTT_HOST", "broker.example.net"),
            ("ASR_MQTT_PORT", "8883"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("broker mqtts://broker.example.net:8883")
    );

    let out = gateway(
        &["check-config", "--config", p],
        &[("ASR_MQTT_PORT", "many")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ASR_MQTT_PORT"));

    let out = gateway(&["check-config", "--config", p], &[("ASR_MQQT_HOST", "x")]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a misspelt section is an error, not silently ignored"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("ASR_MQQT_HOST"));
}

#[test]
fn run_with_a_bad_config_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        &format!("{}[engine]\nsupply_days = 0\n", minimal(dir.path())),
    );
    let out = gateway(&["run", "--config", path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("engine.supply_days"));
    assert!(
        !dir.path().join("data").exists(),
        "no data directory was created"
    );
}

#[test]
fn a_missing_file_is_named() {
    let out = gateway(
        &["check-config", "--config", "/nonexistent/gateway.toml"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/gateway.toml"));
}

/// `hash-password` reads the password on stdin; its output is a valid
/// `[http] admin_password_hash`, and anything else there is refused by name.
#[test]
fn hash_password_makes_a_hash_check_config_accepts() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
        .arg("hash-password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse battery staple\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(hash.starts_with("$argon2id$"), "{hash}");

    let dir = tempfile::tempdir().unwrap();
    let with = |value: &str| {
        let path = write(
            dir.path(),
            &format!(
                "{}[http]\nadmin_password_hash = \"{value}\"\n",
                minimal(dir.path())
            ),
        );
        gateway(&["check-config", "--config", path.to_str().unwrap()], &[])
    };
    assert!(with(&hash).status.success());
    let bad = with("correct horse battery staple");
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("http.admin_password_hash"), "{err}");

    let mut short = Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
        .arg("hash-password")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    short.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = short.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10 characters"));
}
