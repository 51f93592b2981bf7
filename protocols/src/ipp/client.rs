//! One Get-Printer-Attributes over HTTP or HTTPS.
//!
//! Printers serve IPPS with self-signed certificates, so no CA can vouch
//! for them. Instead the certificate is pinned on first use: the caller
//! keeps the SHA-256 fingerprint this returns and passes it back next time;
//! a different certificate is refused with [`IppError::CertificateChanged`]
//! (reported, never silently trusted). The request carries no secret, so
//! nothing leaks before the comparison; the answer is only used after it.

use std::time::Duration;

use futures_util::StreamExt as _;

use super::codec::{self, CodecError, Message};

/// The IPP port when a URL gives none.
pub const DEFAULT_PORT: u16 = 631;
/// Largest answer read: a full Get-Printer-Attributes of a big MFP is
/// tens of KB; anything past this is cut off and refused.
pub const MAX_RESPONSE_BYTES: usize = 512 * 1024;

/// What a poll asks for: supplies, state, identity, counters. Asking for
/// less keeps the answer small on printers that would send hundreds of
/// attributes.
pub const REQUESTED: &[&str] = &[
    "printer-supply",
    "printer-supply-description",
    "marker-names",
    "marker-types",
    "marker-colors",
    "marker-levels",
    "marker-low-levels",
    "marker-high-levels",
    "printer-alert",
    "printer-alert-description",
    "printer-state",
    "printer-state-reasons",
    "printer-state-message",
    "printer-uuid",
    "printer-device-id",
    "printer-make-and-model",
    "printer-name",
    "printer-info",
    "printer-serial-number",
    "printer-up-time",
    "printer-impressions-completed",
    "printer-total-impressions",
    "printer-firmware-string-version",
];

/// An `ipp://` or `ipps://` printer address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IppUrl {
    /// `ipps`: IPP over TLS.
    pub tls: bool,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// Resource path, `/ipp/print` by default.
    pub path: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum IppError {
    #[error("{0:?} is not an ipp:// or ipps:// printer URL")]
    BadUrl(String),
    #[error("cannot reach {url}: {reason}")]
    Http { url: String, reason: String },
    #[error("{url} answered HTTP {status}")]
    HttpStatus { url: String, status: u16 },
    #[error("{url} sent more than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge { url: String },
    #[error("{url} sent a malformed IPP answer: {error}")]
    Decode { url: String, error: CodecError },
    #[error("{url} answered IPP status 0x{status:04x}")]
    IppStatus { url: String, status: u16 },
    #[error(
        "{url} presented a different certificate (sha256 {seen}, pinned {pinned}): \
         refused until the printer is re-registered"
    )]
    CertificateChanged {
        url: String,
        pinned: String,
        seen: String,
    },
}

impl IppUrl {
    /// Parses `ipp[s]://host[:port][/path]`.
    pub fn parse(text: &str) -> Result<IppUrl, IppError> {
        let bad = || IppError::BadUrl(text.to_string());
        let t = text.trim();
        let (tls, rest) = if let Some(r) = t.strip_prefix("ipps://") {
            (true, r)
        } else if let Some(r) = t.strip_prefix("ipp://") {
            (false, r)
        } else {
            return Err(bad());
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/ipp/print"),
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(bad)?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| bad())?,
                None if after.is_empty() => DEFAULT_PORT,
                None => return Err(bad()),
            };
            (host.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad())?),
                None => (authority.to_string(), DEFAULT_PORT),
            }
        };
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._:".contains(c));
        let path_ok = path
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '?' && c != '#');
        if !host_ok || port == 0 || !path_ok {
            return Err(bad());
        }
        Ok(IppUrl {
            tls,
            host,
            port,
            path: path.to_string(),
        })
    }

    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The `printer-uri` operation attribute.
    pub fn printer_uri(&self) -> String {
        let scheme = if self.tls { "ipps" } else { "ipp" };
        format!("{scheme}://{}{}", self.authority(), self.path)
    }

    /// Where the request is POSTed.
    pub fn http_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{}", self.authority(), self.path)
    }
}

impl std::fmt::Display for IppUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.printer_uri())
    }
}

/// The decoded answer and, over IPPS, the certificate's fingerprint.
#[derive(Debug, Clone)]
pub struct IppAnswer {
    pub message: Message,
    /// SHA-256 of the printer's certificate (DER), lower-case hex.
    pub certificate: Option<String>,
}

