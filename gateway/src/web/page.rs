//! Server-side rendering of the status page and of the small message pages
//! (404, 405, 400, 503).
//!
//! Plain HTML with inline CSS and a few lines of inline JavaScript: the
//! gateway sits on a customer LAN that may have no Internet access, so nothing
//! is loaded from elsewhere. Every dynamic value is escaped (see `html`), and
//! colour is never the only carrier of meaning: every bar has a text label.

use chrono::{DateTime, Utc};

use super::auth::text::T;
use super::format;
use super::html::{Esc, Html, h};
use super::i18n::{self, Colorant, Lang, Msg};
use super::overview_table::{TableQuery, printers_table};
#[cfg(test)]
use super::view::Registration;
use super::view::{OrderLineView, OrderView, PrinterView, StatusView, SupplyView};

const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("refresh.js");
/// Where the script that shows times in the browser's zone is served.
pub(super) const LOCAL_TIME_PATH: &str = "/assets/local-time.js";
/// That script.
pub(super) const LOCAL_TIME_JS: &str = include_str!("local-time.js");

/// Seconds between refreshes (the `<noscript>` meta refresh and the script).
pub const REFRESH_SECONDS: u32 = 10;

/// Below this percent a consumable is flagged "low" (a receptacle "almost full").
const LOW_PERCENT: f64 = 10.0;

/// The full status page. `nonce` authorises the inline script under the
/// Content-Security-Policy sent with it.
/// The status page; `csrf` (the session's token) adds the logout button.
pub fn status_page(
    view: &StatusView,
    lang: Lang,
    nonce: &str,
    csrf: Option<&str>,
    table: &TableQuery,
) -> String {
    let mut html = Html::new();
    head(
        &mut html,
        lang,
        &format!("{} — {}", lang.tr(Msg::Title), view.gateway_id),
        true,
    );
    h!(
        html,
        "<body><a class=\"skip\" href=\"#printers\">{}</a>\n",
        Esc(lang.tr(Msg::SkipToPrinters))
    );
    top_bar(&mut html, lang, Some(view), csrf);
    h!(
        html,
        "<p id=\"stale\" class=\"stale\" role=\"status\" hidden>{}</p>\n",
        Esc(lang.tr(Msg::Stale))
    );
    html.raw("<main id=\"main\" class=\"wrap\" data-live>\n");
    summary(&mut html, lang, view);
    printers_table(&mut html, lang, view, table);
    orders(&mut html, lang, view, OVERVIEW_ORDERS);
    html.raw("</main>\n");
    footer(&mut html, lang, Some(view));
    h!(html, "<script nonce=\"{}\">{SCRIPT}</script>\n", Esc(nonce));
    html.raw("</body>\n</html>\n");
    html.finish()
}

/// A small page with a title, a sentence and an optional detail (such as the
/// error message), plus a link back to the status page. With `retry`, the page
/// reloads itself so it recovers on its own once the cause is gone.
pub fn message_page(
    lang: Lang,
    title: Msg,
    body: &str,
    detail: Option<&str>,
    retry: bool,
) -> String {
    let mut html = Html::new();
    head(&mut html, lang, lang.tr(title), retry);
    html.raw("<body>\n");
    top_bar(&mut html, lang, None, None);
    h!(
        html,
        "<main class=\"wrap\"><h2>{}</h2><p>{}</p>",
        Esc(lang.tr(title)),
        Esc(body)
    );
    if let Some(detail) = detail {
        h!(html, "<p class=\"err\">{}</p>", Esc(detail));
    }
    h!(
        html,
        "<p><a href=\"/?lang={}\">{}</a></p></main>\n",
        lang.code(),
        Esc(lang.tr(Msg::BackToStatus))
    );
    footer(&mut html, lang, None);
    html.raw("</body>\n</html>\n");
    html.finish()
}

/// A page with the usual head, bar and footer around `body`, markup already
/// escaped by the caller (the login and setup pages).
pub fn framed_page(lang: Lang, title: &str, body: &str) -> String {
    let mut html = Html::new();
    head(&mut html, lang, title, false);
    html.raw("<body>\n");
    top_bar(&mut html, lang, None, None);
    html.raw("<main class=\"wrap narrow\">");
    html.raw(body);
    html.raw("</main>\n");
    footer(&mut html, lang, None);
    html.raw("</body>\n</html>\n");
    html.finish()
}

