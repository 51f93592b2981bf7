//! The printer's own word on a supply: prtAlertTable codes (RFC 3805
//! PrtAlertCodeTC: markerTonerEmpty, markerTonerAlmostEmpty, …) and
//! hrPrinterDetectedErrorState bits (lowToner, noToner). On a gauge that only
//! says "some remaining" they are the only sign that a cartridge is ending:
//! an empty signal counts as an empty reading, a low one says the end is near.
//!
//! The replay takes them as optional `alert_codes` and `detected_errors`
//! columns: tokens separated by `;`, `|`, `,` or spaces, each a number
//! (`1104`) or a name (`markerTonerAlmostEmpty`, `lowToner`, IPP's
//! `toner-low`), case-insensitive. What does not fit the supply's kind is
//! ignored (a waste-bottle alert says nothing about toner).

use serde::{Deserialize, Serialize};

/// What the printer says about one supply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplySignal {
    /// Almost empty (or almost full, for a waste receptacle).
    Low,
    /// Empty (or full, for a waste receptacle).
    Empty,
}

/// The kinds of supply an alert can speak of.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Marker {
    Toner,
    Ink,
    Ribbon,
    WasteToner,
    WasteInk,
    Opc,
    Developer,
}

fn marker_of(supply_type: &str) -> Option<Marker> {
    Some(match supply_type.to_ascii_lowercase().as_str() {
        "toner" | "tonercartridge" => Marker::Toner,
        "ink" | "inkcartridge" => Marker::Ink,
        "inkribbon" | "ribbonwax" | "solidwax" => Marker::Ribbon,
        "wastetoner" => Marker::WasteToner,
        "wasteink" => Marker::WasteInk,
        "opc" => Marker::Opc,
        "developer" => Marker::Developer,
        _ => return None,
    })
}

/// What one token says, and of which kind of supply.
fn token(t: &str) -> Option<(Marker, SupplySignal)> {
    use Marker::*;
    use SupplySignal::*;
    let t = t.trim().trim_matches('"').to_ascii_lowercase();
    Some(match t.as_str() {
        "1101" | "markertonerempty" | "notoner" | "toner-empty" | "tonerempty" => (Toner, Empty),
        "1104" | "markertoneralmostempty" | "lowtoner" | "toner-low" | "tonerlow" => (Toner, Low),
        "1102" | "markerinkempty" | "noink" | "ink-empty" => (Ink, Empty),
        "1105" | "markerinkalmostempty" | "lowink" | "ink-low" => (Ink, Low),
        "1103" | "markerprintribbonempty" => (Ribbon, Empty),
        "1106" | "markerprintribbonalmostempty" => (Ribbon, Low),
        "1109" | "markerwastetonerreceptaclefull" => (WasteToner, Empty),
        "1107" | "markerwastetonerreceptaclealmostfull" => (WasteToner, Low),
        "1110" | "markerwasteinkreceptaclefull" => (WasteInk, Empty),
        "1108" | "markerwasteinkreceptaclealmostfull" => (WasteInk, Low),
        "1112" | "markeropclifeover" => (Opc, Empty),
        "1111" | "markeropclifealmostover" => (Opc, Low),
        "1114" | "markerdeveloperempty" => (Developer, Empty),
        "1113" | "markerdeveloperalmostempty" => (Developer, Low),
        _ => return None,
    })
}

/// The strongest signal `alert_codes` and `detected_errors` give about a
/// supply of `supply_type`. `lowToner`/`noToner` also speak for ink (the
/// Host Resources MIB has one marking-agent bit for both).
pub fn signal_for(
    supply_type: &str,
    alert_codes: &str,
    detected_errors: &str,
) -> Option<SupplySignal> {
    let marker = marker_of(supply_type)?;
    let split = |s: &str| {
        s.split(|c: char| c == ';' || c == '|' || c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let mut best = None;
    for t in split(alert_codes) {
        if let Some((m, s)) = token(&t)
            && m == marker
        {
            best = best.max(Some(s));
        }
    }
    for t in split(detected_errors) {
        if let Some((m, s)) = token(&t)
            && (m == marker || (m == Marker::Toner && marker == Marker::Ink))
        {
            best = best.max(Some(s));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_for_the_right_supply() {
        assert_eq!(signal_for("toner", "1104", ""), Some(SupplySignal::Low));
        assert_eq!(
            signal_for("toner", "1104;1101", ""),
            Some(SupplySignal::Empty)
        );
        assert_eq!(
            signal_for("toner", "", "lowToner noToner"),
            Some(SupplySignal::Empty)
        );
        assert_eq!(
            signal_for("toner", "markerTonerAlmostEmpty", ""),
            Some(SupplySignal::Low)
        );
        assert_eq!(
            signal_for("toner", "1109", ""),
            None,
            "waste alert, not toner"
        );
        assert_eq!(
            signal_for("wasteToner", "1109", ""),
            Some(SupplySignal::Empty)
        );
        assert_eq!(signal_for("ink", "", "lowToner"), Some(SupplySignal::Low));
        assert_eq!(signal_for("toner", "", ""), None);
        assert_eq!(signal_for("toner", "junk 42 ;;", "doorOpen"), None);
        assert_eq!(signal_for("fuser", "1101", ""), None);
    }
}
