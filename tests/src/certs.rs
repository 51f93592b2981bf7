//! Certificates made by the tests, for a real broker on loopback: a CA, a
//! server certificate for `localhost` (valid or expired), a client
//! certificate, and a second CA nobody trusts.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

/// PEM files written into one directory.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA the broker's and the client's certificates chain to.
    pub ca: PathBuf,
    /// Server certificate for `localhost` and its key.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// The same name, expired a year ago.
    pub expired_cert: PathBuf,
    pub expired_key: PathBuf,
    /// A client certificate for mutual TLS and its key.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// A CA that signed none of the above.
    pub other_ca: PathBuf,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA")
}

fn leaf(
    dir: &Path,
    name: &str,
    issuer: &CertifiedIssuer<'static, KeyPair>,
    sans: Vec<String>,
    expired: bool,
) -> (PathBuf, PathBuf) {
    let mut params = CertificateParams::new(sans).expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, issuer).expect("sign");
    let cert_path = dir.join(format!("{name}.crt"));
    let key_path = dir.join(format!("{name}.key"));
    std::fs::write(&cert_path, cert.pem()).expect("write cert");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key");
    (cert_path, key_path)
}

impl TestPki {
    /// Generates everything into `dir` (readable by the broker's user).
    pub fn generate(dir: &Path) -> TestPki {
        std::fs::create_dir_all(dir).expect("pki dir");
        let root = ca("ASR test CA");
        let other = ca("Someone else's CA");
        let ca_path = dir.join("ca.crt");
        std::fs::write(&ca_path, root.pem()).expect("write CA");
        let other_path = dir.join("other-ca.crt");
        std::fs::write(&other_path, other.pem()).expect("write other CA");
        let (server_cert, server_key) = leaf(dir, "server", &root, vec!["localhost".into()], false);
        let (expired_cert, expired_key) =
            leaf(dir, "expired", &root, vec!["localhost".into()], true);
        let (client_cert, client_key) = leaf(dir, "gateway-01", &root, Vec::new(), false);
        for entry in std::fs::read_dir(dir).expect("list").flatten() {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o644));
        }
        TestPki {
            ca: ca_path,
            server_cert,
            server_key,
            expired_cert,
            expired_key,
            client_cert,
            client_key,
            other_ca: other_path,
        }
    }
}
