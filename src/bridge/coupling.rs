//! Common random numbers for a bridge: every subset of steps is evaluated
//! on the same runs, so the difference between two subsets carries little
//! Monte Carlo noise.
//!
//! Run i gives parameter p one uniform u(p, i), a counter-based hash of
//! (seed, p, i). A parameter takes its value from that uniform through A's
//! or B's inverse CDF, whichever the subset says. Correlated parameters are
//! coupled through a Gaussian copula: their uniforms become normal scores,
//! are mixed by the Cholesky factor of the rank correlations in force, and
//! turn back into uniforms. A correlated pair takes B's rank when both of
//! its parameters' steps are in the subset and A's otherwise, so the empty
//! subset is A exactly and the full one is B exactly. Every table of values
//! a subset can need is computed once, up front.

use ndarray::Array2;
use rayon::prelude::*;

use crate::claims::Claim;
use crate::config::{CorrelationSpec, Scenario};
use crate::correlation::normal_score_factor;
use crate::distribution::{phi, phi_inv, Distribution};
use crate::hash;
use crate::model::{Metric, Model, Outputs, Param, ParamSet};

use super::shapley::{deletes, Game, Subset};
use super::{BridgeOptions, Step};

const LABEL: u64 = 0xb71d_6e00;

/// The metric-years whose median and mean a bridge attributes.
pub const BRIDGE_OUTPUTS: [(Metric, i32); 8] = [
    (Metric::GdpSharePct, 2035),
    (Metric::GdpTotal, 2035),
    (Metric::Jobs, 2035),
    (Metric::NpvCum, 2035),
    (Metric::GdpSharePct, 2050),
    (Metric::GdpTotal, 2050),
    (Metric::Jobs, 2050),
    (Metric::NpvCum, 2050),
];

/// A set of parameters tied by correlations in A or B.
struct Component {
    /// The pairs, with A's and B's rank (0 where a scenario has none).
    pairs: Vec<(Param, Param, f64, f64)>,
}

/// Where a parameter's values come from.
struct Column {
    param: Param,
    /// The step that changes it, if any.
    step: Option<usize>,
    /// Its component, if correlated.
    component: Option<usize>,
    /// Values of every run: `tables[state * 2 + marginal]`, marginal 0 for
    /// A's distribution and 1 for B's, state the component's pair state.
    tables: Vec<Vec<f64>>,
}

/// The sample of a bridge: a value table per parameter, and what to
/// compute from each subset's runs.
pub struct Coupling {
    model: Model,
    base: ParamSet,
    columns: Vec<Column>,
    components: Vec<Component>,
    players: usize,
    runs: usize,
    batches: usize,
    claims: Vec<Claim>,
}