pub(super) fn head(html: &mut Html, lang: Lang, title: &str, refresh: bool) {
    h!(
        html,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light\">\n<title>{}</title>\n",
        lang.code(),
        Esc(title)
    );
    if refresh {
        h!(
            html,
            "<noscript><meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\"></noscript>\n"
        );
    }
    // Same-origin and deferred: allowed by `script-src 'self'`, no inline code.
    h!(
        html,
        "<style>{STYLE}</style>\n<script src=\"{LOCAL_TIME_PATH}\" defer></script>\n</head>\n"
    );
}

pub(super) fn top_bar(html: &mut Html, lang: Lang, view: Option<&StatusView>, csrf: Option<&str>) {
    h!(
        html,
        "<header class=\"top\"><div class=\"wrap\"><div><h1>{}</h1>",
        Esc(lang.tr(Msg::Title))
    );
    if let Some(view) = view {
        h!(
            html,
            "<p class=\"meta\" id=\"updated\" data-live>{} <strong>{}</strong> · {} {} · {} ",
            Esc(lang.tr(Msg::Gateway)),
            Esc(&view.gateway_id),
            Esc(lang.tr(Msg::Version)),
            Esc(&view.version),
            Esc(lang.tr(Msg::Updated)),
        );
        time(html, lang, &view.generated_at, true);
        html.raw("</p>");
    }
    h!(
        html,
        "</div><nav class=\"lang\" aria-label=\"{}\">",
        Esc(lang.tr(Msg::Language))
    );
    for other in Lang::ALL {
        let current = if other == lang {
            " aria-current=\"true\""
        } else {
            ""
        };
        h!(
            html,
            "<a href=\"?lang={code}\" hreflang=\"{code}\" lang=\"{code}\"{current}>{}</a>",
            Esc(other.native_name()),
            code = other.code(),
        );
    }
    html.raw("</nav>");
    if csrf.is_some() {
        h!(
            html,
            "<nav class=\"pages\" aria-label=\"{}\"><a href=\"/?lang={code}\">{}</a><a href=\"/orders?lang={code}\">{}</a><a href=\"/alerts?lang={code}\">{}</a><a href=\"/registration?lang={code}\">{}</a><a href=\"/settings?lang={code}\">{}</a></nav>",
            Esc(lang.tr(Msg::Overview)),
            Esc(lang.tr(Msg::Overview)),
            Esc(lang.tr(Msg::OrdersHeading)),
            Esc(lang.tr(Msg::AlertsHeading)),
            Esc(lang.tr(Msg::RegistrationHeading)),
            Esc(lang.tr(Msg::SettingsHeading)),
            code = lang.code(),
        );
    }
    if let Some(csrf) = csrf {
        h!(
            html,
            "<form method=\"post\" action=\"/logout\" class=\"logout\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button type=\"submit\">{}</button></form>",
            Esc(csrf),
            Esc(T::LogOut.tr(lang))
        );
    }
    html.raw("</div></header>\n");
    if let Some(problem) = view.and_then(|v| v.health.storage_problem.as_deref()) {
        h!(
            html,
            "<div class=\"banner\" id=\"storage-banner\" role=\"alert\"><div class=\"wrap\"><strong>{}</strong>{} {} <span class=\"sub\">{}</span></div></div>\n",
            Esc(lang.tr(Msg::StorageProblem)),
            lang.colon(),
            Esc(problem),
            Esc(lang.tr(Msg::StorageAdvice)),
        );
    }
}

pub(super) fn footer(html: &mut Html, lang: Lang, view: Option<&StatusView>) {
    h!(html, "<footer class=\"wrap\">{}", Esc(lang.tr(Msg::Footer)));
    h!(
        html,
        " <span id=\"tz-note\" hidden>· {} <span id=\"tz-name\"></span></span>",
        Esc(lang.tr(Msg::TimeZoneNote))
    );
    if let Some(view) = view {
        h!(
            html,
            " · {} · {}",
            Esc(&view.gateway_id),
            Esc(lang.tr(Msg::AutoRefresh))
        );
    }
    html.raw("</footer>\n");
}

/// `<time datetime="ISO" title="ISO">readable</time>`, with the full date and
/// time or just the date.
pub(super) fn time(html: &mut Html, lang: Lang, dt: &DateTime<Utc>, with_time: bool) {
    let readable = if with_time {
        format::date_time(lang, dt)
    } else {
        format::date(lang, dt)
    };
    let iso = format::iso(dt);
    h!(
        html,
        "<time datetime=\"{iso}\" data-fmt=\"{}\" title=\"{}\">{}</time>",
        if with_time { "dt" } else { "d" },
        Esc(&format::date_time(lang, dt)),
        Esc(&readable)
    );
}

