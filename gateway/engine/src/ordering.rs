//! Order rules: when a supply must be ordered, when it may ride along with an
//! order placed anyway (consolidation per site and contact), how many cartridges
//! a line carries, and the deterministic order id.

use crate::config::EngineConfig;
use crate::forecast::Estimate;

/// Why a supply would go on an order now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Need {
    /// Not now.
    None,
    /// Would need its own order within the next cycle: ride along if one goes out.
    Can,
    /// Risk of running out before a later order could arrive: order now.
    Must,
}

/// Days the supply lasts, counting spares on site and in transit (a spare of
/// unknown life is assumed to last one supply period).
fn coverage(e: &Estimate, spares: u32, c: &EngineConfig) -> (f64, f64) {
    let life = e
        .life_days
        .filter(|l| l.is_finite() && *l > 0.0)
        .unwrap_or(c.supply_days);
    let s = f64::from(spares);
    (e.p50_days + s * life, e.pess_days + s * life * 0.8)
}

pub(crate) fn need(
    e: &Estimate,
    spares: u32,
    already_ordered_this_cartridge: bool,
    c: &EngineConfig,
) -> Need {
    if already_ordered_this_cartridge && spares > 0 {
        // This cartridge's need is being served: never order twice for it.
        return Need::None;
    }
    let (p50, pess) = coverage(e, spares, c);
    let late = c.lead_time_days + c.safety_days;
    if p50 <= c.horizon_days || pess <= late {
        return Need::Must;
    }
    if spares > 0 {
        // Stock is already on its way or on the shelf: ride-alongs would only age it.
        return Need::None;
    }
    let window = c.horizon_days.max(late) + c.can_order_days;
    if p50 <= window || pess <= late + c.can_order_days {
        Need::Can
    } else {
        Need::None
    }
}

/// Cartridges for `supply_days` of consumption, minus spares already there, at least one.
pub(crate) fn quantity(e: &Estimate, spares: u32, c: &EngineConfig) -> u32 {
    let need = match e.life_days {
        Some(life) if life > 0.0 && life.is_finite() => {
            (c.supply_days / life).ceil().clamp(1.0, 50.0) as u32
        }
        _ => 1,
    };
    need.saturating_sub(spares).max(1)
}

/// FNV-1a: stable across builds and platforms (unlike the std hasher).
fn fnv(data: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in data {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Stable id: a digest of site and contact, the creation date and the pair's sequence.
pub(crate) fn order_id(
    site: &str,
    contact: &str,
    created: chrono::DateTime<chrono::Utc>,
    seq: u64,
) -> String {
    let mut key = Vec::with_capacity(site.len() + contact.len() + 1);
    key.extend_from_slice(site.as_bytes());
    key.push(0x1f);
    key.extend_from_slice(contact.as_bytes());
    format!(
        "ord-{:08x}-{}-{seq:04}",
        fnv(&key),
        created.format("%Y%m%d")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(p50: f64, pess: f64, life: f64) -> Estimate {
        Estimate {
            level: Some(50.0),
            p50_days: p50,
            pess_days: pess,
            life_days: Some(life),
            rate: Some(1.0),
        }
    }

    #[test]
    fn must_can_none() {
        let c = EngineConfig::default();
        assert_eq!(need(&est(20.0, 15.0, 60.0), 0, false, &c), Need::Must);
        assert_eq!(need(&est(40.0, 7.0, 60.0), 0, false, &c), Need::Must);
        assert_eq!(need(&est(35.0, 30.0, 60.0), 0, false, &c), Need::Can);
        assert_eq!(need(&est(35.0, 30.0, 60.0), 1, true, &c), Need::None);
        // Ordered for this cartridge and the goods are coming: not again, even if late.
        assert_eq!(need(&est(1.0, 0.0, 2.0), 1, true, &c), Need::None);
        assert_eq!(need(&est(80.0, 60.0, 60.0), 0, false, &c), Need::None);
        // A spare on the shelf covers the next cartridge.
        assert_eq!(need(&est(10.0, 8.0, 60.0), 1, false, &c), Need::None);
    }

    #[test]
    fn quantity_covers_supply_days() {
        let c = EngineConfig::default();
        assert_eq!(quantity(&est(5.0, 4.0, 60.0), 0, &c), 1);
        assert_eq!(quantity(&est(5.0, 4.0, 8.0), 0, &c), 4);
        assert_eq!(quantity(&est(5.0, 4.0, 8.0), 2, &c), 2);
        assert_eq!(quantity(&est(5.0, 4.0, 8.0), 9, &c), 1);
    }

    #[test]
    fn ids_are_deterministic() {
        let t = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        assert_eq!(order_id("a", "b", t, 1), order_id("a", "b", t, 1));
        assert_ne!(order_id("a", "b", t, 1), order_id("ab", "", t, 1));
    }
}
