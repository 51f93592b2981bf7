//! prtMarkerSuppliesTable rows joined on their index into [`Supply`] values.
//!
//! Every column is optional: real printers omit the type, class, unit or
//! colorant columns (Xerox sends only description, capacity and level).
//! A row exists when it has a description, a capacity or a level. Missing
//! numbers are kept as -2 (RFC 3805 "unknown") in the raw fields.
//! Paper trays (prtInputTable) are not supplies and are not read here.

use std::collections::{BTreeMap, BTreeSet};

use crate::mib::{MibTree, Value};
use crate::printer::report::{Gauge, Supply, SupplyClass};

use super::oids::{self, SUPPLIES_ENTRY};
use super::{enums, gauge, read, text};

/// All supply rows, in index order, with step detection applied across them.
pub fn supplies(tree: &MibTree) -> Vec<Supply> {
    let columns: BTreeMap<u32, BTreeMap<Vec<u32>, Value>> = oids::SUP_COLUMNS
        .iter()
        .map(|&c| (c, read::column_map(tree, &oids::column(SUPPLIES_ENTRY, c))))
        .collect();
    let cell = |col: u32, index: &[u32]| columns.get(&col).and_then(|m| m.get(index));
    let int = |col: u32, index: &[u32]| cell(col, index).and_then(read::integer);

    let indices: BTreeSet<Vec<u32>> = [
        oids::SUP_DESCRIPTION,
        oids::SUP_MAX_CAPACITY,
        oids::SUP_LEVEL,
    ]
    .iter()
    .filter_map(|c| columns.get(c))
    .flat_map(|m| m.keys().cloned())
    .collect();

    let mut rows: Vec<(Supply, Option<(i64, i64)>)> = indices
        .iter()
        .map(|index| {
            let level = int(oids::SUP_LEVEL, index);
            let max = int(oids::SUP_MAX_CAPACITY, index);
            let unit = int(oids::SUP_UNIT, index);
            let kind_n = int(oids::SUP_TYPE, index);
            let (description, part_number) = cell(oids::SUP_DESCRIPTION, index)
                .and_then(read::bytes)
                .map(text::supply_description)
                .unwrap_or_default();
            let reading = gauge::read(level, max, unit);
            let fraction = level.and_then(|l| gauge::exact_fraction(l, max, unit));
            let supply = Supply {
                index: index.last().copied().unwrap_or_default(),
                class: class(int(oids::SUP_CLASS, index), kind_n, &description),
                kind: kind_n
                    .and_then(enums::supply_type)
                    .unwrap_or("unknown")
                    .to_owned(),
                description,
                part_number,
                colorant: colorant(tree, index, int(oids::SUP_COLORANT_INDEX, index)),
                unit: unit.and_then(enums::supply_unit).map(str::to_owned),
                max_capacity: max.unwrap_or(gauge::LEVEL_UNKNOWN),
                level: level.unwrap_or(gauge::LEVEL_UNKNOWN),
                percent: reading.percent,
                gauge: reading.gauge,
            };
            (supply, fraction)
        })
        .collect();

    mark_stepped(rows.iter_mut().map(|(s, f)| (s, *f)));
    rows.into_iter().map(|(s, _)| s).collect()
}

/// Step detection across all supplies of one poll (see
/// [`gauge::detect_steps`]): exact readings of a printer that only reports
/// coarse steps become `Stepped`. `rows` pairs each supply with its exact
/// fraction, if any.
pub(crate) fn mark_stepped<'a>(rows: impl Iterator<Item = (&'a mut Supply, Option<(i64, i64)>)>) {
    let rows: Vec<(&mut Supply, Option<(i64, i64)>)> = rows.collect();
    let fractions: Vec<(i64, i64)> = rows.iter().filter_map(|(_, f)| *f).collect();
    if gauge::detect_steps(&fractions) {
        for (supply, fraction) in rows {
            if fraction.is_some() && supply.gauge == Gauge::Exact {
                supply.gauge = Gauge::Stepped;
            }
        }
    }
}

/// The class column when valid; else derived from the type (waste types
/// are receptacles); else, with no type either, from the printer's own
/// description ("Waste …" is a receptacle); else consumed, the RFC default
/// for marker supplies.
fn class(column: Option<i64>, kind: Option<i64>, description: &str) -> SupplyClass {
    match column {
        Some(1) => SupplyClass::Other,
        Some(3) => SupplyClass::Consumed,
        Some(4) => SupplyClass::Receptacle,
        _ => inferred_class(kind, description),
    }
}

