//! The supplier's catalogue as the engine uses it: what a cartridge of a
//! model's supply lasts, when nothing on this site has taught it yet. A
//! figure learned by the supplier across its sites comes first (real
//! coverage, real printers), else the rated yield (ISO/IEC 19752 / 19798, at
//! 5 % coverage, which offices print above or below).
//!
//! Printers name their model in many ways ("HP LaserJet Pro M404dn",
//! "LaserJet Pro M404dn", "Brother HL-L5100DN series", "Xerox VersaLink C405;
//! SS 1.2"): a catalogue model matches a printer's when one's words appear
//! in a row in the other's and that row holds a model number (a word with a
//! digit), so "HP LaserJet" alone never matches every LaserJet.

use serde::{Deserialize, Serialize};

/// Share of a rated yield taken as the pessimistic life: offices print
/// above the standard's 5 % coverage as often as below.
const RATED_LOW_SHARE: f64 = 0.6;

/// Share of a learned median the pessimistic life may not exceed when few
/// cartridges stand behind it.
const FEW_LIVES_LOW_SHARE: f64 = 0.7;

/// Learned lives a figure needs before its own low value is trusted.
const TRUSTED_LIVES: u32 = 5;

/// One catalogue figure: a supply of a printer model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogLife {
    pub model: String,
    /// RFC 3805 supply type name.
    pub supply_type: String,
    pub colorant: Option<String>,
    /// Rated yield in pages (5 % coverage).
    pub rated_pages: Option<f64>,
    /// Median pages per cartridge the supplier measured across sites.
    pub learned_pages: Option<f64>,
    /// The supplier's low figure (10th percentile) of the same lives.
    pub learned_low: Option<f64>,
    /// Cartridges behind the learned figure.
    pub learned_count: u32,
}

/// Where a catalogue life comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogBasis {
    /// Lives the supplier measured across its sites.
    Learned,
    /// The rated yield.
    Rated,
}

/// The life a catalogue entry gives: median, pessimistic value, and basis.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogFigure {
    pub median: f64,
    pub low: f64,
    pub basis: CatalogBasis,
}

impl CatalogLife {
    /// The figure to forecast with, if the entry has a usable one.
    pub fn figure(&self) -> Option<CatalogFigure> {
        let usable = |v: &f64| v.is_finite() && *v >= 1.0;
        if let Some(m) = self.learned_pages.filter(usable) {
            let cap = if self.learned_count >= TRUSTED_LIVES {
                m
            } else {
                FEW_LIVES_LOW_SHARE * m
            };
            let low = self
                .learned_low
                .filter(usable)
                .unwrap_or(FEW_LIVES_LOW_SHARE * m)
                .min(cap);
            return Some(CatalogFigure {
                median: m,
                low,
                basis: CatalogBasis::Learned,
            });
        }
        self.rated_pages.filter(usable).map(|r| CatalogFigure {
            median: r,
            low: RATED_LOW_SHARE * r,
            basis: CatalogBasis::Rated,
        })
    }
}

/// Lower-case words of a model name (runs of letters and digits).
pub fn model_words(model: &str) -> Vec<String> {
    model
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// How well a catalogue model names a printer's model: the number of
/// words they share in a row (more is better), or `None`.
pub fn model_match(catalog: &[String], printer: &[String]) -> Option<usize> {
    if catalog.is_empty() || printer.is_empty() {
        return None;
    }
    if catalog == printer {
        return Some(catalog.len() + 1);
    }
    let (short, long) = if catalog.len() <= printer.len() {
        (catalog, printer)
    } else {
        (printer, catalog)
    };
    let has_number = short.iter().any(|w| w.chars().any(|c| c.is_ascii_digit()));
    (has_number && long.windows(short.len()).any(|w| w == short)).then_some(short.len())
}

/// The family a supply type belongs to: printers say `toner` or
/// `tonerCartridge` for the same thing.
pub fn type_family(supply_type: &str) -> &str {
    match supply_type {
        "tonerCartridge" => "toner",
        "inkCartridge" => "ink",
        other => other,
    }
}

/// Whether two colorant names are the same colour (absent and empty alike).
pub fn same_colour(a: Option<&str>, b: Option<&str>) -> bool {
    let norm = |c: Option<&str>| c.map(str::trim).unwrap_or("").to_lowercase();
    norm(a) == norm(b)
}

/// The entry of `entries` for a supply of a printer model: the best model
/// match among entries of the same supply type and colour (the first on a tie).
pub fn find<'a, T>(
    entries: &'a [T],
    fields: impl Fn(&T) -> (&[String], &str, Option<&str>),
    model: &[String],
    supply_type: &str,
    colorant: Option<&str>,
) -> Option<&'a T> {
    let family = type_family(supply_type);
    let mut best: Option<(usize, &T)> = None;
    for e in entries {
        let (words, t, c) = fields(e);
        if !type_family(t).eq_ignore_ascii_case(family) || !same_colour(c, colorant) {
            continue;
        }
        if let Some(score) = model_match(words, model)
            && best.is_none_or(|(b, _)| score > b)
        {
            best = Some((score, e));
        }
    }
    best.map(|(_, e)| e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        model_words(s)
    }

    #[test]
    fn models_match_by_their_number_not_their_brand() {
        let printer = words("HP LaserJet Pro M404dn");
        assert!(model_match(&words("HP LaserJet Pro M404dn"), &printer).is_some());
        assert!(model_match(&words("LaserJet Pro M404dn"), &printer).is_some());
        assert!(model_match(&words("hp laserjet pro m404dn series"), &printer).is_some());
        assert!(model_match(&words("HP LaserJet"), &printer).is_none());
        assert!(model_match(&words("HP LaserJet Pro M404n"), &printer).is_none());
        assert!(
            model_match(
                &words("Xerox VersaLink C405"),
                &words("Xerox VersaLink C405; SS 1.2")
            )
            .is_some()
        );
    }

    #[test]
    fn the_best_match_of_the_same_supply_wins() {
        let entries = vec![
            (words("HP LaserJet"), "toner", Some("black"), 1),
            (words("LaserJet Pro M404dn"), "toner", Some("black"), 2),
            (words("HP LaserJet Pro M404dn"), "toner", Some("black"), 3),
            (words("HP LaserJet Pro M404dn"), "toner", Some("cyan"), 4),
        ];
        let found = find(
            &entries,
            |e| (e.0.as_slice(), e.1, e.2),
            &words("HP LaserJet Pro M404dn"),
            "tonerCartridge",
            Some("Black"),
        );
        assert_eq!(found.map(|e| e.3), Some(3));
    }

    #[test]
    fn learned_lives_come_before_the_rated_yield() {
        let mut life = CatalogLife {
            model: "M".into(),
            supply_type: "toner".into(),
            colorant: None,
            rated_pages: Some(3000.0),
            learned_pages: None,
            learned_low: None,
            learned_count: 0,
        };
        let rated = life.figure().expect("rated");
        assert_eq!((rated.median, rated.basis), (3000.0, CatalogBasis::Rated));
        assert!(rated.low < rated.median);
        life.learned_pages = Some(2600.0);
        life.learned_low = Some(2500.0);
        life.learned_count = 2;
        let few = life.figure().expect("learned");
        assert_eq!(few.basis, CatalogBasis::Learned);
        // Two lives: their spread says little yet.
        assert!(few.low <= 0.7 * 2600.0 + 1e-9);
        life.learned_count = 40;
        assert_eq!(life.figure().map(|f| f.low), Some(2500.0));
    }
}
