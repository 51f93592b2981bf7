//! Supplies from IPP Get-Printer-Attributes, as the same [`Supply`] values
//! the SNMP path ([`crate::printer::supplies`]) builds.
//!
//! Two sources, in order of preference:
//! - `printer-supply` (PWG 5100.13): one octetString per supply, a list of
//!   `key=value;` pairs mapped from the RFC 3805 prtMarkerSuppliesTable and
//!   prtMarkerColorantTable (enumerations as their RFC 3805 *labels*, e.g.
//!   `type=wasteToner`, `unit=percent`), with `printer-supply-description`
//!   giving the text of each, in the same order;
//! - the older `marker-names`/`marker-types`/`marker-colors`/`marker-levels`
//!   (RFC 8011 registry, PWG 5100.9), levels in percent, used only when the
//!   printer sends no `printer-supply`.
//!
//! The enumeration labels are turned back into their RFC 3805 numbers so the
//! level rules of [`gauge::read`], the class inference and the step
//! detection are exactly those of the SNMP path. The input is untrusted:
//! every value is optional, garbage degrades to "missing" (raw -2, gauge
//! `Unknown`), and nothing here panics.

use std::collections::BTreeSet;

use crate::printer::report::{Supply, SupplyClass};
use crate::printer::supplies::{inferred_class, mark_stepped};
use crate::printer::{enums, gauge, text};

/// The supply-related printer attributes of one response, as plain values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SupplyAttributes {
    /// `printer-supply` (1setOf octetString), each a PWG 5100.13 string such as
    /// "index=1;class=supplyThatIsConsumed;type=toner;unit=percent;maxcapacity=100;level=80;colorantname=black;"
    pub printer_supply: Vec<Vec<u8>>,
    /// `printer-supply-description` (1setOf text), same order as printer_supply.
    pub printer_supply_description: Vec<String>,
    /// `marker-names` (RFC 8011 registry / PWG 5100.9), used when
    /// `printer-supply` is absent.
    pub marker_names: Vec<String>,
    /// `marker-types` keywords: toner, waste-toner, ink, waste-ink,
    /// ink-cartridge, opc, developer, fuser, ...
    pub marker_types: Vec<String>,
    /// `marker-colors`: "#000000", "#00FFFF", "none", "#FF00FF#FFFF00"
    /// (multi-colour), ...
    pub marker_colors: Vec<String>,
    /// `marker-levels`: 0..=100 percent, -1 unknown/unavailable, -2 unknown,
    /// -3 some remaining (same meaning as RFC 3805).
    pub marker_levels: Vec<i32>,
    /// `marker-low-levels` (not part of [`Supply`]; kept for callers).
    pub marker_low_levels: Vec<i32>,
    /// `marker-high-levels` (not part of [`Supply`]; kept for callers).
    pub marker_high_levels: Vec<i32>,
}

/// Supplies in index order, with the same gauge rules and step detection as
/// SNMP.
///
/// From `printer-supply` when the printer sends it, else from `marker-*`
/// (one supply per `marker-names` value). Every supply gets a distinct
/// index: the printer's `index` when it is a positive number not already
/// taken by an earlier supply, else the position (1-based), else the next
/// free number above it.
pub fn supplies(attrs: &SupplyAttributes) -> Vec<Supply> {
    let rows = if attrs.printer_supply.is_empty() {
        marker_rows(attrs)
    } else {
        supply_rows(attrs)
    };
    finish(rows)
}

/// One PWG 5100.13 printer-supply string, parsed into its key/value pairs
/// (keys lower-cased; values percent-decoded where PWG allows %XX; unknown
/// keys kept).
///
/// Pairs are separated by `;` (a trailing one is optional) and split at
/// their first `=`; keys and values are trimmed of spaces (and NUL padding).
/// Pairs without `=` or with an empty key are dropped; of duplicate keys the
/// first wins. A `%` not followed by two hex digits is kept as it is.
/// Bytes that are not UTF-8 are replaced (lossy decoding).
pub fn parse_supply_string(raw: &[u8]) -> Vec<(String, String)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for pair in raw.split(|&b| b == b';') {
        let Some(eq) = pair.iter().position(|&b| b == b'=') else {
            continue;
        };
        let (key, value) = (&pair[..eq], &pair[eq + 1..]);
        let key = String::from_utf8_lossy(trim_bytes(key)).to_lowercase();
        if key.is_empty() || !seen.insert(key.clone()) {
            continue;
        }
        let value = percent_decode(trim_bytes(value));
        out.push((key, String::from_utf8_lossy(&value).into_owned()));
    }
    out
}

/// A supply before its final index is assigned.
struct Row {
    /// The index the printer asked for, if any.
    wanted_index: Option<u32>,
    supply: Supply,
    /// `(level, scale)` of an `Exact` reading, for step detection.
    fraction: Option<(i64, i64)>,
}

