//! The supplier catalogue in use: this gateway's own entries first, then the
//! fleet-wide ones for the supplies it does not name. What the engine gets
//! from it (cartridge lives) and what order lines get (part numbers).

use asr_cloud_sync::CatalogEntry;
use asr_engine::CatalogLife;
use asr_engine::catalog::{find, model_words, same_colour, type_family};

use crate::store::StoredCatalog;

/// Entries in use, from the catalogues kept (this gateway's own first, as
/// [`crate::store::Store::catalogs`] returns them).
pub(crate) fn effective(stored: &[StoredCatalog]) -> Vec<CatalogEntry> {
    let mut out: Vec<CatalogEntry> = Vec::new();
    for kept in stored {
        for e in &kept.catalog.entries {
            let named = out.iter().any(|o| {
                o.model.eq_ignore_ascii_case(&e.model)
                    && type_family(&o.supply_type).eq_ignore_ascii_case(type_family(&e.supply_type))
                    && same_colour(o.colorant.as_deref(), e.colorant.as_deref())
            });
            if !named {
                out.push(e.clone());
            }
        }
    }
    out
}

/// The figures the engine forecasts with.
pub(crate) fn engine_entries(entries: &[CatalogEntry]) -> Vec<CatalogLife> {
    entries
        .iter()
        .filter(|e| e.rated_yield_pages.is_some() || e.learned.is_some())
        .map(|e| CatalogLife {
            model: e.model.clone(),
            supply_type: e.supply_type.clone(),
            colorant: e.colorant.clone(),
            rated_pages: e.rated_yield_pages,
            learned_pages: e.learned.map(|l| l.median_pages),
            learned_low: e.learned.map(|l| l.low_pages),
            learned_count: e.learned.map_or(0, |l| l.count),
        })
        .collect()
}

/// Entries with their models' words, for matching many supplies.
pub(crate) struct Lookup {
    entries: Vec<(Vec<String>, CatalogEntry)>,
}

impl Lookup {
    pub(crate) fn new(entries: Vec<CatalogEntry>) -> Self {
        Lookup {
            entries: entries
                .into_iter()
                .map(|e| (model_words(&e.model), e))
                .collect(),
        }
    }

    /// The entry for one supply of a printer model.
    pub(crate) fn find(
        &self,
        model: &str,
        supply_type: &str,
        colorant: Option<&str>,
    ) -> Option<&CatalogEntry> {
        find(
            &self.entries,
            |(w, e)| (w.as_slice(), e.supply_type.as_str(), e.colorant.as_deref()),
            &model_words(model),
            supply_type,
            colorant,
        )
        .map(|(_, e)| e)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asr_cloud_sync::{CatalogScope, parse_catalog};

    fn stored(scope: CatalogScope, part: &str, extra_model: &str) -> StoredCatalog {
        let catalog = parse_catalog(
            serde_json::json!({
                "catalog_version": 1,
                "entries": [
                    {"model": "HP LaserJet Pro M404dn", "supply_type": "toner", "colorant": "black",
                     "part_numbers": [part], "rated_yield_pages": 3000},
                    {"model": extra_model, "supply_type": "toner", "part_numbers": ["X1"]}
                ]
            })
            .to_string()
            .as_bytes(),
        )
        .expect("valid");
        StoredCatalog {
            scope,
            catalog,
            received_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn the_gateways_own_entries_win_and_the_fleets_fill_in() {
        let kept = [
            stored(CatalogScope::Gateway, "OWN-59A", "Kyocera TK 1"),
            stored(CatalogScope::Fleet, "CF259A", "Brother HL-L5100DN"),
        ];
        let entries = effective(&kept);
        assert_eq!(entries.len(), 3);
        let lookup = Lookup::new(entries.clone());
        let hp = lookup
            .find("HP LaserJet Pro M404dn", "tonerCartridge", Some("black"))
            .expect("found");
        assert_eq!(hp.part_numbers, vec!["OWN-59A".to_string()]);
        assert!(
            lookup
                .find("Brother HL-L5100DN series", "toner", None)
                .is_some()
        );
        assert!(lookup.find("Canon i-SENSYS", "toner", None).is_none());
        // Part numbers alone give the engine nothing.
        assert_eq!(engine_entries(&entries).len(), 1);
    }
}
