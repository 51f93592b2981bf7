//! Days-to-empty per supply with a median and a pessimistic value.
//!
//! Percent gauges: the level now comes from the day-averaged trail (fitted line
//! for coarse gauges); consumption per day comes preferably from the page counter
//! (pages per day x percent per page, both exact and weekend-proof), else from a
//! least-squares slope of the level over the last weeks (fine gauges) or the
//! steps down (coarse ones). Short-window rates make step changes count at once;
//! a burst is forecast on its own and does not inflate the pace after it.
//! "Some remaining" gauges are forecast from pages since the last swap against
//! the pages earlier cartridges lasted.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::CatalogBasis;
use crate::clock::{DAY, add_days, to_utc};
use crate::estimate::Estimate;
use crate::level_pace::level_pace;
use crate::pages::PageStats;
use crate::stats::{Line, fit};
use crate::supply::{DayPoint, GaugeKind, Staircase, SupplyState};
use crate::yields::{COLOUR_VS_BLACK, is_marking, stated_life};

fn is_marking_supply(s: &SupplyState) -> bool {
    !s.receptacle && is_marking(&s.supply_type)
}

/// A "some remaining" cartridge whose start was not seen may be anywhere in its
/// life: what is left is spread evenly, so the pessimistic value is a low
/// quantile of that spread. 3 % means a spare goes out early for most such
/// cartridges, which beats a one-in-seven chance of an empty printer.
const UNSEEN_PESS_SHARE: f64 = 0.03;
/// Share of a cartridge's life left when the printer first says "low"
/// (markerTonerAlmostEmpty is typically raised with 5-15 % left).
const LOW_SIGNAL_SHARE: f64 = 0.1;
/// Points a gauge must have fallen before a pace is taken from its first days.
const EARLY_DROP: f64 = 3.0;

/// Share of the learned cartridge life a pace measured now may shorten it to.
const LIFE_FLOOR: f64 = 0.6;
/// Slowest consumption considered, so quiet printers get a finite forecast.
const MIN_RATE: f64 = 0.02;

/// What the engine believes about one supply now (for the status page and upstream).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SupplyForecast {
    pub printer: String,
    pub supply_index: u32,
    pub supply_type: String,
    pub colorant: Option<String>,
    /// `percent`, `some_remaining` or `unknown`.
    pub gauge: String,
    pub percent: Option<f64>,
    pub cartridge_start: Option<DateTime<Utc>>,
    pub p50_empty_at: Option<DateTime<Utc>>,
    pub pessimistic_empty_at: Option<DateTime<Utc>>,
    /// Median consumption in percent per day, when the gauge is a percentage.
    pub percent_per_day: Option<f64>,
    pub spares_on_site: u32,
    pub spares_in_transit: u32,
    /// Pages a cartridge of this supply lasts, as the forecast reckons it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_pages: Option<f64>,
    /// Where that figure comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_source: Option<LifeSource>,
}

/// What a supply's cartridge life rests on, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifeSource {
    /// Cartridges of this supply watched from start to end, or its gauge
    /// against its page counter.
    Printer,
    /// Other printers of the model on this site.
    Site,
    /// Lives the supplier measured across its sites (catalogue).
    CatalogLearned,
    /// The catalogue's rated yield.
    CatalogRated,
    /// Twice this printer's black toner (a colour nobody watched yet).
    Sibling,
    /// A cautious figure for the supply type: nothing better is known.
    Stated,
}

