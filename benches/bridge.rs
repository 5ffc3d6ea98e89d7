//! `bridge`: value one subset of steps of the default bridge
//! (plan-as-written to central, 18 steps) on its 20,000 common runs, on one
//! thread: the unit of work a bridge repeats about 17,000 times.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nexus_mc::bridge::{Bridge, BridgeOptions, Game};
use nexus_mc::config::Scenario;

fn subset(c: &mut Criterion) {
    let a = Scenario::load("plan-as-written").expect("shipped scenario");
    let b = Scenario::load("central").expect("shipped scenario");
    let bridge = Bridge::new(&a, &b, &[]).expect("a bridge");
    let opts = BridgeOptions::default();
    let coupling = bridge.coupling(&opts, &|_| {}).expect("coupled runs");
    // Every other step taken: a typical interior subset.
    let half = 0x5555_5555_5555_5555 & ((1u64 << bridge.steps().len()) - 1);
    let mut group = c.benchmark_group("bridge");
    group.sample_size(20);
    group.throughput(Throughput::Elements(opts.runs as u64));
    group.bench_function("one_subset_20k_runs", |bench| {
        bench.iter(|| coupling.value(half))
    });
    group.finish();
}

criterion_group!(benches, subset);
criterion_main!(benches);
