//! `/metrics` in the Prometheus text exposition format (version 0.0.4),
//! from the same snapshot the pages show: printers up, supply levels and
//! days to empty, the outbox and the cloud link — for a site that already
//! monitors its network with Prometheus.

use std::fmt::Write as _;

use super::view::StatusView;

/// A label value with `\`, `"` and line breaks escaped as the format asks.
fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample value: finite numbers as they are (the format's `NaN` is not
/// written: a missing level has no sample at all).
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn family(out: &mut String, name: &str, help: &str) {
    typed(out, name, help, "gauge");
}

fn typed(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The exposition for `view`.
pub fn render(view: &StatusView) -> String {
    let now = view.generated_at;
    let mut out = String::with_capacity(256 + view.printers.len() * 600);
    family(
        &mut out,
        "asr_build_info",
        "The gateway's version (always 1).",
    );
    let _ = writeln!(
        out,
        "asr_build_info{{version=\"{}\",gateway=\"{}\"}} 1",
        label(&view.version),
        label(&view.gateway_id)
    );
    family(&mut out, "asr_printers", "Printers the gateway knows.");
    let _ = writeln!(out, "asr_printers {}", view.printers.len());
    family(
        &mut out,
        "asr_printer_up",
        "1 when the printer answered its last poll, else 0.",
    );
    for p in &view.printers {
        let _ = writeln!(
            out,
            "asr_printer_up{{serial=\"{}\",model=\"{}\",site=\"{}\"}} {}",
            label(&p.serial),
            label(&p.model),
            label(&p.site),
            u8::from(p.reachable)
        );
    }
    family(
        &mut out,
        "asr_supply_percent",
        "Level left in percent (space left for a waste container), when the gauge gives an honest one.",
    );
    for p in &view.printers {
        for s in &p.supplies {
            if let Some(pct) = s.percent.filter(|v| v.is_finite()) {
                let _ = writeln!(
                    out,
                    "asr_supply_percent{{serial=\"{}\",supply=\"{}\",type=\"{}\",colorant=\"{}\"}} {}",
                    label(&p.serial),
                    s.index,
                    label(&s.kind),
                    label(s.colorant.as_deref().unwrap_or_default()),
                    number(pct.clamp(0.0, 100.0))
                );
            }
        }
    }
    family(
        &mut out,
        "asr_supply_days_to_empty",
        "Median forecast of the days until the supply runs out (or its container is full).",
    );
    for p in &view.printers {
        for s in &p.supplies {
            if let Some(at) = s.forecast_empty_at {
                let days = (at - now).num_seconds() as f64 / 86_400.0;
                let _ = writeln!(
                    out,
                    "asr_supply_days_to_empty{{serial=\"{}\",supply=\"{}\"}} {}",
                    label(&p.serial),
                    s.index,
                    number((days * 10.0).round() / 10.0)
                );
            }
        }
    }
    let up = &view.uplink;
    family(
        &mut out,
        "asr_cloud_link_up",
        "1 while the MQTT link to the supplier is up.",
    );
    let _ = writeln!(out, "asr_cloud_link_up {}", u8::from(up.connected));
    family(
        &mut out,
        "asr_outbox_depth",
        "Messages waiting for the cloud link.",
    );
    let _ = writeln!(out, "asr_outbox_depth {}", up.outbox_depth);
    family(
        &mut out,
        "asr_outbox_oldest_age_seconds",
        "Age of the oldest message waiting (0 when none).",
    );
    let age = up
        .outbox_oldest_at
        .map_or(0, |t| (now - t).num_seconds().max(0));
    let _ = writeln!(out, "asr_outbox_oldest_age_seconds {age}");
    family(
        &mut out,
        "asr_orders_waiting",
        "Orders not yet acknowledged by the broker.",
    );
    let waiting = view.orders.iter().filter(|o| o.status == "waiting").count();
    let _ = writeln!(out, "asr_orders_waiting {waiting}");
    health(&mut out, view);
    out
}

/// Polling and the box itself.
fn health(out: &mut String, view: &StatusView) {
    family(
        out,
        "asr_poll_duration_seconds",
        "How long the printer's last poll took (since the gateway started).",
    );
    for p in &view.printers {
        if let Some(took) = p.last_poll_seconds.filter(|v| v.is_finite()) {
            let _ = writeln!(
                out,
                "asr_poll_duration_seconds{{serial=\"{}\"}} {}",
                label(&p.serial),
                number((took * 1000.0).round() / 1000.0)
            );
        }
    }
    let h = &view.health;
    typed(
        out,
        "asr_polls_total",
        "Printer polls since the gateway started, by outcome.",
        "counter",
    );
    let _ = writeln!(out, "asr_polls_total{{result=\"ok\"}} {}", h.polls_ok);
    let _ = writeln!(
        out,
        "asr_polls_total{{result=\"failed\"}} {}",
        h.polls_failed
    );
    family(
        out,
        "asr_last_poll_age_seconds",
        "Seconds since a printer last answered (absent before the first answer).",
    );
    if let Some(at) = h.last_poll_at {
        let age = (view.generated_at - at).num_seconds().max(0);
        let _ = writeln!(out, "asr_last_poll_age_seconds {age}");
    }
    family(out, "asr_open_alerts", "Alerts nobody acknowledged yet.");
    let _ = writeln!(out, "asr_open_alerts {}", h.open_alerts);
    family(
        out,
        "asr_disk_free_bytes",
        "Free space where the database lives.",
    );
    if let Some(free) = h.disk_free_bytes {
        let _ = writeln!(out, "asr_disk_free_bytes {free}");
    }
    family(
        out,
        "asr_clock_synchronised",
        "1 when the clock is known to be synchronised (NTP).",
    );
    let _ = writeln!(
        out,
        "asr_clock_synchronised {}",
        u8::from(h.clock_synchronised)
    );
    typed(
        out,
        "asr_uptime_seconds",
        "Seconds since the gateway started.",
        "counter",
    );
    let _ = writeln!(out, "asr_uptime_seconds {}", h.uptime_secs);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(number(42.0), "42");
        assert_eq!(number(-1.5), "-1.5");
    }
}
