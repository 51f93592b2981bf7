//! The printer page's "Cartridge life" section: for each supply whose
//! forecast rests on a figure per cartridge, that figure and where it comes
//! from (this printer, the site, the supplier's catalogue…). A forecast
//! that looks odd can then be traced to its cause: a rated yield far from
//! what this site prints, say.

use super::format;
use super::html::{Esc, Html, h};
use super::i18n::{Lang, Msg};
use super::page::colour_class;
use super::view::{PrinterView, SupplyLife};

/// The section; nothing when no supply's forecast rests on a life (percent
/// gauges pace themselves, and a source may not know).
pub(super) fn life_section(html: &mut Html, lang: Lang, p: &PrinterView, lives: &[SupplyLife]) {
    let rows: Vec<_> = p
        .supplies
        .iter()
        .filter_map(|s| {
            lives
                .iter()
                .find(|l| l.supply_index == s.index)
                .map(|l| (s, l))
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    h!(
        html,
        "<section class=\"lives\" aria-labelledby=\"lives-h\"><h2 id=\"lives-h\">{}</h2><p>{}</p><ul>",
        Esc(lang.tr(Msg::LifeHeading)),
        Esc(lang.tr(Msg::LifeIntro))
    );
    for (s, l) in rows {
        let colour = colour_class(s.colorant.as_deref(), s.class == "receptacle");
        h!(
            html,
            "<li><span class=\"sw {colour}\" aria-hidden=\"true\"></span><strong>{}</strong> — {}</li>",
            Esc(&s.description),
            Esc(&life_text(lang, l))
        );
    }
    html.raw("</ul></section>\n");
}

/// "≈ 3,000 pages (supplier catalogue, rated yield)".
pub(super) fn life_text(lang: Lang, l: &SupplyLife) -> String {
    let pages = lang
        .tr(Msg::LifeApprox)
        .replace("{n}", &format::integer(lang, rounded(l.life_pages)));
    format!("{pages} ({})", source_words(lang, &l.life_source))
}

/// The words for a life's source; an unexpected one is shown as it is.
fn source_words(lang: Lang, source: &str) -> &str {
    let msg = match source {
        "printer" => Msg::LifeFromPrinter,
        "site" => Msg::LifeFromSite,
        "catalog_learned" => Msg::LifeFromCatalogLearned,
        "catalog_rated" => Msg::LifeFromCatalogRated,
        "sibling" => Msg::LifeFromSibling,
        "stated" => Msg::LifeFromStated,
        other => return other,
    };
    lang.tr(msg)
}

/// Three significant figures: the figure is an estimate ("≈"), and
/// "2,743 pages" would claim a precision it does not have.
fn rounded(pages: f64) -> u64 {
    if !pages.is_finite() || pages <= 0.0 {
        return 0;
    }
    let digits = pages.log10().floor() as i32;
    let step = 10f64.powi((digits - 2).max(0));
    ((pages / step).round() * step) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn life(pages: f64, source: &str) -> SupplyLife {
        SupplyLife {
            supply_index: 1,
            life_pages: pages,
            life_source: source.into(),
        }
    }

    #[test]
    fn lives_say_where_they_come_from_in_both_languages() {
        assert_eq!(
            life_text(Lang::En, &life(3000.0, "catalog_rated")),
            "≈ 3,000 pages (supplier catalogue, rated yield)"
        );
        assert_eq!(
            life_text(Lang::Fr, &life(2743.6, "catalog_learned")),
            "≈ 2\u{202f}740 pages (catalogue fournisseur, mesurée sur les sites du fournisseur)"
        );
        assert_eq!(
            life_text(Lang::En, &life(812.0, "<new>")),
            "≈ 812 pages (<new>)"
        );
    }

    #[test]
    fn rounding_keeps_three_figures() {
        assert_eq!(rounded(2743.6), 2740);
        assert_eq!(rounded(45.4), 45);
        assert_eq!(rounded(123_456.0), 123_000);
        assert_eq!(rounded(f64::NAN), 0);
    }
}
