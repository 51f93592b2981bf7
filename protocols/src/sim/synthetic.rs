//! A synthetic printer: a realistic Printer-MIB (RFC 3805) tree generated
//! from a short description, whose pages, toner, ink and waste bottles move
//! as simulated time passes.
//!
//! The demo and the tests need printers that *change*: supplies that run low
//! and get replaced while the page counter keeps counting, with more pages on
//! weekdays than at weekends. Everything is deterministic given the random
//! generator the caller passes, so a run can be replayed.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Datelike, TimeZone, Utc, Weekday};
use rand::Rng;

use crate::mib::{MibTree, Oid, Value};

/// What a supply is, with its prtMarkerSuppliesType code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupplyKind {
    /// A toner cartridge (consumed).
    Toner,
    /// A waste toner bottle (a receptacle that fills).
    WasteToner,
    /// An ink cartridge (consumed).
    Ink,
    /// A photoconductor drum (consumed by pages).
    Drum,
    /// An ink maintenance box (a receptacle that fills).
    WasteInk,
}

impl SupplyKind {
    /// prtMarkerSuppliesType.
    pub fn type_code(self) -> i32 {
        match self {
            Self::Toner => 3,
            Self::WasteToner => 4,
            Self::Ink => 5,
            Self::Drum => 9,
            Self::WasteInk => 8,
        }
    }

    /// prtMarkerSuppliesClass: consumed (3) or receptacle filled (4).
    pub fn class_code(self) -> i32 {
        match self {
            Self::WasteToner | Self::WasteInk => 4,
            _ => 3,
        }
    }
}

/// prtMarkerSuppliesSupplyUnit values used by the simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupplyUnit {
    /// impressions (7).
    Impressions,
    /// tenths of grams (13).
    TenthsOfGrams,
    /// tenths of millilitres (15).
    TenthsOfMilliliters,
    /// percent (19).
    Percent,
}

impl SupplyUnit {
    /// The MIB code.
    pub fn code(self) -> i32 {
        match self {
            Self::Impressions => 7,
            Self::TenthsOfGrams => 13,
            Self::TenthsOfMilliliters => 15,
            Self::Percent => 19,
        }
    }
}

/// One supply of a synthetic printer.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticSupply {
    /// What it is.
    pub kind: SupplyKind,
    /// "black", "cyan", "magenta", "yellow"; empty for none (e.g. waste).
    pub colorant: String,
    /// prtMarkerSuppliesDescription, e.g. "Black Toner Cartridge HP 89A".
    pub description: String,
    /// prtMarkerSuppliesMaxCapacity, in `unit`.
    pub capacity: i32,
    /// prtMarkerSuppliesSupplyUnit.
    pub unit: SupplyUnit,
    /// Starting level in `unit` (for a waste bottle: space left).
    pub level: i32,
    /// Pages one full supply lasts (for colour toners: colour pages).
    pub yield_pages: f64,
}

/// A synthetic printer's description.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticSpec {
    /// prtGeneralSerialNumber, e.g. "VNB3R12345".
    pub serial: String,
    /// Model name, e.g. "LaserJet Pro M404dn".
    pub model: String,
    /// Manufacturer, e.g. "HP".
    pub vendor: String,
    /// IANA enterprise number of the vendor, for sysObjectID.
    pub enterprise: u32,
    /// A colour printer (has colour pages).
    pub colour: bool,
    /// Its supplies, in prtMarkerSuppliesIndex order (1-based).
    pub supplies: Vec<SyntheticSupply>,
    /// Average pages per working day.
    pub pages_per_day: f64,
    /// Share of pages printed in colour (0 for mono printers).
    pub colour_share: f64,
    /// prtMarkerLifeCount at the start.
    pub initial_pages: u64,
    /// sysName.
    pub sys_name: String,
    /// Site name (sysLocation); for the lead's site mapping.
    pub site: String,
    /// Contact (sysContact); for the lead's order consolidation.
    pub contact: String,
    /// ifPhysAddress of interface 1.
    pub mac: [u8; 6],
}

/// A synthetic printer as it runs: state plus the tree it writes into.
#[derive(Debug)]
pub struct SyntheticPrinter {
    spec: SyntheticSpec,
    /// Exact levels (the MIB shows them rounded).
    levels: Vec<f64>,
    /// Cartridges replaced so far, per supply.
    replacements: Vec<u32>,
    pages: u64,
    /// Fraction of a page carried to the next step.
    page_carry: f64,
    now: DateTime<Utc>,
    uptime: Duration,
    tree: Arc<RwLock<MibTree>>,
}

