//! The device serial number: the identity key of a printer, so it must be
//! exact or absent, never invented.
//!
//! Sources, in order: prtGeneralSerialNumber (RFC 3805); the maker's private
//! serial OID (chosen by the sysObjectID enterprise); the `SN:` field of an
//! HP JetDirect sysDescr banner or the `S/N` field of a Samsung one.
//! Every candidate is normalised and rejected when it looks like a
//! placeholder.

use crate::mib::MibTree;

use super::oids::PRT_GENERAL_SERIAL;
use super::read;
use super::text;
use super::vendor::Vendor;

/// The serial number of the device, or `None` when no source holds a
/// plausible one.
pub fn serial(tree: &MibTree, vendor: Option<&Vendor>, sys_descr: Option<&str>) -> Option<String> {
    let standard = tree
        .column(PRT_GENERAL_SERIAL)
        .filter_map(|(_, v)| read::bytes(v))
        .find_map(normalise);
    standard
        .or_else(|| {
            vendor.and_then(|v| {
                v.serial_oids
                    .iter()
                    .filter_map(|oid| read::bytes_at(tree, oid))
                    .filter_map(normalise)
                    .find(|s| {
                        !s.to_ascii_lowercase()
                            .contains(&v.name.to_ascii_lowercase())
                    })
            })
        })
        .or_else(|| sys_descr.and_then(from_sys_descr))
}

/// Cleans one candidate: decodes, trims, strips `SN:`-style prefixes, and
/// rejects empty, placeholder or non-serial-looking values.
pub fn normalise(raw: &[u8]) -> Option<String> {
    // Padding (NULs, spaces) may surround a serial; control bytes inside it
    // mean binary garbage (the Brother recording's HP serial OID holds
    // `01 15 "U6496H9N19924" 0a "32"`), never a serial.
    let padding = |b: &u8| *b == 0 || b.is_ascii_whitespace();
    let start = raw.iter().position(|b| !padding(b)).unwrap_or(raw.len());
    let end = raw
        .iter()
        .rposition(|b| !padding(b))
        .map_or(start, |e| e + 1);
    let core = raw.get(start..end).unwrap_or_default();
    if core.iter().any(|b| b.is_ascii_control()) {
        return None;
    }
    let text = text::decode(core);
    let mut s = text.as_str();
    for prefix in ["serial number:", "serial:", "s/n:", "s/n", "sn:"] {
        if s.len() >= prefix.len()
            && s.is_char_boundary(prefix.len())
            && s[..prefix.len()].eq_ignore_ascii_case(prefix)
        {
            s = s[prefix.len()..].trim_start();
            break;
        }
    }
    let s = s.trim();
    let plausible = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && s.chars().any(|c| c.is_ascii_alphanumeric())
        && !is_placeholder(s);
    plausible.then(|| s.to_owned())
}

fn is_placeholder(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "unknown" | "none" | "n/a" | "na" | "null" | "default" | "serial"
    ) || s.chars().all(|c| c == '0')
        || lower == "crum-"
}

/// `SN:<serial>` in an HP JetDirect banner (fields separated by commas), or
/// `S/N <serial>` in a Samsung sysDescr.
fn from_sys_descr(descr: &str) -> Option<String> {
    for field in descr.split([',', ';']) {
        let field = field.trim();
        for prefix in ["SN:", "S/N:", "S/N "] {
            if let Some(value) = field.strip_prefix(prefix) {
                return normalise(value.trim().as_bytes());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_strips_padding_and_prefixes() {
        assert_eq!(normalise(b"  SN:ABC123\0\0").as_deref(), Some("ABC123"));
        assert_eq!(
            normalise(b"S/N: 7XQ1R92-132-13 ").as_deref(),
            Some("7XQ1R92-132-13")
        );
    }

    #[test]
    fn normalise_rejects_placeholders_and_garbage() {
        for bad in [
            &b""[..],
            b"   ",
            b"unknown",
            b"0000000",
            b"two words",
            b"\x01\x15U6496H9N19924\n32",
            b"AB\x01CD",
            b"---",
        ] {
            assert_eq!(normalise(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn sys_descr_fields() {
        assert_eq!(
            from_sys_descr("HP ETHERNET MULTI-ENVIRONMENT,SN:VNB3J99999,FN:1F31B6C").as_deref(),
            Some("VNB3J99999")
        );
        assert_eq!(from_sys_descr("Samsung M4080FX; V11;NIC ;S/N "), None);
        assert_eq!(
            from_sys_descr("Samsung X; V1;S/N ZDB1234").as_deref(),
            Some("ZDB1234")
        );
        assert_eq!(
            from_sys_descr("HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT"),
            None
        );
    }
}
