//! The CSV outputs of `sensitivity`.

use super::rows::{
    ByYearRow, FilterRow, MorrisRow, RankRow, ShapleyRow, SobolRow, SwitchingRow, TornadoRow,
};
use crate::sensitivity::{
    ClaimTest, Filtered, MorrisEffect, Problem, RankCorrelation, ShapleyEffect, SobolIndex, Switch,
    SwitchingValue, TornadoBar,
};

/// The names of a row's output and input.
fn names(problem: &dyn Problem, output: usize, input: usize) -> (String, String) {
    (
        problem.outputs()[output].clone(),
        problem.inputs()[input].name.clone(),
    )
}

/// The rows of `sobol.csv`.
pub fn sobol_rows(problem: &dyn Problem, indices: &[SobolIndex]) -> Vec<SobolRow> {
    indices
        .iter()
        .map(|ix| {
            let (output, parameter) = names(problem, ix.output, ix.input);
            SobolRow {
                output,
                parameter,
                s1: ix.s1.estimate,
                s1_lo: ix.s1.lo,
                s1_hi: ix.s1.hi,
                st: ix.st.estimate,
                st_lo: ix.st.lo,
                st_hi: ix.st.hi,
            }
        })
        .collect()
}

/// The rows of `tornado.csv`.
pub fn tornado_rows(problem: &dyn Problem, bars: &[TornadoBar]) -> Vec<TornadoRow> {
    bars.iter()
        .map(|b| {
            let (output, parameter) = names(problem, b.output, b.input);
            TornadoRow {
                output,
                parameter,
                input_p10: problem.format_input(b.input, b.input_low),
                input_p90: problem.format_input(b.input, b.input_high),
                output_at_p10: b.output_low,
                output_at_p90: b.output_high,
                base: b.base,
                swing: b.swing(),
            }
        })
        .collect()
}

/// The rows of `rank_correlation.csv`.
pub fn rank_rows(problem: &dyn Problem, rows: &[RankCorrelation]) -> Vec<RankRow> {
    rows.iter()
        .map(|r| {
            let (output, parameter) = names(problem, r.output, r.input);
            RankRow {
                output,
                parameter,
                spearman: r.spearman,
                prcc: r.prcc,
            }
        })
        .collect()
}

/// The rows of `morris.csv`.
pub fn morris_rows(problem: &dyn Problem, rows: &[MorrisEffect]) -> Vec<MorrisRow> {
    rows.iter()
        .map(|r| {
            let (output, parameter) = names(problem, r.output, r.input);
            MorrisRow {
                output,
                parameter,
                mu_star: r.mu_star,
                mu: r.mu,
                sigma: r.sigma,
            }
        })
        .collect()
}

/// In words, to four significant digits: where the claim fails or holds,
/// e.g. "fails below 1.945".
pub fn switching_reading(problem: &dyn Problem, v: &SwitchingValue) -> String {
    match v.switch {
        Switch::None => "none within support".into(),
        Switch::At {
            value,
            holds_beyond,
        } => {
            let verdict = if holds_beyond { "holds" } else { "fails" };
            if problem.inputs()[v.input]
                .distribution
                .discrete_values()
                .is_some()
            {
                format!("{verdict} at {}", problem.format_input(v.input, value))
            } else {
                let side = if value < v.median { "below" } else { "above" };
                format!("{verdict} {side} {}", crate::table::significant(value, 4))
            }
        }
    }
}

/// The rows of `switching_values.csv`; `switching_value` is empty when the
/// claim does not flip within the parameter's support.
pub fn switching_rows(
    problem: &dyn Problem,
    claims: &[ClaimTest],
    rows: &[SwitchingValue],
) -> Vec<SwitchingRow> {
    let (outputs, inputs) = (problem.outputs(), problem.inputs());
    rows.iter()
        .map(|v| {
            let c = &claims[v.claim];
            SwitchingRow {
                claim: c.name.clone(),
                output: outputs[c.output].clone(),
                op: c.op.symbol().to_string(),
                threshold: c.threshold,
                parameter: inputs[v.input].name.clone(),
                median: problem.format_input(v.input, v.median),
                holds_at_median: v.holds_at_median,
                switching_value: match v.switch {
                    Switch::None => String::new(),
                    Switch::At { value, .. } => problem.format_input(v.input, value),
                },
                reading: switching_reading(problem, v),
            }
        })
        .collect()
}