/// The pages per cartridge the forecast of `s` rests on, and where they come from.
pub(crate) fn life_basis(s: &SupplyState) -> (Option<f64>, Option<LifeSource>) {
    if let Some(own) = s.life_pages {
        return (Some(own), Some(LifeSource::Printer));
    }
    let measured = s.pct_per_page.or_else(|| {
        (s.kind == GaugeKind::Percent)
            .then(|| s.fit_pct_per_page())
            .flatten()
    });
    if let Some(ppp) = measured.filter(|p| *p > 0.0) {
        return (Some(100.0 / ppp), Some(LifeSource::Printer));
    }
    if let Some(site) = s.prior_life {
        return (Some(site), Some(LifeSource::Site));
    }
    if let Some(c) = s.catalog_life {
        let source = match c.basis {
            CatalogBasis::Learned => LifeSource::CatalogLearned,
            CatalogBasis::Rated => LifeSource::CatalogRated,
        };
        return (Some(c.median), Some(source));
    }
    if s.kind == GaugeKind::Percent {
        // Its own gauge paces it; no figure per cartridge is needed.
        return (None, None);
    }
    match s.sibling_life.filter(|_| !s.receptacle) {
        Some(b) => (Some(COLOUR_VS_BLACK * b), Some(LifeSource::Sibling)),
        None => (Some(stated_life(&s.supply_type)), Some(LifeSource::Stated)),
    }
}

/// How much longer a burst of printing (a big job, a mailing: not a new
/// normal) is assumed to go on, from how long it has lasted so far: about as
/// long again for the median, twice as long for the pessimistic value, within
/// a working week.
fn burst_left(age_days: f64, pessimistic: bool) -> f64 {
    if pessimistic {
        (2.0 * age_days).clamp(2.0, 5.0)
    } else {
        age_days.clamp(1.0, 3.0)
    }
}

/// Consumption in units per day: median, pessimistic, the steady long-window
/// pace (for cartridge life and order quantities, which must not follow a
/// burst), and a burst under way (units per day, days so far).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Pace {
    p50: f64,
    worst: f64,
    steady: f64,
    burst: Option<(f64, f64)>,
}

impl Pace {
    /// Days until `amount` is used: a burst under way first (for as long as it
    /// is assumed to last), then the usual pace.
    fn days(&self, amount: f64, pessimistic: bool) -> f64 {
        let rate = if pessimistic { self.worst } else { self.p50 };
        let amount = amount.max(0.0);
        match self.burst {
            Some((b, age)) if b > rate => {
                let left = burst_left(age, pessimistic);
                if amount <= b * left {
                    amount / b
                } else {
                    left + (amount - b * left) / rate
                }
            }
            _ => amount / rate,
        }
    }
}

fn rates(
    long: Option<f64>,
    short: Option<f64>,
    burst: Option<(f64, f64)>,
    unsure: bool,
) -> Option<Pace> {
    let long = long.filter(|r| r.is_finite() && *r >= 0.0);
    let short = short.filter(|r| r.is_finite() && *r >= 0.0);
    let base = long.or(short)?;
    let p50 = match short {
        // A clear step change: trust the recent pace at once.
        Some(s) if s > 1.5 * base || s < 0.6 * base => s,
        _ => base,
    };
    let worst = base.max(short.unwrap_or(0.0));
    let factor = if unsure { 1.6 } else { 1.25 };
    let p50 = p50.max(MIN_RATE);
    Some(Pace {
        p50,
        worst: (worst * factor).max(p50),
        steady: base,
        burst: burst.filter(|b| b.0.is_finite() && b.0 > 0.0),
    })
}

/// [`estimate`] reused for a few hours (shifted by the time passed) unless the
/// cartridge changed.
pub(crate) fn estimate_cached(
    s: &mut SupplyState,
    pages: &PageStats,
    now: i64,
) -> Option<Estimate> {
    const REUSE: i64 = 4 * 3600;
    if let Some((at, seq, zeros, e)) = s.cached
        && seq == s.cart_seq
        && zeros == s.zero_run
        && now >= at
        && now - at < REUSE
    {
        let shift = (now - at) as f64 / DAY as f64;
        return Some(Estimate {
            p50_days: (e.p50_days - shift).max(0.0),
            pess_days: (e.pess_days - shift).max(0.0),
            ..e
        });
    }
    let e = estimate(s, pages, now);
    s.cached = e.map(|e| (now, s.cart_seq, s.zero_run, e));
    e
}

