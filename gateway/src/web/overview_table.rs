//! The overview's printer table: one compact row per printer (a small bar
//! per supply, days to the first empty one), sortable and filterable with
//! plain links and a GET form, so it works without JavaScript and stays
//! readable — and light — at 500 printers. Each row links to the printer's
//! own page.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::html::{Esc, Html, h};
use super::i18n::{self, Lang, Msg};
use super::page::colour_class;
use super::printer_page::encode_segment;
use super::view::{PrinterView, StatusView};

/// Columns the table sorts on (`?sort=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Model, then serial.
    #[default]
    Printer,
    Address,
    Site,
    Contact,
    Seen,
    /// Days until the first supply runs out (unknown last).
    Days,
}

impl SortKey {
    const ALL: [(SortKey, &'static str); 6] = [
        (SortKey::Printer, "printer"),
        (SortKey::Address, "address"),
        (SortKey::Site, "site"),
        (SortKey::Contact, "contact"),
        (SortKey::Seen, "seen"),
        (SortKey::Days, "days"),
    ];

    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("printer", |(_, n)| n)
    }

    fn parse(s: &str) -> Option<SortKey> {
        Self::ALL.iter().find(|(_, n)| *n == s).map(|(k, _)| *k)
    }
}

/// How the table is sorted and filtered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableQuery {
    pub sort: SortKey,
    pub descending: bool,
    /// Case-insensitive text every shown row contains somewhere.
    pub filter: String,
    /// Only the printers needing attention of one kind (`?only=`).
    pub only: Option<Only>,
}

/// The printers the summary's cards point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    /// Not answering their polls.
    Down,
    /// Not ordered for automatically, whatever the reason.
    Ineligible,
    /// No site or contact yet: found, waiting to be registered.
    Unassigned,
}

impl Only {
    const ALL: [(Only, &'static str); 3] = [
        (Only::Down, "down"),
        (Only::Ineligible, "ineligible"),
        (Only::Unassigned, "unassigned"),
    ];

    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(o, _)| *o == self)
            .map_or("", |(_, n)| n)
    }

    fn keeps(self, p: &PrinterView) -> bool {
        match self {
            Only::Down => !p.reachable,
            Only::Ineligible => p.registration.ineligible.is_some(),
            Only::Unassigned => p.site.trim().is_empty() || p.contact.trim().is_empty(),
        }
    }
}

impl TableQuery {
    /// From the query string's pairs; unknown sort keys fall back to the
    /// default (a stale bookmark still shows the table).
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        Self {
            sort: get("sort").and_then(SortKey::parse).unwrap_or_default(),
            descending: get("dir") == Some("desc"),
            filter: get("q")
                .unwrap_or_default()
                .trim()
                .chars()
                .take(100)
                .collect(),
            only: get("only")
                .and_then(|o| Only::ALL.iter().find(|(_, n)| *n == o).map(|(k, _)| *k)),
        }
    }
}

/// Days from `now` until the printer's first supply runs out, if known.
fn days_to_empty(p: &PrinterView, now: &DateTime<Utc>) -> Option<f64> {
    p.supplies
        .iter()
        .filter_map(|s| s.forecast_empty_at)
        .map(|t| (t - *now).num_minutes() as f64 / 1440.0)
        .reduce(f64::min)
}

fn matches(p: &PrinterView, needle: &str) -> bool {
    needle.is_empty()
        || [&p.serial, &p.model, &p.site, &p.contact, &p.address]
            .iter()
            .any(|field| field.to_lowercase().contains(needle))
}

