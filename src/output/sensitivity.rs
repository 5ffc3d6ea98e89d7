//! The CSV outputs of `sensitivity`.

use std::io::{self, Write};

use super::csv_number;
use crate::sensitivity::{
    ClaimTest, Filtered, MorrisEffect, Problem, RankCorrelation, ShapleyEffect, SobolIndex, Switch,
    SwitchingValue, TornadoBar,
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

/// `shapley.csv`: `output,parameter,shapley,std_error,lo,hi`.
pub fn write_shapley_csv(
    w: &mut dyn Write,
    problem: &dyn Problem,
    effects: &[ShapleyEffect],
) -> io::Result<()> {
    let rows = effects.iter().map(|e| {
        let values = [e.effect, e.std_error, e.lo, e.hi].map(csv_number).to_vec();
        (e.output, e.input, values)
    });
    by_output_and_parameter(w, problem, &["shapley", "std_error", "lo", "hi"], rows)
}

/// `indices_by_year.csv`: `output,year,parameter,s1,s1_lo,s1_hi,st,st_lo,st_hi,shapley,shapley_lo,shapley_hi`
/// for the outputs named `METRIC:YEAR` in `outputs`; the Shapley columns
/// are empty where Shapley effects were not computed.
pub fn write_indices_by_year_csv(
    w: &mut dyn Write,
    problem: &dyn Problem,
    outputs: &[usize],
    sobol: &[SobolIndex],
    shapley: Option<&[ShapleyEffect]>,
) -> io::Result<()> {
    let names = problem.outputs();
    let inputs = problem.inputs();
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record([
        "output",
        "year",
        "parameter",
        "s1",
        "s1_lo",
        "s1_hi",
        "st",
        "st_lo",
        "st_hi",
        "shapley",
        "shapley_lo",
        "shapley_hi",
    ])?;
    let in_order = outputs
        .iter()
        .flat_map(|&o| sobol.iter().filter(move |ix| ix.output == o));
    for ix in in_order {
        let (metric, year) = names[ix.output]
            .split_once(':')
            .expect("outputs are METRIC:YEAR");
        let mut row = vec![
            metric.to_string(),
            year.to_string(),
            inputs[ix.input].name.clone(),
        ];
        let (s1, st) = (ix.s1, ix.st);
        row.extend([s1.estimate, s1.lo, s1.hi, st.estimate, st.lo, st.hi].map(csv_number));
        match shapley.and_then(|s| {
            s.iter()
                .find(|e| e.output == ix.output && e.input == ix.input)
        }) {
            Some(e) => row.extend([e.effect, e.lo, e.hi].map(csv_number)),
            None => row.extend(["", "", ""].map(String::from)),
        }
        csv.write_record(&row)?;
    }
    csv.flush()
}

/// `filter.csv`: `claim,parameter,ks_distance,p_value,decile,lo,hi,runs,p_holds`,
/// ten rows per claim and parameter; a claim that holds in no run or in
/// every run gets one row saying so in `note` instead.
pub fn write_filter_csv(
    w: &mut dyn Write,
    problem: &dyn Problem,
    claims: &[(String, f64)],
    rows: &[Filtered],
) -> io::Result<()> {
    let inputs = problem.inputs();
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record([
        "claim",
        "parameter",
        "ks_distance",
        "p_value",
        "decile",
        "lo",
        "hi",
        "runs",
        "p_holds",
        "note",
    ])?;
    for (c, (name, p)) in claims.iter().enumerate() {
        if *p == 0.0 || *p == 1.0 {
            let note = if *p == 0.0 {
                "holds in no run: nothing to filter"
            } else {
                "holds in every run: nothing to filter"
            };
            csv.write_record([name.as_str(), "", "", "", "", "", "", "", "", note])?;
            continue;
        }
        for f in rows.iter().filter(|f| f.claim == c) {
            for (d, decile) in f.deciles.iter().enumerate() {
                csv.write_record([
                    name.clone(),
                    inputs[f.input].name.clone(),
                    csv_number(f.ks),
                    csv_number(f.p_value),
                    (d + 1).to_string(),
                    problem.format_input(f.input, decile.lo),
                    problem.format_input(f.input, decile.hi),
                    decile.runs.to_string(),
                    csv_number(decile.p_holds),
                    String::new(),
                ])?;
            }
        }
    }
    csv.flush()
}
