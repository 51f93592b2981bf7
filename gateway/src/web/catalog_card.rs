//! The settings page's "Supplier catalogue" card: which catalogues the
//! gateway keeps, what they cover and a bounded table of their entries, so
//! the site's IT can check the part numbers and cartridge lives the
//! forecasts and orders rest on without reading MQTT.

use asr_cloud_sync::{CatalogEntry, FLEET_CATALOG_TOPIC as FLEET_TOPIC};

use super::format;
use super::html::{Esc, Html, h};
use super::i18n::{self, Lang, Msg};
use super::page::{fact, time};
use super::view::CatalogView;

/// Entries listed per catalogue: a catalogue may hold 2000, and a page of
/// that many rows is slow on a phone. The API lists them all.
pub(super) const ENTRIES_SHOWN: usize = 200;

/// Where the whole catalogue can be read.
const API_PATH: &str = "/api/v1/catalog";

/// The card; `catalogs` is what the source answered (its reason when it
/// could not read them).
pub(super) fn catalog_card(
    html: &mut Html,
    lang: Lang,
    catalogs: &Result<Vec<CatalogView>, String>,
) {
    h!(
        html,
        "<section class=\"card catalog\" aria-labelledby=\"catalog-h\"><h3 id=\"catalog-h\">{}</h3>\n",
        Esc(lang.tr(Msg::CatalogHeading))
    );
    match catalogs {
        Err(reason) => h!(
            html,
            "<p class=\"err\" role=\"alert\"><strong>{}{}</strong> {}</p>\n",
            Esc(lang.tr(Msg::CatalogUnreadable)),
            lang.colon(),
            Esc(reason)
        ),
        Ok(kept) if kept.is_empty() => {
            let text = Esc(lang.tr(Msg::NoCatalog)).to_string();
            h!(
                html,
                "<p class=\"none\">{}</p>\n",
                text.replace("{topic}", &format!("<code>{FLEET_TOPIC}</code>"))
            );
        }
        Ok(kept) => {
            h!(html, "<p>{}</p>\n", Esc(lang.tr(Msg::CatalogIntro)));
            for (i, c) in kept.iter().enumerate() {
                catalogue(html, lang, i, c);
            }
        }
    }
    html.raw("</section>\n");
}

/// The words for a scope; an unexpected one is shown as it is.
fn scope_name(lang: Lang, scope: &str) -> &str {
    match scope {
        "fleet" => lang.tr(Msg::CatalogScopeFleet),
        "gateway" => lang.tr(Msg::CatalogScopeGateway),
        other => other,
    }
}

/// One catalogue kept: its facts, then its first entries.
fn catalogue(html: &mut Html, lang: Lang, i: usize, c: &CatalogView) {
    h!(
        html,
        "<h4 id=\"catalog-{i}-h\">{}</h4><dl class=\"facts\">",
        Esc(scope_name(lang, &c.scope))
    );
    fact(html, lang, Msg::Version, &c.version.to_string());
    fact(
        html,
        lang,
        Msg::Supplier,
        c.supplier.as_deref().unwrap_or("—"),
    );
    if let Some(at) = &c.issued_at {
        h!(html, "<div><dt>{}</dt><dd>", Esc(lang.tr(Msg::Issued)));
        time(html, lang, at, true);
        html.raw("</dd></div>");
    }
    h!(html, "<div><dt>{}</dt><dd>", Esc(lang.tr(Msg::Received)));
    time(html, lang, &c.received_at, true);
    html.raw("</dd></div>");
    let count = |f: fn(&CatalogEntry) -> bool| {
        format::integer(lang, c.entries.iter().filter(|e| f(e)).count() as u64)
    };
    fact(
        html,
        lang,
        Msg::CatalogEntries,
        &format::integer(lang, c.entries.len() as u64),
    );
    fact(
        html,
        lang,
        Msg::WithPartNumbers,
        &count(|e| !e.part_numbers.is_empty()),
    );
    fact(
        html,
        lang,
        Msg::WithRatedYield,
        &count(|e| e.rated_yield_pages.is_some()),
    );
    fact(
        html,
        lang,
        Msg::WithLearnedLife,
        &count(|e| e.learned.is_some()),
    );
    html.raw("</dl>\n");
    if !c.entries.is_empty() {
        entries_table(html, lang, i, c);
    }
}

fn entries_table(html: &mut Html, lang: Lang, i: usize, c: &CatalogView) {
    h!(
        html,
        "<table class=\"stack catalog-entries\" aria-describedby=\"catalog-{i}-h\">\
         <thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
        Esc(lang.tr(Msg::Model)),
        Esc(lang.tr(Msg::Supply)),
        Esc(lang.tr(Msg::PartNumber)),
        Esc(lang.tr(Msg::RatedYield)),
        Esc(lang.tr(Msg::LearnedLife)),
    );
    for e in c.entries.iter().take(ENTRIES_SHOWN) {
        entry_row(html, lang, e);
    }
    html.raw("</tbody></table>\n");
    let more = c.entries.len().saturating_sub(ENTRIES_SHOWN);
    if more > 0 {
        let text = Esc(lang.tr(Msg::MoreEntries))
            .to_string()
            .replace("{n}", &format::integer(lang, more as u64))
            .replace(
                "{link}",
                &format!("<a href=\"{API_PATH}\"><code>{API_PATH}</code></a>"),
            );
        h!(html, "<p class=\"more\">{text}</p>\n");
    }
}

