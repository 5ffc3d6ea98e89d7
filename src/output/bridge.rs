//! The CSV output of `bridge`.

use std::io::{self, Write};

use super::csv_number;
use crate::bridge::BridgeResult;

/// `bridge.csv`: `step,parameters,output,from,to,contribution,std_error,sequential`,
/// one row per output and step, the steps in waterfall order. `from` and
/// `to` are the output under the two scenarios, `contribution` the step's
/// Shapley value (the contributions of an output add up to `to - from`),
/// `sequential` its effect in the one-at-a-time waterfall.
pub fn write_bridge_csv(w: &mut dyn Write, r: &BridgeResult) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record([
        "step",
        "parameters",
        "output",
        "from",
        "to",
        "contribution",
        "std_error",
        "sequential",
    ])?;
    for (o, output) in r.outputs.iter().enumerate() {
        for &s in &r.order {
            let step = &r.steps[s];
            let params: Vec<&str> = step.params.iter().map(|p| p.name()).collect();
            csv.write_record([
                step.name.clone(),
                params.join("+"),
                output.clone(),
                csv_number(r.from[o]),
                csv_number(r.to[o]),
                csv_number(r.contributions[s][o]),
                csv_number(r.std_errors[s][o]),
                csv_number(r.sequential[s][o]),
            ])?;
        }
    }
    csv.flush()
}
