//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use nexus_mc::config::Scenario;
use nexus_mc::engine::{Engine, RunPlan, Shard, ShardState};
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

/// Runs the `nexus-mc` binary with `args` in directory `cwd`.
pub fn nexus(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nexus-mc"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("binary runs")
}

/// What a command wrote to stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The text of `dir/file`, or a panic naming the file.
pub fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Asserts that a command was refused as bad input: exit 2, `expect` in the
/// message, no panic.
pub fn assert_bad_input(o: &Output, expect: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(expect), "expected `{expect}` in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Runs the `nexus-mc` binary with `args` in `cwd`, failing the test if it
/// has not finished within `seconds` (it is killed first): a hang is a bug.
pub fn nexus_within(args: &[&str], cwd: &Path, seconds: f64) -> Output {
    use std::time::{Duration, Instant};
    let mut child = Command::new(env!("CARGO_BIN_EXE_nexus-mc"))
        .args(args)
        .current_dir(cwd)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary runs");
    let start = Instant::now();
    while child.try_wait().expect("wait works").is_none() {
        if start.elapsed() > Duration::from_secs_f64(seconds) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`nexus-mc {}` still ran after {seconds} s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("output is read")
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
