//! Distributions and samplers against analytic answers. Tolerances are five
//! standard errors at the sample size used (Monte Carlo standard errors, an
//! upper bound for the stratified and quasi-random samplers).

use nexus_mc::config::Scenario;
use nexus_mc::engine::CHUNK_RUNS;
use nexus_mc::model::Param;
use nexus_mc::sampler::{Sampler, SamplerKind};

const N: usize = 1 << 14;
const SAMPLERS: [SamplerKind; 3] = [SamplerKind::Mc, SamplerKind::Lhs, SamplerKind::Sobol];

/// kpmg-point with `extra` TOML appended (its entries replace kpmg-point's).
fn scenario(extra: &str) -> Scenario {
    let text = format!("[scenario]\nextends = \"kpmg-point\"\n{extra}");
    Scenario::from_toml(&text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn entry(param: &str, unit: &str, body: &str) -> String {
    format!("[parameters.{param}]\n{body}\nunit = \"{unit}\"\nsource = \"test\"\nrationale = \"test\"\n")
}

/// `n` draws of the one uncertain parameter of `s`.
fn draws(s: &Scenario, kind: SamplerKind, n: usize) -> Vec<f64> {
    let sampler = Sampler::new(s, kind, 42, n as u64).unwrap();
    assert_eq!(sampler.params().len(), 1);
    sampler.block(0, 0, n).column(0).to_vec()
}

struct Known {
    mean: f64,
    variance: f64,
    /// (x, P(X <= x)) pairs.
    cdf: Vec<(f64, f64)>,
}

fn check(what: &str, x: &[f64], known: &Known) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = x.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
    let se_mean = (known.variance / n).sqrt();
    let se_var = ((m4 - var * var).max(0.0) / n).sqrt();
    assert!(
        (mean - known.mean).abs() <= 5.0 * se_mean,
        "{what}: mean {mean} vs {} (5 SE = {})",
        known.mean,
        5.0 * se_mean
    );
    assert!(
        (var - known.variance).abs() <= 5.0 * se_var + 1e-12,
        "{what}: variance {var} vs {} (5 SE = {})",
        known.variance,
        5.0 * se_var
    );
    for &(at, p) in &known.cdf {
        let share = x.iter().filter(|&&v| v <= at).count() as f64 / n;
        let tol = 5.0 * (p * (1.0 - p) / n).sqrt() + 1.0 / n;
        assert!(
            (share - p).abs() <= tol,
            "{what}: P(X <= {at}) = {share}, analytic {p} (tol {tol})"
        );
    }
}

// Standard normal constants.
const Z05: f64 = -1.644_853_626_951_472_2;
const Z90: f64 = 1.281_551_565_544_600_4;
const PHI_M1: f64 = 0.158_655_253_931_457_05; // Phi(-1)
const PHI_1: f64 = 0.841_344_746_068_542_9; // Phi(1)
const PHI_2: f64 = 0.977_249_868_051_820_8; // Phi(2)
const DENS_M1: f64 = 0.241_970_724_519_143_37; // phi(-1)
const DENS_2: f64 = 0.053_990_966_513_188_06; // phi(2)

fn families() -> Vec<(&'static str, Scenario, Known)> {
    let mut v = Vec::new();
    v.push((
        "uniform(1, 3)",
        scenario(&entry(
            "multiplier",
            "ratio",
            "dist = \"uniform\"\nmin = 1\nmax = 3",
        )),
        Known {
            mean: 2.0,
            variance: 4.0 / 12.0,
            cdf: vec![(1.1, 0.05), (2.0, 0.5), (2.9, 0.95)],
        },
    ));

    // Triangular(a=1, c=1.5, b=3): F(x) = (x-a)^2 / ((b-a)(c-a)) below c.
    let (a, c, b) = (1.0f64, 1.5f64, 3.0f64);
    v.push((
        "triangular(1, 1.5, 3)",
        scenario(&entry(
            "multiplier",
            "ratio",
            "dist = \"triangular\"\nmin = 1\nmode = 1.5\nmax = 3",
        )),
        Known {
            mean: (a + b + c) / 3.0,
            variance: (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0,
            cdf: vec![
                (1.25, 0.25f64.powi(2) / (2.0 * 0.5)),
                (1.5, 0.25),
                (2.5, 1.0 - 0.25 / (2.0 * 1.5)),
            ],
        },
    ));

    // PERT(0, 0.25, 1) = Beta(2, 4): F(x) = 1 - (1-x)^5 - 5x(1-x)^4.
    let beta24 = |x: f64| 1.0 - (1.0 - x).powi(5) - 5.0 * x * (1.0 - x).powi(4);
    v.push((
        "pert(0, 0.25, 1)",
        scenario(&entry(
            "displacement",
            "share",
            "dist = \"pert\"\nmin = 0\nmode = 0.25\nmax = 1",
        )),
        Known {
            mean: 2.0 / 6.0,
            variance: 8.0 / (36.0 * 7.0),
            cdf: [0.1, 0.3, 0.6].map(|x| (x, beta24(x))).to_vec(),
        },
    ));
    v.push((
        "beta(2, 4) on [0, 1]",
        scenario(&entry(
            "additionality",
            "share",
            "dist = \"beta\"\nalpha = 2\nbeta = 4",
        )),
        Known {
            mean: 2.0 / 6.0,
            variance: 8.0 / (36.0 * 7.0),
            cdf: [0.2, 0.5].map(|x| (x, beta24(x))).to_vec(),
        },
    ));
    // Beta by mean and sd, rescaled to [1, 3]: same shape as Beta(2, 4).
    let sd = 2.0 * (8.0f64 / (36.0 * 7.0)).sqrt();
    v.push((
        "beta(mean, sd) on [1, 3]",
        scenario(&entry(
            "multiplier",
            "ratio",
            &format!(
                "dist = \"beta\"\nmean = {}\nsd = {sd}\nmin = 1\nmax = 3",
                1.0 + 2.0 / 3.0
            ),
        )),
        Known {
            mean: 1.0 + 2.0 / 3.0,
            variance: sd * sd,
            cdf: vec![(1.4, beta24(0.2)), (2.0, beta24(0.5))],
        },
    ));

    v.push((
        "normal(0.086, 0.02)",
        scenario(&entry(
            "sector_growth",
            "per year",
            "dist = \"normal\"\nmean = 0.086\nsd = 0.02",
        )),
        Known {
            mean: 0.086,
            variance: 0.0004,
            cdf: vec![
                (0.086 + 0.02 * Z05, 0.05),
                (0.086, 0.5),
                (0.086 - 0.02 * Z05, 0.95),
            ],
        },
    ));

    // Normal(0.1, 0.05) truncated to [mu - sd, mu + 2 sd].
    let z = PHI_2 - PHI_M1;
    let shift = (DENS_M1 - DENS_2) / z;
    v.push((
        "truncnormal(0.1, 0.05, 0.05, 0.2)",
        scenario(&entry(
            "sector_growth",
            "per year",
            "dist = \"truncnormal\"\nmean = 0.1\nsd = 0.05\nmin = 0.05\nmax = 0.2",
        )),
        Known {
            mean: 0.1 + 0.05 * shift,
            variance: 0.0025 * (1.0 + (-DENS_M1 - 2.0 * DENS_2) / z - shift * shift),
            cdf: vec![(0.1, (0.5 - PHI_M1) / z), (0.15, (PHI_1 - PHI_M1) / z)],
        },
    ));

    // Lognormal by median 370 and P90 600: sigma = ln(600/370) / z90.
    let sigma = (600.0f64 / 370.0).ln() / Z90;
    let (m, s2) = (370.0f64.ln(), sigma * sigma);
    v.push((
        "lognormal(median 370, p90 600)",
        scenario(&entry(
            "drug_sales",
            "EUR m per year",
            "dist = \"lognormal\"\nmedian = 370\np90 = 600",
        )),
        Known {
            mean: (m + s2 / 2.0).exp(),
            variance: (s2.exp() - 1.0) * (2.0 * m + s2).exp(),
            cdf: vec![(370.0 * 370.0 / 600.0, 0.1), (370.0, 0.5), (600.0, 0.9)],
        },
    ));
    v.push((
        "lognormal(mean 2000, sd 500)",
        scenario(&entry(
            "drug_cost",
            "EUR m",
            "dist = \"lognormal\"\nmean = 2000\nsd = 500",
        )),
        Known {
            mean: 2000.0,
            variance: 250_000.0,
            cdf: vec![],
        },
    ));

    v.push((
        "choice(8, 10, 12)",
        scenario(&entry(
            "drug_sales_years",
            "years",
            "dist = \"choice\"\nvalues = [8, 10, 12]\nweights = [0.25, 0.5, 0.25]",
        )),
        Known {
            mean: 10.0,
            variance: 2.0,
            cdf: vec![(8.0, 0.25), (10.0, 0.75), (12.0, 1.0)],
        },
    ));
    v.push((
        "empirical(1.5, 1.8, 1.97, 2.2)",
        scenario(&entry(
            "multiplier",
            "ratio",
            "dist = \"empirical\"\nvalues = [1.8, 1.5, 2.2, 1.97]",
        )),
        Known {
            mean: 7.47 / 4.0,
            variance: [1.5f64, 1.8, 1.97, 2.2]
                .iter()
                .map(|x| (x - 7.47 / 4.0).powi(2))
                .sum::<f64>()
                / 4.0,
            cdf: vec![(1.5, 0.25), (1.9, 0.5), (2.0, 0.75)],
        },
    ));
    v
}

#[test]
fn every_family_matches_its_analytic_moments_and_quantiles_on_every_sampler() {
    for (name, s, known) in families() {
        for kind in SAMPLERS {
            check(&format!("{name}, {kind}"), &draws(&s, kind, N), &known);
        }
    }
}

#[test]
fn switches_can_be_drawn_by_name() {
    let s = scenario(&entry(
        "after_2035",
        "switch",
        "dist = \"choice\"\nvalues = [\"grow\", \"freeze\", \"expire\"]\nweights = [0.5, 0.3, 0.2]",
    ));
    let x = draws(&s, SamplerKind::Lhs, 1000);
    let count = |v: f64| x.iter().filter(|&&d| d == v).count();
    assert_eq!(
        (count(0.0), count(1.0), count(2.0)),
        (500, 300, 200),
        "LHS hits the weights exactly"
    );
}

fn two_uniforms(correlation: &str) -> Scenario {
    scenario(&format!(
        "{}{}{correlation}",
        entry(
            "multiplier",
            "ratio",
            "dist = \"uniform\"\nmin = 1\nmax = 3"
        ),
        entry(
            "lasting_share",
            "share",
            "dist = \"uniform\"\nmin = 0\nmax = 0.25"
        ),
    ))
}

#[test]
fn latin_hypercube_puts_one_run_in_every_stratum_even_across_chunks() {
    let n = 1000;
    let s = two_uniforms("");
    let sampler = Sampler::new(&s, SamplerKind::Lhs, 7, n as u64).unwrap();
    // Two chunks of one global run.
    let first = sampler.block(0, 0, 600);
    let second = sampler.block(1, 600, 400);
    for (col, (lo, width)) in [(1.0, 2.0), (0.0, 0.25)].into_iter().enumerate() {
        let mut hits = vec![0; n];
        for x in first.column(col).iter().chain(second.column(col).iter()) {
            hits[((x - lo) / width * n as f64) as usize] += 1;
        }
        assert!(
            hits.iter().all(|&h| h == 1),
            "column {col}: strata hit {:?} times",
            hits.iter().filter(|&&h| h != 1).count()
        );
    }
}

/// A run count past the engine's limit is refused by the sampler too (a
/// Latin hypercube's strata would no longer convert to doubles exactly),
/// and the limit itself is taken.
#[test]
fn samplers_refuse_more_runs_than_the_limit() {
    let s = two_uniforms("");
    let limit = nexus_mc::limits::MAX_RUNS;
    for kind in [SamplerKind::Mc, SamplerKind::Lhs] {
        let refused = Sampler::new(&s, kind, 7, limit + 1).unwrap_err();
        assert!(refused.to_string().contains("at most"), "{kind}: {refused}");
        assert!(Sampler::new(&s, kind, 7, limit).is_ok(), "{kind}");
    }
}

/// L2-star discrepancy of points in [0, 1]^2 (Warnock's formula).
fn l2_star_discrepancy(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let single: f64 = points
        .iter()
        .map(|(x, y)| (1.0 - x * x) * (1.0 - y * y))
        .sum();
    let mut pairs = 0.0;
    for (xi, yi) in points {
        for (xj, yj) in points {
            pairs += (1.0 - xi.max(*xj)) * (1.0 - yi.max(*yj));
        }
    }
    (1.0 / 9.0 - single / (2.0 * n) + pairs / (n * n)).sqrt()
}

#[test]
fn sobol_points_are_more_even_than_monte_carlo_in_a_2d_projection() {
    let n = 1024;
    let s = two_uniforms("");
    let unit = |kind| {
        let block = Sampler::new(&s, kind, 3, n as u64).unwrap().block(0, 0, n);
        block
            .rows()
            .into_iter()
            .map(|r| ((r[0] - 1.0) / 2.0, r[1] / 0.25))
            .collect::<Vec<_>>()
    };
    let (sobol, mc) = (
        l2_star_discrepancy(&unit(SamplerKind::Sobol)),
        l2_star_discrepancy(&unit(SamplerKind::Mc)),
    );
    // MC's expected L2-star discrepancy is about 0.11 / sqrt(n); Sobol's is O(log n / n).
    assert!(sobol < mc / 4.0, "sobol {sobol} vs mc {mc}");
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let ranks = |x: &[f64]| {
        let mut idx: Vec<usize> = (0..x.len()).collect();
        idx.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
        let mut r = vec![0.0; x.len()];
        for (rank, &i) in idx.iter().enumerate() {
            r[i] = rank as f64;
        }
        r
    };
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let mean = (n - 1.0) / 2.0;
    let cov: f64 = ra
        .iter()
        .zip(&rb)
        .map(|(x, y)| (x - mean) * (y - mean))
        .sum();
    let var: f64 = ra.iter().map(|x| (x - mean).powi(2)).sum();
    cov / var
}

#[test]
fn iman_conover_hits_the_rank_correlation_and_keeps_the_marginals() {
    let n = 10_000;
    let target = -0.6;
    let plain = two_uniforms("");
    let correlated = two_uniforms(&format!(
        "[[correlation]]\nbetween = [\"multiplier\", \"lasting_share\"]\nrank = {target}\nsource = \"test\"\nrationale = \"test\"\n"
    ));
    for kind in SAMPLERS {
        let before = Sampler::new(&plain, kind, 11, n as u64)
            .unwrap()
            .block(0, 0, n);
        let after = Sampler::new(&correlated, kind, 11, n as u64)
            .unwrap()
            .block(0, 0, n);
        let rho = spearman(&after.column(0).to_vec(), &after.column(1).to_vec());
        // SE of Spearman's rho is about (1 - rho^2) / sqrt(n) = 0.0064.
        assert!(
            (rho - target).abs() < 5.0 * (1.0 - target * target) / (n as f64).sqrt(),
            "{kind}: rho {rho}"
        );
        for col in 0..2 {
            let sorted = |m: &ndarray::Array2<f64>| {
                let mut v = m.column(col).to_vec();
                v.sort_by(f64::total_cmp);
                v
            };
            assert_eq!(
                sorted(&before),
                sorted(&after),
                "{kind}: marginal {col} changed"
            );
        }
    }
}

#[test]
fn blocks_are_reproducible_and_depend_on_the_seed() {
    let s = two_uniforms("");
    for kind in SAMPLERS {
        let a = Sampler::new(&s, kind, 5, 4096).unwrap();
        assert_eq!(a.block(2, 2048, 1024), a.block(2, 2048, 1024), "{kind}");
        let b = Sampler::new(&s, kind, 6, 4096).unwrap();
        assert_ne!(
            a.block(0, 0, 64),
            b.block(0, 0, 64),
            "{kind}: the seed matters"
        );
    }
    let sampler = Sampler::new(&s, SamplerKind::Mc, 5, 100).unwrap();
    assert_eq!(sampler.params(), &[Param::Multiplier, Param::LastingShare]);
}

/// The unit coordinates of a block of [`two_uniforms`] draws.
fn unit_points(block: &ndarray::Array2<f64>) -> Vec<(f64, f64)> {
    block
        .rows()
        .into_iter()
        .map(|r| ((r[0] - 1.0) / 2.0, r[1] / 0.25))
        .collect()
}

#[test]
fn a_replicated_latin_hypercube_stratifies_every_chunk_on_its_own() {
    let (chunk, replicates) = (CHUNK_RUNS as usize, 4);
    let s = two_uniforms("");
    let runs = 8 * CHUNK_RUNS;
    let sampler = Sampler::new(&s, SamplerKind::Lhs, 7, runs)
        .unwrap()
        .with_replicates(replicates)
        .unwrap();
    let blocks: Vec<_> = (0..8)
        .map(|c| unit_points(&sampler.block(c, c * CHUNK_RUNS, chunk)))
        .collect();
    for (c, points) in blocks.iter().enumerate() {
        for (axis, coordinate) in [|p: &(f64, f64)| p.0, |p: &(f64, f64)| p.1]
            .into_iter()
            .enumerate()
        {
            let mut hits = vec![0; chunk];
            for p in points {
                hits[(coordinate(p) * chunk as f64) as usize] += 1;
            }
            assert!(
                hits.iter().all(|&h| h == 1),
                "chunk {c} axis {axis}: not one run a stratum"
            );
        }
    }
    // Independent randomisations: no two chunks share a point.
    assert_ne!(blocks[0][0], blocks[4][0]);
    assert_ne!(blocks[0][0], blocks[1][0]);
    // The whole-run design is another one.
    let whole = Sampler::new(&s, SamplerKind::Lhs, 7, runs).unwrap();
    assert_ne!(unit_points(&whole.block(0, 0, chunk))[0], blocks[0][0]);
}

#[test]
fn each_sobol_replicate_is_a_scrambled_net_of_its_own() {
    let (chunk, replicates) = (CHUNK_RUNS as usize, 4u64);
    let s = two_uniforms("");
    let sampler = Sampler::new(&s, SamplerKind::Sobol, 3, 8 * CHUNK_RUNS)
        .unwrap()
        .with_replicates(replicates)
        .unwrap();
    let replicate = |r: u64| -> Vec<(f64, f64)> {
        [r, r + replicates]
            .iter()
            .flat_map(|&c| unit_points(&sampler.block(c, c * CHUNK_RUNS, chunk)))
            .collect()
    };
    // The first two dimensions of 2^12 scrambled Sobol points form a
    // (0, 12, 2)-net: one point in each cell of a 64 x 64 grid. Chunks of
    // different replicates, put together, do not.
    let one_a_cell = |points: &[(f64, f64)]| {
        let mut hits = vec![0; 64 * 64];
        for (x, y) in points {
            hits[(x * 64.0) as usize * 64 + (y * 64.0) as usize] += 1;
        }
        hits.iter().all(|&h| h == 1)
    };
    for r in 0..replicates {
        assert!(one_a_cell(&replicate(r)), "replicate {r} is not a net");
    }
    let mixed: Vec<_> = [0, 1]
        .iter()
        .flat_map(|&c| unit_points(&sampler.block(c, c * CHUNK_RUNS, chunk)))
        .collect();
    assert!(!one_a_cell(&mixed), "two replicates' chunks make one net");
}

#[test]
fn replicates_are_refused_for_monte_carlo_draws_and_outside_2_to_1024() {
    let s = two_uniforms("");
    let make = |kind| Sampler::new(&s, kind, 1, 1 << 22).unwrap();
    let err = make(SamplerKind::Mc).with_replicates(16).unwrap_err();
    assert!(err.to_string().contains("iid"), "{err}");
    for bad in [0, 1025] {
        let err = make(SamplerKind::Lhs).with_replicates(bad).unwrap_err();
        assert!(err.to_string().contains("give 2 to 1024"), "{bad}: {err}");
    }
    assert!(make(SamplerKind::Sobol).with_replicates(1024).is_ok());
}
