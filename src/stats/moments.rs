//! Count, mean and variance with a numerically stable merge.

use serde::{Deserialize, Serialize};

/// Count, mean and sum of squared deviations of a sample.
///
/// A constant sample gives its value as the mean and a variance of exactly
/// zero, however it is split and merged.
///
/// ```
/// use nexus_mc::stats::Moments;
///
/// let mut a = Moments::of(&[1.0, 2.0]);
/// a.merge(&Moments::of(&[3.0, 4.0, 5.0]));
/// assert_eq!(a.count(), 5);
/// assert_eq!(a.mean(), 3.0);
/// assert_eq!(a.variance(), 2.5);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Moments {
    /// The moments of `values` (two passes, shifted by the first value).
    /// Sums run in four fixed lanes: faster, and the same bits every time.
    pub fn of(values: &[f64]) -> Moments {
        let Some(&shift) = values.first() else {
            return Moments::default();
        };
        let n = values.len() as f64;
        let mean = shift + lane_sum(values, |x| x - shift) / n;
        let m2 = lane_sum(values, |x| (x - mean) * (x - mean));
        Moments {
            n: values.len() as u64,
            mean,
            m2,
        }
    }

    /// Adds another sample's moments (Chan, Golub and LeVeque 1979).
    pub fn merge(&mut self, other: &Moments) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let delta = other.mean - self.mean;
        let weight = other.n as f64 / n as f64;
        self.mean += delta * weight;
        self.m2 += other.m2 + delta * delta * self.n as f64 * weight;
        self.n = n;
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The mean (0 for an empty sample).
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The sample variance (divisor n - 1; 0 for fewer than two values).
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            self.m2 / (self.n - 1) as f64
        }
    }

    /// Whether these could be the moments of finite values: a finite mean
    /// and a finite, non-negative sum of squared deviations (for reading
    /// moments back from a file).
    pub fn is_valid(&self) -> bool {
        self.mean.is_finite() && self.m2.is_finite() && self.m2 >= 0.0
    }

    /// The sample standard deviation.
    pub fn std(&self) -> f64 {
        self.variance().sqrt()
    }
}

/// Sum of `f(x)` in four interleaved lanes, added up in a fixed order.
#[inline]
fn lane_sum(values: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut lanes = [0.0; 4];
    let mut quads = values.chunks_exact(4);
    for q in &mut quads {
        for (lane, &x) in lanes.iter_mut().zip(q) {
            *lane += f(x);
        }
    }
    for (lane, &x) in lanes.iter_mut().zip(quads.remainder()) {
        *lane += f(x);
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_halves_match_the_whole() {
        let values: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 1000) as f64 * 0.37 - 50.0)
            .collect();
        let whole = Moments::of(&values);
        let mut merged = Moments::of(&values[..333]);
        merged.merge(&Moments::of(&values[333..]));
        let mean = values.iter().sum::<f64>() / 1000.0;
        let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 999.0;
        for m in [whole, merged] {
            assert_eq!(m.count(), 1000);
            assert!((m.mean() - mean).abs() < 1e-12 * mean.abs().max(1.0));
            assert!((m.variance() - var).abs() < 1e-10 * var);
        }
    }

    #[test]
    fn a_constant_sample_has_its_value_as_mean_and_no_spread() {
        let x = 0.1 + 0.2;
        let mut m = Moments::of(&[x; 7]);
        m.merge(&Moments::of(&[x; 13]));
        m.merge(&Moments::default());
        assert_eq!(m.mean(), x);
        assert_eq!(m.std(), 0.0);
    }
}
