//! Fixtures of the library tests: the plan's own scenario and model, and
//! shard states as `run --shard` writes them.

use nexus_mc::config::Scenario;
use nexus_mc::engine::{Engine, RunPlan, Shard, ShardState, Summary};
use nexus_mc::model::{Model, Outputs, ParamSet};
use nexus_mc::Control;

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

/// The summary of a whole run of `plan` on `scenario`.
pub fn summary(scenario: &Scenario, plan: RunPlan) -> Summary {
    let engine = Engine::new(scenario, plan).unwrap();
    engine
        .run(&Control::default())
        .unwrap()
        .summary(engine.claims())
}

/// The bytes of `shard`'s state file for `plan` on `scenario`, as
/// `run --shard` writes them.
pub fn shard_state_bytes(scenario: &Scenario, plan: RunPlan, shard: Shard) -> Vec<u8> {
    let engine = Engine::new(scenario, RunPlan { shard, ..plan }).unwrap();
    let state = ShardState {
        identity: engine.identity().clone(),
        shard,
        accumulator: engine.run(&Control::default()).unwrap(),
    };
    let mut bytes = Vec::new();
    state.write_to(&mut bytes).unwrap();
    bytes
}
