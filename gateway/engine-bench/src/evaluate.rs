//! Scoring: replays generated fleets through the engine and through a naive
//! baseline (one cartridge per supply when its gauge first reads 20 % or less, no
//! consolidation) on the same bytes, and scores both against the ground truth.
//!
//! Supply is simulated open-loop: the readings do not depend on the policy, so a
//! swap in the data is a stockout when the policy had no spare delivered on site
//! by the moment the cartridge truly ran empty. The first week is warm-up (no
//! policy can deliver before its lead time) and is not scored.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead};
use std::time::Instant;

use crate::fleetgen::{FleetSpec, GaugeStyle, Truth, generate};
use asr_engine::clock::{DAY, HOUR};
use asr_engine::decision::{AlertKind, Decision};
use asr_engine::replay::{self, ReplayOptions};
use asr_engine::stats::median;

/// Scores of one policy on one or more fleets.
#[derive(Clone, Debug, Default)]
pub struct PolicyScore {
    pub replacements: u64,
    pub stockouts: u64,
    /// Stockouts of supplies whose gauge only says "some remaining".
    pub stockouts_some_remaining: u64,
    /// The longest a supply stayed out of stock (until the next delivery).
    pub longest_stockout_days: f64,
    /// Which supply that was.
    pub longest_stockout: String,
    /// Order lines whose pessimistic empty date could be checked against the truth.
    pub pessimistic_scored: u64,
    /// … of which the true empty came no earlier than the bound.
    pub pessimistic_held: u64,
    /// Order lines marked express.
    pub express_lines: u64,
    /// Stockouts had the express lines travelled at the normal lead time.
    pub stockouts_without_express: u64,
    /// Stockouts within the lead time of the start of a burst of printing: no
    /// order placed once the burst began could have arrived in time, so only
    /// stock already on the shelf (or knowing the future) avoids them.
    pub stockouts_in_burst: u64,
    pub shipments: u64,
    /// Shipments and scored replacements after the first four weeks: the
    /// steady state, without the one-off stocking of a site just met.
    pub shipments_settled: u64,
    pub replacements_settled: u64,
    pub cartridges_ordered: u64,
    /// Order lines, and those without a median forecast (nothing learned yet
    /// about the cartridge's life): these are left out of the forecast error.
    pub lines: u64,
    pub lines_without_median: u64,
    pub spares_unused: u64,
    /// Unused spares of supplies whose gauge only says "some remaining".
    pub spares_unused_some_remaining: u64,
    pub shelf_days: Vec<f64>,
    pub forecast_errors: Vec<f64>,
    pub outages: u64,
    pub outages_alerted: u64,
    pub false_silent: u64,
    pub printer_months: f64,
    pub premature_true: u64,
    pub premature_found: u64,
    pub premature_alerts: u64,
    pub premature_alerts_right: u64,
    pub bursts: u64,
    pub bursts_found: u64,
    pub spike_alerts: u64,
    pub spike_alerts_right: u64,
    pub decommissioned_orders: u64,
    pub readings: u64,
    pub seconds: f64,
    /// One line per stockout (printer, supply, time), for diagnosis.
    pub stockout_details: Vec<String>,
    pub unused_details: Vec<String>,
    /// Per forecast scored: (days ahead it predicted, signed error in days, gauge).
    pub error_details: Vec<(f64, f64, GaugeStyle)>,
}

/// Time after the start from which shipments count as the steady state.
const SETTLED_AFTER: i64 = 28 * DAY;

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

