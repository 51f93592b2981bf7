//! `asr-gateway provision` as the first-boot unit runs it: a provisioning
//! file on a "boot partition" (a directory), the configuration directory,
//! and the binary itself. Good file with secrets, no file, malformed file,
//! a file that parses but does not hold (bad certificate): secrets end only
//! in the configuration directory, mode 0600, and never in the output.

#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

const PASSWORD: &str = "broker-pass-7f3a9c";

fn provision(boot: &Path, etc: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
        .args(["provision", "--from"])
        .arg(boot.join("asr-gateway.toml"))
        .arg("--config-dir")
        .arg(etc)
        .args(extra)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ca_and_client() -> (String, String, String) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["gateway".into()]).unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

#[test]
fn a_good_file_with_secrets_becomes_the_configuration_and_leaves_the_card() {
    let dir = tempfile::tempdir().unwrap();
    let (boot, etc) = (dir.path().join("boot"), dir.path().join("etc"));
    std::fs::create_dir_all(&boot).unwrap();
    let (ca, cert, key) = ca_and_client();
    let file = format!(
        "# no gateway id: derived from this machine\n\
         [mqtt]\nurl = \"mqtts://broker.example.net:8883\"\nusername = \"gw\"\n\
         password = \"{PASSWORD}\"\nca_pem = \"\"\"{ca}\"\"\"\nclient_cert_pem = \"\"\"{cert}\"\"\"\n\
         client_key_pem = \"\"\"{key}\"\"\"\n[discovery]\nmdns = false\nstatic = [\"192.0.2.10\"]\n"
    );
    std::fs::write(boot.join("asr-gateway.toml"), &file).unwrap();

    let out = provision(&boot, &etc, &[]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        !said.contains(PASSWORD) && !said.contains("PRIVATE KEY"),
        "{said}"
    );
    assert!(
        !boot.join("asr-gateway.toml").exists(),
        "removed from the card"
    );

    let config = std::fs::read_to_string(etc.join("gateway.toml")).unwrap();
    assert!(
        !config.contains(PASSWORD),
        "the password is in its own file"
    );
    assert!(config.contains("id = \"asr-"), "{config}");
    assert_eq!(
        std::fs::read_to_string(etc.join("mqtt-password")).unwrap(),
        PASSWORD
    );
    for name in [
        "gateway.toml",
        "mqtt-password",
        "broker-ca.pem",
        "client.pem",
        "client.key",
    ] {
        let mode = std::fs::metadata(etc.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{name} is {mode:o}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&etc)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no staging files left: {leftovers:?}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(etc.join("provisioning.json")).unwrap())
            .unwrap();
    assert_eq!(report["state"], "provisioned");

    // The gateway accepts what was written.
    let check = Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
        .args(["check-config", "--config"])
        .arg(etc.join("gateway.toml"))
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check));
    assert!(!text(&check).contains(PASSWORD));

    // Run again (next boot): no file, nothing to do, nothing changed.
    let again = provision(&boot, &etc, &[]);
    assert!(again.status.success());
    assert!(text(&again).contains("nothing to do"));
    assert_eq!(
        std::fs::read_to_string(etc.join("gateway.toml")).unwrap(),
        config
    );
}

#[test]
fn a_bad_file_changes_nothing_says_why_without_quoting_it() {
    let dir = tempfile::tempdir().unwrap();
    let (boot, etc) = (dir.path().join("boot"), dir.path().join("etc"));
    std::fs::create_dir_all(&boot).unwrap();
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(etc.join("gateway.toml"), "# the packaged default\n").unwrap();
    let cases = [
        (
            format!("[gateway]\nid = \"site-1\"\n[mqtt]\nhost = \"b\"\npassword = \"{PASSWORD}\n"),
            "line 5",
        ),
        (
            format!(
                "[gateway]\nid = \"site-1\"\n[mqtt]\nurl = \"mqtts://b\"\npassword = \"{PASSWORD}\"\n\
                 ca_pem = \"-----BEGIN CERTIFICATE-----\\nnot base64\\n-----END CERTIFICATE-----\\n\"\n"
            ),
            "mqtt.ca_file",
        ),
        (
            format!("[gateway]\nid = \"a b\"\n[mqtt]\nhost = \"b\"\npassword = \"{PASSWORD}\"\n"),
            "gateway.id",
        ),
    ];
    for (file, says) in cases {
        std::fs::write(boot.join("asr-gateway.toml"), &file).unwrap();
        let out = provision(&boot, &etc, &[]);
        let said = text(&out);
        assert_eq!(out.status.code(), Some(2), "{said}");
        assert!(said.contains(says), "{says}: {said}");
        assert!(!said.contains(PASSWORD), "{said}");
        assert_eq!(
            std::fs::read_to_string(etc.join("gateway.toml")).unwrap(),
            "# the packaged default\n"
        );
        assert!(!etc.join("mqtt-password").exists());
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(etc.join("provisioning.json")).unwrap())
                .unwrap();
        assert_eq!(report["state"], "rejected");
        assert!(!report.to_string().contains(PASSWORD));
        // The technician finds the file renamed and the reason beside it.
        assert!(boot.join("asr-gateway.rejected.toml").exists());
        let why = std::fs::read_to_string(boot.join("asr-gateway.error.txt")).unwrap();
        assert!(why.contains(says) && !why.contains(PASSWORD), "{why}");
        let staged: Vec<_> = std::fs::read_dir(&etc)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(staged.is_empty(), "no staged secrets left behind");
    }
    // An unknown owner is a usage error before anything is read.
    std::fs::write(boot.join("asr-gateway.toml"), "[mqtt]\nhost = \"b\"\n").unwrap();
    let out = provision(&boot, &etc, &["--owner", "no-such-user-here"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(boot.join("asr-gateway.toml").exists());
}
