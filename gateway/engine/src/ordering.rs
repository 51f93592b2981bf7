//! Order rules: when a supply must be ordered, when it may ride along with an
//! order placed anyway (consolidation per site and contact), how many cartridges
//! a line carries, and the deterministic order id.

use crate::clock::{DAY, HOUR};
use crate::config::EngineConfig;
use crate::estimate::Estimate;

/// Why a supply would go on an order now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Need {
    /// Not now.
    None,
    /// Would need its own order within the next cycle: ride along if one goes out.
    Can,
    /// Due by the ordering horizon: order now, unless the site just got a
    /// shipment (then wait until it becomes urgent, to ship fewer parcels).
    Must,
    /// Pessimistically out before a later order could arrive: order now, always.
    Urgent,
}

/// Days after a shipment during which only urgent needs trigger another one.
pub(crate) const RECENT_SHIPMENT_DAYS: f64 = 16.0;

/// Seconds after a site and contact's first reading before its first shipment:
/// printers answer one after another (some only once switched on in the
/// morning), and one parcel for what the whole site needs beats one per
/// printer as each is met.
const FIRST_DAY_HOLD: i64 = DAY;

/// Seconds after a site and contact's first reading during which only a
/// cartridge that runs out before goods could arrive triggers a shipment: the
/// first days give each printer a pace, and the first full parcel carries what
/// the whole site needs.
const FIRST_DAYS_SETTLE: i64 = 3 * DAY;

/// What the shipment rules need to know about a site and contact.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PairState {
    /// First reading of any of its printers.
    pub met: Option<i64>,
    /// Last shipment.
    pub last: Option<i64>,
}