pub(crate) fn estimate(s: &SupplyState, pages: &PageStats, now: i64) -> Option<Estimate> {
    // The site's figure for this model first (its printers, its coverage),
    // else the supplier catalogue's.
    let prior = match (s.prior_life, s.catalog_life) {
        (Some(m), _) => Some(Prior {
            median: m,
            low: s.prior_low,
        }),
        (None, Some(c)) => Some(Prior {
            median: c.median,
            low: Some(c.low),
        }),
        (None, None) => None,
    };
    match s.kind {
        GaugeKind::Percent => estimate_percent(s, pages, now),
        GaugeKind::SomeRemaining => estimate_some(s, pages, prior, now),
        // A toner or ink whose level is never known is forecast from its
        // page counter like a "some remaining" one; other supplies with no
        // level (fusers, belts, staples) are not ordered on a guess.
        GaugeKind::Unknown if is_marking_supply(s) && pages.last.is_some() => {
            estimate_some(s, pages, prior, now)
        }
        GaugeKind::Unknown => None,
    }
}

fn estimate_percent(s: &SupplyState, pages: &PageStats, now: i64) -> Option<Estimate> {
    let last = s.days.back()?;
    let step = s.effective_step() as f64;
    let line = recent_line(s, now);
    let long_fit = line.filter(|l| l.n >= 3);
    // Level now: the day mean averages jitter; a coarse gauge needs the fitted line.
    let mut level = last.pct();
    if step >= 5.0 {
        if let Some(line) = long_fit {
            level = line
                .last
                .clamp(last.last_pct as f64 - step, last.last_pct as f64 + step);
        }
        // A coarse gauge shows a step until the level is below it (it reads 0
        // only when empty): the true level is half a step under what it shows.
        level -= step / 2.0;
    }
    // Drift from the mean time of the last day point to now is left to the rate.
    let elapsed = ((now as f64 - last.t()) / DAY as f64).max(0.0);
    let level = level.clamp(0.0, 100.0);

    // A coarse gauge's steps down give its consumption exactly, a fit through
    // its staircase does not.
    let stair = s.staircase();
    let ppp = match stair {
        Some(st) => st.per_page.or(s.pct_per_page),
        None => s.fit_pct_per_page().or(s.pct_per_page),
    };
    let history = pages.history_days();
    let span_days = (now - s.cart_start) as f64 / DAY as f64;
    let by_pages = |ppp: f64| {
        (
            pages.usual_per_day(28).map(|r| r * ppp),
            pages
                .usual_per_day(7)
                .filter(|_| history >= 6.0)
                .map(|r| r * ppp),
            pages.burst().map(|(r, age)| (r * ppp, age)),
        )
    };
    let (long, short, recent) = match ppp {
        Some(ppp) if history >= 3.0 => by_pages(ppp),
        _ => gauge_pace(s, stair, line, level, now),
    };
    // A printer met days ago whose gauge has not moved enough to give a
    // pace: the supplier catalogue's life per cartridge and the page
    // counter give one, pessimistic by the catalogue's low figure.
    let catalog = s
        .catalog_life
        .filter(|c| long.is_none() && short.is_none() && history >= 3.0 && c.low > 0.0);
    let (long, short, recent) = match catalog {
        Some(c) => by_pages(100.0 / c.median),
        None => (long, short, recent),
    };
    let unsure = (span_days < 7.0 && s.pct_per_page.is_none()) || catalog.is_some();
    let pace = rates(long, short, recent, unsure).map(|mut p| {
        if let Some(c) = catalog {
            p.worst = p.worst.max(p.steady * c.median / c.low);
        }
        p
    });
    let Some(pace) = pace else {
        // No pace known yet: only a nearly empty gauge says anything, and
        // only that it may be empty any time (no median to report).
        let d = if level <= step.max(5.0) {
            0.0
        } else {
            f64::INFINITY
        };
        return Some(Estimate {
            level: Some(level),
            p50_days: d,
            pess_days: d,
            life_days: s.life_days,
            life_known: false,
            median_known: false,
            drift: (1.0, 1.0),
            rate: None,
        });
    };
    let steady = pace.steady;
    // After a step down the level is known exactly there: what was used since
    // (by pages, else by days) gives the level now, within the step shown.
    let (level, elapsed) = match stair {
        Some(Staircase {
            anchor: (at, at_pages, at_level),
            ..
        }) => {
            let by_pages = match (ppp, at_pages, pages.last) {
                (Some(ppp), Some(a), Some((_, p))) if p >= a => Some(ppp * (p - a) as f64),
                _ => None,
            };
            let used = by_pages.unwrap_or(steady * ((now - at) as f64 / DAY as f64).max(0.0));
            let shown = f64::from(last.last_pct);
            let level = (f64::from(at_level) - used).clamp((shown - step).max(0.0), shown);
            (level, 0.0)
        }
        None => (level, elapsed),
    };
    let p50_days = (pace.days(level, false) - elapsed).max(0.0);
    let pess_days = (pace.days(level, true) - elapsed).max(0.0);
    Some(Estimate {
        level: Some(level),
        p50_days,
        pess_days,
        // A cartridge lasts at least 60 % of what earlier ones did: a burst or a
        // misread must not blow up order quantities (a lasting change of pace
        // moves the learned life within two cartridges).
        life_days: Some(s.life_days.map_or(100.0 / steady.max(MIN_RATE), |l| {
            (100.0 / steady.max(MIN_RATE)).max(LIFE_FLOOR * l)
        })),
        life_known: s.life_days.is_some()
            || s.pct_per_page.is_some()
            || (span_days >= 14.0 && catalog.is_none()),
        median_known: true,
        drift: (1.0, 1.0),
        rate: Some(pace.p50),
    })
}

