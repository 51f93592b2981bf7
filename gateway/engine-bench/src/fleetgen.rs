//! A deterministic fleet generator (same seed, same bytes) for benchmarks and
//! tests. It simulates office printers hour by hour and writes `printers.csv`
//! and `readings.csv` in the replay format, with the nastiness real fleets show
//! (gauge jitter, 10 % steps, 0..10 and gram gauges, "some remaining" printers,
//! -2 / 0 / 100 glitch readings, missed polls, weekends and holidays, nightly
//! and weekend power-off, real outages, premature swaps, bursts, step changes,
//! trends, a decommissioned printer, several sites and contacts), and returns
//! the ground truth (true empty times, swaps, outages, bursts) for scoring.

use std::io::{self, Write};

use asr_engine::CatalogLife;
use asr_engine::clock::{DAY, HOUR, day_of, to_utc};

/// Small, fast, seedable PRNG (SplitMix64); good enough for simulation.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f()
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.f() * n as f64) as usize % n.max(1)
    }
    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.f().max(1e-12);
        let v = self.f();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Size and shape of a generated fleet.
#[derive(Clone, Debug)]
pub struct FleetSpec {
    pub seed: u64,
    pub printers: usize,
    pub days: i64,
    pub poll_secs: i64,
    /// Unix seconds of the first poll (a Monday midnight UTC is a good start).
    pub start: i64,
    /// Multiplies every printer's page volume (busier or quieter fleets than the
    /// default, to check the engine is not tuned to one fleet shape).
    pub usage_factor: f64,
    /// No bursts, outages, step changes, trends or holidays: what is left of the
    /// forecast error is the engine's own, not the fleet's surprises.
    pub calm: bool,
    /// Surprises left out one by one (the rest stays): what each costs.
    pub without: Surprises,
}

/// The fleet's surprises that can be left out of a generated fleet, each on its
/// own, to measure what it costs the engine. The random stream is the same
/// either way, so the fleets differ only by what is left out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Surprises {
    pub bursts: bool,
    pub outages: bool,
    pub step_changes: bool,
    pub holidays: bool,
}

impl std::str::FromStr for Surprises {
    type Err = String;

    /// A comma-separated list: `bursts,outages,step-changes,holidays`.
    fn from_str(list: &str) -> Result<Self, String> {
        let mut s = Surprises::default();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "bursts" => s.bursts = true,
                "outages" => s.outages = true,
                "step-changes" => s.step_changes = true,
                "holidays" => s.holidays = true,
                other => {
                    return Err(format!(
                        "unknown surprise {other:?} (bursts, outages, step-changes, holidays)"
                    ));
                }
            }
        }
        Ok(s)
    }
}

impl Default for FleetSpec {
    fn default() -> Self {
        FleetSpec {
            seed: 1,
            printers: 36,
            days: 365,
            poll_secs: HOUR,
            // 2025-01-06T00:00:00Z, a Monday.
            start: 1_736_121_600,
            usage_factor: 1.0,
            calm: false,
            without: Surprises::default(),
        }
    }
}

/// How a supply's gauge reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GaugeStyle {
    /// 0..100 percent with jitter.
    Fine,
    /// 0..100 but only in steps of ten.
    Coarse10,
    /// max_capacity 10.
    Tenths,
    /// tenths of grams with jitter.
    Grams,
    /// -3 "some remaining" until empty (0).
    SomeRemaining,
}

/// When the printer is switched off by habit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PowerHabit {
    AlwaysOn,
    NightlyOff,
    NightsAndWeekendsOff,
}

#[derive(Clone, Debug)]
pub struct PrinterTruth {
    pub serial: String,
    pub site: String,
    pub contact: String,
    pub power: PowerHabit,
    pub has_pages: bool,
    pub decommissioned_at: Option<i64>,
    /// Real outages (start, end) in Unix seconds.
    pub outages: Vec<(i64, i64)>,
    /// Usage bursts (start, end).
    pub bursts: Vec<(i64, i64)>,
}

#[derive(Clone, Debug)]
pub struct CartridgeTruth {
    pub printer: String,
    pub supply_index: u32,
    pub style: GaugeStyle,
    pub installed_at: i64,
    /// When the level truly reached zero (None if swapped before or the run ended).
    pub empty_at: Option<i64>,
    /// When it was taken out (None if still installed at the end).
    pub removed_at: Option<i64>,
    pub premature: bool,
    /// Percent left when taken out.
    pub level_left: f64,
}

