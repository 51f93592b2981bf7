//! How the uplink reaches its broker: plain TCP on a trusted LAN, or TLS
//! (rustls, server name checked, optional client certificate) over TCP or
//! over WebSockets for sites that only let HTTPS out.
//!
//! Certificates and keys are read and parsed once, when the uplink is
//! built, so a missing file or a bad PEM is a start-up error naming the file
//! — never a reconnect loop. The crypto provider is `ring`, chosen here
//! explicitly: it cross-compiles for the Raspberry Pi with Debian's
//! toolchain alone.

use std::fmt;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rumqttc::{TlsConfiguration, Transport};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};
use thiserror::Error;

/// The byte stream the MQTT session runs over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Carrier {
    /// MQTT directly over TCP (1883, 8883).
    #[default]
    Tcp,
    /// MQTT over WebSockets at this path (`/mqtt`), e.g. through port 443.
    WebSocket { path: String },
}

/// Where the trusted certificate authorities come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaSource {
    /// The operating system's roots (a broker with a public certificate).
    System,
    /// A PEM file with the supplier's own CA.
    File(PathBuf),
}

/// TLS settings: whom to trust, and who we are when the broker asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub ca: CaSource,
    /// Client certificate chain and its private key (PEM files), for
    /// brokers that authenticate gateways by certificate (mutual TLS).
    pub client_identity: Option<(PathBuf, PathBuf)>,
}

/// The whole transport: carrier, and TLS or not (never a silent fallback).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransportSettings {
    pub carrier: Carrier,
    pub tls: Option<TlsSettings>,
}

/// Why the transport cannot be built; each names the file at fault.
#[derive(Debug, Error)]
pub enum TransportError {
    #[error("cannot read {what} {path}: {source}")]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what} {path} holds no PEM certificate")]
    NoCertificate { what: &'static str, path: PathBuf },
    #[error("{what} {path} is not valid PEM: {reason}")]
    BadPem {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("client key {0} holds no private key (PKCS#8, PKCS#1 or SEC1 PEM)")]
    NoKey(PathBuf),
    #[error("CA certificate in {path} is not usable: {reason}")]
    BadCa { path: PathBuf, reason: String },
    #[error("no usable system root certificate found")]
    NoSystemRoots,
    #[error("client certificate {cert} and key {key} do not go together: {reason}")]
    BadIdentity {
        cert: PathBuf,
        key: PathBuf,
        reason: String,
    },
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("WebSocket path {0:?} must start with `/`")]
    BadPath(String),
}

/// What rumqttc needs: its transport and the broker address as it wants it
/// (a URL for WebSockets, the host name otherwise).
pub struct Prepared {
    pub transport: Transport,
    pub broker_addr: String,
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("broker_addr", &self.broker_addr)
            .finish_non_exhaustive()
    }
}

impl TransportSettings {
    /// Plain MQTT over TCP.
    pub fn tcp() -> Self {
        Self::default()
    }

    /// Whether traffic is encrypted.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Reads the files and builds the rumqttc transport for `host:port`.
    pub fn prepare(&self, host: &str, port: u16) -> Result<Prepared, TransportError> {
        let tls = self
            .tls
            .as_ref()
            .map(|t| {
                t.client_config()
                    .map(|c| TlsConfiguration::Rustls(Arc::new(c)))
            })
            .transpose()?;
        match (&self.carrier, tls) {
            (Carrier::Tcp, None) => Ok(Prepared {
                transport: Transport::Tcp,
                broker_addr: host.to_string(),
            }),
            (Carrier::Tcp, Some(tls)) => Ok(Prepared {
                transport: Transport::Tls(tls),
                broker_addr: host.to_string(),
            }),
            (Carrier::WebSocket { path }, tls) => {
                if !path.starts_with('/') {
                    return Err(TransportError::BadPath(path.clone()));
                }
                let host = if host.contains(':') && !host.starts_with('[') {
                    format!("[{host}]")
                } else {
                    host.to_string()
                };
                match tls {
                    Some(tls) => Ok(Prepared {
                        transport: Transport::Wss(tls),
                        broker_addr: format!("wss://{host}:{port}{path}"),
                    }),
                    None => Ok(Prepared {
                        transport: Transport::Ws,
                        broker_addr: format!("ws://{host}:{port}{path}"),
                    }),
                }
            }
        }
    }
}

impl TlsSettings {
    /// Checks every file now (what a configuration check calls).
    pub fn check(&self) -> Result<(), TransportError> {
        self.client_config().map(|_| ())
    }