impl PolicyScore {
    fn add(&mut self, o: PolicyScore) {
        self.replacements += o.replacements;
        self.stockouts += o.stockouts;
        self.pessimistic_scored += o.pessimistic_scored;
        self.stockouts_some_remaining += o.stockouts_some_remaining;
        if o.longest_stockout_days > self.longest_stockout_days {
            self.longest_stockout_days = o.longest_stockout_days;
            self.longest_stockout = o.longest_stockout;
        }
        self.pessimistic_held += o.pessimistic_held;
        self.express_lines += o.express_lines;
        self.stockouts_without_express += o.stockouts_without_express;
        self.stockouts_in_burst += o.stockouts_in_burst;
        self.shipments += o.shipments;
        self.shipments_settled += o.shipments_settled;
        self.replacements_settled += o.replacements_settled;
        self.cartridges_ordered += o.cartridges_ordered;
        self.lines += o.lines;
        self.lines_without_median += o.lines_without_median;
        self.spares_unused += o.spares_unused;
        self.spares_unused_some_remaining += o.spares_unused_some_remaining;
        self.shelf_days.extend(o.shelf_days);
        self.forecast_errors.extend(o.forecast_errors);
        self.outages += o.outages;
        self.outages_alerted += o.outages_alerted;
        self.false_silent += o.false_silent;
        self.printer_months += o.printer_months;
        self.premature_true += o.premature_true;
        self.premature_found += o.premature_found;
        self.premature_alerts += o.premature_alerts;
        self.premature_alerts_right += o.premature_alerts_right;
        self.bursts += o.bursts;
        self.bursts_found += o.bursts_found;
        self.spike_alerts += o.spike_alerts;
        self.spike_alerts_right += o.spike_alerts_right;
        self.decommissioned_orders += o.decommissioned_orders;
        self.readings += o.readings;
        self.seconds += o.seconds;
        self.stockout_details.extend(o.stockout_details);
        self.unused_details.extend(o.unused_details);
        self.error_details.extend(o.error_details);
    }
    pub fn stockout_rate(&self) -> f64 {
        ratio(self.stockouts, self.replacements)
    }
    pub fn shipments_per_replacement(&self) -> f64 {
        ratio(self.shipments, self.replacements)
    }
    pub fn settled_shipments_per_replacement(&self) -> f64 {
        ratio(self.shipments_settled, self.replacements_settled)
    }
    pub fn unused_rate(&self) -> f64 {
        ratio(self.spares_unused, self.cartridges_ordered)
    }
    pub fn median_shelf_days(&self) -> Option<f64> {
        median(&self.shelf_days)
    }
    pub fn median_forecast_error(&self) -> Option<f64> {
        median(&self.forecast_errors)
    }
    pub fn silent_recall(&self) -> f64 {
        ratio(self.outages_alerted, self.outages)
    }
    pub fn false_silent_per_printer_month(&self) -> f64 {
        if self.printer_months > 0.0 {
            self.false_silent as f64 / self.printer_months
        } else {
            0.0
        }
    }
    pub fn premature_recall(&self) -> f64 {
        ratio(self.premature_found, self.premature_true)
    }
    pub fn premature_precision(&self) -> f64 {
        ratio(self.premature_alerts_right, self.premature_alerts)
    }
    pub fn burst_recall(&self) -> f64 {
        ratio(self.bursts_found, self.bursts)
    }
    pub fn readings_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.readings as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Engine and baseline side by side.
#[derive(Clone, Debug, Default)]
pub struct BenchReport {
    pub seeds: Vec<u64>,
    pub printers: usize,
    pub days: i64,
    pub engine: PolicyScore,
    pub naive: PolicyScore,
    /// A policy that knows every true swap date (the floor for shipments).
    pub clairvoyant: PolicyScore,
}

/// Score one policy's decisions (JSON lines) against the truth.
pub fn score(
    truth: &Truth,
    decisions: &[u8],
    (lead_days, express_days): (f64, Option<f64>),
    silent_after: i64,
) -> io::Result<PolicyScore> {
    let mut s = PolicyScore::default();
    let lead = (lead_days * DAY as f64) as i64;
    // Express lines arrive after the express lead time when the supplier
    // honours them (`None`: everything travels at the normal lead time).
    let express = express_days.map_or(lead, |d| ((d * DAY as f64) as i64).min(lead));
    // Swaps before any policy could have had goods on site (a day to meet the
    // site, then the lead time), and in the first week, are not scored.
    let warmup = truth.start + (7 * DAY).max(DAY + lead + DAY);
    let settled = truth.start + SETTLED_AFTER;
    // Deliveries per (printer, supply): (time, quantity).
    let mut deliveries: HashMap<(String, u32), Vec<(i64, u32)>> = HashMap::new();
    let mut alerts = Vec::new();
    let mut predictions = Vec::new();
    let mut pessimistic = Vec::new();
    for line in decisions.lines() {
        let line = line?;
        let d: Decision = serde_json::from_str(&line).map_err(io::Error::other)?;
        match d {
            Decision::Order(o) => {
                s.shipments += 1;
                let at = o.created_at.timestamp();
                if at >= settled {
                    s.shipments_settled += 1;
                }
                for l in o.lines {
                    s.cartridges_ordered += u64::from(l.quantity);
                    s.lines += 1;
                    let delay = if l.priority.is_some() {
                        s.express_lines += 1;
                        express
                    } else {
                        lead
                    };
                    if l.predicted_empty_at.is_none() {
                        s.lines_without_median += 1;
                    }
                    deliveries
                        .entry((l.printer.clone(), l.supply_index))
                        .or_default()
                        .push((at + delay, l.quantity));
                    if let Some(p) = l.predicted_empty_at {
                        predictions.push((l.printer.clone(), l.supply_index, at, p.timestamp()));
                    }
                    if let Some(p) = l.pessimistic_empty_at {
                        pessimistic.push((l.printer.clone(), l.supply_index, at, p.timestamp()));
                    }
                    if truth.printers.iter().any(|p| {
                        p.serial == l.printer && p.decommissioned_at.is_some_and(|d| at > d)
                    }) {
                        s.decommissioned_orders += 1;
                    }
                }
            }
            Decision::Alert(a) => alerts.push(a),
        }
    }
    // Inventory walk per supply: deliveries fill the shelf, swaps take from it.
    let mut swaps: HashMap<(String, u32), Vec<(i64, bool)>> = HashMap::new();
    for c in &truth.cartridges {
        let Some(at) = c.needed_spare_at() else {
            continue;
        };
        swaps
            .entry((c.printer.clone(), c.supply_index))
            .or_default()
            .push((at, c.premature));
    }
    let mut keys: Vec<_> = swaps.keys().chain(deliveries.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let mut ev: Vec<(i64, i32, u32)> = Vec::new(); // (time, 0 = delivery first, qty)
        for &(t, q) in deliveries.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
            ev.push((t, 0, q));
        }
        for &(t, premature) in swaps.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
            ev.push((t, if premature { 2 } else { 1 }, 0));
        }
        ev.sort();
        let mut shelf: Vec<i64> = Vec::new();
        let mut owed: Option<i64> = None;
        // A stockout lasts until the next delivery (or the end of the run).
        let mut out_since: Option<i64> = None;
        let some_remaining = truth.cartridges.iter().any(|c| {
            c.printer == key.0 && c.supply_index == key.1 && c.style == GaugeStyle::SomeRemaining
        });
        for (t, kind, q) in ev {
            match kind {
                0 => {
                    if let Some(since) = out_since.take() {
                        let days = (t - since) as f64 / DAY as f64;
                        if days > s.longest_stockout_days {
                            s.longest_stockout_days = days;
                            s.longest_stockout = format!("{} supply {}", key.0, key.1);
                        }
                    }
                    for _ in 0..q {
                        if let Some(o) = owed.take()
                            && t - o <= 14 * DAY
                        {
                            s.shelf_days.push(0.0);
                            continue;
                        }
                        shelf.push(t);
                    }
                }
                _ => {
                    let scored = t >= warmup;
                    if scored {
                        s.replacements += 1;
                    }
                    if t >= settled {
                        s.replacements_settled += 1;
                    }
                    if shelf.is_empty() {
                        // The swap took a cartridge from elsewhere: the next
                        // delivery replaces it rather than waiting on the shelf,
                        // warm-up or not.
                        if kind == 1 {
                            owed = Some(t);
                        }
                        if kind == 1 && scored {
                            s.stockouts += 1;
                            out_since.get_or_insert(t);
                            if some_remaining {
                                s.stockouts_some_remaining += 1;
                            }
                            if truth.printers.iter().any(|p| {
                                p.serial == key.0
                                    && p.bursts.iter().any(|b| b.0 <= t && t - b.0 < lead)
                            }) {
                                s.stockouts_in_burst += 1;
                            }
                            s.stockout_details.push(format!(
                                "{} supply {}{} empty at {}",
                                key.0,
                                key.1,
                                if some_remaining {
                                    " (some remaining)"
                                } else {
                                    ""
                                },
                                asr_engine::clock::to_utc(t)
                            ));
                        }
                    } else {
                        let d = shelf.remove(0);
                        s.shelf_days.push((t - d) as f64 / DAY as f64);
                    }
                }
            }
        }
        if let Some(since) = out_since {
            let days = (truth.end - since) as f64 / DAY as f64;
            if days > s.longest_stockout_days {
                s.longest_stockout_days = days;
                s.longest_stockout = format!("{} supply {} (never delivered again)", key.0, key.1);
            }
        }
        let decommissioned = truth
            .printers
            .iter()
            .any(|p| p.serial == key.0 && p.decommissioned_at.is_some());
        for d in shelf
            .iter()
            .filter(|&&d| decommissioned || truth.end - d > 60 * DAY)
        {
            s.spares_unused += 1;
            if some_remaining {
                s.spares_unused_some_remaining += 1;
            }
            s.unused_details.push(format!(
                "{} supply {} delivered {}",
                key.0,
                key.1,
                asr_engine::clock::to_utc(*d)
            ));
        }
    }
    // Forecast error against the true empty time of the cartridge then installed.
    for (printer, idx, at, pred) in predictions {
        let c = truth.cartridges.iter().find(|c| {
            c.printer == printer
                && c.supply_index == idx
                && c.installed_at <= at
                && c.removed_at.is_none_or(|r| r > at)
        });
        if let Some(c) = c
            && !c.premature
            && let Some(e) = c.empty_at
        {
            s.forecast_errors.push((pred - e).abs() as f64 / DAY as f64);
            s.error_details.push((
                (pred - at) as f64 / DAY as f64,
                (pred - e) as f64 / DAY as f64,
                c.style,
            ));
        }
    }
    // How often the pessimistic bound came before the truth (its coverage).
    for (printer, idx, at, bound) in pessimistic {
        let c = truth.cartridges.iter().find(|c| {
            c.printer == printer
                && c.supply_index == idx
                && c.installed_at <= at
                && c.removed_at.is_none_or(|r| r > at)
        });
        if let Some(c) = c
            && !c.premature
            && let Some(e) = c.empty_at
        {
            s.pessimistic_scored += 1;
            if bound <= e {
                s.pessimistic_held += 1;
            }
        }
    }
    // Silence.
    let run_months = (truth.end - truth.start) as f64 / (30.44 * DAY as f64);
    s.printer_months = run_months * truth.printers.len() as f64;
    for p in &truth.printers {
        let mine: Vec<_> = alerts.iter().filter(|a| a.printer == p.serial).collect();
        let mut windows: Vec<(i64, i64)> = p.outages.clone();
        if let Some(d) = p.decommissioned_at {
            windows.retain(|w| w.0 < d);
            windows.push((d, truth.end + DAY));
        }
        for w in &windows {
            if w.1 - w.0 >= silent_after + 12 * HOUR {
                s.outages += 1;
                if mine.iter().any(|a| {
                    a.kind == AlertKind::PrinterSilent
                        && a.at.timestamp() >= w.0
                        && a.at.timestamp() <= w.1 + HOUR
                }) {
                    s.outages_alerted += 1;
                }
            }
        }
        s.false_silent += mine
            .iter()
            .filter(|a| {
                a.kind == AlertKind::PrinterSilent
                    && !windows
                        .iter()
                        .any(|w| a.at.timestamp() >= w.0 && a.at.timestamp() <= w.1 + HOUR)
            })
            .count() as u64;
        for b in &p.bursts {
            s.bursts += 1;
            if mine.iter().any(|a| {
                a.kind == AlertKind::UsageSpike
                    && a.at.timestamp() >= b.0
                    && a.at.timestamp() <= b.1 + DAY
            }) {
                s.bursts_found += 1;
            }
        }
        let spikes: Vec<_> = mine
            .iter()
            .filter(|a| a.kind == AlertKind::UsageSpike)
            .collect();
        s.spike_alerts += spikes.len() as u64;
        s.spike_alerts_right += spikes
            .iter()
            .filter(|a| {
                p.bursts
                    .iter()
                    .any(|b| a.at.timestamp() >= b.0 && a.at.timestamp() <= b.1 + DAY)
            })
            .count() as u64;
    }
    // Premature swaps (undetectable on "some remaining" gauges, so not counted there).
    let prem: Vec<_> = truth
        .cartridges
        .iter()
        .filter(|c| c.premature && c.style != GaugeStyle::SomeRemaining && c.removed_at.is_some())
        .collect();
    s.premature_true = prem.len() as u64;
    let near = |a: &asr_engine::decision::Alert, c: &crate::fleetgen::CartridgeTruth| {
        a.printer == c.printer
            && a.supply_index == Some(c.supply_index)
            && c.removed_at
                .is_some_and(|r| (a.at.timestamp() - r).abs() <= 3 * DAY)
    };
    let pa: Vec<_> = alerts
        .iter()
        .filter(|a| a.kind == AlertKind::PrematureReplacement)
        .collect();
    s.premature_found = prem
        .iter()
        .filter(|c| pa.iter().any(|a| near(a, c)))
        .count() as u64;
    s.premature_alerts = pa.len() as u64;
    s.premature_alerts_right = pa
        .iter()
        .filter(|a| prem.iter().any(|c| near(a, c)))
        .count() as u64;
    Ok(s)
}

