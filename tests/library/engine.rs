//! The Monte Carlo engine through its library API: determinism across
//! threads and shards, the kpmg-point degenerate case, claim probabilities
//! against an analytic answer, and the sketch against exact quantiles.

use std::sync::atomic::AtomicBool;

use nexus_mc::config::Scenario;
use nexus_mc::engine::{
    Accumulator, Engine, EngineError, QuantileMethod, RunPlan, Shard, BAND_METRICS, CHUNK_RUNS,
};
use nexus_mc::model::{year_of, Metric, Param, YEARS};
use nexus_mc::output::{
    band_interval_rows, band_rows, claim_interval_rows, claim_rows, histogram_rows, write_rows,
};
use nexus_mc::sampler::SamplerKind;
use nexus_mc::stats::LogSketch;
use nexus_mc::Control;

use crate::common::summary;

/// Four chunks, the last one partial.
const RUNS: u64 = 3 * CHUNK_RUNS + 517;

fn plan(sampler: SamplerKind, quantiles: QuantileMethod) -> RunPlan {
    RunPlan {
        runs: RUNS,
        seed: 7,
        sampler,
        quantiles,
        shard: Shard::WHOLE,
        replicates: 1,
    }
}

fn run_on(scenario: &Scenario, plan: RunPlan, threads: usize) -> Accumulator {
    let engine = Engine::new(scenario, plan).unwrap();
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| engine.run(&Control::default()).unwrap())
}

/// bands.csv, claims.csv, histogram.csv and the two interval files of a
/// run of `plan` (the intervals of a run without replicates as for iid
/// draws, so that every bound is written).
fn csv_bytes(scenario: &Scenario, plan: RunPlan, mut acc: Accumulator) -> [Vec<u8>; 5] {
    let sampler = if plan.replicates > 1 {
        plan.sampler
    } else {
        SamplerKind::Mc
    };
    let engine = Engine::new(scenario, RunPlan { sampler, ..plan }).unwrap();
    let summary = acc.summary(engine.claims());
    let mut files = [const { Vec::new() }; 5];
    write_rows(&mut files[0], &band_rows(&summary)).unwrap();
    write_rows(&mut files[1], &claim_rows(&summary)).unwrap();
    write_rows(&mut files[2], &histogram_rows(&summary)).unwrap();
    write_rows(
        &mut files[3],
        &band_interval_rows(&summary, engine.identity()),
    )
    .unwrap();
    write_rows(
        &mut files[4],
        &claim_interval_rows(&summary, engine.identity()),
    )
    .unwrap();
    let text = String::from_utf8_lossy(&files[3]).into_owned();
    assert!(
        !text.contains(",,"),
        "{}",
        text.lines()
            .filter(|l| l.contains(",,"))
            .take(3)
            .collect::<Vec<_>>()
            .join("\n")
    );
    files
}

/// Runs every shard of `count` separately, round-trips each through its
/// state file, and merges them as `nexus-mc merge` does.
fn run_sharded(scenario: &Scenario, plan: RunPlan, count: u64) -> Accumulator {
    let dirs: Vec<_> = (0..count)
        .map(|index| {
            let bytes = crate::common::shard_state_bytes(scenario, plan, Shard { index, count });
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join(nexus_mc::engine::STATE_FILE), bytes).unwrap();
            dir
        })
        .collect();
    let paths: Vec<_> = dirs.iter().rev().map(|d| d.path().to_path_buf()).collect();
    nexus_mc::engine::merge_shards(&paths).unwrap().1
}

#[test]
fn same_bytes_for_1_2_and_7_threads_and_for_3_shards_merged() {
    let central = Scenario::load("central").unwrap();
    for sampler in [SamplerKind::Mc, SamplerKind::Lhs, SamplerKind::Sobol] {
        for quantiles in [QuantileMethod::Exact, QuantileMethod::Sketch] {
            let plan = plan(sampler, quantiles);
            let reference = csv_bytes(&central, plan, run_on(&central, plan, 1));
            for threads in [2, 7] {
                let other = csv_bytes(&central, plan, run_on(&central, plan, threads));
                assert!(
                    other == reference,
                    "{sampler} {quantiles:?}: {threads} threads differ from 1"
                );
            }
            let merged = csv_bytes(&central, plan, run_sharded(&central, plan, 3));
            assert!(
                merged == reference,
                "{sampler} {quantiles:?}: 3 shards merged differ from one process"
            );
        }
    }
}

