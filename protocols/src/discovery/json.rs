//! The CLI's machine-readable listing: one JSON object per line, so
//! `asr-gateway discover --json | jq` and line-oriented tools both work.

use serde_json::{Map, Value, json};

use super::printer::DiscoveredPrinter;

/// One printer as a single-line JSON object: name, host, addresses,
/// services, txt, uuid, model, and `serial` when SNMP answered.
pub fn to_json_line(printer: &DiscoveredPrinter, serial: Option<&str>) -> String {
    let mut o = Map::new();
    o.insert("name".into(), json!(printer.name));
    o.insert("host".into(), json!(printer.host));
    o.insert(
        "addresses".into(),
        json!(
            printer
                .addresses
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        ),
    );
    o.insert("services".into(), json!(printer.services));
    o.insert("txt".into(), json!(printer.txt));
    if let Some(u) = &printer.uuid {
        o.insert("uuid".into(), json!(u));
    }
    if let Some(m) = &printer.model {
        o.insert("model".into(), json!(m));
    }
    if let Some(s) = serial {
        o.insert("serial".into(), json!(s));
    }
    Value::Object(o).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn one_line_with_serial_only_when_known() {
        let p = DiscoveredPrinter {
            id: "uuid:1".into(),
            name: "Accueil \"RDC\"\nbis".into(),
            host: "npi.local.".into(),
            addresses: vec!["10.0.0.5".parse().unwrap(), "fe80::1".parse().unwrap()],
            services: vec!["_ipp._tcp".into()],
            ports: BTreeMap::new(),
            instances: Vec::new(),
            txt: BTreeMap::from([("ty".to_string(), "HP M404".to_string())]),
            uuid: Some("1".into()),
            model: Some("HP M404".into()),
            location: None,
            admin_url: None,
        };
        let line = to_json_line(&p, Some("VNB3R12345"));
        assert!(!line.contains('\n'));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["name"], "Accueil \"RDC\"\nbis");
        assert_eq!(v["addresses"][1], "fe80::1");
        assert_eq!(v["txt"]["ty"], "HP M404");
        assert_eq!(v["serial"], "VNB3R12345");
        let v: Value = serde_json::from_str(&to_json_line(&p, None)).unwrap();
        assert!(v.get("serial").is_none());
    }
}
