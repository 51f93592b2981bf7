//! The supplier catalogue on the settings page and at `/api/v1/catalog`,
//! and the cartridge life each forecast rests on, on the printer page and
//! at `/api/v1/printers/{serial}`: over real TCP, logged in, with the
//! catalogues read from a real store file as the gateway keeps them.

#[path = "web_fixture.rs"]
mod fixture;

use std::sync::Arc;
use std::time::Duration;

use asr_cloud_sync::{Catalog, CatalogScope};
use asr_engine::{LifeSource, SupplyForecast};
use asr_gateway::store::{CatalogOutcome, Store};
use asr_gateway::web::{
    CatalogView, PrinterDetail, SettingsView, StatusSource, StatusView, SupplyLife,
};
use fixture::{RecordingSource, at, cookie_for, recording, start};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The sample fleet, with the catalogues of a real store and the lives of
/// a few forecasts of its first printer.
struct StoreSource {
    fleet: Arc<RecordingSource>,
    store: Store,
    forecasts: Vec<SupplyForecast>,
}

impl StatusSource for StoreSource {
    fn snapshot(&self) -> Result<StatusView, String> {
        self.fleet.snapshot()
    }

    fn printer(&self, serial: &str) -> Result<Option<PrinterDetail>, String> {
        self.fleet.printer(serial)
    }

    fn settings(&self) -> Result<SettingsView, String> {
        self.fleet.settings()
    }

    fn catalogs(&self) -> Result<Vec<CatalogView>, String> {
        let kept = self.store.catalogs().map_err(|e| e.to_string())?;
        Ok(kept
            .iter()
            .map(|k| CatalogView::kept(k.scope, &k.catalog, k.received_at))
            .collect())
    }

    fn supply_lives(&self, serial: &str) -> Result<Vec<SupplyLife>, String> {
        Ok(self
            .forecasts
            .iter()
            .filter(|f| f.printer == serial)
            .filter_map(SupplyLife::of)
            .collect())
    }
}

fn forecast(index: u32, life: Option<(f64, LifeSource)>) -> SupplyForecast {
    SupplyForecast {
        printer: "CNB1K2L3M4".into(),
        supply_index: index,
        supply_type: "toner".into(),
        colorant: None,
        gauge: "percent".into(),
        percent: Some(50.0),
        cartridge_start: None,
        p50_empty_at: None,
        pessimistic_empty_at: None,
        percent_per_day: None,
        spares_on_site: 0,
        spares_in_transit: 0,
        life_pages: life.map(|l| l.0),
        life_source: life.map(|l| l.1),
    }
}

/// A running server over a fresh store (kept alive by the tempdir).
async fn serve() -> (fixture::Running, Arc<StoreSource>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&dir.path().join("gateway.db")).expect("open the store");
    let source = Arc::new(StoreSource {
        fleet: recording(),
        store,
        forecasts: vec![
            forecast(1, Some((3000.0, LifeSource::CatalogRated))),
            forecast(2, Some((2700.0, LifeSource::CatalogLearned))),
            forecast(4, None),
        ],
    });
    let server = start(Arc::clone(&source) as Arc<dyn StatusSource>).await;
    (server, source, dir)
}

fn catalog(value: Value) -> Catalog {
    asr_cloud_sync::parse_catalog(value.to_string().as_bytes()).expect("a valid catalogue")
}

fn fleet_catalog() -> Catalog {
    catalog(json!({
        "catalog_version": 7,
        "issued_at": "2026-03-01T08:00:00Z",
        "supplier": "Supplies & Co",
        "entries": [
            {"model": "HP Color LaserJet Pro MFP M479fdw", "supply_type": "toner",
             "colorant": "black", "part_numbers": ["W2030A", "W2030X"],
             "rated_yield_pages": 2400,
             "learned": {"median_pages": 2700, "low_pages": 2300, "count": 12, "sites": 4}},
            {"model": "HP Color LaserJet Pro MFP M479fdw", "supply_type": "wasteToner",
             "part_numbers": ["W2030-WT"]},
            {"model": "MFC-L8900CDW", "supply_type": "toner", "colorant": "cyan",
             "rated_yield_pages": 1800}
        ]
    }))
}

