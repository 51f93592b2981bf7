//! What the fleet says about a model's cartridges, for a "some remaining"
//! supply that has not yet been watched from start to end: the pages a
//! cartridge lasts (median) and a pessimistic value. Lives differ between
//! printers of one model with their coverage, so how many printers stand
//! behind a figure decides how far its pessimistic value is trusted.

use crate::stats::{median, quantile};

/// The pessimistic life is a low quantile of the lives seen on the fleet.
const LOW_QUANTILE: f64 = 0.1;

/// Printers a figure must come from before its spread is trusted.
pub(crate) const FLEET_PRINTERS: usize = 3;

/// The pessimistic share of a figure from fewer printers.
pub(crate) const FEW_PRINTERS_LOW: f64 = 0.7;

/// Where a figure can come from for one model, supply type and colour.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sources<'a> {
    /// Cartridge lives watched from start to end, and the printer of each.
    pub lives: Option<(&'a [f64], &'a [usize])>,
    /// Pages a cartridge lasts by the percent gauges, one figure per printer.
    pub gauges: Option<&'a [f64]>,
}

/// Median and pessimistic pages a cartridge lasts, as the fleet says.
pub(crate) fn figure(src: Sources<'_>) -> (Option<f64>, Option<f64>) {
    let seen = src
        .lives
        .filter(|(v, _)| !v.is_empty())
        .map(|(v, p)| (v, distinct(p)));
    let gauged = src.gauges.filter(|v| !v.is_empty()).map(|v| (v, v.len()));
    // Watched lives first, unless more printers' gauges tell where few
    // printers' lives were watched.
    let (lives, printers) = match (seen, gauged) {
        (Some(l), Some(g)) if l.1 < FLEET_PRINTERS && g.1 > l.1 => g,
        (Some(l), _) => l,
        (None, Some(g)) => g,
        (None, None) => return (None, None),
    };
    let Some(m) = median(lives) else {
        return (None, None);
    };
    let low = quantile(lives, LOW_QUANTILE).map(|q| {
        if printers >= FLEET_PRINTERS {
            q
        } else {
            q.min(FEW_PRINTERS_LOW * m)
        }
    });
    (Some(m), low)
}

fn distinct(printers: &[usize]) -> usize {
    let mut v = printers.to_vec();
    v.sort_unstable();
    v.dedup();
    v.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_printers_leave_a_wide_margin() {
        let lives = [1000.0, 1010.0, 990.0, 1005.0];
        // Four lives, all from one printer: the spread across printers is unknown.
        let one = figure(Sources {
            lives: Some((&lives, &[4, 4, 4, 4])),
            gauges: None,
        });
        assert_eq!(one.0, Some(1005.0));
        assert!(one.1.is_some_and(|l| l <= 0.7 * 1005.0 + 1e-9));
        // From four printers that agree, the low quantile stands.
        let four = figure(Sources {
            lives: Some((&lives, &[1, 2, 3, 4])),
            gauges: None,
        });
        assert_eq!(four.1, Some(990.0));
    }

    #[test]
    fn gauges_of_more_printers_win_over_lives_of_few() {
        let lives = [2000.0];
        let gauges = [900.0, 1000.0, 1100.0];
        let (m, _) = figure(Sources {
            lives: Some((&lives, &[7])),
            gauges: Some(&gauges),
        });
        assert_eq!(m, Some(1000.0));
        assert_eq!(figure(Sources::default()), (None, None));
    }
}
