//! `chunk`: sample, evaluate and accumulate 65,536 runs of the central
//! scenario on one thread (32 of the engine's 2,048-run chunks).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nexus_mc::config::Scenario;
use nexus_mc::engine::{Engine, QuantileMethod, RunPlan};
use nexus_mc::Control;

const RUNS: u64 = 1 << 16;

fn chunk(c: &mut Criterion) {
    let scenario = Scenario::load("central").expect("shipped scenario");
    let plan = RunPlan {
        quantiles: QuantileMethod::Sketch,
        ..RunPlan::new(RUNS)
    };
    let engine = Engine::new(&scenario, plan).expect("valid plan");
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let mut group = c.benchmark_group("chunk");
    group.sample_size(20);
    group.throughput(Throughput::Elements(RUNS));
    group.bench_function("central_64k_one_thread", |b| {
        b.iter(|| one.install(|| engine.run(&Control::default()).expect("runs")))
    });
    group.finish();
}

criterion_group!(benches, chunk);
criterion_main!(benches);
