//! One printer's page: its card (supplies, forecasts, spares), a chart of
//! each supply's levels, whether it is ordered for automatically and why
//! not, and the form to keep its delivery details right.

use chrono::{DateTime, Utc};

use super::alerts_page;
use super::chart;
use super::counter_chart;
use super::format;
use super::html::{Esc, Html, h, percent_encode};
use super::i18n::{Lang, Msg};
use super::life_section::life_section;
use super::page::{colour_class, footer, head, order_card, printer_card, top_bar};
use super::view::{PrinterDetail, PrinterView, SupplyLife};

/// What the form says after a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The change went through.
    Saved,
    /// The manual order was taken.
    Ordered,
    /// The manual order was not taken, for this reason.
    OrderRefused(String),
    /// It did not, for this reason (shown as given).
    Refused(String),
}

/// Values to put back in the form: what was submitted when it was refused,
/// else what is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormValues {
    pub site: String,
    pub contact: String,
    pub postal_address: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub excluded: bool,
    /// `auto`, `snmp` or `ipp`.
    pub protocol: String,
}

impl FormValues {
    /// The stored values of `p`.
    pub fn of(p: &PrinterView) -> Self {
        let r = &p.registration;
        Self {
            site: p.site.clone(),
            contact: p.contact.clone(),
            postal_address: r.postal_address.clone().unwrap_or_default(),
            contact_email: r.contact_email.clone().unwrap_or_default(),
            contact_phone: r.contact_phone.clone().unwrap_or_default(),
            excluded: r.excluded,
            protocol: r.protocol.clone(),
        }
    }
}

/// The whole page, without the cartridge lives (what the page benchmark
/// renders; the server uses [`printer_page_with_lives`]).
pub fn printer_page(
    detail: &PrinterDetail,
    now: DateTime<Utc>,
    lang: Lang,
    csrf: Option<&str>,
    notice: Option<&Notice>,
    values: &FormValues,
) -> String {
    printer_page_with_lives(detail, &[], now, lang, csrf, notice, values)
}

/// The whole page; `lives` are the cartridge lives its supplies' forecasts
/// rest on (a separate argument because they come from the engine, not
/// from the printer's record).
pub fn printer_page_with_lives(
    detail: &PrinterDetail,
    lives: &[SupplyLife],
    now: DateTime<Utc>,
    lang: Lang,
    csrf: Option<&str>,
    notice: Option<&Notice>,
    values: &FormValues,
) -> String {
    let p = &detail.printer;
    let mut html = Html::new();
    head(
        &mut html,
        lang,
        &format!("{} {} — {}", p.model, p.serial, lang.tr(Msg::Title)),
        false,
    );
    html.raw("<body>\n");
    top_bar(&mut html, lang, None, csrf);
    h!(
        html,
        "<main id=\"main\" class=\"wrap\"><p class=\"crumbs\"><a href=\"/?lang={}\">← {}</a></p>\n",
        lang.code(),
        Esc(lang.tr(Msg::BackToOverview))
    );
    printer_card(&mut html, lang, 0, p, &now);
    eligibility(&mut html, lang, p);
    life_section(&mut html, lang, p, lives);
    history(&mut html, lang, detail, now);
    pages(&mut html, lang, detail);
    printer_alerts(&mut html, lang, detail, now, csrf);
    printer_orders(&mut html, lang, detail, now);
    order_now(&mut html, lang, p, csrf, notice);
    form(&mut html, lang, p, csrf, notice, values);
    forget_form(&mut html, lang, p, csrf);
    html.raw("</main>\n");
    footer(&mut html, lang, None);
    html.raw("</body>\n</html>\n");
    html.finish()
}

fn eligibility(html: &mut Html, lang: Lang, p: &PrinterView) {
    let r = &p.registration;
    let (class, msg) = match r.ineligible.as_deref() {
        None => ("ok", Msg::Eligible),
        Some("excluded") => ("warn", Msg::IneligibleExcluded),
        Some("no_site_or_contact") => ("warn", Msg::IneligibleNoSite),
        Some(_) => ("warn", Msg::IneligibleBlind),
    };
    let over_ipp = if p.read_over == Some(asr_protocols::printer::ReportSource::Ipp) {
        format!("<p>{}</p>", Esc(lang.tr(Msg::ReadOverIppLong)))
    } else {
        String::new()
    };
    h!(
        html,
        "<section class=\"eligibility {class}\" aria-labelledby=\"elig-h\"><h2 id=\"elig-h\">{}</h2><p>{}</p>{over_ipp}</section>\n",
        Esc(lang.tr(Msg::Eligibility)),
        Esc(lang.tr(msg))
    );
}