/// A time followed by "(in 3 days)" counted from the snapshot.
pub(super) fn time_rel(
    html: &mut Html,
    lang: Lang,
    dt: &DateTime<Utc>,
    now: &DateTime<Utc>,
    with_time: bool,
) {
    time(html, lang, dt, with_time);
    h!(
        html,
        " <span class=\"rel\">({})</span>",
        Esc(&format::relative(lang, dt, now))
    );
}

fn summary(html: &mut Html, lang: Lang, view: &StatusView) {
    let total = view.printers.len();
    let reachable = view.printers.iter().filter(|p| p.reachable).count();
    let waiting = view.orders.iter().filter(|o| o.status == "waiting").count();
    h!(
        html,
        "<section class=\"summary\" aria-label=\"{}\">\n",
        Esc(lang.tr(Msg::Summary))
    );
    h!(
        html,
        "<div class=\"stat\"><span class=\"k\">{}</span><span class=\"v\">{total}</span></div>\n",
        Esc(lang.tr(Msg::PrintersCount))
    );
    let class = if reachable < total { " bad" } else { "" };
    h!(
        html,
        "<a class=\"stat{class}\" href=\"/?lang={}&amp;only=down\"><span class=\"k\">{}</span><span class=\"v\">{reachable} / {total}</span></a>\n",
        lang.code(),
        Esc(lang.tr(Msg::ReachableCount))
    );
    let eligible = view
        .printers
        .iter()
        .filter(|p| p.registration.ineligible.is_none())
        .count();
    let class = if eligible < total { " warn" } else { "" };
    h!(
        html,
        "<a class=\"stat{class}\" href=\"/?lang={}&amp;only=ineligible\"><span class=\"k\">{}</span><span class=\"v\">{eligible} / {total}</span></a>\n",
        lang.code(),
        Esc(lang.tr(Msg::EligibleCount))
    );
    h!(
        html,
        "<div class=\"stat\"><span class=\"k\">{}</span><span class=\"v\">{waiting}</span></div>\n",
        Esc(lang.tr(Msg::OrdersWaiting))
    );
    let up = &view.uplink;
    let (class, state) = if up.connected {
        ("ok", Msg::Connected)
    } else {
        ("bad", Msg::Disconnected)
    };
    h!(
        html,
        "<div class=\"stat wide {class}\"><span class=\"k\">{}</span><span class=\"v\">{}</span>\
         <span class=\"sub\">{}{c} {}</span><span class=\"sub\">{}{c} {} · {}{c} ",
        Esc(lang.tr(Msg::Uplink)),
        Esc(lang.tr(state)),
        Esc(lang.tr(Msg::Broker)),
        Esc(&up.broker),
        Esc(lang.tr(Msg::Outbox)),
        Esc(&format::integer(lang, up.outbox_depth)),
        Esc(lang.tr(Msg::LastSent)),
        c = lang.colon(),
    );
    match &up.last_sent_at {
        Some(at) => time_rel(html, lang, at, &view.generated_at, true),
        None => html.text(lang.tr(Msg::Never)),
    }
    html.raw("</span>");
    if let (Some(oldest), true) = (&up.outbox_oldest_at, up.outbox_depth > 0) {
        h!(
            html,
            "<span class=\"sub\">{}{c} ",
            Esc(lang.tr(Msg::OldestWaiting)),
            c = lang.colon(),
        );
        time_rel(html, lang, oldest, &view.generated_at, true);
        html.raw("</span>");
    }
    if up.levels_thinned + up.levels_dropped > 0 {
        h!(
            html,
            "<span class=\"sub\">{}{c} {} · {}{c} {}</span>",
            Esc(lang.tr(Msg::LevelsThinned)),
            Esc(&format::integer(lang, up.levels_thinned)),
            Esc(lang.tr(Msg::LevelsDropped)),
            Esc(&format::integer(lang, up.levels_dropped)),
            c = lang.colon(),
        );
    }
    if let (false, Some(error)) = (up.connected, &up.last_error) {
        h!(
            html,
            "<span class=\"sub link-error\">{}{c} {}</span>",
            Esc(lang.tr(Msg::LinkError)),
            Esc(error),
            c = lang.colon(),
        );
    }
    if let Some(since) = &up.since {
        h!(
            html,
            "<span class=\"sub\">{}{c} ",
            Esc(lang.tr(Msg::Since)),
            c = lang.colon()
        );
        time_rel(html, lang, since, &view.generated_at, true);
        html.raw("</span>");
    }
    html.raw("</div>\n");
    health(html, lang, view);
    html.raw("</section>\n");
}