/// Whether a site and contact whose most pressing line is `top` ships now.
/// `critical`: a line may run out (pessimistically) before goods ordered now
/// could arrive, so it never waits. Otherwise: nothing in the first day nor
/// (unless critical) the first days; a due line waits while the site got a
/// parcel in the last [`RECENT_SHIPMENT_DAYS`]; and orders go out at the daily
/// order run, so what falls due or turns urgent during a day travels in one
/// parcel (an urgent line still has the lead time plus the safety days).
pub(crate) fn may_ship(
    top: Need,
    critical: bool,
    now: i64,
    pair: PairState,
    c: &EngineConfig,
) -> bool {
    if top < Need::Must {
        return false;
    }
    let since_met = pair.met.map(|m| now - m);
    if since_met.is_some_and(|d| d < FIRST_DAY_HOLD) {
        return false;
    }
    if critical {
        return true;
    }
    if since_met.is_some_and(|d| d < FIRST_DAYS_SETTLE) {
        return false;
    }
    let since_last = pair.last.map(|t| now - t);
    let quiet = (RECENT_SHIPMENT_DAYS * DAY as f64) as i64;
    if top == Need::Must && since_last.is_some_and(|d| d < quiet) {
        return false;
    }
    now.rem_euclid(DAY) / HOUR == i64::from(c.order_hour_utc)
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

/// The goods on the way come too late: the cartridge and the spares on the
/// shelf may run out (pessimistically) before the first of them is due, and
/// an express line would arrive sooner. A normal line ordered before a burst
/// of printing, or before the forecast learned the cartridge was emptier than
/// it looked, would otherwise leave the printer dry for days.
pub(crate) fn arrives_too_late(
    e: &Estimate,
    on_site: u32,
    first_arrival_days: f64,
    c: &EngineConfig,
) -> bool {
    first_arrival_days > c.express_lead_time_days && coverage(e, on_site, c).1 < first_arrival_days
}

/// The stock (spares included) may run out before goods ordered now arrive.
pub(crate) fn runs_out_in_transit(e: &Estimate, spares: u32, c: &EngineConfig) -> bool {
    coverage(e, spares, c).1 <= c.lead_time_days
}

pub(crate) fn need(
    e: &Estimate,
    spares: u32,
    already_ordered_this_cartridge: bool,
    c: &EngineConfig,
) -> Need {
    let (p50, pess) = coverage(e, spares, c);
    if already_ordered_this_cartridge && spares > 0 {
        // This cartridge's need is being served: never order twice for it.
        // The cartridge after the spare may still ride along with a parcel
        // going out anyway, when the stock would not last the window by a
        // life measured on this supply (a guessed one would buy spares that
        // wait for months).
        return if p50 <= window(c) && e.life_known {
            Need::Can
        } else {
            Need::None
        };
    }
    let late = c.lead_time_days + c.safety_days;
    if pess <= late {
        return Need::Urgent;
    }
    if p50 <= must_days(c) {
        return Need::Must;
    }
    // Ride along while the stock (spares included) would not last until the
    // order after this one, or would turn urgent before it: a shipment goes
    // out anyway, so the line is free, and the next shipment can wait for the
    // window to run out again.
    // A cartridge whose start was not seen gets closer to empty more slowly.
    let (d50, dpess) = if spares == 0 { e.drift } else { (1.0, 1.0) };
    if p50 - d50 * c.can_order_days <= must_days(c) || pess - dpess * c.can_order_days <= late {
        Need::Can
    } else {
        Need::None
    }
}

/// Days of stock an order tops a supply up to: the whole can-order window, so
/// the supply does not force a shipment of its own before the next one.
fn window(c: &EngineConfig) -> f64 {
    must_days(c) + c.can_order_days
}

/// Median days of stock at which a supply is due: the horizon, but never less
/// than the lead time plus twice the lead time of margin, so a longer lead time
/// keeps the same protection against a burst of use while the goods travel.
fn must_days(c: &EngineConfig) -> f64 {
    c.horizon_days.max(3.0 * c.lead_time_days + c.safety_days)
}

/// Cartridges that bring the stock up to the window (at least `supply_days`),
/// at least one.
pub(crate) fn quantity(e: &Estimate, spares: u32, c: &EngineConfig) -> u32 {
    let Some(life) = e
        .life_days
        .filter(|l| *l > 0.0 && l.is_finite() && e.life_known)
    else {
        // A guessed life must not multiply into a shelf of unused cartridges.
        return 1;
    };
    let (p50, _) = coverage(e, spares, c);
    let target = window(c).max(c.supply_days);
    ((target - p50) / life).ceil().clamp(1.0, 50.0) as u32
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
            life_known: true,
            median_known: true,
            drift: (1.0, 1.0),
            rate: Some(1.0),
        }
    }

    #[test]
    fn a_spare_on_the_way_makes_a_nearly_empty_cartridge_no_emergency() {
        let c = EngineConfig::default();
        assert!(runs_out_in_transit(&est(2.0, 1.0, 30.0), 0, &c));
        assert!(!runs_out_in_transit(&est(2.0, 1.0, 30.0), 1, &c));
        // A spare of a very short life does not cover the lead time.
        assert!(runs_out_in_transit(&est(2.0, 1.0, 4.0), 1, &c));
    }

    #[test]
    fn must_can_none() {
        let c = EngineConfig::default();
        assert_eq!(need(&est(20.0, 12.0, 60.0), 0, false, &c), Need::Must);
        assert_eq!(need(&est(40.0, 7.0, 60.0), 0, false, &c), Need::Urgent);
        assert_eq!(need(&est(35.0, 30.0, 60.0), 0, false, &c), Need::Can);
        assert_eq!(need(&est(35.0, 30.0, 60.0), 1, true, &c), Need::None);
        // A spare that will not last the window rides along too.
        assert_eq!(need(&est(10.0, 8.0, 12.0), 1, false, &c), Need::Can);
        // Ordered for this cartridge and the goods are coming: never again as
        // a trigger, even if late; the cartridge after the spare only rides
        // along, and only with a measured life.
        assert_eq!(need(&est(1.0, 0.0, 2.0), 1, true, &c), Need::Can);
        let mut guessed = est(1.0, 0.0, 2.0);
        guessed.life_known = false;
        assert_eq!(need(&guessed, 1, true, &c), Need::None);
        assert_eq!(need(&est(80.0, 60.0, 60.0), 0, false, &c), Need::None);
        // Far by the median, but urgent within the next cycle by the
        // pessimistic value: it rides along rather than ship alone later.
        assert_eq!(need(&est(60.0, 30.0, 90.0), 0, false, &c), Need::Can);
        // Not when its start was unseen: each day it lasts says it had more
        // left, so it would not turn urgent within the cycle.
        let mut unseen = est(60.0, 30.0, 90.0);
        unseen.drift = (0.5, 0.03);
        assert_eq!(need(&unseen, 0, false, &c), Need::None);
        // A spare on the shelf covers the next cartridge.
        assert_eq!(need(&est(10.0, 8.0, 60.0), 1, false, &c), Need::None);
    }

    #[test]
    fn quantity_covers_supply_days() {
        let c = EngineConfig::default();
        assert_eq!(quantity(&est(5.0, 4.0, 60.0), 0, &c), 1);
        // Window 49 days: from 5 days of stock, 44 more days of 8-day cartridges.
        assert_eq!(quantity(&est(5.0, 4.0, 8.0), 0, &c), 6);
        assert_eq!(quantity(&est(5.0, 4.0, 8.0), 2, &c), 4);
        assert_eq!(quantity(&est(5.0, 4.0, 8.0), 9, &c), 1);
    }

    #[test]
    fn longer_lead_time_orders_earlier() {
        let c = EngineConfig {
            lead_time_days: 10.0,
            ..EngineConfig::default()
        };
        // Due at 33 days of stock with a 10-day lead time (21 with the default 5).
        assert_eq!(need(&est(30.0, 25.0, 90.0), 0, false, &c), Need::Must);
        assert_eq!(
            need(&est(30.0, 25.0, 90.0), 0, false, &EngineConfig::default()),
            Need::Can
        );
    }

    #[test]
    fn guessed_life_orders_one_cartridge() {
        let c = EngineConfig::default();
        let mut e = est(5.0, 4.0, 8.0);
        e.life_known = false;
        assert_eq!(quantity(&e, 0, &c), 1);
    }

    #[test]
    fn ids_are_deterministic() {
        let t = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        assert_eq!(order_id("a", "b", t, 1), order_id("a", "b", t, 1));
        assert_ne!(order_id("a", "b", t, 1), order_id("ab", "", t, 1));
    }

    #[test]
    fn shipments_wait_for_the_daily_run_and_after_a_parcel() {
        let c = EngineConfig::default();
        let day0 = 20_150 * DAY;
        let at = |d: i64, h: i64| day0 + d * DAY + h * HOUR;
        let pair = |met: i64, last: Option<i64>| PairState {
            met: Some(met),
            last,
        };
        let run = i64::from(c.order_hour_utc);
        // Nothing on the first day, even critical; only critical until day 3.
        assert!(!may_ship(
            Need::Urgent,
            true,
            at(0, 20),
            pair(at(0, 0), None),
            &c
        ));
        assert!(may_ship(
            Need::Urgent,
            true,
            at(1, 2),
            pair(at(0, 0), None),
            &c
        ));
        assert!(!may_ship(
            Need::Urgent,
            false,
            at(2, run),
            pair(at(0, 0), None),
            &c
        ));
        // A due line waits for the run hour, and for the quiet period after a parcel.
        let met = at(-30, 0);
        assert!(!may_ship(
            Need::Must,
            false,
            at(0, run - 3),
            pair(met, None),
            &c
        ));
        assert!(may_ship(Need::Must, false, at(0, run), pair(met, None), &c));
        assert!(!may_ship(
            Need::Must,
            false,
            at(0, run),
            pair(met, Some(at(-5, run))),
            &c
        ));
        // An urgent line waits for the run too, but not for the quiet period.
        let recent = pair(met, Some(at(-5, run)));
        assert!(!may_ship(Need::Urgent, false, at(0, 3), recent, &c));
        assert!(may_ship(Need::Urgent, false, at(0, run), recent, &c));
        // A cartridge empty before goods could arrive never waits.
        assert!(may_ship(
            Need::Urgent,
            true,
            at(0, 3),
            pair(met, Some(at(0, 1))),
            &c
        ));
        assert!(!may_ship(Need::Can, false, at(0, run), pair(met, None), &c));
    }
}
