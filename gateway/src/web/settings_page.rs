//! The settings page: how often printers are polled, the SNMP credentials
//! (write-only: a secret is shown as "set", never echoed, and an empty
//! field keeps it), the cloud link as configured (read-only, without
//! secrets), the supplier catalogue it received (read-only) and the admin
//! password.

use super::catalog_card::catalog_card;
use super::html::{Esc, Html, h};
use super::i18n::{Lang, Msg};
use super::page::{footer, head, top_bar};
use super::view::{CatalogView, SettingsView};

/// The page's forms, each posting to `/settings/{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Polling,
    Snmp,
    Scoped,
    Password,
}

impl Section {
    /// The path segment and `?saved=` value.
    pub fn name(self) -> &'static str {
        match self {
            Section::Polling => "polling",
            Section::Snmp => "snmp",
            Section::Scoped => "scoped",
            Section::Password => "password",
        }
    }

    /// Parses a `?saved=` value.
    pub fn parse(s: &str) -> Option<Section> {
        [
            Section::Polling,
            Section::Snmp,
            Section::Scoped,
            Section::Password,
        ]
        .into_iter()
        .find(|x| x.name() == s)
    }
}

/// What a section says after a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsNotice {
    Saved(Section),
    Refused(Section, String),
}

/// Protocols offered in the SNMPv3 lists (the names the config file takes).
const AUTH_PROTOS: [&str; 6] = ["MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"];
const PRIV_PROTOS: [&str; 4] = ["DES", "AES", "AES-192", "AES-256"];

/// The whole page. `catalogs`: the supplier catalogues kept, or why they
/// cannot be read (the rest of the page is shown all the same).
/// `password_in_file`: the admin password comes from the configuration
/// file, so the page cannot change it for good.
pub fn settings_page(
    s: &SettingsView,
    catalogs: &Result<Vec<CatalogView>, String>,
    lang: Lang,
    csrf: Option<&str>,
    notice: Option<&SettingsNotice>,
    password_in_file: bool,
) -> String {
    let mut html = Html::new();
    head(
        &mut html,
        lang,
        &format!(
            "{} — {}",
            lang.tr(Msg::SettingsHeading),
            lang.tr(Msg::Title)
        ),
        false,
    );
    html.raw("<body>\n");
    top_bar(&mut html, lang, None, csrf);
    h!(
        html,
        "<main id=\"main\" class=\"wrap settings\"><h2>{}</h2>\n",
        Esc(lang.tr(Msg::SettingsHeading))
    );
    let csrf = csrf.unwrap_or_default();
    polling(&mut html, lang, s, csrf, notice);
    snmp(&mut html, lang, s, csrf, notice);
    scoped(&mut html, lang, s, csrf, notice);
    cloud(&mut html, lang, s);
    catalog_card(&mut html, lang, catalogs);
    password(&mut html, lang, csrf, notice, password_in_file);
    html.raw("</main>\n");
    footer(&mut html, lang, None);
    html.raw("</body>\n</html>\n");
    html.finish()
}

fn open_section(
    html: &mut Html,
    lang: Lang,
    id: &str,
    title: Msg,
    notice: Option<&SettingsNotice>,
    me: Section,
) {
    h!(
        html,
        "<section class=\"card\" aria-labelledby=\"{id}-h\"><h3 id=\"{id}-h\">{}</h3>\n",
        Esc(lang.tr(title))
    );
    match notice {
        Some(SettingsNotice::Saved(section)) if *section == me => {
            let msg = if me == Section::Password {
                Msg::PasswordChanged
            } else {
                Msg::SettingsSaved
            };
            h!(
                html,
                "<p class=\"saved\" role=\"status\">{}</p>\n",
                Esc(lang.tr(msg))
            );
        }
        Some(SettingsNotice::Refused(section, reason)) if *section == me => h!(
            html,
            "<p class=\"err\" role=\"alert\"><strong>{}{}</strong> {}</p>\n",
            Esc(lang.tr(Msg::NotSaved)),
            lang.colon(),
            Esc(reason)
        ),
        _ => {}
    }
}

fn form_start(html: &mut Html, lang: Lang, section: Section, csrf: &str) {
    h!(
        html,
        "<form method=\"post\" action=\"/settings/{}?lang={}\" class=\"edit\" autocomplete=\"off\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        section.name(),
        lang.code(),
        Esc(csrf)
    );
}

fn polling(
    html: &mut Html,
    lang: Lang,
    s: &SettingsView,
    csrf: &str,
    notice: Option<&SettingsNotice>,
) {
    open_section(
        html,
        lang,
        "polling",
        Msg::PollingHeading,
        notice,
        Section::Polling,
    );
    form_start(html, lang, Section::Polling, csrf);
    h!(
        html,
        "<label for=\"poll_interval\">{}</label><input id=\"poll_interval\" name=\"poll_interval\" type=\"text\" required maxlength=\"16\" value=\"{}\" aria-describedby=\"poll-hint\"><small id=\"poll-hint\">{}</small>\
         <button type=\"submit\">{}</button></form></section>\n",
        Esc(lang.tr(Msg::PollInterval)),
        Esc(&s.poll_interval),
        Esc(lang.tr(Msg::PollIntervalHint)),
        Esc(lang.tr(Msg::Save))
    );
}

