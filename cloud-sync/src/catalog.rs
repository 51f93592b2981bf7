//! The supplier's catalogue, as it travels over MQTT: per printer model and
//! supply, the part numbers to ship, the rated yield in pages (ISO/IEC 19752
//! for toners, 19798 for colour toners, at 5 % coverage) and, optionally, the
//! cartridge life the supplier learned across all its sites.
//!
//! The supplier publishes it retained on `asr/v1/catalog` (every gateway) or
//! `asr/v1/<gateway-id>/catalog` (one gateway; it wins over the fleet-wide
//! one for the models it names). Each gateway answers on
//! `asr/v1/<gateway-id>/catalog/res`. Parsing here checks shape and sizes
//! only: whether a version is newer than the one in use is the gateway's
//! call, since only it knows what it keeps.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Largest catalogue accepted: a few thousand entries fit well under it,
/// and a Raspberry Pi need not parse megabytes a broker was asked to keep.
pub const MAX_CATALOG_BYTES: usize = 256 * 1024;

/// Most entries in one catalogue.
pub const MAX_ENTRIES: usize = 2000;

/// Most part numbers per entry (the standard and the high-yield cartridge,
/// a few compatible ones).
const MAX_PART_NUMBERS: usize = 8;

/// Longest model name, part number or supply type.
const MAX_NAME: usize = 128;

/// Longest description.
const MAX_DESCRIPTION: usize = 256;

/// Largest plausible cartridge life in pages (a drum of a production printer).
const MAX_PAGES: f64 = 10_000_000.0;

/// Where a catalogue came from: every gateway's topic or this gateway's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogScope {
    /// `asr/v1/catalog`.
    Fleet,
    /// `asr/v1/<gateway-id>/catalog`.
    Gateway,
}

impl CatalogScope {
    pub fn as_str(self) -> &'static str {
        match self {
            CatalogScope::Fleet => "fleet",
            CatalogScope::Gateway => "gateway",
        }
    }

    pub fn parse(value: &str) -> Option<CatalogScope> {
        [CatalogScope::Fleet, CatalogScope::Gateway]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

/// A validated catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Increases with every change the supplier makes; a gateway never goes back.
    pub catalog_version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<DateTime<Utc>>,
    /// Who keeps it (shown on the status page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    pub entries: Vec<CatalogEntry>,
}

/// What the supplier knows about one supply of one printer model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogEntry {
    /// The model as printers report it (hrDeviceDescr, IPP printer-make-and-model).
    pub model: String,
    /// RFC 3805 supply type name: `toner`, `ink`, `wasteToner`, `opc`, ...
    pub supply_type: String,
    /// `black`, `cyan`, ...; absent for supplies without one (waste bottles, drums).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colorant: Option<String>,
    /// Part numbers that fit, the one to ship first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub part_numbers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Pages at 5 % coverage (ISO/IEC 19752 / 19798).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rated_yield_pages: Option<f64>,
    /// What cartridges really lasted across the supplier's sites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned: Option<LearnedLife>,
}

/// Cartridge lives measured across sites, as the supplier aggregated them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnedLife {
    /// Median pages per cartridge.
    pub median_pages: f64,
    /// A low figure (the supplier's 10th percentile): the pessimistic life.
    pub low_pages: f64,
    /// Cartridges behind the figure.
    pub count: u32,
    /// Sites (gateways) behind the figure.
    #[serde(default)]
    pub sites: u32,
}

/// Why a catalogue was refused; the gateway answers `failed` with it and
/// keeps the catalogue it had.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CatalogError {
    #[error("catalogue of {0} bytes is larger than the {MAX_CATALOG_BYTES} accepted")]
    TooLarge(usize),
    #[error("catalogue is not valid JSON of the expected shape: {0}")]
    BadJson(String),
    #[error("catalogue has {0} entries, more than the {MAX_ENTRIES} accepted")]
    TooManyEntries(usize),
    #[error("catalogue_version must be at least 1")]
    NoVersion,
    #[error("entry {index}: {reason}")]
    BadEntry { index: usize, reason: String },
}

/// Parses and validates a catalogue body.
pub fn parse_catalog(payload: &[u8]) -> Result<Catalog, CatalogError> {
    if payload.len() > MAX_CATALOG_BYTES {
        return Err(CatalogError::TooLarge(payload.len()));
    }
    let catalog: Catalog =
        serde_json::from_slice(payload).map_err(|e| CatalogError::BadJson(e.to_string()))?;
    catalog.validate()?;
    Ok(catalog)
}

impl Catalog {
    /// Checks sizes, numbers and that no supply is described twice.
    pub fn validate(&self) -> Result<(), CatalogError> {
        if self.catalog_version == 0 {
            return Err(CatalogError::NoVersion);
        }
        if self.entries.len() > MAX_ENTRIES {
            return Err(CatalogError::TooManyEntries(self.entries.len()));
        }
        if let Some(s) = &self.supplier
            && s.len() > MAX_NAME
        {
            return Err(CatalogError::BadJson(format!(
                "supplier is longer than {MAX_NAME} bytes"
            )));
        }
        let mut seen = HashSet::new();
        for (index, entry) in self.entries.iter().enumerate() {
            let bad = |reason: String| CatalogError::BadEntry { index, reason };
            entry.validate().map_err(bad)?;
            let key = (
                entry.model.to_lowercase(),
                entry.supply_type.to_lowercase(),
                entry.colorant.as_deref().unwrap_or("").to_lowercase(),
            );
            if !seen.insert(key) {
                return Err(bad(format!(
                    "{} {} {} is described twice",
                    entry.model,
                    entry.supply_type,
                    entry.colorant.as_deref().unwrap_or("")
                )));
            }
        }
        Ok(())
    }

