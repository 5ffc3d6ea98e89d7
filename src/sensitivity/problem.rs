//! The shape every sensitivity method works on, and the model as one.

use ndarray::Array2;
use rayon::prelude::*;

use super::Progress;
use crate::config::Scenario;
use crate::distribution::Distribution;
use crate::model::{Metric, Model, Outputs, Param, ParamSet};

/// One uncertain (or fixed) input.
#[derive(Clone, Debug)]
pub struct Input {
    /// Its name, as written in the output files.
    pub name: String,
    /// Its distribution.
    pub distribution: Distribution,
}

impl Input {
    /// An input called `name` drawn from `distribution`.
    pub fn new(name: &str, distribution: Distribution) -> Input {
        Input {
            name: name.to_string(),
            distribution,
        }
    }

    /// The median: where the other inputs sit in one-at-a-time methods.
    pub(crate) fn median(&self) -> f64 {
        self.distribution.quantile(0.5)
    }
}

/// A model with named inputs and outputs, evaluated without side effects.
pub trait Problem: Sync {
    /// The inputs, in the order `evaluate` reads them.
    fn inputs(&self) -> &[Input];
    /// The output names, in the order `evaluate` writes them.
    fn outputs(&self) -> Vec<String>;
    /// Writes the outputs for inputs `x` into `y`.
    fn evaluate(&self, x: &[f64], y: &mut [f64]);
    /// The inputs that vary (not fixed), as indices into [`Problem::inputs`]:
    /// the ones every method moves.
    fn uncertain(&self) -> Vec<usize> {
        (0..self.inputs().len())
            .filter(|&i| !self.inputs()[i].distribution.is_fixed())
            .collect()
    }
    /// Every input at its median: where one-at-a-time methods hold the rest.
    fn medians(&self) -> Vec<f64> {
        self.inputs().iter().map(Input::median).collect()
    }
    /// Rank (Spearman) correlations between inputs, as (input, input,
    /// rank): none by default. Methods that respect the joint distribution
    /// (Shapley effects) tie the inputs with a Gaussian copula of these.
    fn correlations(&self) -> Vec<(usize, usize, f64)> {
        Vec::new()
    }
    /// Formats a value of input `input` for the output files: a number by
    /// default; a problem with named choices (switches) overrides it.
    fn format_input(&self, _input: usize, x: f64) -> String {
        crate::table::csv_number(x)
    }
}

/// Rows per parallel work unit: results never depend on it, since each row
/// is evaluated on its own and written to its own place.
const ROWS_PER_TASK: usize = 1024;

/// Evaluates `problem` on every row of `x` (runs x inputs) in parallel;
/// returns runs x outputs.
pub fn evaluate_rows<P: Problem + ?Sized>(
    problem: &P,
    x: &Array2<f64>,
    progress: Progress<'_>,
) -> Array2<f64> {
    let outputs = problem.outputs().len();
    let mut y = Array2::<f64>::zeros((x.nrows(), outputs));
    let inputs = x.ncols();
    let x = x.as_slice().expect("row-major sample");
    y.as_slice_mut()
        .expect("row-major outputs")
        .par_chunks_mut(ROWS_PER_TASK * outputs.max(1))
        .enumerate()
        .for_each(|(task, ys)| {
            let first = task * ROWS_PER_TASK;
            for (r, y) in ys.chunks_mut(outputs.max(1)).enumerate() {
                let row = &x[(first + r) * inputs..][..inputs];
                problem.evaluate(row, y);
            }
            if let Some(p) = progress {
                p((ys.len() / outputs.max(1)) as u64);
            }
        });
    y
}

/// A plain Monte Carlo sample of every parameter of `scenario` (runs x
/// parameters, fixed ones constant), with its rank correlations: the inputs
/// `nexus-mc run --sampler mc` draws for the same seed.
pub fn scenario_sample(
    scenario: &Scenario,
    runs: u64,
    seed: u64,
) -> Result<Array2<f64>, super::SensitivityError> {
    use crate::engine::CHUNK_RUNS;
    use crate::sampler::{Sampler, SamplerKind};
    let sampler = Sampler::new(scenario, SamplerKind::Mc, seed, runs)
        .map_err(|e| super::SensitivityError(e.0))?;
    let point = scenario.point();
    let mut x = Array2::<f64>::zeros((runs as usize, scenario.parameters.len()));
    for mut row in x.rows_mut() {
        row.assign(&ndarray::ArrayView1::from(point.as_array()));
    }
    let chunks = runs.div_ceil(CHUNK_RUNS);
    let blocks: Vec<Array2<f64>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let start = c * CHUNK_RUNS;
            sampler.block(c, start, (runs - start).min(CHUNK_RUNS) as usize)
        })
        .collect();
    for (c, block) in blocks.iter().enumerate() {
        let first = c * CHUNK_RUNS as usize;
        for (d, &p) in sampler.params().iter().enumerate() {
            x.slice_mut(ndarray::s![first..first + block.nrows(), p as usize])
                .assign(&block.column(d));
        }
    }
    Ok(x)
}

/// The Biotech Nexus model of a scenario as a [`Problem`]: every parameter is
/// an input (fixed ones included, so that methods can show they do not
/// matter), the outputs are chosen (metric, year) pairs.
pub struct ScenarioProblem {
    model: Model,
    params: Vec<Param>,
    correlations: Vec<(usize, usize, f64)>,
    inputs: Vec<Input>,
    outputs: Vec<(Metric, i32)>,
    base: ParamSet,
}

impl ScenarioProblem {
    /// The scenario's model with outputs `outputs` (years in 2026..=2050).
    pub fn new(scenario: &Scenario, outputs: &[(Metric, i32)]) -> ScenarioProblem {
        ScenarioProblem {
            model: Model::new(&scenario.schedules),
            params: scenario.parameters.iter().map(|p| p.param).collect(),
            correlations: scenario
                .correlations
                .iter()
                .map(|c| (c.between.0 as usize, c.between.1 as usize, c.rank))
                .collect(),
            inputs: scenario
                .parameters
                .iter()
                .map(|p| Input::new(p.param.name(), p.distribution.clone()))
                .collect(),
            outputs: outputs.to_vec(),
            base: scenario.point(),
        }
    }

    /// The parameter behind input `i`.
    pub fn param(&self, i: usize) -> Param {
        self.params[i]
    }
}

impl Problem for ScenarioProblem {
    fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    fn outputs(&self) -> Vec<String> {
        self.outputs
            .iter()
            .map(|(m, y)| format!("{}:{y}", m.name()))
            .collect()
    }

    fn evaluate(&self, x: &[f64], y: &mut [f64]) {
        let mut set = self.base;
        for (&p, &v) in self.params.iter().zip(x) {
            set[p] = v;
        }
        let mut out = Outputs::default();
        self.model.evaluate(&set, &mut out);
        for (y, &(metric, year)) in y.iter_mut().zip(&self.outputs) {
            *y = out.at(metric, year);
        }
    }

    fn correlations(&self) -> Vec<(usize, usize, f64)> {
        self.correlations.clone()
    }

    fn format_input(&self, i: usize, x: f64) -> String {
        self.params[i].format_value(x)
    }
}
