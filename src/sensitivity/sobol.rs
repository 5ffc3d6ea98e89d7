//! First-order and total Sobol indices: the Saltelli (2010) design and
//! first-order estimator, Jansen's total-effect estimator, percentile
//! bootstrap intervals.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::{evaluate_rows, Problem, Progress};
use crate::sampler::{hash, ScrambledSobol};

/// An estimate with its bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// The estimate on the whole sample.
    pub estimate: f64,
    /// Lower bound of the bootstrap percentile interval.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

/// S1 and ST of one input for one output.
#[derive(Clone, Debug, PartialEq)]
pub struct SobolIndex {
    /// Output index.
    pub output: usize,
    /// Input index.
    pub input: usize,
    /// First-order index: the share of output variance due to this input alone.
    pub s1: Interval,
    /// Total index: the share involving this input, interactions included.
    pub st: Interval,
}

/// Settings of [`sobol_indices`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SobolOptions {
    /// N, the base sample size: the design has N (k + 2) model runs for k
    /// uncertain inputs. Powers of two suit the Sobol sequence best.
    pub base_runs: usize,
    /// Seed of the scramble and of the bootstrap.
    pub seed: u64,
    /// Bootstrap resamples for the intervals.
    pub bootstrap: usize,
    /// Coverage of the intervals, e.g. 0.95.
    pub confidence: f64,
}

impl Default for SobolOptions {
    fn default() -> Self {
        SobolOptions {
            base_runs: 1 << 14,
            seed: 42,
            bootstrap: 1000,
            confidence: 0.95,
        }
    }
}

/// Model runs [`sobol_indices`] makes: N (k + 2), k the non-fixed inputs.
pub fn sobol_runs<P: Problem + ?Sized>(problem: &P, base_runs: usize) -> u64 {
    (base_runs * (problem.uncertain().len() + 2)) as u64
}

/// S1 and ST of every input for every output (output-major order).
///
/// Matrices A and B are the first and last k coordinates of N scrambled
/// Sobol points in 2k dimensions; AB_i is A with column i from B. With
/// V = Var(f(A), f(B)):
/// S1_i = mean(f(B) (f(AB_i) - f(A))) / V (Saltelli et al. 2010, eq. (b));
/// ST_i = mean((f(A) - f(AB_i))^2) / (2 V) (Jansen 1999).
/// A fixed input has f(AB_i) = f(A), so both are exactly 0 (it is not
/// re-evaluated). An output without variance gets 0 for every input.
/// Intervals: percentiles of the estimates over `bootstrap` resamples of
/// the N rows.
pub fn sobol_indices<P: Problem + ?Sized>(
    problem: &P,
    opts: &SobolOptions,
    progress: Progress<'_>,
) -> Vec<SobolIndex> {
    let inputs = problem.inputs();
    let n = opts.base_runs;
    let moving = problem.uncertain();
    let k = moving.len();
    let medians = problem.medians();
    let sobol = ScrambledSobol::new((2 * k).max(1), hash::derive(opts.seed, 0x50b0));
    let point = |j: usize, second: bool| -> Vec<f64> {
        let mut x = medians.clone();
        for (d, &i) in moving.iter().enumerate() {
            let dim = if second { k + d } else { d };
            x[i] = inputs[i]
                .distribution
                .quantile(sobol.coordinate(j as u64, dim));
        }
        x
    };
    // Rows: A (n), B (n), then AB_d for each moving input d (n each).
    let mut design = Array2::<f64>::zeros((n * (k + 2), inputs.len()));
    for j in 0..n {
        let a = point(j, false);
        let b = point(j, true);
        design.row_mut(j).assign(&ndarray::ArrayView1::from(&a));
        design.row_mut(n + j).assign(&ndarray::ArrayView1::from(&b));
        for (d, &i) in moving.iter().enumerate() {
            let mut ab = a.clone();
            ab[i] = b[i];
            design
                .row_mut((2 + d) * n + j)
                .assign(&ndarray::ArrayView1::from(&ab));
        }
    }
    let y = evaluate_rows(problem, &design, progress);

    let outputs = problem.outputs().len();
    let identity: Vec<usize> = (0..n).collect();
    let mut result = Vec::new();
    for o in 0..outputs {
        let col = |block: usize| -> Vec<f64> { (0..n).map(|j| y[[block * n + j, o]]).collect() };
        let (fa, fb) = (col(0), col(1));
        let fab: Vec<Vec<f64>> = (0..k).map(|d| col(2 + d)).collect();
        let whole = estimates(&fa, &fb, &fab, &identity);
        let resamples: Vec<Vec<(f64, f64)>> = (0..opts.bootstrap)
            .into_par_iter()
            .map(|r| {
                let mut rng = ChaCha8Rng::seed_from_u64(hash::derive(opts.seed, 0xb007));
                rng.set_stream(((o as u64) << 32) | r as u64);
                let idx: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
                estimates(&fa, &fb, &fab, &idx)
            })
            .collect();
        let alpha = (1.0 - opts.confidence) / 2.0;
        let mut by_input = vec![None; inputs.len()];
        for (d, &i) in moving.iter().enumerate() {
            let mut s1: Vec<f64> = resamples.iter().map(|r| r[d].0).collect();
            let mut st: Vec<f64> = resamples.iter().map(|r| r[d].1).collect();
            by_input[i] = Some((
                interval(whole[d].0, &mut s1, alpha),
                interval(whole[d].1, &mut st, alpha),
            ));
        }
        for (i, found) in by_input.into_iter().enumerate() {
            let zero = Interval {
                estimate: 0.0,
                lo: 0.0,
                hi: 0.0,
            };
            let (s1, st) = found.unwrap_or((zero, zero));
            result.push(SobolIndex {
                output: o,
                input: i,
                s1,
                st,
            });
        }
    }
    result
}

/// (S1, ST) per moving input on the rows `idx`.
fn estimates(fa: &[f64], fb: &[f64], fab: &[Vec<f64>], idx: &[usize]) -> Vec<(f64, f64)> {
    let n = idx.len() as f64;
    let mean = idx.iter().map(|&j| fa[j] + fb[j]).sum::<f64>() / (2.0 * n);
    let var = idx
        .iter()
        .map(|&j| (fa[j] - mean).powi(2) + (fb[j] - mean).powi(2))
        .sum::<f64>()
        / (2.0 * n);
    fab.iter()
        .map(|ab| {
            if var <= 0.0 {
                return (0.0, 0.0);
            }
            let (mut first, mut total) = (0.0, 0.0);
            for &j in idx {
                first += fb[j] * (ab[j] - fa[j]);
                total += (fa[j] - ab[j]).powi(2);
            }
            (first / n / var, total / (2.0 * n) / var)
        })
        .collect()
}

/// The estimate with the `alpha` and `1 - alpha` percentiles of `resampled`.
fn interval(estimate: f64, resampled: &mut [f64], alpha: f64) -> Interval {
    if resampled.is_empty() {
        return Interval {
            estimate,
            lo: estimate,
            hi: estimate,
        };
    }
    resampled.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((q * resampled.len() as f64).ceil() as usize).clamp(1, resampled.len()) - 1;
        resampled[i]
    };
    Interval {
        estimate,
        lo: at(alpha),
        hi: at(1.0 - alpha),
    }
}