async fn get(url: &str) -> (StatusCode, String) {
    let r = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
        .get(url)
        .header("Cookie", cookie_for(url).expect("session"))
        .send()
        .await
        .expect("GET");
    (r.status(), r.text().await.expect("body"))
}

async fn get_json(url: &str) -> Value {
    let (status, body) = get(url).await;
    assert_eq!(status, StatusCode::OK, "{url}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

/// The schema the served OpenAPI document gives for `GET path`'s 200.
async fn check_against_document(base: &str, path: &str, template: &str, body: &Value) {
    let mut doc = get_json(&format!("{base}/api/v1/openapi.json")).await;
    let pointer = template.replace('~', "~0").replace('/', "~1");
    doc["$ref"] = json!(format!(
        "#/paths/{}/get/responses/200/content/application~1json/schema",
        pointer.replace('{', "%7B").replace('}', "%7D")
    ));
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&doc)
        .expect("a schema");
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{path}: {errors:?}\n{body}");
}

#[tokio::test]
async fn the_settings_page_says_when_no_catalogue_has_come() {
    let (server, _source, _dir) = serve().await;
    let (status, en) = get(&server.url("/settings?lang=en")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(en.contains(">Supplier catalogue</h3>"));
    assert!(en.contains("No catalogue received yet"));
    assert!(en.contains("<code>asr/v1/catalog</code>"));
    let (_, fr) = get(&server.url("/settings?lang=fr")).await;
    assert!(fr.contains(">Catalogue fournisseur</h3>"));
    assert!(fr.contains("Aucun catalogue reçu pour l’instant"));
    // The rest of the page is all there.
    assert!(fr.contains("name=\"poll_interval\""));
    let api = get_json(&server.url("/api/v1/catalog")).await;
    assert_eq!(api, json!([]));
    check_against_document(&server.url(""), "/api/v1/catalog", "/api/v1/catalog", &api).await;
}

#[tokio::test]
async fn a_saved_catalogue_shows_on_the_settings_page_and_in_the_api() {
    let (server, source, _dir) = serve().await;
    let received = at(2026, 3, 2, 10, 15);
    let saved = source
        .store
        .save_catalog(CatalogScope::Fleet, &fleet_catalog(), received)
        .expect("save");
    assert_eq!(
        saved,
        CatalogOutcome::Applied {
            previous_version: None
        }
    );
    let own = catalog(json!({
        "catalog_version": 2,
        "entries": [{"model": "MFC-L8900CDW", "supply_type": "toner", "colorant": "cyan",
                     "part_numbers": ["TN-421C"]}]
    }));
    source
        .store
        .save_catalog(CatalogScope::Gateway, &own, received)
        .expect("save");

    let (status, en) = get(&server.url("/settings?lang=en")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!en.contains("No catalogue received yet"));
    // This gateway's own first, then the one for every gateway.
    let own_at = en.find("For this gateway only").expect("own catalogue");
    let fleet_at = en.find("For every gateway").expect("fleet catalogue");
    assert!(own_at < fleet_at);
    let fleet = &en[fleet_at..];
    assert!(fleet.contains("<dt>Version</dt><dd>7</dd>"));
    assert!(fleet.contains("<dt>Supplier</dt><dd>Supplies &amp; Co</dd>"));
    assert!(
        fleet.contains("<time datetime=\"2026-03-01T08:00:00Z\""),
        "issued"
    );
    assert!(
        fleet.contains("<time datetime=\"2026-03-02T10:15:00Z\""),
        "received"
    );
    assert!(fleet.contains("<dt>Entries</dt><dd>3</dd>"));
    assert!(fleet.contains("<dt>With part numbers</dt><dd>2</dd>"));
    assert!(fleet.contains("<dt>With rated yield</dt><dd>2</dd>"));
    assert!(fleet.contains("<dt>With learned life</dt><dd>1</dd>"));
    assert!(fleet.contains("W2030A (+1)"));
    assert!(fleet.contains("2,400 pages"));
    assert!(fleet.contains("2,700 pages (12 cartridges, 4 sites)"));
    assert!(fleet.contains("Toner · Black"));
    assert!(en[own_at..fleet_at].contains("TN-421C"));

    let (_, fr) = get(&server.url("/settings?lang=fr")).await;
    assert!(fr.contains("Pour cette passerelle seulement"));
    assert!(fr.contains("Pour toutes les passerelles"));
    assert!(fr.contains("<dt>Version</dt><dd>7</dd>"));
    assert!(fr.contains("<dt>Fournisseur</dt><dd>Supplies &amp; Co</dd>"));
    assert!(fr.contains("<dt>Avec références</dt><dd>2</dd>"));
    assert!(fr.contains("W2030A (+1)"));
    assert!(fr.contains("2\u{202f}700 pages (12 cartouches, 4 sites)"));
    assert!(fr.contains("Récupérateur de toner"));

    let api = get_json(&server.url("/api/v1/catalog")).await;
    check_against_document(&server.url(""), "/api/v1/catalog", "/api/v1/catalog", &api).await;
    let kept = api.as_array().expect("a list");
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0]["scope"], "gateway");
    assert_eq!(kept[0]["version"], 2);
    assert_eq!(kept[0]["supplier"], Value::Null);
    assert_eq!(kept[1]["scope"], "fleet");
    assert_eq!(kept[1]["version"], 7);
    assert_eq!(kept[1]["supplier"], "Supplies & Co");
    assert_eq!(kept[1]["issued_at"], "2026-03-01T08:00:00Z");
    assert_eq!(kept[1]["received_at"], "2026-03-02T10:15:00Z");
    assert_eq!(kept[1]["entries"].as_array().map(Vec::len), Some(3));
    assert_eq!(kept[1]["entries"][0]["part_numbers"][0], "W2030A");
    assert_eq!(kept[1]["entries"][0]["learned"]["count"], 12);
}

