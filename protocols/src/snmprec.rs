//! Reader for the snmpsim `.snmprec` recording format (`OID|TAG|VALUE` per line).
//!
//! Real recordings are imperfect (a corrupt Counter32, duplicate OIDs), so the
//! reader keeps every good line and reports every bad one with its line number
//! instead of failing the whole file.

use std::fmt;

use crate::mib::{MibTree, Oid, Value};

/// A line that could not be used, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedLine {
    /// 1-based line number in the file.
    pub line: usize,
    /// What was wrong with it.
    pub reason: String,
}

impl fmt::Display for SkippedLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// A parsed recording: the bindings and the lines that were skipped.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    /// The usable bindings. For a duplicated OID the first occurrence wins,
    /// as snmpsim serves it.
    pub tree: MibTree,
    /// Lines that were malformed or duplicated.
    pub skipped: Vec<SkippedLine>,
}

/// Parses snmprec text. Never fails: bad lines land in [`Recording::skipped`].
pub fn parse(text: &str) -> Recording {
    let mut rec = Recording::default();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_line(line) {
            Ok((oid, value)) => {
                if rec.tree.get(&oid).is_some() {
                    rec.skipped.push(SkippedLine {
                        line: line_no,
                        reason: format!("duplicate OID {oid}, first value kept"),
                    });
                } else {
                    rec.tree.insert(oid, value);
                }
            }
            Err(reason) => rec.skipped.push(SkippedLine {
                line: line_no,
                reason,
            }),
        }
    }
    rec
}