/// The box itself: is it polling, is its disk filling up, can its clock be
/// trusted, which version runs.
fn health(html: &mut Html, lang: Lang, view: &StatusView) {
    let h = &view.health;
    if let Some(notice) = &h.notice {
        h!(
            html,
            "<div class=\"stat wide warn\" id=\"provisioning\" role=\"alert\"><span class=\"k\">{}</span><span class=\"v\">{}</span></div>\n",
            Esc(lang.tr(Msg::SetUp)),
            Esc(notice)
        );
    }
    let class = if h.open_alerts > 0 { " warn" } else { "" };
    h!(
        html,
        "<a class=\"stat{class}\" href=\"/alerts?lang={}\"><span class=\"k\">{}</span><span class=\"v\">{}</span></a>\n",
        lang.code(),
        Esc(lang.tr(Msg::AlertsCount)),
        h.open_alerts
    );
    // Under 1 GiB free the SD card is close to full: the page says so.
    let low_disk = h.disk_free_bytes.is_some_and(|b| b < 1 << 30);
    let class = if !h.clock_synchronised || low_disk {
        "warn"
    } else {
        "ok"
    };
    h!(
        html,
        "<div class=\"stat wide {class}\" id=\"health\"><span class=\"k\">{}</span><span class=\"v\">{} {}</span>",
        Esc(lang.tr(Msg::GatewayHealth)),
        Esc(lang.tr(Msg::Version)),
        Esc(&view.version),
    );
    h!(
        html,
        "<span class=\"sub\">{}{c} ",
        Esc(lang.tr(Msg::LastPoll)),
        c = lang.colon()
    );
    match &h.last_poll_at {
        Some(at) => time_rel(html, lang, at, &view.generated_at, true),
        None => html.text(lang.tr(Msg::Never)),
    }
    html.raw("</span>");
    if let Some(free) = h.disk_free_bytes {
        h!(
            html,
            "<span class=\"sub{}\">{}{c} {}</span>",
            if low_disk { " link-error" } else { "" },
            Esc(lang.tr(Msg::DiskFree)),
            Esc(&format::bytes(lang, free)),
            c = lang.colon()
        );
    }
    h!(
        html,
        "<span class=\"sub{}\">{}{c} {}</span>",
        if h.clock_synchronised {
            ""
        } else {
            " link-error"
        },
        Esc(lang.tr(Msg::ClockLabel)),
        Esc(lang.tr(if h.clock_synchronised {
            Msg::ClockSynced
        } else {
            Msg::ClockNotSynced
        })),
        c = lang.colon()
    );
    // Clamped to a century so an absurd value cannot overflow the date.
    let uptime = i64::try_from(h.uptime_secs.min(3_155_760_000)).unwrap_or(0);
    let started = view.generated_at - chrono::Duration::seconds(uptime);
    h!(
        html,
        "<span class=\"sub\">{}{c} ",
        Esc(lang.tr(Msg::Uptime)),
        c = lang.colon()
    );
    time_rel(html, lang, &started, &view.generated_at, true);
    html.raw("</span></div>\n");
}

pub(super) fn printer_card(
    html: &mut Html,
    lang: Lang,
    i: usize,
    p: &PrinterView,
    now: &DateTime<Utc>,
) {
    let (class, badge_class, badge) = if p.reachable {
        ("printer", "ok", Msg::Reachable)
    } else {
        ("printer down", "down", Msg::Unreachable)
    };
    h!(
        html,
        "<article class=\"{class}\" aria-labelledby=\"p{i}-h\" data-serial=\"{}\">\n\
         <div class=\"phead\"><h3 id=\"p{i}-h\">{} <span class=\"serial\">{}</span></h3>\
         <span class=\"badge {badge_class}\">{}{}</span></div>\n<dl class=\"facts\">",
        Esc(&p.serial),
        Esc(&p.model),
        Esc(&p.serial),
        if p.reachable { "" } else { "⚠ " },
        Esc(lang.tr(badge)),
    );
    fact(html, lang, Msg::Serial, &p.serial);
    fact(html, lang, Msg::Address, &p.address);
    fact(html, lang, Msg::Site, &p.site);
    fact(html, lang, Msg::Contact, &p.contact);
    h!(html, "<div><dt>{}</dt><dd>", Esc(lang.tr(Msg::LastSeen)));
    match &p.last_seen {
        Some(at) => time_rel(html, lang, at, now, true),
        None => html.text(lang.tr(Msg::Never)),
    }
    html.raw("</dd></div>");
    if let Some(count) = p.page_count {
        fact(html, lang, Msg::PageCount, &format::integer(lang, count));
    }
    html.raw("</dl>\n");
    if let Some(err) = &p.last_error {
        h!(
            html,
            "<p class=\"err\"><strong>{}{}</strong> {}</p>\n",
            Esc(lang.tr(Msg::LastError)),
            lang.colon(),
            Esc(err)
        );
    }
    if p.supplies.is_empty() {
        h!(
            html,
            "<p class=\"empty\">{}</p>\n",
            Esc(lang.tr(Msg::NoSupplies))
        );
    } else {
        supplies_table(html, lang, p, now);
    }
    html.raw("</article>\n");
}

