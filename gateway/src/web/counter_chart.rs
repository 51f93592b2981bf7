//! The page counter's history as a small SVG chart, with the pages printed
//! per day lately: the customer guide asks sites to tell the supplier about
//! unexpected print-volume spikes, and this is where a person sees one.

use chrono::{DateTime, Duration, Utc};

use super::format;
use super::html::{Esc, Html, h};
use super::i18n::Lang;

const W: f64 = 640.0;
const H: f64 = 140.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 22.0;

/// Pages per day over the last `days` of `points` (oldest first), when the
/// counter covers at least a day of that window.
pub fn pages_per_day(points: &[(DateTime<Utc>, u64)], days: i64) -> Option<f64> {
    let (last_at, last) = *points.last()?;
    let since = last_at - Duration::days(days);
    let (first_at, first) = *points.iter().find(|(t, _)| *t >= since)?;
    let span = (last_at - first_at).num_seconds() as f64 / 86_400.0;
    // A counter that went backwards (a board swap) says nothing reliable.
    (span >= 1.0 && last >= first).then(|| (last - first) as f64 / span)
}

/// Writes the chart; nothing when fewer than two readings.
pub fn counter_chart(html: &mut Html, lang: Lang, points: &[(DateTime<Utc>, u64)], label: &str) {
    let (Some(&(start, _)), Some(&(end, _))) = (points.first(), points.last()) else {
        return;
    };
    if points.len() < 2 {
        return;
    }
    let low = points.iter().map(|p| p.1).min().unwrap_or(0) as f64;
    let high = points.iter().map(|p| p.1).max().unwrap_or(0) as f64;
    let range = (high - low).max(1.0);
    let span = (end - start).num_milliseconds().max(1) as f64;
    let x = |t: DateTime<Utc>| {
        LEFT + ((t - start).num_milliseconds() as f64 / span) * (W - LEFT - RIGHT)
    };
    let y = |v: u64| TOP + (1.0 - (v as f64 - low) / range) * (H - TOP - BOTTOM);
    h!(
        html,
        "<svg class=\"chart counter\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">",
        Esc(label)
    );
    let mut line = String::with_capacity(points.len() * 14);
    for (t, v) in points {
        line.push_str(&format!("{:.1},{:.1} ", x(*t), y(*v)));
    }
    h!(
        html,
        "<polyline class=\"pages\" fill=\"none\" points=\"{}\"/>",
        line.trim_end()
    );
    for (v, anchor_y) in [(high as u64, TOP + 8.0), (low as u64, H - BOTTOM)] {
        h!(
            html,
            "<text x=\"{:.0}\" y=\"{anchor_y:.0}\" text-anchor=\"end\">{}</text>",
            LEFT - 4.0,
            Esc(&format::integer(lang, v))
        );
    }
    for (t, anchor) in [(start, "start"), (end, "end")] {
        h!(
            html,
            "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"{anchor}\">{}</text>",
            x(t),
            H - 6.0,
            Esc(&format::date(lang, &t))
        );
    }
    html.raw("</svg>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::days(day)
    }

    #[test]
    fn pages_per_day_over_a_window() {
        let points: Vec<_> = (0..60).map(|d| (at(d), 1_000 + d as u64 * 50)).collect();
        assert_eq!(pages_per_day(&points, 30), Some(50.0));
        assert_eq!(pages_per_day(&points[..1], 30), None);
        let reset = vec![(at(0), 5_000), (at(10), 100)];
        assert_eq!(
            pages_per_day(&reset, 30),
            None,
            "a reset counter is not a rate"
        );
    }

    #[test]
    fn the_chart_has_a_line_and_its_bounds() {
        let points: Vec<_> = (0..10).map(|d| (at(d), 1_000 + d as u64 * 10)).collect();
        let mut html = Html::new();
        counter_chart(&mut html, Lang::En, &points, "Pages");
        let svg = html.finish();
        assert!(svg.contains("<polyline class=\"pages\""));
        assert!(svg.contains(">1,090</text>") && svg.contains(">1,000</text>"));
        let mut empty = Html::new();
        counter_chart(&mut empty, Lang::En, &points[..1], "Pages");
        assert!(empty.finish().is_empty());
    }
}