#[test]
fn replicated_runs_give_the_same_bytes_on_any_threads_and_shards() {
    let central = Scenario::load("central").unwrap();
    // Ten chunks, the last partial, in 4 replicates: shards of 2 hold two
    // replicates each, shards of 3 all four.
    let runs = 9 * CHUNK_RUNS + 517;
    for sampler in [SamplerKind::Lhs, SamplerKind::Sobol] {
        for quantiles in [QuantileMethod::Exact, QuantileMethod::Sketch] {
            let plan = RunPlan {
                runs,
                replicates: 4,
                ..plan(sampler, quantiles)
            };
            let reference = csv_bytes(&central, plan, run_on(&central, plan, 1));
            let intervals = String::from_utf8_lossy(&reference[3]).into_owned();
            assert!(intervals.contains("t over 4 replicates"), "{intervals}");
            let single = RunPlan {
                replicates: 1,
                ..plan
            };
            let single = csv_bytes(&central, single, run_on(&central, single, 1));
            assert!(
                reference[0] != single[0],
                "{sampler}: replicates change the draws"
            );
            for threads in [2, 7] {
                let other = csv_bytes(&central, plan, run_on(&central, plan, threads));
                assert!(
                    other == reference,
                    "{sampler} {quantiles:?}: {threads} threads"
                );
            }
            for shards in [2, 3] {
                let merged = csv_bytes(&central, plan, run_sharded(&central, plan, shards));
                assert!(
                    merged == reference,
                    "{sampler} {quantiles:?}: {shards} shards"
                );
            }
        }
    }
}

#[test]
fn a_different_seed_gives_different_bands() {
    let central = Scenario::load("central").unwrap();
    let p = plan(SamplerKind::Mc, QuantileMethod::Exact);
    let a = csv_bytes(&central, p, run_on(&central, p, 2));
    let b = csv_bytes(&central, p, run_on(&central, RunPlan { seed: 8, ..p }, 2));
    assert_ne!(a[0], b[0]);
}

#[test]
fn kpmg_point_gives_zero_width_bands_at_the_baseline_and_certain_claims() {
    let kpmg = crate::common::kpmg();
    let baseline = crate::common::run(&kpmg.point());
    for quantiles in [QuantileMethod::Exact, QuantileMethod::Sketch] {
        let s = summary(
            &kpmg,
            RunPlan {
                runs: 1000,
                quantiles,
                ..RunPlan::new(1000)
            },
        );
        assert_eq!(s.bands.len(), BAND_METRICS.len() * YEARS);
        for b in &s.bands {
            let expected = baseline.at(b.metric, b.year);
            assert_eq!(b.mean, expected, "{} {}", b.metric.name(), b.year);
            assert_eq!(b.std, 0.0);
            for p in b.percentiles() {
                assert_eq!(
                    p,
                    expected,
                    "{} {} ({quantiles:?})",
                    b.metric.name(),
                    b.year
                );
            }
        }
        for c in &s.claims {
            let holds = c.claim.holds(&baseline);
            assert_eq!(
                c.probability(),
                if holds { 1.0 } else { 0.0 },
                "{}",
                c.claim.name
            );
            assert_eq!(c.std_error(), 0.0);
            assert_eq!(c.runs, 1000);
        }
        // The published table holds on the plan's own numbers.
        for name in ["EUR 12.6 bn", "21,000 jobs", "government NPV positive"] {
            assert_eq!(s.claim(name).unwrap().probability(), 1.0, "{name}");
        }
    }
}

