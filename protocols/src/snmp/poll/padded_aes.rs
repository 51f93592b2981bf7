//! Tolerance for SNMPv3 agents that pad AES-encrypted scoped PDUs.
//!
//! RFC 3826 §3.1.3 encrypts the scoped PDU with AES in CFB mode, which needs
//! no padding, and async-snmp 0.18 (`message/v3.rs`, `decode_scoped_pdu`)
//! therefore rejects any byte left after the decrypted scoped PDU. Some
//! agents pad anyway: pysnmp 4.4 (behind Debian's `snmpsimd`) appends 1–16
//! zero bytes before encrypting (`proto/secmod/rfc3826/priv/aes.py`,
//! `encryptData`). The library then drops every authPriv answer and the poll
//! ends in a bare timeout, while net-snmp, which ignores bytes after the
//! scoped PDU, reads the same agent fine.
//!
//! The library offers no option for this, so the transport wrapper here
//! repairs such datagrams before the library sees them: it checks the HMAC
//! with our own key, decrypts, and when at most one AES block of padding
//! follows the scoped PDU it cuts the ciphertext to the PDU's length (CFB
//! ciphertext truncates with its plaintext), then signs the shortened message
//! again. Only messages that authenticated with our key are touched, so the
//! re-signing grants a forger nothing.
//!
//! The wrapper also counts what it saw, so that a poll whose answers were all
//! rejected can say so instead of reporting an offline device.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use async_snmp::v3::auth::{authenticate_message, verify_message};
use async_snmp::v3::{LocalizedKey, MasterKey, PrivKey};
use async_snmp::{AuthProtocol, Candidate, PrivProtocol, RequestRegistration, Transport};
use async_snmp::{ReceiveLimits, Result as LibResult, UdpHandle};
use bytes::Bytes;

/// Padding accepted after an AES-encrypted scoped PDU: one AES block, the
/// most a padding encryptor adds.
const MAX_AES_PADDING: usize = 16;

/// The user's secrets, as needed to check and re-sign a response.
pub(crate) struct UsmSecrets {
    auth: MasterKey,
    privacy: Option<(PrivProtocol, MasterKey)>,
    /// Keys localized to the last engine seen (one per poll in practice).
    localized: Mutex<Option<Localized>>,
}

struct Localized {
    engine_id: Vec<u8>,
    auth: LocalizedKey,
    privacy: Option<PrivKey>,
}

impl UsmSecrets {
    /// Derives the master keys once per poll; `None` when the library
    /// refuses the passwords (it reports that itself when building the
    /// client).
    pub(crate) fn new(
        auth: (AuthProtocol, &[u8]),
        privacy: Option<(PrivProtocol, &[u8])>,
    ) -> Option<Self> {
        let auth_master = MasterKey::from_password(auth.0, auth.1).ok()?;
        let privacy = match privacy {
            Some((proto, password)) => {
                Some((proto, MasterKey::from_password(auth.0, password).ok()?))
            }
            None => None,
        };
        Some(Self {
            auth: auth_master,
            privacy,
            localized: Mutex::new(None),
        })
    }

    fn with_keys<R>(&self, engine_id: &[u8], f: impl FnOnce(&Localized) -> R) -> Option<R> {
        let mut slot = self.localized.lock().ok()?;
        if slot.as_ref().is_none_or(|l| l.engine_id != engine_id) {
            let auth = self.auth.localize(engine_id).ok()?;
            let privacy = match &self.privacy {
                Some((proto, master)) => {
                    Some(PrivKey::from_master_key(master, *proto, engine_id).ok()?)
                }
                None => None,
            };
            *slot = Some(Localized {
                engine_id: engine_id.to_vec(),
                auth,
                privacy,
            });
        }
        slot.as_ref().map(f)
    }
}

/// What the wrapper saw during one poll.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    /// Datagrams offered to the library's response checks.
    pub offered: AtomicU32,
    /// Of those, the ones the library rejected.
    pub rejected: AtomicU32,
    /// SNMPv3 datagrams whose HMAC did not verify with our key.
    pub failed_auth: AtomicU32,
    /// SNMPv3 datagrams that authenticated with our key.
    pub authenticated: AtomicU32,
    /// Padded AES datagrams repaired.
    pub repaired: AtomicU32,
}

/// A UDP handle whose incoming datagrams are repaired and counted.
pub(crate) struct TolerantUdp {
    inner: UdpHandle,
    secrets: Option<Arc<UsmSecrets>>,
    observed: Arc<Observed>,
}

impl TolerantUdp {
    pub(crate) fn new(
        inner: UdpHandle,
        secrets: Option<UsmSecrets>,
        observed: Arc<Observed>,
    ) -> Self {
        Self {
            inner,
            secrets: secrets.map(Arc::new),
            observed,
        }
    }
}

