//! 95 % confidence intervals for what a Monte Carlo run of independent,
//! identically distributed draws estimates: a quantile (from order
//! statistics, free of any assumption on the distribution), a mean (normal)
//! and a probability (Wilson's score interval).
//!
//! Every interval here but [`replicate_interval`] assumes iid draws. A
//! Latin hypercube or a Sobol sample is not iid: its error is read from
//! independent randomisations of it ([`replicate_interval`]), never from
//! these formulas.

use statrs::function::gamma::ln_gamma;

use super::Percentile;

/// The confidence level of every interval in this module.
pub const LEVEL: f64 = 0.95;

/// The standard normal quantile of (1 + [`LEVEL`]) / 2:
/// `sqrt(2) erf^-1(0.95)`.
pub const Z: f64 = 1.959_963_984_540_054;

/// Below this binomial standard deviation the ranks come from the binomial
/// distribution itself; above it, from its normal approximation (skewness
/// (1 - 2p) / sd under 0.01), widened by [`NORMAL_SLACK`] ranks on each
/// side so that each tail stays within 2.5 % (the approximation lands
/// within two ranks of the exact ones; tested where the two meet).
const EXACT_SD: f64 = 100.0;

/// Ranks added on each side of the normal approximation's interval.
const NORMAL_SLACK: i64 = 2;

/// The ranks `(l, u)` (1-based) of the order statistics that bracket the
/// `p` quantile of the distribution sampled by `n` iid draws with at least
/// 95 % confidence: `P(X(l) <= q_p <= X(u)) >= 0.95`, whatever the
/// distribution, each side missing with at most 2.5 %. `None` when `n` is
/// too small for either side to exist (`l < 1` or `u > n`): with a 95 %
/// two-sided interval, P5 and P95 need at least 72 draws, the median 6.
///
/// The number `B` of draws at or below `q_p` is binomial (`n`, `p`), and
/// `X(l) <= q_p <= X(u)` holds when `l <= B <= u - 1`. So `l - 1` is the
/// largest `k` with `P(B <= k) <= 0.025` and `u - 1` the smallest with
/// `P(B <= k) >= 0.975` (Hahn and Meeker 1991, section 5.2).
///
/// ```
/// use nexus_mc::stats::{quantile_ranks, Percentile};
/// // The median of 1,000 draws: ranks 469 to 532.
/// assert_eq!(quantile_ranks(Percentile(50), 1000), Some((469, 532)));
/// assert_eq!(quantile_ranks(Percentile(5), 50), None);
/// ```
pub fn quantile_ranks(p: Percentile, n: u64) -> Option<(u64, u64)> {
    let q = f64::from(p.0) / 100.0;
    let alpha = (1.0 - LEVEL) / 2.0;
    let nf = n as f64;
    let sd = (nf * q * (1.0 - q)).sqrt();
    let (below, above) = if sd < EXACT_SD {
        binomial_bounds(n, q, alpha)
    } else {
        // P(B <= k) ~ Phi((k + 0.5 - nq) / sd), with continuity correction.
        let mean = nf * q;
        (
            (mean - 0.5 - Z * sd).floor() as i64 - NORMAL_SLACK,
            (mean - 0.5 + Z * sd).ceil() as i64 + NORMAL_SLACK,
        )
    };
    let (l, u) = (below + 1, above + 1);
    (l >= 1 && u as u64 <= n).then_some((l as u64, u as u64))
}

/// For `B` binomial (`n`, `q`) with a standard deviation under
/// [`EXACT_SD`]: the largest `k` with `P(B <= k) <= alpha` (-1 if none)
/// and the smallest `k` with `P(B <= k) >= 1 - alpha`.
///
/// The probabilities are summed outward from the mode, each from the one
/// beside it, over the mode plus or minus 40 standard deviations and 40
/// (beyond which every term is below 1e-300 of the mode's).
fn binomial_bounds(n: u64, q: f64, alpha: f64) -> (i64, i64) {
    let nf = n as f64;
    let mode = ((nf + 1.0) * q).floor().min(nf) as u64;
    let sd = (nf * q * (1.0 - q)).sqrt();
    let reach = (40.0 * sd + 40.0) as u64;
    let first = mode.saturating_sub(reach);
    let last = (mode + reach).min(n);
    let ln_pmf = |k: u64| {
        let (k, nf) = (k as f64, nf);
        ln_gamma(nf + 1.0) - ln_gamma(k + 1.0) - ln_gamma(nf - k + 1.0)
            + k * q.ln()
            + (nf - k) * (1.0 - q).ln()
    };
    // pmf(k + 1) / pmf(k) = (n - k) q / ((k + 1) (1 - q)).
    let ratio = |k: u64| (nf - k as f64) * q / ((k as f64 + 1.0) * (1.0 - q));
    let mut pmf = vec![0.0; (last - first + 1) as usize];
    let at_mode = (mode - first) as usize;
    pmf[at_mode] = ln_pmf(mode).exp();
    for i in (0..at_mode).rev() {
        pmf[i] = pmf[i + 1] / ratio(first + i as u64);
    }
    for i in at_mode + 1..pmf.len() {
        pmf[i] = pmf[i - 1] * ratio(first + i as u64 - 1);
    }
    let (mut below, mut above) = (first as i64 - 1, last as i64);
    let mut cdf = 0.0;
    let mut found_above = false;
    for (i, &mass) in pmf.iter().enumerate() {
        cdf += mass;
        let k = (first + i as u64) as i64;
        if cdf <= alpha {
            below = k;
        }
        if !found_above && cdf >= 1.0 - alpha {
            above = k;
            found_above = true;
        }
    }
    (below, above)
}

