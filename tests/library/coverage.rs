//! Calibration of the 95 % intervals of `band_intervals.csv` and
//! `claim_intervals.csv`: over 200 seeds, how often does a run's interval
//! hold the value of a run 128 times larger? Tested, not assumed: pooled
//! coverage within 95 % +- 2 %, and no single statistic far below.
//!
//! With 200 seeds the coverage of one statistic has a standard error of
//! sqrt(0.95 x 0.05 / 200) = 1.5 %, so one cell is held only to 0.88
//! (4.6 standard errors below 0.95); pooled over 32 statistics (6,400
//! intervals, correlated within a seed) the standard error is under 0.6 %,
//! and 2 % is more than 3 of them.

use std::sync::OnceLock;

use nexus_mc::config::Scenario;
use nexus_mc::engine::{Engine, QuantileMethod, RunPlan, Summary};
use nexus_mc::model::Metric;
use nexus_mc::sampler::SamplerKind;
use nexus_mc::stats::Percentile;
use nexus_mc::Control;

/// Runs of each seed's run.
const RUNS: u64 = 1 << 13;
/// Runs of the reference run: 128 times as many, so that its own error is
/// a twentieth of an interval's half-width.
const REFERENCE_RUNS: u64 = RUNS << 7;
const SEEDS: u64 = 200;

/// The outputs whose mean and percentiles are checked.
const OUTPUTS: [(Metric, i32); 4] = [
    (Metric::GdpSharePct, 2035),
    (Metric::Jobs, 2035),
    (Metric::NpvCum, 2035),
    (Metric::GdpTotal, 2050),
];

fn summary(scenario: &Scenario, runs: u64, seed: u64, quantiles: QuantileMethod) -> Summary {
    let plan = RunPlan {
        runs,
        seed,
        sampler: SamplerKind::Mc,
        quantiles,
        ..RunPlan::new(runs)
    };
    let engine = Engine::new(scenario, plan).unwrap();
    engine
        .run(&Control::default())
        .unwrap()
        .summary(engine.claims())
}

/// Central with a claim `c{k}` "the 2035 GDP share >= t_k" per threshold.
fn with_claims(thresholds: &[f64]) -> Scenario {
    let mut text = String::from("[scenario]\nname = \"coverage\"\nextends = \"central\"\n");
    for (k, t) in thresholds.iter().enumerate() {
        text += &format!(
            "[[claim]]\nname = \"c{k}\"\nmetric = \"gdp_share_pct\"\nyear = 2035\nop = \">=\"\nthreshold = {t}\n"
        );
    }
    Scenario::from_toml(&text, "coverage.toml").unwrap()
}

/// Central with four claims on the 2035 GDP share of probability about
/// 0.5, 0.05, 1e-3 and 1e-4: the first two at a pilot's P50 and P95, the
/// last two the thresholds, of a ladder above P95, whose share of a
/// pilot's runs is nearest to 1e-3 and 1e-4.
fn scenario() -> &'static Scenario {
    static S: OnceLock<Scenario> = OnceLock::new();
    S.get_or_init(|| {
        let pilot_runs = 1 << 17;
        let central = Scenario::load("central").unwrap();
        let s = summary(&central, pilot_runs, 999, QuantileMethod::Sketch);
        let b = s.band(Metric::GdpSharePct, 2035).unwrap();
        let ladder: Vec<f64> = (1..=40)
            .map(|j| b.p95 + f64::from(j) * 0.1 * (b.p95 - b.p50))
            .collect();
        let pilot = summary(
            &with_claims(&ladder),
            pilot_runs,
            998,
            QuantileMethod::Sketch,
        );
        let nearest = |p: f64| {
            let gap = |k: usize| {
                let q = pilot.claim(&format!("c{k}")).unwrap().probability();
                (q.max(1e-9).ln() - p.ln()).abs()
            };
            let k = (0..ladder.len())
                .min_by(|&a, &b| gap(a).total_cmp(&gap(b)))
                .unwrap();
            ladder[k]
        };
        with_claims(&[b.p50, b.p95, nearest(1e-3), nearest(1e-4)])
    })
}

