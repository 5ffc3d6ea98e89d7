//! `sampling`: one draw per family (Monte Carlo and inverse CDF), a block of
//! the central scenario per sampler, and the cost of Iman-Conover per block.
//!
//! Uses the scenarios compiled into the crate, so `cargo bench` works from
//! any directory.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nexus_mc::config::Scenario;
use nexus_mc::distribution::Distribution;
use nexus_mc::engine::CHUNK_RUNS;
use nexus_mc::sampler::{Sampler, SamplerKind};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn families() -> Vec<(&'static str, Distribution)> {
    vec![
        ("uniform", Distribution::uniform(0.0, 1.0).unwrap()),
        (
            "triangular",
            Distribution::triangular(0.0, 0.3, 1.0).unwrap(),
        ),
        ("pert", Distribution::pert(1.2, 1.55, 2.25, 4.0).unwrap()),
        (
            "beta",
            Distribution::beta_mean_sd(0.5, 0.15, 0.0, 1.0).unwrap(),
        ),
        ("normal", Distribution::normal(0.0, 1.0).unwrap()),
        (
            "truncnormal",
            Distribution::trunc_normal(0.0, 1.0, -1.0, 2.0).unwrap(),
        ),
        (
            "lognormal",
            Distribution::lognormal_median_p90(370.0, 480.0).unwrap(),
        ),
        (
            "choice",
            Distribution::choice(vec![8.0, 10.0, 12.0, 14.0], &[0.15, 0.4, 0.3, 0.15]).unwrap(),
        ),
        (
            "empirical",
            Distribution::empirical(vec![1.0, 2.0, 3.0, 5.0, 8.0]).unwrap(),
        ),
    ]
}

fn per_family(c: &mut Criterion) {
    let mut group = c.benchmark_group("sampling/draw");
    group.throughput(Throughput::Elements(1));
    for (name, dist) in families() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        group.bench_function(format!("mc/{name}"), |b| {
            b.iter(|| dist.sample(black_box(&mut rng)))
        });
        group.bench_function(format!("inverse_cdf/{name}"), |b| {
            b.iter(|| dist.quantile(black_box(0.37)))
        });
    }
    group.finish();
}

fn per_sampler(c: &mut Criterion) {
    let central = Scenario::load("central").expect("shipped scenario");
    let mut independent = central.clone();
    independent.correlations.clear();
    let len = CHUNK_RUNS as usize;
    let mut group = c.benchmark_group("sampling/block");
    group.sample_size(20);
    for kind in [SamplerKind::Mc, SamplerKind::Lhs, SamplerKind::Sobol] {
        for (label, scenario) in [("correlated", &central), ("independent", &independent)] {
            // Two million runs, a run count whose Latin hypercube walks
            // cycles (2^22 indices for 2 x 10^6) as most real ones do.
            let sampler = Sampler::new(scenario, kind, 42, 2_000_000).expect("valid");
            group.throughput(Throughput::Elements((len * sampler.params().len()) as u64));
            group.bench_function(format!("{kind}/{label}"), |b| {
                b.iter(|| sampler.block(black_box(3), 3 * CHUNK_RUNS, len))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, per_family, per_sampler);
criterion_main!(benches);
