//! Cartridge lives a gateway measured, going up on `asr/v1/<gateway-id>/lives`
//! (retained, at most daily, through the outbox like every upstream message):
//! per printer model and supply, the pages each cartridge watched from full
//! to empty lasted. One site sees a few cartridges of a model a year; the
//! supplier pools every site's lives and sends the figure back down in its
//! catalogue ([`crate::catalog`]), which no single site could learn alone.
//!
//! Each report replaces the gateway's previous one (it carries the latest
//! lives of every model and supply, not only new ones), so a consumer keeps
//! the last report per gateway and aggregates those.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Largest report accepted by a consumer.
pub const MAX_LIVES_BYTES: usize = 512 * 1024;

/// Most lives kept per model and supply in one report.
pub const MAX_LIVES_PER_SUPPLY: usize = 32;

/// The body of a lives message, without the envelope (`id`, `created_at`,
/// `clock_synced`, `schema_version`, `gateway_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LivesReport {
    pub lives: Vec<ModelLives>,
}

/// What one gateway measured for one supply of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelLives {
    pub model: String,
    pub supply_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colorant: Option<String>,
    /// Cartridges measured.
    pub count: u32,
    /// Printers they came from.
    pub printers: u32,
    pub median_pages: f64,
    /// 10th and 90th percentiles: the spread between printers and coverages.
    pub p10_pages: f64,
    pub p90_pages: f64,
    /// Every life, in pages, so lives can be pooled across sites.
    pub pages: Vec<f64>,
}

/// Why a lives report was not used by a consumer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LivesError {
    #[error("lives report of {0} bytes is larger than the {MAX_LIVES_BYTES} accepted")]
    TooLarge(usize),
    #[error("lives report is not valid JSON of the expected shape: {0}")]
    BadJson(String),
}

/// Parses a lives report; implausible lives (not finite, under one page)
/// and overlong lists are dropped, not refused: one odd printer must not
/// hide a whole site's figures.
pub fn parse_lives(payload: &[u8]) -> Result<LivesReport, LivesError> {
    if payload.len() > MAX_LIVES_BYTES {
        return Err(LivesError::TooLarge(payload.len()));
    }
    let mut report: LivesReport =
        serde_json::from_slice(payload).map_err(|e| LivesError::BadJson(e.to_string()))?;
    for m in &mut report.lives {
        m.pages.retain(|p| p.is_finite() && *p >= 1.0);
        m.pages.truncate(MAX_LIVES_PER_SUPPLY);
    }
    report
        .lives
        .retain(|m| !m.pages.is_empty() && !m.model.trim().is_empty() && m.model.len() <= 128);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_lives_are_dropped_and_garbage_refused() {
        let body = serde_json::json!({"lives": [
            {"model": "M1", "supply_type": "toner", "colorant": "black", "count": 2, "printers": 1,
             "median_pages": 3000.0, "p10_pages": 2900.0, "p90_pages": 3100.0,
             "pages": [2900.0, -1.0, 3100.0]},
            {"model": "", "supply_type": "toner", "count": 1, "printers": 1,
             "median_pages": 1.0, "p10_pages": 1.0, "p90_pages": 1.0, "pages": [100.0]}
        ]});
        let r = parse_lives(&serde_json::to_vec(&body).expect("json")).expect("parse");
        assert_eq!(r.lives.len(), 1);
        assert_eq!(r.lives[0].pages, vec![2900.0, 3100.0]);
        assert!(parse_lives(b"{\"lives\": 3}").is_err());
        assert!(parse_lives(&vec![b' '; MAX_LIVES_BYTES + 1]).is_err());
    }
}
