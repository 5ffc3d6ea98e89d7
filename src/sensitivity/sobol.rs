//! First-order and total Sobol indices: the Saltelli (2010) design and
//! first-order estimator (centred), Jansen's total-effect estimator, and
//! intervals from independently scrambled replicates.

use ndarray::Array2;
use rayon::prelude::*;

use super::{evaluate_rows, Problem, Progress};
use crate::hash;
use crate::sampler::ScrambledSobol;

/// An estimate with its interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// The estimate on the whole sample.
    pub estimate: f64,
    /// Lower bound of the interval.
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
    /// uncertain inputs. A multiple of `replicates`; powers of two suit the
    /// Sobol sequence best.
    pub base_runs: usize,
    /// Seed of the scrambles.
    pub seed: u64,
    /// Independent scrambles the N points are drawn from, N / replicates
    /// each: the spread of their estimates gives the intervals.
    pub replicates: usize,
    /// Coverage of the intervals, e.g. 0.95.
    pub confidence: f64,
}

impl Default for SobolOptions {
    fn default() -> Self {
        SobolOptions {
            base_runs: 1 << 14,
            seed: 42,
            replicates: 16,
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
/// Matrices A and B are the first and last k coordinates of scrambled
/// Sobol points in 2k dimensions; AB_i is A with column i from B. With
/// V = Var(f(A), f(B)) and m the mean of f:
/// S1_i = mean((f(B) - m) (f(AB_i) - f(A))) / V (Saltelli et al. 2010,
/// eq. (b), with f centred as SALib does: the same expectation, a variance
/// that no longer grows with the square of the output's mean);
/// ST_i = mean((f(A) - f(AB_i))^2) / (2 V) (Jansen 1999).
/// A fixed input has f(AB_i) = f(A), so both are exactly 0 (it is not
/// re-evaluated). An output without variance gets 0 for every input.
///
/// Intervals: the N points come from `replicates` independently scrambled
/// Sobol sequences of N / replicates points each (randomised quasi-Monte
/// Carlo). The estimate uses all N; its standard error is the spread of
/// the replicates' own estimates over sqrt(replicates), and the interval
/// is the estimate +- Student's t quantile times that. A bootstrap of the
/// rows would treat the points as independent draws and overstate the
/// error of a quasi-Monte Carlo design several times.
pub fn sobol_indices<P: Problem + ?Sized>(
    problem: &P,
    opts: &SobolOptions,
    progress: Progress<'_>,
) -> Vec<SobolIndex> {
    let inputs = problem.inputs();
    let reps = opts.replicates.max(2);
    let m = (opts.base_runs / reps).max(1);
    let n = m * reps;
    let moving = problem.uncertain();
    let k = moving.len();
    let medians = problem.medians();
    let scrambles: Vec<ScrambledSobol> = (0..reps)
        .map(|r| ScrambledSobol::new((2 * k).max(1), hash::derive(opts.seed, 0x50b0 + r as u64)))
        .collect();
    let point = |j: usize, second: bool| -> Vec<f64> {
        let (sobol, at) = (&scrambles[j / m], (j % m) as u64);
        let mut x = medians.clone();
        for (d, &i) in moving.iter().enumerate() {
            let dim = if second { k + d } else { d };
            x[i] = inputs[i].distribution.quantile(sobol.coordinate(at, dim));
        }
        x
    };
    // Rows: A (n), B (n), then AB_d for each moving input d (n each).
    let mut design = Array2::<f64>::zeros((n * (k + 2), inputs.len()));
    for j in 0..n {
        if j % 1024 == 0 {
            // Building the design takes seconds at large N: a point where
            // the caller may stop it (see `Progress`).
            if let Some(p) = progress {
                p(0);
            }
        }
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
    let all: Vec<usize> = (0..n).collect();
    let t = students_t_quantile(0.5 + opts.confidence / 2.0, reps - 1);
    let mut result = Vec::new();
    for o in 0..outputs {
        if let Some(p) = progress {
            p(0);
        }
        let col = |block: usize| -> Vec<f64> { (0..n).map(|j| y[[block * n + j, o]]).collect() };
        let (fa, fb) = (col(0), col(1));
        let fab: Vec<Vec<f64>> = (0..k).map(|d| col(2 + d)).collect();
        let whole = estimates(&fa, &fb, &fab, &all);
        let per_replicate: Vec<Vec<(f64, f64)>> = (0..reps)
            .into_par_iter()
            .map(|r| estimates(&fa, &fb, &fab, &all[r * m..(r + 1) * m]))
            .collect();
        let mut by_input = vec![None; inputs.len()];
        for (d, &i) in moving.iter().enumerate() {
            let s1: Vec<f64> = per_replicate.iter().map(|r| r[d].0).collect();
            let st: Vec<f64> = per_replicate.iter().map(|r| r[d].1).collect();
            by_input[i] = Some((interval(whole[d].0, &s1, t), interval(whole[d].1, &st, t)));
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
                // f(B) centred: the same expectation (f(AB_i) - f(A) has
                // mean 0), but a variance that no longer grows with the
                // square of the output's mean.
                first += (fb[j] - mean) * (ab[j] - fa[j]);
                total += (fa[j] - ab[j]).powi(2);
            }
            (first / n / var, total / (2.0 * n) / var)
        })
        .collect()
}

/// The estimate +- `t` standard errors, the standard error being the
/// spread of the replicates' estimates over sqrt(replicates).
fn interval(estimate: f64, replicates: &[f64], t: f64) -> Interval {
    let r = replicates.len() as f64;
    let mean = replicates.iter().sum::<f64>() / r;
    let var = replicates.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (r - 1.0);
    let half = t * (var / r).sqrt();
    Interval {
        estimate,
        lo: estimate - half,
        hi: estimate + half,
    }
}

/// The `p` quantile of Student's t with `df` degrees of freedom.
fn students_t_quantile(p: f64, df: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    StudentsT::new(0.0, 1.0, df as f64)
        .expect("df >= 1")
        .inverse_cdf(p)
}