pub(super) fn fact(html: &mut Html, lang: Lang, label: Msg, value: &str) {
    h!(
        html,
        "<div><dt>{}</dt><dd>{}</dd></div>",
        Esc(lang.tr(label)),
        Esc(value)
    );
}

fn supplies_table(html: &mut Html, lang: Lang, p: &PrinterView, now: &DateTime<Utc>) {
    h!(
        html,
        "<table class=\"stack supplies\"><caption class=\"sr-only\">{} — {}</caption>\n\
         <thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
        Esc(lang.tr(Msg::Supplies)),
        Esc(&p.serial),
        Esc(lang.tr(Msg::Supply)),
        Esc(lang.tr(Msg::Level)),
        Esc(lang.tr(Msg::Forecast)),
        Esc(lang.tr(Msg::Spares)),
    );
    for s in &p.supplies {
        supply_row(html, lang, s, now);
    }
    html.raw("</tbody></table>\n");
}

/// CSS class colouring a bar or swatch.
pub(super) fn colour_class(colorant: Option<&str>, receptacle: bool) -> &'static str {
    if receptacle {
        return "c-waste";
    }
    match colorant.and_then(i18n::colorant_family) {
        Some(Colorant::Black) => "c-black",
        Some(Colorant::Cyan) => "c-cyan",
        Some(Colorant::Magenta) => "c-magenta",
        Some(Colorant::Yellow) => "c-yellow",
        None => "c-other",
    }
}

/// What the gauge cell shows, decided from the gauge trust and the percent.
enum Level {
    /// A number: exact, approximate, or clamped from an out-of-range reading.
    Known {
        percent: f64,
        approximate: bool,
        out_of_range: bool,
    },
    SomeRemaining,
    Unknown,
}

fn level_of(s: &SupplyView) -> Level {
    let percent = s
        .percent
        .filter(|p| p.is_finite())
        .map(|p| p.clamp(0.0, 100.0));
    match (s.gauge.as_str(), percent) {
        ("some_remaining", _) => Level::SomeRemaining,
        ("unknown", _) | (_, None) => Level::Unknown,
        (gauge, Some(percent)) => Level::Known {
            percent,
            approximate: gauge == "stepped",
            out_of_range: gauge == "out_of_range",
        },
    }
}