/// Simulated calendars start on a Monday so weekly patterns line up.
fn default_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

impl SyntheticPrinter {
    /// A printer in its initial state, with its tree filled.
    pub fn new(spec: SyntheticSpec) -> Self {
        let levels = spec
            .supplies
            .iter()
            .map(|s| f64::from(s.level.clamp(0, s.capacity.max(0))))
            .collect();
        let replacements = vec![0; spec.supplies.len()];
        let pages = spec.initial_pages;
        let p = Self {
            spec,
            levels,
            replacements,
            pages,
            page_carry: 0.0,
            now: default_start(),
            uptime: Duration::from_secs(3 * 3600),
            tree: Arc::new(RwLock::new(MibTree::new())),
        };
        p.publish();
        p
    }

    /// The description it was built from.
    pub fn spec(&self) -> &SyntheticSpec {
        &self.spec
    }

    /// The live tree (share it with a [`super::SimAgent`]).
    pub fn tree(&self) -> Arc<RwLock<MibTree>> {
        self.tree.clone()
    }

    /// The page counter.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Current level of supply `i` (0-based) in its unit, as the MIB shows it.
    pub fn level(&self, i: usize) -> Option<i32> {
        self.levels.get(i).map(|l| shown_level(*l))
    }

    /// Cartridges replaced so far for supply `i` (0-based).
    pub fn replacements(&self, i: usize) -> u32 {
        self.replacements.get(i).copied().unwrap_or_default()
    }

    /// Simulated wall-clock time.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Prints the pages of `simulated_elapsed`, drains and replaces supplies
    /// and writes the new values into the tree.
    pub fn advance<R: Rng + ?Sized>(&mut self, simulated_elapsed: Duration, rng: &mut R) {
        // Step at most an hour at a time so weekday/weekend boundaries land
        // where they belong.
        let mut left = simulated_elapsed;
        while !left.is_zero() {
            let step = left.min(Duration::from_secs(3600));
            left = left.saturating_sub(step);
            self.step(step, rng);
        }
        self.publish();
    }

    fn step<R: Rng + ?Sized>(&mut self, dt: Duration, rng: &mut R) {
        let day_factor = match self.now.weekday() {
            Weekday::Sat | Weekday::Sun => 0.1,
            _ => 1.0,
        };
        let noise = rng.random_range(0.6..1.4);
        let expected =
            self.spec.pages_per_day.max(0.0) * day_factor * noise * dt.as_secs_f64() / 86_400.0;
        let exact = expected + self.page_carry;
        let printed = exact.floor().max(0.0);
        self.page_carry = exact - printed;
        // Saturating float-to-int conversion is the intent here.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let printed_pages = printed as u64;
        self.pages = self.pages.saturating_add(printed_pages);
        let colour_pages = if self.spec.colour {
            printed * self.spec.colour_share.clamp(0.0, 1.0)
        } else {
            0.0
        };
        for (i, supply) in self.spec.supplies.iter().enumerate() {
            let used_by = match supply.colorant.as_str() {
                "cyan" | "magenta" | "yellow" => colour_pages,
                _ => printed,
            };
            let per_page = f64::from(supply.capacity.max(1)) / supply.yield_pages.max(1.0);
            let Some(level) = self.levels.get_mut(i) else {
                continue;
            };
            *level -= used_by * per_page;
            if *level <= 0.0 {
                // Someone swaps the cartridge (or empties the bottle).
                *level = f64::from(supply.capacity.max(0));
                if let Some(r) = self.replacements.get_mut(i) {
                    *r += 1;
                }
            }
        }
        self.now += chrono::Duration::from_std(dt).unwrap_or_default();
        self.uptime = self.uptime.saturating_add(dt);
    }

    /// Rebuilds the MIB from the current state and swaps it in.
    fn publish(&self) {
        let tree = self.build_tree();
        *self.tree.write().unwrap_or_else(|p| p.into_inner()) = tree;
    }

