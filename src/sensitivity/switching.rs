//! Switching values: how far one input may move, the others at their
//! medians, before a claim flips.

use rayon::prelude::*;

use super::{Problem, Progress};
use crate::claims::Op;

/// A claim as a test on one output of a [`Problem`].
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimTest {
    /// Its name.
    pub name: String,
    /// The output tested.
    pub output: usize,
    /// The comparison.
    pub op: Op,
    /// The threshold.
    pub threshold: f64,
}

/// Where a claim flips as one input moves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Switch {
    /// The claim does not flip anywhere in the input's support.
    None,
    /// It flips at this value: for a continuous input, the boundary found by
    /// bisection; for a discrete one, the nearest value at which it differs.
    At {
        /// The value.
        value: f64,
        /// Whether the claim holds beyond the value, away from the median
        /// (for a discrete input: at the value).
        holds_beyond: bool,
    },
}

/// The switching value of one input for one claim.
#[derive(Clone, Debug, PartialEq)]
pub struct SwitchingValue {
    /// Claim index.
    pub claim: usize,
    /// Input index.
    pub input: usize,
    /// The input's median, where the search starts.
    pub median: f64,
    /// Whether the claim holds with every input at its median.
    pub holds_at_median: bool,
    /// Where it flips, nearest the median.
    pub switch: Switch,
}

/// Grid points that bracket a flip before bisection.
const GRID: usize = 64;
/// Bisection steps: the bracket shrinks by 2^-60, below f64 resolution.
const BISECTIONS: usize = 60;

/// Model runs [`switching_values`] makes at most.
pub fn switching_runs<P: Problem + ?Sized>(problem: &P, claims: usize) -> u64 {
    (claims * problem.uncertain().len() * (GRID + 2 + BISECTIONS)) as u64
}

/// For every claim and every non-fixed input (claim-major): the value of that
/// input, the others at their medians, at which the claim flips, nearest the
/// median; found by scanning the support on a grid of quantiles, then
/// bisecting the bracket.
pub fn switching_values<P: Problem + ?Sized>(
    problem: &P,
    claims: &[ClaimTest],
    progress: Progress<'_>,
) -> Vec<SwitchingValue> {
    let inputs = problem.inputs();
    let medians = problem.medians();
    let outputs = problem.outputs().len();
    let holds = |claim: &ClaimTest, input: usize, value: f64| {
        let mut x = medians.clone();
        x[input] = value;
        let mut y = vec![0.0; outputs];
        problem.evaluate(&x, &mut y);
        claim.op.holds(y[claim.output], claim.threshold)
    };
    let moving = problem.uncertain();
    let pairs: Vec<(usize, usize)> = (0..claims.len())
        .flat_map(|c| moving.iter().map(move |&i| (c, i)))
        .collect();
    pairs
        .par_iter()
        .map(|&(c, i)| {
            let claim = &claims[c];
            let dist = &inputs[i].distribution;
            let median = medians[i];
            let at_median = holds(claim, i, median);
            let mut runs = 1u64;
            let nearest_first = |a: &f64, b: &f64| {
                (a - median)
                    .abs()
                    .total_cmp(&(b - median).abs())
                    .then(a.total_cmp(b))
            };
            let switch = match dist.discrete_values() {
                Some(values) => {
                    let mut values = values.to_vec();
                    values.sort_by(nearest_first);
                    values.dedup();
                    runs += values.len() as u64;
                    values
                        .into_iter()
                        .find(|&v| holds(claim, i, v) != at_median)
                        .map_or(Switch::None, |value| Switch::At {
                            value,
                            holds_beyond: !at_median,
                        })
                }
                None => {
                    let (lo, hi) = dist.support();
                    let mut grid: Vec<f64> = std::iter::once(lo)
                        .chain((1..GRID).map(|g| dist.quantile(g as f64 / GRID as f64)))
                        .chain([hi, median])
                        .collect();
                    grid.sort_by(f64::total_cmp);
                    grid.dedup();
                    let states: Vec<bool> = grid.iter().map(|&v| holds(claim, i, v)).collect();
                    runs += grid.len() as u64;
                    // Brackets [grid[g], grid[g + 1]] where the claim flips.
                    let flip = (0..grid.len() - 1)
                        .filter(|&g| states[g] != states[g + 1])
                        .min_by(|&a, &b| {
                            let gap = |g: usize| {
                                let (x, y) = (grid[g], grid[g + 1]);
                                if median < x {
                                    x - median
                                } else if median > y {
                                    median - y
                                } else {
                                    0.0
                                }
                            };
                            gap(a).total_cmp(&gap(b))
                        });
                    match flip {
                        None => Switch::None,
                        Some(g) => {
                            let (mut a, mut b) = (grid[g], grid[g + 1]);
                            let state_a = states[g];
                            for _ in 0..BISECTIONS {
                                let mid = a + (b - a) / 2.0;
                                if mid <= a || mid >= b {
                                    break;
                                }
                                runs += 1;
                                if holds(claim, i, mid) == state_a {
                                    a = mid;
                                } else {
                                    b = mid;
                                }
                            }
                            let value = a + (b - a) / 2.0;
                            // The far side from the median is above the
                            // bracket if the median is below it.
                            let beyond_is_above = median <= a;
                            let holds_beyond = if beyond_is_above {
                                states[g + 1]
                            } else {
                                state_a
                            };
                            Switch::At {
                                value,
                                holds_beyond,
                            }
                        }
                    }
                }
            };
            if let Some(p) = progress {
                p(runs);
            }
            SwitchingValue {
                claim: c,
                input: i,
                median,
                holds_at_median: at_median,
                switch,
            }
        })
        .collect()
}
