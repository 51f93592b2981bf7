//! A supply's level history as an SVG chart, drawn on the server (no script,
//! no external library): the readings, the median forecast to empty with
//! its pessimistic band, and cartridge swaps marked — early ones with the
//! toner that was still in them.

use chrono::{DateTime, Duration, Utc};

use super::format;
use super::html::{Esc, Html, h};
use super::i18n::{Lang, Msg};
use super::view::SupplyView;

const W: f64 = 640.0;
const H: f64 = 200.0;
const LEFT: f64 = 38.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 24.0;
/// A rise of the level this large between two readings is a new cartridge.
const SWAP_RISE: f64 = 30.0;
/// Forecasts further out than this are cut at the chart's edge.
const MAX_AHEAD_DAYS: i64 = 120;

/// A level left in a cartridge at its swap above this is an early swap
/// (the engine's own threshold lives in its config; this only colours the mark).
const EARLY_LEFT: f64 = 3.0;

/// Where the chart's time and level axes map to pixels.
struct Frame {
    start: DateTime<Utc>,
    span_ms: f64,
}

impl Frame {
    fn x(&self, t: DateTime<Utc>) -> f64 {
        let share = (t - self.start).num_milliseconds() as f64 / self.span_ms;
        LEFT + share.clamp(0.0, 1.0) * (W - LEFT - RIGHT)
    }

    fn y(percent: f64) -> f64 {
        TOP + (1.0 - percent.clamp(0.0, 100.0) / 100.0) * (H - TOP - BOTTOM)
    }
}

/// Swaps in a series: (index of the first reading of the new cartridge,
/// level of the old one at its last reading).
pub fn swaps(points: &[(DateTime<Utc>, f64)]) -> Vec<(usize, f64)> {
    points
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[1].1 - w[0].1 >= SWAP_RISE)
        .map(|(i, w)| (i + 1, w[0].1))
        .collect()
}

