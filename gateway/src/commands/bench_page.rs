//! `asr-gateway bench page`: the status page's render budget on a Pi-sized
//! budget — the overview with 500 printers, and a printer page read from a
//! SQLite file holding a year of 15-minute readings — each against the same
//! data serialised as JSON (what `/api/status` does) in the same run.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use asr_protocols::printer::{Gauge, PrinterReport, PrinterStatus, Supply, SupplyClass};
use chrono::{DateTime, Utc};

use super::CommandError;
use crate::runtime::GatewayStatus;
use crate::runtime::clock::{Clock, SystemClock};
use crate::store::Store;
use crate::web::overview_table::TableQuery;
use crate::web::page::status_page;
use crate::web::printer_page::{FormValues, printer_page};
use crate::web::{Lang, StatusSource, StatusView};

const PRINTERS: usize = 500;
const ROUNDS: usize = 20;
const COLOURS: [&str; 4] = ["black", "cyan", "magenta", "yellow"];

/// Median of `ROUNDS` runs of `f`, after one warm-up.
fn median_time<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut last = f();
    let mut times: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            last = f();
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[ROUNDS / 2], last)
}

fn report(serial: &str, at_step: u64) -> PrinterReport {
    let supplies = (0..6u32)
        .map(|i| {
            let used = (at_step * (i as u64 + 3)) % 1000;
            let level = 1000 - used as i64;
            Supply {
                index: i + 1,
                description: format!("Supply {}", i + 1),
                part_number: Some(format!("PN-{i}")),
                kind: if i < 4 { "toner" } else { "opc" }.to_owned(),
                class: SupplyClass::Consumed,
                colorant: COLOURS.get(i as usize).map(|c| (*c).to_owned()),
                unit: Some("percent".to_owned()),
                max_capacity: 1000,
                level,
                percent: Some(level as f64 / 10.0),
                gauge: Gauge::Exact,
            }
        })
        .collect();
    PrinterReport {
        target: "192.0.2.10:161".to_owned(),
        serial: Some(serial.to_owned()),
        model: Some("Bench Model".to_owned()),
        sys_descr: None,
        sys_object_id: None,
        sys_name: None,
        uptime_ticks: Some(1),
        mac: None,
        page_count: Some(10_000 + at_step * 3),
        status: PrinterStatus::default(),
        alerts: vec![],
        supplies,
        error: None,
        source: asr_protocols::printer::ReportSource::Snmp,
        uuid: None,
    }
}

/// The overview of a 500-printer site, rendered and serialised.
fn overview(view: &StatusView) -> (Duration, usize, Duration) {
    let table = TableQuery::default();
    let (html_time, html) = median_time(|| status_page(view, Lang::Fr, "nonce", Some("t"), &table));
    let (json_time, _) = median_time(|| serde_json::to_string(view).map(|s| s.len()));
    (html_time, html.len(), json_time)
}

/// Runs the benchmark and prints its table.
pub async fn page_command() -> Result<ExitCode, CommandError> {
    let dir = tempfile::tempdir()?;
    let store = Arc::new(
        Store::open(&dir.path().join("bench.db"))
            .map_err(|e| CommandError::Runtime(format!("bench store: {e}")))?,
    );
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::default());
    let now = clock.now();
    // 500 printers, one poll each: the overview's data.
    for p in 0..PRINTERS {
        let serial = format!("BENCH{p:04}");
        store
            .record_poll(&serial, "192.0.2.10", &report(&serial, p as u64), now)
            .map_err(|e| CommandError::Runtime(format!("bench store: {e}")))?;
    }
    // A year of 15-minute polls of one of them: the printer page's data.
    let serial = "BENCH0000";
    let start: DateTime<Utc> = now - chrono::Duration::days(365);
    let fill = Instant::now();
    for step in 0..(365 * 96) {
        let at = start + chrono::Duration::minutes(15 * step as i64);
        store
            .record_poll(serial, "192.0.2.10", &report(serial, step), at)
            .map_err(|e| CommandError::Runtime(format!("bench store: {e}")))?;
    }
    let fill = fill.elapsed();
    let source = GatewayStatus::over_store(store, clock);
    let detail_source = tokio::task::spawn_blocking(move || {
        let view = source.snapshot()?;
        let over = overview(&view);
        let (read_time, detail) = median_time(|| source.printer(serial));
        let detail = detail?.ok_or("the bench printer is missing")?;
        let values = FormValues::of(&detail.printer);
        let (render_time, page) = median_time(|| {
            printer_page(
                &detail,
                detail.generated_at,
                Lang::Fr,
                Some("t"),
                None,
                &values,
            )
        });
        let (json_time, _) = median_time(|| serde_json::to_string(&detail).map(|s| s.len()));
        let points: usize = detail.history.iter().map(|h| h.points.len()).sum();
        Ok::<_, String>((over, read_time, render_time, page.len(), json_time, points))
    })
    .await
    .map_err(|e| CommandError::Runtime(format!("benchmark failed: {e}")))?
    .map_err(CommandError::Runtime)?;
    let ((html_time, html_bytes, json_time), read, render, page_bytes, detail_json, points) =
        detail_source;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("status page render budget (median of {ROUNDS} runs, this machine)");
    println!("{:<58} {:>10} {:>10}", "", "measured", "target");
    println!(
        "{:<58} {:>8.1}ms {:>10}",
        "overview, 500 printers x 6 supplies: HTML",
        ms(html_time),
        "< 100 ms"
    );
    println!(
        "{:<58} {:>8}KB {:>10}",
        "  size",
        html_bytes / 1024,
        "< 300 KB"
    );
    println!(
        "{:<58} {:>9.1}x {:>10}",
        "  HTML time / JSON (/api/status) time, same view",
        html_time.as_secs_f64() / json_time.as_secs_f64().max(1e-9),
        ""
    );
    println!(
        "{:<58} {:>8.1}ms {:>10}",
        "printer page, a year of 15-min readings: store read + chart data",
        ms(read),
        ""
    );
    println!("{:<58} {:>8.1}ms {:>10}", "  HTML render", ms(render), "");
    println!(
        "{:<58} {:>8.1}ms {:>10}",
        "  total",
        ms(read + render),
        "< 100 ms"
    );
    println!(
        "{:<58} {:>10} {:>10}",
        "  chart points drawn (of 6 x 8 640 readings in 90 days)", points, ""
    );
    println!("{:<58} {:>8}KB {:>10}", "  size", page_bytes / 1024, "");
    println!(
        "{:<58} {:>9.1}x {:>10}",
        "  HTML render time / JSON time, same detail",
        render.as_secs_f64() / detail_json.as_secs_f64().max(1e-9),
        ""
    );
    println!(
        "(building the year of readings took {:.1} s: {} polls through the store)",
        fill.as_secs_f64(),
        365 * 96
    );
    Ok(ExitCode::SUCCESS)
}
