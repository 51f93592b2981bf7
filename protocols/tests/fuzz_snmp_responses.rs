//! Property tests of the SNMP client against a hostile agent: a real UDP
//! socket on loopback answering every request with random bytes, truncated
//! or bit-flipped valid responses, valid BER with the wrong request-id,
//! absurd declared lengths, floods, or endless tables.
//!
//! Whatever comes back, `snmp::fetch` must return (an error or a cut result)
//! within its timeout budget, never panic, and keep no more than its bounds.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use asr_protocols::mib::Oid;
use asr_protocols::snmp::{
    AuthProtocol, Credentials, FetchPlan, PollOptions, PrivProtocol, V3Credentials, fetch,
};
use proptest::prelude::*;
use tokio::net::UdpSocket;

/// How the fake agent answers.
#[derive(Debug, Clone)]
enum Answer {
    /// Random bytes.
    Garbage(Vec<u8>),
    /// A valid response cut after this fraction of its bytes.
    Truncated(f64),
    /// A valid response with some bytes overwritten.
    Flipped(Vec<(f64, u8)>),
    /// A valid response for another request-id.
    WrongId(i32),
    /// A valid header whose varbind list declares this many content bytes.
    AbsurdLength(u32),
    /// A valid response repeated this many times per request.
    Flood(u8),
    /// A valid response with this many increasing rows per request, always
    /// the same ones (an agent that never ends its table).
    Endless(u16),
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..600).prop_map(Answer::Garbage),
        (0.0f64..1.0).prop_map(Answer::Truncated),
        proptest::collection::vec((0.0f64..1.0, any::<u8>()), 1..6).prop_map(Answer::Flipped),
        any::<i32>().prop_map(Answer::WrongId),
        prop_oneof![Just(0x7fff_ffffu32), Just(0xffff_ffff), 0x100u32..0x1_0000]
            .prop_map(Answer::AbsurdLength),
        (2u8..30).prop_map(Answer::Flood),
        (1u16..1200).prop_map(Answer::Endless),
    ]
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let b = (len as u32).to_be_bytes();
        out.push(0x84);
        out.extend_from_slice(&b);
    }
    out.extend_from_slice(content);
    out
}

fn int(v: i64) -> Vec<u8> {
    let mut bytes = v.to_be_bytes().to_vec();
    while bytes.len() > 1
        && ((bytes[0] == 0 && bytes[1] & 0x80 == 0) || (bytes[0] == 0xff && bytes[1] & 0x80 != 0))
    {
        bytes.remove(0);
    }
    tlv(0x02, &bytes)
}

fn oid(arcs: &[u32]) -> Vec<u8> {
    let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for &a in &arcs[2..] {
        let mut chunk = vec![(a & 0x7f) as u8];
        let mut rest = a >> 7;
        while rest > 0 {
            chunk.insert(0, 0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        body.extend(chunk);
    }
    tlv(0x06, &body)
}

/// Reads (tag, content) at the start of `b`.
fn read(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, start) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        let mut len = 0usize;
        for k in 0..n {
            len = (len << 8) | *b.get(2 + k)? as usize;
        }
        (len, 2 + n)
    };
    let content = b.get(start..start + len)?;
    Some((tag, content, &b[start + len..]))
}

/// The request-id of a v1/v2c request, if it is one.
fn request_id(req: &[u8]) -> Option<i64> {
    let (_, msg, _) = read(req)?;
    let (_, _, rest) = read(msg)?; // version
    let (_, _, rest) = read(rest)?; // community
    let (_, pdu, _) = read(rest)?;
    let (_, id, _) = read(pdu)?;
    let mut v: i64 = if id.first()? & 0x80 != 0 { -1 } else { 0 };
    for &b in id {
        v = (v << 8) | i64::from(b);
    }
    Some(v)
}

const ROOT: [u32; 11] = [1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9];

/// A v2c GetResponse with `rows` rows under [`ROOT`].
fn response(id: i64, rows: u16) -> Vec<u8> {
    let mut vbs = Vec::new();
    for r in 1..=u32::from(rows.max(1)) {
        let mut arcs = ROOT.to_vec();
        arcs.extend([1, r]);
        let mut vb = oid(&arcs);
        vb.extend(int(i64::from(r)));
        vbs.extend(tlv(0x30, &vb));
    }
    let mut pdu = int(id);
    pdu.extend(int(0));
    pdu.extend(int(0));
    pdu.extend(tlv(0x30, &vbs));
    let mut msg = int(1);
    msg.extend(tlv(0x04, b"public"));
    msg.extend(tlv(0xa2, &pdu));
    tlv(0x30, &msg)
}

/// The datagrams answering one request.
fn answers(how: &Answer, req: &[u8]) -> Vec<Vec<u8>> {
    let id = request_id(req).unwrap_or(0);
    let valid = response(id, 3);
    let at = |rel: f64, len: usize| ((rel * len as f64) as usize).min(len.saturating_sub(1));
    match how {
        Answer::Garbage(b) => vec![b.clone()],
        Answer::Truncated(rel) => vec![valid[..at(*rel, valid.len())].to_vec()],
        Answer::Flipped(edits) => {
            let mut v = valid;
            for (rel, b) in edits {
                let i = at(*rel, v.len());
                v[i] = *b;
            }
            vec![v]
        }
        Answer::WrongId(other) => {
            let other = if i64::from(*other) == id {
                other.wrapping_add(1)
            } else {
                *other
            };
            vec![response(i64::from(other), 3)]
        }
        Answer::AbsurdLength(len) => {
            let mut pdu = int(id);
            pdu.extend(int(0));
            pdu.extend(int(0));
            pdu.push(0x30);
            pdu.push(0x84);
            pdu.extend(len.to_be_bytes());
            pdu.extend(&valid[valid.len() - 20..]);
            let mut msg = int(1);
            msg.extend(tlv(0x04, b"public"));
            msg.extend(tlv(0xa2, &pdu));
            vec![tlv(0x30, &msg)]
        }
        Answer::Flood(n) => vec![valid; usize::from(*n)],
        Answer::Endless(rows) => vec![response(id, *rows)],
    }
}

