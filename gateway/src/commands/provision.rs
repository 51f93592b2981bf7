//! `asr-gateway provision --from FILE`: the first-boot step of the
//! Raspberry Pi image. A technician drops `asr-gateway.toml` on the card's
//! boot partition (FAT, readable by anyone who holds the card); this turns
//! it into the gateway's configuration in `/etc/asr-gateway/` and removes
//! it from the card.
//!
//! The file is a `gateway.toml` (same sections and keys) with a few
//! conveniences for one file carried on a card:
//! - `[gateway] id` may be left out: it is then derived from the Pi's serial
//!   number (or the first network interface's MAC address);
//! - `[mqtt] url = "mqtts://host:port"` (`mqtt`, `mqtts`, `ws`, `wss`) instead
//!   of host, port, tls and transport;
//! - `[mqtt] ca_pem`, `client_cert_pem`, `client_key_pem` hold certificates
//!   inline, and `password` the broker password: each is written to its own
//!   file next to the configuration and referenced from it; so does
//!   `[update] ca_pem`, the CA of a private package server.
//!
//! Every file written is mode 0600, owned by the service's user (`--owner`),
//! and lands by rename only once all of it is valid: a bad file changes
//! nothing in `/etc/asr-gateway/`. The outcome goes to `provisioning.json`
//! there (no secrets), for the status page and the uplink. A rejected file is
//! renamed `asr-gateway.rejected.toml` on the card with the reason beside it
//! (`asr-gateway.error.txt`), so the technician sees why. Messages never
//! quote the file's text: a TOML error gives its line and column only.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use toml::Value;

use super::CommandError;
use crate::cli::ProvisionArgs;

use crate::config::provisioning::{REPORT_FILE, Report};

