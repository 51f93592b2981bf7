//! Small statistics shared by the engine and its scoring.

/// Median of the values (the upper middle for an even count); `None` when empty.
pub(crate) fn median(v: &[f64]) -> Option<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied()
}