/// What one source says about a supply, already mapped to RFC 3805 numbers
/// where the rules need them.
struct Fields {
    wanted_index: Option<u32>,
    explicit_class: Option<SupplyClass>,
    kind_n: Option<i64>,
    kind: String,
    unit_n: Option<i64>,
    unit: Option<String>,
    max: Option<i64>,
    level: Option<i64>,
    colorant: Option<String>,
    /// The printer's own text, if non-empty: (description, part number).
    description: Option<(String, Option<String>)>,
}

impl Fields {
    fn into_row(self) -> Row {
        let (description, part_number) = self.description.unwrap_or_else(|| {
            (
                built_description(self.colorant.as_deref(), &self.kind),
                None,
            )
        });
        let reading = gauge::read(self.level, self.max, self.unit_n);
        let fraction = self
            .level
            .and_then(|l| gauge::exact_fraction(l, self.max, self.unit_n));
        let class = class(self.explicit_class, self.kind_n, &self.kind, &description);
        Row {
            wanted_index: self.wanted_index,
            supply: Supply {
                index: 0,
                description,
                part_number,
                kind: self.kind,
                class,
                colorant: self.colorant,
                unit: self.unit,
                max_capacity: self.max.unwrap_or(gauge::LEVEL_UNKNOWN),
                level: self.level.unwrap_or(gauge::LEVEL_UNKNOWN),
                percent: reading.percent,
                gauge: reading.gauge,
            },
            fraction,
        }
    }
}

/// Rows from `printer-supply` (+ `printer-supply-description`).
fn supply_rows(attrs: &SupplyAttributes) -> Vec<Row> {
    attrs
        .printer_supply
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let pairs = parse_supply_string(raw);
            let get = |key: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.trim())
                    .filter(|v| !v.is_empty())
            };
            let number = |key: &str| get(key).and_then(|v| v.parse::<i64>().ok());

            let (kind_n, kind) = match get("type") {
                Some(name) => match type_number(name) {
                    Some(n) => (Some(n), canonical_type(n, name)),
                    None => (None, lower_first(name)),
                },
                None => (None, "unknown".to_owned()),
            };
            let (unit_n, unit) = match get("unit") {
                Some(name) => match unit_number(name) {
                    Some(n) => (
                        Some(n),
                        Some(enums::supply_unit(n).unwrap_or(name).to_owned()),
                    ),
                    None => (None, Some(name.to_owned())),
                },
                None => (None, None),
            };
            // Colorant index 0 is "no single colorant" (RFC 3805), whatever
            // name comes with it, as on the SNMP path.
            let colorant = if number("colorantindex") == Some(0) {
                None
            } else {
                get("colorantname").and_then(colorant_name)
            };
            Fields {
                wanted_index: number("index")
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| *n > 0),
                explicit_class: get("class").and_then(class_label),
                kind_n,
                kind,
                unit_n,
                unit,
                max: number("maxcapacity"),
                level: number("level"),
                colorant,
                description: attrs
                    .printer_supply_description
                    .get(i)
                    .and_then(|d| printer_description(d)),
            }
            .into_row()
        })
        .collect()
}

/// Rows from `marker-*`: one per `marker-names` value, levels in percent.
fn marker_rows(attrs: &SupplyAttributes) -> Vec<Row> {
    attrs
        .marker_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let kind_n = attrs
                .marker_types
                .get(i)
                .and_then(|k| type_number(&keyword_to_label(k.trim())));
            let kind = kind_n
                .and_then(enums::supply_type)
                .unwrap_or("unknown")
                .to_owned();
            Fields {
                wanted_index: u32::try_from(i + 1).ok(),
                explicit_class: None,
                kind_n,
                kind,
                unit_n: Some(enums::UNIT_PERCENT),
                unit: enums::supply_unit(enums::UNIT_PERCENT).map(str::to_owned),
                max: Some(100),
                level: attrs.marker_levels.get(i).copied().map(i64::from),
                colorant: attrs.marker_colors.get(i).and_then(|c| marker_color(c)),
                description: printer_description(name),
            }
            .into_row()
        })
        .collect()
}

/// Distinct indices, step detection across all supplies (as SNMP), index
/// order.
fn finish(mut rows: Vec<Row>) -> Vec<Supply> {
    let mut used = BTreeSet::new();
    let mut assigned: Vec<Option<u32>> = rows
        .iter()
        .map(|r| r.wanted_index.filter(|ix| used.insert(*ix)))
        .collect();
    for (position, slot) in assigned.iter_mut().enumerate() {
        if slot.is_none() {
            let start = u32::try_from(position + 1).unwrap_or(u32::MAX);
            // At most `rows.len()` numbers are taken, so a free one is near.
            let free = (start..=u32::MAX)
                .chain(1..start)
                .find(|c| !used.contains(c))
                .unwrap_or(start);
            used.insert(free);
            *slot = Some(free);
        }
    }
    for (row, ix) in rows.iter_mut().zip(assigned) {
        row.supply.index = ix.unwrap_or_default();
    }

    mark_stepped(rows.iter_mut().map(|r| (&mut r.supply, r.fraction)));
    let mut out: Vec<Supply> = rows.into_iter().map(|r| r.supply).collect();
    out.sort_by_key(|s| s.index);
    out
}