    /// The rustls client configuration: roots, then the optional identity.
    pub fn client_config(&self) -> Result<ClientConfig, TransportError> {
        let mut roots = RootCertStore::empty();
        match &self.ca {
            CaSource::File(path) => {
                for cert in read_certs("CA file", path)? {
                    roots.add(cert).map_err(|e| TransportError::BadCa {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                }
            }
            CaSource::System => {
                let found = rustls_native_certs::load_native_certs();
                let (added, _) = roots.add_parsable_certificates(found.certs);
                if added == 0 {
                    return Err(TransportError::NoSystemRoots);
                }
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TransportError::Tls(e.to_string()))?
            .with_root_certificates(roots);
        match &self.client_identity {
            None => Ok(builder.with_no_client_auth()),
            Some((cert_path, key_path)) => {
                let certs = read_certs("client certificate", cert_path)?;
                let key = read_key(key_path)?;
                builder
                    .with_client_auth_cert(certs, key)
                    .map_err(|e| TransportError::BadIdentity {
                        cert: cert_path.clone(),
                        key: key_path.clone(),
                        reason: e.to_string(),
                    })
            }
        }
    }
}

fn open(what: &'static str, path: &Path) -> Result<BufReader<std::fs::File>, TransportError> {
    std::fs::File::open(path)
        .map(BufReader::new)
        .map_err(|source| TransportError::Read {
            what,
            path: path.to_path_buf(),
            source,
        })
}

/// Every certificate of a PEM file; none at all is an error.
pub fn read_certs(
    what: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let mut reader = open(what, path)?;
    let certs = rustls_pemfile::certs(&mut reader)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TransportError::BadPem {
            what,
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TransportError::NoCertificate {
            what,
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// The first private key of a PEM file.
pub fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TransportError> {
    let mut reader = open("client key", path)?;
    rustls_pemfile::private_key(&mut reader)
        .map_err(|e| TransportError::BadPem {
            what: "client key",
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?
        .ok_or_else(|| TransportError::NoKey(path.to_path_buf()))
}

/// A clear reason for a failed TLS handshake, from the error rustls gave.
pub(crate) fn describe_tls(error: &rustls::Error) -> String {
    use rustls::{AlertDescription, CertificateError, Error};
    match error {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "server certificate not trusted (unknown issuer): check mqtt.ca_file".into()
        }
        Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "server certificate expired (or the gateway clock is wrong)".into(),
        Error::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        ) => "server certificate not valid yet (is the gateway clock right?)".into(),
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => {
            "server certificate does not name this broker (server name mismatch): check mqtt.host"
                .into()
        }
        Error::InvalidCertificate(other) => format!("server certificate refused: {other:?}"),
        Error::AlertReceived(
            AlertDescription::CertificateRequired | AlertDescription::HandshakeFailure,
        ) => "the broker wants a client certificate: set mqtt.client_cert_file and mqtt.client_key_file"
            .into(),
        Error::AlertReceived(
            AlertDescription::UnknownCA
            | AlertDescription::BadCertificate
            | AlertDescription::CertificateUnknown,
        ) => "the broker refused the client certificate".into(),
        Error::AlertReceived(AlertDescription::CertificateExpired) => {
            "the broker says the client certificate expired".into()
        }
        other => format!("TLS handshake failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_checked_and_named() {
        let dir = std::env::temp_dir().join(format!("asr-transport-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let missing = TlsSettings {
            ca: CaSource::File(dir.join("nope.pem")),
            client_identity: None,
        };
        let err = missing.check().expect_err("missing").to_string();
        assert!(
            err.contains("cannot read CA file") && err.contains("nope.pem"),
            "{err}"
        );
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not a certificate").expect("write");
        let err = TlsSettings {
            ca: CaSource::File(junk.clone()),
            client_identity: None,
        }
        .check()
        .expect_err("junk")
        .to_string();
        assert!(err.contains("holds no PEM certificate"), "{err}");
        let ws = TransportSettings {
            carrier: Carrier::WebSocket {
                path: "mqtt".into(),
            },
            tls: None,
        };
        assert!(matches!(
            ws.prepare("h", 80),
            Err(TransportError::BadPath(_))
        ));
        let ws = TransportSettings {
            carrier: Carrier::WebSocket {
                path: "/mqtt".into(),
            },
            tls: None,
        };
        assert_eq!(
            ws.prepare("broker.local", 8080).expect("ws").broker_addr,
            "ws://broker.local:8080/mqtt"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