fn entry_row(html: &mut Html, lang: Lang, e: &CatalogEntry) {
    let mut supply = i18n::kind_name(lang, &e.supply_type);
    if let Some(c) = &e.colorant {
        supply.push_str(" · ");
        supply.push_str(&i18n::colorant_name(lang, c));
    }
    let part = match e.part_numbers.as_slice() {
        [] => "—".to_owned(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} (+{})", rest.len()),
    };
    let rated = e.rated_yield_pages.map_or_else(
        || "—".to_owned(),
        |p| lang.tr(Msg::PagesN).replace("{n}", &pages(lang, p)),
    );
    let learned = e.learned.map_or_else(
        || "—".to_owned(),
        |l| {
            lang.tr(Msg::LearnedMedian)
                .replace("{n}", &pages(lang, l.median_pages))
                .replace(
                    "{cartridges}",
                    &counted(lang, l.count, Msg::CartridgesOne, Msg::CartridgesMany),
                )
                .replace(
                    "{sites}",
                    &counted(lang, l.sites, Msg::SitesOne, Msg::SitesMany),
                )
        },
    );
    h!(
        html,
        "<tr><th scope=\"row\">{}</th><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td></tr>\n",
        Esc(&e.model),
        Esc(lang.tr(Msg::Supply)),
        Esc(&supply),
        Esc(lang.tr(Msg::PartNumber)),
        Esc(&part),
        Esc(lang.tr(Msg::RatedYield)),
        Esc(&rated),
        Esc(lang.tr(Msg::LearnedLife)),
        Esc(&learned),
    );
}

/// Pages as a whole number ("3,000" / "3 000"); the catalogue's figures are
/// checked finite and positive when it is received.
fn pages(lang: Lang, p: f64) -> String {
    format::integer(lang, p.max(0.0).round() as u64)
}

/// "1 cartridge", "12 cartridges".
fn counted(lang: Lang, n: u32, one: Msg, many: Msg) -> String {
    if n == 1 {
        lang.tr(one).to_owned()
    } else {
        lang.tr(many)
            .replace("{n}", &format::integer(lang, u64::from(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn view(entries: usize) -> CatalogView {
        let at = Utc
            .with_ymd_and_hms(2026, 3, 1, 8, 0, 0)
            .single()
            .expect("date");
        CatalogView {
            scope: "fleet".into(),
            version: 7,
            supplier: Some("<b>Supplies</b> & Co".into()),
            issued_at: Some(at),
            received_at: at,
            entries: (0..entries)
                .map(|i| CatalogEntry {
                    model: format!("Model {i}"),
                    supply_type: "toner".into(),
                    colorant: Some("black".into()),
                    part_numbers: vec![format!("PN-{i}"), "ALT".into()],
                    description: None,
                    rated_yield_pages: Some(3000.0),
                    learned: (i == 0).then_some(asr_cloud_sync::LearnedLife {
                        median_pages: 2700.0,
                        low_pages: 2300.0,
                        count: 12,
                        sites: 1,
                    }),
                })
                .collect(),
        }
    }

    fn render(lang: Lang, c: &Result<Vec<CatalogView>, String>) -> String {
        let mut html = Html::new();
        catalog_card(&mut html, lang, c);
        html.finish()
    }

    #[test]
    fn the_card_lists_a_bounded_table_in_both_languages() {
        let kept = Ok(vec![view(ENTRIES_SHOWN + 5)]);
        let en = render(Lang::En, &kept);
        assert!(en.contains("Supplier catalogue"));
        assert!(en.contains("For every gateway"));
        assert!(en.contains("&lt;b&gt;Supplies&lt;/b&gt; &amp; Co"));
        assert!(en.contains("PN-0 (+1)"));
        assert!(en.contains("3,000 pages"));
        assert!(en.contains("2,700 pages (12 cartridges, 1 site)"));
        assert!(en.contains("… and 5 more"));
        assert!(!en.contains(&format!("PN-{ENTRIES_SHOWN} ")));
        assert_eq!(en.matches("<tr><th scope=\"row\">").count(), ENTRIES_SHOWN);
        let fr = render(Lang::Fr, &kept);
        assert!(fr.contains("Catalogue fournisseur"));
        assert!(fr.contains("2\u{202f}700 pages (12 cartouches, 1 site)"));
        assert!(fr.contains("Noir"));
        assert!(fr.contains("… et 5 de plus"));
    }

    #[test]
    fn no_catalogue_says_where_the_supplier_publishes_it() {
        let en = render(Lang::En, &Ok(Vec::new()));
        assert!(en.contains("No catalogue received yet"));
        assert!(en.contains("<code>asr/v1/catalog</code>"));
        let fr = render(Lang::Fr, &Ok(Vec::new()));
        assert!(fr.contains("Aucun catalogue reçu"));
        let err = render(Lang::En, &Err("<disk> error".into()));
        assert!(err.contains("cannot be read now") && err.contains("&lt;disk&gt; error"));
    }
}