/// The naive policy: order one cartridge per supply when its gauge first reads
/// 20 % or less; rearm after a new cartridge (80 % or more twice in a row, once
/// the level had really gone below half). No consolidation, no forecast.
pub fn naive(readings: impl BufRead, out: &mut Vec<u8>) -> io::Result<u64> {
    // (armed, previous reading was high, a reading of half or less was seen):
    // rearming needs two high readings in a row after a low one, so a glitch
    // (a single 100, or a 0 that triggered an order) does not fake a new cartridge.
    let mut armed: HashMap<(String, u32), (bool, bool, bool)> = HashMap::new();
    let mut n = 0u64;
    let mut seq = 0u64;
    for (i, line) in readings.lines().enumerate() {
        let line = line?;
        if i == 0 {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 10 {
            continue;
        }
        n += 1;
        let (Ok(idx), Ok(max), Ok(level)) = (
            f[2].parse::<u32>(),
            f[7].parse::<i64>(),
            f[8].parse::<i64>(),
        ) else {
            continue;
        };
        if level < 0 || max <= 0 {
            continue;
        }
        let pct = level as f64 * 100.0 / max as f64;
        let a = armed
            .entry((f[1].to_string(), idx))
            .or_insert((true, false, false));
        if pct >= 80.0 {
            if a.1 && a.2 {
                a.0 = true;
                a.2 = false;
            }
            a.1 = true;
            continue;
        }
        a.1 = false;
        if pct <= 50.0 && pct > 0.0 {
            a.2 = true;
        }
        if pct <= 20.0 && a.0 {
            a.0 = false;
            seq += 1;
            let o = serde_json::json!({
                "type": "order", "order_id": format!("naive-{seq}"), "created_at": f[0],
                "site": "", "contact": "",
                "lines": [{"printer": f[1], "supply_index": idx, "supply_type": f[3],
                           "colorant": if f[5].is_empty() { None } else { Some(f[5]) },
                           "quantity": 1, "predicted_empty_at": null}]
            });
            serde_json::to_writer(&mut *out, &o).map_err(io::Error::other)?;
            out.push(b'\n');
        }
    }
    Ok(n)
}

/// A swap that needs a cartridge on site: (time, printer, supply index).
type Need<'a> = (i64, &'a str, u32);