fn supply_row(html: &mut Html, lang: Lang, s: &SupplyView, now: &DateTime<Utc>) {
    let receptacle = s.class == "receptacle";
    let colour = colour_class(s.colorant.as_deref(), receptacle);
    // Supply name, with its type and colour in words.
    h!(
        html,
        "<tr><th scope=\"row\"><span class=\"sw {colour}\" aria-hidden=\"true\"></span>{}<span class=\"sub\">{}",
        Esc(&s.description),
        Esc(&i18n::kind_name(lang, &s.kind)),
    );
    if let Some(c) = &s.colorant {
        h!(html, " · {}", Esc(&i18n::colorant_name(lang, c)));
    }
    html.raw("</span></th>");

    // The bar and its text.
    h!(
        html,
        "<td data-label=\"{}\"><div class=\"gauge\">",
        Esc(lang.tr(Msg::Level))
    );
    match level_of(s) {
        Level::Known {
            percent,
            approximate,
            out_of_range,
        } => {
            h!(
                html,
                "<div class=\"bar\" aria-hidden=\"true\"><span class=\"fill {colour}\" style=\"width:{percent:.1}%\"></span></div>"
            );
            let low = percent <= LOW_PERCENT;
            h!(
                html,
                "<span class=\"gtext{}\">",
                if low { " low" } else { "" }
            );
            if receptacle {
                h!(html, "{} ", Esc(lang.tr(Msg::SpaceLeft)));
            }
            if approximate {
                h!(
                    html,
                    "<abbr title=\"{}\">≈</abbr> ",
                    Esc(lang.tr(Msg::Approximate))
                );
            }
            html.text(&format::percent(percent));
            if low {
                let word = match (receptacle, percent <= 0.0) {
                    (false, true) => Msg::Empty,
                    (false, false) => Msg::Low,
                    (true, true) => Msg::Full,
                    (true, false) => Msg::AlmostFull,
                };
                h!(html, " · {}", Esc(lang.tr(word)));
            }
            if out_of_range {
                h!(
                    html,
                    "<span class=\"flag\">{}</span>",
                    Esc(lang.tr(Msg::OutOfRange))
                );
            }
            html.raw("</span>");
        }
        Level::SomeRemaining => {
            h!(
                html,
                "<div class=\"bar\" aria-hidden=\"true\"><span class=\"fill hatched {colour}\"></span></div><span class=\"gtext\">{}</span>",
                Esc(lang.tr(Msg::SomeRemaining))
            );
        }
        Level::Unknown => {
            h!(
                html,
                "<div class=\"bar unknown\" aria-hidden=\"true\"></div><span class=\"gtext muted\">{}</span>",
                Esc(lang.tr(Msg::Unknown))
            );
        }
    }
    html.raw("</div></td>");

    // Forecast.
    h!(html, "<td data-label=\"{}\">", Esc(lang.tr(Msg::Forecast)));
    match &s.forecast_empty_at {
        Some(at) => {
            let label = if receptacle {
                Msg::ForecastFull
            } else {
                Msg::ForecastEmpty
            };
            h!(html, "{} ", Esc(lang.tr(label)));
            time_rel(html, lang, at, now, false);
            if let Some(early) = s.forecast_pessimistic_at.filter(|e| e < at) {
                h!(
                    html,
                    "<span class=\"sub\">{}{} ",
                    Esc(lang.tr(Msg::AtEarliest)),
                    lang.colon()
                );
                time(html, lang, &early, false);
                html.raw("</span>");
            }
        }
        None => h!(
            html,
            "<span class=\"rel\">{}</span>",
            Esc(lang.tr(Msg::NoForecast))
        ),
    }
    html.raw("</td>");

    // Spares.
    h!(html, "<td data-label=\"{}\">", Esc(lang.tr(Msg::Spares)));
    if s.spares_on_site == 0 && s.spares_in_transit == 0 {
        html.raw("—");
    } else {
        h!(
            html,
            "{} {}<span class=\"sub\">{} {}</span>",
            s.spares_on_site,
            Esc(lang.tr(Msg::OnSite)),
            s.spares_in_transit,
            Esc(lang.tr(Msg::InTransit)),
        );
    }
    html.raw("</td></tr>\n");
}

/// Orders the overview shows; the orders page has them all.
const OVERVIEW_ORDERS: usize = 5;

/// The orders section: the `limit` newest of `view.orders`, and a link to
/// the orders page when some are left out.
fn orders(html: &mut Html, lang: Lang, view: &StatusView, limit: usize) {
    h!(
        html,
        "<section id=\"orders\" aria-labelledby=\"orders-h\">\n<h2 id=\"orders-h\">{} ({})</h2>\n",
        Esc(lang.tr(Msg::OrdersHeading)),
        view.orders.len()
    );
    if view.orders.is_empty() {
        h!(
            html,
            "<p class=\"empty\">{}</p>\n",
            Esc(lang.tr(Msg::NoOrders))
        );
    }
    for (i, order) in view.orders.iter().take(limit).enumerate() {
        order_card(html, lang, i, order, &view.generated_at, &view.printers);
    }
    if view.orders.len() > limit {
        h!(
            html,
            "<p><a href=\"/orders?lang={}\">{} →</a></p>",
            lang.code(),
            Esc(lang.tr(Msg::AllOrders))
        );
    }
    html.raw("</section>\n");
}

/// The orders page: every recent order (`status`: only those in that
/// state), with its lines, status and tracking.
pub fn orders_page(
    view: &StatusView,
    lang: Lang,
    csrf: Option<&str>,
    status: Option<&str>,
) -> String {
    let mut html = Html::new();
    head(
        &mut html,
        lang,
        &format!("{} — {}", lang.tr(Msg::OrdersHeading), lang.tr(Msg::Title)),
        false,
    );
    html.raw("<body>\n");
    top_bar(&mut html, lang, None, csrf);
    h!(
        html,
        "<main id=\"main\" class=\"wrap\"><nav class=\"statuses\" aria-label=\"{}\">",
        Esc(lang.tr(Msg::Status))
    );
    let choices = [
        (None, Msg::AllStatuses),
        (Some("waiting"), Msg::StatusWaiting),
        (Some("sent"), Msg::StatusSent),
        (Some("accepted"), Msg::StatusAccepted),
        (Some("shipped"), Msg::StatusShipped),
        (Some("delivered"), Msg::StatusDelivered),
        (Some("cancelled"), Msg::StatusCancelled),
    ];
    for (value, msg) in choices {
        let current = if value == status {
            " aria-current=\"true\""
        } else {
            ""
        };
        h!(
            html,
            "<a href=\"/orders?lang={}{}{}\"{current}>{}</a>",
            lang.code(),
            if value.is_some() { "&amp;status=" } else { "" },
            value.unwrap_or_default(),
            Esc(lang.tr(msg))
        );
    }
    html.raw("</nav>\n");
    let shown = StatusView {
        orders: view
            .orders
            .iter()
            .filter(|o| status.is_none_or(|s| o.status == s))
            .cloned()
            .collect(),
        ..view.clone()
    };
    orders(&mut html, lang, &shown, usize::MAX);
    html.raw("</main>\n");
    footer(&mut html, lang, None);
    html.raw("</body>\n</html>\n");
    html.finish()
}

