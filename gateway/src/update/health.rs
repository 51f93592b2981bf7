//! Is the gateway that just started healthy, and which version is it?
//!
//! The status page's `/healthz` answers 200 once the gateway serves, with
//! its version in `X-Gateway-Version`; the updater asks it on the loopback
//! address. A service that crashes right after answering once is caught by
//! asking several times in a row.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// The header `/healthz` carries the running version in.
pub const VERSION_HEADER: &str = "x-gateway-version";

/// Asks the running gateway.
pub trait HealthProbe {
    /// The running version when healthy, else why not.
    fn check(&self) -> impl Future<Output = Result<String, String>> + Send;
}

/// `/healthz` of the status page, over the loopback interface.
#[derive(Debug, Clone)]
pub struct HttpHealth {
    url: String,
    client: reqwest::Client,
}

impl HttpHealth {
    /// For a page listening on `listen` (any address: asked on loopback).
    pub fn new(listen: SocketAddr, tls: bool) -> Result<HttpHealth, String> {
        let ip = match listen.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let scheme = if tls { "https" } else { "http" };
        let url = format!("{scheme}://{}/healthz", SocketAddr::new(ip, listen.port()));
        // The page's certificate is often self-signed and this is a loopback
        // question about liveness, not about secrets.
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("cannot build the health client: {e}"))?;
        Ok(HttpHealth { url, client })
    }
}

impl HealthProbe for HttpHealth {
    async fn check(&self) -> Result<String, String> {
        let answer = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| format!("{} does not answer: {e}", self.url))?;
        if !answer.status().is_success() {
            return Err(format!("{} answers {}", self.url, answer.status()));
        }
        answer
            .headers()
            .get(VERSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| format!("{} does not say its version", self.url))
    }
}