fn compare(a: &PrinterView, b: &PrinterView, key: SortKey, now: &DateTime<Utc>) -> Ordering {
    let text = |x: &PrinterView| -> String {
        match key {
            SortKey::Printer => format!("{}\u{1f}{}", x.model, x.serial),
            SortKey::Address => x.address.clone(),
            SortKey::Site => x.site.clone(),
            SortKey::Contact => x.contact.clone(),
            SortKey::Seen | SortKey::Days => String::new(),
        }
    };
    match key {
        SortKey::Seen => a.last_seen.cmp(&b.last_seen),
        SortKey::Days => match (days_to_empty(a, now), days_to_empty(b, now)) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
        _ => text(a).to_lowercase().cmp(&text(b).to_lowercase()),
    }
    .then_with(|| a.serial.cmp(&b.serial))
}

fn link(lang: Lang, q: &TableQuery, key: SortKey, descending: bool) -> String {
    let mut url = format!(
        "?lang={}&sort={}&dir={}",
        lang.code(),
        key.name(),
        if descending { "desc" } else { "asc" }
    );
    if !q.filter.is_empty() {
        url.push_str("&q=");
        url.push_str(&encode_segment(&q.filter));
    }
    if let Some(only) = q.only {
        url.push_str("&only=");
        url.push_str(only.name());
    }
    url
}

/// Writes the printers section: the filter form and the table.
pub fn printers_table(html: &mut Html, lang: Lang, view: &StatusView, q: &TableQuery) {
    let now = view.generated_at;
    let needle = q.filter.to_lowercase();
    let mut rows: Vec<&PrinterView> = view
        .printers
        .iter()
        .filter(|p| matches(p, &needle) && q.only.is_none_or(|o| o.keeps(p)))
        .collect();
    rows.sort_by(|a, b| {
        let o = compare(a, b, q.sort, &now);
        if q.descending { o.reverse() } else { o }
    });
    h!(
        html,
        "<section id=\"printers\" aria-labelledby=\"printers-h\">\n\
         <h2 id=\"printers-h\">{} ({})</h2>\n\
         <form class=\"filter\" method=\"get\" action=\"/\" role=\"search\">\
         <input type=\"hidden\" name=\"lang\" value=\"{}\">\
         <input type=\"hidden\" name=\"sort\" value=\"{}\">\
         <input type=\"hidden\" name=\"dir\" value=\"{}\">\
         <label for=\"q\">{}</label>\
         <input id=\"q\" name=\"q\" type=\"search\" value=\"{}\" placeholder=\"{}\">\
         <input type=\"hidden\" name=\"only\" value=\"{}\">\
         <button type=\"submit\">{}</button>",
        Esc(lang.tr(Msg::PrintersHeading)),
        view.printers.len(),
        lang.code(),
        q.sort.name(),
        if q.descending { "desc" } else { "asc" },
        Esc(lang.tr(Msg::Filter)),
        Esc(&q.filter),
        Esc(lang.tr(Msg::FilterHint)),
        q.only.map_or("", Only::name),
        Esc(lang.tr(Msg::Filter)),
    );
    if !needle.is_empty() || q.only.is_some() {
        h!(
            html,
            " <span class=\"sub\">{} {} {}</span>",
            rows.len(),
            Esc(lang.tr(Msg::ShownOf)),
            view.printers.len()
        );
    }
    html.raw("</form>\n");
    if view.printers.is_empty() {
        h!(
            html,
            "<p class=\"empty\">{}</p>\n</section>\n",
            Esc(lang.tr(Msg::NoPrinters))
        );
        return;
    }
    html.raw("<div class=\"scroll\"><table class=\"fleet\"><thead><tr>");
    for (key, msg) in [
        (SortKey::Printer, Msg::Printer),
        (SortKey::Address, Msg::Address),
        (SortKey::Site, Msg::Site),
        (SortKey::Contact, Msg::Contact),
        (SortKey::Seen, Msg::LastSeen),
    ] {
        header(html, lang, q, key, msg);
    }
    h!(
        html,
        "<th scope=\"col\">{}</th>",
        Esc(lang.tr(Msg::Supplies))
    );
    header(html, lang, q, SortKey::Days, Msg::DaysToEmpty);
    html.raw("</tr></thead>\n<tbody>\n");
    for p in rows {
        row(html, lang, p, &now);
    }
    html.raw("</tbody></table></div>\n</section>\n");
}