impl Transport for TolerantUdp {
    fn send(&self, data: &[u8]) -> impl Future<Output = LibResult<()>> + Send {
        self.inner.send(data)
    }

    fn request_with<T, F>(
        &self,
        data: &[u8],
        registration: RequestRegistration,
        mut validate: F,
    ) -> impl Future<Output = LibResult<T>> + Send
    where
        T: Send,
        F: FnMut(Bytes, SocketAddr) -> LibResult<Candidate<T>> + Send,
    {
        let secrets = self.secrets.clone();
        let observed = Arc::clone(&self.observed);
        self.inner
            .request_with(data, registration, move |bytes, source| {
                let bytes = match &secrets {
                    Some(s) => inspect(s, &observed, bytes),
                    None => bytes,
                };
                observed.offered.fetch_add(1, Ordering::Relaxed);
                let verdict = validate(bytes, source);
                if matches!(verdict, Ok(Candidate::Reject)) {
                    observed.rejected.fetch_add(1, Ordering::Relaxed);
                }
                verdict
            })
    }

    fn peer_addr(&self) -> SocketAddr {
        self.inner.peer_addr()
    }

    fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr()
    }

    fn alloc_request_id(&self) -> i32 {
        self.inner.alloc_request_id()
    }

    fn is_reliable(&self) -> bool {
        self.inner.is_reliable()
    }

    fn receive_limits(&self) -> ReceiveLimits {
        self.inner.receive_limits()
    }

    fn send_capacity(&self) -> usize {
        self.inner.send_capacity()
    }
}

/// Counts an SNMPv3 datagram and repairs it when it is padded.
fn inspect(secrets: &UsmSecrets, observed: &Observed, bytes: Bytes) -> Bytes {
    let Some(msg) = V3Parts::parse(&bytes) else {
        return bytes;
    };
    if msg.flags & 0x01 == 0 {
        return bytes;
    }
    let outcome = secrets.with_keys(&bytes[msg.engine_id.clone()], |keys| {
        let auth_len = msg.auth_params.len();
        let authentic =
            verify_message(&keys.auth, &bytes, msg.auth_params.start, auth_len).unwrap_or(false);
        if !authentic {
            return (false, None);
        }
        let repaired = if msg.flags & 0x02 != 0 {
            keys.privacy
                .as_ref()
                .and_then(|p| repair(&bytes, &msg, &keys.auth, p))
        } else {
            None
        };
        (true, repaired)
    });
    match outcome {
        Some((false, _)) => {
            observed.failed_auth.fetch_add(1, Ordering::Relaxed);
            bytes
        }
        Some((true, repaired)) => {
            observed.authenticated.fetch_add(1, Ordering::Relaxed);
            match repaired {
                Some(fixed) => {
                    observed.repaired.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(
                        cut = bytes.len() - fixed.len(),
                        "removed padding after an AES-encrypted scoped PDU"
                    );
                    Bytes::from(fixed)
                }
                None => bytes,
            }
        }
        None => bytes,
    }
}

/// Returns the message re-encoded without the padding, or `None` when it
/// has none (or is not AES, or does not decrypt to a scoped PDU).
fn repair(bytes: &[u8], msg: &V3Parts, auth: &LocalizedKey, privacy: &PrivKey) -> Option<Vec<u8>> {
    if !matches!(
        privacy.protocol(),
        PrivProtocol::Aes128
            | PrivProtocol::Aes192Blumenthal
            | PrivProtocol::Aes192Reeder
            | PrivProtocol::Aes256Blumenthal
            | PrivProtocol::Aes256Reeder
    ) {
        return None;
    }
    let ciphertext = bytes.get(msg.encrypted.clone())?;
    let plain = privacy
        .decrypt(
            ciphertext,
            msg.boots,
            msg.time,
            bytes.get(msg.priv_params.clone())?,
        )
        .ok()?;
    let (tag, _, end) = read_tlv(&plain, 0)?;
    let padding = plain.len().checked_sub(end)?;
    if tag != 0x30 || padding == 0 || padding > MAX_AES_PADDING {
        return None;
    }
    // Everything before the encrypted PDU is kept byte for byte, with the
    // MAC zeroed for re-signing.
    let mut body = bytes.get(msg.body_start..msg.encrypted_tlv_start)?.to_vec();
    let auth_in_body = msg.auth_params.start.checked_sub(msg.body_start)?;
    body.get_mut(auth_in_body..auth_in_body + msg.auth_params.len())?
        .fill(0);
    push_tlv(&mut body, 0x04, ciphertext.get(..end)?);
    let mut out = Vec::with_capacity(body.len() + 6);
    push_tlv(&mut out, 0x30, &body);
    let header = out.len() - body.len();
    authenticate_message(auth, &mut out, header + auth_in_body, msg.auth_params.len()).ok()?;
    Some(out)
}