/// The least-squares line through the last four weeks of daily levels
/// (days, percent).
fn recent_line(s: &SupplyState, now: i64) -> Option<Line> {
    let from = (now - 28 * DAY) as f64;
    fit(s
        .days
        .iter()
        .filter(|d| d.t() >= from)
        .map(|d| (d.t() / DAY as f64, d.pct())))
}

/// Consumption in percent per day told by the gauge alone, when the page
/// counter cannot say it: the long and short paces, and a burst under way.
/// `line` is [`recent_line`], which the caller has already fitted.
fn gauge_pace(
    s: &SupplyState,
    stair: Option<Staircase>,
    line: Option<Line>,
    level: f64,
    now: i64,
) -> (Option<f64>, Option<f64>, Option<(f64, f64)>) {
    let step = s.effective_step() as f64;
    let span_days = (now - s.cart_start) as f64 / DAY as f64;
    // A fine gauge's daily falls tell bursts apart, as pages do. A coarse
    // gauge's steps are too few to; its steps down give its pace, and until
    // it has stepped down its flat line says only that less than a step was
    // used, which is no pace.
    let fine = (step < 5.0).then(|| level_pace(s.days.iter(), now));
    let slope = match fine {
        Some(f) => f.long,
        None => line
            .filter(|l| l.n >= 3)
            .map(|l| -l.slope)
            .filter(|r| *r > 0.0),
    };
    let long = stair
        .and_then(|st| st.per_day)
        .or(slope.filter(|_| span_days >= 3.0));
    let learned = s.life_days.map(|d| 100.0 / d.max(0.5));
    // A cartridge met only a day or two ago that already fell by several
    // steps drains fast: its pace is known well enough to send a spare
    // before the week is out.
    let early = line
        .filter(|l| l.n >= 2 && span_days >= 1.0)
        .map(|l| -l.slope)
        .filter(|r| {
            let first = s.days.front().map_or(level, DayPoint::pct);
            first - level >= EARLY_DROP.max(2.0 * step) && *r > 0.0
        });
    (
        long.or(learned).or(early),
        fine.and_then(|f| f.short),
        fine.and_then(|f| f.burst),
    )
}

/// Pages a cartridge of this model and supply lasts elsewhere (the site's
/// other printers, else the supplier catalogue), with a pessimistic value.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Prior {
    median: f64,
    low: Option<f64>,
}

