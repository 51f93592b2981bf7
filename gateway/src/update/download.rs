//! Fetching a package over HTTPS, bounded.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::io::AsyncWriteExt as _;

/// Largest package accepted: the gateway's is a few MB.
pub const MAX_PACKAGE_BYTES: u64 = 200 * 1024 * 1024;

/// Brings a package file to the updater.
pub trait Fetch {
    /// Writes the body at `url` to `dest`; its size.
    fn fetch(&self, url: &str, dest: &Path) -> impl Future<Output = Result<u64, String>> + Send;
}

/// HTTPS with the system's roots, plus the site's own CA when given.
#[derive(Debug, Clone)]
pub struct HttpsFetch {
    client: reqwest::Client,
    max_bytes: u64,
}

impl HttpsFetch {
    pub fn new(extra_ca: Option<&PathBuf>) -> Result<HttpsFetch, String> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(true)
            .connect_timeout(Duration::from_secs(30))
            .timeout(Duration::from_secs(30 * 60))
            .redirect(reqwest::redirect::Policy::limited(5));
        if let Some(path) = extra_ca {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("CA file {}: {e}", path.display()))?;
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        let client = builder
            .build()
            .map_err(|e| format!("cannot build the download client: {e}"))?;
        Ok(HttpsFetch {
            client,
            max_bytes: MAX_PACKAGE_BYTES,
        })
    }
}

impl Fetch for HttpsFetch {
    async fn fetch(&self, url: &str, dest: &Path) -> Result<u64, String> {
        let answer = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("cannot download {url}: {}", with_causes(&e)))?;
        if !answer.status().is_success() {
            return Err(format!("{url} answers {}", answer.status()));
        }
        if answer.content_length().is_some_and(|n| n > self.max_bytes) {
            return Err(format!(
                "{url} is over the limit of {} MB",
                self.max_bytes / 1024 / 1024
            ));
        }
        let mut file = tokio::fs::File::create(dest)
            .await
            .map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
        let mut total = 0u64;
        let mut body = answer.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|e| format!("download of {url} broke off: {}", with_causes(&e)))?;
            total += chunk.len() as u64;
            if total > self.max_bytes {
                return Err(format!(
                    "{url} is over the limit of {} MB",
                    self.max_bytes / 1024 / 1024
                ));
            }
            file.write_all(&chunk)
                .await
                .map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
        }
        file.sync_all()
            .await
            .map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
        Ok(total)
    }
}

/// An error with its causes: reqwest's own message alone says "error
/// sending request", the cause says which (TLS, DNS, refused...).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
