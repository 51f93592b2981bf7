//! A Get-Printer-Attributes answer as the same [`PrinterReport`] an SNMP
//! poll gives, marked `"source": "ipp"`.
//!
//! Identity: the serial number from `printer-device-id` (IEEE 1284 `SN:`,
//! `SERN:`, `SERIALNUMBER:`) or a vendor's `printer-serial-number`, else the
//! `printer-uuid` — one printer is one printer whichever protocol read it,
//! as long as it tells its serial; the UUID only keys printers that never do.
//! State: `printer-state` and `printer-state-reasons` in the SNMP names the
//! engine already knows (`lowToner`, `noToner`, …), so alerts behave alike.

use crate::printer::report::{PrinterAlert, PrinterReport, PrinterStatus, ReportSource};
use crate::printer::serial;

use super::codec::{Attribute, GroupTag, Message, Value};
use super::supply::{self, SupplyAttributes};

/// Interprets the answer of the printer at `target` (its URL).
pub fn interpret(target: &str, message: &Message) -> PrinterReport {
    let attr = |name: &str| message.attribute(GroupTag::Printer, name);
    let text = |name: &str| attr(name).and_then(first_text);
    let device_id = text("printer-device-id");
    let serial = device_id
        .as_deref()
        .and_then(serial_from_device_id)
        .or_else(|| text("printer-serial-number").and_then(|s| serial::normalise(s.as_bytes())));
    let model = text("printer-make-and-model")
        .or_else(|| device_id.as_deref().and_then(model_from_device_id));
    let supplies = supply::supplies(&SupplyAttributes {
        printer_supply: octets(attr("printer-supply")),
        printer_supply_description: texts(attr("printer-supply-description")),
        marker_names: texts(attr("marker-names")),
        marker_types: texts(attr("marker-types")),
        marker_colors: texts(attr("marker-colors")),
        marker_levels: integers(attr("marker-levels")),
        marker_low_levels: integers(attr("marker-low-levels")),
        marker_high_levels: integers(attr("marker-high-levels")),
    });
    let reasons = texts(attr("printer-state-reasons"));
    let state = attr("printer-state")
        .and_then(|a| a.values.first())
        .and_then(Value::as_i32);
    let page_count = ["printer-impressions-completed", "printer-total-impressions"]
        .iter()
        .find_map(|n| {
            attr(n)
                .and_then(|a| a.values.first())
                .and_then(Value::as_i32)
        })
        .and_then(|n| u64::try_from(n).ok());
    let uptime_ticks = attr("printer-up-time")
        .and_then(|a| a.values.first())
        .and_then(Value::as_i32)
        .and_then(|s| u32::try_from(s).ok())
        .map(|s| s.saturating_mul(100));
    PrinterReport {
        target: target.to_owned(),
        serial,
        model,
        sys_descr: text("printer-info"),
        sys_object_id: None,
        sys_name: text("printer-name"),
        uptime_ticks,
        mac: None,
        page_count,
        status: status(state, &reasons),
        alerts: alerts(attr("printer-alert")),
        supplies,
        error: None,
        source: ReportSource::Ipp,
        uuid: text("printer-uuid").and_then(|u| uuid(&u)),
    }
}