impl Coupling {
    /// Draws `opts.runs` runs for bridging `a` to `b` along `steps`, cut
    /// into `opts.batches` equal batches for standard errors; `tick(0)` is
    /// called now and then, a point where the caller may stop. Fails if mixing A's and
    /// B's rank correlations gives an impossible matrix.
    pub(crate) fn new(
        a: &Scenario,
        b: &Scenario,
        steps: &[Step],
        claims: Vec<Claim>,
        opts: &BridgeOptions,
        tick: &(dyn Fn(u64) + Sync),
    ) -> Result<Coupling, super::BridgeError> {
        let BridgeOptions {
            runs,
            batches,
            seed,
            ..
        } = *opts;
        let step_of = |p: Param| steps.iter().position(|s| s.params.contains(&p));
        let components = components(&a.correlations, &b.correlations);
        let component_of = |p: Param| {
            components
                .iter()
                .position(|c| c.pairs.iter().any(|&(x, y, _, _)| x == p || y == p))
        };
        let uniform = |p: Param| -> Vec<f64> {
            let key = hash::derive(hash::derive(seed, LABEL), p as u64);
            (0..runs as u64)
                .map(|i| hash::unit(key, i).max(f64::MIN_POSITIVE))
                .collect()
        };
        let varies = |p: Param| {
            !(a.parameter(p).distribution.is_fixed() && b.parameter(p).distribution.is_fixed())
                || step_of(p).is_some()
        };
        let marginals = |p: Param| -> [&Distribution; 2] {
            [&a.parameter(p).distribution, &b.parameter(p).distribution]
        };
        let mut columns: Vec<Column> = Vec::new();
        for &p in Param::ALL
            .iter()
            .filter(|&&p| varies(p) && component_of(p).is_none())
        {
            let u = uniform(p);
            let tables = marginals(p)
                .iter()
                .map(|d| quantiles(d, &u, tick))
                .collect();
            columns.push(Column {
                param: p,
                step: step_of(p),
                component: None,
                tables,
            });
        }
        for (ci, comp) in components.iter().enumerate() {
            let params = comp.params();
            let scores: Vec<Vec<f64>> = params
                .iter()
                .map(|&p| uniform(p).into_iter().map(phi_inv).collect())
                .collect();
            let mut tables: Vec<Vec<Vec<f64>>> = vec![Vec::new(); params.len()];
            for state in 0..1usize << comp.pairs.len() {
                let factor = comp.factor(&params, state).ok_or_else(|| {
                    format!(
                        "mixing the rank correlations of the two scenarios for {} gives an \
                         impossible correlation matrix; bridge these parameters as one step \
                         (--group)",
                        params
                            .iter()
                            .map(|p| p.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
                for (j, &p) in params.iter().enumerate() {
                    let u: Vec<f64> = (0..runs)
                        .map(|i| {
                            let z: f64 = (0..=j).map(|m| factor[[j, m]] * scores[m][i]).sum();
                            phi(z).clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON)
                        })
                        .collect();
                    for d in marginals(p) {
                        tables[j].push(quantiles(d, &u, tick));
                    }
                }
            }
            for (j, &p) in params.iter().enumerate() {
                columns.push(Column {
                    param: p,
                    step: step_of(p),
                    component: Some(ci),
                    tables: std::mem::take(&mut tables[j]),
                });
            }
        }
        Ok(Coupling {
            model: Model::new(&a.schedules),
            base: a.point(),
            columns,
            components,
            players: steps.len(),
            runs,
            batches,
            claims,
        })
    }

    /// Names of the outputs, in [`Game::value`] order: the median and mean
    /// of each [`BRIDGE_OUTPUTS`] entry, then P(holds) of each claim.
    pub(crate) fn output_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for (m, y) in BRIDGE_OUTPUTS {
            names.push(format!("{}:{y}:median", m.name()));
            names.push(format!("{}:{y}:mean", m.name()));
        }
        for c in &self.claims {
            names.push(format!("P({})", c.name));
        }
        names
    }

    /// Which table of each column the subset uses.
    fn tables(&self, subset: Subset) -> Vec<&[f64]> {
        let in_subset = |step: Option<usize>| step.is_some_and(|s| subset & (1 << s) != 0);
        let step_of = |p: Param| {
            self.columns
                .iter()
                .find(|c| c.param == p)
                .and_then(|c| c.step)
        };
        let states: Vec<usize> = self
            .components
            .iter()
            .map(|c| {
                c.pairs
                    .iter()
                    .enumerate()
                    .filter(|(_, &(x, y, _, _))| in_subset(step_of(x)) && in_subset(step_of(y)))
                    .map(|(j, _)| 1 << j)
                    .sum()
            })
            .collect();
        self.columns
            .iter()
            .map(|c| {
                let state = c.component.map_or(0, |k| states[k]);
                let marginal = usize::from(in_subset(c.step));
                c.tables[state * 2 + marginal].as_slice()
            })
            .collect()
    }
}

impl Component {
    /// The component's parameters, in registry order.
    fn params(&self) -> Vec<Param> {
        let mut v: Vec<Param> = self.pairs.iter().flat_map(|&(x, y, _, _)| [x, y]).collect();
        v.sort();
        v.dedup();
        v
    }

    /// The normal-score factor of the ranks in force in `state` (bit j set:
    /// pair j takes B's rank).
    fn factor(&self, params: &[Param], state: usize) -> Option<Array2<f64>> {
        let k = params.len();
        let mut m = Array2::<f64>::eye(k);
        for (j, &(x, y, ra, rb)) in self.pairs.iter().enumerate() {
            let r = if state & (1 << j) != 0 { rb } else { ra };
            let (i, l) = (
                params.iter().position(|&p| p == x)?,
                params.iter().position(|&p| p == y)?,
            );
            m[[i, l]] = r;
            m[[l, i]] = r;
        }
        normal_score_factor(&m)
    }
}

/// The pairs of A and B grouped into sets of parameters they connect.
fn components(a: &[CorrelationSpec], b: &[CorrelationSpec]) -> Vec<Component> {
    let rank = |list: &[CorrelationSpec], x: Param, y: Param| {
        list.iter()
            .find(|c| c.between == (x, y))
            .map_or(0.0, |c| c.rank)
    };
    let mut pairs: Vec<(Param, Param)> = a.iter().chain(b).map(|c| c.between).collect();
    pairs.sort();
    pairs.dedup();
    let mut comps: Vec<Vec<(Param, Param)>> = Vec::new();
    for pair in pairs {
        let touching: Vec<usize> = (0..comps.len())
            .filter(|&i| {
                comps[i]
                    .iter()
                    .any(|&(x, y)| [x, y].contains(&pair.0) || [x, y].contains(&pair.1))
            })
            .collect();
        let mut merged = vec![pair];
        for &i in touching.iter().rev() {
            merged.extend(comps.remove(i));
        }
        comps.push(merged);
    }
    comps
        .into_iter()
        .map(|c| Component {
            pairs: c
                .into_iter()
                .map(|(x, y)| (x, y, rank(a, x, y), rank(b, x, y)))
                .collect(),
        })
        .collect()
}

/// The `d` quantile of every `u`, in order, computed in parallel (each on
/// its own, so the same bits on any threads); `tick(0)` between blocks, a
/// point where the caller may stop (a table of 2 M exact inverse CDFs takes
/// seconds).
fn quantiles(d: &Distribution, u: &[f64], tick: &(dyn Fn(u64) + Sync)) -> Vec<f64> {
    const BLOCK: usize = 1 << 14;
    let mut out = vec![0.0; u.len()];
    out.par_chunks_mut(BLOCK)
        .zip(u.par_chunks(BLOCK))
        .for_each(|(out, u)| {
            tick(0);
            for (x, &u) in out.iter_mut().zip(u) {
                *x = d.quantile(u);
            }
        });
    out
}

impl Game for Coupling {
    fn players(&self) -> usize {
        self.players
    }

    fn outputs(&self) -> usize {
        2 * BRIDGE_OUTPUTS.len() + self.claims.len()
    }

    fn batches(&self) -> usize {
        self.batches
    }

    fn value(&self, subset: Subset) -> Vec<Vec<f64>> {
        let tables = self.tables(subset);
        let n = self.runs;
        let mut kept = vec![vec![0.0; n]; BRIDGE_OUTPUTS.len()];
        let mut hits = vec![vec![0u32; n]; self.claims.len()];
        let mut set = self.base;
        let mut out = Outputs::default();
        for i in 0..n {
            for (c, t) in self.columns.iter().zip(&tables) {
                set[c.param] = t[i];
            }
            self.model.evaluate(&set, &mut out);
            for (k, &(m, y)) in BRIDGE_OUTPUTS.iter().enumerate() {
                kept[k][i] = out.at(m, y);
            }
            for (h, claim) in hits.iter_mut().zip(&self.claims) {
                h[i] = u32::from(claim.holds(&out));
            }
        }
        // The statistics of the whole sample, then of the runs each
        // jackknife row keeps (see `deletes`). Means and shares come from
        // each batch's sums; the medians from a selection over the runs kept.
        let batches = self.batches;
        let bounds: Vec<(usize, usize)> =
            (0..batches).map(|b| batch_bounds(n, batches, b)).collect();
        let medians: Vec<Vec<f64>> = kept
            .iter()
            .map(|values| medians_of_jackknife_rows(values, &bounds))
            .collect();
        let by_batch = |values: &[f64]| -> Vec<f64> {
            bounds
                .iter()
                .map(|&(from, to)| values[from..to].iter().sum())
                .collect()
        };
        let sums: Vec<Vec<f64>> = kept.iter().map(|v| by_batch(v)).collect();
        let totals: Vec<f64> = kept.iter().map(|v| v.iter().sum()).collect();
        let counts: Vec<Vec<u32>> = hits
            .iter()
            .map(|h| {
                bounds
                    .iter()
                    .map(|&(from, to)| h[from..to].iter().sum())
                    .collect()
            })
            .collect();
        // Row `r`: 0 for the whole sample, 1 + h without the batches row h
        // deletes.
        let stats = |r: usize| -> Vec<f64> {
            let kept_batch = |b: usize| r == 0 || !deletes(batches, r - 1, b);
            let left: usize = (0..batches)
                .filter(|&b| kept_batch(b))
                .map(|b| bounds[b].1 - bounds[b].0)
                .sum();
            let mut row = Vec::with_capacity(self.outputs());
            for ((m, sums), total) in medians.iter().zip(&sums).zip(&totals) {
                let sum: f64 = if r == 0 {
                    *total
                } else {
                    (0..batches)
                        .filter(|&b| kept_batch(b))
                        .map(|b| sums[b])
                        .sum()
                };
                row.push(m[r]);
                row.push(sum / left as f64);
            }
            for counts in &counts {
                let count: u32 = (0..batches)
                    .filter(|&b| kept_batch(b))
                    .map(|b| counts[b])
                    .sum();
                row.push(f64::from(count) / left as f64);
            }
            row
        };
        (0..=batches).map(stats).collect()
    }
}

/// Runs `from..to` of batch `b` of `batches` equal batches of `n` runs.
fn batch_bounds(n: usize, batches: usize, b: usize) -> (usize, usize) {
    (b * n / batches, (b + 1) * n / batches)
}

/// The median (rank ceil(m / 2) of m values) of `values`, then of the
/// values of the batches (runs `bounds[b]`) each jackknife row keeps (see
/// [`deletes`]).
fn medians_of_jackknife_rows(values: &[f64], bounds: &[(usize, usize)]) -> Vec<f64> {
    let batches = bounds.len();
    let mut buffer = Vec::with_capacity(values.len());
    let median = |buffer: &mut Vec<f64>| {
        let at = buffer.len().div_ceil(2) - 1;
        *buffer.select_nth_unstable_by(at, f64::total_cmp).1
    };
    buffer.extend_from_slice(values);
    let mut out = vec![median(&mut buffer)];
    for h in 0..batches {
        buffer.clear();
        for (b, &(from, to)) in bounds.iter().enumerate() {
            if !deletes(batches, h, b) {
                buffer.extend_from_slice(&values[from..to]);
            }
        }
        out.push(median(&mut buffer));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each median against a sort of the runs kept, for lengths that do
    /// and do not divide into the batches, with ties and both zeros.
    #[test]
    fn medians_of_jackknife_rows_are_those_of_a_sort() {
        for (n, batches) in [(1000, 10), (1003, 10), (37, 4), (10, 10), (2001, 7)] {
            let values: Vec<f64> = (0..n)
                .map(|i| {
                    let u = (i as f64 * 0.618_033_988_749_895).fract();
                    // Ties (rounded to tenths) and a zero of each sign.
                    match i % 97 {
                        0 => -0.0,
                        1 => 0.0,
                        _ => (u * 20.0 - 5.0).round() / 10.0,
                    }
                })
                .collect();
            let bounds: Vec<_> = (0..batches).map(|b| batch_bounds(n, batches, b)).collect();
            let found = medians_of_jackknife_rows(&values, &bounds);
            let median = |mut v: Vec<f64>| {
                v.sort_by(f64::total_cmp);
                v[v.len().div_ceil(2) - 1]
            };
            assert_eq!(found[0].to_bits(), median(values.clone()).to_bits());
            for h in 0..batches {
                let kept: Vec<f64> = (0..n)
                    .filter(|&i| {
                        let b = (0..batches).find(|&b| i < bounds[b].1).unwrap();
                        !deletes(batches, h, b)
                    })
                    .map(|i| values[i])
                    .collect();
                assert_eq!(
                    kept.len(),
                    n - (0..batches)
                        .filter(|&b| deletes(batches, h, b))
                        .map(|b| bounds[b].1 - bounds[b].0)
                        .sum::<usize>()
                );
                assert_eq!(
                    found[1 + h].to_bits(),
                    median(kept).to_bits(),
                    "n {n}, row {h} of {batches}"
                );
            }
        }
    }
}
