//! The registry of confirmed printers, keyed by serial (or MAC), never by
//! address: when DHCP hands a printer a new address, the printer moves; it
//! is not a second printer. Pure state, no I/O, so the rules are tested
//! exhaustively without a network.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use chrono::{DateTime, Utc};

/// One confirmed sighting: this printer answered at this address then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// [`crate::printer::PrinterReport::identity_key`].
    pub key: String,
    /// The address that answered.
    pub addr: SocketAddr,
    /// When it answered.
    pub at: DateTime<Utc>,
}

/// What a sighting changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryEvent {
    /// A printer never seen before.
    New {
        /// Its key.
        key: String,
        /// Where it answered.
        addr: SocketAddr,
    },
    /// A known printer answered at another address.
    Moved {
        /// Its key.
        key: String,
        /// The address it had.
        from: SocketAddr,
        /// The address it has now.
        to: SocketAddr,
    },
    /// Nothing changed (same address, or a sighting older than the last).
    Unchanged {
        /// Its key.
        key: String,
    },
}

/// What the directory knows of one printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// The current address.
    pub addr: SocketAddr,
    /// First sighting.
    pub first_seen: DateTime<Utc>,
    /// Latest sighting.
    pub last_seen: DateTime<Utc>,
    /// How many times it changed address.
    pub moves: u32,
}

/// Confirmed printers by key.
#[derive(Debug, Clone, Default)]
pub struct PrinterDirectory {
    entries: BTreeMap<String, DirectoryEntry>,
}

impl PrinterDirectory {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a sighting. A sighting older than the entry's latest one is
    /// stale (sightings from concurrent confirmations may arrive out of
    /// order) and changes nothing, so a late answer from the old address
    /// cannot move a printer back.
    pub fn observe(&mut self, s: Sighting) -> DirectoryEvent {
        let Some(e) = self.entries.get_mut(&s.key) else {
            self.entries.insert(
                s.key.clone(),
                DirectoryEntry {
                    addr: s.addr,
                    first_seen: s.at,
                    last_seen: s.at,
                    moves: 0,
                },
            );
            return DirectoryEvent::New {
                key: s.key,
                addr: s.addr,
            };
        };
        if s.at < e.last_seen {
            return DirectoryEvent::Unchanged { key: s.key };
        }
        e.last_seen = s.at;
        if e.addr == s.addr {
            return DirectoryEvent::Unchanged { key: s.key };
        }
        let from = std::mem::replace(&mut e.addr, s.addr);
        e.moves = e.moves.saturating_add(1);
        DirectoryEvent::Moved {
            key: s.key,
            from,
            to: s.addr,
        }
    }

    /// The entry of a printer.
    pub fn get(&self, key: &str) -> Option<&DirectoryEntry> {
        self.entries.get(key)
    }

    /// The keys of the printers last seen at `addr` (more than one when a
    /// printer took over another's address and the other was not seen
    /// since).
    pub fn keys_at(&self, addr: SocketAddr) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|(_, e)| e.addr == addr)
            .map(|(k, _)| k.as_str())
            .collect()
    }

    /// Every printer, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &DirectoryEntry)> {
        self.entries.iter().map(|(k, e)| (k.as_str(), e))
    }

    /// How many printers are known.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no printer is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets a printer (decommissioned); true if it was known.
    pub fn forget(&mut self, key: &str) -> bool {
        self.entries.remove(key).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    fn s(key: &str, addr: &str, t: i64) -> Sighting {
        Sighting {
            key: key.into(),
            addr: addr.parse().unwrap(),
            at: at(t),
        }
    }

    #[test]
    fn an_address_change_moves_the_printer_and_never_duplicates_it() {
        let mut d = PrinterDirectory::new();
        assert_eq!(
            d.observe(s("SN1", "10.0.0.5:161", 0)),
            DirectoryEvent::New {
                key: "SN1".into(),
                addr: "10.0.0.5:161".parse().unwrap()
            }
        );
        assert_eq!(
            d.observe(s("SN1", "10.0.0.5:161", 10)),
            DirectoryEvent::Unchanged { key: "SN1".into() }
        );
        assert_eq!(
            d.observe(s("SN1", "10.0.0.9:161", 20)),
            DirectoryEvent::Moved {
                key: "SN1".into(),
                from: "10.0.0.5:161".parse().unwrap(),
                to: "10.0.0.9:161".parse().unwrap()
            }
        );
        assert_eq!(d.len(), 1);
        let e = d.get("SN1").unwrap();
        assert_eq!(e.addr, "10.0.0.9:161".parse().unwrap());
        assert_eq!((e.first_seen, e.last_seen, e.moves), (at(0), at(20), 1));
    }

    #[test]
    fn a_stale_sighting_cannot_move_a_printer_back() {
        let mut d = PrinterDirectory::new();
        d.observe(s("SN1", "10.0.0.5:161", 0));
        d.observe(s("SN1", "10.0.0.9:161", 20));
        assert_eq!(
            d.observe(s("SN1", "10.0.0.5:161", 15)),
            DirectoryEvent::Unchanged { key: "SN1".into() }
        );
        assert_eq!(d.get("SN1").unwrap().addr, "10.0.0.9:161".parse().unwrap());
    }

    #[test]
    fn two_printers_swapping_addresses_stay_two() {
        let mut d = PrinterDirectory::new();
        d.observe(s("A", "10.0.0.1:161", 0));
        d.observe(s("B", "10.0.0.2:161", 0));
        assert!(matches!(
            d.observe(s("A", "10.0.0.2:161", 5)),
            DirectoryEvent::Moved { .. }
        ));
        assert_eq!(d.keys_at("10.0.0.2:161".parse().unwrap()), vec!["A", "B"]);
        assert!(matches!(
            d.observe(s("B", "10.0.0.1:161", 6)),
            DirectoryEvent::Moved { .. }
        ));
        assert_eq!(d.len(), 2);
        assert_eq!(d.keys_at("10.0.0.1:161".parse().unwrap()), vec!["B"]);
        assert!(d.forget("A") && !d.forget("A"));
        assert_eq!(d.iter().count(), 1);
        assert!(!d.is_empty());
    }
}
