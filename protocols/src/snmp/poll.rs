//! One poll of one device: fetch a [`FetchPlan`] over UDP in as few request
//! round trips as the protocol version allows.
//!
//! SNMPv2c/v3 send one GETBULK per round with the plan's scalars as
//! non-repeaters and one repeater per unfinished column (the way net-snmp's
//! table walkers and Telegraf do it), so a printer's ~20 short columns come
//! back together in one or two round trips instead of one walk per column.
//! SNMPv1 has no GETBULK, so each round is a batched GETNEXT with one varbind
//! per unfinished column.
//!
//! Printers are fragile and sometimes buggy: requests are spaced by retries
//! with backoff, every column is bounded in rows, the whole poll is bounded
//! in bindings, and a column whose agent goes backwards, repeats itself or
//! wanders out of the subtree is closed rather than followed.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use async_snmp::{
    Auth, Client, ClientBuilder, ErrorKind, ErrorStatus, Retry, UdpTransport, UsmConfig, VarBind,
};

use super::credentials::Credentials;
use super::error::SnmpError;
use super::plan::FetchPlan;
use crate::mib::{MibTree, Oid, Value};

mod padded_aes;

use padded_aes::{Observed, TolerantUdp, UsmSecrets};

use super::rto::Rto;

/// The client every poll uses: the library's UDP client behind our
/// datagram repair and accounting.
type SnmpClient = Client<TolerantUdp>;

/// How gently and how far a poll goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollOptions {
    /// Wait for one response before resending, at least: slower answers
    /// raise the wait for the rest of the poll (RFC 6298-style), and each
    /// resend waits twice as long as the attempt before, up to `max_timeout`.
    pub timeout: Duration,
    /// The longest a single attempt waits, however slow the printer was.
    pub max_timeout: Duration,
    /// Resends after a timeout (so `retries + 1` attempts per request).
    pub retries: u32,
    /// Pause before the first resend; doubled before each further one.
    pub backoff: Duration,
    /// GETBULK max-repetitions of the first round; later rounds may use
    /// up to twice this for the few columns still open.
    pub max_repetitions: u32,
    /// Rows kept per column; a longer column is cut and reported.
    pub max_rows: usize,
    /// Bindings kept per poll, all columns together: bounds memory against
    /// a device that never ends its tables.
    pub max_bindings: usize,
    /// Response size we are prepared to ask for: GETBULK repetitions are
    /// lowered so that (repeaters × repetitions × ~48 bytes) stays below it.
    pub max_response_bytes: usize,
    /// Varbinds per SNMPv1 GETNEXT request.
    pub max_varbinds_per_request: usize,
    /// Request rounds per poll, a last guard against agents that make
    /// progress one row at a time forever.
    pub max_rounds: u32,
}

impl Default for PollOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(2),
            max_timeout: Duration::from_secs(16),
            retries: 2,
            backoff: Duration::from_millis(500),
            max_repetitions: 20,
            max_rows: 500,
            max_bindings: 20_000,
            max_response_bytes: 32 * 1024,
            max_varbinds_per_request: 48,
            max_rounds: 200,
        }
    }
}

impl PollOptions {
    /// Longest a single request can take before it is declared timed out:
    /// every attempt's timeout plus every backoff pause. A v3 poll may spend
    /// this once more on engine discovery.
    pub fn request_budget(&self) -> Duration {
        let rto = Rto::new(self.timeout, self.max_timeout);
        let mut total = Duration::ZERO;
        let mut pause = self.backoff;
        for attempt in 1..=self.retries.saturating_add(1) {
            total = total.saturating_add(rto.for_attempt(attempt));
            if attempt <= self.retries {
                total = total.saturating_add(pause);
                pause = pause.saturating_mul(2);
            }
        }
        total
    }
}

/// What a poll returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// Every binding fetched: the scalars that exist and the rows of every
    /// subtree (without the binding that showed the end of a column).
    pub tree: MibTree,
    /// Request/response exchanges that got an answer: every GET, GETNEXT
    /// or GETBULK answered (even with an error status), plus one for the
    /// SNMPv3 engine discovery a fresh client performs; timed-out attempts
    /// do not count.
    pub round_trips: u32,
    /// Subtrees whose walk was cut short, and why.
    pub truncated: Vec<Truncation>,
    /// How long a first attempt should wait for this printer, as its
    /// answers taught (never below the configured timeout): pass it as the
    /// next poll's `timeout` so a slow printer is not asked twice.
    pub wait: Duration,
}