/// kpmg-point with only displacement uncertain, uniform on [0, 0.4], and a
/// declared claim. Y_2035 = (1 - d) Y0 is then uniform on [0.6 Y0, Y0]:
/// P(Y >= 0.8 Y0) = P(d <= 0.2) = 0.5 and the q quantile is (0.6 + 0.4 q) Y0.
#[test]
fn claims_and_bands_match_an_analytic_answer_within_five_standard_errors() {
    let plan = crate::common::run(&crate::common::kpmg().point());
    let (y0, share0) = (
        plan.at(Metric::GdpTotal, 2035),
        plan.at(Metric::GdpSharePct, 2035),
    );
    let text = format!(
        r#"
[scenario]
name = "displacement-only"
extends = "kpmg-point"

[parameters.displacement]
dist = "uniform"
min = 0.0
max = 0.4
unit = "share"
source = "test"
rationale = "test"

[[claim]]
name = "80 % of the plan's GDP"
metric = "gdp_total"
year = 2035
op = ">="
threshold = {}
"#,
        0.8 * y0
    );
    let scenario = Scenario::from_toml(&text, "displacement-only.toml").unwrap();
    let n = 20_000u32;
    let sqrt_n = f64::from(n).sqrt();
    for sampler in [SamplerKind::Mc, SamplerKind::Lhs, SamplerKind::Sobol] {
        let s = summary(
            &scenario,
            RunPlan {
                sampler,
                ..RunPlan::new(u64::from(n))
            },
        );
        assert_eq!(s.claims.len(), 8, "the default set plus the declared claim");
        let c = s.claim("80 % of the plan's GDP").unwrap();
        let se = (0.5f64 * 0.5).sqrt() / sqrt_n;
        assert!(
            (c.probability() - 0.5).abs() < 5.0 * se,
            "{sampler}: {} vs 0.5",
            c.probability()
        );
        let band = s.band(Metric::GdpTotal, 2035).unwrap();
        let (lo, width) = (0.6 * y0, 0.4 * y0);
        let sd = width / 12f64.sqrt();
        assert!((band.mean - (lo + width / 2.0)).abs() < 5.0 * sd / sqrt_n);
        assert!((band.std - sd).abs() < 0.02 * sd);
        // The histogram of the share is flat: every bin fully inside the
        // support holds n x (bin width / support width) runs, within 5 SE.
        let h = &s.histograms[0];
        assert_eq!((h.metric, h.year), (Metric::GdpSharePct, 2035));
        assert_eq!(h.histogram.total(), u64::from(n));
        let (s_lo, s_hi) = (0.6 * share0, share0);
        let edges = h.histogram.edges();
        for (i, &count) in h.histogram.counts.iter().enumerate() {
            if edges[i] > s_lo + 1e-3 && edges[i + 1] < s_hi - 1e-3 {
                let expected = f64::from(n) * (edges[i + 1] - edges[i]) / (s_hi - s_lo);
                assert!(
                    (count as f64 - expected).abs() < 5.0 * expected.sqrt(),
                    "{sampler} bin {i}: {count} vs {expected}"
                );
            }
        }
        // A sample quantile of a uniform has standard error sqrt(q(1-q)/n) x width.
        for (&q, x) in [0.05f64, 0.10, 0.25, 0.5, 0.75, 0.9, 0.95]
            .iter()
            .zip(band.percentiles())
        {
            let tol = 5.0 * (q * (1.0 - q)).sqrt() / sqrt_n * width;
            let exact = lo + q * width;
            assert!((x - exact).abs() < tol, "{sampler} P{q}: {x} vs {exact}");
        }
    }
}

#[test]
fn sketch_quantiles_are_within_their_bound_of_the_exact_ones() {
    // A run as long as the pilot, and one three times longer, where the
    // pilot sees a third of the runs.
    for runs in [RUNS, 48 * CHUNK_RUNS] {
        compare_sketch_with_exact(RunPlan {
            runs,
            ..plan(SamplerKind::Mc, QuantileMethod::Exact)
        });
    }
}