/// Files made from the provisioning file: name in the config dir, contents.
struct Outputs {
    config: String,
    extra: Vec<(&'static str, String)>,
    gateway_id: String,
}

/// Runs the step; exit 0 when provisioned or when there is nothing to do,
/// 2 when the file was rejected (the unit then shows as failed).
pub fn run(args: ProvisionArgs) -> Result<ExitCode, CommandError> {
    if !args.from.exists() {
        println!("provision: no {} — nothing to do", args.from.display());
        return Ok(ExitCode::SUCCESS);
    }
    let owner = match &args.owner {
        Some(name) => Some(lookup_user(name).ok_or_else(|| {
            CommandError::Usage(format!("--owner: no user {name:?} on this system"))
        })?),
        None => None,
    };
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let outcome = std::fs::read_to_string(&args.from)
        .map_err(|e| format!("cannot read it: {e}"))
        .and_then(|text| prepare(&text, &machine_id, &args.config_dir))
        .and_then(|out| check(&out, &args.config_dir).map(|()| out))
        .and_then(|out| install(&args.config_dir, &out, owner).map(|()| out.gateway_id));
    match outcome {
        Ok(id) => {
            std::fs::remove_file(&args.from).map_err(|e| {
                CommandError::Runtime(format!(
                    "provisioned, but cannot remove {}: {e}",
                    args.from.display()
                ))
            })?;
            write_report(
                &args.config_dir,
                &Report {
                    state: "provisioned".into(),
                    gateway_id: Some(id.clone()),
                    error: None,
                    at,
                },
            )?;
            println!(
                "provision: gateway {id} provisioned into {}; {} removed",
                args.config_dir.display(),
                args.from.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => {
            let rejected = args.from.with_file_name("asr-gateway.rejected.toml");
            let _ = std::fs::rename(&args.from, &rejected);
            let _ = std::fs::write(
                args.from.with_file_name("asr-gateway.error.txt"),
                format!("asr-gateway.toml was rejected ({at}): {reason}\n"),
            );
            write_report(
                &args.config_dir,
                &Report {
                    state: "rejected".into(),
                    gateway_id: None,
                    error: Some(reason.clone()),
                    at,
                },
            )?;
            eprintln!(
                "provision: {} rejected, nothing changed in {}: {reason}",
                args.from.display(),
                args.config_dir.display()
            );
            Ok(ExitCode::from(2))
        }
    }
}

/// The configuration and its side files from the provisioning text, or why
/// not. `machine` gives the id when the file has none; side files are
/// referenced in `dir`.
fn prepare(
    text: &str,
    machine: &dyn Fn() -> Option<String>,
    dir: &Path,
) -> Result<Outputs, String> {
    let mut doc: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
    let mut extra = Vec::new();

    let gateway = section(&mut doc, "gateway")?;
    let id = match gateway.get("id") {
        Some(Value::String(id)) if !id.trim().is_empty() => id.trim().to_owned(),
        Some(Value::String(_)) | None => machine().ok_or(
            "no [gateway] id, and none can be derived (no Pi serial number nor MAC address)",
        )?,
        Some(_) => return Err("`gateway.id` must be a string".into()),
    };
    gateway.insert("id".into(), Value::String(id.clone()));
    gateway
        .entry("data_dir")
        .or_insert_with(|| Value::String("/var/lib/asr-gateway".into()));

    let mqtt = section(&mut doc, "mqtt")?;
    if let Some(url) = mqtt.remove("url") {
        let Value::String(url) = url else {
            return Err("`mqtt.url` must be a string".into());
        };
        apply_url(mqtt, &url)?;
    }
    for (section_name, key, file, file_key, pem) in [
        ("mqtt", "ca_pem", "broker-ca.pem", "ca_file", true),
        (
            "mqtt",
            "client_cert_pem",
            "client.pem",
            "client_cert_file",
            true,
        ),
        (
            "mqtt",
            "client_key_pem",
            "client.key",
            "client_key_file",
            true,
        ),
        ("mqtt", "password", "mqtt-password", "password_file", false),
        ("update", "ca_pem", "update-ca.pem", "ca_file", true),
    ] {
        if !doc.contains_key(section_name) {
            continue;
        }
        let table = section(&mut doc, section_name)?;
        let Some(value) = table.remove(key) else {
            continue;
        };
        let Value::String(value) = value else {
            return Err(format!("`{section_name}.{key}` must be a string"));
        };
        if pem && !value.contains("-----BEGIN ") {
            return Err(format!(
                "`{section_name}.{key}` is not PEM text (-----BEGIN …)"
            ));
        }
        extra.push((file, value));
        table.insert(
            file_key.into(),
            Value::String(dir.join(file).display().to_string()),
        );
    }
    let config =
        toml::to_string(&doc).map_err(|e| format!("cannot write the configuration: {e}"))?;
    Ok(Outputs {
        config: format!(
            "# Written by `asr-gateway provision` from the boot partition's asr-gateway.toml.\n{config}"
        ),
        extra,
        gateway_id: id,
    })
}

/// The same checks as `check-config`, certificates and password file
/// included: the side files are staged in a private directory inside `dir`
/// (secrets never leave it) and the configuration pointed at them.
fn check(out: &Outputs, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".provision-check")
        .tempdir_in(dir)
        .map_err(|e| format!("cannot stage files in {}: {e}", dir.display()))?;
    let mut config = out.config.clone();
    for (file, text) in &out.extra {
        let staged = staging.path().join(file);
        std::fs::write(&staged, text).map_err(|e| format!("cannot stage {file}: {e}"))?;
        config = config.replace(
            &format!("\"{}\"", dir.join(file).display()),
            &format!("\"{}\"", staged.display()),
        );
    }
    crate::config::from_str(&config, std::iter::empty())
        .map(|_| ())
        .map_err(|e| match e {
            crate::config::ConfigError::Parse { message, .. } => without_snippet(&message),
            other => other.to_string().replace(
                &staging.path().display().to_string(),
                &dir.display().to_string(),
            ),
        })
}

/// A toml error message without its quoted source lines (`3 | text`,
/// `  | ^^^`): the place and the reason stay.
fn without_snippet(message: &str) -> String {
    message
        .lines()
        .filter(|line| {
            let t = line.trim_start();
            let rest = t.trim_start_matches(|c: char| c.is_ascii_digit());
            !rest.trim_start().starts_with('|') && !t.is_empty()
        })
        .collect::<Vec<_>>()
        .join(": ")
}

/// `[name]` of the document, created when absent.
fn section<'a>(doc: &'a mut toml::Table, name: &str) -> Result<&'a mut toml::Table, String> {
    match doc
        .entry(name)
        .or_insert_with(|| Value::Table(toml::Table::new()))
    {
        Value::Table(t) => Ok(t),
        _ => Err(format!("`{name}` must be a section ([{name}])")),
    }
}