impl CartridgeTruth {
    /// When the printer took a cartridge from the shelf for this one: when it
    /// ran empty, or when it was taken out early; `None` while still installed.
    pub fn needed_spare_at(&self) -> Option<i64> {
        let removed = self.removed_at?;
        Some(if self.premature {
            removed
        } else {
            self.empty_at.unwrap_or(removed)
        })
    }
}

/// Ground truth of a generated fleet.
#[derive(Clone, Debug, Default)]
pub struct Truth {
    pub start: i64,
    pub end: i64,
    pub printers: Vec<PrinterTruth>,
    pub cartridges: Vec<CartridgeTruth>,
    pub readings: u64,
}

struct SupplySim {
    index: u32,
    kind: &'static str,
    class: &'static str,
    colorant: &'static str,
    style: GaugeStyle,
    /// Percent per page.
    ppp: f64,
    level: f64,
    installed_at: i64,
    premature_at: Option<f64>,
    empty_at: Option<i64>,
    swap_due: Option<i64>,
    /// Replaced the moment it runs out, between two polls: on a "some
    /// remaining" gauge no swap is ever seen (only the page counter knows).
    instant_swap: bool,
}

struct PrinterSim {
    truth: PrinterTruth,
    /// The site works through public holidays and the summer closure.
    no_holidays: bool,
    base_ppd: f64,
    trend_end: f64,
    step_change: Option<(i64, f64)>,
    pages: u64,
    day_pages: f64,
    day: i64,
    supplies: Vec<SupplySim>,
}

/// Models with whether they print colour and the rated black yield in pages
/// (cartridges are model-specific, so a model's yield is shared fleet-wide).
const MODELS: [(&str, bool, f64); 6] = [
    ("LaserJet M404", false, 3000.0),
    ("ECOSYS P2235", false, 7200.0),
    ("\"Color, MFP\" X552", true, 6000.0),
    ("bizhub C250i", true, 10000.0),
    ("Brother HL-L5100", false, 8000.0),
    ("Xerox C410", true, 4500.0),
];

/// The catalogue a supplier would publish for the generated fleet's models:
/// each toner's rated yield (the generator's nominal black yield, for every
/// colour too, as vendors rate colour cartridges at 5 % coverage of that
/// colour), multiplied by `scale` to try a catalogue that is wrong.
pub fn rated_catalog(scale: f64) -> Vec<CatalogLife> {
    MODELS
        .iter()
        .flat_map(|&(model, colour, rated)| {
            let colours: &[&str] = if colour {
                &["black", "cyan", "magenta", "yellow"]
            } else {
                &["black"]
            };
            colours.iter().map(move |c| CatalogLife {
                model: model.to_string(),
                supply_type: "toner".into(),
                colorant: Some((*c).to_string()),
                rated_pages: Some(rated * scale),
                learned_pages: None,
                learned_low: None,
                learned_count: 0,
            })
        })
        .collect()
}

fn is_holiday(t: i64) -> bool {
    let d = to_utc(t);
    use chrono::Datelike;
    let (m, day) = (d.month(), d.day());
    (m == 12 && day >= 24)
        || (m == 1 && day == 1)
        || (m == 5 && day == 1)
        || (m == 7 && day == 14)
        || (m == 8 && (10..=21).contains(&day))
        || (m == 11 && day == 11)
}

fn weekday(t: i64) -> i64 {
    (day_of(t) + 3).rem_euclid(7)
}

fn habit_off(h: PowerHabit, t: i64) -> bool {
    let hour = t.rem_euclid(DAY) / HOUR;
    let night = !(7..19).contains(&hour);
    match h {
        PowerHabit::AlwaysOn => false,
        PowerHabit::NightlyOff => night,
        PowerHabit::NightsAndWeekendsOff => night || weekday(t) >= 5,
    }
}

fn new_cartridge(rng: &mut Rng, s: &mut SupplySim, t: i64) {
    s.level = 100.0;
    s.installed_at = t;
    s.empty_at = None;
    s.swap_due = None;
    // Early swaps: most with plenty left, some with only a little (4-9 %,
    // which the customer guide counts as premature too: "replace only when
    // the printer says empty").
    s.premature_at = (s.class == "consumed" && rng.chance(0.05)).then(|| {
        if rng.chance(0.4) {
            rng.range(4.0, 9.5)
        } else {
            rng.range(20.0, 70.0)
        }
    });
}