fn secret_state(lang: Lang, set: bool) -> &'static str {
    lang.tr(if set {
        Msg::SecretSet
    } else {
        Msg::SecretUnset
    })
}

fn select(
    html: &mut Html,
    id: &str,
    name: &str,
    label: &str,
    options: &[&str],
    current: Option<&str>,
    empty: &str,
) {
    h!(
        html,
        "<label for=\"{id}\">{}</label><select id=\"{id}\" name=\"{name}\"><option value=\"\">{}</option>",
        Esc(label),
        Esc(empty)
    );
    for o in options {
        let selected = current.is_some_and(|c| normalise(c) == normalise(o));
        h!(
            html,
            "<option value=\"{o}\"{}>{o}</option>",
            if selected { " selected" } else { "" }
        );
    }
    html.raw("</select>");
}

/// `sha256` and `SHA-256` are the same protocol.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn snmp(
    html: &mut Html,
    lang: Lang,
    s: &SettingsView,
    csrf: &str,
    notice: Option<&SettingsNotice>,
) {
    open_section(html, lang, "snmp", Msg::SnmpHeading, notice, Section::Snmp);
    h!(html, "<p>{}</p>", Esc(lang.tr(Msg::SnmpIntro)));
    form_start(html, lang, Section::Snmp, csrf);
    h!(
        html,
        "<p class=\"sub-h\">{}</p><label for=\"version\">{}</label><select id=\"version\" name=\"version\">",
        Esc(lang.tr(Msg::SnmpDefault)),
        Esc(lang.tr(Msg::SnmpVersion))
    );
    for v in ["1", "2c", "3"] {
        h!(
            html,
            "<option value=\"{v}\"{}>v{v}</option>",
            if s.snmp_version == v { " selected" } else { "" }
        );
    }
    html.raw("</select>");
    credential_fields(html, lang, s, "");
    h!(
        html,
        "<button type=\"submit\">{}</button></form></section>\n",
        Esc(lang.tr(Msg::Save))
    );
}

/// The credential inputs; `p` prefixes the ids (two forms share the page).
/// Secret inputs are always empty: an empty one keeps what is set.
fn credential_fields(html: &mut Html, lang: Lang, current: &SettingsView, p: &str) {
    h!(
        html,
        "<label for=\"{p}community\">{} <small>({})</small></label><input id=\"{p}community\" name=\"community\" type=\"password\" maxlength=\"256\" value=\"\" autocomplete=\"new-password\">",
        Esc(lang.tr(Msg::Community)),
        Esc(secret_state(lang, current.community_set))
    );
    h!(
        html,
        "<label for=\"{p}user\">{}</label><input id=\"{p}user\" name=\"user\" type=\"text\" maxlength=\"256\" value=\"{}\">",
        Esc(lang.tr(Msg::SnmpUser)),
        Esc(current.snmp_user.as_deref().unwrap_or_default())
    );
    select(
        html,
        &format!("{p}auth_proto"),
        "auth_proto",
        lang.tr(Msg::AuthProto),
        &AUTH_PROTOS,
        current.auth_proto.as_deref(),
        "—",
    );
    h!(
        html,
        "<label for=\"{p}auth_pass\">{} <small>({})</small></label><input id=\"{p}auth_pass\" name=\"auth_pass\" type=\"password\" maxlength=\"256\" value=\"\" autocomplete=\"new-password\">",
        Esc(lang.tr(Msg::AuthPass)),
        Esc(secret_state(lang, current.auth_pass_set))
    );
    select(
        html,
        &format!("{p}priv_proto"),
        "priv_proto",
        lang.tr(Msg::PrivProto),
        &PRIV_PROTOS,
        current.priv_proto.as_deref(),
        "—",
    );
    h!(
        html,
        "<label for=\"{p}priv_pass\">{} <small>({})</small></label><input id=\"{p}priv_pass\" name=\"priv_pass\" type=\"password\" maxlength=\"256\" value=\"\" autocomplete=\"new-password\">",
        Esc(lang.tr(Msg::PrivPass)),
        Esc(secret_state(lang, current.priv_pass_set))
    );
}