    /// The whole Printer-MIB view of the current state.
    pub fn build_tree(&self) -> MibTree {
        let s = &self.spec;
        let mut t = MibTree::new();
        let mut put = |arcs: &[u32], v: Value| {
            t.insert(Oid::from_slice(arcs), v);
        };
        let text = |x: &str| Value::OctetString(x.as_bytes().to_vec().into());
        let descr = format!("{} {}", s.vendor, s.model);
        // system
        put(&[1, 3, 6, 1, 2, 1, 1, 1, 0], text(&descr));
        put(
            &[1, 3, 6, 1, 2, 1, 1, 2, 0],
            Value::ObjectIdentifier(Oid::from_slice(&[
                1,
                3,
                6,
                1,
                4,
                1,
                s.enterprise,
                2,
                3,
                9,
                1,
            ])),
        );
        let ticks = u32::try_from(self.uptime.as_millis() / 10 % (1u128 << 32)).unwrap_or_default();
        put(&[1, 3, 6, 1, 2, 1, 1, 3, 0], Value::TimeTicks(ticks));
        put(&[1, 3, 6, 1, 2, 1, 1, 4, 0], text(&s.contact));
        put(&[1, 3, 6, 1, 2, 1, 1, 5, 0], text(&s.sys_name));
        put(&[1, 3, 6, 1, 2, 1, 1, 6, 0], text(&s.site));
        // interfaces
        put(&[1, 3, 6, 1, 2, 1, 2, 1, 0], Value::Integer(1));
        put(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 1], Value::Integer(1));
        put(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 1], text("eth0"));
        put(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 3, 1], Value::Integer(6));
        put(
            &[1, 3, 6, 1, 2, 1, 2, 2, 1, 6, 1],
            Value::OctetString(s.mac.to_vec().into()),
        );
        // host resources: device table and printer table
        let low: Vec<usize> = (0..s.supplies.len()).filter(|&i| self.is_low(i)).collect();
        let device_status = if low.is_empty() { 2 } else { 3 };
        put(&[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 1, 1], Value::Integer(1));
        put(
            &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 2, 1],
            Value::ObjectIdentifier(Oid::from_slice(&[1, 3, 6, 1, 2, 1, 25, 3, 1, 5])),
        );
        put(&[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3, 1], text(&descr));
        put(
            &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 5, 1],
            Value::Integer(device_status),
        );
        put(&[1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 1, 1], Value::Integer(3));
        // hrPrinterDetectedErrorState: lowToner is bit 2 (0x20 of octet 0).
        let error_bits: u8 = if low.is_empty() { 0 } else { 0x20 };
        put(
            &[1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 2, 1],
            Value::OctetString(vec![error_bits, 0].into()),
        );
        // printer general
        put(&[1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17, 1], text(&s.serial));
        // marker life count (Counter32 wraps like on a real device)
        let count = u32::try_from(self.pages % (1u64 << 32)).unwrap_or_default();
        put(
            &[1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4, 1, 1],
            Value::Counter32(count),
        );
        // colorants, one per distinct colorant name
        let mut colorants: Vec<&str> = Vec::new();
        for supply in &s.supplies {
            if !supply.colorant.is_empty() && !colorants.contains(&supply.colorant.as_str()) {
                colorants.push(&supply.colorant);
            }
        }
        for (k, name) in colorants.iter().enumerate() {
            let idx = u32::try_from(k + 1).unwrap_or(u32::MAX);
            let col = |c: u32| [1, 3, 6, 1, 2, 1, 43, 12, 1, 1, c, 1, idx];
            put(&col(2), Value::Integer(1));
            put(&col(3), Value::Integer(3));
            put(&col(4), text(name));
            put(&col(5), Value::Integer(256));
        }
        // supplies
        for (i, supply) in s.supplies.iter().enumerate() {
            let idx = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let col = |c: u32| [1, 3, 6, 1, 2, 1, 43, 11, 1, 1, c, 1, idx];
            let colorant = colorants
                .iter()
                .position(|c| *c == supply.colorant)
                .map_or(0, |p| i32::try_from(p + 1).unwrap_or(0));
            put(&col(2), Value::Integer(1));
            put(&col(3), Value::Integer(colorant));
            put(&col(4), Value::Integer(supply.kind.class_code()));
            put(&col(5), Value::Integer(supply.kind.type_code()));
            put(&col(6), text(&supply.description));
            put(&col(7), Value::Integer(supply.unit.code()));
            put(&col(8), Value::Integer(supply.capacity));
            put(&col(9), Value::Integer(self.level(i).unwrap_or(-2)));
        }
        // alerts: one warning row per low supply
        for (n, &i) in low.iter().enumerate() {
            let row = u32::try_from(n + 1).unwrap_or(u32::MAX);
            let col = |c: u32| [1, 3, 6, 1, 2, 1, 43, 18, 1, 1, c, 1, row];
            let supply = &s.supplies[i];
            let (code, what) = match supply.kind {
                SupplyKind::WasteToner | SupplyKind::WasteInk => (1, "almost full"),
                SupplyKind::Ink => (1105, "low"),
                _ => (1104, "low"),
            };
            put(&col(2), Value::Integer(4));
            put(&col(3), Value::Integer(4));
            put(&col(4), Value::Integer(11));
            put(&col(5), Value::Integer(i32::try_from(i + 1).unwrap_or(0)));
            put(&col(6), Value::Integer(0));
            put(&col(7), Value::Integer(code));
            put(&col(8), text(&format!("{} {what}", supply.description)));
            put(&col(9), Value::TimeTicks(ticks));
        }
        t
    }

    /// Below 15 % of capacity (for a waste bottle: less than 15 % space left).
    fn is_low(&self, i: usize) -> bool {
        match (self.levels.get(i), self.spec.supplies.get(i)) {
            (Some(l), Some(s)) => *l < f64::from(s.capacity) * 0.15,
            _ => false,
        }
    }
}