fn history(html: &mut Html, lang: Lang, detail: &PrinterDetail, now: DateTime<Utc>) {
    h!(
        html,
        "<section class=\"history\" aria-labelledby=\"hist-h\"><h2 id=\"hist-h\">{}</h2>\n",
        Esc(lang.tr(Msg::History))
    );
    let mut drawn = 0;
    for s in &detail.printer.supplies {
        let Some(series) = detail
            .history
            .iter()
            .find(|h| h.index == s.index)
            .filter(|h| h.points.len() >= 2)
        else {
            continue;
        };
        drawn += 1;
        h!(
            html,
            "<figure><figcaption>{}</figcaption>",
            Esc(&s.description)
        );
        let class = colour_class(s.colorant.as_deref(), s.class == "receptacle");
        chart::supply_chart(html, lang, s, &series.points, now, class);
        html.raw("</figure>\n");
    }
    if drawn == 0 {
        h!(
            html,
            "<p class=\"empty\">{}</p>",
            Esc(lang.tr(Msg::HistoryEmpty))
        );
    }
    html.raw("</section>\n");
}

/// The page counter's history and the recent print volume.
fn pages(html: &mut Html, lang: Lang, detail: &PrinterDetail) {
    if detail.page_counts.len() < 2 {
        return;
    }
    h!(
        html,
        "<section class=\"history\" aria-labelledby=\"pages-h\"><h2 id=\"pages-h\">{}</h2>",
        Esc(lang.tr(Msg::PageCounter))
    );
    if let Some(rate) = counter_chart::pages_per_day(&detail.page_counts, 30) {
        h!(
            html,
            "<p class=\"rate\">{}</p>",
            Esc(&lang
                .tr(Msg::PagesPerDay)
                .replace("{n}", &format::integer(lang, rate.round() as u64)))
        );
    }
    counter_chart::counter_chart(html, lang, &detail.page_counts, lang.tr(Msg::PageCounter));
    html.raw("</section>\n");
}

/// This printer's alerts, with the same advice and button as `/alerts`.
fn printer_alerts(
    html: &mut Html,
    lang: Lang,
    detail: &PrinterDetail,
    now: DateTime<Utc>,
    csrf: Option<&str>,
) {
    if detail.alerts.is_empty() {
        return;
    }
    h!(
        html,
        "<section class=\"printer-alerts\" aria-labelledby=\"palerts-h\"><h2 id=\"palerts-h\">{}</h2><ul class=\"alerts\">",
        Esc(lang.tr(Msg::AlertsHeading))
    );
    for a in &detail.alerts {
        alerts_page::alert(html, lang, a, &now, csrf);
    }
    html.raw("</ul></section>\n");
}

/// Orders with a line for this printer: what is coming, what arrived.
fn printer_orders(html: &mut Html, lang: Lang, detail: &PrinterDetail, now: DateTime<Utc>) {
    if detail.orders.is_empty() {
        return;
    }
    h!(
        html,
        "<section class=\"printer-orders\" aria-labelledby=\"porders-h\"><h2 id=\"porders-h\">{}</h2>",
        Esc(lang.tr(Msg::OrdersAndDeliveries))
    );
    for (i, o) in detail.orders.iter().enumerate() {
        order_card(
            html,
            lang,
            i,
            o,
            &now,
            std::slice::from_ref(&detail.printer),
        );
    }
    html.raw("</section>\n");
}

/// One button per supply: the customer guide's reactive service.
fn order_now(
    html: &mut Html,
    lang: Lang,
    p: &PrinterView,
    csrf: Option<&str>,
    notice: Option<&Notice>,
) {
    // An excluded printer offers no button; a refusal is still shown.
    let offer = !p.supplies.is_empty() && p.registration.ineligible.as_deref() != Some("excluded");
    if !offer && !matches!(notice, Some(Notice::OrderRefused(_))) {
        return;
    }
    h!(
        html,
        "<section class=\"order-now\" aria-labelledby=\"now-h\"><h2 id=\"now-h\">{}</h2><p>{}</p>",
        Esc(lang.tr(Msg::OrderNowHeading)),
        Esc(lang.tr(Msg::OrderNowIntro))
    );
    match notice {
        Some(Notice::Ordered) => h!(
            html,
            "<p class=\"saved\" role=\"status\">{}</p>",
            Esc(lang.tr(Msg::Ordered))
        ),
        Some(Notice::OrderRefused(reason)) => {
            h!(html, "<p class=\"err\" role=\"alert\">{}</p>", Esc(reason))
        }
        _ => {}
    }
    html.raw("<ul>");
    for s in p.supplies.iter().filter(|_| offer) {
        h!(
            html,
            "<li><form method=\"post\" action=\"/printers/{}/order?lang={}\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <input type=\"hidden\" name=\"supply_index\" value=\"{}\">\
             <input type=\"hidden\" name=\"quantity\" value=\"1\">\
             <span>{}</span> <button type=\"submit\">{}</button></form></li>",
            Esc(&encode_segment(&p.serial)),
            lang.code(),
            Esc(csrf.unwrap_or_default()),
            s.index,
            Esc(&s.description),
            Esc(lang.tr(Msg::OrderOne))
        );
    }
    html.raw("</ul></section>\n");
}