fn compare_sketch_with_exact(exact_plan: RunPlan) {
    let central = Scenario::load("central").unwrap();
    let sketch_plan = RunPlan {
        quantiles: QuantileMethod::Sketch,
        ..exact_plan
    };
    let mut exact = run_on(&central, exact_plan, 2);
    let mut sketch = run_on(&central, sketch_plan, 2);
    let engine = Engine::new(&central, RunPlan::new(1)).unwrap();
    let (e, s) = (
        exact.summary(engine.claims()),
        sketch.summary(engine.claims()),
    );
    assert_eq!(
        e.claims, s.claims,
        "claim counts do not depend on quantiles"
    );
    // The pilot's refined ranges hold every band percentile, so the bound
    // the run reports is the fine one, a quarter of the Monte Carlo error of
    // a quantile at a million runs; the comparison below holds it to that.
    assert_eq!(e.quantile_error, 0.0);
    assert_eq!(s.quantile_error, LogSketch::FINE_RELATIVE_ERROR);
    for (a, b) in e.bands.iter().zip(&s.bands) {
        assert_eq!(
            (a.mean, a.std),
            (b.mean, b.std),
            "moments are exact either way"
        );
        for (x, y) in a.percentiles().iter().zip(b.percentiles()) {
            let bound = s.quantile_error * x.abs() + LogSketch::MIN_MAGNITUDE;
            assert!(
                (x - y).abs() <= bound,
                "{} {}: {x} vs {y}",
                a.metric.name(),
                a.year
            );
        }
    }
    // Every year is present, in order.
    for (t, b) in e.bands.iter().take(YEARS).enumerate() {
        assert_eq!(b.year, year_of(t));
    }
}

#[test]
fn a_cancelled_run_stops_with_interrupted() {
    let central = Scenario::load("central").unwrap();
    let engine = Engine::new(&central, plan(SamplerKind::Mc, QuantileMethod::Exact)).unwrap();
    let cancel = AtomicBool::new(true);
    let control = Control {
        cancel: Some(&cancel),
        ..Control::default()
    };
    assert!(matches!(
        engine.run(&control),
        Err(EngineError::Interrupted)
    ));
}

#[test]
fn progress_counts_every_run_of_the_shard() {
    let central = Scenario::load("central").unwrap();
    let shard = Shard { index: 1, count: 3 };
    let p = RunPlan {
        shard,
        ..plan(SamplerKind::Mc, QuantileMethod::Sketch)
    };
    let engine = Engine::new(&central, p).unwrap();
    let done = std::sync::atomic::AtomicU64::new(0);
    let progress = |n: u64| {
        done.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    };
    let acc = engine
        .run(&Control {
            progress: Some(&progress),
            ..Control::default()
        })
        .unwrap();
    // Shard 1 of 3 holds chunk 1 only (chunk 4 does not exist).
    assert_eq!(done.into_inner(), CHUNK_RUNS);
    assert_eq!(acc.runs(), p.shard_runs());
}

#[test]
fn plans_that_cannot_run_are_refused_with_a_reason() {
    let central = Scenario::load("central").unwrap();
    let err = |plan| match Engine::new(&central, plan) {
        Err(EngineError::Plan(why)) => why,
        Ok(_) => panic!("accepted {plan:?}"),
        Err(e) => panic!("{e}"),
    };
    assert!(err(RunPlan {
        runs: 0,
        ..RunPlan::new(1)
    })
    .contains("at least 1"));
    let too_many = RunPlan {
        quantiles: QuantileMethod::Exact,
        ..RunPlan::new(nexus_mc::limits::MAX_EXACT_RUNS + 1)
    };
    assert!(err(too_many).contains("--quantiles sketch"));
    let empty_shard = RunPlan {
        shard: Shard { index: 2, count: 3 },
        ..RunPlan::new(CHUNK_RUNS * 2)
    };
    assert!(
        err(empty_shard).contains("use at most 2 shards"),
        "{}",
        err(empty_shard)
    );
    assert_eq!(
        QuantileMethod::auto(QuantileMethod::AUTO_EXACT_MAX_RUNS + 1),
        QuantileMethod::Sketch
    );
    // A switch drawn as a choice still reaches the model as a valid index.
    assert!(central.parameter(Param::After2035).distribution.support().1 <= 2.0);
}

