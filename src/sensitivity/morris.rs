//! Morris elementary effects: a cheap screen of many inputs.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{evaluate_rows, Problem, Progress};
use crate::hash;

/// Screening measures of one input for one output.
#[derive(Clone, Debug, PartialEq)]
pub struct MorrisEffect {
    /// Output index.
    pub output: usize,
    /// Input index.
    pub input: usize,
    /// Mean elementary effect.
    pub mu: f64,
    /// Mean absolute elementary effect (Campolongo et al. 2007): importance.
    pub mu_star: f64,
    /// Standard deviation of the elementary effects: non-linearity and
    /// interactions.
    pub sigma: f64,
}

/// Grid levels per input.
const LEVELS: usize = 4;
/// How far the outer levels sit from probability 0 and 1.
const EDGE: f64 = 0.01;

/// Model runs [`morris`] makes: r (k + 1).
pub fn morris_runs<P: Problem + ?Sized>(problem: &P, trajectories: usize) -> u64 {
    (trajectories * (problem.uncertain().len() + 1)) as u64
}

/// Morris (1991) trajectories in probability space: each non-fixed input
/// takes one of four levels, the quantiles at 1 %, 34 %, 66 % and 99 %
/// (Morris's grid l / 3 pulled in from the ends, so unbounded distributions
/// stay finite), and moves by two levels (Morris's step p / (2 (p - 1)))
/// once per trajectory, in random order. An elementary effect is the output
/// change divided by the step in probability, so effects of inputs in
/// different units compare.
pub fn morris<P: Problem + ?Sized>(
    problem: &P,
    trajectories: usize,
    seed: u64,
    progress: Progress<'_>,
) -> Vec<MorrisEffect> {
    let inputs = problem.inputs();
    let medians = problem.medians();
    let moving = problem.uncertain();
    let k = moving.len();
    let jump = LEVELS / 2;
    let level_u = |l: usize| EDGE + (1.0 - 2.0 * EDGE) * l as f64 / (LEVELS - 1) as f64;
    let step = level_u(jump) - level_u(0);
    let mut x = Array2::<f64>::zeros((trajectories * (k + 1), inputs.len()));
    // For each trajectory step: which moving input moved, and its direction.
    let mut moves = Vec::with_capacity(trajectories * k);
    let mut rng = ChaCha8Rng::seed_from_u64(hash::derive(seed, 0x3022));
    for t in 0..trajectories {
        let mut levels: Vec<usize> = (0..k).map(|_| rng.random_range(0..LEVELS)).collect();
        let mut order: Vec<usize> = (0..k).collect();
        hash::shuffle(&mut order, rng.random());
        let mut write = |row: usize, levels: &[usize]| {
            let mut values = medians.clone();
            for (d, &i) in moving.iter().enumerate() {
                values[i] = inputs[i].distribution.quantile(level_u(levels[d]));
            }
            x.row_mut(row).assign(&ndarray::ArrayView1::from(&values));
        };
        let first = t * (k + 1);
        write(first, &levels);
        for (s, &d) in order.iter().enumerate() {
            let up = levels[d] + jump < LEVELS;
            levels[d] = if up {
                levels[d] + jump
            } else {
                levels[d] - jump
            };
            moves.push((d, if up { 1.0 } else { -1.0 }));
            write(first + s + 1, &levels);
        }
    }
    let y = evaluate_rows(problem, &x, progress);
    let mut effects = Vec::new();
    for o in 0..y.ncols() {
        let mut per_input = vec![Vec::with_capacity(trajectories); k];
        for t in 0..trajectories {
            for s in 0..k {
                let (d, sign) = moves[t * k + s];
                let row = t * (k + 1) + s;
                per_input[d].push(sign * (y[[row + 1, o]] - y[[row, o]]) / step);
            }
        }
        for (d, ee) in per_input.iter().enumerate() {
            let n = ee.len() as f64;
            let mu = ee.iter().sum::<f64>() / n;
            let mu_star = ee.iter().map(|e| e.abs()).sum::<f64>() / n;
            let sigma = if ee.len() > 1 {
                (ee.iter().map(|e| (e - mu).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
            } else {
                0.0
            };
            effects.push(MorrisEffect {
                output: o,
                input: moving[d],
                mu,
                mu_star,
                sigma,
            });
        }
    }
    effects
}