#[tokio::test]
async fn the_printer_page_says_what_each_cartridge_life_rests_on() {
    let (server, _source, _dir) = serve().await;
    let (status, en) = get(&server.url("/printers/CNB1K2L3M4?lang=en")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(en.contains(">Cartridge life</h2>"));
    assert!(en.contains(
        "<strong>Black Toner Cartridge 415A</strong> — ≈ 3,000 pages (supplier catalogue, rated yield)"
    ));
    assert!(
        en.contains("≈ 2,700 pages (supplier catalogue, learned across the supplier&#39;s sites)")
    );
    assert!(
        !en.contains("<strong>Yellow Toner Cartridge 415A</strong> —"),
        "a supply paced by its own gauge has no life to show"
    );
    let (_, fr) = get(&server.url("/printers/CNB1K2L3M4?lang=fr")).await;
    assert!(fr.contains(">Durée de vie des cartouches</h2>"));
    assert!(fr.contains("≈ 3\u{202f}000 pages (catalogue fournisseur, rendement annoncé)"));
    assert!(fr.contains(
        "≈ 2\u{202f}700 pages (catalogue fournisseur, mesurée sur les sites du fournisseur)"
    ));
    // A printer whose forecasts rest on no life has no such section.
    let (_, other) = get(&server.url("/printers/E78241K5N123?lang=en")).await;
    assert!(!other.contains("Cartridge life"));

    let path = "/api/v1/printers/CNB1K2L3M4";
    let detail = get_json(&server.url(path)).await;
    check_against_document(&server.url(""), path, "/api/v1/printers/{serial}", &detail).await;
    assert_eq!(
        detail["lives"],
        json!([
            {"supply_index": 1, "life_pages": 3000.0, "life_source": "catalog_rated"},
            {"supply_index": 2, "life_pages": 2700.0, "life_source": "catalog_learned"}
        ])
    );
    assert_eq!(detail["printer"]["serial"], "CNB1K2L3M4");
}
