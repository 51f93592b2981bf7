//! The catalogue and cartridge-life views built from the wire and engine
//! types. Kept apart from `view` so the view models stay plain data, and
//! here rather than in the runtime so every source (the gateway's, a test's
//! over a real store) builds them the same way.

use asr_cloud_sync::{Catalog, CatalogScope};
use asr_engine::SupplyForecast;
use chrono::{DateTime, Utc};

use super::view::{CatalogView, SupplyLife};

impl CatalogView {
    /// The view of `catalog`, kept for `scope` since `received_at`.
    pub fn kept(scope: CatalogScope, catalog: &Catalog, received_at: DateTime<Utc>) -> Self {
        CatalogView {
            scope: scope.as_str().to_owned(),
            version: catalog.catalog_version,
            supplier: catalog.supplier.clone(),
            issued_at: catalog.issued_at,
            received_at,
            entries: catalog.entries.clone(),
        }
    }
}

impl SupplyLife {
    /// The life `forecast` rests on; `None` when it needs none (a percent
    /// gauge paced by itself) or says nothing of where it comes from.
    pub fn of(forecast: &SupplyForecast) -> Option<Self> {
        let life_pages = forecast.life_pages.filter(|p| p.is_finite() && *p > 0.0)?;
        // The serde name (`catalog_rated`), the same word the engine's JSON uses.
        let life_source = serde_json::to_value(forecast.life_source?)
            .ok()?
            .as_str()?
            .to_owned();
        Some(SupplyLife {
            supply_index: forecast.supply_index,
            life_pages,
            life_source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asr_engine::LifeSource;

    fn forecast(life: Option<f64>, source: Option<LifeSource>) -> SupplyForecast {
        SupplyForecast {
            printer: "p".into(),
            supply_index: 2,
            supply_type: "toner".into(),
            colorant: Some("black".into()),
            gauge: "percent".into(),
            percent: Some(40.0),
            cartridge_start: None,
            p50_empty_at: None,
            pessimistic_empty_at: None,
            percent_per_day: None,
            spares_on_site: 0,
            spares_in_transit: 0,
            life_pages: life,
            life_source: source,
        }
    }

    #[test]
    fn a_life_keeps_the_engine_s_word_for_its_source() {
        let life = SupplyLife::of(&forecast(Some(3000.0), Some(LifeSource::CatalogRated)));
        assert_eq!(
            life,
            Some(SupplyLife {
                supply_index: 2,
                life_pages: 3000.0,
                life_source: "catalog_rated".into()
            })
        );
        assert_eq!(SupplyLife::of(&forecast(None, None)), None);
        assert_eq!(
            SupplyLife::of(&forecast(Some(f64::NAN), Some(LifeSource::Stated))),
            None
        );
    }

    #[test]
    fn a_catalogue_view_names_its_scope() {
        let catalog = asr_cloud_sync::parse_catalog(
            br#"{"catalog_version": 4, "supplier": "S", "entries": [
                {"model": "M", "supply_type": "toner", "part_numbers": ["P1"]}]}"#,
        )
        .expect("valid");
        let at = Utc::now();
        let view = CatalogView::kept(CatalogScope::Gateway, &catalog, at);
        assert_eq!(view.scope, "gateway");
        assert_eq!(view.version, 4);
        assert_eq!(view.entries[0].part_numbers, ["P1"]);
        assert_eq!(view.received_at, at);
    }
}
