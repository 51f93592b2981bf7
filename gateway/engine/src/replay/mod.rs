//! CSV replay: streams a fleet's printers and readings through the engine with a
//! simulated clock (ticks follow the readings; orders are delivered after the
//! lead time) and writes decisions as JSON lines. Memory stays flat: rows are
//! parsed in place from one buffer and never collected.

mod csv;
mod time;

use std::collections::VecDeque;
use std::io::{self, BufRead, BufWriter, Write};

use serde::{Deserialize, Serialize};

use crate::catalog::CatalogLife;
use crate::clock::{HOUR, to_utc};
use crate::config::EngineConfig;
use crate::decision::Decision;
use crate::engine::{Engine, ReadingRef};
use crate::event::Event;
use csv::CsvReader;
pub(crate) use time::parse_rfc3339;

/// Columns of `printers.csv` (an optional `excluded` column may follow).
pub const PRINTER_COLUMNS: [&str; 4] = ["serial", "model", "site", "contact"];
/// Columns of `readings.csv`.
pub const READING_COLUMNS: [&str; 10] = [
    "observed_at",
    "printer",
    "supply_index",
    "supply_type",
    "supply_class",
    "colorant",
    "unit",
    "max_capacity",
    "level",
    "page_count",
];

/// How to replay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayOptions {
    /// Engine configuration; its `lead_time_days` also sets the simulated delivery delay.
    pub config: EngineConfig,
    /// Simulated clock step between ticks, in seconds.
    pub tick_secs: i64,
    /// The supplier catalogue the engine starts with (none by default).
    #[serde(default)]
    pub catalog: Vec<CatalogLife>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            config: EngineConfig::default(),
            tick_secs: HOUR,
            catalog: Vec::new(),
        }
    }
}

