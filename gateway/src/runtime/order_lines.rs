//! What an order says so a supplier ships it without a lookup: where it
//! goes (site, postal address, contact with e-mail and phone) and, on each
//! line, what to put in the parcel — the part number when the printer
//! reports one, else the supplier catalogue's for the printer's model, the
//! supply's own description, the printer's model — and
//! why the line was ordered. The engine decides lines on printers and
//! supply indexes only; the records to name them are the store's, so the
//! lines are completed here, in the shell, as the order is committed.

use asr_engine::{LinePriority, LineReason, Order, OrderLine};
use serde_json::{Map, Value, json};

use asr_cloud_sync::CatalogEntry;

use super::catalog::{self, Lookup};
use crate::store::{Store, SupplyRow};

/// Completes an order's JSON (`object`, the engine's serialised order):
/// `ship_to`, and every line's shipping fields.
pub(crate) fn make_shippable(object: &mut Map<String, Value>, order: &Order, store: &Store) {
    object.insert("ship_to".into(), ship_to(order, store));
    let Some(Value::Array(lines)) = object.get_mut("lines") else {
        return;
    };
    let lookup = Lookup::new(catalog::effective(&store.catalogs().unwrap_or_default()));
    for (json, line) in lines.iter_mut().zip(&order.lines) {
        let Value::Object(json) = json else {
            continue;
        };
        let printer = store.printer(&line.printer).ok().flatten();
        let supplies = store.supplies(&line.printer).unwrap_or_default();
        let supply = supplies.iter().find(|s| s.index == line.supply_index);
        let model = printer.as_ref().and_then(|p| p.model.as_deref());
        let entry = model
            .filter(|_| !lookup.is_empty())
            .and_then(|m| lookup.find(m, &line.supply_type, line.colorant.as_deref()));
        complete_line(json, line, supply, model, entry);
    }
}

/// Where an order goes, from the records of its printers: the site and
/// contact the engine consolidated on, with the postal address, e-mail and
/// phone set on the printers (the first printer of the order that has each).
fn ship_to(order: &Order, store: &Store) -> Value {
    let mut address = None;
    let mut email = None;
    let mut phone = None;
    for line in &order.lines {
        if let Ok(Some(p)) = store.printer(&line.printer) {
            address = address.or(p.postal_address);
            email = email.or(p.contact_email);
            phone = phone.or(p.contact_phone);
        }
    }
    json!({
        "site": order.site,
        "postal_address": address,
        "contact": order.contact,
        "contact_email": email,
        "contact_phone": phone,
    })
}

/// One line's shipping fields, from its supply's record, its printer's
/// model and the catalogue's entry for them. The part number's source is
/// said: `printer` when the printer reported it, `catalog` when the
/// supplier's catalogue gave it, `null` (with the part number) when nothing
/// knows it yet.
fn complete_line(
    json: &mut Map<String, Value>,
    line: &OrderLine,
    supply: Option<&SupplyRow>,
    model: Option<&str>,
    entry: Option<&CatalogEntry>,
) {
    let (part, source) = match (
        supply.and_then(|s| s.part_number.clone()),
        entry.and_then(|e| e.part_numbers.first().cloned()),
    ) {
        (Some(p), _) => (Some(p), json!("printer")),
        (None, Some(p)) => (Some(p), json!("catalog")),
        (None, None) => (None, Value::Null),
    };
    json.insert("part_number_source".into(), source);
    json.insert("part_number".into(), json!(part));
    json.insert(
        "description".into(),
        json!(
            supply
                .map(|s| s.description.clone())
                .filter(|d| !d.is_empty())
                .or_else(|| entry.and_then(|e| e.description.clone()))
        ),
    );
    json.insert("printer_model".into(), json!(model));
    json.insert("reason".into(), json!(reason(line)));
}

/// Why a line was ordered: a person asked, the stock may run out before a
/// normal delivery, or the forecast said it is time.
fn reason(line: &OrderLine) -> &'static str {
    match (line.reason, line.priority) {
        (Some(LineReason::Manual), _) => "manual",
        (None, Some(LinePriority::Express)) => "express",
        (None, None) => "forecast",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asr_protocols::printer::SupplyClass;

    fn line(reason: Option<LineReason>, priority: Option<LinePriority>) -> OrderLine {
        OrderLine {
            printer: "SN1".into(),
            supply_index: 1,
            supply_type: "toner".into(),
            colorant: Some("black".into()),
            quantity: 1,
            predicted_empty_at: None,
            pessimistic_empty_at: None,
            priority,
            reason,
            life_pages: None,
            life_source: None,
        }
    }

    fn supply(part: Option<&str>) -> SupplyRow {
        SupplyRow {
            printer_key: "SN1".into(),
            index: 1,
            description: "Black Toner Cartridge".into(),
            part_number: part.map(str::to_owned),
            kind: "toner".into(),
            class: SupplyClass::Consumed,
            colorant: Some("black".into()),
            unit: None,
            max_capacity: 100,
            level: 40,
            percent: Some(40.0),
            gauge: asr_protocols::printer::Gauge::Exact,
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_line_names_the_part_the_description_the_model_and_why() {
        let mut json = Map::new();
        complete_line(
            &mut json,
            &line(None, None),
            Some(&supply(Some("106R03745"))),
            Some("Xerox VersaLink C400"),
            None,
        );
        assert_eq!(json["part_number"], "106R03745");
        assert_eq!(json["part_number_source"], "printer");
        assert_eq!(json["description"], "Black Toner Cartridge");
        assert_eq!(json["printer_model"], "Xerox VersaLink C400");
        assert_eq!(json["reason"], "forecast");
    }

    #[test]
    fn an_unknown_part_is_null_and_says_so() {
        let mut json = Map::new();
        complete_line(
            &mut json,
            &line(Some(LineReason::Manual), None),
            Some(&supply(None)),
            None,
            None,
        );
        assert_eq!(json["part_number"], Value::Null);
        assert_eq!(json["part_number_source"], Value::Null);
        assert_eq!(json["printer_model"], Value::Null);
        assert_eq!(json["reason"], "manual");
        let mut json = Map::new();
        complete_line(
            &mut json,
            &line(None, Some(LinePriority::Express)),
            None,
            None,
            None,
        );
        assert_eq!(json["reason"], "express");
        assert_eq!(json["description"], Value::Null);
    }

    #[test]
    fn the_catalogue_fills_a_part_the_printer_does_not_report() {
        let entry: CatalogEntry = serde_json::from_value(json!({
            "model": "LaserJet Pro M404dn", "supply_type": "toner", "colorant": "black",
            "part_numbers": ["CF259A", "CF259X"], "description": "HP 59A black toner"
        }))
        .expect("entry");
        let mut json = Map::new();
        complete_line(
            &mut json,
            &line(None, None),
            Some(&supply(None)),
            None,
            Some(&entry),
        );
        assert_eq!(json["part_number"], "CF259A");
        assert_eq!(json["part_number_source"], "catalog");
        // The printer's own word wins.
        let mut json = Map::new();
        complete_line(
            &mut json,
            &line(None, None),
            Some(&supply(Some("CF259X"))),
            None,
            Some(&entry),
        );
        assert_eq!(json["part_number"], "CF259X");
        assert_eq!(json["part_number_source"], "printer");
        // Without a description of its own, the catalogue's.
        let mut json = Map::new();
        complete_line(&mut json, &line(None, None), None, None, Some(&entry));
        assert_eq!(json["description"], "HP 59A black toner");
    }
}
