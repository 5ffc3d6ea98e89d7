//! The CSV outputs of `sensitivity`.

use std::io::{self, Write};

use super::csv_number;
use crate::sensitivity::{
    ClaimTest, MorrisEffect, Problem, RankCorrelation, SobolIndex, Switch, SwitchingValue,
    TornadoBar,
};

/// `sobol.csv`: `output,parameter,s1,s1_lo,s1_hi,st,st_lo,st_hi`.
pub fn write_sobol_csv(
    w: &mut dyn Write,
    problem: &dyn Problem,
    indices: &[SobolIndex],
) -> io::Result<()> {
    let (outputs, inputs) = (problem.outputs(), problem.inputs());
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record([
        "output",
        "parameter",
        "s1",
        "s1_lo",
        "s1_hi",
        "st",
        "st_lo",
        "st_hi",
    ])?;
    for ix in indices {
        csv.write_record([
            outputs[ix.output].clone(),
            inputs[ix.input].name.clone(),
            csv_number(ix.s1.estimate),
            csv_number(ix.s1.lo),
            csv_number(ix.s1.hi),
            csv_number(ix.st.estimate),
            csv_number(ix.st.lo),
            csv_number(ix.st.hi),
        ])?;
    }
    csv.flush()
}

/// `tornado.csv`: `output,parameter,input_p10,input_p90,output_at_p10,output_at_p90,base,swing`.
pub fn write_tornado_csv(
    w: &mut dyn Write,
    problem: &dyn Problem,
    bars: &[TornadoBar],
) -> io::Result<()> {
    let (outputs, inputs) = (problem.outputs(), problem.inputs());
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record([
        "output",
        "parameter",
        "input_p10",
        "input_p90",
        "output_at_p10",
        "output_at_p90",
        "base",
        "swing",
    ])?;
    for b in bars {
        csv.write_record([
            outputs[b.output].clone(),
            inputs[b.input].name.clone(),
            problem.format_input(b.input, b.input_low),
            problem.format_input(b.input, b.input_high),
            csv_number(b.output_low),
            csv_number(b.output_high),
            csv_number(b.base),
            csv_number(b.swing()),
        ])?;
    }
    csv.flush()
}

/// `rank_correlation.csv`: `output,parameter,spearman,prcc`.
pub fn write_rank_csv(
    w: &mut dyn Write,
    problem: &dyn Problem,
    rows: &[RankCorrelation],
) -> io::Result<()> {
    let (outputs, inputs) = (problem.outputs(), problem.inputs());
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record(["output", "parameter", "spearman", "prcc"])?;
    for r in rows {
        csv.write_record([
            outputs[r.output].clone(),
            inputs[r.input].name.clone(),
            csv_number(r.spearman),
            csv_number(r.prcc),
        ])?;
    }
    csv.flush()
}

/// `morris.csv`: `output,parameter,mu_star,mu,sigma`.
pub fn write_morris_csv(
    w: &mut dyn Write,
    problem: &dyn Problem,
    rows: &[MorrisEffect],
) -> io::Result<()> {
    let (outputs, inputs) = (problem.outputs(), problem.inputs());
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record(["output", "parameter", "mu_star", "mu", "sigma"])?;
    for r in rows {
        csv.write_record([
            outputs[r.output].clone(),
            inputs[r.input].name.clone(),
            csv_number(r.mu_star),
            csv_number(r.mu),
            csv_number(r.sigma),
        ])?;
    }
    csv.flush()
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