fn first_text(a: &Attribute) -> Option<String> {
    a.values
        .first()
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn texts(a: Option<&Attribute>) -> Vec<String> {
    a.map(|a| {
        a.values
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect()
    })
    .unwrap_or_default()
}

fn octets(a: Option<&Attribute>) -> Vec<Vec<u8>> {
    a.map(|a| {
        a.values
            .iter()
            .map(|v| match v {
                Value::OctetString(b) => b.clone(),
                other => other.as_str().unwrap_or_default().as_bytes().to_vec(),
            })
            .collect()
    })
    .unwrap_or_default()
}

fn integers(a: Option<&Attribute>) -> Vec<i32> {
    a.map(|a| a.values.iter().map(|v| v.as_i32().unwrap_or(-2)).collect())
        .unwrap_or_default()
}

/// The `KEY:value;` pairs of an IEEE 1284 device ID.
fn device_id_pairs(id: &str) -> impl Iterator<Item = (String, &str)> {
    id.split(';').filter_map(|pair| {
        let (k, v) = pair.split_once(':')?;
        Some((k.trim().to_ascii_uppercase(), v.trim()))
    })
}

fn serial_from_device_id(id: &str) -> Option<String> {
    device_id_pairs(id)
        .find(|(k, _)| matches!(k.as_str(), "SN" | "SERN" | "SERIALNUMBER" | "SERIAL"))
        .and_then(|(_, v)| serial::normalise(v.as_bytes()))
}

fn model_from_device_id(id: &str) -> Option<String> {
    let mut make = None;
    let mut model = None;
    for (k, v) in device_id_pairs(id) {
        match k.as_str() {
            "MFG" | "MANUFACTURER" if !v.is_empty() => make = make.or(Some(v)),
            "MDL" | "MODEL" if !v.is_empty() => model = model.or(Some(v)),
            _ => {}
        }
    }
    match (make, model) {
        (Some(make), Some(model)) if !model.starts_with(make) => Some(format!("{make} {model}")),
        (_, Some(model)) => Some(model.to_owned()),
        _ => None,
    }
}

/// `urn:uuid:…` → the bare, lower-case UUID; anything else is not one.
fn uuid(text: &str) -> Option<String> {
    let bare = text
        .trim()
        .trim_start_matches("urn:uuid:")
        .to_ascii_lowercase();
    let ok = bare.len() == 36
        && bare.chars().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    ok.then_some(bare)
}

/// `printer-state` (3 idle, 4 processing, 5 stopped) and the reasons in the
/// names hrPrinterStatus / hrPrinterDetectedErrorState use.
fn status(state: Option<i32>, reasons: &[String]) -> PrinterStatus {
    let mut errors: Vec<String> = Vec::new();
    let mut severe = false;
    for reason in reasons {
        let (base, severity) = split_severity(reason);
        let name = match base {
            "toner-low" | "marker-supply-low" | "developer-low" | "opc-near-eol" => "lowToner",
            "toner-empty" | "marker-supply-empty" | "developer-empty" | "opc-life-over" => {
                "noToner"
            }
            "marker-waste-almost-full" => "wasteTonerAlmostFull",
            "marker-waste-full" => "wasteTonerFull",
            "media-low" => "lowPaper",
            "media-empty" | "media-needed" => "noPaper",
            "door-open" | "cover-open" | "interlock-open" => "doorOpen",
            "media-jam" => "jammed",
            "offline" | "shutdown" | "timed-out" => "offline",
            "service-needed" => "serviceRequested",
            "output-area-full" | "output-area-almost-full" => "outputFull",
            "input-tray-missing" => "inputTrayMissing",
            "output-tray-missing" => "outputTrayMissing",
            _ => continue,
        };
        severe |= severity == "error";
        if !errors.iter().any(|e| e == name) {
            errors.push(name.to_owned());
        }
    }
    let printer = match state {
        Some(3) => Some("idle"),
        Some(4) => Some("printing"),
        Some(5) => Some("other"),
        _ => None,
    };
    let device = match state {
        Some(5) => Some("down"),
        Some(3 | 4) if severe || !errors.is_empty() => Some("warning"),
        Some(3 | 4) => Some("running"),
        _ => None,
    };
    PrinterStatus {
        device: device.map(str::to_owned),
        printer: printer.map(str::to_owned),
        errors,
    }
}

/// `toner-low-warning` → (`toner-low`, `warning`); no suffix: an error
/// (RFC 8011 §5.4.12).
fn split_severity(reason: &str) -> (&str, &str) {
    for suffix in ["-report", "-warning", "-error"] {
        if let Some(base) = reason.strip_suffix(suffix) {
            return (base, &suffix[1..]);
        }
    }
    (reason, "error")
}

/// `printer-alert` (PWG 5100.9): `code=tonerEmpty;index=3;severity=critical;
/// group=markerSupplies;groupindex=1;…` per value.
fn alerts(a: Option<&Attribute>) -> Vec<PrinterAlert> {
    octets(a)
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let text = String::from_utf8_lossy(raw);
            let field = |key: &str| {
                text.split(';').find_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    (k.trim().eq_ignore_ascii_case(key) && !v.trim().is_empty())
                        .then(|| v.trim().to_owned())
                })
            };
            PrinterAlert {
                index: field("index")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(u32::try_from(i + 1).unwrap_or(u32::MAX)),
                severity: field("severity").unwrap_or_else(|| "other".into()),
                training_level: field("traininglevel"),
                group: field("group"),
                code: field("code"),
                description: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipp::codec::{Group, Value::*};
    use crate::printer::{Gauge, SupplyClass};

    fn attr(name: &str, values: Vec<Value>) -> Attribute {
        Attribute {
            name: name.into(),
            values,
        }
    }

    fn answer(attributes: Vec<Attribute>) -> Message {
        Message {
            version: (1, 1),
            code: 0,
            request_id: 1,
            groups: vec![Group {
                tag: GroupTag::Printer,
                attributes,
            }],
        }
    }

    #[test]
    fn a_full_answer_becomes_the_snmp_shaped_report() {
        let m = answer(vec![
            attr(
                "printer-device-id",
                vec![Text("MFG:Brother;CMD:PJL,PCL;MDL:HL-L8360CDW;SN:E78123K9N123456;".into())],
            ),
            attr("printer-uuid", vec![Uri("urn:uuid:4E5B6C70-1111-2222-3333-444455556666".into())]),
            attr("printer-state", vec![Enum(3)]),
            attr(
                "printer-state-reasons",
                vec![Keyword("toner-low-warning".into()), Keyword("media-empty-error".into())],
            ),
            attr(
                "printer-supply",
                vec![OctetString(
                    b"index=1;class=supplyThatIsConsumed;type=toner;unit=percent;maxcapacity=100;level=12;colorantname=cyan;"
                        .to_vec(),
                )],
            ),
            attr("printer-supply-description", vec![Text("Cyan Toner".into())]),
            attr("printer-impressions-completed", vec![Integer(48213)]),
            attr(
                "printer-alert",
                vec![OctetString(b"code=tonerAlmostEmpty;index=2;severity=warning;group=markerSupplies;".to_vec())],
            ),
        ]);
        let r = interpret("ipp://p/ipp/print", &m);
        assert_eq!(r.source, ReportSource::Ipp);
        assert_eq!(r.serial.as_deref(), Some("E78123K9N123456"));
        assert_eq!(r.model.as_deref(), Some("Brother HL-L8360CDW"));
        assert_eq!(
            r.uuid.as_deref(),
            Some("4e5b6c70-1111-2222-3333-444455556666")
        );
        assert_eq!(r.identity_key().as_deref(), Some("E78123K9N123456"));
        assert_eq!(r.page_count, Some(48213));
        assert_eq!(r.status.printer.as_deref(), Some("idle"));
        assert_eq!(r.status.device.as_deref(), Some("warning"));
        assert_eq!(r.status.errors, ["lowToner", "noPaper"]);
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].code.as_deref(), Some("tonerAlmostEmpty"));
        assert_eq!(r.alerts[0].index, 2);
        let s = &r.supplies[0];
        assert_eq!(
            (s.class, s.gauge, s.percent),
            (SupplyClass::Consumed, Gauge::Exact, Some(12.0))
        );
        assert_eq!(s.colorant.as_deref(), Some("cyan"));
    }

    #[test]
    fn without_a_serial_the_uuid_keys_the_printer_and_odd_values_degrade() {
        let m = answer(vec![
            attr(
                "printer-device-id",
                vec![Text("MFG:Example;MDL:Printer;".into())],
            ),
            attr(
                "printer-uuid",
                vec![Uri("urn:uuid:f119f7ed-31f1-3647-5d3d-79b700c9950a".into())],
            ),
            attr("printer-state", vec![Enum(5)]),
            attr("printer-impressions-completed", vec![Integer(-4)]),
            attr("marker-names", vec![Name("Black".into())]),
            attr("marker-levels", vec![Integer(-3)]),
            attr("marker-types", vec![Keyword("toner".into())]),
        ]);
        let r = interpret("ipp://p/ipp/print", &m);
        assert_eq!(r.serial, None);
        assert_eq!(r.model.as_deref(), Some("Example Printer"));
        assert_eq!(
            r.identity_key().as_deref(),
            Some("uuid:f119f7ed-31f1-3647-5d3d-79b700c9950a")
        );
        assert_eq!(r.page_count, None);
        assert_eq!(r.status.device.as_deref(), Some("down"));
        assert_eq!(r.supplies[0].gauge, Gauge::SomeRemaining);
        assert_eq!(r.supplies[0].percent, None);

        let bad = answer(vec![attr("printer-uuid", vec![Uri("not-a-uuid".into())])]);
        assert_eq!(interpret("x", &bad).identity_key(), None);
    }
}