fn estimate_some(
    s: &SupplyState,
    pages: &PageStats,
    prior: Option<Prior>,
    now: i64,
) -> Option<Estimate> {
    let prior_life_pages = prior.map(|p| p.median);
    let prior_low = prior.and_then(|p| p.low);
    // Own history first, then the fleet's figure for this model and colour, then
    // this printer's black: a colour lasts at least as long (the pessimistic
    // share), typically about twice as long in office use (colour covers less
    // of a page, and many pages have none).
    let life_known = s.life_pages.is_some();
    let (life, pess_share) = match (s.life_pages, prior_life_pages, s.sibling_life) {
        // One cartridge's life may hide an early swap (this gauge cannot show
        // it), so until a second agrees the fleet's shorter figure bounds the
        // pessimistic value.
        (Some(own), Some(fleet), _) if !s.life_confirmed() && fleet < own => {
            let low = prior_low.unwrap_or(0.85 * fleet).min(0.85 * fleet);
            (own, low / own)
        }
        (Some(own), _, _) => (own, 0.85),
        (None, Some(fleet), _) => {
            let low = prior_low.unwrap_or(0.8 * fleet).min(0.8 * fleet);
            (fleet, low / fleet)
        }
        (None, None, Some(black)) => (COLOUR_VS_BLACK * black, 1.0 / COLOUR_VS_BLACK),
        (None, None, None) => (stated_life(&s.supply_type), 0.5),
    };
    let median_known = s
        .life_pages
        .or(prior_life_pages)
        .or(s.sibling_life)
        .is_some();
    let history = pages.history_days();
    let paced = rates(
        pages.usual_per_day(28),
        pages.usual_per_day(7).filter(|_| history >= 6.0),
        pages.burst(),
        history < 7.0,
    );
    if s.zero_run > 0 {
        let life_days = paced.map(|p| life / p.steady.max(MIN_RATE));
        return Some(Estimate {
            level: Some(0.0),
            p50_days: 0.0,
            pess_days: 0.0,
            life_days,
            life_known,
            median_known,
            drift: (1.0, 1.0),
            rate: None,
        });
    }
    let (lt, lp) = pages.last?;
    let pace = paced?;
    let from_start = s.cart_from_start || s.guessed_start.is_some();
    let (rem_p50, rem_pess, life, drift) = match (from_start, s.cart_start_pages) {
        (true, Some(start)) => {
            let used = lp.saturating_sub(start) as f64;
            // A start found by the page counter may have been earlier.
            let used_pess = s
                .guessed_start
                .map_or(used, |earliest| lp.saturating_sub(earliest) as f64);
            // Outlasting the expected life says the life was underestimated.
            let life = life.max(used * 1.1);
            (life - used, pess_share * life - used_pess, life, (1.0, 1.0))
        }
        _ => {
            // Cartridge start never seen: it was anywhere in its life when first
            // seen, so what is left is spread evenly over what it can still hold.
            let used = s
                .cart_start_pages
                .map_or(0.0, |st| lp.saturating_sub(st) as f64);
            let life = life.max(used * 1.1);
            (
                0.5 * (life - used),
                UNSEEN_PESS_SHARE * (life - used),
                life,
                (0.5, UNSEEN_PESS_SHARE),
            )
        }
    };
    // The printer says the cartridge is low: whatever the pages suggest,
    // only its last stretch is left.
    let (rem_p50, rem_pess) = if s.low_signal {
        (
            rem_p50.min(LOW_SIGNAL_SHARE * life),
            rem_pess.min(0.25 * LOW_SIGNAL_SHARE * life),
        )
    } else {
        (rem_p50, rem_pess)
    };
    let elapsed = ((now - lt) as f64 / DAY as f64).max(0.0);
    Some(Estimate {
        level: None,
        p50_days: (pace.days(rem_p50, false) - elapsed).max(0.0),
        pess_days: (pace.days(rem_pess, true) - elapsed).max(0.0),
        life_days: Some(life / pace.steady.max(MIN_RATE)),
        life_known,
        median_known,
        drift,
        rate: None,
    })
}