#[test]
fn shard_specs_parse_and_bad_ones_explain() {
    assert_eq!(
        "2/4".parse::<Shard>().unwrap(),
        Shard { index: 2, count: 4 }
    );
    for bad in ["3/2", "0/0", "2/2", "1", "a/b", "-1/2"] {
        assert!(bad.parse::<Shard>().is_err(), "{bad}");
    }
    let s = Shard { index: 1, count: 3 };
    assert_eq!(s.chunks(8).collect::<Vec<_>>(), vec![1, 4, 7]);
}

/// A shard's runs are computed without listing its chunks (a plan of 10^12
/// runs lists none); they must equal the runs of its chunks counted one by
/// one, and the shards of a run must add up to it.
#[test]
fn shard_runs_are_the_runs_of_its_chunks_without_listing_them() {
    for runs in [1, 2047, 2048, 2049, 8193, 25_000, 100_000, 1_000_003] {
        for count in [1, 2, 3, 7, 13] {
            let mut total = 0;
            for index in 0..count {
                let plan = RunPlan {
                    shard: Shard { index, count },
                    ..RunPlan::new(runs)
                };
                let counted: u64 = plan
                    .shard
                    .chunks(plan.chunks())
                    .map(|c| (runs - c * CHUNK_RUNS).min(CHUNK_RUNS))
                    .sum();
                assert_eq!(
                    plan.shard_runs(),
                    counted,
                    "{runs} runs, shard {index}/{count}"
                );
                assert_eq!(
                    plan.shard_chunks(),
                    plan.shard.chunks(plan.chunks()).count() as u64
                );
                total += counted;
            }
            assert_eq!(total, runs);
        }
    }
}

#[test]
fn every_command_entry_stops_when_cancelled_and_returns_interrupted() {
    use nexus_mc::commands::{self, BridgeCommand, MergeOptions, RunOptions, SensitivityOptions};
    use nexus_mc::Error;
    let cancel = AtomicBool::new(true);
    let control = Control {
        cancel: Some(&cancel),
        ..Control::default()
    };
    let central = Scenario::load("central").unwrap();
    let interrupted = |r: Result<(), Error>, what: &str| {
        assert!(matches!(r, Err(Error::Interrupted)), "{what}: {r:?}");
    };
    interrupted(
        commands::run(&RunOptions::new(central.clone(), 100_000), &control).map(drop),
        "run",
    );
    interrupted(
        commands::sensitivity(&SensitivityOptions::new(central.clone()), &control).map(drop),
        "sensitivity",
    );
    let bridge = BridgeCommand {
        from: Scenario::load("plan-as-written").unwrap(),
        to: central,
        groups: Vec::new(),
        options: Default::default(),
    };
    interrupted(commands::bridge(&bridge, &control).map(drop), "bridge");
    interrupted(
        commands::merge(
            &MergeOptions {
                dirs: vec!["nowhere".into()],
            },
            &control,
        )
        .map(drop),
        "merge",
    );
    interrupted(
        commands::report(&["nowhere".into()], &control).map(drop),
        "report",
    );
}

/// A single-process exact run this long keeps only the values around the
/// ranks it reads (see `Engine::run`); shards keep every value. Both give
/// the same bytes, on any number of threads, with and without replicates.
#[test]
fn a_long_exact_run_gives_the_bytes_of_shards_that_keep_every_value() {
    let central = Scenario::load("central").unwrap();
    for (sampler, replicates) in [(SamplerKind::Mc, 1), (SamplerKind::Lhs, 4)] {
        let plan = RunPlan {
            runs: 64 * CHUNK_RUNS + 517,
            replicates,
            ..plan(sampler, QuantileMethod::Exact)
        };
        let merged = csv_bytes(&central, plan, run_sharded(&central, plan, 2));
        for threads in [1, 2] {
            let one = csv_bytes(&central, plan, run_on(&central, plan, threads));
            assert!(one == merged, "{sampler}, {threads} threads");
        }
    }
}