/// Writes the chart of `supply` from `points` (oldest first), `now` being
/// the snapshot's time; `class` colours the line by colorant.
pub fn supply_chart(
    html: &mut Html,
    lang: Lang,
    supply: &SupplyView,
    points: &[(DateTime<Utc>, f64)],
    now: DateTime<Utc>,
    class: &str,
) {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return;
    };
    let horizon = now + Duration::days(MAX_AHEAD_DAYS);
    let p50 = supply.forecast_empty_at.map(|t| t.min(horizon));
    let pess = supply.forecast_pessimistic_at.map(|t| t.min(horizon));
    let end = [Some(now), Some(last.0), p50, pess]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(now);
    let frame = Frame {
        start: first.0,
        span_ms: (end - first.0).num_milliseconds().max(60_000) as f64,
    };
    let title = format!("{} — {}", supply.description, lang.tr(Msg::History));
    h!(
        html,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\" \
         preserveAspectRatio=\"none\"><title>{}</title>",
        Esc(&title),
        Esc(&title)
    );
    for level in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let y = Frame::y(level);
        h!(
            html,
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{level:.0} %</text>",
            W - RIGHT,
            LEFT - 4.0,
            y + 4.0
        );
    }
    // The forecast: a band from the last reading to the pessimistic and
    // median dates at empty, and the median line.
    if let Some(p50) = p50 {
        let (x0, y0) = (frame.x(last.0), Frame::y(last.1));
        let (x50, y_empty) = (frame.x(p50), Frame::y(0.0));
        if let Some(pess) = pess.filter(|p| *p <= p50) {
            h!(
                html,
                "<polygon class=\"band\" points=\"{x0:.1},{y0:.1} {:.1},{y_empty:.1} {x50:.1},{y_empty:.1}\"><title>{}</title></polygon>",
                frame.x(pess),
                Esc(lang.tr(Msg::ChartBand))
            );
        }
        h!(
            html,
            "<line class=\"forecast\" x1=\"{x0:.1}\" y1=\"{y0:.1}\" x2=\"{x50:.1}\" y2=\"{y_empty:.1}\"><title>{}</title></line>",
            Esc(lang.tr(Msg::ChartForecast))
        );
    }
    html.raw("<polyline class=\"line ");
    html.text(class);
    html.raw("\" points=\"");
    for (t, p) in points {
        h!(html, "{:.1},{:.1} ", frame.x(*t), Frame::y(*p));
    }
    h!(
        html,
        "\"><title>{}</title></polyline>",
        Esc(lang.tr(Msg::ChartReadings))
    );
    for (i, left) in swaps(points) {
        let x = frame.x(points[i].0);
        let early = left > EARLY_LEFT;
        let label = if early {
            format!(
                "{} — {} {}",
                lang.tr(Msg::ChartEarlySwap),
                format::percent(left),
                lang.tr(Msg::LeftAtSwap)
            )
        } else {
            lang.tr(Msg::ChartSwap).to_owned()
        };
        h!(
            html,
            "<line class=\"swap{}\" x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\"><title>{}</title></line>",
            if early { " early" } else { "" },
            H - BOTTOM,
            Esc(&label)
        );
        if early {
            h!(
                html,
                "<text class=\"early-label\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x + 3.0,
                Frame::y(left) - 4.0,
                Esc(&format::percent(left))
            );
        }
    }
    h!(
        html,
        "<text class=\"axis\" x=\"{LEFT}\" y=\"{:.1}\">{}</text>\
         <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text></svg>",
        H - 6.0,
        Esc(&format::date(lang, &first.0)),
        W - RIGHT,
        H - 6.0,
        Esc(&format::date(lang, &end)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::days(day)
    }

    fn supply() -> SupplyView {
        SupplyView {
            index: 1,
            description: "Black <toner>".into(),
            kind: "toner".into(),
            colorant: Some("black".into()),
            percent: Some(40.0),
            gauge: "exact".into(),
            class: "consumed".into(),
            forecast_empty_at: Some(at(60)),
            forecast_pessimistic_at: Some(at(45)),
            spares_on_site: 0,
            spares_in_transit: 0,
        }
    }

    #[test]
    fn swaps_are_found_and_early_ones_keep_what_was_left() {
        let points = vec![
            (at(0), 30.0),
            (at(1), 8.0),
            (at(2), 100.0),
            (at(3), 2.0),
            (at(4), 99.0),
        ];
        assert_eq!(swaps(&points), vec![(2, 8.0), (4, 2.0)]);
    }

    #[test]
    fn the_chart_draws_readings_forecast_band_and_marks_early_swaps() {
        let points = vec![(at(0), 20.0), (at(5), 8.0), (at(6), 100.0), (at(30), 40.0)];
        let mut html = Html::new();
        supply_chart(&mut html, Lang::En, &supply(), &points, at(30), "c-black");
        let svg = html.finish();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("class=\"line c-black\""));
        assert!(svg.contains("class=\"band\""));
        assert!(svg.contains("class=\"forecast\""));
        assert!(svg.contains("class=\"swap early\""));
        assert!(svg.contains(&format::percent(8.0)), "{svg}");
        assert!(svg.contains("Black &lt;toner&gt;"), "escaped title");
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn no_points_no_chart_and_far_forecasts_are_cut() {
        let mut html = Html::new();
        supply_chart(&mut html, Lang::En, &supply(), &[], at(0), "c-black");
        assert!(html.finish().is_empty());
        let mut far = supply();
        far.forecast_empty_at = Some(at(5000));
        far.forecast_pessimistic_at = Some(at(4000));
        let mut html = Html::new();
        supply_chart(
            &mut html,
            Lang::Fr,
            &far,
            &[(at(0), 90.0), (at(1), 89.0)],
            at(1),
            "c-black",
        );
        let svg = html.finish();
        // Every x coordinate stays inside the chart.
        assert!(svg.contains(&format!("x2=\"{:.1}\"", W - RIGHT)));
    }
}
