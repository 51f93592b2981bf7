//! Talking to systemd (`Type=notify`): readiness, status text, stopping,
//! and the watchdog. The protocol is one datagram per message on the unix
//! socket named by `NOTIFY_SOCKET` (a path, or `@name` in the abstract
//! namespace), so it is written here rather than pulled in as a crate.
//! Outside systemd (no `NOTIFY_SOCKET`) every call is a no-op.
//!
//! The watchdog is pinged only while the gateway is well: the store
//! answers a query in time. A gateway stuck on its database stops pinging
//! and systemd restarts it, instead of it looking alive while doing nothing.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::store::Store;

/// Where to send notifications, from the environment.
fn socket_address() -> Option<String> {
    std::env::var("NOTIFY_SOCKET")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Sends `state` (`READY=1`, `STATUS=…`, `WATCHDOG=1`, `STOPPING=1`,
/// lines joined by `\n`) to the service manager. `Ok(false)` when not run
/// by systemd.
pub fn notify(state: &str) -> io::Result<bool> {
    let Some(address) = socket_address() else {
        return Ok(false);
    };
    send_to(&address, state)?;
    Ok(true)
}

fn send_to(address: &str, state: &str) -> io::Result<()> {
    let socket = UnixDatagram::unbound()?;
    if let Some(name) = address.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
        socket.send_to_addr(state.as_bytes(), &addr)?;
    } else {
        socket.send_to(state.as_bytes(), address)?;
    }
    Ok(())
}

/// How often systemd wants a watchdog ping (`WATCHDOG_USEC`, for this
/// process when `WATCHDOG_PID` names one); `None` without a watchdog.
pub fn watchdog_interval() -> Option<Duration> {
    parse_watchdog(
        std::env::var("WATCHDOG_USEC").ok().as_deref(),
        std::env::var("WATCHDOG_PID").ok().as_deref(),
        std::process::id(),
    )
}

fn parse_watchdog(usec: Option<&str>, pid: Option<&str>, me: u32) -> Option<Duration> {
    if let Some(pid) = pid
        && pid.trim().parse::<u32>().ok() != Some(me)
    {
        return None;
    }
    let usec: u64 = usec?.trim().parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec))
}

/// Pings the watchdog at half its interval while the store answers, until
/// `shutdown`. Does nothing without a watchdog.
pub async fn watchdog(store: Arc<Store>, shutdown: CancellationToken) {
    let Some(interval) = watchdog_interval() else {
        return;
    };
    let every = interval / 2;
    debug!(?interval, "systemd watchdog on");
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        let store = Arc::clone(&store);
        let check = tokio::task::spawn_blocking(move || store.health_check());
        match tokio::time::timeout(every, check).await {
            Ok(Ok(Ok(()))) => {
                if let Err(e) = notify("WATCHDOG=1") {
                    warn!(error = %e, "cannot ping the systemd watchdog");
                }
            }
            Ok(Ok(Err(e))) => {
                warn!(error = %e, "the database does not answer: watchdog not pinged")
            }
            Ok(Err(_)) | Err(_) => {
                warn!("the database check is stuck: watchdog not pinged");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_is_read_for_this_process_only() {
        assert_eq!(
            parse_watchdog(Some("30000000"), None, 7),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_watchdog(Some("30000000"), Some("7"), 7),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_watchdog(Some("30000000"), Some("8"), 7), None);
        assert_eq!(parse_watchdog(Some("0"), None, 7), None);
        assert_eq!(parse_watchdog(Some("soon"), None, 7), None);
        assert_eq!(parse_watchdog(None, None, 7), None);
    }

    #[test]
    fn messages_reach_a_path_and_an_abstract_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let listener = UnixDatagram::bind(&path).unwrap();
        send_to(path.to_str().unwrap(), "READY=1\nSTATUS=polling").unwrap();
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=polling");

        use std::os::linux::net::SocketAddrExt;
        let name = format!("asr-test-{}", std::process::id());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let abstract_listener = UnixDatagram::bind_addr(&addr).unwrap();
        send_to(&format!("@{name}"), "WATCHDOG=1").unwrap();
        let n = abstract_listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"WATCHDOG=1");
    }
}