/// A walk that ended before its subtree did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    /// The subtree as the plan named it.
    pub subtree: Oid,
    /// Why the walk stopped.
    pub reason: TruncationReason,
}

/// Why a walk stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TruncationReason {
    /// The agent returned an OID not after the previous one (a loop or a
    /// backwards step).
    NonIncreasing {
        /// The last OID accepted.
        previous: Oid,
        /// The OID that was not after it.
        returned: Oid,
    },
    /// The column reached [`PollOptions::max_rows`].
    RowLimit(usize),
    /// The poll reached [`PollOptions::max_bindings`].
    BindingLimit(usize),
    /// The agent answered without any row for this column.
    NoProgress,
    /// The poll reached [`PollOptions::max_rounds`].
    RoundLimit(u32),
}

/// Fetches `plan` from the device at `target`.
///
/// # Errors
/// A [`SnmpError`] naming `target` when the device does not answer, rejects
/// the credentials, or answers with an error or garbage. A device that
/// answers oddly (loops, endless tables) is not an error: its walk is cut
/// and reported in [`Fetched::truncated`].
pub async fn fetch(
    target: SocketAddr,
    creds: &Credentials,
    plan: &FetchPlan,
    opts: &PollOptions,
) -> Result<Fetched, SnmpError> {
    let (client, transport, observed) = connect(target, creds, opts).await?;
    let mut poll = Poll::new(target, plan, opts);
    let result = match creds {
        Credentials::V1 { .. } => poll.run_v1(&client).await,
        Credentials::V2c { .. } | Credentials::V3(_) => poll.run_bulk(&client).await,
    };
    let control = transport.control();
    let stats = control.stats();
    control.shutdown().await;
    let is_v3 = matches!(creds, Credentials::V3(_));
    // A fresh v3 client discovers the agent's engine ID first: one more
    // exchange, which the library performs before our first request.
    let discovery = u32::from(is_v3 && poll.round_trips.load(Ordering::Relaxed) > 0);
    let round_trips = poll
        .round_trips
        .load(Ordering::Relaxed)
        .saturating_add(discovery);
    let load = |c: &AtomicU32| c.load(Ordering::Relaxed);
    match result {
        // The device did answer, but every answer failed the v3 checks:
        // that is a credentials problem, not an offline printer.
        Err(SnmpError::Timeout { .. })
            if is_v3
                && (load(&observed.failed_auth) > 0
                    || (load(&observed.authenticated) == 0
                        && stats.discarded_datagrams
                            + stats.malformed_datagrams
                            + u64::from(load(&observed.rejected))
                            > 0)) =>
        {
            Err(SnmpError::AuthFailed {
                target,
                detail: "the device answered, but its answers failed SNMPv3 checks \
                         (wrong user, password, protocol or security level?)"
                    .into(),
            })
        }
        // Answers arrived and even authenticated with our key, yet the SNMP
        // library refused them: say so rather than call the device offline.
        Err(SnmpError::Timeout { attempts, .. }) if load(&observed.rejected) > 0 => {
            let authenticated = load(&observed.authenticated);
            let proof = if authenticated > 0 {
                format!(
                    "{authenticated} of them authenticated with the configured \
                     SNMPv3 keys, so the credentials are right"
                )
            } else {
                "none of them matched a request".to_string()
            };
            Err(SnmpError::Malformed {
                target,
                detail: format!(
                    "the device answered {} time(s) over {attempts} request attempt(s), \
                     but the SNMP library rejected every answer after decoding ({proof}; \
                     context, request-id, security level or encoding differ from what \
                     it expects)",
                    load(&observed.rejected)
                ),
            })
        }
        Err(e) => Err(e),
        Ok(()) => {
            let wait = poll.rto.lock().map_or(opts.timeout, |r| r.current());
            Ok(Fetched {
                tree: poll.tree,
                round_trips,
                truncated: poll.truncated,
                wait,
            })
        }
    }
}

