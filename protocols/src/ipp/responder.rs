//! The printer's side of IPP, for the simulator: a [`PrinterReport`] (what
//! a simulated printer's MIB says) answered as Get-Printer-Attributes, over
//! a small HTTP/1.1 server. It lets the demo and the tests run a printer
//! whose SNMP is off and that speaks IPP only, with the same state as its
//! SNMP twin would have.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::codec::{Attribute, GET_PRINTER_ATTRIBUTES, Group, GroupTag, Message, Value};
use crate::printer::{PrinterReport, SupplyClass};

/// Largest request accepted (a Get-Printer-Attributes is a few hundred bytes).
const MAX_REQUEST: usize = 64 * 1024;
/// IPP status codes used here (RFC 8011 §B).
const SUCCESSFUL_OK: u16 = 0x0000;
const CLIENT_ERROR_BAD_REQUEST: u16 = 0x0400;
const SERVER_ERROR_OPERATION_NOT_SUPPORTED: u16 = 0x0501;

/// The answer to `request` for a printer in the state of `report`, with
/// `uuid` as its `printer-uuid`.
pub fn answer(request: &Message, report: &PrinterReport, uuid: &str) -> Message {
    let status = if request.code == GET_PRINTER_ATTRIBUTES {
        SUCCESSFUL_OK
    } else {
        SERVER_ERROR_OPERATION_NOT_SUPPORTED
    };
    let operation = Group {
        tag: GroupTag::Operation,
        attributes: vec![
            attr("attributes-charset", vec![Value::Charset("utf-8".into())]),
            attr(
                "attributes-natural-language",
                vec![Value::NaturalLanguage("en".into())],
            ),
        ],
    };
    let mut groups = vec![operation];
    if status == SUCCESSFUL_OK {
        let requested: Option<Vec<String>> = request
            .attribute(GroupTag::Operation, "requested-attributes")
            .map(|a| {
                a.values
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            });
        let wanted = |name: &str| {
            requested
                .as_ref()
                .is_none_or(|r| r.iter().any(|n| n == name || n == "all"))
        };
        groups.push(Group {
            tag: GroupTag::Printer,
            attributes: printer_attributes(report, uuid)
                .into_iter()
                .filter(|a| wanted(&a.name))
                .collect(),
        });
    }
    Message {
        version: (1, 1),
        code: status,
        request_id: request.request_id,
        groups,
    }
}

fn attr(name: &str, values: Vec<Value>) -> Attribute {
    Attribute {
        name: name.into(),
        values,
    }
}

/// Everything a poll asks for, from the report.
fn printer_attributes(r: &PrinterReport, uuid: &str) -> Vec<Attribute> {
    let model = r
        .model
        .clone()
        .unwrap_or_else(|| "Simulated printer".into());
    let mut device_id = format!("MFG:ASR;MDL:{model};CMD:PWG,URF;");
    if let Some(serial) = &r.serial {
        device_id.push_str(&format!("SN:{serial};"));
    }
    let mut out = vec![
        attr("printer-uuid", vec![Value::Uri(format!("urn:uuid:{uuid}"))]),
        attr("printer-device-id", vec![Value::Text(device_id)]),
        attr("printer-make-and-model", vec![Value::Text(model)]),
        attr(
            "printer-state",
            vec![Value::Enum(match r.status.printer.as_deref() {
                Some("printing") => 4,
                _ if r.status.device.as_deref() == Some("down") => 5,
                _ => 3,
            })],
        ),
        attr("printer-state-reasons", state_reasons(&r.status.errors)),
    ];
    if let Some(name) = &r.sys_name {
        out.push(attr("printer-name", vec![Value::Name(name.clone())]));
    }
    if let Some(pages) = r.page_count.and_then(|p| i32::try_from(p).ok()) {
        out.push(attr(
            "printer-impressions-completed",
            vec![Value::Integer(pages)],
        ));
    }
    if !r.supplies.is_empty() {
        let strings = r
            .supplies
            .iter()
            .map(|s| {
                let class = match s.class {
                    SupplyClass::Receptacle => "receptacleThatIsFilled",
                    SupplyClass::Consumed => "supplyThatIsConsumed",
                    SupplyClass::Other => "other",
                };
                let mut text = format!(
                    "index={};class={class};type={};maxcapacity={};level={};",
                    s.index, s.kind, s.max_capacity, s.level
                );
                if let Some(unit) = &s.unit {
                    text.push_str(&format!("unit={unit};"));
                }
                text.push_str(&format!(
                    "colorantname={};",
                    s.colorant.as_deref().unwrap_or("unknown")
                ));
                Value::OctetString(text.into_bytes())
            })
            .collect();
        out.push(attr("printer-supply", strings));
        out.push(attr(
            "printer-supply-description",
            r.supplies
                .iter()
                .map(|s| {
                    Value::Text(match &s.part_number {
                        Some(pn) => format!("{}, PN {pn}", s.description),
                        None => s.description.clone(),
                    })
                })
                .collect(),
        ));
    }
    out
}

