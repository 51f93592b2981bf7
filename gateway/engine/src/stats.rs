//! Small statistics shared by the engine and its scoring.

/// Median of the values (the upper middle for an even count); `None` when empty.
pub fn median(v: &[f64]) -> Option<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied()
}

/// The value a share `q` of the others are at or below (nearest rank, rounded
/// down); `None` when empty.
pub fn quantile(v: &[f64], q: f64) -> Option<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let i = ((s.len().saturating_sub(1)) as f64 * q.clamp(0.0, 1.0)).floor() as usize;
    s.get(i).copied()
}

/// A least squares line: slope, fitted value at the last x, number of points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Line {
    pub slope: f64,
    pub last: f64,
    pub n: usize,
}

/// Least squares line through points (single pass, no allocation).
pub(crate) fn fit(pts: impl Iterator<Item = (f64, f64)>) -> Option<Line> {
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut origin = None;
    let mut last_x = 0.0;
    for (x, y) in pts {
        // Shift x to the first point to keep the sums well conditioned.
        let x0 = *origin.get_or_insert(x);
        let x = x - x0;
        n += 1.0;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        last_x = x;
    }
    if n < 2.0 {
        return None;
    }
    let den = n * sxx - sx * sx;
    if den.abs() <= 1e-12 * n * n.max(sxx) {
        return None;
    }
    let slope = (n * sxy - sx * sy) / den;
    let intercept = (sy - slope * sx) / n;
    Some(Line {
        slope,
        last: intercept + slope * last_x,
        n: n as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_slope() {
        let pts: Vec<(f64, f64)> = (0..10)
            .map(|i| (i as f64, 100.0 - 2.0 * i as f64))
            .collect();
        let l = fit(pts.into_iter()).expect("fit");
        let (s, last) = (l.slope, l.last);
        assert!((s + 2.0).abs() < 1e-9 && (last - 82.0).abs() < 1e-9);
    }

    #[test]
    fn median_and_quantiles() {
        let v = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(median(&v), Some(3.0));
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&v, 0.25), Some(2.0));
        assert_eq!(quantile(&v, 1.0), Some(5.0));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
