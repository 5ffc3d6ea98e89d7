//! Shapley effects (Owen 2014): each input's share of the output variance,
//! meaningful when inputs are correlated, and summing to 1.
//!
//! The estimator is the random-permutation one of Song, Nelson and Staum
//! (2016): for a permutation of the inputs and each prefix J of it, the cost
//! c(J) = E[Var(Y | X_{-J})] is estimated by fixing X_{-J} at an outer draw
//! from the joint distribution and drawing X_J again from its conditional
//! distribution given X_{-J}; an input's effect is the average increase of c
//! when it joins the prefix, over the variance of Y. The joint distribution
//! is the scenario's: its marginals tied by a Gaussian copula with the
//! declared rank correlations, whose conditional distributions are Gaussian
//! in normal scores.

use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, StandardNormal};
use rayon::prelude::*;

use super::{Problem, Progress};
use crate::correlation::{cholesky_psd, invert, normal_score_factor};
use crate::distribution::phi;
use crate::hash;

/// Settings of [`shapley_effects`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShapleyOptions {
    /// Random permutations of the inputs.
    pub permutations: usize,
    /// Runs for the variance of each output.
    pub variance_runs: usize,
    /// Inner draws per cost estimate (Song et al. recommend 3).
    pub inner: usize,
    /// Seed of every draw.
    pub seed: u64,
    /// Coverage of the intervals (normal approximation).
    pub confidence: f64,
}

impl Default for ShapleyOptions {
    fn default() -> Self {
        ShapleyOptions {
            permutations: 12_000,
            variance_runs: 20_000,
            inner: 3,
            seed: 42,
            confidence: 0.95,
        }
    }
}

/// The Shapley effect of one input on one output.
#[derive(Clone, Debug, PartialEq)]
pub struct ShapleyEffect {
    /// Output index.
    pub output: usize,
    /// Input index.
    pub input: usize,
    /// Its share of the output's variance.
    pub effect: f64,
    /// Monte Carlo standard error of the effect.
    pub std_error: f64,
    /// Lower end of the interval.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

/// Model runs [`shapley_effects`] makes: the variance runs, then
/// permutations x (k - 1) x inner.
pub fn shapley_runs<P: Problem + ?Sized>(problem: &P, opts: &ShapleyOptions) -> u64 {
    let k = problem.uncertain().len() as u64;
    opts.variance_runs as u64 + opts.permutations as u64 * k.saturating_sub(1) * opts.inner as u64
}

/// The joint distribution of the uncertain inputs in normal scores.
struct Copula {
    /// Pearson correlation of the normal scores (k x k).
    sigma: Array2<f64>,
    /// Its Cholesky factor.
    factor: Array2<f64>,
}

impl Copula {
    fn new<P: Problem + ?Sized>(problem: &P, moving: &[usize]) -> Result<Copula, String> {
        let k = moving.len();
        let mut spearman = Array2::<f64>::eye(k);
        for (a, b, rank) in problem.correlations() {
            if let (Some(i), Some(j)) = (
                moving.iter().position(|&m| m == a),
                moving.iter().position(|&m| m == b),
            ) {
                spearman[[i, j]] = rank;
                spearman[[j, i]] = rank;
            }
        }
        let sigma = spearman.mapv(|s| 2.0 * (std::f64::consts::PI * s / 6.0).sin());
        let factor = normal_score_factor(&spearman)
            .ok_or("the declared rank correlations are not positive definite")?;
        Ok(Copula { sigma, factor })
    }

    /// A joint draw of normal scores.
    fn draw(&self, rng: &mut ChaCha8Rng) -> Vec<f64> {
        let k = self.sigma.nrows();
        let e: Vec<f64> = (0..k).map(|_| StandardNormal.sample(rng)).collect();
        (0..k)
            .map(|i| (0..=i).map(|j| self.factor[[i, j]] * e[j]).sum())
            .collect()
    }

