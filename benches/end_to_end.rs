//! `end_to_end`: a 1,000,000-run `run` of the central scenario in sketch
//! mode through the library API, on all cores; reports runs per second.
//!
//! Uses the scenario compiled into the crate, so `cargo bench` works from any
//! directory.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nexus_mc::config::Scenario;
use nexus_mc::engine::{Engine, QuantileMethod, RunPlan};
use nexus_mc::Control;

const RUNS: u64 = 1_000_000;

fn end_to_end(c: &mut Criterion) {
    let scenario = Scenario::load("central").expect("shipped scenario");
    let plan = RunPlan {
        quantiles: QuantileMethod::Sketch,
        ..RunPlan::new(RUNS)
    };
    let mut group = c.benchmark_group("end_to_end");
    group.sample_size(10);
    group.throughput(Throughput::Elements(RUNS));
    group.bench_function("central_1m_sketch", |b| {
        b.iter(|| {
            let engine = Engine::new(&scenario, plan).expect("valid plan");
            let mut acc = engine.run(&Control::default()).expect("runs");
            acc.summary(engine.claims())
        })
    });
    group.finish();
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);