/// `mqtt[s]://host[:port]` or `ws[s]://host[:port][/path]` into the keys.
fn apply_url(mqtt: &mut toml::Table, url: &str) -> Result<(), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or("`mqtt.url` must look like mqtts://host:8883")?;
    let (tls, transport, default_port) = match scheme {
        "mqtt" => (false, "tcp", 1883),
        "mqtts" => (true, "tcp", 8883),
        "ws" => (false, "ws", 80),
        "wss" => (true, "ws", 443),
        _ => {
            return Err(format!(
                "`mqtt.url`: unknown scheme {scheme:?} (mqtt, mqtts, ws, wss)"
            ));
        }
    };
    let (authority, path) = match rest.split_once('/') {
        Some((a, p)) => (a, Some(format!("/{p}"))),
        None => (rest, None),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (
            h.trim_start_matches('[').trim_end_matches(']'),
            p.parse::<u16>()
                .map_err(|_| "`mqtt.url`: the port must be a number from 1 to 65535")?,
        ),
        _ => (authority, default_port),
    };
    if host.is_empty() {
        return Err("`mqtt.url` has no host".into());
    }
    mqtt.insert("host".into(), Value::String(host.to_owned()));
    mqtt.insert("port".into(), Value::Integer(i64::from(port)));
    mqtt.insert("tls".into(), Value::Boolean(tls));
    mqtt.insert("transport".into(), Value::String(transport.into()));
    if let Some(path) = path.filter(|p| p != "/") {
        mqtt.insert("ws_path".into(), Value::String(path));
    }
    Ok(())
}

/// A TOML error as line and column plus the parser's message, without the
/// quoted source line (it may hold a password).
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let place = e.span().map(|span| {
        let before = text.get(..span.start).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("line {line}, column {column}: ")
    });
    format!(
        "not valid TOML: {}{}",
        place.unwrap_or_default(),
        e.message()
    )
}

/// Writes every file to a temporary name (0600, owned by `owner`), syncs,
/// then renames them into place, the configuration last.
fn install(dir: &Path, out: &Outputs, owner: Option<(u32, u32)>) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let files = out
        .extra
        .iter()
        .map(|(name, text)| (*name, text.as_str()))
        .chain(std::iter::once(("gateway.toml", out.config.as_str())));
    for (name, text) in files {
        let target = dir.join(name);
        let temp = dir.join(format!(".{name}.provisioning"));
        let written = (|| -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&temp)?;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::fchown(&f, Some(uid), Some(gid))?;
            }
            Ok(())
        })();
        if let Err(e) = written {
            for (t, _) in &staged {
                let _ = std::fs::remove_file(t);
            }
            let _ = std::fs::remove_file(&temp);
            return Err(format!("cannot write {}: {e}", target.display()));
        }
        staged.push((temp, target));
    }
    for (temp, target) in &staged {
        std::fs::rename(temp, target)
            .map_err(|e| format!("cannot move {} into place: {e}", target.display()))?;
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn write_report(dir: &Path, report: &Report) -> Result<(), CommandError> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(report)
        .map_err(|e| CommandError::Runtime(format!("provisioning report: {e}")))?;
    std::fs::write(dir.join(REPORT_FILE), json + "\n")?;
    Ok(())
}

/// `(uid, gid)` of a user, from `/etc/passwd`.
fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == name).then_some(())?;
        let _password = fields.next()?;
        Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
    })
}