fn header(html: &mut Html, lang: Lang, q: &TableQuery, key: SortKey, msg: Msg) {
    let current = q.sort == key;
    let (sort_attr, arrow) = match (current, q.descending) {
        (true, false) => (" aria-sort=\"ascending\"", " ▲"),
        (true, true) => (" aria-sort=\"descending\"", " ▼"),
        _ => ("", ""),
    };
    h!(
        html,
        "<th scope=\"col\"{sort_attr}><a href=\"{}\">{}{arrow}</a></th>",
        Esc(&link(lang, q, key, current && !q.descending)),
        Esc(lang.tr(msg))
    );
}

fn row(html: &mut Html, lang: Lang, p: &PrinterView, now: &DateTime<Utc>) {
    h!(
        html,
        "<tr{}><th scope=\"row\"><a href=\"/printers/{}?lang={}\">{}</a><span class=\"sub\">{}</span></th>\
         <td>{}{}</td><td>{}</td><td>{}</td><td>",
        if p.reachable { "" } else { " class=\"down\"" },
        Esc(&encode_segment(&p.serial)),
        lang.code(),
        Esc(&p.serial),
        Esc(&p.model),
        Esc(&p.address),
        match p.read_over {
            Some(asr_protocols::printer::ReportSource::Ipp) => {
                format!(
                    "<span class=\"sub\">{}</span>",
                    Esc(lang.tr(Msg::ReadOverIpp))
                )
            }
            _ => String::new(),
        },
        Esc(&p.site),
        Esc(&p.contact),
    );
    if !p.reachable {
        h!(html, "⚠ {} ", Esc(lang.tr(Msg::Unreachable)));
    }
    match &p.last_seen {
        Some(at) => h!(
            html,
            "<time datetime=\"{}\">{}</time>",
            Esc(&super::format::iso(at)),
            Esc(&super::format::relative(lang, at, now))
        ),
        None => html.text(lang.tr(Msg::Never)),
    }
    html.raw("</td><td><span class=\"minis\">");
    for s in &p.supplies {
        // Two-letter colour classes: 3 000 bars on a big site add up.
        let colour = match colour_class(s.colorant.as_deref(), s.class == "receptacle") {
            "c-black" => "ck",
            "c-cyan" => "cc",
            "c-magenta" => "cm",
            "c-yellow" => "cy",
            "c-waste" => "cw",
            _ => "co",
        };
        let name = s.colorant.as_deref().map_or_else(
            || i18n::kind_name(lang, &s.kind),
            |c| i18n::colorant_name(lang, c),
        );
        // Tenths are enough for a bar this small (the exact level is in its
        // title): one class instead of an inline style keeps 500 rows light.
        match s.percent.filter(|p| p.is_finite()) {
            Some(pct) => h!(
                html,
                "<i class=\"{colour} v{}\" title=\"{} {}\"></i>",
                (pct.clamp(0.0, 100.0) / 10.0).round(),
                Esc(&name),
                Esc(&super::format::percent(pct)),
            ),
            None => h!(html, "<i class=\"unknown\" title=\"{} ?\"></i>", Esc(&name)),
        }
    }
    html.raw("</span></td><td class=\"num\">");
    match days_to_empty(p, now) {
        Some(d) => h!(html, "{:.0}", d.max(0.0)),
        None => html.raw("—"),
    }
    html.raw("</td></tr>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn queries_parse_and_fall_back() {
        let q = TableQuery::from_pairs(&pairs("sort=days&dir=desc&q=Lyon"));
        assert_eq!(
            (q.sort, q.descending, q.filter.as_str()),
            (SortKey::Days, true, "Lyon")
        );
        let q = TableQuery::from_pairs(&pairs("sort=nonsense&dir=up&only=everything"));
        assert_eq!(q, TableQuery::default());
    }
}
