//! The `catalogs` table: the supplier's catalogue, one per scope (every
//! gateway's, this gateway's own). A catalogue replaces the one of its scope
//! only when its version is higher: a retained message sent again, or an old
//! one a broker kept, never takes the gateway back.

use asr_cloud_sync::{Catalog, CatalogScope};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::time::{from_db, to_db};
use super::{Store, StoreError};

/// A catalogue as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCatalog {
    pub scope: CatalogScope,
    pub catalog: Catalog,
    pub received_at: DateTime<Utc>,
}

/// What storing a catalogue did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogOutcome {
    /// It is the catalogue of its scope now.
    Applied { previous_version: Option<u64> },
    /// The same version with the same content was already in use.
    Unchanged,
    /// Refused (the one in use stays); the reason is for the sender.
    Refused(String),
}

impl Store {
    /// Stores `catalog` as the one of `scope` if it is newer than the one kept.
    pub fn save_catalog(
        &self,
        scope: CatalogScope,
        catalog: &Catalog,
        at: DateTime<Utc>,
    ) -> Result<CatalogOutcome, StoreError> {
        let body = String::from_utf8_lossy(&catalog.to_json()).into_owned();
        let version = i64::try_from(catalog.catalog_version).unwrap_or(i64::MAX);
        self.transaction(|tx| {
            let kept: Option<(i64, String)> = tx
                .prepare_cached("SELECT version, body FROM catalogs WHERE scope = ?1")?
                .query_row([scope.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let previous_version = match kept {
                Some((v, b)) if v == version && b == body => return Ok(CatalogOutcome::Unchanged),
                Some((v, _)) if v == version => {
                    return Ok(CatalogOutcome::Refused(format!(
                        "catalog_version {version} is already in use with other content: \
                         a changed catalogue needs a higher version"
                    )));
                }
                Some((v, _)) if v > version => {
                    return Ok(CatalogOutcome::Refused(format!(
                        "catalog_version {version} is older than version {v} in use"
                    )));
                }
                Some((v, _)) => u64::try_from(v).ok(),
                None => None,
            };
            tx.execute(
                "INSERT INTO catalogs (scope, version, body, received_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (scope) DO UPDATE SET version = excluded.version,
                     body = excluded.body, received_at = excluded.received_at",
                params![scope.as_str(), version, body, to_db(at)],
            )?;
            Ok(CatalogOutcome::Applied { previous_version })
        })
    }

    /// The catalogues kept, this gateway's own first.
    pub fn catalogs(&self) -> Result<Vec<StoredCatalog>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT scope, body, received_at FROM catalogs
             ORDER BY CASE scope WHEN 'gateway' THEN 0 ELSE 1 END",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (scope, body, at) = row?;
            let Some(scope) = CatalogScope::parse(&scope) else {
                continue;
            };
            let catalog: Catalog =
                serde_json::from_str(&body).map_err(|source| StoreError::Json {
                    column: "catalogs.body",
                    source,
                })?;
            out.push(StoredCatalog {
                scope,
                catalog,
                received_at: from_db(at, "catalogs.received_at")?,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(version: u64, part: &str) -> Catalog {
        asr_cloud_sync::parse_catalog(
            serde_json::json!({
                "catalog_version": version,
                "entries": [{"model": "M1", "supply_type": "toner", "colorant": "black",
                             "part_numbers": [part]}]
            })
            .to_string()
            .as_bytes(),
        )
        .expect("valid")
    }

    #[test]
    fn only_a_newer_version_replaces_a_catalogue() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&dir.path().join("g.db")).expect("open");
        let now = Utc::now();
        let fleet = CatalogScope::Fleet;
        assert_eq!(
            store
                .save_catalog(fleet, &catalog(2, "A"), now)
                .expect("save"),
            CatalogOutcome::Applied {
                previous_version: None
            }
        );
        assert_eq!(
            store
                .save_catalog(fleet, &catalog(2, "A"), now)
                .expect("save"),
            CatalogOutcome::Unchanged
        );
        for older in [catalog(1, "B"), catalog(2, "B")] {
            assert!(matches!(
                store.save_catalog(fleet, &older, now).expect("save"),
                CatalogOutcome::Refused(_)
            ));
        }
        store
            .save_catalog(CatalogScope::Gateway, &catalog(1, "G"), now)
            .expect("save");
        assert_eq!(
            store
                .save_catalog(fleet, &catalog(3, "C"), now)
                .expect("save"),
            CatalogOutcome::Applied {
                previous_version: Some(2)
            }
        );
        let kept = store.catalogs().expect("read");
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].scope, CatalogScope::Gateway);
        assert_eq!(
            kept[1].catalog.entries[0].part_numbers,
            vec!["C".to_string()]
        );
    }
}