/// What a replay did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayStats {
    pub printers: u64,
    pub readings: u64,
    pub bad_rows: u64,
    pub orders: u64,
    pub order_lines: u64,
    pub alerts: u64,
    pub deliveries: u64,
    /// Order lines marked `express` (delivered after the express lead time).
    #[serde(default)]
    pub express_lines: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    #[error("{file}: missing column `{column}` in header (found: {found})")]
    MissingColumn {
        file: &'static str,
        column: &'static str,
        found: String,
    },
    #[error("{file}: empty file, expected a header line")]
    Empty { file: &'static str },
    #[error("cannot encode decision: {0}")]
    Json(#[from] serde_json::Error),
}

/// Map each expected column to its position in the header.
fn header<R: BufRead, const N: usize>(
    r: &mut CsvReader<R>,
    file: &'static str,
    cols: [&'static str; N],
) -> Result<[usize; N], ReplayError> {
    if !r.next_record()? {
        return Err(ReplayError::Empty { file });
    }
    let names: Vec<String> = (0..r.len())
        .map(|i| {
            String::from_utf8_lossy(r.field(i))
                .trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase()
        })
        .collect();
    let mut pos = [0usize; N];
    for (k, c) in cols.iter().enumerate() {
        pos[k] = names
            .iter()
            .position(|n| n == c)
            .ok_or_else(|| ReplayError::MissingColumn {
                file,
                column: c,
                found: names.join(","),
            })?;
    }
    Ok(pos)
}

fn text(b: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(b)
        .map(str::trim)
        .map_err(|_| "not UTF-8".to_string())
}

fn int<T: std::str::FromStr>(b: &[u8], what: &str) -> Result<T, String> {
    let s = text(b)?;
    s.parse()
        .map_err(|_| format!("{what}: not an integer: {s:?}"))
}

/// Replays a fleet; see the module docs. Decisions go to `out`, problems with
/// individual rows to `diag` (with line numbers), fatal problems are errors.
pub fn run(
    printers: impl BufRead,
    readings: impl BufRead,
    opts: &ReplayOptions,
    out: impl Write,
    diag: impl Write,
) -> Result<ReplayStats, ReplayError> {
    let mut engine = Engine::new(opts.config.clone());
    run_with(&mut engine, printers, readings, opts, out, diag)
}

/// As [`run`], on a caller-owned engine (to inspect it afterwards).
pub fn run_with(
    engine: &mut Engine,
    printers: impl BufRead,
    readings: impl BufRead,
    opts: &ReplayOptions,
    out: impl Write,
    diag: impl Write,
) -> Result<ReplayStats, ReplayError> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let mut diag = BufWriter::new(diag);
    let mut stats = ReplayStats::default();
    load_printers(engine, printers, &mut diag, &mut stats)?;
    if !opts.catalog.is_empty() {
        engine.handle(Event::CatalogChanged {
            entries: opts.catalog.clone(),
        });
    }

    let mut r = CsvReader::new(readings);
    let col = header(&mut r, "readings.csv", READING_COLUMNS)?;
    // Optional columns (older files have neither): the printer's own
    // low/empty signals.
    let optional = |name: &str| {
        (0..r.len()).find(|&i| {
            String::from_utf8_lossy(r.field(i))
                .trim()
                .eq_ignore_ascii_case(name)
        })
    };
    let signal_cols = (optional("alert_codes"), optional("detected_errors"));
    let width = col.iter().max().map_or(0, |m| m + 1);
    let tick = opts.tick_secs.max(60);
    let lead = (opts.config.lead_time_days * 86_400.0).round() as i64;
    let express = (opts.config.express_lead_time_days * 86_400.0).round() as i64;
    let mut next_tick: Option<i64> = None;
    let mut last_t = i64::MIN;
    let mut deliveries: VecDeque<(i64, Event)> = VecDeque::new();
    let mut decisions: Vec<Decision> = Vec::new();

    while r.next_record()? {
        let line = r.record_line;
        if r.len() < width {
            stats.bad_rows += 1;
            writeln!(
                diag,
                "readings.csv line {line}: expected {} fields, found {}",
                READING_COLUMNS.len(),
                r.len()
            )?;
            continue;
        }
        let parsed = parse_reading(&r, &col, signal_cols);
        let reading = match parsed {
            Ok(x) => x,
            Err(msg) => {
                stats.bad_rows += 1;
                writeln!(diag, "readings.csv line {line}: {msg}")?;
                continue;
            }
        };
        let t = reading.observed_at;
        if t < last_t {
            stats.bad_rows += 1;
            writeln!(
                diag,
                "readings.csv line {line}: out of time order ({}), skipped",
                to_utc(t).to_rfc3339()
            )?;
            continue;
        }
        last_t = t;
        // Advance the simulated clock up to this reading.
        let nt = next_tick.get_or_insert((t.div_euclid(tick) + 1) * tick);
        while *nt <= t {
            while deliveries.front().is_some_and(|d| d.0 <= *nt) {
                if let Some((_, ev)) = deliveries.pop_front() {
                    stats.deliveries += 1;
                    engine.handle(ev);
                }
            }
            decisions.extend(engine.handle(Event::Tick(to_utc(*nt))));
            *nt += tick;
        }
        engine.handle_reading(&reading, &mut decisions);
        stats.readings += 1;
        if !decisions.is_empty() {
            emit(
                &mut decisions,
                &mut out,
                &mut deliveries,
                (lead, express.min(lead)),
                &mut stats,
            )?;
        }
    }
    out.flush()?;
    diag.flush()?;
    Ok(stats)
}

fn load_printers(
    engine: &mut Engine,
    printers: impl BufRead,
    diag: &mut impl Write,
    stats: &mut ReplayStats,
) -> Result<(), ReplayError> {
    let mut r = CsvReader::new(printers);
    let col = header(&mut r, "printers.csv", PRINTER_COLUMNS)?;
    let names: Vec<String> = (0..r.len())
        .map(|i| {
            String::from_utf8_lossy(r.field(i))
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    let excluded_col = names.iter().position(|n| n == "excluded");
    while r.next_record()? {
        let line = r.record_line;
        let mut vals = Vec::with_capacity(4);
        let mut bad = None;
        for &c in &col {
            match text(r.field(c)) {
                Ok(s) if c < r.len() => vals.push(s.to_string()),
                Ok(_) => bad = Some("missing fields".to_string()),
                Err(e) => bad = Some(e),
            }
        }
        if bad.is_none() && vals.first().is_none_or(|s| s.is_empty()) {
            bad = Some("empty serial".into());
        }
        if let Some(msg) = bad {
            stats.bad_rows += 1;
            writeln!(diag, "printers.csv line {line}: {msg}")?;
            continue;
        }
        let excluded = excluded_col
            .map(|c| {
                matches!(
                    r.field(c).to_ascii_lowercase().as_slice(),
                    b"true" | b"1" | b"yes"
                )
            })
            .unwrap_or(false);
        let mut v = vals.into_iter();
        let (serial, model, site, contact) = (
            v.next().unwrap_or_default(),
            v.next().unwrap_or_default(),
            v.next().unwrap_or_default(),
            v.next().unwrap_or_default(),
        );
        engine.handle(Event::PrinterAssigned {
            serial,
            model,
            site,
            contact,
            excluded,
        });
        stats.printers += 1;
    }
    Ok(())
}

fn parse_reading<'a, R: BufRead>(
    r: &'a CsvReader<R>,
    col: &[usize; 10],
    (alerts_col, errors_col): (Option<usize>, Option<usize>),
) -> Result<ReadingRef<'a>, String> {
    let ts = r.field(col[0]);
    let observed_at = parse_rfc3339(ts).ok_or_else(|| {
        format!(
            "observed_at: not an RFC 3339 time: {:?}",
            String::from_utf8_lossy(ts)
        )
    })?;
    let printer = text(r.field(col[1]))?;
    if printer.is_empty() {
        return Err("printer: empty".into());
    }
    let supply_index = int::<u32>(r.field(col[2]), "supply_index")?;
    let supply_type = text(r.field(col[3]))?;
    let supply_class = text(r.field(col[4]))?;
    let colorant = text(r.field(col[5]))?;
    let max_capacity = int::<i64>(r.field(col[7]), "max_capacity")?;
    let level = int::<i64>(r.field(col[8]), "level")?;
    let pc = r.field(col[9]);
    let page_count = if pc.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(int::<u64>(pc, "page_count")?)
    };
    Ok(ReadingRef {
        observed_at,
        printer,
        supply_index,
        supply_type,
        supply_class,
        colorant: (!colorant.is_empty()).then_some(colorant),
        max_capacity,
        level,
        page_count,
        signal: {
            let field = |c: Option<usize>| {
                c.filter(|&c| c < r.len())
                    .map(|c| String::from_utf8_lossy(r.field(c)).into_owned())
                    .unwrap_or_default()
            };
            let (alerts, errors) = (field(alerts_col), field(errors_col));
            if alerts.is_empty() && errors.is_empty() {
                None
            } else {
                crate::signals::signal_for(supply_type, &alerts, &errors)
            }
        },
    })
}

fn emit(
    decisions: &mut Vec<Decision>,
    out: &mut impl Write,
    deliveries: &mut VecDeque<(i64, Event)>,
    (lead, express): (i64, i64),
    stats: &mut ReplayStats,
) -> Result<(), ReplayError> {
    for d in decisions.drain(..) {
        serde_json::to_writer(&mut *out, &d)?;
        out.write_all(b"\n")?;
        match &d {
            Decision::Order(o) => {
                stats.orders += 1;
                for l in &o.lines {
                    stats.order_lines += 1;
                    // Express lines travel faster: kept in time order.
                    let delay = if l.priority.is_some() {
                        stats.express_lines += 1;
                        express
                    } else {
                        lead
                    };
                    let at = o.created_at.timestamp() + delay;
                    let pos = deliveries.partition_point(|d| d.0 <= at);
                    deliveries.insert(
                        pos,
                        (
                            at,
                            Event::Delivered {
                                order_id: o.order_id.clone(),
                                printer: l.printer.clone(),
                                supply_index: l.supply_index,
                                quantity: l.quantity,
                                at: to_utc(at),
                            },
                        ),
                    );
                }
            }
            Decision::Alert(_) => stats.alerts += 1,
        }
    }
    Ok(())
}
