//! Cartridge lives to fall back on when neither this printer nor the fleet
//! has taught one: what a cartridge of a kind lasts, in pages, at the
//! modest end of office use. The forecast uses them to forecast a supply it
//! knows nothing about; the page-counter safety net uses them so a gauge that
//! never shows a swap cannot leave a printer without orders for good.

/// Pages a cartridge lasts when nothing has been learned yet (deliberately modest).
pub(crate) const DEFAULT_LIFE_PAGES: f64 = 2500.0;

/// Typical colour-to-black cartridge life ratio, for a colour whose own life is not known yet.
pub(crate) const COLOUR_VS_BLACK: f64 = 2.0;

/// The stated life of a supply of `supply_type`, in pages (RFC 3805 type names).
/// Inks last fewer pages than toners; drums, fusers and waste bottles many more.
pub(crate) fn stated_life(supply_type: &str) -> f64 {
    match supply_type {
        "ink" | "inkCartridge" | "inkRibbon" | "solidWax" => 600.0,
        "opc" | "developer" | "fuser" | "transferUnit" | "cleanerUnit" => 20_000.0,
        "wasteToner" | "wasteInk" | "wasteWax" => 15_000.0,
        _ => DEFAULT_LIFE_PAGES,
    }
}

/// Whether `supply_type` is what prints (toner, ink, ribbon): the supplies
/// worth ordering on the page counter alone when no level is ever known.
pub(crate) fn is_marking(supply_type: &str) -> bool {
    matches!(
        supply_type,
        "toner"
            | "tonerCartridge"
            | "ink"
            | "inkCartridge"
            | "inkRibbon"
            | "solidWax"
            | "ribbonWax"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toners_default_and_others_differ() {
        assert_eq!(stated_life("toner"), DEFAULT_LIFE_PAGES);
        assert!(stated_life("ink") < stated_life("toner"));
        assert!(stated_life("opc") > stated_life("toner"));
    }
}
