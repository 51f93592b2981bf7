//! The `supplies` table: the current state of each supply of each printer
//! (what the status page shows and the engine starts from). A row is
//! rewritten only when one of its values changes, so a steady printer costs
//! no supply writes at all.

use asr_protocols::printer::{Gauge, Supply, SupplyClass};
use chrono::{DateTime, Utc};
use rusqlite::Row;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::time::from_db;
use super::{Store, StoreError};

/// One supply as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupplyRow {
    /// Identity key of its printer.
    pub printer_key: String,
    /// prtMarkerSuppliesTable row index.
    pub index: u32,
    /// Cleaned description.
    pub description: String,
    /// Part number when known.
    pub part_number: Option<String>,
    /// Supply type name (toner, ink, wasteToner, …).
    pub kind: String,
    /// Consumed or receptacle.
    pub class: SupplyClass,
    /// Colour name.
    pub colorant: Option<String>,
    /// Unit name of level and capacity.
    pub unit: Option<String>,
    /// Raw capacity (negative codes kept).
    pub max_capacity: i64,
    /// Raw level (negative codes kept).
    pub level: i64,
    /// Life left in percent, only when honest.
    pub percent: Option<f64>,
    /// How far `percent` can be trusted.
    pub gauge: Gauge,
    /// When any of these values last changed.
    pub updated_at: DateTime<Utc>,
}

impl SupplyRow {
    /// The supply in the protocol crate's shape (what the engine consumes).
    pub fn to_supply(&self) -> Supply {
        Supply {
            index: self.index,
            description: self.description.clone(),
            part_number: self.part_number.clone(),
            kind: self.kind.clone(),
            class: self.class,
            colorant: self.colorant.clone(),
            unit: self.unit.clone(),
            max_capacity: self.max_capacity,
            level: self.level,
            percent: self.percent,
            gauge: self.gauge,
        }
    }
}

const COLUMNS: &str = "printer_key, supply_index, description, part_number, kind, class, \
     colorant, unit, max_capacity, level, percent, gauge, updated_at";

impl Store {
    /// The supplies of one printer, by index.
    pub fn supplies(&self, key: &str) -> Result<Vec<SupplyRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM supplies WHERE printer_key = ?1 ORDER BY supply_index"
        ))?;
        let raw = stmt
            .query_map([key], RawSupply::read)?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter().map(RawSupply::into_row).collect()
    }

    /// Every supply of every printer, by printer key then index.
    pub fn all_supplies(&self) -> Result<Vec<SupplyRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM supplies ORDER BY printer_key, supply_index"
        ))?;
        let raw = stmt
            .query_map([], RawSupply::read)?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter().map(RawSupply::into_row).collect()
    }
}

/// The text a serde-named enum (SupplyClass, Gauge) is stored as: its serde
/// name, so the database reads like the JSON contract.
pub(crate) fn enum_to_text<T: Serialize>(
    value: &T,
    column: &'static str,
) -> Result<String, StoreError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => Ok(text),
        Ok(other) => Err(StoreError::InvalidValue {
            column,
            value: other.to_string(),
        }),
        Err(source) => Err(StoreError::Json { column, source }),
    }
}

/// The enum back from its stored text.
pub(crate) fn enum_from_text<T: DeserializeOwned>(
    text: String,
    column: &'static str,
) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.clone())).map_err(|_| {
        StoreError::InvalidValue {
            column,
            value: text,
        }
    })
}

/// A row as SQLite hands it over, before conversions that can fail.
pub(crate) struct RawSupply {
    printer_key: String,
    index: i64,
    description: String,
    part_number: Option<String>,
    kind: String,
    class: String,
    colorant: Option<String>,
    unit: Option<String>,
    max_capacity: i64,
    level: i64,
    percent: Option<f64>,
    gauge: String,
    updated_at: i64,
}

impl RawSupply {
    pub(crate) fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            printer_key: row.get(0)?,
            index: row.get(1)?,
            description: row.get(2)?,
            part_number: row.get(3)?,
            kind: row.get(4)?,
            class: row.get(5)?,
            colorant: row.get(6)?,
            unit: row.get(7)?,
            max_capacity: row.get(8)?,
            level: row.get(9)?,
            percent: row.get(10)?,
            gauge: row.get(11)?,
            updated_at: row.get(12)?,
        })
    }

    pub(crate) fn into_row(self) -> Result<SupplyRow, StoreError> {
        Ok(SupplyRow {
            printer_key: self.printer_key,
            index: u32::try_from(self.index).map_err(|_| StoreError::InvalidValue {
                column: "supplies.supply_index",
                value: self.index.to_string(),
            })?,
            description: self.description,
            part_number: self.part_number,
            kind: self.kind,
            class: enum_from_text(self.class, "supplies.class")?,
            colorant: self.colorant,
            unit: self.unit,
            max_capacity: self.max_capacity,
            level: self.level,
            percent: self.percent,
            gauge: enum_from_text(self.gauge, "supplies.gauge")?,
            updated_at: from_db(self.updated_at, "supplies.updated_at")?,
        })
    }
}