/// The class as the SNMP path infers it: the printer's class when valid,
/// else [`inferred_class`] from the type — an unknown `waste…` type label
/// counts as the printer's words.
fn class(
    explicit: Option<SupplyClass>,
    kind_n: Option<i64>,
    kind: &str,
    description: &str,
) -> SupplyClass {
    explicit.unwrap_or_else(|| inferred_class(kind_n, &format!("{kind} {description}")))
}

/// PrtMarkerSuppliesClassTC labels; anything else is left to inference.
fn class_label(label: &str) -> Option<SupplyClass> {
    let label = label.to_ascii_lowercase();
    match label.as_str() {
        "supplythatisconsumed" => Some(SupplyClass::Consumed),
        "receptaclethatisfilled" => Some(SupplyClass::Receptacle),
        // RFC 3805 other(1): the SNMP path keeps it as Other too.
        "other" => Some(SupplyClass::Other),
        _ => None,
    }
}

/// Highest enumeration value searched when mapping a label back to its
/// number (the tables in `enums` are far below it; later IANA additions
/// are found without a change here).
const ENUM_SEARCH_MAX: i64 = 255;

/// PrtMarkerSuppliesTypeTC number of a label, case-insensitively.
fn type_number(label: &str) -> Option<i64> {
    (1..=ENUM_SEARCH_MAX)
        .find(|&n| enums::supply_type(n).is_some_and(|t| t.eq_ignore_ascii_case(label)))
}

/// The enums name of a type number, falling back to the printer's label.
fn canonical_type(n: i64, label: &str) -> String {
    enums::supply_type(n).map_or_else(|| lower_first(label), str::to_owned)
}

/// PrtMarkerSuppliesSupplyUnitTC number of a label, case-insensitively
/// (also the correct spelling of RFC 3805's `hundrethsOfFluidOunces`).
fn unit_number(label: &str) -> Option<i64> {
    if label.eq_ignore_ascii_case("hundredthsOfFluidOunces") {
        return Some(14);
    }
    (1..=ENUM_SEARCH_MAX)
        .find(|&n| enums::supply_unit(n).is_some_and(|u| u.eq_ignore_ascii_case(label)))
}