/// One order; `printers` name the models of its lines' serials.
pub(super) fn order_card(
    html: &mut Html,
    lang: Lang,
    i: usize,
    o: &OrderView,
    now: &DateTime<Utc>,
    printers: &[PrinterView],
) {
    let (class, label) = match o.status.as_str() {
        "waiting" => ("waiting", lang.tr(Msg::StatusWaiting)),
        "sent" => ("sent", lang.tr(Msg::StatusSent)),
        "accepted" => ("sent", lang.tr(Msg::StatusAccepted)),
        "shipped" => ("sent", lang.tr(Msg::StatusShipped)),
        "partly_delivered" => ("sent", lang.tr(Msg::StatusPartlyDelivered)),
        "delivered" => ("sent", lang.tr(Msg::StatusDelivered)),
        "cancelled" => ("waiting", lang.tr(Msg::StatusCancelled)),
        other => ("other", other),
    };
    h!(
        html,
        "<article class=\"order\" aria-labelledby=\"o{i}-h\" data-order=\"{}\">\n\
         <div class=\"ohead\"><h3 id=\"o{i}-h\">{} <span class=\"serial\">{}</span></h3>\
         <span class=\"badge {class}\"><span class=\"sr-only\">{}{c} </span>{}</span></div>\n<p class=\"meta\">{} ",
        Esc(&o.order_id),
        Esc(lang.tr(Msg::Order)),
        Esc(&o.order_id),
        Esc(lang.tr(Msg::Status)),
        Esc(label),
        Esc(lang.tr(Msg::Created)),
        c = lang.colon(),
    );
    time_rel(html, lang, &o.created_at, now, true);
    h!(
        html,
        " · {}{c} {} · {}{c} {}",
        Esc(lang.tr(Msg::Site)),
        Esc(&o.site),
        Esc(lang.tr(Msg::Contact)),
        Esc(&o.contact),
        c = lang.colon(),
    );
    if let Some(tracking) = &o.tracking {
        h!(
            html,
            " · {}{c} <span class=\"tracking\">{}</span>",
            Esc(lang.tr(Msg::Tracking)),
            Esc(tracking),
            c = lang.colon(),
        );
    }
    html.raw("</p>\n");
    h!(
        html,
        "<table class=\"stack lines\"><caption class=\"sr-only\">{} {}</caption>\n\
         <thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
        Esc(lang.tr(Msg::Order)),
        Esc(&o.order_id),
        Esc(lang.tr(Msg::Printer)),
        Esc(lang.tr(Msg::Supply)),
        Esc(lang.tr(Msg::Quantity)),
        Esc(lang.tr(Msg::PredictedEmpty)),
    );
    for line in &o.lines {
        order_line(html, lang, line, now, printers);
    }
    html.raw("</tbody></table></article>\n");
}

