//! `shapley`: the inner step of the Shapley-effect estimator on the
//! central scenario (18 parameters, two correlated pairs): 100 random
//! permutations, each valuing the cost of every prefix with one outer and
//! three inner conditional draws (5,100 model runs), on one thread.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nexus_mc::config::Scenario;
use nexus_mc::model::Metric;
use nexus_mc::sensitivity::{shapley_effects, ScenarioProblem, ShapleyOptions};

fn permutations(c: &mut Criterion) {
    let scenario = Scenario::load("central").expect("shipped scenario");
    let problem = ScenarioProblem::new(&scenario, &[(Metric::GdpSharePct, 2035)]);
    let opts = ShapleyOptions {
        permutations: 100,
        variance_runs: 1,
        ..ShapleyOptions::default()
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let mut group = c.benchmark_group("shapley");
    group.sample_size(20);
    group.throughput(Throughput::Elements(100));
    group.bench_function("central_100_permutations_one_thread", |b| {
        b.iter(|| one.install(|| shapley_effects(&problem, &opts, None).expect("valid")))
    });
    group.finish();
}

criterion_group!(benches, permutations);
criterion_main!(benches);
