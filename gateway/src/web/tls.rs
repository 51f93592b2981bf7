//! HTTPS for the status page: a self-signed certificate made on first start
//! (kept beside the database so the browser's exception survives restarts),
//! or the site's own certificate files; and a listener that does the TLS
//! handshakes off the accept loop, so a slow or hostile client cannot hold
//! up the others.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A handshake that takes longer than this is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once.
const MAX_HANDSHAKES: usize = 64;

/// File names of the generated certificate, in the data directory.
pub const GENERATED_CERT: &str = "http-cert.pem";
/// File name of its private key (mode 0600).
pub const GENERATED_KEY: &str = "http-key.pem";

/// Why HTTPS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path} holds no {what} in PEM form")]
    Empty { path: PathBuf, what: &'static str },
    #[error("cannot make a self-signed certificate: {0}")]
    Generate(String),
    #[error("the certificate and key do not make a TLS configuration: {0}")]
    Config(String),
}

/// Where the page's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertSource {
    /// The site's own files (PEM).
    Files { cert: PathBuf, key: PathBuf },
    /// Made on first start in this directory, reused afterwards.
    SelfSigned { dir: PathBuf },
}

/// The server's TLS configuration from `source`; a self-signed certificate
/// names `names` (host names and addresses the page is reached by).
pub fn server_config(
    source: &CertSource,
    names: &[String],
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let (cert_path, key_path) = match source {
        CertSource::Files { cert, key } => (cert.clone(), key.clone()),
        CertSource::SelfSigned { dir } => {
            let (cert, key) = (dir.join(GENERATED_CERT), dir.join(GENERATED_KEY));
            if !cert.exists() || !key.exists() {
                generate(&cert, &key, names)?;
                tracing::info!(cert = %cert.display(), "made a self-signed certificate for the status page");
            }
            (cert, key)
        }
    };
    let certs = read_certs(&cert_path)?;
    let key = read_key(&key_path)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    // HTTP/1.1 only: the server is built without HTTP/2, and a browser
    // offered h2 here would speak it to a server that does not.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn generate(cert: &Path, key: &Path, names: &[String]) -> Result<(), TlsError> {
    let mut names: Vec<String> = names.to_vec();
    if names.is_empty() {
        names.push("localhost".to_owned());
    }
    let made =
        rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::Generate(e.to_string()))?;
    // The key first, private from the start; each file written whole
    // (temporary file, then rename) so a power cut leaves no half file.
    write_atomic(key, made.signing_key.serialize_pem().as_bytes(), true)?;
    write_atomic(cert, made.cert.pem().as_bytes(), false)
}

fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<(), TlsError> {
    use std::io::Write as _;
    let err = |source| TlsError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    if private {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(err)?;
    }
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let certs = rustls_pemfile::certs(&mut bytes.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::Empty {
            path: path.to_path_buf(),
            what: "certificate",
        });
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    rustls_pemfile::private_key(&mut bytes.as_slice())
        .map_err(|source| TlsError::Read {
            path: path.to_path_buf(),
            source,
        })?
        .ok_or_else(|| TlsError::Empty {
            path: path.to_path_buf(),
            what: "private key",
        })
}

/// Accepts TCP connections and hands over those whose TLS handshake
/// succeeded; failed or slow handshakes are dropped (and logged at debug:
/// a browser refusing the self-signed certificate does this every time).
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accept_task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Starts handshaking connections of `listener` with `config`.
    pub fn new(listener: TcpListener, config: Arc<rustls::ServerConfig>) -> io::Result<Self> {
        let local = listener.local_addr()?;
        let acceptor = TlsAcceptor::from(config);
        let (tx, ready) = mpsc::channel(MAX_HANDSHAKES);
        let permits = Arc::new(Semaphore::new(MAX_HANDSHAKES));
        let accept_task = tokio::spawn(async move {
            loop {
                let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                    return;
                };
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little.
                        tracing::warn!(error = %e, "status page: accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = tx.send((stream, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self {
            ready,
            local,
            accept_task,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(ready) => ready,
            // The accept task only ends when the listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_certificate_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let source = CertSource::SelfSigned {
            dir: dir.path().to_path_buf(),
        };
        server_config(&source, &["gateway.local".to_owned()]).unwrap();
        let first = std::fs::read(dir.path().join(GENERATED_CERT)).unwrap();
        server_config(&source, &[]).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join(GENERATED_CERT)).unwrap(),
            first,
            "reused, so the browser's exception still holds"
        );
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join(GENERATED_KEY))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key is private");
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        std::fs::write(&cert, "not a certificate").unwrap();
        let source = CertSource::Files {
            cert: cert.clone(),
            key: dir.path().join("missing.pem"),
        };
        let e = server_config(&source, &[]).unwrap_err().to_string();
        assert!(e.contains("no certificate"), "{e}");
        let source = CertSource::Files {
            cert: dir.path().join("absent.pem"),
            key: cert,
        };
        assert!(
            server_config(&source, &[])
                .unwrap_err()
                .to_string()
                .contains("cannot read")
        );
    }
}