async fn connect(
    target: SocketAddr,
    creds: &Credentials,
    opts: &PollOptions,
) -> Result<(SnmpClient, UdpTransport, Arc<Observed>), SnmpError> {
    let invalid = |detail: String| SnmpError::InvalidCredentials { target, detail };
    let auth = match creds {
        Credentials::V1 { community } => Auth::v1(community.clone()),
        Credentials::V2c { community } => Auth::v2c(community.clone()),
        Credentials::V3(v3) => {
            let base = UsmConfig::new(v3.user.clone().into_bytes());
            let config = match (&v3.auth, &v3.privacy) {
                (None, None) => base,
                (Some((ap, apw)), None) => base
                    .auth(ap.to_lib(), apw.as_bytes())
                    .map_err(|e| invalid(format!("authentication: {e}")))?,
                (Some((ap, apw)), Some((pp, ppw))) => base
                    .auth_priv(ap.to_lib(), apw.as_bytes(), pp.to_lib(), ppw.as_bytes())
                    .map_err(|e| invalid(format!("authentication/privacy: {e}")))?,
                (None, Some(_)) => {
                    return Err(invalid(
                        "privacy configured without authentication (USM has no noAuthPriv)".into(),
                    ));
                }
            };
            Auth::Usm(config.context_name(v3.context.clone().into_bytes()))
        }
    };
    // The secrets again, for the datagram repair (see `padded_aes`).
    let secrets = match creds {
        Credentials::V3(v3) => v3.auth.as_ref().and_then(|(ap, apw)| {
            UsmSecrets::new(
                (ap.to_lib(), apw.as_bytes()),
                v3.privacy
                    .as_ref()
                    .map(|(pp, ppw)| (pp.to_lib(), ppw.as_bytes())),
            )
        }),
        Credentials::V1 { .. } | Credentials::V2c { .. } => None,
    };
    let lib_err = |e: Box<async_snmp::Error>| SnmpError::from_lib(target, &e);
    // The message size we accept is what SNMPv3 advertises as msgMaxSize;
    // the library's default (1472) would make a v3 agent answer a printer
    // in many small pieces.
    let bind = if target.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let transport = UdpTransport::builder()
        .bind(bind)
        .max_message_size(
            opts.max_response_bytes
                .clamp(1472, async_snmp::MAX_UDP_PAYLOAD),
        )
        .build()
        .await
        .map_err(lib_err)?;
    let observed = Arc::new(Observed::default());
    let handle = transport.handle(target).map_err(lib_err)?;
    let client = ClientBuilder::new(auth)
        // The per-attempt wait is ours (adaptive, see `rto`): the
        // library's own only stops a request nobody waits for any more.
        .request_timeout(opts.max_timeout.max(opts.timeout))
        // Retries are ours, so that backoff and the timeout error are
        // under our control and every attempt is visible.
        .retry(Retry::none())
        .max_oids_per_request(opts.max_varbinds_per_request.max(1))
        .build_with_transport(TolerantUdp::new(handle, secrets, Arc::clone(&observed)))
        .map_err(lib_err)?;
    Ok((client, transport, observed))
}

/// A request error: every attempt timed out, or the library failed.
enum RequestError {
    Exhausted { attempts: u32, waited: Duration },
    Lib(Box<async_snmp::Error>),
}

impl RequestError {
    fn into_snmp(self, target: SocketAddr) -> SnmpError {
        match self {
            Self::Exhausted { attempts, waited } => SnmpError::Timeout {
                target,
                attempts,
                waited,
            },
            Self::Lib(e) => SnmpError::from_lib(target, &e),
        }
    }
}

/// One scalar of the plan, fetched as the successor of a probe OID.
struct Scalar {
    oid: Oid,
    /// What to ask GETNEXT for so that the answer is `oid` if it exists.
    probe: Option<Oid>,
}

/// One subtree walk in progress.
struct Column {
    root: Oid,
    cursor: Oid,
    rows: usize,
    done: bool,
}