/// Credentials for one address or subnet: listed without secrets, removed
/// one by one, added with the same fields as the default ones.
fn scoped(
    html: &mut Html,
    lang: Lang,
    s: &SettingsView,
    csrf: &str,
    notice: Option<&SettingsNotice>,
) {
    open_section(
        html,
        lang,
        "scoped",
        Msg::ScopedCredentials,
        notice,
        Section::Scoped,
    );
    if s.scoped.is_empty() {
        h!(
            html,
            "<p class=\"empty\">{}</p>",
            Esc(lang.tr(Msg::NoScoped))
        );
    } else {
        html.raw("<ul class=\"scoped\">");
        for entry in &s.scoped {
            h!(
                html,
                "<li><strong>{}</strong> · SNMP v{}{}",
                Esc(&entry.scope),
                Esc(&entry.version),
                entry
                    .user
                    .as_deref()
                    .map(|u| format!(" · {}", Esc(u)))
                    .unwrap_or_default()
            );
            form_start(html, lang, Section::Scoped, csrf);
            h!(
                html,
                "<input type=\"hidden\" name=\"remove\" value=\"{}\"><button type=\"submit\" class=\"danger\">{}</button></form></li>",
                Esc(&entry.scope),
                Esc(lang.tr(Msg::Remove))
            );
        }
        html.raw("</ul>");
    }
    form_start(html, lang, Section::Scoped, csrf);
    h!(
        html,
        "<label for=\"sc-scope\">{}</label><input id=\"sc-scope\" name=\"scope\" type=\"text\" required maxlength=\"64\" value=\"\">\
         <label for=\"sc-version\">{}</label><select id=\"sc-version\" name=\"version\">\
         <option value=\"2c\" selected>v2c</option><option value=\"1\">v1</option><option value=\"3\">v3</option></select>",
        Esc(lang.tr(Msg::Scope)),
        Esc(lang.tr(Msg::SnmpVersion))
    );
    credential_fields(html, lang, &SettingsView::default(), "sc-");
    h!(
        html,
        "<button type=\"submit\">{}</button></form></section>\n",
        Esc(lang.tr(Msg::AddCredentials))
    );
}

fn cloud(html: &mut Html, lang: Lang, s: &SettingsView) {
    h!(
        html,
        "<section class=\"card\" aria-labelledby=\"cloud-h\"><h3 id=\"cloud-h\">{}</h3><p>{}</p><dl class=\"facts\">",
        Esc(lang.tr(Msg::CloudHeading)),
        Esc(lang.tr(Msg::CloudReadOnly))
    );
    let c = &s.cloud;
    let rows: [(Msg, &str); 5] = [
        (Msg::Broker, &c.broker),
        (Msg::TransportLabel, &c.transport),
        (
            Msg::TlsLabel,
            lang.tr(if c.tls { Msg::Yes } else { Msg::No }),
        ),
        (Msg::ClientId, &c.client_id),
        (Msg::UserName, c.username.as_deref().unwrap_or("—")),
    ];
    for (label, value) in rows {
        h!(
            html,
            "<dt>{}</dt><dd>{}</dd>",
            Esc(lang.tr(label)),
            Esc(value)
        );
    }
    html.raw("</dl></section>\n");
}

fn password(
    html: &mut Html,
    lang: Lang,
    csrf: &str,
    notice: Option<&SettingsNotice>,
    in_file: bool,
) {
    open_section(
        html,
        lang,
        "password",
        Msg::PasswordHeading,
        notice,
        Section::Password,
    );
    if in_file {
        h!(
            html,
            "<p>{}</p></section>\n",
            Esc(lang.tr(Msg::PasswordFromFile))
        );
        return;
    }
    form_start(html, lang, Section::Password, csrf);
    for (id, label, auto) in [
        ("current", Msg::CurrentPassword, "current-password"),
        ("new", Msg::NewPassword, "new-password"),
        ("confirm", Msg::ConfirmPassword, "new-password"),
    ] {
        h!(
            html,
            "<label for=\"pw-{id}\">{}</label><input id=\"pw-{id}\" name=\"{id}\" type=\"password\" required maxlength=\"1024\" autocomplete=\"{auto}\">",
            Esc(lang.tr(label))
        );
    }
    h!(
        html,
        "<button type=\"submit\">{}</button></form></section>\n",
        Esc(lang.tr(Msg::ChangePassword))
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_never_in_the_page() {
        let view = SettingsView {
            poll_interval: "15m".into(),
            snmp_version: "3".into(),
            snmp_user: Some("<b>asr</b>".into()),
            auth_proto: Some("sha256".into()),
            auth_pass_set: true,
            ..SettingsView::default()
        };
        let page = settings_page(&view, &Ok(Vec::new()), Lang::En, Some("tok"), None, false);
        assert!(page.contains("&lt;b&gt;asr&lt;/b&gt;"));
        assert!(page.contains("<option value=\"SHA-256\" selected>"));
        assert!(!page.contains("value=\"set\""));
        assert!(page.contains("name=\"current\""));
        let fixed = settings_page(&view, &Ok(Vec::new()), Lang::Fr, Some("tok"), None, true);
        assert!(!fixed.contains("name=\"current\""));
    }
}
