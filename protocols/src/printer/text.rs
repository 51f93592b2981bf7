//! Turning the bytes printers put in DisplayString objects into clean text.
//!
//! Real devices send UTF-8, Latin-1, trailing NULs and padding; recordings
//! made with net-snmp can even hold its hex-dump rendering instead of the
//! string (HP M880: 16 plain characters, a newline, then the rest as hex
//! pairs). Vendors also pack extra fields into supply descriptions (Xerox
//! `Black Toner, PN 006R01509;SN…`). All of that is undone here, once, so no
//! caller ever sees raw bytes.

/// Decodes bytes into trimmed text: undoes the net-snmp hex-dump artefact
/// and whole-string hex dumps, accepts UTF-8 or else Latin-1, drops NULs
/// and turns other control characters into spaces.
pub fn decode(raw: &[u8]) -> String {
    let bytes = undo_hex_dump(raw).unwrap_or_else(|| raw.to_vec());
    let text = match std::str::from_utf8(&bytes) {
        Ok(s) => s.to_owned(),
        // Not UTF-8: Latin-1 maps every byte to the code point of the same value.
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    };
    text.chars()
        .filter(|&c| c != '\0')
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Decodes text and returns `None` when nothing is left.
pub fn decode_non_empty(raw: &[u8]) -> Option<String> {
    Some(decode(raw)).filter(|s| !s.is_empty())
}

/// A supply description, cleaned, and the part number it carried if any.
///
/// Rules, in order:
/// 1. [`decode`] the bytes;
/// 2. Xerox `Name, PN <part>;SN<serial>`: the name is the description, the
///    part goes to the part number (unless it says `unknown`), and the
///    cartridge serial is dropped (it changes with every cartridge);
/// 3. Samsung's empty serial tails (`… S/N:` and `… S/N:CRUM-` with
///    nothing after) are dropped: they carry no information.
pub fn supply_description(raw: &[u8]) -> (String, Option<String>) {
    let text = decode(raw);
    let (name, part) = split_part_number(&text);
    (strip_empty_serial_tail(&name), part)
}

fn split_part_number(text: &str) -> (String, Option<String>) {
    let Some(at) = text.find(", PN") else {
        return (text.to_owned(), None);
    };
    let name = text[..at].trim().to_owned();
    let tail = text[at + ", PN".len()..].trim_start();
    let part = tail.split(';').next().unwrap_or_default().trim();
    let part = (!part.is_empty() && !part.eq_ignore_ascii_case("unknown")).then(|| part.to_owned());
    (name, part)
}

fn strip_empty_serial_tail(text: &str) -> String {
    if let Some(at) = text.rfind("S/N:") {
        let value = text[at + "S/N:".len()..].trim();
        if value.is_empty() || value == "CRUM-" {
            return text[..at].trim_end().to_owned();
        }
    }
    text.to_owned()
}

/// Recognises hex renderings and returns the bytes they stand for:
/// - the net-snmp artefact: a first line of at most 16 characters, then
///   only lines of space-separated hex pairs;
/// - a whole value of at least four space-separated hex pairs.
fn undo_hex_dump(raw: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(raw).ok()?;
    if let Some((first, rest)) = text.split_once('\n') {
        if first.len() > 16 {
            return None;
        }
        let tail = hex_pairs(rest.lines())?;
        let mut out = first.as_bytes().to_vec();
        out.extend(tail);
        return Some(out);
    }
    let pairs = hex_pairs(std::iter::once(text))?;
    (pairs.len() >= 4).then_some(pairs)
}

fn hex_pairs<'a>(lines: impl Iterator<Item = &'a str>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for token in lines.flat_map(str::split_whitespace) {
        if token.len() != 2 {
            return None;
        }
        out.push(u8::from_str_radix(token, 16).ok()?);
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_nuls_and_control_characters_and_trims() {
        assert_eq!(decode(b"  Black\0\0"), "Black");
        assert_eq!(decode(b"Cyan\tToner\r"), "Cyan Toner");
    }

    #[test]
    fn latin1_fallback_for_invalid_utf8() {
        assert_eq!(decode(&[b'T', 0xF4, b'n', b'e', b'r']), "Tôner");
        assert_eq!(decode("Tôner".as_bytes()), "Tôner");
    }

    #[test]
    fn undoes_the_net_snmp_hex_dump_artefact_keeping_the_boundary_space() {
        let raw = b"Black Cartridge \n38 32 37 41 20 48 50 20 43 46 33 30 30 41 00 ";
        assert_eq!(decode(raw), "Black Cartridge 827A HP CF300A");
        let raw = b"Magenta Cartridg\n65 20 38 32 37 41 20 48 50 20 43 46 33 30 33 41 \n00 ";
        assert_eq!(decode(raw), "Magenta Cartridge 827A HP CF303A");
    }

    #[test]
    fn a_normal_two_line_string_is_not_taken_for_hex() {
        assert_eq!(decode(b"Toner\nlow soon"), "Toner low soon");
        assert_eq!(decode(b"AB CD"), "AB CD", "too short to be a dump");
        assert_eq!(decode(b"42 6C 61 63 6B"), "Black");
    }

    #[test]
    fn splits_xerox_part_numbers_and_drops_cartridge_serials() {
        let (d, p) = supply_description(b"Black Toner, PN 006R01509;SN48178080E0000481");
        assert_eq!(
            (d.as_str(), p.as_deref()),
            ("Black Toner", Some("006R01509"))
        );
        let (d, p) = supply_description(b"Fuser, PN unknown;SNunknown");
        assert_eq!((d.as_str(), p), ("Fuser", None));
        let (d, p) = supply_description(b"Fuser Kit HP 110V-C1N54A, 220V-C1N58A");
        assert_eq!(
            (d.as_str(), p),
            ("Fuser Kit HP 110V-C1N54A, 220V-C1N58A", None)
        );
    }

    #[test]
    fn drops_samsung_empty_serial_tails_only() {
        assert_eq!(
            supply_description(b"Black Toner Cartridge S/N:CRUM-").0,
            "Black Toner Cartridge"
        );
        assert_eq!(supply_description(b"Fuser S/N:").0, "Fuser");
        assert_eq!(
            supply_description(b"Black Toner S/N:CRUM-1234").0,
            "Black Toner S/N:CRUM-1234"
        );
    }
}
