//! Helpers shared by the integration tests.
#![allow(dead_code)]

use nexus_mc::config::Scenario;
use nexus_mc::model::{Model, Outputs, ParamSet};

/// The shipped kpmg-point scenario.
pub fn kpmg() -> Scenario {
    Scenario::load("kpmg-point").expect("kpmg-point loads")
}

/// Runs the model on the kpmg-point schedules with `params`.
pub fn run(params: &ParamSet) -> Outputs {
    let model = Model::new(&kpmg().schedules);
    let mut out = Outputs::default();
    model.evaluate(params, &mut out);
    out
}