/// Renders a tree back to snmprec text (hex for any non-printable string).
pub fn render(tree: &MibTree) -> String {
    let mut out = String::new();
    for (oid, value) in tree.iter() {
        let (tag, text) = match value {
            Value::Integer(v) => ("2".to_string(), v.to_string()),
            Value::OctetString(b) | Value::Opaque(b) | Value::Nsap(b) => {
                let tag = if matches!(value, Value::Opaque(_)) {
                    "68"
                } else {
                    "4"
                };
                if b.iter().all(|c| (0x20..0x7f).contains(c) && *c != b'|') {
                    (tag.to_string(), String::from_utf8_lossy(b).into_owned())
                } else {
                    (format!("{tag}x"), hex(b))
                }
            }
            Value::Null => ("5".to_string(), String::new()),
            Value::ObjectIdentifier(o) => ("6".to_string(), o.to_string()),
            Value::IpAddress(a) => (
                "64".to_string(),
                format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
            ),
            Value::Counter32(v) => ("65".to_string(), v.to_string()),
            Value::Gauge32(v) | Value::UInteger32(v) => ("66".to_string(), v.to_string()),
            Value::TimeTicks(v) => ("67".to_string(), v.to_string()),
            Value::Counter64(v) => ("70".to_string(), v.to_string()),
            _ => continue,
        };
        out.push_str(&format!("{oid}|{tag}|{text}\n"));
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_line(line: &str) -> Result<(Oid, Value), String> {
    let mut parts = line.splitn(3, '|');
    let oid_text = parts.next().unwrap_or_default();
    let tag_text = parts.next().ok_or("missing '|TAG|' field")?;
    let value_text = parts.next().ok_or("missing value field")?;
    let oid = Oid::parse(oid_text.trim_start_matches('.'))
        .map_err(|e| format!("bad OID {oid_text:?}: {e}"))?;
    // Tags may carry a variation suffix after ':'; only the plain form and the
    // 'x' (hex) modifier describe recorded data.
    let tag_text = tag_text.split(':').next().unwrap_or_default();
    let (tag_digits, hex_encoded) = match tag_text.strip_suffix('x') {
        Some(d) => (d, true),
        None => (tag_text, false),
    };
    let tag: u8 = tag_digits
        .parse()
        .map_err(|_| format!("bad tag {tag_text:?}"))?;
    let bytes = || -> Result<Vec<u8>, String> {
        if hex_encoded {
            decode_hex(value_text)
        } else {
            Ok(value_text.as_bytes().to_vec())
        }
    };
    let number = |what: &str| -> Result<u64, String> {
        value_text
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("bad {what} value {value_text:?}"))
    };
    let value = match tag {
        2 => Value::Integer(
            value_text
                .trim()
                .parse::<i32>()
                .map_err(|_| format!("bad Integer value {value_text:?}"))?,
        ),
        4 => Value::OctetString(bytes()?.into()),
        5 => Value::Null,
        6 => Value::ObjectIdentifier(
            Oid::parse(value_text.trim().trim_start_matches('.'))
                .map_err(|e| format!("bad OID value {value_text:?}: {e}"))?,
        ),
        64 => {
            let b = if hex_encoded {
                decode_hex(value_text)?
            } else {
                value_text
                    .split('.')
                    .map(|p| p.parse::<u8>())
                    .collect::<Result<Vec<u8>, _>>()
                    .map_err(|_| format!("bad IpAddress value {value_text:?}"))?
            };
            let arr: [u8; 4] = b
                .try_into()
                .map_err(|_| format!("bad IpAddress value {value_text:?}"))?;
            Value::IpAddress(arr)
        }
        65 => Value::Counter32(
            u32::try_from(number("Counter32")?).map_err(|_| "Counter32 out of range")?,
        ),
        66 => {
            Value::Gauge32(u32::try_from(number("Gauge32")?).map_err(|_| "Gauge32 out of range")?)
        }
        67 => Value::TimeTicks(
            u32::try_from(number("TimeTicks")?).map_err(|_| "TimeTicks out of range")?,
        ),
        68 => Value::Opaque(bytes()?.into()),
        70 => Value::Counter64(number("Counter64")?),
        other => return Err(format!("unsupported tag {other}")),
    };
    Ok((oid, value))
}

fn decode_hex(text: &str) -> Result<Vec<u8>, String> {
    let t = text.trim();
    if !t.len().is_multiple_of(2) {
        return Err(format!("odd-length hex value {t:?}"));
    }
    (0..t.len())
        .step_by(2)
        .map(|i| {
            t.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("bad hex value {t:?}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_tag_and_reports_bad_lines_with_numbers() {
        let text = "1.3.6.1.2.1.1.1.0|4|HP ETHERNET\n\
                    1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.11.2.3.9.1\n\
                    1.3.6.1.2.1.1.3.0|67|12345\n\
                    1.3.6.1.2.1.2.2.1.17.1|65|6git3159\n\
                    1.3.6.1.2.1.43.11.1.1.6.1.1|4x|426c61636b00\n\
                    1.3.6.1.2.1.43.11.1.1.9.1.1|2|-3\n\
                    1.3.6.1.2.1.43.11.1.1.9.1.1|2|50\n\
                    1.3.6.1.2.1.4.20.1.1.10.0.0.1|64|10.0.0.1\n\
                    1.3.6.1.2.1.25.3.5.1.2.1|5|\n";
        let rec = parse(text);
        assert_eq!(rec.tree.len(), 7);
        assert_eq!(rec.skipped.len(), 2);
        assert_eq!(rec.skipped[0].line, 4);
        assert!(rec.skipped[1].reason.contains("duplicate"));
        let level = rec
            .tree
            .get(&Oid::parse("1.3.6.1.2.1.43.11.1.1.9.1.1").unwrap())
            .unwrap();
        assert_eq!(level, &Value::Integer(-3), "first duplicate wins");
        let descr = rec
            .tree
            .get(&Oid::parse("1.3.6.1.2.1.43.11.1.1.6.1.1").unwrap())
            .unwrap();
        assert_eq!(descr, &Value::OctetString(b"Black\0".to_vec().into()));
    }

    #[test]
    fn render_then_parse_round_trips() {
        let text = "1.3.6.1.2.1.1.1.0|4|HP\n1.3.6.1.2.1.1.5.0|4x|00ff7c\n1.3.6.1.2.1.43.10.2.1.4.1.1|65|123\n";
        let rec = parse(text);
        let again = parse(&render(&rec.tree));
        assert_eq!(rec.tree, again.tree);
        assert!(again.skipped.is_empty());
    }
}
