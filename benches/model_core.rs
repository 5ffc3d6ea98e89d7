//! `model_core`: one evaluation of the full 2026..2050 model.
//!
//! Uses the scenario compiled into the crate, so `cargo bench` works from any
//! directory.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nexus_mc::config::Scenario;
use nexus_mc::model::{Model, Outputs, Param};

fn model_core(c: &mut Criterion) {
    let scenario = Scenario::load("kpmg-point").expect("shipped scenario");
    let model = Model::new(&scenario.schedules);
    let mut out = Outputs::default();
    let mut group = c.benchmark_group("model_core");
    group.throughput(Throughput::Elements(1));
    for (name, params) in [
        ("kpmg_point", scenario.point()),
        (
            "expire_wage",
            scenario
                .point()
                .with(Param::After2035, 2.0)
                .with(Param::TaxMethod, 1.0),
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| model.evaluate(black_box(&params), black_box(&mut out)))
        });
    }
    group.finish();
}

criterion_group!(benches, model_core);
criterion_main!(benches);