/// The class of a supply whose printer does not say it: from the type
/// (waste types are receptacles), else from the printer's own words ("Waste
/// …" is a receptacle), else consumed. Shared with the IPP path.
pub(crate) fn inferred_class(kind: Option<i64>, description: &str) -> SupplyClass {
    match kind {
        Some(k) if enums::is_waste_type(k) => SupplyClass::Receptacle,
        Some(1) => SupplyClass::Other,
        Some(k) if enums::supply_type(k).is_some() && k != 2 => SupplyClass::Consumed,
        _ if description.to_ascii_lowercase().contains("waste") => SupplyClass::Receptacle,
        _ => SupplyClass::Consumed,
    }
}

/// prtMarkerColorantValue for the row's colorant index, on the same
/// hrDeviceIndex. Index 0 means "no colorant"; a missing colorant table
/// means no colour: it is never guessed from the position or description.
fn colorant(tree: &MibTree, index: &[u32], colorant_index: Option<i64>) -> Option<String> {
    let ci = u32::try_from(colorant_index?).ok().filter(|c| *c > 0)?;
    let device = index.first().copied()?;
    let value = tree.get_arcs(oids::COLORANT_VALUE, &[device, ci])?;
    text::decode_non_empty(read::bytes(value)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mib::Oid;

    fn tree(rows: &[(&str, Value)]) -> MibTree {
        rows.iter()
            .map(|(o, v)| (Oid::parse(o).expect("oid"), v.clone()))
            .collect()
    }

    fn s(text: &str) -> Value {
        Value::OctetString(text.as_bytes().to_vec().into())
    }

    #[test]
    fn joins_columns_on_the_index_and_looks_up_colour() {
        let t = tree(&[
            ("1.3.6.1.2.1.43.11.1.1.3.1.1", Value::Integer(2)),
            ("1.3.6.1.2.1.43.11.1.1.3.1.2", Value::Integer(0)),
            ("1.3.6.1.2.1.43.11.1.1.5.1.1", Value::Integer(21)),
            ("1.3.6.1.2.1.43.11.1.1.5.1.2", Value::Integer(4)),
            ("1.3.6.1.2.1.43.11.1.1.6.1.1", s("Cyan Cartridge")),
            ("1.3.6.1.2.1.43.11.1.1.6.1.2", s("Waste")),
            ("1.3.6.1.2.1.43.11.1.1.8.1.1", Value::Integer(200)),
            ("1.3.6.1.2.1.43.11.1.1.9.1.1", Value::Integer(50)),
            ("1.3.6.1.2.1.43.11.1.1.9.1.2", Value::Integer(-3)),
            ("1.3.6.1.2.1.43.12.1.1.4.1.1", s("black")),
            ("1.3.6.1.2.1.43.12.1.1.4.1.2", s("cyan")),
        ]);
        let rows = supplies(&t);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].colorant.as_deref(), Some("cyan"));
        assert_eq!(rows[0].kind, "tonerCartridge");
        assert_eq!(rows[0].percent, Some(25.0));
        assert_eq!(rows[1].colorant, None, "colorant index 0 is no colour");
        assert_eq!(rows[1].class, SupplyClass::Receptacle);
        assert_eq!(rows[1].gauge, Gauge::SomeRemaining);
        assert_eq!(rows[1].max_capacity, -2, "missing capacity kept as unknown");
    }

    #[test]
    fn wrong_types_degrade_to_unknown() {
        let t = tree(&[
            ("1.3.6.1.2.1.43.11.1.1.6.1.1", Value::Integer(7)),
            ("1.3.6.1.2.1.43.11.1.1.8.1.1", s("100")),
            ("1.3.6.1.2.1.43.11.1.1.9.1.1", Value::Null),
        ]);
        let rows = supplies(&t);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].description, "");
        assert_eq!(rows[0].gauge, Gauge::Unknown);
        assert_eq!(rows[0].percent, None);
    }

    #[test]
    fn class_falls_back_to_type_then_description() {
        assert_eq!(class(None, Some(8), "x"), SupplyClass::Receptacle);
        assert_eq!(class(None, Some(3), "Waste"), SupplyClass::Consumed);
        assert_eq!(
            class(None, None, "Waste Toner Box"),
            SupplyClass::Receptacle
        );
        assert_eq!(class(Some(9), None, "Drum"), SupplyClass::Consumed);
        assert_eq!(class(Some(4), Some(3), "Toner"), SupplyClass::Receptacle);
    }
}