/// The reference: the same scenario at 256 times the runs, sketched.
fn reference() -> &'static Summary {
    static R: OnceLock<Summary> = OnceLock::new();
    R.get_or_init(|| {
        summary(
            scenario(),
            REFERENCE_RUNS,
            1_000_003,
            QuantileMethod::Sketch,
        )
    })
}

/// Share of `hits` in `trials`.
fn share(hits: u64, trials: u64) -> f64 {
    hits as f64 / trials as f64
}

#[test]
fn band_and_claim_intervals_cover_95_percent_over_200_seeds() {
    let reference = reference();
    let names = ["c0", "c1", "c2", "c3"];
    // Per statistic: times covered.
    let mut band_hits = vec![0u64; OUTPUTS.len() * 8];
    let mut claim_hits = [0u64; 4];
    for seed in 1..=SEEDS {
        let s = summary(scenario(), RUNS, seed, QuantileMethod::Exact);
        for (i, &(metric, year)) in OUTPUTS.iter().enumerate() {
            let (b, r) = (
                s.band(metric, year).unwrap(),
                reference.band(metric, year).unwrap(),
            );
            let (lo, hi) = b.mean_interval.expect("8,192 runs are enough");
            band_hits[i * 8] += u64::from(lo <= r.mean && r.mean <= hi);
            for k in 0..7 {
                let (lo, hi) = b.percentile_intervals[k].expect("8,192 runs are enough");
                let truth = r.percentiles()[k];
                band_hits[i * 8 + 1 + k] += u64::from(lo <= truth && truth <= hi);
            }
        }
        for (k, name) in names.iter().enumerate() {
            let (c, r) = (s.claim(name).unwrap(), reference.claim(name).unwrap());
            let (lo, hi) = c.interval().expect("Wilson's is never empty");
            let truth = r.probability();
            claim_hits[k] += u64::from(lo <= truth && truth <= hi);
        }
    }
    let pooled = share(band_hits.iter().sum(), SEEDS * band_hits.len() as u64);
    assert!((0.93..=0.97).contains(&pooled), "bands pooled {pooled}");
    for (i, &h) in band_hits.iter().enumerate() {
        let (metric, year) = OUTPUTS[i / 8];
        let what = if i % 8 == 0 {
            "mean".to_string()
        } else {
            format!("P{}", Percentile::BANDS[i % 8 - 1].0)
        };
        assert!(
            share(h, SEEDS) >= 0.88,
            "{} {year} {what}: {}",
            metric.name(),
            share(h, SEEDS)
        );
    }
    let p_rare = reference.claim("c3").unwrap().probability();
    assert!(
        (3e-5..3e-4).contains(&p_rare),
        "the rare claim has P {p_rare}"
    );
    let pooled = share(claim_hits.iter().sum(), SEEDS * 4);
    assert!((0.93..=0.97).contains(&pooled), "claims pooled {pooled}");
    for (k, &h) in claim_hits.iter().enumerate() {
        assert!(share(h, SEEDS) >= 0.88, "claim c{k}: {}", share(h, SEEDS));
    }
}

#[test]
fn a_sketch_interval_holds_the_exact_interval_of_the_same_draws() {
    let central = Scenario::load("central").unwrap();
    let runs = 40_000;
    let exact = summary(&central, runs, 5, QuantileMethod::Exact);
    let sketch = summary(&central, runs, 5, QuantileMethod::Sketch);
    for (e, s) in exact.bands.iter().zip(&sketch.bands) {
        for k in 0..7 {
            let ((elo, ehi), (slo, shi)) = (
                e.percentile_intervals[k].unwrap(),
                s.percentile_intervals[k].unwrap(),
            );
            assert!(
                slo <= elo && ehi <= shi,
                "{} {} P{}: sketch [{slo}, {shi}] exact [{elo}, {ehi}]",
                e.metric.name(),
                e.year,
                Percentile::BANDS[k].0
            );
        }
    }
}