fn order_line(
    html: &mut Html,
    lang: Lang,
    line: &OrderLineView,
    now: &DateTime<Utc>,
    printers: &[PrinterView],
) {
    let model = printers
        .iter()
        .find(|p| p.serial == line.printer)
        .map(|p| p.model.as_str());
    h!(
        html,
        "<tr><th scope=\"row\"><span class=\"serial\">{}</span>",
        Esc(&line.printer)
    );
    if let Some(model) = model {
        h!(html, "<span class=\"sub\">{}</span>", Esc(model));
    }
    let receptacle = line.supply_type.starts_with("waste");
    let colour = colour_class(line.colorant.as_deref(), receptacle);
    h!(
        html,
        "</th><td data-label=\"{}\"><span class=\"sw {colour}\" aria-hidden=\"true\"></span>{}",
        Esc(lang.tr(Msg::Supply)),
        Esc(&i18n::kind_name(lang, &line.supply_type)),
    );
    if let Some(c) = &line.colorant {
        h!(html, " · {}", Esc(&i18n::colorant_name(lang, c)));
    }
    h!(
        html,
        "</td><td class=\"num\" data-label=\"{}\">{}</td><td data-label=\"{}\">",
        Esc(lang.tr(Msg::Quantity)),
        line.quantity,
        Esc(lang.tr(Msg::PredictedEmpty)),
    );
    match &line.predicted_empty_at {
        Some(at) => time_rel(html, lang, at, now, false),
        None => html.raw("—"),
    }
    html.raw("</td></tr>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::view::{HealthView, UplinkView};

    fn view_with(supplies: Vec<SupplyView>, status: &str) -> StatusView {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        StatusView {
            gateway_id: "gw".to_owned(),
            version: "1".to_owned(),
            generated_at: now,
            uplink: UplinkView {
                last_error: None,
                outbox_oldest_at: None,
                since: None,
                levels_thinned: 0,
                levels_dropped: 0,
                connected: false,
                broker: "b:1883".to_owned(),
                outbox_depth: 0,
                last_sent_at: None,
            },
            printers: vec![PrinterView {
                serial: "S1".to_owned(),
                model: "M".to_owned(),
                address: "a".to_owned(),
                site: "s".to_owned(),
                contact: "c".to_owned(),
                last_seen: None,
                reachable: true,
                last_error: None,
                page_count: None,
                last_poll_seconds: None,
                read_over: None,
                supplies,
                registration: Registration::default(),
            }],
            orders: vec![OrderView {
                tracking: None,
                order_id: "O1".to_owned(),
                created_at: now,
                site: "s".to_owned(),
                contact: "c".to_owned(),
                status: status.to_owned(),
                lines: Vec::new(),
            }],
            health: HealthView::default(),
        }
    }

    fn supply(percent: Option<f64>, gauge: &str) -> SupplyView {
        SupplyView {
            index: 1,
            description: "d".to_owned(),
            kind: "toner".to_owned(),
            colorant: Some("black".to_owned()),
            percent,
            gauge: gauge.to_owned(),
            class: "consumed".to_owned(),
            forecast_empty_at: None,
            forecast_pessimistic_at: None,
            spares_on_site: 0,
            spares_in_transit: 0,
        }
    }

    #[test]
    fn odd_values_render_safely() {
        let view = view_with(
            vec![
                supply(Some(f64::NAN), "exact"),
                supply(Some(250.0), "out_of_range"),
                supply(Some(-5.0), "exact"),
                supply(Some(50.0), "some_new_gauge"),
            ],
            "<i>cancelled</i>",
        );
        let html = status_page(&view, Lang::En, "n", Some("token"), &TableQuery::default());
        let detail = super::super::view::PrinterDetail {
            generated_at: view.generated_at,
            printer: view.printers[0].clone(),
            history: Vec::new(),
            page_counts: Vec::new(),
            alerts: Vec::new(),
            orders: Vec::new(),
        };
        let card = super::super::printer_page::printer_page(
            &detail,
            view.generated_at,
            Lang::En,
            Some("token"),
            None,
            &super::super::printer_page::FormValues::of(&detail.printer),
        );
        // NaN is shown as unknown, never as a "NaN%" width.
        assert!(!html.contains("NaN") && !card.contains("NaN"));
        assert!(card.contains("Unknown"));
        // Out-of-range and negative values are clamped.
        assert!(card.contains("width:100.0%"));
        assert!(card.contains("width:0.0%"));
        assert!(html.contains(" v10\"") && html.contains(" v0\""));
        assert!(card.contains("0\u{a0}% · Empty"));
        // An unexpected gauge still shows its number.
        assert!(card.contains("width:50.0%"));
        // An unexpected order status is shown, escaped.
        assert!(html.contains("&lt;i&gt;cancelled&lt;/i&gt;"));
    }

    #[test]
    fn a_large_site_renders_quickly() {
        let mut view = view_with(Vec::new(), "sent");
        let template = view.printers[0].clone();
        view.printers = (0..500)
            .map(|i| PrinterView {
                serial: format!("SER{i:04}"),
                supplies: (0..6).map(|_| supply(Some(42.0), "exact")).collect(),
                ..template.clone()
            })
            .collect();
        let started = std::time::Instant::now();
        let html = status_page(&view, Lang::Fr, "n", Some("token"), &TableQuery::default());
        let elapsed = started.elapsed();
        assert!(html.contains("SER0000") && html.contains("SER0499"));
        assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");
        eprintln!(
            "500 printers x 6 supplies: {} bytes in {elapsed:?}",
            html.len()
        );
    }
}