/// A reusable client (one per gateway: connections and TLS set-up kept).
#[derive(Debug, Clone)]
pub struct IppClient {
    http: reqwest::Client,
    timeout: Duration,
}

impl IppClient {
    /// A client whose requests give up after `timeout`.
    pub fn new(timeout: Duration) -> Result<IppClient, IppError> {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            // Self-signed printer certificates: pinned below instead.
            .danger_accept_invalid_certs(true)
            .tls_info(true)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("asr-gateway/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| IppError::Http {
                url: String::new(),
                reason: e.to_string(),
            })?;
        Ok(IppClient { http, timeout })
    }

    /// Asks `url` for `requested` attributes; `pinned` is the certificate
    /// fingerprint seen before, if any.
    pub async fn get_printer_attributes(
        &self,
        url: &IppUrl,
        requested: &[&str],
        pinned: Option<&str>,
    ) -> Result<IppAnswer, IppError> {
        let target = url.http_url();
        let request_id = rand::random::<u32>() & 0x7fff_ffff | 1;
        let body =
            codec::get_printer_attributes(request_id, &url.printer_uri(), requested).encode();
        let exchange = async {
            let answer = self
                .http
                .post(&target)
                .header(reqwest::header::CONTENT_TYPE, "application/ipp")
                .body(body)
                .send()
                .await
                .map_err(|e| IppError::Http {
                    url: target.clone(),
                    reason: without_url(e),
                })?;
            let certificate = answer
                .extensions()
                .get::<reqwest::tls::TlsInfo>()
                .and_then(|info| info.peer_certificate())
                .map(fingerprint);
            if let (Some(pinned), Some(seen)) = (pinned, certificate.as_deref())
                && pinned != seen
            {
                return Err(IppError::CertificateChanged {
                    url: target.clone(),
                    pinned: pinned.to_string(),
                    seen: seen.to_string(),
                });
            }
            if !answer.status().is_success() {
                return Err(IppError::HttpStatus {
                    url: target.clone(),
                    status: answer.status().as_u16(),
                });
            }
            let bytes = read_bounded(answer, &target).await?;
            let message = Message::decode(&bytes).map_err(|error| IppError::Decode {
                url: target.clone(),
                error,
            })?;
            if !message.is_success() {
                return Err(IppError::IppStatus {
                    url: target.clone(),
                    status: message.code,
                });
            }
            Ok(IppAnswer {
                message,
                certificate,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(IppError::Http {
                    url: target.clone(),
                    reason: format!("no answer within {:?}", self.timeout),
                })
            })
    }
}

async fn read_bounded(answer: reqwest::Response, url: &str) -> Result<Vec<u8>, IppError> {
    if answer
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(IppError::TooLarge { url: url.into() });
    }
    let mut body = Vec::new();
    let mut stream = answer.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| IppError::Http {
            url: url.into(),
            reason: without_url(e),
        })?;
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(IppError::TooLarge { url: url.into() });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// reqwest's message repeats the URL the error already names.
fn without_url(e: reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    let mut text = e.without_url().to_string();
    for cause in causes {
        text = format!("{text}: {cause}");
    }
    text
}

/// Lower-case hex SHA-256 of a DER certificate.
pub fn fingerprint(der: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_defaults_and_bad_ones_are_refused() {
        let u = IppUrl::parse("ipp://printer.local/ipp/print").expect("url");
        assert_eq!((u.tls, u.port, u.path.as_str()), (false, 631, "/ipp/print"));
        assert_eq!(u.http_url(), "http://printer.local:631/ipp/print");
        let u = IppUrl::parse("ipps://192.0.2.7:8631").expect("url");
        assert_eq!(u.printer_uri(), "ipps://192.0.2.7:8631/ipp/print");
        assert_eq!(u.http_url(), "https://192.0.2.7:8631/ipp/print");
        let u = IppUrl::parse("ipp://[2001:db8::5]:631/ipp/print").expect("v6");
        assert_eq!(u.host, "2001:db8::5");
        assert_eq!(u.http_url(), "http://[2001:db8::5]:631/ipp/print");
        for bad in [
            "http://x/ipp",
            "ipp://",
            "ipp://x:0/",
            "ipp://x:99999/",
            "ipp://x y/",
            "ipp://x/a?b",
            "ipp://[::1/",
        ] {
            assert!(IppUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fingerprints_are_hex_sha256() {
        assert_eq!(
            fingerprint(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
