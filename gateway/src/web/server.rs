//! Binding and running the status page server.
//!
//! Binding is separate from running so the caller learns about a busy port
//! at startup, with a clear error, and so tests can bind port 0 and read the
//! real port before serving.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;

use super::auth::Auth;
use super::error::WebError;
use super::limits::Limited;
use super::routes::router;
use super::source::StatusSource;
use super::tls::TlsListener;

/// A bound, not yet running, status page server.
pub struct WebServer {
    listener: TcpListener,
    addr: SocketAddr,
    app: axum::Router,
    /// HTTPS when set.
    tls: Option<Arc<rustls::ServerConfig>>,
}

impl std::fmt::Debug for WebServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl WebServer {
    /// Binds `addr` (port 0 picks a free port).
    pub async fn bind(
        addr: SocketAddr,
        source: Arc<dyn StatusSource>,
        auth: Arc<Auth>,
    ) -> Result<Self, WebError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| bind_error(addr, source))?;
        let bound = listener
            .local_addr()
            .map_err(|source| bind_error(addr, source))?;
        Ok(Self {
            listener,
            addr: bound,
            app: router(source, auth),
            tls: None,
        })
    }

    /// Serves HTTPS with `config` instead of plain HTTP (give the [`Auth`]
    /// `secure()` so its cookies are marked `Secure`).
    pub fn with_tls(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// The address actually bound (with the real port when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), WebError> {
        let addr = self.addr;
        // The client's address is needed to rate-limit logins and to keep
        // the setup page on the LAN.
        let app = self.app.into_make_service_with_connect_info::<SocketAddr>();
        match self.tls {
            None => {
                tracing::info!(%addr, "status page listening (HTTP)");
                axum::serve(Limited::new(self.listener).tap_io(|_| {}), app)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
            Some(config) => {
                tracing::info!(%addr, "status page listening (HTTPS)");
                let listener = TlsListener::new(self.listener, config)
                    .map_err(|source| WebError::Serve { addr, source })?;
                // `tap_io` only to get the peer address as connect info
                // (axum implements it for its own listeners and taps).
                axum::serve(Limited::new(listener).tap_io(|_| {}), app)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
        }
        .map_err(|source| WebError::Serve { addr, source })
    }
}

fn bind_error(addr: SocketAddr, source: io::Error) -> WebError {
    if source.kind() == io::ErrorKind::AddrInUse {
        WebError::AddrInUse { addr, source }
    } else {
        WebError::Bind { addr, source }
    }
}

/// Binds `addr` and serves the status page until `shutdown` completes
/// (pass e.g. `token.cancelled_owned()` of a `CancellationToken`).
pub async fn serve(
    addr: SocketAddr,
    source: Arc<dyn StatusSource>,
    auth: Arc<Auth>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    WebServer::bind(addr, source, auth)
        .await?
        .run(shutdown)
        .await
}