/// The clairvoyant reference: knows when every cartridge will need replacing,
/// ships for a site and contact `horizon_days` before the first uncovered need,
/// and puts on that shipment every need of the pair within the next
/// `supply_days`. No forecasting policy can ship fewer parcels for the same
/// promise, so it calibrates what "few shipments" means on a given fleet.
pub fn clairvoyant(
    truth: &Truth,
    horizon_days: f64,
    supply_days: f64,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    let horizon = (horizon_days * DAY as f64) as i64;
    let window = (supply_days * DAY as f64) as i64;
    // Needs per (site, contact): (time, printer, supply).
    let mut groups: std::collections::BTreeMap<(&str, &str), Vec<Need<'_>>> =
        std::collections::BTreeMap::new();
    for c in &truth.cartridges {
        let Some(at) = c.needed_spare_at() else {
            continue;
        };
        if let Some(p) = truth.printers.iter().find(|p| p.serial == c.printer) {
            groups
                .entry((p.site.as_str(), p.contact.as_str()))
                .or_default()
                .push((at, c.printer.as_str(), c.supply_index));
        }
    }
    let mut orders = Vec::new();
    for ((site, contact), mut needs) in groups {
        needs.sort();
        let mut i = 0;
        while i < needs.len() {
            let first = needs[i].0;
            let at = (first - horizon).max(truth.start);
            let mut lines: Vec<(&str, u32, u32)> = Vec::new();
            while i < needs.len() && needs[i].0 < first + window {
                let (_, printer, idx) = needs[i];
                match lines.iter_mut().find(|l| l.0 == printer && l.1 == idx) {
                    Some(l) => l.2 += 1,
                    None => lines.push((printer, idx, 1)),
                }
                i += 1;
            }
            orders.push((at, site, contact, lines));
        }
    }
    orders.sort_by_key(|o| o.0);
    for (n, (at, site, contact, lines)) in orders.into_iter().enumerate() {
        let lines: Vec<serde_json::Value> = lines
            .into_iter()
            .map(|(printer, idx, q)| {
                serde_json::json!({"printer": printer, "supply_index": idx,
                    "supply_type": "toner", "colorant": null, "quantity": q,
                    "predicted_empty_at": null})
            })
            .collect();
        let o = serde_json::json!({
            "type": "order", "order_id": format!("clairvoyant-{n}"),
            "created_at": asr_engine::clock::to_utc(at), "site": site, "contact": contact,
            "lines": lines,
        });
        serde_json::to_writer(&mut *out, &o).map_err(io::Error::other)?;
        out.push(b'\n');
    }
    Ok(())
}