/// Where the fields of an SNMPv3 message lie in its datagram.
struct V3Parts {
    flags: u8,
    /// Contents of the outer SEQUENCE.
    body_start: usize,
    engine_id: std::ops::Range<usize>,
    boots: u32,
    time: u32,
    auth_params: std::ops::Range<usize>,
    priv_params: std::ops::Range<usize>,
    encrypted_tlv_start: usize,
    encrypted: std::ops::Range<usize>,
}

impl V3Parts {
    /// `None` for anything that is not a well-formed USM message; the
    /// library then judges the datagram as it came.
    fn parse(b: &[u8]) -> Option<Self> {
        let (tag, body_start, body_end) = read_tlv(b, 0)?;
        if tag != 0x30 || body_end != b.len() {
            return None;
        }
        let (tag, s, e) = read_tlv(b, body_start)?;
        if tag != 0x02 || b.get(s..e)? != [3] {
            return None;
        }
        let (tag, hs, he) = read_tlv(b, e)?;
        if tag != 0x30 {
            return None;
        }
        let (_, _, id_end) = read_tlv(b, hs)?; // msgID
        let (_, _, max_end) = read_tlv(b, id_end)?; // msgMaxSize
        let (tag, fs, fe) = read_tlv(b, max_end)?; // msgFlags
        if tag != 0x04 || fe != fs + 1 {
            return None;
        }
        let flags = *b.get(fs)?;
        let (tag, ms, me) = read_tlv(b, fe)?; // msgSecurityModel
        if tag != 0x02 || b.get(ms..me)? != [3] || me != he {
            return None;
        }
        let (tag, ps, pe) = read_tlv(b, he)?; // msgSecurityParameters
        if tag != 0x04 {
            return None;
        }
        let (tag, us, ue) = read_tlv(b, ps)?;
        if tag != 0x30 || ue != pe {
            return None;
        }
        let (tag, es, ee) = read_tlv(b, us)?;
        if tag != 0x04 {
            return None;
        }
        let (boots, after_boots) = read_u32(b, ee)?;
        let (time, after_time) = read_u32(b, after_boots)?;
        let (_, _, user_end) = read_tlv(b, after_time)?;
        let (tag, as_, ae) = read_tlv(b, user_end)?;
        if tag != 0x04 {
            return None;
        }
        let (tag, vs, ve) = read_tlv(b, ae)?;
        if tag != 0x04 || ve != ue {
            return None;
        }
        let (tag, cs, ce) = read_tlv(b, pe)?;
        if tag != 0x04 || ce != body_end {
            return None;
        }
        Some(Self {
            flags,
            body_start,
            engine_id: es..ee,
            boots,
            time,
            auth_params: as_..ae,
            priv_params: vs..ve,
            encrypted_tlv_start: pe,
            encrypted: cs..ce,
        })
    }
}

