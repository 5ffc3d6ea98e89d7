//! `accumulate`: what a run keeps per value: quantile sketch inserts and
//! merges, moments, claim counters.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use nexus_mc::claims::Claim;
use nexus_mc::config::Scenario;
use nexus_mc::model::{Model, Outputs, Param};
use nexus_mc::stats::{ExactMoments, LogSketch};

/// A column of 512 values like the engine's tiles: one output over runs.
fn column() -> Vec<f64> {
    (0..512)
        .map(|i| 1_000.0 + 900.0 * ((i as f64) * 0.618_033_988_749_895).fract() - 450.0)
        .collect()
}

/// `n` values of a bell around 1,000, as an output that adds up several
/// uncertain terms: a sum of four Weyl sequences (equidistributed, not
/// independent), so in a scrambled but regular order.
fn bell(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let i = i as f64;
            let u = [
                0.618_033_988_749_895,
                0.414_213_562_373_095,
                0.732_050_807_568_877,
                0.236_067_977_499_79,
            ]
            .iter()
            .enumerate()
            .map(|(k, a)| (i * a + k as f64 * 0.1).fract())
            .sum::<f64>();
            1_000.0 + 300.0 * (u - 2.0)
        })
        .collect()
}

fn accumulate(c: &mut Criterion) {
    let values = column();
    let mut group = c.benchmark_group("accumulate");
    group.throughput(Throughput::Elements(values.len() as u64));
    let mut sketch = LogSketch::default();
    group.bench_function("sketch_insert", |b| {
        b.iter(|| sketch.insert_all(black_box(&values)))
    });
    // As the engine's sketches after their pilot: refined around the seven
    // band percentiles (about 1 % of the values on each side of each), fed
    // a bell-shaped output.
    let bell = bell(1 << 15);
    let mut sorted = bell.clone();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((q * sorted.len() as f64) as usize).min(sorted.len() - 1)];
    let ranges: Vec<(f64, f64)> = [0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95]
        .iter()
        .map(|&q| (at(q - 0.01), at(q + 0.01)))
        .collect();
    let mut refined = LogSketch::refined(&ranges);
    let mut tiles = bell.chunks_exact(512).cycle();
    group.bench_function("sketch_insert_refined", |b| {
        b.iter(|| refined.insert_all(black_box(tiles.next().expect("cycles"))))
    });
    let mut moments = ExactMoments::new(values[0]);
    group.bench_function("moments", |b| {
        b.iter(|| moments.add_batch(black_box(&values)))
    });

    // Two sketches whose ranges overlap in part, as a chunk's and a total's.
    let mut other = LogSketch::default();
    other.insert_all(&values);
    let mut total = LogSketch::default();
    total.insert_all(&values.iter().map(|x| x * 1.3).collect::<Vec<_>>());
    group.throughput(Throughput::Elements(1));
    group.bench_function("sketch_merge", |b| {
        b.iter_batched_ref(
            || total.clone(),
            |s| s.merge(black_box(&other)),
            BatchSize::SmallInput,
        )
    });
    let mut part = ExactMoments::new(values[0]);
    part.add_batch(&values[..100]);
    group.bench_function("moments_merge", |b| {
        b.iter(|| moments.merge(black_box(&part)))
    });

    let scenario = Scenario::load("kpmg-point").expect("shipped scenario");
    let mut out = Outputs::default();
    Model::new(&scenario.schedules)
        .evaluate(&scenario.point().with(Param::Multiplier, 1.5), &mut out);
    let claims = Claim::default_set();
    group.throughput(Throughput::Elements(claims.len() as u64));
    group.bench_function("claim_counters", |b| {
        b.iter(|| claims.iter().filter(|c| c.holds(black_box(&out))).count())
    });
    group.finish();
}

criterion_group!(benches, accumulate);
criterion_main!(benches);