/// A `marker-types` keyword (`waste-toner`) as its RFC 3805 label
/// (`wasteToner`); labels pass through.
fn keyword_to_label(keyword: &str) -> String {
    let mut out = String::with_capacity(keyword.len());
    let mut upper_next = false;
    for c in keyword.chars() {
        if c == '-' || c == '_' {
            upper_next = !out.is_empty();
        } else if upper_next {
            out.extend(c.to_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A label with its first letter lower-cased (`WasteFoo` → `wasteFoo`).
fn lower_first(label: &str) -> String {
    let mut chars = label.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

/// `colorantname`: RFC 3805 prtMarkerColorantValue; `unknown`, `other`,
/// `none`, `no-color` and empty say there is no colour.
fn colorant_name(name: &str) -> Option<String> {
    let name = name.trim();
    let none = ["unknown", "other", "none", "no-color", "nocolor"];
    (!name.is_empty() && !none.iter().any(|n| name.eq_ignore_ascii_case(n)))
        .then(|| name.to_owned())
}

/// A `marker-colors` value: one `#RRGGBB` colour becomes its RFC 3805
/// colorant name when it is one of those (black, white, red, green, blue,
/// cyan, magenta, yellow), else stays as `#RRGGBB`; multi-colour values
/// (`#FF00FF#FFFF00`), `none` and anything malformed give no colour. A bare
/// name (some printers send `black`) is taken as a colorant name.
fn marker_color(value: &str) -> Option<String> {
    let value = value.trim();
    let Some(hex) = value.strip_prefix('#') else {
        return colorant_name(value);
    };
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let hex = hex.to_ascii_uppercase();
    let name = match hex.as_str() {
        "000000" => "black",
        "FFFFFF" => "white",
        "FF0000" => "red",
        "00FF00" => "green",
        "0000FF" => "blue",
        "00FFFF" => "cyan",
        "FF00FF" => "magenta",
        "FFFF00" => "yellow",
        _ => return Some(format!("#{hex}")),
    };
    Some(name.to_owned())
}

/// The printer's description text, cleaned as on the SNMP path, when
/// anything is left.
fn printer_description(raw: &str) -> Option<(String, Option<String>)> {
    Some(text::supply_description(raw.as_bytes())).filter(|(d, _)| !d.is_empty())
}

/// A description from colorant and type when the printer gives none:
/// `black` + `tonerCartridge` → "black toner cartridge". An unknown/other
/// type adds nothing unless it is all there is.
fn built_description(colorant: Option<&str>, kind: &str) -> String {
    let kind_words = camel_words(kind);
    let vague = kind.eq_ignore_ascii_case("unknown") || kind.eq_ignore_ascii_case("other");
    match colorant {
        Some(c) if vague => c.to_owned(),
        Some(c) => format!("{c} {kind_words}"),
        None => kind_words,
    }
}

/// `wasteToner` → "waste toner".
fn camel_words(label: &str) -> String {
    let mut out = String::with_capacity(label.len() + 4);
    for c in label.chars() {
        if c.is_uppercase() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Trims ASCII white space and NUL padding.
fn trim_bytes(bytes: &[u8]) -> &[u8] {
    let pad = |b: &u8| b.is_ascii_whitespace() || *b == 0;
    let start = bytes.iter().position(|b| !pad(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !pad(b)).map_or(start, |e| e + 1);
    bytes.get(start..end).unwrap_or_default()
}

/// `%XX` → the byte; a `%` without two hex digits stays literal.
fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex);
            let lo = bytes.get(i + 2).copied().and_then(hex);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::printer::report::Gauge;
    use proptest::prelude::*;

    fn one(supply: &str) -> Supply {
        let rows = supplies(&SupplyAttributes {
            printer_supply: vec![supply.as_bytes().to_vec()],
            ..SupplyAttributes::default()
        });
        assert_eq!(rows.len(), 1);
        rows.into_iter().next().unwrap()
    }

    fn with_descriptions(supply: &[&str], descriptions: &[&str]) -> Vec<Supply> {
        supplies(&SupplyAttributes {
            printer_supply: supply.iter().map(|s| s.as_bytes().to_vec()).collect(),
            printer_supply_description: descriptions.iter().map(|s| (*s).to_owned()).collect(),
            ..SupplyAttributes::default()
        })
    }

    fn pairs(raw: &str) -> Vec<(String, String)> {
        parse_supply_string(raw.as_bytes())
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn toner_in_percent() {
        let s = one(
            "index=1;class=supplyThatIsConsumed;type=toner;unit=percent;\
             maxcapacity=100;level=80;colorantname=black;",
        );
        assert_eq!(s.index, 1);
        assert_eq!(s.kind, "toner");
        assert_eq!(s.class, SupplyClass::Consumed);
        assert_eq!(s.colorant.as_deref(), Some("black"));
        assert_eq!(s.unit.as_deref(), Some("percent"));
        assert_eq!((s.max_capacity, s.level), (100, 80));
        assert_eq!((s.percent, s.gauge), (Some(80.0), Gauge::Exact));
        assert_eq!(s.description, "black toner");
        assert_eq!(s.part_number, None);
    }

    #[test]
    fn waste_toner_is_a_receptacle_and_its_level_is_space_left() {
        let s = one(
            "type=wasteToner;maxcapacity=5300;level=1060;class=receptacleThatIsFilled;\
             unit=tenthsOfGrams;index=3;",
        );
        assert_eq!(s.class, SupplyClass::Receptacle);
        assert_eq!(s.kind, "wasteToner");
        assert_eq!(s.unit.as_deref(), Some("tenthsOfGrams"));
        assert_eq!((s.percent, s.gauge), (Some(20.0), Gauge::Exact));
        assert_eq!(s.description, "waste toner");
        // Without a class, the waste type alone makes it a receptacle.
        let s = one("type=wasteToner;maxcapacity=100;level=10;");
        assert_eq!(s.class, SupplyClass::Receptacle);
    }

    #[test]
    fn some_remaining_has_no_percent() {
        let s = one("type=toner;unit=percent;maxcapacity=100;level=-3;colorantname=cyan;");
        assert_eq!((s.percent, s.gauge), (None, Gauge::SomeRemaining));
        assert_eq!(s.level, -3);
        for level in ["-1", "-2"] {
            let s = one(&format!("type=toner;maxcapacity=100;level={level};"));
            assert_eq!((s.percent, s.gauge), (None, Gauge::Unknown), "{level}");
        }
    }

    #[test]
    fn missing_capacity_is_unknown_unless_the_unit_is_percent() {
        let s = one("type=toner;unit=percent;level=42;");
        assert_eq!(s.max_capacity, -2, "missing capacity kept as unknown");
        assert_eq!((s.percent, s.gauge), (Some(42.0), Gauge::Exact));
        let s = one("type=toner;unit=tenthsOfGrams;level=42;");
        assert_eq!((s.percent, s.gauge), (None, Gauge::Unknown));
        let s = one("type=toner;unit=impressions;maxcapacity=-2;level=42;");
        assert_eq!((s.percent, s.gauge), (None, Gauge::Unknown));
        let s = one("type=toner;maxcapacity=100;");
        assert_eq!((s.level, s.percent, s.gauge), (-2, None, Gauge::Unknown));
    }

    #[test]
    fn unknown_class_is_inferred_from_type_then_description() {
        let s = one("class=fooBar;type=wasteInk;maxcapacity=100;level=50;");
        assert_eq!(s.class, SupplyClass::Receptacle);
        assert_eq!(s.kind, "wasteInk");
        let s = one("class=fooBar;type=toner;maxcapacity=100;level=50;");
        assert_eq!(s.class, SupplyClass::Consumed);
        let s = one("type=other;maxcapacity=100;level=50;");
        assert_eq!(s.class, SupplyClass::Other);
        let s = one("class=other;type=toner;maxcapacity=100;level=50;");
        assert_eq!(s.class, SupplyClass::Other, "as SNMP class other(1)");
        // Unknown type: kept as given (first letter lower-cased), and its
        // `waste` prefix or the description decides.
        let s = one("type=WasteGlitter;maxcapacity=100;level=50;");
        assert_eq!(
            (s.kind.as_str(), s.class),
            ("wasteGlitter", SupplyClass::Receptacle)
        );
        let rows = with_descriptions(&["type=unknown;level=5;maxcapacity=10;"], &["Waste Box"]);
        assert_eq!(rows[0].class, SupplyClass::Receptacle);
        let s = one("type=;level=5;maxcapacity=10;");
        assert_eq!(
            (s.kind.as_str(), s.class),
            ("unknown", SupplyClass::Consumed)
        );
        // Types and units match case-insensitively, reported by their RFC name.
        let s = one("type=TONERCARTRIDGE;unit=TenThousandthsOfInches;");
        assert_eq!(s.kind, "tonerCartridge");
        assert_eq!(s.unit.as_deref(), Some("tenThousandthsOfInches"));
        let s = one("unit=furlongs;");
        assert_eq!(s.unit.as_deref(), Some("furlongs"));
    }

    #[test]
    fn unknown_colorant_is_no_colour() {
        for c in ["unknown", "", "UNKNOWN", "other", "none"] {
            let s = one(&format!(
                "type=fuser;colorantname={c};level=96;maxcapacity=100;"
            ));
            assert_eq!(s.colorant, None, "{c:?}");
            assert_eq!(s.description, "fuser");
        }
        let s = one("type=toner;colorantindex=0;colorantname=black;");
        assert_eq!(s.colorant, None, "colorant index 0 is no colour");
        let s = one(
            "type=toner;colorantindex=1;colorantrole=process;colorantname=black;\
             coloranttonality=256;",
        );
        assert_eq!(s.colorant.as_deref(), Some("black"));
    }

    #[test]
    fn percent_encoded_values_are_decoded() {
        assert_eq!(
            pairs("colorantname=light%3Bblack%3D%25;type=%74oner;"),
            vec![pair("colorantname", "light;black=%"), pair("type", "toner")]
        );
        // Invalid escapes stay literal.
        assert_eq!(
            pairs("a=100%;b=%4;c=%zz"),
            vec![pair("a", "100%"), pair("b", "%4"), pair("c", "%zz")]
        );
        let s = one("type=%74oner;unit=%70ercent;level=5%30;colorantname=dark%20red;");
        assert_eq!(s.kind, "toner");
        assert_eq!((s.percent, s.gauge), (Some(50.0), Gauge::Exact));
        assert_eq!(s.colorant.as_deref(), Some("dark red"));
        // The description attribute is text, not percent-encoded.
        let rows = with_descriptions(&["type=toner;"], &["Toner 100%25"]);
        assert_eq!(rows[0].description, "Toner 100%25");
    }

    #[test]
    fn level_above_capacity_is_clamped_and_flagged() {
        let s = one("type=toner;maxcapacity=100;level=150;");
        assert_eq!(
            (s.percent, s.gauge, s.level),
            (Some(100.0), Gauge::OutOfRange, 150)
        );
    }

    #[test]
    fn negative_and_garbage_numbers() {
        // Ricoh-style -100: a number below zero but not a code.
        let s = one("type=toner;maxcapacity=100;level=-100;");
        assert_eq!((s.percent, s.gauge), (Some(0.0), Gauge::OutOfRange));
        // Garbage is missing: raw -2, unknown.
        for bad in ["-abc", "--3", "1e3", "80%", "99999999999999999999", "-"] {
            let s = one(&format!(
                "type=toner;unit=percent;maxcapacity={bad};level={bad};"
            ));
            assert_eq!((s.max_capacity, s.level), (-2, -2), "{bad}");
            assert_eq!((s.percent, s.gauge), (None, Gauge::Unknown), "{bad}");
        }
        let s = one("type=toner;maxcapacity=-2;level=0;");
        assert_eq!(s.percent, None, "0 of an unknown capacity is not empty");
    }

    #[test]
    fn ippeveprinter_supplies_and_descriptions() {
        let rows = with_descriptions(
            &[
                "index=1;class=receptacleThatIsFilled;type=wasteToner;unit=percent;maxcapacity=100;level=0;colorantname=unknown;",
                "index=2;class=supplyThatIsConsumed;type=toner;unit=percent;maxcapacity=100;level=100;colorantname=black;",
                "index=3;class=supplyThatIsConsumed;type=toner;unit=percent;maxcapacity=100;level=100;colorantname=cyan;",
            ],
            &["Waste Toner", "Black Toner", "Cyan Toner"],
        );
        assert_eq!(rows.len(), 3);
        let w = &rows[0];
        assert_eq!((w.index, w.description.as_str()), (1, "Waste Toner"));
        assert_eq!(
            (w.class, w.kind.as_str(), w.colorant.as_deref()),
            (SupplyClass::Receptacle, "wasteToner", None)
        );
        assert_eq!((w.percent, w.gauge), (Some(0.0), Gauge::Exact));
        let b = &rows[1];
        assert_eq!((b.index, b.description.as_str()), (2, "Black Toner"));
        assert_eq!(
            (b.class, b.colorant.as_deref()),
            (SupplyClass::Consumed, Some("black"))
        );
        assert_eq!(
            (b.percent, b.gauge),
            (Some(100.0), Gauge::Exact),
            "0 and 100 are no step evidence"
        );
        assert_eq!(rows[2].colorant.as_deref(), Some("cyan"));
    }

    #[test]
    fn part_number_is_split_off_the_description() {
        let rows = with_descriptions(
            &["type=toner;colorantname=black;", "type=fuser;", "type=opc;"],
            &[
                "Black Toner Cartridge, PN 106R03480;SN1234567",
                "Fuser, PN unknown",
                "  ",
            ],
        );
        assert_eq!(rows[0].description, "Black Toner Cartridge");
        assert_eq!(rows[0].part_number.as_deref(), Some("106R03480"));
        assert_eq!(
            (rows[1].description.as_str(), rows[1].part_number.as_deref()),
            ("Fuser", None)
        );
        assert_eq!(rows[2].description, "opc", "blank description is built");
    }

    #[test]
    fn fewer_descriptions_than_supplies() {
        let rows = with_descriptions(
            &[
                "type=toner;colorantname=black;",
                "type=tonerCartridge;colorantname=magenta;",
            ],
            &["K"],
        );
        assert_eq!(rows[0].description, "K");
        assert_eq!(rows[1].description, "magenta toner cartridge");
    }

    #[test]
    fn coarse_steps_are_detected_across_supplies() {
        let rows = with_descriptions(
            &[
                "type=toner;maxcapacity=100;level=40;",
                "type=toner;maxcapacity=100;level=60;",
                "type=toner;maxcapacity=100;level=-3;",
            ],
            &[],
        );
        assert_eq!(rows[0].gauge, Gauge::Stepped);
        assert_eq!(rows[1].gauge, Gauge::Stepped);
        assert_eq!(rows[2].gauge, Gauge::SomeRemaining);
        let rows = with_descriptions(
            &["maxcapacity=100;level=41;", "maxcapacity=100;level=60;"],
            &[],
        );
        assert!(rows.iter().all(|s| s.gauge == Gauge::Exact));
    }

    #[test]
    fn indices_are_distinct_and_in_order() {
        let rows = with_descriptions(
            &[
                "index=2;type=toner;",
                "type=opc;",
                "index=2;type=fuser;",
                "index=0;type=ink;",
                "index=x;type=developer;",
            ],
            &[],
        );
        let got: Vec<(u32, &str)> = rows.iter().map(|s| (s.index, s.kind.as_str())).collect();
        // toner keeps 2; opc at position 2 finds 2 taken → 3; fuser (duplicate)
        // wants 3 → 4; ink (0 is no index) 4 → 5; developer 5 → 6.
        assert_eq!(
            got,
            vec![
                (2, "toner"),
                (3, "opc"),
                (4, "fuser"),
                (5, "ink"),
                (6, "developer")
            ]
        );
        // Printer order differs from index order: sorted by index.
        let rows = with_descriptions(&["index=5;type=toner;", "index=1;type=opc;"], &["T", "D"]);
        let got: Vec<(u32, &str)> = rows
            .iter()
            .map(|s| (s.index, s.description.as_str()))
            .collect();
        assert_eq!(got, vec![(1, "D"), (5, "T")]);
    }

    #[test]
    fn parser_tolerates_sloppy_strings() {
        let expected = vec![
            pair("index", "1"),
            pair("type", "toner"),
            pair("level", "80"),
        ];
        assert_eq!(pairs("index=1;type=toner;level=80;"), expected);
        assert_eq!(
            pairs("index=1;type=toner;level=80"),
            expected,
            "no trailing ;"
        );
        assert_eq!(
            pairs("  INDEX = 1 ; Type=toner ;; level=80 ;  "),
            expected,
            "spaces, case, empty pair"
        );
        assert_eq!(
            pairs("index=1;bare;type=toner;=5;level=80;level=10;index=9"),
            expected,
            "bare key, empty key, duplicates"
        );
        assert_eq!(
            pairs("index=1\0\0;type=toner;level=80;\0"),
            expected,
            "NUL padding"
        );
        assert_eq!(pairs("a==b;x=y=z"), vec![pair("a", "=b"), pair("x", "y=z")]);
        assert_eq!(
            pairs("mystery=42;"),
            vec![pair("mystery", "42")],
            "unknown keys kept"
        );
        assert!(pairs("").is_empty());
        assert!(pairs(";;;").is_empty());
        let lossy = parse_supply_string(b"colorantname=bl\xffack;type=\xc3\xa9;");
        assert_eq!(
            lossy,
            vec![pair("colorantname", "bl\u{fffd}ack"), pair("type", "é")]
        );
    }

    #[test]
    fn marker_attributes_when_printer_supply_is_absent() {
        let attrs = SupplyAttributes {
            marker_names: [
                "Black Toner",
                "Cyan Toner",
                "Waste Toner Box",
                "Photo Drum",
                "",
                "Staples",
            ]
            .map(str::to_owned)
            .to_vec(),
            marker_types: ["toner", "toner", "waste-toner", "opc", "ink-cartridge"]
                .map(str::to_owned)
                .to_vec(),
            marker_colors: ["#000000", "#00ffff", "none", "#FF00FF#FFFF00", "#FFFF00"]
                .map(str::to_owned)
                .to_vec(),
            marker_levels: vec![50, -3, 100, -1],
            marker_low_levels: vec![10, 10],
            marker_high_levels: vec![100],
            ..SupplyAttributes::default()
        };
        let rows = supplies(&attrs);
        assert_eq!(rows.len(), 6, "one per marker-names value");
        type Summary<'a> = (
            u32,
            &'a str,
            SupplyClass,
            Option<&'a str>,
            Option<f64>,
            Gauge,
        );
        let summary: Vec<Summary> = rows
            .iter()
            .map(|s| {
                (
                    s.index,
                    s.kind.as_str(),
                    s.class,
                    s.colorant.as_deref(),
                    s.percent,
                    s.gauge,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    1,
                    "toner",
                    SupplyClass::Consumed,
                    Some("black"),
                    Some(50.0),
                    Gauge::Exact
                ),
                (
                    2,
                    "toner",
                    SupplyClass::Consumed,
                    Some("cyan"),
                    None,
                    Gauge::SomeRemaining
                ),
                (
                    3,
                    "wasteToner",
                    SupplyClass::Receptacle,
                    None,
                    Some(100.0),
                    Gauge::Exact
                ),
                (4, "opc", SupplyClass::Consumed, None, None, Gauge::Unknown),
                (
                    5,
                    "inkCartridge",
                    SupplyClass::Consumed,
                    Some("yellow"),
                    None,
                    Gauge::Unknown
                ),
                (
                    6,
                    "unknown",
                    SupplyClass::Consumed,
                    None,
                    None,
                    Gauge::Unknown
                ),
            ]
        );
        assert!(
            rows.iter()
                .all(|s| s.unit.as_deref() == Some("percent") && s.max_capacity == 100)
        );
        assert_eq!(
            (rows[0].description.as_str(), rows[0].level),
            ("Black Toner", 50)
        );
        assert_eq!(
            rows[4].description, "yellow ink cartridge",
            "empty name is built"
        );
        assert_eq!(
            (rows[5].description.as_str(), rows[5].level),
            ("Staples", -2),
            "missing level"
        );
    }

    #[test]
    fn marker_types_and_colours_map_to_rfc_names() {
        for (keyword, kind) in [
            ("toner", "toner"),
            ("waste-toner", "wasteToner"),
            ("ink", "ink"),
            ("ink-cartridge", "inkCartridge"),
            ("waste-ink", "wasteInk"),
            ("opc", "opc"),
            ("developer", "developer"),
            ("fuser", "fuser"),
            ("staples", "staples"),
            ("toner-cartridge", "tonerCartridge"),
            ("fuser-oil-wick", "fuserOilWick"),
            ("glitter", "unknown"),
            ("", "unknown"),
        ] {
            let rows = supplies(&SupplyAttributes {
                marker_names: vec!["x".to_owned()],
                marker_types: vec![keyword.to_owned()],
                ..SupplyAttributes::default()
            });
            assert_eq!(rows[0].kind, kind, "{keyword}");
        }
        assert_eq!(marker_color("#ff00ff").as_deref(), Some("magenta"));
        assert_eq!(marker_color(" #FFFF00 ").as_deref(), Some("yellow"));
        assert_eq!(marker_color("#123abc").as_deref(), Some("#123ABC"));
        assert_eq!(marker_color("#FF00FF#FFFF00"), None);
        assert_eq!(marker_color("none"), None);
        assert_eq!(marker_color("#12"), None);
        assert_eq!(marker_color("#ÿÿÿ"), None);
        assert_eq!(marker_color("black").as_deref(), Some("black"));
    }

    #[test]
    fn marker_levels_are_stepped_like_snmp() {
        let rows = supplies(&SupplyAttributes {
            marker_names: ["K", "C", "M"].map(str::to_owned).to_vec(),
            marker_levels: vec![20, 40, 150],
            ..SupplyAttributes::default()
        });
        assert_eq!(rows[0].gauge, Gauge::Stepped);
        assert_eq!(rows[1].gauge, Gauge::Stepped);
        assert_eq!(
            (rows[2].percent, rows[2].gauge),
            (Some(100.0), Gauge::OutOfRange)
        );
    }

    #[test]
    fn printer_supply_wins_over_markers_and_nothing_gives_nothing() {
        let attrs = SupplyAttributes {
            printer_supply: vec![b"type=toner;".to_vec()],
            marker_names: vec!["a".to_owned(), "b".to_owned()],
            ..SupplyAttributes::default()
        };
        assert_eq!(supplies(&attrs).len(), 1);
        assert!(supplies(&SupplyAttributes::default()).is_empty());
    }

    fn supply_string() -> impl Strategy<Value = Vec<u8>> {
        let value = prop_oneof![
            Just(String::new()),
            (-5i64..200).prop_map(|n| n.to_string()),
            "[a-zA-Z%0-9;= -]{0,12}",
        ];
        let key = prop_oneof![
            Just("index"),
            Just("class"),
            Just("type"),
            Just("unit"),
            Just("maxcapacity"),
            Just("level"),
            Just("colorantname"),
            Just("colorantindex"),
            Just("other"),
        ];
        prop_oneof![
            prop::collection::vec((key, value), 0..8).prop_map(|kv| {
                kv.iter()
                    .map(|(k, v)| format!("{k}={v};"))
                    .collect::<String>()
                    .into_bytes()
            }),
            prop::collection::vec(any::<u8>(), 0..64),
        ]
    }

    fn attributes() -> impl Strategy<Value = SupplyAttributes> {
        (
            prop::collection::vec(supply_string(), 0..6),
            prop::collection::vec(".{0,20}", 0..6),
            prop::collection::vec(".{0,20}", 0..6),
            prop::collection::vec("[a-z-]{0,12}", 0..6),
            prop::collection::vec("#[0-9A-Fa-f]{0,13}|none|.{0,8}", 0..6),
            prop::collection::vec(any::<i32>(), 0..6),
        )
            .prop_map(|(ps, psd, names, types, colors, levels)| SupplyAttributes {
                printer_supply: ps,
                printer_supply_description: psd,
                marker_names: names,
                marker_types: types,
                marker_colors: colors,
                marker_low_levels: levels.clone(),
                marker_levels: levels,
                marker_high_levels: Vec::new(),
            })
    }

    proptest! {
        #[test]
        fn parsing_random_bytes_never_panics(raw in prop::collection::vec(any::<u8>(), 0..256)) {
            let parsed = parse_supply_string(&raw);
            let keys: BTreeSet<&str> = parsed.iter().map(|(k, _)| k.as_str()).collect();
            prop_assert_eq!(keys.len(), parsed.len(), "keys are unique");
            prop_assert!(parsed.iter().all(|(k, _)| !k.is_empty() && *k == k.to_lowercase()));
        }

        #[test]
        fn random_attributes_give_distinct_sorted_indices(attrs in attributes()) {
            let rows = supplies(&attrs);
            let expected = if attrs.printer_supply.is_empty() {
                attrs.marker_names.len()
            } else {
                attrs.printer_supply.len()
            };
            prop_assert_eq!(rows.len(), expected);
            let indices: Vec<u32> = rows.iter().map(|s| s.index).collect();
            prop_assert!(indices.windows(2).all(|w| w[0] < w[1]), "distinct, in order: {:?}", indices);
            prop_assert!(indices.iter().all(|&i| i >= 1));
            for s in &rows {
                if let Some(p) = s.percent {
                    prop_assert!((0.0..=100.0).contains(&p));
                }
                prop_assert!(!s.kind.is_empty());
                prop_assert_eq!(
                    s.percent.is_some(),
                    matches!(s.gauge, Gauge::Exact | Gauge::Stepped | Gauge::OutOfRange)
                );
            }
        }
    }
}
