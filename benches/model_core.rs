//! `model_core`: one evaluation of the full 2026..2050 model, at the
//! plan's point, at a variant that takes the costlier branches, and over
//! the parameter sets of a chunk of the central scenario.
//!
//! Uses the scenario compiled into the crate, so `cargo bench` works from any
//! directory.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nexus_mc::config::Scenario;
use nexus_mc::model::{Model, Outputs, Param};
use nexus_mc::sampler::{Sampler, SamplerKind};

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
    // The parameter sets a chunk of the central scenario evaluates (its
    // first 2,048 Monte Carlo draws), in turn: the model's cost over the
    // branches those runs take (half of them let the effect expire after
    // 2035), the figure `chunk` is best compared with.
    let central = Scenario::load("central").expect("shipped scenario");
    let model = Model::new(&central.schedules);
    let sampler = Sampler::new(&central, SamplerKind::Mc, 42, 2_048).expect("sampler");
    let block = sampler.block(0, 0, 2_048);
    let sets: Vec<_> = block
        .rows()
        .into_iter()
        .map(|row| {
            sampler
                .params()
                .iter()
                .zip(row)
                .fold(central.point(), |set, (&p, &x)| set.with(p, x))
        })
        .collect();
    let mut next = sets.iter().cycle();
    group.bench_function("central_draws", |b| {
        b.iter(|| {
            let params = next.next().expect("endless");
            model.evaluate(black_box(params), black_box(&mut out))
        })
    });
    group.finish();
}

criterion_group!(benches, model_core);
criterion_main!(benches);
