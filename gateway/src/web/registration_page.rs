//! The registration page: printers found on the network that nobody has
//! assigned yet (no site or no contact, so nothing is ordered for them),
//! each with the form to give it its delivery details or to forget it;
//! then the assigned ones, with a link to edit each.

use chrono::{DateTime, Utc};

use super::html::{Esc, Html, h};
use super::i18n::{Lang, Msg};
use super::page::{footer, head, time_rel, top_bar};
use super::printer_page::{FormValues, delivery_form, encode_segment, forget_form};
use super::view::{PrinterView, StatusView};

/// What the page says after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationNotice {
    /// A printer's details were saved.
    Saved,
    /// A printer was forgotten.
    Forgotten,
    /// A change was refused, for this reason.
    Refused(String),
}

/// Whether `p` still needs someone to say where its supplies go.
pub fn unassigned(p: &PrinterView) -> bool {
    p.site.trim().is_empty() || p.contact.trim().is_empty()
}

/// The whole page.
pub fn registration_page(
    view: &StatusView,
    lang: Lang,
    csrf: Option<&str>,
    notice: Option<&RegistrationNotice>,
) -> String {
    let mut html = Html::new();
    head(
        &mut html,
        lang,
        &format!(
            "{} — {}",
            lang.tr(Msg::RegistrationHeading),
            lang.tr(Msg::Title)
        ),
        false,
    );
    html.raw("<body>\n");
    top_bar(&mut html, lang, None, csrf);
    h!(
        html,
        "<main id=\"main\" class=\"wrap\"><h2>{}</h2><p>{}</p>\n",
        Esc(lang.tr(Msg::RegistrationHeading)),
        Esc(lang.tr(Msg::RegistrationIntro))
    );
    match notice {
        Some(RegistrationNotice::Saved) => h!(
            html,
            "<p class=\"saved\" role=\"status\">{}</p>\n",
            Esc(lang.tr(Msg::Saved))
        ),
        Some(RegistrationNotice::Forgotten) => h!(
            html,
            "<p class=\"saved\" role=\"status\">{}</p>\n",
            Esc(lang.tr(Msg::Forgotten))
        ),
        Some(RegistrationNotice::Refused(reason)) => h!(
            html,
            "<p class=\"err\" role=\"alert\"><strong>{}{}</strong> {}</p>\n",
            Esc(lang.tr(Msg::NotSaved)),
            lang.colon(),
            Esc(reason)
        ),
        None => {}
    }
    let (waiting, assigned): (Vec<&PrinterView>, Vec<&PrinterView>) =
        view.printers.iter().partition(|p| unassigned(p));
    if waiting.is_empty() {
        h!(
            html,
            "<p class=\"empty\">{}</p>\n",
            Esc(lang.tr(Msg::NothingToRegister))
        );
    }
    for (i, p) in waiting.iter().enumerate() {
        found_card(&mut html, lang, i, p, &view.generated_at, csrf);
    }
    assigned_table(&mut html, lang, &assigned);
    html.raw("</main>\n");
    footer(&mut html, lang, None);
    html.raw("</body>\n</html>\n");
    html.finish()
}

fn found_card(
    html: &mut Html,
    lang: Lang,
    i: usize,
    p: &PrinterView,
    now: &DateTime<Utc>,
    csrf: Option<&str>,
) {
    h!(
        html,
        "<article class=\"card found\" aria-labelledby=\"found-{i}\"><h3 id=\"found-{i}\">{} <small>{}</small></h3><p class=\"meta\">{} · ",
        Esc(&p.model),
        Esc(&p.serial),
        Esc(&p.address)
    );
    match &p.last_seen {
        Some(at) => time_rel(html, lang, at, now, true),
        None => html.text(lang.tr(Msg::Never)),
    }
    html.raw("</p>");
    delivery_form(
        html,
        lang,
        p,
        csrf,
        &FormValues::of(p),
        &format!("r{i}-"),
        Some("registration"),
    );
    forget_form(html, lang, p, csrf);
    html.raw("</article>\n");
}

fn assigned_table(html: &mut Html, lang: Lang, printers: &[&PrinterView]) {
    if printers.is_empty() {
        return;
    }
    h!(
        html,
        "<h2>{}</h2><div class=\"scroll\"><table class=\"printers\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\"></th></tr></thead><tbody>\n",
        Esc(lang.tr(Msg::AssignedHeading)),
        Esc(lang.tr(Msg::Printer)),
        Esc(lang.tr(Msg::Site)),
        Esc(lang.tr(Msg::Contact)),
        Esc(lang.tr(Msg::PostalAddress)),
        Esc(lang.tr(Msg::Eligibility)),
    );
    for p in printers {
        let eligible = if p.registration.excluded {
            lang.tr(Msg::IneligibleExcluded)
        } else if p.registration.ineligible.is_some() {
            lang.tr(Msg::IneligibleBlind)
        } else {
            lang.tr(Msg::Eligible)
        };
        h!(
            html,
            "<tr><td>{} <small>{}</small></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><a href=\"/printers/{}?lang={}#reg-h\">{}</a></td></tr>\n",
            Esc(&p.model),
            Esc(&p.serial),
            Esc(&p.site),
            Esc(&p.contact),
            Esc(p.registration.postal_address.as_deref().unwrap_or("—")),
            Esc(eligible),
            Esc(&encode_segment(&p.serial)),
            lang.code(),
            Esc(lang.tr(Msg::Edit)),
        );
    }
    html.raw("</tbody></table></div>\n");
}