/// The 95 % normal interval of a mean of `n` iid draws with sample
/// standard deviation `std`: `mean -+ Z std / sqrt(n)`.
///
/// ```
/// use nexus_mc::stats::mean_interval;
/// let (lo, hi) = mean_interval(10.0, 2.0, 400);
/// assert!((lo - (10.0 - 1.959963984540054 * 0.1)).abs() < 1e-12);
/// assert!((hi - (10.0 + 1.959963984540054 * 0.1)).abs() < 1e-12);
/// ```
pub fn mean_interval(mean: f64, std: f64, n: u64) -> (f64, f64) {
    let half = Z * std / (n as f64).sqrt();
    (mean - half, mean + half)
}

/// Wilson's 95 % score interval for a probability seen `hits` times in
/// `n` iid draws (Wilson 1927; Brown, Cai and DasGupta 2001). Unlike
/// `p -+ Z se`, it is never empty at 0 or `n` hits: with none in 10^6 draws
/// the probability is below 3.84e-6.
///
/// ```
/// use nexus_mc::stats::wilson_interval;
/// let (lo, hi) = wilson_interval(0, 1_000_000);
/// assert_eq!(lo, 0.0);
/// assert!((hi - 3.8414e-6).abs() < 1e-9);
/// ```
pub fn wilson_interval(hits: u64, n: u64) -> (f64, f64) {
    let nf = n as f64;
    let p = hits as f64 / nf;
    let z2 = Z * Z;
    let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
    let half = Z / (1.0 + z2 / nf) * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    // At 0 and n hits the bound is exactly 0 and 1; elsewhere rounding
    // must not step past them either.
    let lo = if hits == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if hits == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

/// The 95 % interval of a statistic estimated at `estimate` from a whole
/// run whose `R = replicates.len()` independent randomisations (replicates
/// of equal size) estimated it at `replicates`: `estimate -+ t s / sqrt(R)`,
/// `s` being the replicates' sample standard deviation and `t` Student's
/// 97.5 % quantile with `R - 1` degrees of freedom (Owen 2013, Monte Carlo
/// theory, methods and examples, section 17.1, on randomised quasi-Monte
/// Carlo). `None` when there are fewer than two replicates; when every one
/// gave the same value the interval is that value, as a normal interval of
/// draws without spread is.
///
/// ```
/// use nexus_mc::stats::replicate_interval;
/// let (lo, hi) = replicate_interval(10.0, &[9.0, 11.0, 10.0, 10.0]).unwrap();
/// // s = sqrt(2/3), t(3) = 3.182: half-width 3.182 x 0.408 = 1.30.
/// assert!((hi - 10.0 - 1.2991).abs() < 1e-3 && (10.0 - lo - 1.2991).abs() < 1e-3);
/// assert_eq!(replicate_interval(0.0, &[0.0; 16]), Some((0.0, 0.0)));
/// assert_eq!(replicate_interval(0.0, &[0.0]), None);
/// ```
pub fn replicate_interval(estimate: f64, replicates: &[f64]) -> Option<(f64, f64)> {
    let se = replicate_std_error(replicates)?;
    let half = student_t(replicates.len() - 1) * se;
    Some((estimate - half, estimate + half))
}

/// The standard error `s / sqrt(R)` of a whole run's estimate read from
/// its `R` replicates' estimates (see [`replicate_interval`]); `None` when
/// there are fewer than two.
///
/// ```
/// use nexus_mc::stats::replicate_std_error;
/// assert_eq!(replicate_std_error(&[1.0, 3.0]), Some(1.0));
/// assert_eq!(replicate_std_error(&[1.0]), None);
/// ```
pub fn replicate_std_error(replicates: &[f64]) -> Option<f64> {
    let r = replicates.len();
    if r < 2 {
        return None;
    }
    let n = r as f64;
    let mean = replicates.iter().sum::<f64>() / n;
    let var = replicates.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Some((var / n).sqrt())
}

/// Student's t quantile at (1 + [`LEVEL`]) / 2 with `df >= 1` degrees of
/// freedom.
fn student_t(df: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    StudentsT::new(0.0, 1.0, df as f64)
        .expect("positive degrees of freedom")
        .inverse_cdf((1.0 + LEVEL) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::function::beta::beta_reg;
    use statrs::function::erf::erf_inv;

    #[test]
    fn z_is_the_normal_quantile_of_the_level() {
        let z = std::f64::consts::SQRT_2 * erf_inv(LEVEL);
        assert!((z - Z).abs() < 1e-12, "{z}");
    }

    /// `P(B <= k)` for `B` binomial (`n`, `q`), by the incomplete beta
    /// function, independently of the sums above.
    fn cdf(n: u64, q: f64, k: i64) -> f64 {
        if k < 0 {
            0.0
        } else if k as u64 >= n {
            1.0
        } else {
            beta_reg((n - k as u64) as f64, k as f64 + 1.0, 1.0 - q)
        }
    }

    #[test]
    fn ranks_are_the_tightest_that_keep_each_tail_within_2_5_percent() {
        for n in [7, 20, 72, 100, 333, 1000, 4096, 20_000] {
            for p in Percentile::BANDS {
                let q = f64::from(p.0) / 100.0;
                let Some((l, u)) = quantile_ranks(p, n) else {
                    continue;
                };
                let (l, u) = (l as i64, u as i64);
                // Each tail holds, and one rank further in would break it.
                assert!(cdf(n, q, l - 1) <= 0.025 + 1e-12, "n {n} P{}", p.0);
                assert!(cdf(n, q, l) > 0.025 - 1e-12, "n {n} P{}", p.0);
                assert!(cdf(n, q, u - 1) >= 0.975 - 1e-12, "n {n} P{}", p.0);
                assert!(cdf(n, q, u - 2) < 0.975 + 1e-12, "n {n} P{}", p.0);
            }
        }
    }

    #[test]
    fn too_few_draws_give_no_interval_and_enough_do() {
        assert_eq!(quantile_ranks(Percentile(5), 71), None);
        assert!(quantile_ranks(Percentile(5), 72).is_some());
        assert_eq!(quantile_ranks(Percentile(50), 5), None);
        assert!(quantile_ranks(Percentile(50), 6).is_some());
        assert_eq!(quantile_ranks(Percentile(50), 0), None);
    }

    #[test]
    fn the_normal_ranks_agree_with_the_binomial_where_they_meet() {
        // Standard deviation 100 at the P5 of n = 210,527: both ways.
        let n = 210_527;
        let q = 0.05;
        let normal = quantile_ranks(Percentile(5), n).unwrap();
        let (below, above) = binomial_bounds(n, q, 0.025);
        let exact = ((below + 1) as u64, (above + 1) as u64);
        // The normal side, slack included, never tighter than the exact
        // ranks, and no more than twice the slack looser.
        assert!(
            normal.0 <= exact.0 && exact.0 - normal.0 <= 4,
            "{normal:?} {exact:?}"
        );
        assert!(
            normal.1 >= exact.1 && normal.1 - exact.1 <= 4,
            "{normal:?} {exact:?}"
        );
    }

    #[test]
    fn the_ranks_of_a_trillion_draws_are_finite_and_ordered() {
        let n = 1_000_000_000_000;
        for p in Percentile::BANDS {
            let (l, u) = quantile_ranks(p, n).unwrap();
            let r = super::super::rank(p, n);
            assert!(l < r && r < u && u <= n, "P{}: {l} {r} {u}", p.0);
        }
    }

    #[test]
    fn wilson_matches_its_closed_form_and_brackets_the_estimate() {
        // Agresti and Coull (1998), table 1 style check: 4 in 20.
        let (lo, hi) = wilson_interval(4, 20);
        assert!(
            (lo - 0.0807).abs() < 1e-4 && (hi - 0.4160).abs() < 1e-4,
            "{lo} {hi}"
        );
        assert_eq!(wilson_interval(20, 20).1, 1.0);
        for (h, n) in [(1, 10), (5, 10), (999, 1000), (17, 1_000_000)] {
            let (lo, hi) = wilson_interval(h, n);
            let p = h as f64 / n as f64;
            assert!(lo < p && p < hi, "{h}/{n}");
        }
    }
}