    /// The conditional law of the scores in `free` given the others: a map
    /// from the others' scores to the free ones' mean, and the Cholesky
    /// factor of the free ones' covariance. Inputs in no correlation with a
    /// free one do not enter.
    fn conditional(&self, free: &[usize]) -> Conditional {
        let k = self.sigma.nrows();
        let given: Vec<usize> = (0..k)
            .filter(|i| !free.contains(i))
            .filter(|&i| free.iter().any(|&f| self.sigma[[f, i]] != 0.0))
            .collect();
        let sub = |rows: &[usize], cols: &[usize]| {
            Array2::from_shape_fn((rows.len(), cols.len()), |(r, c)| {
                self.sigma[[rows[r], cols[c]]]
            })
        };
        let (s_ff, s_fg, s_gg) = (sub(free, free), sub(free, &given), sub(&given, &given));
        let inv = invert(&s_gg)
            .expect("a principal submatrix of a positive definite matrix is invertible");
        let weights = product(&s_fg, &inv);
        let cov = &s_ff - &product(&weights, &s_fg.t().to_owned());
        Conditional {
            free: free.to_vec(),
            given,
            weights,
            factor: cholesky_psd(&cov),
        }
    }
}

struct Conditional {
    free: Vec<usize>,
    given: Vec<usize>,
    weights: Array2<f64>,
    factor: Array2<f64>,
}

impl Conditional {
    /// Redraws the free scores of `z` given its other scores.
    fn redraw(&self, z: &mut [f64], rng: &mut ChaCha8Rng) {
        let f = self.free.len();
        let e: Vec<f64> = (0..f).map(|_| StandardNormal.sample(rng)).collect();
        let mean: Vec<f64> = (0..f)
            .map(|r| {
                self.given
                    .iter()
                    .enumerate()
                    .map(|(c, &g)| self.weights[[r, c]] * z[g])
                    .sum()
            })
            .collect();
        for r in 0..f {
            let noise: f64 = (0..=r).map(|c| self.factor[[r, c]] * e[c]).sum();
            z[self.free[r]] = mean[r] + noise;
        }
    }
}

/// Shapley effects of every input on every output (output-major, every
/// input listed, fixed ones with exact zeros). Fails if the declared rank
/// correlations are impossible.
pub fn shapley_effects<P: Problem + ?Sized>(
    problem: &P,
    opts: &ShapleyOptions,
    progress: Progress<'_>,
) -> Result<Vec<ShapleyEffect>, super::SensitivityError> {
    let moving = problem.uncertain();
    let k = moving.len();
    let inputs = problem.inputs();
    let outputs = problem.outputs().len();
    let copula = Copula::new(problem, &moving)?;
    let medians = problem.medians();
    let to_x = |z: &[f64]| -> Vec<f64> {
        let mut x = medians.clone();
        for (d, &i) in moving.iter().enumerate() {
            let u = phi(z[d]).clamp(1e-15, 1.0 - 1e-15);
            x[i] = inputs[i].distribution.quantile(u);
        }
        x
    };
    let evaluate = |z: &[f64]| -> Vec<f64> {
        let mut y = vec![0.0; outputs];
        problem.evaluate(&to_x(z), &mut y);
        y
    };

    // Var(Y) of each output from independent joint draws, in blocks.
    const BLOCK: usize = 1024;
    let blocks = opts.variance_runs.div_ceil(BLOCK);
    let sums: Vec<(Vec<f64>, Vec<f64>, usize)> = (0..blocks)
        .into_par_iter()
        .map(|b| {
            let mut rng = ChaCha8Rng::seed_from_u64(hash::derive(opts.seed, 0x5a_0001));
            rng.set_stream(b as u64);
            let n = BLOCK.min(opts.variance_runs - b * BLOCK);
            let ys: Vec<Vec<f64>> = (0..n).map(|_| evaluate(&copula.draw(&mut rng))).collect();
            if let Some(p) = progress {
                p(n as u64);
            }
            let mean: Vec<f64> = (0..outputs)
                .map(|o| ys.iter().map(|y| y[o]).sum::<f64>() / n as f64)
                .collect();
            let m2: Vec<f64> = (0..outputs)
                .map(|o| ys.iter().map(|y| (y[o] - mean[o]).powi(2)).sum())
                .collect();
            (mean, m2, n)
        })
        .collect();
    // Chan et al.'s merge, in block order.
    let mut total = vec![(0.0, 0.0); outputs];
    let mut count = 0usize;
    for (mean, m2, n) in &sums {
        let merged = count + n;
        for o in 0..outputs {
            let (tm, tm2) = total[o];
            let delta = mean[o] - tm;
            total[o] = (
                tm + delta * *n as f64 / merged as f64,
                tm2 + m2[o] + delta * delta * (count * n) as f64 / merged as f64,
            );
        }
        count = merged;
    }
    let variance: Vec<f64> = total
        .iter()
        .map(|&(_, m2)| m2 / (count.max(2) - 1) as f64)
        .collect();

    // One permutation: the increase of the cost as each input joins.
    let increments: Vec<Vec<Vec<f64>>> = (0..opts.permutations)
        .into_par_iter()
        .map(|p| {
            let mut rng = ChaCha8Rng::seed_from_u64(hash::derive(opts.seed, 0x5a_0002));
            rng.set_stream(p as u64);
            let mut order: Vec<usize> = (0..k).collect();
            rand::seq::SliceRandom::shuffle(order.as_mut_slice(), &mut rng);
            let mut gains = vec![vec![0.0; outputs]; k];
            let mut before = vec![0.0; outputs];
            for j in 0..k {
                let cost = if j + 1 == k {
                    variance.clone()
                } else {
                    let free = &order[..=j];
                    let cond = copula.conditional(free);
                    let outer = copula.draw(&mut rng);
                    let ys: Vec<Vec<f64>> = (0..opts.inner)
                        .map(|_| {
                            let mut z = outer.clone();
                            cond.redraw(&mut z, &mut rng);
                            evaluate(&z)
                        })
                        .collect();
                    (0..outputs)
                        .map(|o| {
                            let m = ys.iter().map(|y| y[o]).sum::<f64>() / ys.len() as f64;
                            ys.iter().map(|y| (y[o] - m).powi(2)).sum::<f64>()
                                / (ys.len() - 1) as f64
                        })
                        .collect()
                };
                for o in 0..outputs {
                    gains[order[j]][o] = cost[o] - before[o];
                }
                before = cost;
            }
            if let Some(pr) = progress {
                pr((k.saturating_sub(1) * opts.inner) as u64);
            }
            gains
        })
        .collect();

    let z = crate::distribution::phi_inv(0.5 + opts.confidence / 2.0);
    let m = increments.len() as f64;
    let mut result = Vec::new();
    for o in 0..outputs {
        for i in 0..inputs.len() {
            let Some(d) = moving.iter().position(|&x| x == i) else {
                result.push(ShapleyEffect {
                    output: o,
                    input: i,
                    effect: 0.0,
                    std_error: 0.0,
                    lo: 0.0,
                    hi: 0.0,
                });
                continue;
            };
            let v = variance[o];
            let (effect, std_error) = if v > 0.0 {
                let g: Vec<f64> = increments.iter().map(|p| p[d][o] / v).collect();
                let mean = g.iter().sum::<f64>() / m;
                let var = g.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0).max(1.0);
                (mean, (var / m).sqrt())
            } else {
                (0.0, 0.0)
            };
            result.push(ShapleyEffect {
                output: o,
                input: i,
                effect,
                std_error,
                lo: effect - z * std_error,
                hi: effect + z * std_error,
            });
        }
    }
    Ok(result)
}

/// `a b`, each entry summed in index order: small matrices, where a
/// BLAS-like kernel (whose blocking and fused multiply-adds depend on the
/// processor) would only make the bits depend on the machine.
fn product(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    Array2::from_shape_fn((a.nrows(), b.ncols()), |(i, j)| {
        (0..a.ncols()).fold(0.0, |acc, m| acc + a[[i, m]] * b[[m, j]])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spd_inverse_and_semi_definite_factor() {
        let m = ndarray::arr2(&[[2.0, 0.5], [0.5, 1.0]]);
        let prod = m.dot(&invert(&m).unwrap());
        for i in 0..2 {
            for j in 0..2 {
                assert!((prod[[i, j]] - f64::from(u8::from(i == j))).abs() < 1e-12);
            }
        }
        let l = cholesky_psd(&ndarray::arr2(&[[1.0, 1.0], [1.0, 1.0]]));
        assert_eq!(l, ndarray::arr2(&[[1.0, 0.0], [1.0, 0.0]]));
    }
}