fn fmt_time(t: i64) -> String {
    to_utc(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Writes `printers.csv` and `readings.csv` for `spec` and returns the truth.
pub fn generate(
    spec: &FleetSpec,
    mut printers_out: impl Write,
    readings_out: impl Write,
) -> io::Result<Truth> {
    let mut rng = Rng::new(spec.seed);
    let mut out = io::BufWriter::with_capacity(1 << 16, readings_out);
    let end = spec.start + spec.days * DAY;
    let sites = [
        ("site-lyon", vec!["alice.martin", "bruno.petit"]),
        ("site-nantes", vec!["chloe.durand"]),
        ("site-lille", vec!["david.leroy", "emma.moreau"]),
    ];
    let decommissioned = rng.below(spec.printers);
    let mut sims = Vec::with_capacity(spec.printers);
    writeln!(printers_out, "serial,model,site,contact")?;
    for i in 0..spec.printers {
        let (model, color, rated) = MODELS[rng.below(MODELS.len())];
        let (site, contacts) = &sites[i % sites.len()];
        let contact = contacts[rng.below(contacts.len())];
        let serial = format!("SN{:03}X{:04}", spec.seed % 1000, i);
        writeln!(
            printers_out,
            "{serial},\"{}\",{site},{contact}",
            model.replace('"', "\"\"")
        )?;
        let power = match rng.f() {
            x if x < 0.7 || i == decommissioned => PowerHabit::AlwaysOn,
            x if x < 0.85 => PowerHabit::NightlyOff,
            _ => PowerHabit::NightsAndWeekendsOff,
        };
        let style = match rng.f() {
            x if x < 0.45 => GaugeStyle::Fine,
            x if x < 0.6 => GaugeStyle::Coarse10,
            x if x < 0.7 => GaugeStyle::Tenths,
            x if x < 0.82 => GaugeStyle::Grams,
            _ => GaugeStyle::SomeRemaining,
        };
        let has_pages = style == GaugeStyle::SomeRemaining || rng.chance(0.8);
        let base_ppd = (rng.range(15f64.ln(), 300f64.ln())).exp() * spec.usage_factor.max(0.0);
        let yield_pages = rated * rng.range(0.9, 1.1);
        let mut supplies = Vec::new();
        let colors: &[&str] = if color {
            &["black", "cyan", "magenta", "yellow"]
        } else {
            &["black"]
        };
        for (k, c) in colors.iter().enumerate() {
            let share = if k == 0 { 1.0 } else { rng.range(0.25, 0.6) };
            supplies.push(SupplySim {
                index: k as u32 + 1,
                kind: "toner",
                class: "consumed",
                colorant: c,
                style,
                ppp: 100.0 * share / yield_pages,
                level: 0.0,
                installed_at: spec.start,
                premature_at: None,
                empty_at: None,
                swap_due: None,
                instant_swap: style == GaugeStyle::SomeRemaining && i % 2 == 0,
            });
        }
        if rng.chance(0.3) {
            supplies.push(SupplySim {
                index: colors.len() as u32 + 1,
                kind: "wasteToner",
                class: "receptacle",
                colorant: "",
                style: if style == GaugeStyle::SomeRemaining {
                    GaugeStyle::SomeRemaining
                } else {
                    GaugeStyle::Fine
                },
                ppp: 100.0 / rng.range(15000.0, 40000.0),
                level: 0.0,
                installed_at: spec.start,
                premature_at: None,
                empty_at: None,
                swap_due: None,
                instant_swap: style == GaugeStyle::SomeRemaining && i % 2 == 0,
            });
        }
        for s in &mut supplies {
            new_cartridge(&mut rng, s, spec.start);
            s.level = rng.range(5.0, 100.0);
            s.premature_at = None;
        }
        let mut outages = Vec::new();
        let mut t = spec.start + (rng.range(5.0, 120.0) * DAY as f64) as i64;
        while t < end {
            let len = (rng.range(1.6, 6.0) * DAY as f64) as i64;
            if !spec.calm && !spec.without.outages {
                outages.push((t, (t + len).min(end)));
            }
            t += len + (rng.range(60.0, 300.0) * DAY as f64) as i64;
        }
        let mut bursts = Vec::new();
        if rng.chance(0.5) {
            let mut t = spec.start + (rng.range(30.0, 200.0) * DAY as f64) as i64;
            while t < end {
                let t0 = t - t.rem_euclid(DAY) + 7 * HOUR;
                let len = (rng.range(2.0, 5.0).round() as i64) * DAY;
                if !outages
                    .iter()
                    .any(|o: &(i64, i64)| o.0 < t0 + len + DAY && o.1 > t0 - DAY)
                    && !is_holiday(t0)
                    && !spec.calm
                    && !spec.without.bursts
                {
                    bursts.push((t0, t0 + len));
                }
                t += (rng.range(60.0, 200.0) * DAY as f64) as i64;
            }
        }
        let decommissioned_at = (i == decommissioned).then(|| {
            spec.start + (spec.days as f64 * rng.range(0.45, 0.65)) as i64 * DAY + 10 * HOUR
        });
        sims.push(PrinterSim {
            no_holidays: spec.calm || spec.without.holidays,
            truth: PrinterTruth {
                serial,
                site: site.to_string(),
                contact: contact.to_string(),
                power,
                has_pages,
                decommissioned_at,
                outages,
                bursts,
            },
            base_ppd,
            trend_end: if spec.calm {
                rng.range(1.0, 1.0)
            } else {
                rng.range(0.7, 1.4)
            },
            step_change: (rng.chance(0.3) && !spec.calm && !spec.without.step_changes).then(|| {
                (
                    spec.start + (rng.range(60.0, 300.0) * DAY as f64) as i64,
                    if rng.chance(0.5) { 0.5 } else { 1.8 },
                )
            }),
            pages: rng.range(1000.0, 200_000.0) as u64,
            day_pages: 0.0,
            day: i64::MIN,
            supplies,
        });
    }
    writeln!(
        out,
        "observed_at,printer,supply_index,supply_type,supply_class,colorant,unit,max_capacity,level,page_count"
    )?;
    let mut truth = Truth {
        start: spec.start,
        end,
        printers: Vec::new(),
        cartridges: Vec::new(),
        readings: 0,
    };
    let mut t = spec.start;
    while t < end {
        let stamp = fmt_time(t);
        for p in &mut sims {
            step_printer(&mut rng, p, t, spec.poll_secs, &mut truth, &stamp, &mut out)?;
        }
        t += spec.poll_secs;
    }
    for p in &sims {
        for s in &p.supplies {
            truth.cartridges.push(CartridgeTruth {
                printer: p.truth.serial.clone(),
                supply_index: s.index,
                style: s.style,
                installed_at: s.installed_at,
                empty_at: s.empty_at,
                removed_at: None,
                premature: false,
                level_left: s.level,
            });
        }
    }
    truth.printers = sims.into_iter().map(|p| p.truth).collect();
    out.flush()?;
    Ok(truth)
}

fn step_printer(
    rng: &mut Rng,
    p: &mut PrinterSim,
    t: i64,
    dt: i64,
    truth: &mut Truth,
    stamp: &str,
    out: &mut impl Write,
) -> io::Result<()> {
    let gone = p.truth.decommissioned_at.is_some_and(|d| t >= d);
    if gone {
        return Ok(());
    }
    let in_outage = p.truth.outages.iter().any(|o| t >= o.0 && t < o.1);
    let off = habit_off(p.truth.power, t);
    // Pages of the day, decided each morning.
    let day = day_of(t);
    if day != p.day {
        p.day = day;
        let progress = (t - truth.start) as f64 / (truth.end - truth.start) as f64;
        let mut f =
            p.base_ppd * (1.0 + (p.trend_end - 1.0) * progress) * (0.35 * rng.normal()).exp();
        if weekday(t) >= 5 {
            f *= 0.03;
        }
        if is_holiday(t) && !p.no_holidays {
            f *= 0.05;
        }
        if let Some((at, m)) = p.step_change
            && t >= at
        {
            f *= m;
        }
        if p.truth
            .bursts
            .iter()
            .any(|b| t + 12 * HOUR >= b.0 && t < b.1)
        {
            f *= rng.range(4.0, 8.0);
        }
        p.day_pages = f;
    }
    let hour = t.rem_euclid(DAY) / HOUR;
    let pages = if in_outage || off || !(8..18).contains(&hour) {
        0.0
    } else {
        p.day_pages * dt as f64 / (10.0 * HOUR as f64)
    };
    let whole = pages.floor() as u64 + u64::from(rng.f() < pages.fract());
    p.pages += whole;
    for s in &mut p.supplies {
        // Swaps the user does (when the printer is on).
        if let Some(due) = s.swap_due
            && t >= due
            && !in_outage
            && !off
        {
            truth.cartridges.push(CartridgeTruth {
                printer: p.truth.serial.clone(),
                supply_index: s.index,
                style: s.style,
                installed_at: s.installed_at,
                empty_at: s.empty_at,
                removed_at: Some(t),
                premature: s.empty_at.is_none(),
                level_left: s.level,
            });
            new_cartridge(rng, s, t);
        }
        if s.swap_due.is_none() {
            let used = whole as f64 * s.ppp * rng.range(0.8, 1.2);
            let before = s.level;
            s.level = (s.level - used).max(0.0);
            if s.level <= 0.0 && before > 0.0 {
                let frac = if used > 0.0 { before / used } else { 1.0 };
                s.empty_at = Some(t - dt + (frac * dt as f64) as i64);
                s.swap_due = Some(t + (rng.range(0.5, 6.0) * HOUR as f64) as i64);
                if s.instant_swap {
                    truth.cartridges.push(CartridgeTruth {
                        printer: p.truth.serial.clone(),
                        supply_index: s.index,
                        style: s.style,
                        installed_at: s.installed_at,
                        empty_at: s.empty_at,
                        removed_at: s.empty_at,
                        premature: false,
                        level_left: 0.0,
                    });
                    let at = s.empty_at.unwrap_or(t);
                    new_cartridge(rng, s, at);
                    s.premature_at = None;
                }
            } else if let Some(pl) = s.premature_at
                && s.level <= pl
            {
                s.premature_at = None;
                s.swap_due = Some(t + HOUR);
            }
        }
    }
    if in_outage || off || rng.chance(0.02) {
        return Ok(());
    }
    for s in &p.supplies {
        let (unit, max, level) = gauge_value(rng, s, t);
        let pc = if p.truth.has_pages {
            p.pages.to_string()
        } else {
            String::new()
        };
        writeln!(
            out,
            "{stamp},{},{},{},{},{},{unit},{max},{level},{pc}",
            p.truth.serial, s.index, s.kind, s.class, s.colorant
        )?;
        truth.readings += 1;
    }
    Ok(())
}

fn gauge_value(rng: &mut Rng, s: &SupplySim, t: i64) -> (&'static str, i64, i64) {
    let g = rng.f();
    if g < 0.003 {
        return ("percent", 100, -2);
    }
    let settling = if t - s.installed_at < 4 * HOUR {
        3.0
    } else {
        0.0
    };
    let lvl = s.level;
    match s.style {
        _ if g < 0.004 && s.style != GaugeStyle::SomeRemaining => ("percent", 100, 0),
        _ if g < 0.005 && s.style != GaugeStyle::SomeRemaining => ("percent", 100, 100),
        GaugeStyle::Fine => (
            "percent",
            100,
            (lvl - settling + 0.8 * rng.normal())
                .round()
                .clamp(0.0, 100.0) as i64,
        ),
        GaugeStyle::Coarse10 => ("percent", 100, ((lvl / 10.0).ceil() * 10.0) as i64),
        GaugeStyle::Tenths => ("other", 10, (lvl / 10.0).ceil() as i64),
        GaugeStyle::Grams => (
            "tenthsOfGrams",
            4500,
            (lvl * 45.0 + 15.0 * rng.normal())
                .round()
                .clamp(0.0, 4500.0) as i64,
        ),
        GaugeStyle::SomeRemaining => ("percent", 100, if lvl > 0.5 { -3 } else { 0 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_by_seed() {
        let spec = FleetSpec {
            seed: 7,
            printers: 4,
            days: 20,
            ..FleetSpec::default()
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let ta = generate(&spec, io::sink(), &mut a).expect("gen");
        let tb = generate(&spec, io::sink(), &mut b).expect("gen");
        assert_eq!(a, b);
        assert_eq!(ta.readings, tb.readings);
        assert!(ta.readings > 1000);
    }

    #[test]
    fn a_surprise_left_out_changes_only_that_surprise() {
        let spec = FleetSpec {
            seed: 3,
            printers: 12,
            days: 365,
            poll_secs: 6 * HOUR,
            ..FleetSpec::default()
        };
        let all = generate(&spec, io::sink(), io::sink()).expect("gen");
        assert!(all.printers.iter().any(|p| !p.bursts.is_empty()));
        let without = FleetSpec {
            without: "bursts, outages".parse().expect("known names"),
            ..spec.clone()
        };
        let calmer = generate(&without, io::sink(), io::sink()).expect("gen");
        for (a, b) in all.printers.iter().zip(&calmer.printers) {
            assert!(b.bursts.is_empty() && b.outages.is_empty());
            assert_eq!(
                (&a.serial, a.power, a.has_pages),
                (&b.serial, b.power, b.has_pages)
            );
        }
        let bad = "bursts,sunspots".parse::<Surprises>();
        assert!(bad.is_err_and(|e| e.contains("sunspots")));
    }
}