/// hrPrinterDetectedErrorState names as IPP `printer-state-reasons`.
fn state_reasons(errors: &[String]) -> Vec<Value> {
    let reasons: Vec<Value> = errors
        .iter()
        .filter_map(|e| {
            let keyword = match e.as_str() {
                "lowToner" => "toner-low-warning",
                "noToner" => "toner-empty-error",
                "lowPaper" => "media-low-warning",
                "noPaper" => "media-empty-error",
                "doorOpen" => "door-open-error",
                "jammed" => "media-jam-error",
                "offline" => "offline-report",
                "serviceRequested" => "service-needed-warning",
                _ => return None,
            };
            Some(Value::Keyword(keyword.into()))
        })
        .collect();
    if reasons.is_empty() {
        vec![Value::Keyword("none".into())]
    } else {
        reasons
    }
}

/// Serves IPP on `listener` until `stop`: each request is answered from
/// the report `state` gives at that moment.
pub async fn serve(
    listener: TcpListener,
    uuid: String,
    state: Arc<dyn Fn() -> PrinterReport + Send + Sync>,
    stop: CancellationToken,
) {
    loop {
        let (stream, _) = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let (uuid, state) = (uuid.clone(), state.clone());
        tokio::spawn(async move {
            let _ = tokio::time::timeout(
                Duration::from_secs(10),
                connection(stream, &uuid, state.as_ref()),
            )
            .await;
        });
    }
}