/// Generate the fleet of each seed, replay it through the engine and the naive
/// baseline, and score both.
pub fn benchmark(seeds: &[u64]) -> BenchReport {
    benchmark_with(seeds, &FleetSpec::default(), &ReplayOptions::default())
}

pub fn benchmark_with(seeds: &[u64], base: &FleetSpec, opts: &ReplayOptions) -> BenchReport {
    let mut r = BenchReport {
        seeds: seeds.to_vec(),
        printers: base.printers,
        days: base.days,
        ..BenchReport::default()
    };
    for &seed in seeds {
        let spec = FleetSpec {
            seed,
            ..base.clone()
        };
        let mut printers = Vec::new();
        let mut readings = Vec::new();
        let Ok(truth) = generate(&spec, &mut printers, &mut readings) else {
            continue;
        };
        let mut out = Vec::new();
        let started = Instant::now();
        let stats = replay::run(&printers[..], &readings[..], opts, &mut out, io::sink());
        let seconds = started.elapsed().as_secs_f64();
        let Ok(stats) = stats else { continue };
        let lead = opts.config.lead_time_days;
        let silent = opts.config.silent_after_secs;
        let express = Some(opts.config.express_lead_time_days);
        if let Ok(mut s) = score(&truth, &out, (lead, express), silent) {
            s.readings = stats.readings;
            s.seconds = seconds;
            // The same decisions with express lines shipped like the rest:
            // the stockouts express shipping avoided.
            if let Ok(normal) = score(&truth, &out, (lead, None), silent) {
                s.stockouts_without_express = normal.stockouts;
            }
            r.engine.add(s);
        }
        let mut naive_out = Vec::new();
        if naive(&readings[..], &mut naive_out).is_ok()
            && let Ok(s) = score(&truth, &naive_out, (lead, None), silent)
        {
            r.naive.add(s);
        }
        let mut best = Vec::new();
        if clairvoyant(
            &truth,
            opts.config.horizon_days,
            opts.config.supply_days,
            &mut best,
        )
        .is_ok()
            && let Ok(s) = score(&truth, &best, (lead, None), silent)
        {
            r.clairvoyant.add(s);
        }
    }
    r
}

