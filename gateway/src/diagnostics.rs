//! What `get_diagnostics` reports about the process itself: the recent
//! warnings and errors (kept by a tracing layer in a small ring), the
//! uptime, the free space where the database lives.
//!
//! The ring lives in the process, not in SQLite: a gateway whose disk is
//! full must still be able to say so.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Warnings and errors kept, newest last.
const KEPT: usize = 100;
/// Longest message kept (a log line is not a dump).
const MAX_MESSAGE: usize = 1000;

/// One warning or error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// When it was logged (system clock).
    pub at: DateTime<Utc>,
    /// `WARN` or `ERROR`.
    pub level: String,
    /// The module that logged it.
    pub target: String,
    /// The message with its fields.
    pub message: String,
}

fn ring() -> &'static Mutex<VecDeque<LogEntry>> {
    static RING: OnceLock<Mutex<VecDeque<LogEntry>>> = OnceLock::new();
    RING.get_or_init(|| Mutex::new(VecDeque::with_capacity(KEPT)))
}

fn started() -> &'static Instant {
    static STARTED: OnceLock<Instant> = OnceLock::new();
    STARTED.get_or_init(Instant::now)
}

/// Marks the start of the process (the first call wins).
pub fn mark_start() {
    let _ = started();
}

/// Seconds since [`mark_start`].
pub fn uptime_secs() -> u64 {
    started().elapsed().as_secs()
}

/// The warnings and errors kept, oldest first.
pub fn recent() -> Vec<LogEntry> {
    ring()
        .lock()
        .map(|r| r.iter().cloned().collect())
        .unwrap_or_default()
}

/// Bytes free for an unprivileged writer on the filesystem holding `path`.
// The statvfs field types are u32 on some 32-bit targets.
#[allow(clippy::useless_conversion)]
pub fn disk_free(path: &Path) -> Option<u64> {
    let stat = nix::sys::statvfs::statvfs(path).ok()?;
    u64::try_from(stat.blocks_available())
        .ok()?
        .checked_mul(u64::try_from(stat.fragment_size()).ok()?)
}

/// The tracing layer that fills the ring; `main` installs it.
#[derive(Debug, Default)]
pub struct RecentWarnings;

impl<S: Subscriber> Layer<S> for RecentWarnings {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = *event.metadata().level();
        if level > Level::WARN {
            return;
        }
        let mut visitor = MessageVisitor::default();
        event.record(&mut visitor);
        let mut message = visitor.message;
        if !visitor.fields.is_empty() {
            message.push_str(" (");
            message.push_str(&visitor.fields.join(", "));
            message.push(')');
        }
        if message.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        let entry = LogEntry {
            at: Utc::now(),
            level: level.to_string(),
            target: event.metadata().target().to_string(),
            message,
        };
        if let Ok(mut ring) = ring().lock() {
            if ring.len() == KEPT {
                ring.pop_front();
            }
            ring.push_back(entry);
        }
    }
}

#[derive(Default)]
struct MessageVisitor {
    message: String,
    fields: Vec<String>,
}

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.fields.push(format!("{}={value:?}", field.name()));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.fields.push(format!("{}={value}", field.name()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn warnings_are_kept_and_info_is_not() {
        let subscriber = tracing_subscriber::registry().with(RecentWarnings);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("routine");
            tracing::warn!(printer = "SN1", "printer does not answer");
        });
        let kept = recent();
        assert!(
            kept.iter()
                .any(|e| e.message == "printer does not answer (printer=SN1)" && e.level == "WARN")
        );
        assert!(!kept.iter().any(|e| e.message.contains("routine")));
        assert!(disk_free(Path::new(".")).is_some_and(|b| b > 0));
    }
}