/// The rows of `shapley.csv`.
pub fn shapley_rows(problem: &dyn Problem, effects: &[ShapleyEffect]) -> Vec<ShapleyRow> {
    effects
        .iter()
        .map(|e| {
            let (output, parameter) = names(problem, e.output, e.input);
            ShapleyRow {
                output,
                parameter,
                shapley: e.effect,
                std_error: e.std_error,
                lo: e.lo,
                hi: e.hi,
            }
        })
        .collect()
}

/// The rows of `indices_by_year.csv` for the outputs named `METRIC:YEAR`
/// in `outputs`; the Shapley columns are empty where Shapley effects were
/// not computed.
pub fn by_year_rows(
    problem: &dyn Problem,
    outputs: &[usize],
    sobol: &[SobolIndex],
    shapley: Option<&[ShapleyEffect]>,
) -> Vec<ByYearRow> {
    let names = problem.outputs();
    let inputs = problem.inputs();
    let in_order = outputs
        .iter()
        .flat_map(|&o| sobol.iter().filter(move |ix| ix.output == o));
    in_order
        .map(|ix| {
            let (metric, year) = names[ix.output]
                .split_once(':')
                .expect("outputs are METRIC:YEAR");
            let effect = shapley.and_then(|s| {
                s.iter()
                    .find(|e| e.output == ix.output && e.input == ix.input)
            });
            ByYearRow {
                output: metric.to_string(),
                year: year.parse().expect("outputs are METRIC:YEAR"),
                parameter: inputs[ix.input].name.clone(),
                s1: ix.s1.estimate,
                s1_lo: ix.s1.lo,
                s1_hi: ix.s1.hi,
                st: ix.st.estimate,
                st_lo: ix.st.lo,
                st_hi: ix.st.hi,
                shapley: effect.map(|e| e.effect),
                shapley_lo: effect.map(|e| e.lo),
                shapley_hi: effect.map(|e| e.hi),
            }
        })
        .collect()
}

/// The rows of `filter.csv`: ten per claim and parameter; a claim that
/// holds in no run or in every run gets one row saying so in `note`
/// instead.
pub fn filter_rows(
    problem: &dyn Problem,
    claims: &[(String, f64)],
    rows: &[Filtered],
) -> Vec<FilterRow> {
    let inputs = problem.inputs();
    let mut out = Vec::new();
    for (c, (name, p)) in claims.iter().enumerate() {
        if *p == 0.0 || *p == 1.0 {
            let note = if *p == 0.0 {
                "holds in no run: nothing to filter"
            } else {
                "holds in every run: nothing to filter"
            };
            out.push(FilterRow {
                claim: name.clone(),
                parameter: String::new(),
                ks_distance: None,
                p_value: None,
                decile: None,
                lo: String::new(),
                hi: String::new(),
                runs: None,
                p_holds: None,
                note: note.into(),
            });
            continue;
        }
        for f in rows.iter().filter(|f| f.claim == c) {
            for (d, decile) in f.deciles.iter().enumerate() {
                out.push(FilterRow {
                    claim: name.clone(),
                    parameter: inputs[f.input].name.clone(),
                    ks_distance: Some(f.ks),
                    p_value: Some(f.p_value),
                    decile: Some(d as u32 + 1),
                    lo: problem.format_input(f.input, decile.lo),
                    hi: problem.format_input(f.input, decile.hi),
                    runs: Some(decile.runs as u64),
                    p_holds: Some(decile.p_holds),
                    note: String::new(),
                });
            }
        }
    }
    out
}