/// A labelled input; `prefix` keeps ids unique when a page holds several
/// forms (the registration page), the `name` stays what the handler reads.
fn field(
    html: &mut Html,
    prefix: &str,
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    extra: &str,
) {
    h!(
        html,
        "<label for=\"{prefix}{name}\">{}</label><input id=\"{prefix}{name}\" name=\"{name}\" type=\"{kind}\" value=\"{}\"{extra}>",
        Esc(label),
        Esc(value)
    );
}

fn form(
    html: &mut Html,
    lang: Lang,
    p: &PrinterView,
    csrf: Option<&str>,
    notice: Option<&Notice>,
    v: &FormValues,
) {
    h!(
        html,
        "<section class=\"registration\" aria-labelledby=\"reg-h\"><h2 id=\"reg-h\">{}</h2>\n",
        Esc(lang.tr(Msg::Registration))
    );
    match notice {
        Some(Notice::Saved) => h!(
            html,
            "<p class=\"saved\" role=\"status\">{}</p>",
            Esc(lang.tr(Msg::Saved))
        ),
        Some(Notice::Refused(reason)) => h!(
            html,
            "<p class=\"err\" role=\"alert\"><strong>{}{}</strong> {}</p>",
            Esc(lang.tr(Msg::NotSaved)),
            lang.colon(),
            Esc(reason)
        ),
        _ => {}
    }
    delivery_form(html, lang, p, csrf, v, "", None);
    html.raw("</section>\n");
}

/// The delivery-details form of one printer, posting to its page;
/// `return_to` (`registration`) brings the browser back where it came from.
pub(super) fn delivery_form(
    html: &mut Html,
    lang: Lang,
    p: &PrinterView,
    csrf: Option<&str>,
    v: &FormValues,
    prefix: &str,
    return_to: Option<&str>,
) {
    h!(
        html,
        "<form method=\"post\" action=\"/printers/{}?lang={}\" class=\"edit\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        Esc(&encode_segment(&p.serial)),
        lang.code(),
        Esc(csrf.unwrap_or_default())
    );
    if let Some(back) = return_to {
        h!(
            html,
            "<input type=\"hidden\" name=\"return_to\" value=\"{}\">",
            Esc(back)
        );
    }
    field(
        html,
        prefix,
        "site",
        lang.tr(Msg::Site),
        "text",
        &v.site,
        " required maxlength=\"512\"",
    );
    field(
        html,
        prefix,
        "contact",
        lang.tr(Msg::Contact),
        "text",
        &v.contact,
        " required maxlength=\"512\"",
    );
    h!(
        html,
        "<label for=\"{prefix}postal_address\">{}</label><textarea id=\"{prefix}postal_address\" name=\"postal_address\" rows=\"3\" maxlength=\"512\">{}</textarea>",
        Esc(lang.tr(Msg::PostalAddress)),
        Esc(&v.postal_address)
    );
    field(
        html,
        prefix,
        "contact_email",
        lang.tr(Msg::ContactEmail),
        "email",
        &v.contact_email,
        " maxlength=\"512\"",
    );
    field(
        html,
        prefix,
        "contact_phone",
        lang.tr(Msg::ContactPhone),
        "tel",
        &v.contact_phone,
        " maxlength=\"64\"",
    );
    h!(
        html,
        "<label for=\"{prefix}protocol\">{}</label><select id=\"{prefix}protocol\" name=\"protocol\">",
        Esc(lang.tr(Msg::ProtocolLabel))
    );
    for (value, label) in [
        ("auto", Msg::ProtocolAuto),
        ("snmp", Msg::ProtocolSnmp),
        ("ipp", Msg::ProtocolIpp),
    ] {
        h!(
            html,
            "<option value=\"{value}\"{}>{}</option>",
            if v.protocol == value { " selected" } else { "" },
            Esc(lang.tr(label))
        );
    }
    h!(html, "</select>");
    h!(
        html,
        "<label class=\"check\"><input type=\"checkbox\" name=\"excluded\" value=\"on\"{}> {}</label>\
         <button type=\"submit\">{}</button></form>\n",
        if v.excluded { " checked" } else { "" },
        Esc(lang.tr(Msg::ExcludedLabel)),
        Esc(lang.tr(Msg::Save))
    );
}

/// "Forget this printer": its own form, so it is never sent by accident
/// with the delivery details.
pub(super) fn forget_form(html: &mut Html, lang: Lang, p: &PrinterView, csrf: Option<&str>) {
    h!(
        html,
        "<form method=\"post\" action=\"/printers/{}/forget?lang={}\" class=\"forget\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\" class=\"danger\">{}</button> <small>{}</small></form>\n",
        Esc(&encode_segment(&p.serial)),
        lang.code(),
        Esc(csrf.unwrap_or_default()),
        Esc(lang.tr(Msg::Forget)),
        Esc(lang.tr(Msg::ForgetHint))
    );
}

/// A serial as one URL path segment (serials come from printers).
pub fn encode_segment(s: &str) -> String {
    percent_encode(s, b"")
}
