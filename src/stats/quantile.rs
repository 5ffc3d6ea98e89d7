//! Exact quantiles: the order statistic of rank `ceil(q * n)`.

use serde::{Deserialize, Serialize};

/// A quantile given in whole percent, so ranks are computed in integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Percentile(pub u8);

impl Percentile {
    /// The percentiles of `bands.csv`: P5, P10, P25, P50, P75, P90, P95.
    pub const BANDS: [Percentile; 7] = [
        Percentile(5),
        Percentile(10),
        Percentile(25),
        Percentile(50),
        Percentile(75),
        Percentile(90),
        Percentile(95),
    ];

    /// The CSV column name, e.g. `p05`.
    pub fn column(self) -> String {
        format!("p{:02}", self.0)
    }
}

/// The 1-based rank of percentile `p` among `n` values: `ceil(p * n / 100)`,
/// at least 1.
///
/// ```
/// use nexus_mc::stats::{rank, Percentile};
/// assert_eq!(rank(Percentile(50), 2), 1);
/// assert_eq!(rank(Percentile(50), 3), 2);
/// assert_eq!(rank(Percentile(5), 100), 5);
/// assert_eq!(rank(Percentile(5), 1), 1);
/// ```
pub fn rank(p: Percentile, n: u64) -> u64 {
    let r = (u128::from(p.0) * u128::from(n)).div_ceil(100) as u64;
    r.max(1)
}

/// The exact percentiles of `values` (reordered in place; `percentiles`
/// ascending). Runs in linear time: each selection narrows the next.
///
/// # Panics
/// If `values` is empty.
///
/// ```
/// use nexus_mc::stats::{exact_quantiles, Percentile};
/// let mut v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
/// assert_eq!(exact_quantiles(&mut v, &[Percentile(5), Percentile(50)]), vec![5.0, 50.0]);
/// ```
pub fn exact_quantiles(values: &mut [f64], percentiles: &[Percentile]) -> Vec<f64> {
    assert!(!values.is_empty(), "quantiles of an empty sample");
    let n = values.len() as u64;
    let mut from = 0;
    percentiles
        .iter()
        .map(|&p| {
            let at = (rank(p, n) - 1) as usize;
            let (_, x, _) = values[from..].select_nth_unstable_by(at - from, f64::total_cmp);
            let x = *x;
            from = at;
            x
        })
        .collect()
}