/// One HTTP/1.1 connection: POSTs of IPP requests, kept alive.
async fn connection(
    stream: TcpStream,
    uuid: &str,
    state: &(dyn Fn() -> PrinterReport + Send + Sync),
) -> std::io::Result<()> {
    let mut stream = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let post = line.starts_with("POST ");
        let mut length = 0usize;
        let mut close = false;
        loop {
            let mut header = String::new();
            if stream.read_line(&mut header).await? == 0 {
                return Ok(());
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse().unwrap_or(usize::MAX);
                } else if name.eq_ignore_ascii_case("connection") {
                    close = value.eq_ignore_ascii_case("close");
                }
            }
        }
        if !post || length > MAX_REQUEST {
            let status = if post {
                "413 Payload Too Large"
            } else {
                "405 Method Not Allowed"
            };
            let reply =
                format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            stream.get_mut().write_all(reply.as_bytes()).await?;
            return Ok(());
        }
        let mut body = vec![0u8; length];
        stream.read_exact(&mut body).await?;
        let reply = match Message::decode(&body) {
            Ok(request) => answer(&request, &state(), uuid),
            Err(_) => Message {
                version: (1, 1),
                code: CLIENT_ERROR_BAD_REQUEST,
                request_id: 0,
                groups: Vec::new(),
            },
        }
        .encode();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/ipp\r\ncontent-length: {}\r\n\r\n",
            reply.len()
        );
        let out = stream.get_mut();
        out.write_all(head.as_bytes()).await?;
        out.write_all(&reply).await?;
        if close {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipp::client::{IppClient, IppUrl};
    use crate::printer::{Gauge, PrinterStatus, ReportSource, Supply};

    fn report() -> PrinterReport {
        PrinterReport {
            target: "sim".into(),
            serial: Some("SIM0001".into()),
            model: Some("Laser 4000".into()),
            sys_descr: None,
            sys_object_id: None,
            sys_name: Some("floor-2".into()),
            uptime_ticks: None,
            mac: None,
            page_count: Some(12_345),
            status: PrinterStatus {
                device: Some("warning".into()),
                printer: Some("idle".into()),
                errors: vec!["lowToner".into()],
            },
            alerts: Vec::new(),
            supplies: vec![
                Supply {
                    index: 1,
                    description: "Black Toner".into(),
                    part_number: Some("TN-100K".into()),
                    kind: "toner".into(),
                    class: SupplyClass::Consumed,
                    colorant: Some("black".into()),
                    unit: Some("percent".into()),
                    max_capacity: 100,
                    level: 13,
                    percent: Some(13.0),
                    gauge: Gauge::Exact,
                },
                Supply {
                    index: 2,
                    description: "Waste Toner Box".into(),
                    part_number: None,
                    kind: "wasteToner".into(),
                    class: SupplyClass::Receptacle,
                    colorant: None,
                    unit: Some("impressions".into()),
                    max_capacity: 50_000,
                    level: 20_000,
                    percent: Some(40.0),
                    gauge: Gauge::Exact,
                },
            ],
            error: None,
            source: ReportSource::Snmp,
            uuid: None,
        }
    }

    #[tokio::test]
    async fn a_simulated_printer_reads_over_ipp_as_it_would_over_snmp() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stop = CancellationToken::new();
        tokio::spawn(serve(
            listener,
            "0b0e4a6c-1c1d-4e4f-8a8b-0c0d0e0f1011".into(),
            Arc::new(report),
            stop.clone(),
        ));
        let client = IppClient::new(Duration::from_secs(5)).expect("client");
        let url = IppUrl::parse(&format!("ipp://127.0.0.1:{port}/ipp/print")).expect("url");
        let (read, certificate) = crate::ipp::read_printer(&client, &url, None)
            .await
            .expect("answer");
        assert_eq!(certificate, None);
        let original = report();
        assert_eq!(read.source, ReportSource::Ipp);
        assert_eq!(read.serial, original.serial);
        assert_eq!(read.model.as_deref(), Some("Laser 4000"));
        assert_eq!(read.page_count, Some(12_345));
        assert_eq!(read.status.errors, ["lowToner"]);
        assert_eq!(read.supplies.len(), 2);
        for (a, b) in read.supplies.iter().zip(&original.supplies) {
            assert_eq!(
                (
                    a.index,
                    &a.kind,
                    a.class,
                    &a.colorant,
                    a.percent,
                    &a.part_number
                ),
                (
                    b.index,
                    &b.kind,
                    b.class,
                    &b.colorant,
                    b.percent,
                    &b.part_number
                )
            );
        }
        stop.cancel();
    }

    #[test]
    fn only_the_requested_attributes_and_only_get_printer_attributes() {
        let request =
            crate::ipp::codec::get_printer_attributes(7, "ipp://x/ipp/print", &["printer-uuid"]);
        let a = answer(&request, &report(), "u");
        assert_eq!(a.request_id, 7);
        let printer = a
            .groups
            .iter()
            .find(|g| g.tag == GroupTag::Printer)
            .expect("group");
        assert_eq!(printer.attributes.len(), 1);
        let mut other = request.clone();
        other.code = 0x0002; // Print-Job
        assert_eq!(
            answer(&other, &report(), "u").code,
            SERVER_ERROR_OPERATION_NOT_SUPPORTED
        );
    }
}