fn opt(v: Option<f64>) -> String {
    v.map_or("n/a".to_string(), |x| format!("{x:.1}"))
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (e, n, c) = (&self.engine, &self.naive, &self.clairvoyant);
        writeln!(
            f,
            "fleets: seeds {:?}, {} printers x {} days each",
            self.seeds, self.printers, self.days
        )?;
        writeln!(
            f,
            "{:<44} {:>12} {:>12} {:>12} {:>10}",
            "metric", "engine", "naive", "clairvoyant", "target"
        )?;
        let row = |f: &mut fmt::Formatter<'_>, m: &str, a: String, b: String, t: &str| {
            writeln!(f, "{m:<44} {a:>12} {b:>12} {:>12} {t:>10}", "")
        };
        let row3 =
            |f: &mut fmt::Formatter<'_>, m: &str, a: String, b: String, x: String, t: &str| {
                writeln!(f, "{m:<44} {a:>12} {b:>12} {x:>12} {t:>10}")
            };
        row3(
            f,
            "replacements scored",
            e.replacements.to_string(),
            n.replacements.to_string(),
            c.replacements.to_string(),
            "",
        )?;
        row3(
            f,
            "stockouts per replacement",
            format!("{:.2}%", 100.0 * e.stockout_rate()),
            format!("{:.2}%", 100.0 * n.stockout_rate()),
            format!("{:.2}%", 100.0 * c.stockout_rate()),
            "<= 0.5%",
        )?;
        row3(
            f,
            "  of which within lead time of a burst",
            format!("{}/{}", e.stockouts_in_burst, e.stockouts),
            format!("{}/{}", n.stockouts_in_burst, n.stockouts),
            format!("{}/{}", c.stockouts_in_burst, c.stockouts),
            "",
        )?;
        row3(
            f,
            "  of which on \"some remaining\" supplies",
            e.stockouts_some_remaining.to_string(),
            n.stockouts_some_remaining.to_string(),
            c.stockouts_some_remaining.to_string(),
            "0",
        )?;
        row3(
            f,
            "  longest single stockout (days)",
            format!("{:.1}", e.longest_stockout_days),
            format!("{:.1}", n.longest_stockout_days),
            format!("{:.1}", c.longest_stockout_days),
            "<= 10",
        )?;
        row(
            f,
            "express lines (of order lines)",
            format!("{}/{}", e.express_lines, e.lines),
            "-".into(),
            "",
        )?;
        row(
            f,
            "  stockouts had they gone at normal speed",
            e.stockouts_without_express.to_string(),
            "-".into(),
            "",
        )?;
        row3(
            f,
            "shipments per replacement",
            format!("{:.3}", e.shipments_per_replacement()),
            format!("{:.3}", n.shipments_per_replacement()),
            format!("{:.3}", c.shipments_per_replacement()),
            "<= 0.25",
        )?;
        row3(
            f,
            "  after the first four weeks",
            format!("{:.3}", e.settled_shipments_per_replacement()),
            format!("{:.3}", n.settled_shipments_per_replacement()),
            format!("{:.3}", c.settled_shipments_per_replacement()),
            "",
        )?;
        row3(
            f,
            "median spare shelf time (days)",
            opt(e.median_shelf_days()),
            opt(n.median_shelf_days()),
            opt(c.median_shelf_days()),
            "<= 35",
        )?;
        row3(
            f,
            "spares never used (of cartridges ordered)",
            format!("{:.2}%", 100.0 * e.unused_rate()),
            format!("{:.2}%", 100.0 * n.unused_rate()),
            format!("{:.2}%", 100.0 * c.unused_rate()),
            "<= 1%",
        )?;
        row(
            f,
            "median |P50 error| at order time (days)",
            opt(e.median_forecast_error()),
            opt(n.median_forecast_error()),
            "<= 3",
        )?;
        row(
            f,
            "pessimistic bound no later than the truth",
            format!(
                "{:.1}% ({}/{})",
                100.0 * ratio(e.pessimistic_held, e.pessimistic_scored),
                e.pessimistic_held,
                e.pessimistic_scored
            ),
            "-".into(),
            ">= 90%",
        )?;
        row(
            f,
            "order lines without a median forecast",
            format!("{}/{}", e.lines_without_median, e.lines),
            "-".into(),
            "",
        )?;
        row(
            f,
            "silent-printer recall",
            format!(
                "{:.3} ({}/{})",
                e.silent_recall(),
                e.outages_alerted,
                e.outages
            ),
            "-".into(),
            ">= 0.95",
        )?;
        row(
            f,
            "false silent alerts per printer-month",
            format!("{:.3}", e.false_silent_per_printer_month()),
            "-".into(),
            "<= 0.05",
        )?;
        row(
            f,
            "premature-swap recall",
            format!("{:.3}", e.premature_recall()),
            "-".into(),
            ">= 0.9",
        )?;
        row(
            f,
            "premature-swap precision",
            format!("{:.3}", e.premature_precision()),
            "-".into(),
            ">= 0.9",
        )?;
        row(
            f,
            "burst recall",
            format!("{:.3} ({}/{})", e.burst_recall(), e.bursts_found, e.bursts),
            "-".into(),
            ">= 0.8",
        )?;
        row(
            f,
            "usage spike precision",
            format!(
                "{:.3} ({}/{})",
                ratio(e.spike_alerts_right, e.spike_alerts),
                e.spike_alerts_right,
                e.spike_alerts
            ),
            "-".into(),
            "",
        )?;
        row(
            f,
            "orders for decommissioned printer",
            e.decommissioned_orders.to_string(),
            n.decommissioned_orders.to_string(),
            "0",
        )?;
        row(
            f,
            "replay speed (readings/s)",
            format!("{:.0}", e.readings_per_second()),
            "-".into(),
            ">= 500000",
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleetgen::{CartridgeTruth, PowerHabit, PrinterTruth};

    fn cartridge(installed_at: i64, empty_at: i64) -> CartridgeTruth {
        CartridgeTruth {
            printer: "A".into(),
            supply_index: 1,
            style: GaugeStyle::Fine,
            installed_at,
            empty_at: Some(empty_at),
            removed_at: Some(empty_at + HOUR),
            premature: false,
            level_left: 0.0,
        }
    }

    #[test]
    fn stockouts_in_the_lead_time_of_a_burst_are_told_apart() {
        let start = 1_735_689_600;
        let burst = start + 40 * DAY;
        let truth = Truth {
            start,
            end: start + 200 * DAY,
            printers: vec![PrinterTruth {
                serial: "A".into(),
                site: "s".into(),
                contact: "c".into(),
                power: PowerHabit::AlwaysOn,
                has_pages: true,
                decommissioned_at: None,
                outages: Vec::new(),
                bursts: vec![(burst, burst + 3 * DAY)],
            }],
            cartridges: vec![
                // Two days into the burst, then 20 days after it: no spare for either.
                cartridge(start, burst + 2 * DAY),
                cartridge(burst + 2 * DAY, burst + 23 * DAY),
            ],
            readings: 0,
        };
        let s = score(&truth, b"", (5.0, None), DAY).expect("scored");
        assert_eq!((s.stockouts, s.stockouts_in_burst), (2, 1));
    }
}
