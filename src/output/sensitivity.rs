//! The CSV outputs of `sensitivity`.

use std::io::{self, Write};

use super::csv_number;
use crate::sensitivity::{
    ClaimTest, MorrisEffect, Problem, RankCorrelation, SobolIndex, Switch, SwitchingValue,
    TornadoBar,
};

/// Writes a table whose rows begin with an output and a parameter name:
/// header `output,parameter,` then `columns`; one row per (output index,
/// input index, values).
fn by_output_and_parameter(
    w: &mut dyn Write,
    problem: &dyn Problem,
    columns: &[&str],
    rows: impl Iterator<Item = (usize, usize, Vec<String>)>,
) -> io::Result<()> {
    let (outputs, inputs) = (problem.outputs(), problem.inputs());
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record(["output", "parameter"].iter().chain(columns))?;
    for (output, input, values) in rows {
        let keys = [outputs[output].clone(), inputs[input].name.clone()];
        csv.write_record(keys.into_iter().chain(values))?;
    }
    csv.flush()
}

/// `sobol.csv`: `output,parameter,s1,s1_lo,s1_hi,st,st_lo,st_hi`.
pub fn write_sobol_csv(
    w: &mut dyn Write,
    problem: &dyn Problem,
    indices: &[SobolIndex],
) -> io::Result<()> {
    let rows = indices.iter().map(|ix| {
        let (s1, st) = (ix.s1, ix.st);
        let values = [s1.estimate, s1.lo, s1.hi, st.estimate, st.lo, st.hi];
        (ix.output, ix.input, values.map(csv_number).to_vec())
    });
    let columns = ["s1", "s1_lo", "s1_hi", "st", "st_lo", "st_hi"];
    by_output_and_parameter(w, problem, &columns, rows)
}

/// `tornado.csv`: `output,parameter,input_p10,input_p90,output_at_p10,output_at_p90,base,swing`.
pub fn write_tornado_csv(
    w: &mut dyn Write,
    problem: &dyn Problem,
    bars: &[TornadoBar],
) -> io::Result<()> {
    let rows = bars.iter().map(|b| {
        let mut values = vec![
            problem.format_input(b.input, b.input_low),
            problem.format_input(b.input, b.input_high),
        ];
        values.extend([b.output_low, b.output_high, b.base, b.swing()].map(csv_number));
        (b.output, b.input, values)
    });
    let columns = [
        "input_p10",
        "input_p90",
        "output_at_p10",
        "output_at_p90",
        "base",
        "swing",
    ];
    by_output_and_parameter(w, problem, &columns, rows)
}

/// `rank_correlation.csv`: `output,parameter,spearman,prcc`.
pub fn write_rank_csv(
    w: &mut dyn Write,
    problem: &dyn Problem,
    rows: &[RankCorrelation],
) -> io::Result<()> {
    let rows = rows.iter().map(|r| {
        (
            r.output,
            r.input,
            [r.spearman, r.prcc].map(csv_number).to_vec(),
        )
    });
    by_output_and_parameter(w, problem, &["spearman", "prcc"], rows)
}

/// `morris.csv`: `output,parameter,mu_star,mu,sigma`.
pub fn write_morris_csv(
    w: &mut dyn Write,
    problem: &dyn Problem,
    rows: &[MorrisEffect],
) -> io::Result<()> {
    let rows = rows.iter().map(|r| {
        let values = [r.mu_star, r.mu, r.sigma].map(csv_number).to_vec();
        (r.output, r.input, values)
    });
    by_output_and_parameter(w, problem, &["mu_star", "mu", "sigma"], rows)
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

/// `switching_values.csv`: `claim,output,op,threshold,parameter,median,
/// holds_at_median,switching_value,reading`; `switching_value` is empty
/// when the claim does not flip within the parameter's support.
pub fn write_switching_csv(
    w: &mut dyn Write,
    problem: &dyn Problem,
    claims: &[ClaimTest],
    rows: &[SwitchingValue],
) -> io::Result<()> {
    let (outputs, inputs) = (problem.outputs(), problem.inputs());
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record([
        "claim",
        "output",
        "op",
        "threshold",
        "parameter",
        "median",
        "holds_at_median",
        "switching_value",
        "reading",
    ])?;
    for v in rows {
        let c = &claims[v.claim];
        let value = match v.switch {
            Switch::None => String::new(),
            Switch::At { value, .. } => problem.format_input(v.input, value),
        };
        csv.write_record([
            c.name.clone(),
            outputs[c.output].clone(),
            c.op.symbol().to_string(),
            csv_number(c.threshold),
            inputs[v.input].name.clone(),
            problem.format_input(v.input, v.median),
            v.holds_at_median.to_string(),
            value,
            switching_reading(problem, v),
        ])?;
    }
    csv.flush()
}