/// Reads one definite-length BER TLV at `pos`: (tag, content start, end).
fn read_tlv(b: &[u8], pos: usize) -> Option<(u8, usize, usize)> {
    let tag = *b.get(pos)?;
    let first = *b.get(pos + 1)?;
    let (len, start) = if first < 0x80 {
        (usize::from(first), pos + 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for k in 0..n {
            len = (len << 8) | usize::from(*b.get(pos + 2 + k)?);
        }
        (len, pos + 2 + n)
    };
    let end = start.checked_add(len)?;
    (end <= b.len()).then_some((tag, start, end))
}

fn read_u32(b: &[u8], pos: usize) -> Option<(u32, usize)> {
    let (tag, s, e) = read_tlv(b, pos)?;
    if tag != 0x02 || e - s > 5 || e == s {
        return None;
    }
    let mut v: u64 = 0;
    for &byte in b.get(s..e)? {
        v = (v << 8) | u64::from(byte);
    }
    Some((u32::try_from(v).ok()?, e))
}

fn push_tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&x| x == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_lengths_round_trip() {
        for len in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let mut out = Vec::new();
            push_tlv(&mut out, 0x04, &vec![7u8; len]);
            let (tag, start, end) = read_tlv(&out, 0).unwrap();
            assert_eq!((tag, end - start, end), (0x04, len, out.len()));
        }
        assert!(read_tlv(&[0x30, 0x85, 1, 1, 1, 1, 1], 0).is_none());
        assert!(read_tlv(&[0x30, 0x05, 1], 0).is_none());
    }

    /// Builds an authPriv message the way pysnmp 4.4 does: scoped PDU
    /// padded with zeros to a whole number of AES blocks, then encrypted.
    fn padded_message(secrets: &UsmSecrets, engine: &[u8], scoped: &[u8], pad: usize) -> Vec<u8> {
        let (auth, privacy) = secrets
            .with_keys(engine, |k| (k.auth.clone(), k.privacy.clone()))
            .unwrap();
        let privacy = privacy.unwrap();
        let mut plain = scoped.to_vec();
        plain.extend(std::iter::repeat_n(0u8, pad));
        let salt = async_snmp::v3::SaltCounter::new().unwrap();
        let (cipher, salt) = privacy.encrypt_aes(&plain, 2, 863, &salt).unwrap();
        let mut usm = Vec::new();
        push_tlv(&mut usm, 0x04, engine);
        push_tlv(&mut usm, 0x02, &[2]);
        push_tlv(&mut usm, 0x02, &[0x03, 0x5f]);
        push_tlv(&mut usm, 0x04, b"poller");
        push_tlv(&mut usm, 0x04, &[0u8; 12]);
        push_tlv(&mut usm, 0x04, &salt);
        let mut usm_seq = Vec::new();
        push_tlv(&mut usm_seq, 0x30, &usm);
        let mut header = Vec::new();
        push_tlv(&mut header, 0x02, &[0x11]);
        push_tlv(&mut header, 0x02, &[0x05, 0xdc]);
        push_tlv(&mut header, 0x04, &[0x03]);
        push_tlv(&mut header, 0x02, &[3]);
        let mut body = Vec::new();
        push_tlv(&mut body, 0x02, &[3]);
        push_tlv(&mut body, 0x30, &header);
        push_tlv(&mut body, 0x04, &usm_seq);
        push_tlv(&mut body, 0x04, &cipher);
        let mut msg = Vec::new();
        push_tlv(&mut msg, 0x30, &body);
        let parts = V3Parts::parse(&msg).unwrap();
        authenticate_message(&auth, &mut msg, parts.auth_params.start, 12).unwrap();
        msg
    }

    #[test]
    fn padded_aes_responses_are_cut_and_signed_again() {
        let secrets = UsmSecrets::new(
            (AuthProtocol::Sha1, b"authpass-123"),
            Some((PrivProtocol::Aes128, b"privpass-456")),
        )
        .unwrap();
        let engine = [
            0x80, 0x00, 0x4f, 0xb8, 0x05, 0x76, 0x6d, 0x06, 0xd6, 0x42, 0xc0,
        ];
        let mut scoped = Vec::new();
        push_tlv(&mut scoped, 0x30, &[0x04, 0x00, 0x04, 0x00, 0xa2, 0x00]);
        for pad in [0usize, 1, 10, 16, 17] {
            let observed = Observed::default();
            let msg = padded_message(&secrets, &engine, &scoped, pad);
            let out = inspect(&secrets, &observed, Bytes::from(msg.clone()));
            assert_eq!(
                observed.authenticated.load(Ordering::Relaxed),
                1,
                "pad {pad}"
            );
            if pad == 0 || pad > MAX_AES_PADDING {
                assert_eq!(
                    out.as_ref(),
                    msg.as_slice(),
                    "pad {pad} must pass unchanged"
                );
                continue;
            }
            assert_eq!(out.len(), msg.len() - pad, "pad {pad}");
            let parts = V3Parts::parse(&out).unwrap();
            let (auth, privacy) = secrets
                .with_keys(&engine, |k| (k.auth.clone(), k.privacy.clone()))
                .unwrap();
            assert!(verify_message(&auth, &out, parts.auth_params.start, 12).unwrap());
            let plain = privacy
                .unwrap()
                .decrypt(
                    &out[parts.encrypted.clone()],
                    2,
                    863,
                    &out[parts.priv_params.clone()],
                )
                .unwrap();
            assert_eq!(plain.as_ref(), scoped.as_slice(), "pad {pad}");
        }
        // A forged message (wrong key) is counted and left alone.
        let other = UsmSecrets::new(
            (AuthProtocol::Sha1, b"another-pass"),
            Some((PrivProtocol::Aes128, b"privpass-456")),
        )
        .unwrap();
        let forged = padded_message(&other, &engine, &scoped, 5);
        let observed = Observed::default();
        let out = inspect(&secrets, &observed, Bytes::from(forged.clone()));
        assert_eq!(out.as_ref(), forged.as_slice());
        assert_eq!(observed.failed_auth.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn garbage_is_not_a_v3_message() {
        assert!(V3Parts::parse(&[]).is_none());
        assert!(V3Parts::parse(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_none());
        assert!(V3Parts::parse(&[0x30, 0x80]).is_none());
    }
}