struct Poll<'a> {
    target: SocketAddr,
    opts: &'a PollOptions,
    scalars: Vec<Scalar>,
    columns: Vec<Column>,
    tree: MibTree,
    bindings: usize,
    truncated: Vec<Truncation>,
    /// Scalars whose probe answer was inconclusive; fetched by GET at the end.
    get_later: Vec<Oid>,
    /// Requests that got an answer (an SNMP error status is an answer too).
    round_trips: AtomicU32,
    /// How long to wait for this target, learned from its answers.
    rto: std::sync::Mutex<Rto>,
}

impl<'a> Poll<'a> {
    fn new(target: SocketAddr, plan: &FetchPlan, opts: &'a PollOptions) -> Self {
        let mut scalars: Vec<Scalar> = Vec::new();
        for oid in &plan.scalars {
            if scalars.iter().any(|s| &s.oid == oid) {
                continue;
            }
            scalars.push(Scalar {
                oid: oid.clone(),
                probe: probe_for(oid),
            });
        }
        let mut columns: Vec<Column> = Vec::new();
        for root in &plan.subtrees {
            if columns.iter().any(|c| &c.root == root) {
                continue;
            }
            columns.push(Column {
                root: root.clone(),
                cursor: root.clone(),
                rows: 0,
                done: false,
            });
        }
        Self {
            target,
            opts,
            scalars,
            columns,
            tree: MibTree::new(),
            bindings: 0,
            truncated: Vec::new(),
            get_later: Vec::new(),
            round_trips: AtomicU32::new(0),
            rto: std::sync::Mutex::new(Rto::new(opts.timeout, opts.max_timeout)),
        }
    }

    fn rto_for(&self, attempt: u32) -> Duration {
        self.rto
            .lock()
            .map_or(self.opts.timeout, |r| r.for_attempt(attempt))
    }

    fn rtt_sample(&self, rtt: Duration) {
        if let Ok(mut r) = self.rto.lock() {
            r.sample(rtt);
        }
    }

    /// Sends one request with our timeout/retry/backoff policy.
    async fn request<T, F, Fut>(&self, mut send: F) -> Result<T, RequestError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = async_snmp::Result<T>>,
    {
        let started = Instant::now();
        let mut pause = self.opts.backoff;
        let attempts = self.opts.retries.saturating_add(1);
        for attempt in 1..=attempts {
            let sent = Instant::now();
            let outcome = match tokio::time::timeout(self.rto_for(attempt), send()).await {
                Ok(outcome) => outcome,
                // Our wait ran out: the same as the library's timeout.
                Err(_) => Err(Box::new(async_snmp::Error::Timeout {
                    target: self.target,
                    elapsed: sent.elapsed(),
                    retries: 0,
                })),
            };
            match outcome {
                Ok(v) => {
                    self.round_trips.fetch_add(1, Ordering::Relaxed);
                    self.rtt_sample(sent.elapsed());
                    return Ok(v);
                }
                Err(e) if e.kind() == ErrorKind::Snmp => {
                    self.round_trips.fetch_add(1, Ordering::Relaxed);
                    self.rtt_sample(sent.elapsed());
                    return Err(RequestError::Lib(e));
                }
                Err(e) if e.kind() == ErrorKind::Timeout => {
                    tracing::debug!(target = %self.target, attempt, "SNMP request timed out");
                    if attempt < attempts {
                        tokio::time::sleep(pause).await;
                        pause = pause.saturating_mul(2);
                    }
                }
                Err(e) => return Err(RequestError::Lib(e)),
            }
        }
        Err(RequestError::Exhausted {
            attempts,
            waited: started.elapsed(),
        })
    }

