//! The CSV output of `bridge`.

use super::rows::BridgeRow;
use crate::bridge::BridgeResult;

/// The rows of `bridge.csv`: one per output and step, the steps in
/// waterfall order. `from` and `to` are the output under the two
/// scenarios, `contribution` the step's Shapley value (the contributions of
/// an output add up to `to - from`), `sequential` its effect in the
/// one-at-a-time waterfall.
pub fn bridge_rows(r: &BridgeResult) -> Vec<BridgeRow> {
    let mut rows = Vec::new();
    for (o, output) in r.outputs.iter().enumerate() {
        for &s in &r.order {
            let step = &r.steps[s];
            let params: Vec<&str> = step.params.iter().map(|p| p.name()).collect();
            rows.push(BridgeRow {
                step: step.name.clone(),
                parameters: params.join("+"),
                output: output.clone(),
                from: r.from[o],
                to: r.to[o],
                contribution: r.contributions[s][o],
                std_error: r.std_errors[s][o],
                sequential: r.sequential[s][o],
            });
        }
    }
    rows
}
