//! The alerts page: printers that stopped communicating, early swaps with
//! the toner they wasted, print-volume spikes and habitual power-off, each
//! with the advice the customer guide gives, and a button to acknowledge.

use chrono::{DateTime, Utc};

use super::format;
use super::html::{Esc, Html, h};
use super::i18n::{Lang, Msg};
use super::page::{footer, head, time_rel, top_bar};
use super::printer_page::encode_segment;
use super::view::AlertView;

/// The advice for a kind of alert, `None` for kinds this page does not know.
fn advice(kind: &str) -> Option<Msg> {
    Some(match kind {
        "printer_silent" => Msg::AlertSilent,
        "printer_back" => Msg::AlertBack,
        "habitual_poweroff" => Msg::AlertPoweroff,
        "premature_replacement" => Msg::AlertEarly,
        "usage_spike" => Msg::AlertSpike,
        _ => return None,
    })
}

/// The whole page, newest alert first.
pub fn alerts_page(
    alerts: &[AlertView],
    now: DateTime<Utc>,
    lang: Lang,
    csrf: Option<&str>,
    error: Option<&str>,
) -> String {
    let mut html = Html::new();
    head(
        &mut html,
        lang,
        &format!("{} — {}", lang.tr(Msg::AlertsHeading), lang.tr(Msg::Title)),
        false,
    );
    html.raw("<body>\n");
    top_bar(&mut html, lang, None, csrf);
    let open = alerts.iter().filter(|a| a.acked_at.is_none()).count();
    h!(
        html,
        "<main id=\"main\" class=\"wrap\"><p class=\"crumbs\"><a href=\"/?lang={}\">← {}</a></p>\
         <h2>{} ({open} {})</h2>\n",
        lang.code(),
        Esc(lang.tr(Msg::Overview)),
        Esc(lang.tr(Msg::AlertsHeading)),
        Esc(lang.tr(Msg::OpenAlerts)),
    );
    if let Some(e) = error {
        h!(html, "<p class=\"err\" role=\"alert\">{}</p>", Esc(e));
    }
    if alerts.is_empty() {
        h!(
            html,
            "<p class=\"empty\">{}</p>",
            Esc(lang.tr(Msg::NoAlerts))
        );
    }
    html.raw("<ul class=\"alerts\">\n");
    for a in alerts {
        alert(&mut html, lang, a, &now, csrf);
    }
    html.raw("</ul></main>\n");
    footer(&mut html, lang, None);
    html.raw("</body>\n</html>\n");
    html.finish()
}

/// One alert with its advice and, until acknowledged, the button.
pub(super) fn alert(
    html: &mut Html,
    lang: Lang,
    a: &AlertView,
    now: &DateTime<Utc>,
    csrf: Option<&str>,
) {
    let acked = a.acked_at.is_some();
    h!(
        html,
        "<li class=\"alert {}{}\"><div><p class=\"what\"><a href=\"/printers/{}?lang={}\">{}</a> · ",
        Esc(&a.kind),
        if acked { " acked" } else { "" },
        Esc(&encode_segment(&a.printer)),
        lang.code(),
        Esc(&a.printer),
    );
    time_rel(html, lang, &a.at, now, true);
    html.raw("</p><p>");
    match advice(&a.kind) {
        Some(msg) => html.text(lang.tr(msg)),
        None => html.text(&a.kind),
    }
    html.raw("</p>");
    if let Some(left) = a.level_left_percent {
        h!(
            html,
            "<p class=\"detail\">{} {}</p>",
            Esc(&format::percent(left)),
            Esc(lang.tr(Msg::TonerWasted))
        );
    }
    if let Some(f) = a.factor {
        h!(
            html,
            "<p class=\"detail\">× {f:.1} {}</p>",
            Esc(lang.tr(Msg::TimesUsual))
        );
    }
    if let Some(m) = &a.message {
        h!(html, "<p class=\"detail sub\">{}</p>", Esc(m));
    }
    html.raw("</div>");
    if acked {
        h!(
            html,
            "<span class=\"badge ok\">{}</span>",
            Esc(lang.tr(Msg::Acknowledged))
        );
    } else {
        h!(
            html,
            "<form method=\"post\" action=\"/alerts/{}/ack?lang={}\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">{}</button></form>",
            Esc(&encode_segment(&a.id)),
            lang.code(),
            Esc(csrf.unwrap_or_default()),
            Esc(lang.tr(Msg::Acknowledge))
        );
    }
    html.raw("</li>\n");
}