/// A level as an integer MIB value: rounded up, so "0" means really empty.
fn shown_level(level: f64) -> i32 {
    let up = level.ceil().clamp(0.0, f64::from(i32::MAX));
    // In range by the clamp above.
    #[allow(clippy::cast_possible_truncation)]
    let v = up as i32;
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn toner(colorant: &str, level: i32) -> SyntheticSupply {
        SyntheticSupply {
            kind: SupplyKind::Toner,
            colorant: colorant.into(),
            description: format!("{colorant} toner"),
            capacity: 100,
            unit: SupplyUnit::Percent,
            level,
            yield_pages: 1000.0,
        }
    }

    fn spec() -> SyntheticSpec {
        SyntheticSpec {
            serial: "VNB3R12345".into(),
            model: "Test".into(),
            vendor: "HP".into(),
            enterprise: 11,
            colour: true,
            supplies: vec![
                toner("black", 30),
                toner("cyan", 90),
                SyntheticSupply {
                    kind: SupplyKind::WasteToner,
                    colorant: String::new(),
                    description: "Waste toner".into(),
                    capacity: 100,
                    unit: SupplyUnit::Percent,
                    level: 100,
                    yield_pages: 5000.0,
                },
            ],
            pages_per_day: 100.0,
            colour_share: 0.2,
            initial_pages: 1000,
            sys_name: "p1".into(),
            site: "s".into(),
            contact: "c".into(),
            mac: [0, 1, 2, 3, 4, 5],
        }
    }

    #[test]
    fn weekends_print_less_than_weekdays() {
        let mut p = SyntheticPrinter::new(spec());
        let mut rng = StdRng::seed_from_u64(1);
        let start = p.pages();
        p.advance(Duration::from_secs(5 * 86_400), &mut rng); // Mon..Fri
        let week = p.pages() - start;
        let start = p.pages();
        p.advance(Duration::from_secs(2 * 86_400), &mut rng); // Sat, Sun
        let weekend = p.pages() - start;
        assert!(week > 300, "{week}");
        assert!(weekend * 5 < week, "weekend {weekend} vs week {week}");
    }

    #[test]
    fn same_seed_same_history() {
        let run = |seed| {
            let mut p = SyntheticPrinter::new(spec());
            let mut rng = StdRng::seed_from_u64(seed);
            p.advance(Duration::from_secs(10 * 86_400), &mut rng);
            (p.pages(), p.level(0), p.level(1))
        };
        assert_eq!(run(7), run(7));
    }

    #[test]
    fn waste_bottle_space_goes_down_and_colour_drains_slower() {
        let mut p = SyntheticPrinter::new(spec());
        let mut rng = StdRng::seed_from_u64(3);
        p.advance(Duration::from_secs(2 * 86_400), &mut rng);
        let black_used = 30 - p.level(0).unwrap();
        let cyan_used = 90 - p.level(1).unwrap();
        assert!(
            black_used > cyan_used,
            "black {black_used} cyan {cyan_used}"
        );
        assert!(p.level(2).unwrap() < 100);
        let tree = p.tree();
        let t = tree.read().unwrap();
        let lvl = t
            .get(&Oid::parse("1.3.6.1.2.1.43.11.1.1.9.1.1").unwrap())
            .unwrap();
        assert_eq!(lvl, &Value::Integer(p.level(0).unwrap()));
        let class = t
            .get(&Oid::parse("1.3.6.1.2.1.43.11.1.1.4.1.3").unwrap())
            .unwrap();
        assert_eq!(class, &Value::Integer(4));
    }
}