/// `asr-<serial>` from the Pi's serial number, else `asr-<mac>` from the
/// first network interface with a real address.
fn machine_id() -> Option<String> {
    let serial = [
        "/sys/firmware/devicetree/base/serial-number",
        "/proc/device-tree/serial-number",
    ]
    .iter()
    .find_map(|p| std::fs::read_to_string(p).ok())
    .map(|s| {
        s.trim_matches(char::from(0))
            .trim()
            .trim_start_matches('0')
            .to_lowercase()
    })
    .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()));
    if let Some(serial) = serial {
        return Some(format!("asr-{serial}"));
    }
    let mut names: Vec<_> = std::fs::read_dir("/sys/class/net")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "lo")
        .collect();
    names.sort();
    names.iter().find_map(|n| {
        let mac = std::fs::read_to_string(format!("/sys/class/net/{n}/address")).ok()?;
        let mac: String = mac.trim().chars().filter(|c| *c != ':').collect();
        (mac.len() == 12 && mac != "000000000000").then(|| format!("asr-{mac}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca_pem() -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["broker.example.net".into()]).unwrap();
        params.self_signed(&key).unwrap().pem()
    }

    fn fixed() -> Option<String> {
        Some("asr-00c0ffee".into())
    }

    fn prepared(text: &str) -> Result<Outputs, String> {
        let dir = tempfile::tempdir().unwrap();
        let out = prepare(text, &fixed, Path::new("/etc/asr-gateway"))?;
        let staged = prepare(text, &fixed, dir.path())?;
        check(&staged, dir.path())?;
        Ok(out)
    }

    #[test]
    fn a_url_and_inline_secrets_become_keys_and_files() {
        let text = format!(
            "[mqtt]\nurl = \"mqtts://broker.example.net:8884\"\nusername = \"gw\"\npassword = \"s3cret-pw\"\n\
             ca_pem = \"\"\"{}\"\"\"\n[http]\nadmin_password_hash = \"{}\"\n\
             [update]\nca_pem = \"\"\"{}\"\"\"\n",
            ca_pem(),
            crate::web::auth::hash_password("a password").unwrap(),
            ca_pem(),
        );
        let out = prepared(&text).unwrap();
        assert_eq!(out.gateway_id, "asr-00c0ffee");
        assert!(!out.config.contains("s3cret-pw"), "{}", out.config);
        assert!(
            out.config
                .contains("password_file = \"/etc/asr-gateway/mqtt-password\"")
        );
        assert!(
            out.config
                .contains("ca_file = \"/etc/asr-gateway/broker-ca.pem\"")
        );
        assert!(out.config.contains("host = \"broker.example.net\""));
        assert!(out.config.contains("port = 8884"));
        assert!(out.config.contains("tls = true"));
        let names: Vec<&str> = out.extra.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["broker-ca.pem", "mqtt-password", "update-ca.pem"]);
        assert!(
            out.config
                .contains("ca_file = \"/etc/asr-gateway/update-ca.pem\"")
        );
    }

    #[test]
    fn errors_name_the_place_and_never_quote_the_text() {
        let text = "[mqtt]\nhost = \"b\"\npassword = \"hunter2-secret\n";
        let e = prepared(text).err().unwrap();
        assert!(e.contains("line 3"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        for (bad, says) in [
            ("[mqtt]\nurl = \"http://x\"\n", "unknown scheme"),
            ("[mqtt]\nurl = \"mqtts://x:99999\"\n", "port"),
            ("[mqtt]\nhost = \"b\"\nca_pem = \"not a cert\"\n", "not PEM"),
            (
                "[mqtt]\nhost = \"b\"\n[gateway]\nid = \"a/b\"\n",
                "gateway.id",
            ),
            (
                "[mqtt]\nhost = \"b\"\n[gateway]\nnot_a_key = 1\n",
                "not_a_key",
            ),
            ("mqtt = 3\n", "section"),
        ] {
            let e = prepared(bad).err().unwrap_or_default();
            assert!(e.contains(says), "{bad:?}: {e}");
        }
        let none = || None;
        let e = prepare("[mqtt]\nhost = \"b\"\n", &none, Path::new("/x"))
            .err()
            .unwrap();
        assert!(e.contains("no [gateway] id"), "{e}");
    }
}
