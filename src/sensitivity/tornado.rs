//! One-at-a-time swings: each input at its P10 and P90, the others at their
//! medians.

use ndarray::Array2;

use super::{evaluate_rows, Problem, Progress};

/// The swing of one output when one input moves from its low to its high
/// percentile.
#[derive(Clone, Debug, PartialEq)]
pub struct TornadoBar {
    /// Output index.
    pub output: usize,
    /// Input index.
    pub input: usize,
    /// The input's value at the low percentile.
    pub input_low: f64,
    /// The input's value at the high percentile.
    pub input_high: f64,
    /// The output with the input low.
    pub output_low: f64,
    /// The output with the input high.
    pub output_high: f64,
    /// The output with every input at its median.
    pub base: f64,
}

impl TornadoBar {
    /// |output_high - output_low|.
    pub fn swing(&self) -> f64 {
        (self.output_high - self.output_low).abs()
    }
}

/// Model runs [`tornado`] makes: one base run and two per non-fixed input.
pub fn tornado_runs<P: Problem + ?Sized>(problem: &P) -> u64 {
    1 + 2 * problem.uncertain().len() as u64
}

/// For every output, one bar per non-fixed input, widest swing first (ties
/// in input order). `low` and `high` are quantiles, e.g. 0.1 and 0.9.
pub fn tornado<P: Problem + ?Sized>(
    problem: &P,
    low: f64,
    high: f64,
    progress: Progress<'_>,
) -> Vec<TornadoBar> {
    let inputs = problem.inputs();
    let medians = problem.medians();
    let moving = problem.uncertain();
    // Row 0: all medians; then (low, high) for each moving input.
    let mut x = Array2::<f64>::zeros((1 + 2 * moving.len(), inputs.len()));
    for mut row in x.rows_mut() {
        row.assign(&ndarray::ArrayView1::from(&medians));
    }
    for (d, &i) in moving.iter().enumerate() {
        x[[1 + 2 * d, i]] = inputs[i].distribution.quantile(low);
        x[[2 + 2 * d, i]] = inputs[i].distribution.quantile(high);
    }
    let y = evaluate_rows(problem, &x, progress);
    let mut bars = Vec::new();
    for o in 0..y.ncols() {
        let mut these: Vec<TornadoBar> = moving
            .iter()
            .enumerate()
            .map(|(d, &i)| TornadoBar {
                output: o,
                input: i,
                input_low: x[[1 + 2 * d, i]],
                input_high: x[[2 + 2 * d, i]],
                output_low: y[[1 + 2 * d, o]],
                output_high: y[[2 + 2 * d, o]],
                base: y[[0, o]],
            })
            .collect();
        these.sort_by(|a, b| b.swing().total_cmp(&a.swing()));
        bars.extend(these);
    }
    bars
}
