//! What the gateway knows of its provisioning: the packaged configuration's
//! id marks a box nobody provisioned yet, and `provisioning.json` beside the
//! configuration (written by `asr-gateway provision`) says how the last
//! first-boot file fared. An unprovisioned box polls and serves its page
//! but orders nothing: orders from a box no supplier set up would go to
//! the wrong place, or nowhere.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The gateway id of the packaged, not yet provisioned configuration.
pub const UNPROVISIONED_ID: &str = "unprovisioned";

/// The report's file name, in the configuration's directory.
pub const REPORT_FILE: &str = "provisioning.json";

/// The outcome of the last provisioning, as `provisioning.json` holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// `provisioned` or `rejected`.
    pub state: String,
    /// The gateway id in force after a success.
    pub gateway_id: Option<String>,
    /// Why the file was rejected (never quoting it).
    pub error: Option<String>,
    /// When (UTC, RFC 3339).
    pub at: String,
}

impl Report {
    /// Whether the file was rejected.
    pub fn rejected(&self) -> bool {
        self.state == "rejected"
    }
}

/// The report in `dir`, when there is a readable one.
pub fn read_report(dir: &Path) -> Option<Report> {
    let text = std::fs::read_to_string(dir.join(REPORT_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Whether a configuration is the unprovisioned one.
pub fn unprovisioned(id: &str) -> bool {
    id == UNPROVISIONED_ID
}

/// What the page and the log say about provisioning, when there is
/// something to say: ordering paused on an unprovisioned box, and a
/// rejected first-boot file (with or without an older configuration).
pub fn notice(id: &str, report: Option<&Report>) -> Option<String> {
    let rejected = report.filter(|r| r.rejected()).map(|r| {
        format!(
            "asr-gateway.toml was rejected ({}): {}",
            r.at,
            r.error.as_deref().unwrap_or("no reason given")
        )
    });
    match (unprovisioned(id), rejected) {
        (true, Some(r)) => Some(format!("not provisioned, nothing is ordered; {r}")),
        (true, None) => Some(
            "not provisioned, nothing is ordered: put asr-gateway.toml on the boot partition \
             or set /etc/asr-gateway/gateway.toml"
                .to_owned(),
        ),
        (false, Some(r)) => Some(format!("{r}; the previous configuration stays in force")),
        (false, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_says_what_holds() {
        let rejected = Report {
            state: "rejected".into(),
            gateway_id: None,
            error: Some("line 3, column 1: invalid string".into()),
            at: "2026-12-04T02:00:00Z".into(),
        };
        let ok = Report {
            state: "provisioned".into(),
            gateway_id: Some("acme-01".into()),
            error: None,
            at: "2026-12-04T02:00:00Z".into(),
        };
        assert!(notice("acme-01", Some(&ok)).is_none());
        assert!(notice("acme-01", None).is_none());
        let n = notice("acme-01", Some(&rejected)).unwrap();
        assert!(
            n.contains("line 3") && n.contains("previous configuration"),
            "{n}"
        );
        let n = notice(UNPROVISIONED_ID, Some(&rejected)).unwrap();
        assert!(
            n.contains("nothing is ordered") && n.contains("line 3"),
            "{n}"
        );
        assert!(
            notice(UNPROVISIONED_ID, None)
                .unwrap()
                .contains("boot partition")
        );
    }
}
