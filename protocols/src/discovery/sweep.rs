//! The opt-in SNMP sweep of an IPv4 network, for printers that do not
//! advertise over mDNS (many office lasers have Bonjour switched off).
//!
//! A sweep sends unsolicited traffic across a customer's LAN, so it is
//! explicit and gentle: the network is capped at a /16 and by the caller's
//! host limit, requests are paced at a fixed rate, and each host gets one
//! small GETBULK (sysObjectID, sysDescr and the hrDeviceType column) per
//! credential until one answers. A host is a printer when a hrDeviceType
//! row is hrDevicePrinter.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::mib::Oid;
use crate::printer::{self, hr_device, oids};
use crate::snmp::{self, Credentials, FetchPlan, PollOptions};

use super::cidr::{Ipv4Cidr, MIN_PREFIX};
use super::confirm::SNMP_PORT;
use super::error::DiscoveryError;

/// How a sweep paces itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepOptions {
    /// UDP port of the agents (161 on real printers).
    pub port: u16,
    /// Requests sent per second, all hosts together (retries after a
    /// timeout come on top, spaced by the poll's own backoff).
    pub rate: u32,
    /// Refuse networks with more hosts than this.
    pub max_hosts: usize,
}

impl Default for SweepOptions {
    fn default() -> Self {
        Self {
            port: SNMP_PORT,
            rate: 50,
            max_hosts: 1024,
        }
    }
}

/// A host that answered SNMP and says it is a printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepHit {
    /// The agent's address.
    pub addr: SocketAddr,
    /// sysObjectID (names the vendor's enterprise).
    pub sys_object_id: Option<String>,
    /// sysDescr.
    pub sys_descr: Option<String>,
    /// Index of the credentials that got the answer.
    pub credentials_index: usize,
}

/// Sweeps `cidr` on port 161 at `rate` requests per second.
///
/// # Errors
/// As [`sweep_with`].
pub async fn sweep(
    cidr: &str,
    creds: &[Credentials],
    opts: &PollOptions,
    rate: u32,
    max_hosts: usize,
) -> Result<Vec<SweepHit>, DiscoveryError> {
    let sweep_opts = SweepOptions {
        port: SNMP_PORT,
        rate,
        max_hosts,
    };
    sweep_with(cidr, creds, opts, &sweep_opts).await
}

/// Sweeps `cidr` and returns the printers found, in address order.
///
/// # Errors
/// A CIDR that does not parse, is larger than a /16 or holds more than
/// `max_hosts` hosts; a zero rate; no credentials. Hosts that do not
/// answer are not errors.
pub async fn sweep_with(
    cidr: &str,
    creds: &[Credentials],
    opts: &PollOptions,
    sweep_opts: &SweepOptions,
) -> Result<Vec<SweepHit>, DiscoveryError> {
    let net = Ipv4Cidr::parse(cidr)?;
    if net.prefix() < MIN_PREFIX {
        return Err(DiscoveryError::CidrTooLarge {
            cidr: net.to_string(),
            prefix: net.prefix(),
            hosts: net.host_count(),
        });
    }
    if net.host_count() > u64::try_from(sweep_opts.max_hosts).unwrap_or(u64::MAX) {
        return Err(DiscoveryError::TooManyHosts {
            cidr: net.to_string(),
            hosts: net.host_count(),
            max_hosts: sweep_opts.max_hosts,
        });
    }
    if sweep_opts.rate == 0 {
        return Err(DiscoveryError::ZeroRate);
    }
    if creds.is_empty() {
        return Err(DiscoveryError::NoCredentials);
    }
    let pacer = Pacer::new(sweep_opts.rate);
    let plan = Arc::new(sweep_plan());
    let creds: Arc<[Credentials]> = creds.into();
    let opts = Arc::new(opts.clone());
    let mut tasks = JoinSet::new();
    let mut hits = Vec::new();
    for ip in net.hosts() {
        pacer.wait().await;
        let addr = SocketAddr::new(IpAddr::V4(ip), sweep_opts.port);
        let (pacer, plan, creds, opts) = (pacer.clone(), plan.clone(), creds.clone(), opts.clone());
        tasks.spawn(async move { probe(addr, &creds, &plan, &opts, &pacer).await });
        // Collect finished probes as we go so memory stays flat.
        while let Some(done) = tasks.try_join_next() {
            hits.extend(done.ok().flatten());
        }
    }
    while let Some(done) = tasks.join_next().await {
        hits.extend(done.ok().flatten());
    }
    hits.sort_by_key(|h| h.addr);
    Ok(hits)
}

fn sweep_plan() -> FetchPlan {
    FetchPlan {
        scalars: vec![
            Oid::from_slice(oids::SYS_OBJECT_ID),
            Oid::from_slice(oids::SYS_DESCR),
        ],
        subtrees: vec![Oid::from_slice(oids::HR_DEVICE_TYPE)],
    }
}

/// One host: the credentials in turn (the first is paced by the caller).
async fn probe(
    addr: SocketAddr,
    creds: &[Credentials],
    plan: &FetchPlan,
    opts: &PollOptions,
    pacer: &Pacer,
) -> Option<SweepHit> {
    for (i, c) in creds.iter().enumerate() {
        if i > 0 {
            pacer.wait().await;
        }
        match snmp::fetch(addr, c, plan, opts).await {
            Ok(f) => {
                if hr_device::printer_row(&f.tree).is_none() {
                    tracing::debug!(%addr, "SNMP agent is not a printer");
                    return None;
                }
                let r = printer::interpret(&addr.to_string(), &f.tree);
                return Some(SweepHit {
                    addr,
                    sys_object_id: r.sys_object_id,
                    sys_descr: r.sys_descr,
                    credentials_index: i,
                });
            }
            Err(e) => tracing::trace!(%addr, error = %e, "sweep probe failed"),
        }
    }
    None
}

/// Hands out send slots `1/rate` apart, shared by every probe.
#[derive(Clone)]
struct Pacer {
    next: Arc<Mutex<Instant>>,
    period: Duration,
}

impl Pacer {
    fn new(rate: u32) -> Self {
        Self {
            next: Arc::new(Mutex::new(Instant::now())),
            period: Duration::from_secs(1) / rate.max(1),
        }
    }

    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + self.period;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_large_or_bad_networks_before_sending() {
        let c = [Credentials::v2c("public")];
        let o = PollOptions::default();
        let err = sweep("10.0.0.0/15", &c, &o, 10, 1_000_000)
            .await
            .unwrap_err();
        assert!(
            matches!(err, DiscoveryError::CidrTooLarge { prefix: 15, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("/16"), "{err}");
        let err = sweep("10.0.0.0/22", &c, &o, 10, 256).await.unwrap_err();
        assert!(
            matches!(err, DiscoveryError::TooManyHosts { hosts: 1022, .. }),
            "{err}"
        );
        let err = sweep("10.0.0.0/24", &c, &o, 0, 256).await.unwrap_err();
        assert_eq!(err, DiscoveryError::ZeroRate);
        let err = sweep("10.0.0.0/24", &[], &o, 1, 256).await.unwrap_err();
        assert_eq!(err, DiscoveryError::NoCredentials);
        let err = sweep("10.0.0.0/2x", &c, &o, 1, 256).await.unwrap_err();
        assert!(matches!(err, DiscoveryError::Cidr { .. }), "{err}");
    }

    #[tokio::test]
    async fn the_pacer_spaces_requests() {
        let p = Pacer::new(50);
        let start = Instant::now();
        for _ in 0..11 {
            p.wait().await;
        }
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(600), "{elapsed:?}");
    }
}