pub(crate) fn to_forecast(
    printer: &str,
    s: &SupplyState,
    e: Option<Estimate>,
    now: i64,
) -> SupplyForecast {
    let life = life_basis(s);
    SupplyForecast {
        printer: printer.to_string(),
        supply_index: s.index,
        supply_type: s.supply_type.clone(),
        colorant: s.colorant.clone(),
        gauge: match s.kind {
            GaugeKind::Percent => "percent",
            GaugeKind::SomeRemaining => "some_remaining",
            GaugeKind::Unknown => "unknown",
        }
        .to_string(),
        percent: e.and_then(|e| e.level).or(s.last_pct.map(f64::from)),
        cartridge_start: s.cart_from_start.then(|| to_utc(s.cart_start)),
        p50_empty_at: e
            .filter(|e| e.median_known)
            .and_then(|e| add_days(now, e.p50_days))
            .map(to_utc),
        pessimistic_empty_at: e.and_then(|e| add_days(now, e.pess_days)).map(to_utc),
        percent_per_day: e.and_then(|e| e.rate),
        spares_on_site: s.on_site,
        spares_in_transit: s.in_transit,
        life_pages: life.0.map(f64::round),
        life_source: life.1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`estimate`] with the site's figure for the model set to `prior`.
    fn estimate_with(
        s: &SupplyState,
        pages: &PageStats,
        prior: Option<f64>,
        now: i64,
    ) -> Option<Estimate> {
        let mut s = s.clone();
        s.prior_life = prior;
        estimate(&s, pages, now)
    }
    use crate::clock::HOUR;
    use crate::gauge::normalize;

    /// The same, its current cartridge watched from its start at page 0.
    fn watched_from_start(days: i64) -> (SupplyState, PageStats) {
        let (mut s, pages) = some_remaining(days);
        s.cart_from_start = true;
        s.cart_start_pages = Some(0);
        (s, pages)
    }

    /// A "some remaining" supply printing 100 pages a day, first seen at page 0.
    fn some_remaining(days: i64) -> (SupplyState, PageStats) {
        let mut s = SupplyState::new(1, "toner", false, Some("black"), 0);
        let mut pages = PageStats::default();
        for h in 0..days * 24 {
            let p = (h * 100 / 24) as u64;
            pages.observe(h * HOUR, p);
            s.observe(h * HOUR, normalize(100, -3), Some(p));
        }
        (s, pages)
    }

    #[test]
    fn unseen_start_spreads_what_is_left_over_the_remaining_life() {
        let (s, pages) = some_remaining(20);
        let now = 20 * DAY;
        // 2000 pages used of a 10000-page cartridge whose start was not seen:
        // the median leaves half of the 8000 pages it can still hold.
        let e = estimate_with(&s, &pages, Some(10_000.0), now).expect("estimate");
        assert!((e.p50_days - 40.0).abs() < 1.5, "{e:?}");
        assert!(e.pess_days < e.p50_days);
        assert!(!e.life_known);
        // Outlasting the assumed life raises it instead of predicting "empty now".
        let e = estimate_with(&s, &pages, Some(1500.0), now).expect("estimate");
        assert!(e.p50_days > 0.5, "{e:?}");
    }

    #[test]
    fn colour_without_history_uses_the_printer_black_life() {
        let (mut s, pages) = watched_from_start(20);
        let now = 20 * DAY;
        let guess = estimate_with(&s, &pages, None, now).expect("estimate");
        s.sibling_life = Some(6000.0);
        let floor = estimate_with(&s, &pages, None, now).expect("estimate");
        // Twice the black's 6000 pages: 10000 left at 100 a day; pessimistically
        // only the black's life, 4000 left.
        assert!((floor.p50_days - 100.0).abs() < 1.5, "{floor:?}");
        assert!(floor.p50_days > guess.p50_days);
        assert!(
            floor.pess_days < 40.0 && floor.pess_days > 20.0,
            "{floor:?}"
        );
    }

    #[test]
    fn a_burst_under_way_is_assumed_to_end_within_days() {
        let pace = Pace {
            p50: 1.0,
            worst: 1.25,
            steady: 1.0,
            burst: Some((6.0, 0.5)),
        };
        // 30 days of usual use left: the median burns 6 a day for one more day,
        // then the usual pace; pessimistically two days, then 1.25 a day.
        assert!((pace.days(30.0, false) - 25.0).abs() < 1e-9);
        assert!((pace.days(30.0, true) - (2.0 + 18.0 / 1.25)).abs() < 1e-9);
        // Little left: the burst empties it.
        assert!((pace.days(3.0, false) - 0.5).abs() < 1e-9);
        // A burst that has lasted three days is assumed to last longer.
        let old = Pace {
            burst: Some((6.0, 3.0)),
            ..pace
        };
        assert!(old.days(30.0, true) < pace.days(30.0, true));
        let calm = Pace {
            burst: None,
            ..pace
        };
        assert!((calm.days(30.0, false) - 30.0).abs() < 1e-9);
    }

    #[test]
    fn one_cartridge_life_is_bounded_by_the_fleet_until_a_second_agrees() {
        let (mut s, pages) = watched_from_start(20);
        // One 6000-page life learned (it may hide an early swap); the fleet says 4000.
        s.life_pages = Some(6000.0);
        let now = 20 * DAY;
        let lone = estimate_with(&s, &pages, Some(4000.0), now).expect("estimate");
        // 2000 pages used: the median keeps the printer's own 6000 pages,
        // the pessimistic value the fleet's 0.85 x 4000.
        assert!((lone.p50_days - 40.0).abs() < 1.5, "{lone:?}");
        assert!(lone.pess_days < 13.0, "{lone:?}");
        let confirmed = {
            let mut c = s.clone();
            c.confirm_life_for_test(6000.0);
            estimate_with(&c, &pages, Some(4000.0), now).expect("estimate")
        };
        assert!(confirmed.pess_days > 20.0, "{confirmed:?}");
    }

    #[test]
    fn a_fleet_prior_is_pessimistic_by_its_spread() {
        let (mut s, pages) = watched_from_start(20);
        let now = 20 * DAY;
        s.prior_low = Some(3000.0);
        let spread = estimate_with(&s, &pages, Some(6000.0), now).expect("estimate");
        s.prior_low = Some(5500.0);
        let tight = estimate_with(&s, &pages, Some(6000.0), now).expect("estimate");
        // Same median (4000 pages left at 100 a day); the pessimistic value
        // follows the low end of the fleet (1000 pages left), never above
        // 80 % of the median life.
        assert!((spread.p50_days - tight.p50_days).abs() < 1e-9);
        assert!(spread.pess_days < 10.0, "{spread:?}");
        assert!(tight.pess_days < 25.0, "{tight:?}");
    }

    #[test]
    fn no_median_is_reported_while_nothing_is_known_of_the_life() {
        let (s, pages) = some_remaining(5);
        let now = 5 * DAY;
        let blind = estimate_with(&s, &pages, None, now).expect("estimate");
        assert!(!blind.median_known);
        let f = to_forecast("A", &s, Some(blind), now);
        assert_eq!(f.p50_empty_at, None);
        assert!(f.pessimistic_empty_at.is_some());
        let informed = estimate_with(&s, &pages, Some(8000.0), now).expect("estimate");
        assert!(informed.median_known);
        // A gauge met nearly empty, pace unknown: may be empty any time, no median.
        let mut low = SupplyState::new(1, "toner", false, Some("black"), 0);
        for h in 0..3 {
            low.observe(h * HOUR, normalize(100, 3), None);
        }
        let e = estimate_with(&low, &PageStats::default(), None, 3 * HOUR).expect("estimate");
        assert_eq!((e.pess_days, e.median_known), (0.0, false));
    }

    #[test]
    fn a_fast_drain_gets_a_pace_from_its_first_days() {
        let mut s = SupplyState::new(1, "toner", false, Some("black"), 0);
        let pages = PageStats::default();
        // 40 % falling 6 points a day, watched for a day and a half.
        for h in 0..36 {
            let level = (40.0 - 6.0 * h as f64 / 24.0).round() as i64;
            s.observe(h * HOUR, normalize(100, level), None);
        }
        let e = estimate_with(&s, &pages, None, 36 * HOUR).expect("estimate");
        assert!(e.p50_days.is_finite() && e.p50_days < 6.0, "{e:?}");
        assert!(e.pess_days < e.p50_days, "{e:?}");
        // A slow one does not: a point's fall is within what jitter and
        // the first day's hours can fake.
        let mut slow = SupplyState::new(1, "toner", false, Some("black"), 0);
        for h in 0..36 {
            let level = (40.0 - 1.0 * h as f64 / 24.0).round() as i64;
            slow.observe(h * HOUR, normalize(100, level), None);
        }
        let e = estimate_with(&slow, &pages, None, 36 * HOUR).expect("estimate");
        assert!(e.p50_days.is_infinite(), "{e:?}");
    }

    #[test]
    fn a_coarse_gauge_is_read_from_its_steps_down() {
        let mut s = SupplyState::new(1, "toner", false, Some("black"), 0);
        let pages = PageStats::default();
        // True level 97 % falling 2.3 points a day, shown in tens (rounded up).
        let truth = |h: i64| 97.0 - 2.3 * h as f64 / 24.0;
        let hours = 20 * 24;
        for h in 0..hours {
            let shown = ((truth(h) / 10.0).ceil() * 10.0) as i64;
            s.observe(h * HOUR, normalize(100, shown), None);
        }
        let st = s.staircase().expect("steps down seen");
        let per_day = st.per_day.expect("two steps or more");
        assert!((per_day - 2.3).abs() < 0.1, "{per_day}");
        let e = estimate_with(&s, &pages, None, hours * HOUR).expect("estimate");
        let level = e.level.expect("a level");
        assert!(
            (level - truth(hours)).abs() < 1.0,
            "{level} vs {}",
            truth(hours)
        );
        let days_left = truth(hours) / 2.3;
        assert!((e.p50_days - days_left).abs() < 1.0, "{e:?} vs {days_left}");
    }

    #[test]
    fn a_burst_does_not_shorten_the_life_orders_are_sized_with() {
        let mut s = SupplyState::new(1, "toner", false, Some("black"), 0);
        let pages = PageStats::default();
        s.life_days = Some(10.0);
        // A fresh cartridge falling 20 points a day (a five-day life) for four days.
        for h in 0..96 {
            let level = (100.0 - 20.0 * h as f64 / 24.0).round() as i64;
            s.observe(h * HOUR, normalize(100, level), None);
        }
        let e = estimate_with(&s, &pages, None, 96 * HOUR).expect("estimate");
        assert!(e.p50_days < 1.5, "{e:?}");
        let life = e.life_days.expect("a life");
        assert!((LIFE_FLOOR * 10.0 - life).abs() < 1e-9, "{life}");
    }

    #[test]
    fn a_coarse_gauge_that_never_stepped_has_no_pace() {
        // Shown at 10 % (its last step) for two weeks, polled every four
        // hours: the flat line says less than a step was used, not that
        // nothing was. It may be empty any time; no median is made up.
        let mut s = SupplyState::new(2, "toner", false, Some("cyan"), 0);
        let mut pages = PageStats::default();
        let polls = 14 * 6;
        for i in 0..polls {
            let t = i * 4 * HOUR;
            pages.observe(t, 1000 + i as u64 * 4);
            s.observe(t, normalize(100, 10), Some(1000 + i as u64 * 4));
        }
        let e = estimate_with(&s, &pages, None, polls * 4 * HOUR).expect("estimate");
        assert_eq!(
            (e.p50_days, e.pess_days, e.median_known),
            (0.0, 0.0, false),
            "{e:?}"
        );
    }
}