    /// The body as stored and compared: the same catalogue always gives the
    /// same bytes.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}

impl CatalogEntry {
    fn validate(&self) -> Result<(), String> {
        text("model", &self.model, MAX_NAME, true)?;
        text("supply_type", &self.supply_type, MAX_NAME, true)?;
        if let Some(c) = &self.colorant {
            text("colorant", c, MAX_NAME, false)?;
        }
        if let Some(d) = &self.description {
            text("description", d, MAX_DESCRIPTION, false)?;
        }
        if self.part_numbers.len() > MAX_PART_NUMBERS {
            return Err(format!(
                "more than {MAX_PART_NUMBERS} part numbers ({})",
                self.part_numbers.len()
            ));
        }
        for p in &self.part_numbers {
            text("part number", p, MAX_NAME, true)?;
        }
        if let Some(y) = self.rated_yield_pages {
            pages("rated_yield_pages", y)?;
        }
        if let Some(l) = &self.learned {
            pages("learned.median_pages", l.median_pages)?;
            pages("learned.low_pages", l.low_pages)?;
            if l.low_pages > l.median_pages {
                return Err("learned.low_pages is above learned.median_pages".into());
            }
            if l.count == 0 {
                return Err("learned.count must be at least 1".into());
            }
        }
        if self.part_numbers.is_empty()
            && self.rated_yield_pages.is_none()
            && self.learned.is_none()
        {
            return Err("says nothing: give part_numbers, rated_yield_pages or learned".into());
        }
        Ok(())
    }
}

fn text(what: &str, value: &str, max: usize, required: bool) -> Result<(), String> {
    if required && value.trim().is_empty() {
        return Err(format!("{what} must not be empty"));
    }
    if value.len() > max {
        return Err(format!("{what} is longer than {max} bytes"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{what} contains control characters"));
    }
    Ok(())
}

fn pages(what: &str, value: f64) -> Result<(), String> {
    if (1.0..=MAX_PAGES).contains(&value) {
        Ok(())
    } else {
        Err(format!("{what} must be between 1 and {MAX_PAGES} pages"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> serde_json::Value {
        serde_json::json!({
            "catalog_version": 3,
            "supplier": "Supplies & Co",
            "entries": [
                {"model": "LaserJet Pro M404dn", "supply_type": "toner", "colorant": "black",
                 "part_numbers": ["CF259A", "CF259X"], "description": "HP 59A black",
                 "rated_yield_pages": 3000,
                 "learned": {"median_pages": 2700, "low_pages": 2300, "count": 12, "sites": 4}},
                {"model": "MFC-L8900CDW", "supply_type": "wasteToner", "part_numbers": ["WT-229CL"]}
            ]
        })
    }

    fn parse(v: &serde_json::Value) -> Result<Catalog, CatalogError> {
        parse_catalog(&serde_json::to_vec(v).expect("json"))
    }

    #[test]
    fn a_good_catalogue_round_trips() {
        let c = parse(&good()).expect("valid");
        assert_eq!(c.catalog_version, 3);
        assert_eq!(c.entries[0].part_numbers[0], "CF259A");
        assert_eq!(parse_catalog(&c.to_json()).expect("again"), c);
    }

    #[test]
    fn bad_catalogues_say_why() {
        let mut v = good();
        v["catalog_version"] = 0.into();
        assert_eq!(parse(&v), Err(CatalogError::NoVersion));

        let mut v = good();
        v["entries"][0]["rated_yield_pages"] = (-5).into();
        assert!(matches!(
            parse(&v),
            Err(CatalogError::BadEntry { index: 0, .. })
        ));

        let mut v = good();
        v["entries"][1]["model"] = "".into();
        assert!(matches!(
            parse(&v),
            Err(CatalogError::BadEntry { index: 1, .. })
        ));

        let mut v = good();
        v["entries"][0]["learned"]["low_pages"] = 9000.into();
        assert!(matches!(parse(&v), Err(CatalogError::BadEntry { .. })));

        let mut v = good();
        let first = v["entries"][0].clone();
        v["entries"].as_array_mut().expect("entries").push(first);
        let err = parse(&v).expect_err("duplicate");
        assert!(err.to_string().contains("twice"), "{err}");

        let mut v = good();
        v["entries"][0]["surprise"] = 1.into();
        assert!(matches!(parse(&v), Err(CatalogError::BadJson(_))));

        assert!(matches!(
            parse_catalog(b"[1,2]"),
            Err(CatalogError::BadJson(_))
        ));
        assert!(matches!(
            parse_catalog(&vec![b' '; MAX_CATALOG_BYTES + 1]),
            Err(CatalogError::TooLarge(_))
        ));
        let mut v = good();
        v["entries"][1]["part_numbers"] = serde_json::json!([]);
        assert!(matches!(
            parse(&v),
            Err(CatalogError::BadEntry { index: 1, .. })
        ));
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for len in 0..400 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state & 0xff) as u8
                })
                .collect();
            let _ = parse_catalog(&bytes);
        }
    }
}