/// Serves `how` on `socket` until the test drops the task.
async fn serve(socket: UdpSocket, how: Answer) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            return;
        };
        for datagram in answers(&how, &buf[..n]) {
            let _ = socket.send_to(&datagram, from).await;
        }
    }
}

fn options() -> PollOptions {
    PollOptions {
        timeout: Duration::from_millis(60),
        retries: 1,
        backoff: Duration::from_millis(5),
        max_rows: 300,
        max_bindings: 1_000,
        max_rounds: 6,
        ..PollOptions::default()
    }
}

fn plan() -> FetchPlan {
    FetchPlan {
        scalars: vec![Oid::parse("1.3.6.1.2.1.1.1.0").expect("oid")],
        subtrees: vec![Oid::from_slice(&ROOT)],
    }
}

fn v3() -> Credentials {
    Credentials::V3(V3Credentials::auth_priv(
        "poller",
        AuthProtocol::Sha1,
        "authpass-123",
        PrivProtocol::Aes128,
        "privpass-456",
    ))
}

/// Runs one poll against a fake agent answering `how`.
fn run(
    rt: &tokio::runtime::Runtime,
    host: u8,
    how: Answer,
    creds: &Credentials,
) -> (
    Duration,
    Result<asr_protocols::snmp::Fetched, asr_protocols::snmp::SnmpError>,
) {
    rt.block_on(async {
        let socket = UdpSocket::bind(SocketAddr::from((Ipv4Addr::new(127, 78, 9, host), 0)))
            .await
            .expect("bind fake agent");
        let addr = socket.local_addr().expect("addr");
        let agent = tokio::spawn(serve(socket, how));
        let started = Instant::now();
        let result = fetch(addr, creds, &plan(), &options()).await;
        let took = started.elapsed();
        agent.abort();
        (took, result)
    })
}

/// The longest a poll may take: every round plus the final GETs and (for
/// v3) engine discovery, each within the request budget, plus scheduling
/// slack for a loaded 2-core machine.
fn ceiling() -> Duration {
    let o = options();
    o.request_budget() * (o.max_rounds + 2) + Duration::from_millis(500)
}

fn check(
    how: &Answer,
    took: Duration,
    result: &Result<asr_protocols::snmp::Fetched, asr_protocols::snmp::SnmpError>,
) -> Result<(), TestCaseError> {
    prop_assert!(took <= ceiling(), "{how:?} took {took:?}");
    match result {
        Ok(f) => {
            let o = options();
            prop_assert!(
                f.tree.len() <= o.max_bindings + 1,
                "{} bindings",
                f.tree.len()
            );
            let rows = f
                .tree
                .iter()
                .filter(|(k, _)| k.starts_with(&Oid::from_slice(&ROOT)))
                .count();
            prop_assert!(rows <= o.max_rows, "{rows} rows kept");
        }
        Err(e) => {
            let text = e.to_string();
            prop_assert!(
                text.contains("127.78.9."),
                "error does not name the device: {text}"
            );
        }
    }
    Ok(())
}

#[test]
fn an_endless_table_is_cut_not_followed() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (took, result) = run(&rt, 1, Answer::Endless(1000), &Credentials::v2c("public"));
    let fetched = result.expect("a looping agent still yields its rows");
    assert_eq!(
        fetched
            .tree
            .iter()
            .filter(|(k, _)| k.starts_with(&Oid::from_slice(&ROOT)))
            .count(),
        options().max_rows
    );
    assert!(!fetched.truncated.is_empty(), "the cut is reported");
    assert!(took < ceiling(), "{took:?}");
}

#[test]
fn wrong_request_ids_end_in_a_timeout_within_budget() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (took, result) = run(&rt, 2, Answer::WrongId(7), &Credentials::v2c("public"));
    let err = result.expect_err("no answer matches");
    assert!(err.is_timeout(), "{err}");
    let budget = options().request_budget();
    assert!(
        took >= budget.saturating_sub(Duration::from_millis(20)),
        "{took:?}"
    );
    assert!(took <= budget + Duration::from_millis(400), "{took:?}");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 40,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn v2c_fetch_survives_any_answer(how in answer()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        let (took, result) = run(&rt, 3, how.clone(), &Credentials::v2c("public"));
        check(&how, took, &result)?;
    }

    #[test]
    fn v3_fetch_survives_any_answer(how in answer()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        let (took, result) = run(&rt, 4, how.clone(), &v3());
        check(&how, took, &result)?;
        // Nothing a v1/v2c-speaking or garbage agent sends can pass v3 checks.
        prop_assert!(result.is_err(), "{how:?} was accepted as SNMPv3");
    }
}