    fn open_columns(&self) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|&i| !self.columns[i].done)
            .collect()
    }

    /// Records a scalar answer; an inconclusive one is queued for a GET.
    fn resolve_scalar(&mut self, idx: usize, vb: Option<&VarBind>) {
        let Some(scalar) = self.scalars.get(idx) else {
            return;
        };
        let wanted = scalar.oid.clone();
        match vb {
            Some(vb) if vb.oid == wanted => {
                if !is_exception(&vb.value) {
                    self.keep(wanted, vb.value.clone());
                }
            }
            // An answer after the scalar proves it absent; an answer before
            // it (or none) proves nothing.
            Some(vb) if vb.oid > wanted || is_end(&vb.value) => {}
            _ => self.get_later.push(wanted),
        }
    }

    fn keep(&mut self, oid: Oid, value: Value) {
        if self.tree.insert(oid, value).is_none() {
            self.bindings += 1;
        }
    }

    /// Feeds one returned binding to column `j`; false once the column ends.
    fn feed(&mut self, j: usize, vb: &VarBind) -> bool {
        let max_rows = self.opts.max_rows;
        let max_bindings = self.opts.max_bindings;
        let bindings = self.bindings;
        let Some(col) = self.columns.get_mut(j) else {
            return false;
        };
        if col.done {
            return false;
        }
        let reason =
            if is_exception(&vb.value) || !vb.oid.starts_with(&col.root) || vb.oid == col.root {
                // endOfMibView, noSuch*, or the next subtree: a normal end.
                col.done = true;
                return false;
            } else if vb.oid <= col.cursor {
                Some(TruncationReason::NonIncreasing {
                    previous: col.cursor.clone(),
                    returned: vb.oid.clone(),
                })
            } else if col.rows >= max_rows {
                Some(TruncationReason::RowLimit(max_rows))
            } else if bindings >= max_bindings {
                Some(TruncationReason::BindingLimit(max_bindings))
            } else {
                None
            };
        if let Some(reason) = reason {
            col.done = true;
            let subtree = col.root.clone();
            tracing::warn!(target = %self.target, %subtree, ?reason, "SNMP walk cut short");
            self.truncated.push(Truncation { subtree, reason });
            return false;
        }
        col.rows += 1;
        col.cursor = vb.oid.clone();
        let (oid, value) = (vb.oid.clone(), vb.value.clone());
        self.keep(oid, value);
        true
    }

    fn cut(&mut self, j: usize, reason: TruncationReason) {
        if let Some(col) = self.columns.get_mut(j)
            && !col.done
        {
            col.done = true;
            self.truncated.push(Truncation {
                subtree: col.root.clone(),
                reason,
            });
        }
    }

    fn repetitions(&self, repeaters: usize, round: u32) -> u32 {
        let base = if round == 0 {
            self.opts.max_repetitions
        } else {
            self.opts.max_repetitions.saturating_mul(2)
        };
        let per_row = repeaters.max(1).saturating_mul(48);
        let by_size = u32::try_from(self.opts.max_response_bytes / per_row).unwrap_or(u32::MAX);
        base.min(by_size).max(1)
    }

    /// SNMPv2c/v3: scalars as non-repeaters and open columns as repeaters
    /// of the same GETBULK, round after round, until every column ended.
    async fn run_bulk(&mut self, client: &SnmpClient) -> Result<(), SnmpError> {
        let target = self.target;
        if self.columns.is_empty() {
            self.get_later = self.scalars.iter().map(|s| s.oid.clone()).collect();
            return self.run_gets(client).await;
        }
        let mut round = 0u32;
        loop {
            let open = self.open_columns();
            let first = round == 0;
            let probes: Vec<(usize, Oid)> = if first {
                let mut probes = Vec::new();
                for (i, s) in self.scalars.iter().enumerate() {
                    match &s.probe {
                        Some(p) => probes.push((i, p.clone())),
                        None => self.get_later.push(s.oid.clone()),
                    }
                }
                probes
            } else {
                Vec::new()
            };
            if open.is_empty() && probes.is_empty() {
                break;
            }
            if round >= self.opts.max_rounds {
                for j in open {
                    self.cut(j, TruncationReason::RoundLimit(round));
                }
                break;
            }
            let mut oids: Vec<Oid> = probes.iter().map(|(_, p)| p.clone()).collect();
            oids.extend(open.iter().map(|&j| self.columns[j].cursor.clone()));
            let non_repeaters = u32::try_from(probes.len()).unwrap_or(u32::MAX);
            let mut reps = self.repetitions(open.len(), round);
            let varbinds = loop {
                match self
                    .request(|| client.get_bulk(&oids, non_repeaters, reps))
                    .await
                {
                    Ok(v) => break v,
                    // A device that cannot truncate by itself: ask for less.
                    Err(RequestError::Lib(e))
                        if matches!(
                            e.exchange_source(),
                            async_snmp::Error::Snmp {
                                status: ErrorStatus::TooBig,
                                ..
                            }
                        ) && reps > 1 =>
                    {
                        reps /= 2;
                    }
                    Err(e) => return Err(e.into_snmp(target)),
                }
            };
            round += 1;
            let nr = probes.len();
            for (k, (i, _)) in probes.iter().enumerate() {
                self.resolve_scalar(*i, varbinds.get(k));
            }
            // A response cut short by the agent's size limit may leave some
            // columns without a row this round; they are asked again. Only a
            // response with no row at all would loop forever.
            let mut any_row = false;
            if !open.is_empty() {
                for (k, vb) in varbinds.iter().skip(nr).enumerate() {
                    any_row = true;
                    self.feed(open[k % open.len()], vb);
                }
                if !any_row {
                    for &j in &open {
                        self.cut(j, TruncationReason::NoProgress);
                    }
                }
            }
            if self.bindings >= self.opts.max_bindings {
                for j in self.open_columns() {
                    self.cut(j, TruncationReason::BindingLimit(self.opts.max_bindings));
                }
            }
        }
        self.run_gets(client).await
    }

    /// SNMPv1: batched GETNEXT, one varbind per open column (and per scalar
    /// probe in the first round). A v1 agent reports the end of its MIB as a
    /// noSuchName error on one varbind: that varbind is dropped and the rest
    /// resent.
    async fn run_v1(&mut self, client: &SnmpClient) -> Result<(), SnmpError> {
        let target = self.target;
        let chunk = self.opts.max_varbinds_per_request.max(1);
        // Work items: Err(scalar index) or Ok(column index).
        let mut round = 0u32;
        loop {
            let mut items: Vec<(Item, Oid)> = Vec::new();
            if round == 0 {
                for (i, s) in self.scalars.iter().enumerate() {
                    match &s.probe {
                        Some(p) => items.push((Item::Scalar(i), p.clone())),
                        None => self.get_later.push(s.oid.clone()),
                    }
                }
            }
            for j in self.open_columns() {
                items.push((Item::Column(j), self.columns[j].cursor.clone()));
            }
            if items.is_empty() {
                break;
            }
            if round >= self.opts.max_rounds {
                for j in self.open_columns() {
                    self.cut(j, TruncationReason::RoundLimit(round));
                }
                break;
            }
            round += 1;
            for batch in items.chunks(chunk) {
                let mut batch: Vec<(Item, Oid)> = batch.to_vec();
                while !batch.is_empty() {
                    let oids: Vec<Oid> = batch.iter().map(|(_, o)| o.clone()).collect();
                    match self.request(|| client.get_next_many(&oids)).await {
                        Ok(resp) => {
                            for (k, (item, _)) in batch.iter().enumerate() {
                                let vb = resp.varbinds.get(k);
                                match (*item, vb) {
                                    (Item::Scalar(i), vb) => self.resolve_scalar(i, vb),
                                    (Item::Column(j), Some(vb)) => {
                                        if !self.feed(j, vb) {
                                            self.columns[j].done = true;
                                        }
                                    }
                                    (Item::Column(j), None) => {
                                        self.cut(j, TruncationReason::NoProgress)
                                    }
                                }
                            }
                            break;
                        }
                        Err(RequestError::Lib(e)) => {
                            let index = match e.exchange_source() {
                                async_snmp::Error::Snmp {
                                    status: ErrorStatus::NoSuchName,
                                    index,
                                    ..
                                } => usize::try_from(*index)
                                    .ok()
                                    .filter(|i| (1..=batch.len()).contains(i)),
                                _ => None,
                            };
                            let Some(index) = index else {
                                return Err(RequestError::Lib(e).into_snmp(target));
                            };
                            // That varbind reached the end of the agent's MIB.
                            let (item, _) = batch.remove(index - 1);
                            match item {
                                Item::Column(j) => self.columns[j].done = true,
                                Item::Scalar(_) => {}
                            }
                        }
                        Err(e) => return Err(e.into_snmp(target)),
                    }
                }
            }
            if self.bindings >= self.opts.max_bindings {
                for j in self.open_columns() {
                    self.cut(j, TruncationReason::BindingLimit(self.opts.max_bindings));
                }
            }
        }
        self.run_gets(client).await
    }

    /// GETs the scalars whose GETNEXT probe could not settle them.
    async fn run_gets(&mut self, client: &SnmpClient) -> Result<(), SnmpError> {
        let wanted = std::mem::take(&mut self.get_later);
        if wanted.is_empty() {
            return Ok(());
        }
        let target = self.target;
        let mut remaining = wanted;
        while !remaining.is_empty() {
            match self.request(|| client.get_many(&remaining)).await {
                Ok(resp) => {
                    for vb in &resp.varbinds {
                        if remaining.contains(&vb.oid) && !is_exception(&vb.value) {
                            self.keep(vb.oid.clone(), vb.value.clone());
                        }
                    }
                    break;
                }
                Err(RequestError::Lib(e)) => {
                    // SNMPv1 reports a missing instance as noSuchName.
                    let index = match e.exchange_source() {
                        async_snmp::Error::Snmp {
                            status: ErrorStatus::NoSuchName,
                            index,
                            ..
                        } => usize::try_from(*index)
                            .ok()
                            .filter(|i| (1..=remaining.len()).contains(i)),
                        _ => None,
                    };
                    let Some(index) = index else {
                        return Err(RequestError::Lib(e).into_snmp(target));
                    };
                    remaining.remove(index - 1);
                }
                Err(e) => return Err(e.into_snmp(target)),
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
enum Item {
    Scalar(usize),
    Column(usize),
}

/// The OID whose GETNEXT successor is `oid` when `oid` exists: its parent
/// for a `.0` scalar instance, else the previous sibling arc (inconclusive
/// if that sibling has children, which a GET then settles).
fn probe_for(oid: &Oid) -> Option<Oid> {
    let arcs = oid.arcs();
    let (&last, prefix) = arcs.split_last()?;
    if prefix.len() < 2 {
        return None;
    }
    if last == 0 {
        Some(Oid::from_slice(prefix))
    } else {
        let mut p = prefix.to_vec();
        p.push(last - 1);
        Some(Oid::from_slice(&p))
    }
}

fn is_exception(v: &Value) -> bool {
    matches!(
        v,
        Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView
    )
}

fn is_end(v: &Value) -> bool {
    matches!(v, Value::EndOfMibView)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_ask_for_the_predecessor() {
        let p = probe_for(&Oid::parse("1.3.6.1.2.1.1.1.0").unwrap()).unwrap();
        assert_eq!(p, Oid::parse("1.3.6.1.2.1.1.1").unwrap());
        let p = probe_for(&Oid::parse("1.3.6.1.2.1.25.3.2.1.3.5").unwrap()).unwrap();
        assert_eq!(p, Oid::parse("1.3.6.1.2.1.25.3.2.1.3.4").unwrap());
        assert!(probe_for(&Oid::parse("1.3").unwrap()).is_none());
    }

    #[test]
    fn fetch_can_be_spawned() {
        fn assert_send<T: Send>(_: &T) {}
        let (creds, plan, opts) = (
            Credentials::v2c("public"),
            FetchPlan::default(),
            PollOptions::default(),
        );
        let fut = fetch(SocketAddr::from(([127, 0, 0, 1], 9)), &creds, &plan, &opts);
        assert_send(&fut);
    }

    #[test]
    fn request_budget_counts_attempts_and_backoff() {
        let o = PollOptions {
            timeout: Duration::from_millis(100),
            retries: 2,
            backoff: Duration::from_millis(10),
            ..PollOptions::default()
        };
        // Waits of 100, 200 and 400 ms (each resend waits twice as long),
        // pauses of 10 and 20 ms.
        assert_eq!(o.request_budget(), Duration::from_millis(730));
        let capped = PollOptions {
            max_timeout: Duration::from_millis(150),
            ..o
        };
        assert_eq!(capped.request_budget(), Duration::from_millis(430));
    }
}
