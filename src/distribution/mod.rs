//! Probability distributions in the user's terms: validated constructors, an
//! inverse CDF for stratified and quasi-random samplers, and Monte Carlo
//! draws: the inverse CDF of a uniform, from a checked table for PERT and
//! beta ([`BetaTable`]), and Cheng's algorithm (`rand_distr`) for a beta
//! with a shape below 1.

pub(crate) mod beta_table;

use std::fmt;
use std::sync::{Arc, OnceLock};

use rand::Rng;
use rand_distr::Distribution as _;
use statrs::function::{beta, erf};

pub use beta_table::{BetaTable, MAX_PROBABILITY_ERROR};

crate::error::input_error! {
    /// Why a distribution cannot be built from the values given.
    DistributionError
}

/// A distribution of one scalar parameter.
///
/// ```
/// use nexus_mc::distribution::Distribution;
/// let d = Distribution::triangular(0.0, 1.0, 2.0).unwrap();
/// assert_eq!(d.quantile(0.5), 1.0);
/// assert!(Distribution::triangular(0.0, 3.0, 2.0).is_err());
/// ```
#[derive(Clone, Debug)]
pub enum Distribution {
    /// Always this value.
    Fixed(f64),
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Triangular on `[min, max]` with peak at `mode`.
    Triangular {
        /// Lower bound.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Upper bound.
        max: f64,
    },
    /// `min + (max - min) * Beta(alpha, beta)`; a PERT is one of these.
    ScaledBeta {
        /// First shape.
        alpha: f64,
        /// Second shape.
        beta: f64,
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
        /// Whether the user gave it as a PERT (for display).
        pert: bool,
        /// How Monte Carlo draws the unit beta.
        sampler: BetaSampler,
    },
    /// Normal with `mean` and standard deviation `sd`.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// Normal(`mean`, `sd`) conditioned on `[min, max]`.
    TruncNormal {
        /// Mean of the untruncated normal.
        mean: f64,
        /// Standard deviation of the untruncated normal.
        sd: f64,
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// `exp(Normal(mu, sigma))`, given by median and P90 or by mean and sd.
    LogNormal {
        /// Mean of the log.
        mu: f64,
        /// Standard deviation of the log.
        sigma: f64,
    },
    /// One of `values` with the given probabilities.
    Choice {
        /// The values (choice indices for switches).
        values: Vec<f64>,
        /// Cumulative probabilities, the last one exactly 1.
        cumulative: Vec<f64>,
    },
    /// One of `values`, each equally likely.
    Empirical {
        /// The values, sorted.
        sorted: Vec<f64>,
    },
}

/// Tolerance on "probabilities sum to 1".
pub(crate) const WEIGHT_TOLERANCE: f64 = 1e-9;
/// Default PERT shape.
pub(crate) const PERT_LAMBDA: f64 = 4.0;
/// How Monte Carlo draws the unit beta distribution.
#[derive(Clone, Debug)]
pub enum BetaSampler {
    /// Both shapes at least 1 (every PERT): the tabulated inverse CDF of
    /// [`BetaTable`], built on first use (or by [`Distribution::prepare`])
    /// and shared by clones; one uniform a draw.
    Table {
        /// First shape.
        alpha: f64,
        /// Second shape.
        beta: f64,
        /// The table, once built.
        table: Arc<OnceLock<BetaTable>>,
    },
    /// A shape below 1: Cheng's algorithm (`rand_distr::Beta`), exact where
    /// the quantile has no smooth tabulation.
    Cheng(rand_distr::Beta<f64>),
}

impl BetaSampler {
    fn new(alpha: f64, beta: f64) -> Result<Self, DistributionError> {
        if alpha >= 1.0 && beta >= 1.0 {
            Ok(BetaSampler::Table {
                alpha,
                beta,
                table: Arc::default(),
            })
        } else {
            Ok(BetaSampler::Cheng(
                rand_distr::Beta::new(alpha, beta).map_err(|e| e.to_string())?,
            ))
        }
    }

    /// The table, built if this is its first use; `None` for Cheng.
    fn table(&self) -> Option<&BetaTable> {
        match self {
            BetaSampler::Table { alpha, beta, table } => {
                Some(table.get_or_init(|| BetaTable::new(*alpha, *beta)))
            }
            BetaSampler::Cheng(_) => None,
        }
    }

    /// One draw in (0, 1).
    #[inline]
    pub(crate) fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            BetaSampler::Table { .. } => self.table().expect("a table").draw(rng.next_u64()),
            BetaSampler::Cheng(b) => b.sample(rng),
        }
    }
}

/// The smallest probability a sampler's uniform can carry (2^-53): unbounded
/// families never draw beyond their quantiles at `TAIL` and `1 - TAIL`.
pub(crate) const TAIL: f64 = 1.0 / 9_007_199_254_740_992.0;
/// The standard normal's 90th percentile.
const Z90: f64 = 1.281_551_565_544_600_4;

fn finite(name: &str, x: f64) -> Result<f64, DistributionError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(format!("{name} = {x} is not a finite number").into())
    }
}

fn ordered(min: f64, max: f64) -> Result<(), DistributionError> {
    finite("min", min)?;
    finite("max", max)?;
    if min >= max {
        return Err(format!("min = {min} must be below max = {max}").into());
    }
    if !(max - min).is_finite() {
        return Err(format!(
            "[min, max] = [{min}, {max}] is wider than the largest number (max - min \
             overflows); no parameter here needs a range that wide"
        )
        .into());
    }
    Ok(())
}

fn positive_sd(sd: f64) -> Result<(), DistributionError> {
    finite("sd", sd)?;
    if sd > 0.0 {
        Ok(())
    } else {
        Err(format!("sd = {sd} must be > 0").into())
    }
}

/// Largest beta shape accepted. The incomplete-beta inversion behind every
/// beta quantile (statrs 0.18) is accurate to 1e-6 in probability from P0.1
/// to P99.9 for both shapes within [`MIN_BETA_SHAPE`] and 10^4 (tested
/// below, over the whole square); past it the error grows to 1e-3 at 10^6 and the inversion stops
/// converging near 10^7. A beta narrower than this is a fixed value for any
/// purpose here.
pub const MAX_BETA_SHAPE: f64 = 1e4;

/// Smallest beta shape accepted: below 0.5 the same inversion returns
/// values whose probability is off by up to 1 (a P5 above the median), and
/// a beta that steep has nearly all its mass in a rounding error of an end.
pub const MIN_BETA_SHAPE: f64 = 0.5;

/// The PERT shapes accepted: both beta shapes, 1 + lambda times a share,
/// stay within [`MIN_BETA_SHAPE`] and [`MAX_BETA_SHAPE`], and lambda stays
/// far enough from 0 that the mode can be read back from the shapes.
pub const PERT_LAMBDAS: std::ops::RangeInclusive<f64> = 1e-3..=(MAX_BETA_SHAPE - 1.0);

impl Distribution {
    /// A fixed value.
    pub fn fixed(value: f64) -> Result<Self, DistributionError> {
        Ok(Distribution::Fixed(finite("value", value)?))
    }

    /// Uniform on `[min, max]`, `min < max`.
    pub fn uniform(min: f64, max: f64) -> Result<Self, DistributionError> {
        ordered(min, max)?;
        Ok(Distribution::Uniform { min, max })
    }

    /// Triangular on `[min, max]` with `min <= mode <= max`.
    pub fn triangular(min: f64, mode: f64, max: f64) -> Result<Self, DistributionError> {
        ordered(min, max)?;
        finite("mode", mode)?;
        if !(min..=max).contains(&mode) {
            return Err(format!("mode = {mode} must lie in [min, max] = [{min}, {max}]").into());
        }
        Ok(Distribution::Triangular { min, mode, max })
    }

    /// PERT on `[min, max]` with most likely value `mode` and shape `lambda`
    /// (4 in the classic PERT): a beta with
    /// alpha = 1 + lambda (mode - min) / (max - min), beta = 1 + lambda (max - mode) / (max - min).
    pub fn pert(min: f64, mode: f64, max: f64, lambda: f64) -> Result<Self, DistributionError> {
        Self::triangular(min, mode, max)?;
        finite("lambda", lambda)?;
        if !PERT_LAMBDAS.contains(&lambda) {
            return Err(format!(
                "lambda = {lambda} is outside {} to {}: above, the beta inside the PERT can no \
                 longer be inverted in bounded time (for a value this certain use a fixed \
                 value); below, it is a uniform on [min, max] for any purpose (use that)",
                PERT_LAMBDAS.start(),
                crate::table::number(*PERT_LAMBDAS.end(), 0)
            )
            .into());
        }
        let range = max - min;
        let alpha = 1.0 + lambda * (mode - min) / range;
        let beta = 1.0 + lambda * (max - mode) / range;
        Self::scaled_beta(alpha, beta, min, max, true)
    }

    /// Beta with shapes `alpha`, `beta`, rescaled to `[min, max]`.
    pub(crate) fn beta(
        alpha: f64,
        beta: f64,
        min: f64,
        max: f64,
    ) -> Result<Self, DistributionError> {
        Self::scaled_beta(alpha, beta, min, max, false)
    }

    /// Beta on `[min, max]` with the given mean and standard deviation.
    pub fn beta_mean_sd(mean: f64, sd: f64, min: f64, max: f64) -> Result<Self, DistributionError> {
        ordered(min, max)?;
        positive_sd(sd)?;
        finite("mean", mean)?;
        let m = (mean - min) / (max - min);
        let v = (sd / (max - min)).powi(2);
        if !(m > 0.0 && m < 1.0) {
            return Err(format!(
                "mean = {mean} must lie strictly inside [min, max] = [{min}, {max}]"
            )
            .into());
        }
        if v >= m * (1.0 - m) {
            let most = (max - min) * (m * (1.0 - m)).sqrt();
            return Err(format!("sd = {sd} is too large for a beta with mean {mean} on [{min}, {max}]: it must be below {most:.6}").into());
        }
        let k = m * (1.0 - m) / v - 1.0;
        let (alpha, beta) = (m * k, (1.0 - m) * k);
        if alpha.min(beta) < MIN_BETA_SHAPE {
            // The sd that puts the smaller shape at the floor.
            let most =
                (max - min) * (m * (1.0 - m) / (MIN_BETA_SHAPE / m.min(1.0 - m) + 1.0)).sqrt();
            return Err(format!(
                "sd = {sd} is too large for a beta with mean {mean} on [{min}, {max}]: its \
                 shapes would be {alpha:.3e} and {beta:.3e}, below {MIN_BETA_SHAPE}, where \
                 nearly all its mass sits at the ends; use sd <= {}",
                crate::table::significant(most * 0.9999, 3)
            )
            .into());
        }
        if alpha.max(beta) > MAX_BETA_SHAPE {
            // The sd that puts the larger shape at the ceiling.
            let least =
                (max - min) * (m * (1.0 - m) / (MAX_BETA_SHAPE / m.max(1.0 - m) + 1.0)).sqrt();
            return Err(format!(
                "sd = {sd} is too small for a beta with mean {mean} on [{min}, {max}]: its \
                 shapes would be {alpha:.3e} and {beta:.3e}, above {}, where it can no longer \
                 be inverted in bounded time; use sd >= {} or a fixed value",
                crate::table::number(MAX_BETA_SHAPE, 0),
                crate::table::significant(least * 1.0001, 3)
            )
            .into());
        }
        Self::scaled_beta(alpha, beta, min, max, false)
    }

    fn scaled_beta(
        alpha: f64,
        beta: f64,
        min: f64,
        max: f64,
        pert: bool,
    ) -> Result<Self, DistributionError> {
        ordered(min, max)?;
        for (name, x) in [("alpha", alpha), ("beta", beta)] {
            finite(name, x)?;
            if x <= 0.0 {
                return Err(format!("{name} = {x} must be > 0").into());
            }
            if !(MIN_BETA_SHAPE..=MAX_BETA_SHAPE).contains(&x) {
                return Err(format!(
                    "{name} = {x} is outside {} to {}, the shapes for which the beta is \
                     inverted and drawn in bounded time",
                    MIN_BETA_SHAPE,
                    crate::table::number(MAX_BETA_SHAPE, 0)
                )
                .into());
            }
        }
        let sampler = BetaSampler::new(alpha, beta)?;
        Ok(Distribution::ScaledBeta {
            alpha,
            beta,
            min,
            max,
            pert,
            sampler,
        })
    }

    /// Normal with `sd > 0`.
    pub fn normal(mean: f64, sd: f64) -> Result<Self, DistributionError> {
        finite("mean", mean)?;
        positive_sd(sd)?;
        Ok(Distribution::Normal { mean, sd })
    }

    /// Normal(`mean`, `sd`) truncated to `[min, max]`.
    pub fn trunc_normal(mean: f64, sd: f64, min: f64, max: f64) -> Result<Self, DistributionError> {
        finite("mean", mean)?;
        positive_sd(sd)?;
        ordered(min, max)?;
        let mass = phi((max - mean) / sd) - phi((min - mean) / sd);
        if mass < 1e-12 {
            return Err(format!("[min, max] = [{min}, {max}] holds almost none of Normal({mean}, {sd}): widen it or move the mean").into());
        }
        Ok(Distribution::TruncNormal { mean, sd, min, max })
    }

    /// Lognormal given by its median and 90th percentile, `0 < median < p90`.
    pub fn lognormal_median_p90(median: f64, p90: f64) -> Result<Self, DistributionError> {
        finite("median", median)?;
        finite("p90", p90)?;
        if !(median > 0.0 && p90 > median) {
            return Err(
                format!("needs 0 < median < p90, got median = {median}, p90 = {p90}").into(),
            );
        }
        let mu = median.ln();
        Self::lognormal_checked(mu, (p90.ln() - mu) / Z90, "p90", p90)
    }

    /// A lognormal whose whole support (see [`Self::support`]) is finite,
    /// or an error naming the key (`key` = `value`) that widens it too far.
    fn lognormal_checked(
        mu: f64,
        sigma: f64,
        key: &str,
        value: f64,
    ) -> Result<Self, DistributionError> {
        let d = Distribution::LogNormal { mu, sigma };
        let (lo, hi) = d.support();
        if !(mu.is_finite() && sigma.is_finite() && lo.is_finite() && hi.is_finite() && hi > 0.0) {
            return Err(format!(
                "{key} = {value} makes the lognormal's upper tail overflow the largest number \
                 (log-scale spread {sigma:.3e}); no parameter here spreads that far"
            )
            .into());
        }
        Ok(d)
    }

    /// Lognormal given by its own mean and standard deviation (not those of its log).
    pub(crate) fn lognormal_mean_sd(mean: f64, sd: f64) -> Result<Self, DistributionError> {
        finite("mean", mean)?;
        positive_sd(sd)?;
        if mean <= 0.0 {
            return Err(format!("mean = {mean} must be > 0 for a lognormal").into());
        }
        let s2 = (1.0 + (sd / mean).powi(2)).ln();
        Self::lognormal_checked(mean.ln() - s2 / 2.0, s2.sqrt(), "sd", sd)
    }

    /// One of `values` with probabilities `weights` (summing to 1).
    pub fn choice(values: Vec<f64>, weights: &[f64]) -> Result<Self, DistributionError> {
        if values.is_empty() {
            return Err("values must not be empty".into());
        }
        if values.len() != weights.len() {
            return Err(format!("{} values but {} weights", values.len(), weights.len()).into());
        }
        for (i, &w) in weights.iter().enumerate() {
            if !(w.is_finite() && w >= 0.0) {
                return Err(format!("weights[{i}] = {w} must be a probability >= 0").into());
            }
        }
        let total: f64 = weights.iter().sum();
        if (total - 1.0).abs() > WEIGHT_TOLERANCE {
            return Err(format!(
                "weights sum to {}, must sum to 1",
                (total * 1e9).round() / 1e9
            )
            .into());
        }
        let mut acc = 0.0;
        let mut cumulative: Vec<f64> = weights
            .iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        *cumulative.last_mut().expect("non-empty") = 1.0;
        Ok(Distribution::Choice { values, cumulative })
    }

    /// Each of `values` equally likely.
    pub fn empirical(mut values: Vec<f64>) -> Result<Self, DistributionError> {
        if values.is_empty() {
            return Err("values must not be empty".into());
        }
        if let Some(x) = values.iter().find(|x| !x.is_finite()) {
            return Err(format!("value {x} is not a finite number").into());
        }
        values.sort_by(f64::total_cmp);
        Ok(Distribution::Empirical { sorted: values })
    }

    /// True for a fixed value.
    pub fn is_fixed(&self) -> bool {
        matches!(self, Distribution::Fixed(_))
    }

    /// The smallest and largest value a draw can take. For the normal and
    /// lognormal these are the quantiles at `TAIL` and `1 - TAIL` (about 8.2
    /// standard deviations), the farthest any sampler here reaches.
    pub fn support(&self) -> (f64, f64) {
        match self {
            Distribution::Fixed(x) => (*x, *x),
            Distribution::Uniform { min, max }
            | Distribution::Triangular { min, max, .. }
            | Distribution::ScaledBeta { min, max, .. }
            | Distribution::TruncNormal { min, max, .. } => (*min, *max),
            Distribution::Normal { .. } | Distribution::LogNormal { .. } => {
                (self.quantile(TAIL), self.quantile(1.0 - TAIL))
            }
            Distribution::Choice { values, .. } => values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                    (lo.min(x), hi.max(x))
                }),
            Distribution::Empirical { sorted } => (sorted[0], sorted[sorted.len() - 1]),
        }
    }

    /// All values a discrete distribution can take, or `None` if continuous.
    pub(crate) fn discrete_values(&self) -> Option<&[f64]> {
        match self {
            Distribution::Fixed(x) => Some(std::slice::from_ref(x)),
            Distribution::Choice { values, .. } => Some(values),
            Distribution::Empirical { sorted } => Some(sorted),
            _ => None,
        }
    }

    /// The inverse CDF: the smallest `x` with `P(X <= x) >= u`, for `u` in (0, 1).
    pub fn quantile(&self, u: f64) -> f64 {
        match self {
            Distribution::Fixed(x) => *x,
            Distribution::Uniform { min, max } => min + u * (max - min),
            Distribution::Triangular { min, mode, max } => triangular(*min, *mode, *max, u),
            Distribution::ScaledBeta {
                alpha,
                beta,
                min,
                max,
                ..
            } => min + (max - min) * beta::inv_beta_reg(*alpha, *beta, u),
            Distribution::Normal { mean, sd } => mean + sd * phi_inv(u),
            Distribution::TruncNormal { mean, sd, min, max } => {
                let lo = phi((min - mean) / sd);
                let hi = phi((max - mean) / sd);
                (mean + sd * phi_inv(lo + u * (hi - lo))).clamp(*min, *max)
            }
            Distribution::LogNormal { mu, sigma } => (mu + sigma * phi_inv(u)).exp(),
            Distribution::Choice { values, cumulative } => {
                // The number of cumulative weights below u: for the few
                // values of a switch, counted without branches.
                let below = if cumulative.len() <= SWITCH_VALUES {
                    count_below(cumulative, u)
                } else {
                    cumulative.partition_point(|&c| c < u)
                };
                values[below.min(values.len() - 1)]
            }
            Distribution::Empirical { sorted } => {
                let i = ((u * sorted.len() as f64) as usize).min(sorted.len() - 1);
                sorted[i]
            }
        }
    }

    /// Builds what draws need ahead of the first (the table of a beta), so
    /// that no run waits for it.
    pub fn prepare(&self) {
        if let Distribution::ScaledBeta { sampler, .. } = self {
            sampler.table();
        }
    }

    /// Fills `out` with independent Monte Carlo draws, as [`Self::sample`]
    /// would one by one, but with the random words drawn in bulk and the
    /// family looked at once: a tabulated beta inverts its table, every
    /// other family but Cheng's beta inverts an open-interval uniform
    /// ([`Self::quantiles_of_words`]).
    pub(crate) fn sample_into<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [f64]) {
        match self {
            Distribution::Fixed(x) => return out.fill(*x),
            Distribution::ScaledBeta { sampler, .. } if sampler.table().is_none() => {
                return out.iter_mut().for_each(|x| *x = self.sample(rng));
            }
            _ => {}
        }
        let mut bits = [0u64; 256];
        for part in out.chunks_mut(bits.len()) {
            let bits = &mut bits[..part.len()];
            rng.fill(bits);
            self.quantiles_of_words(bits, part);
        }
    }

    /// The inverse CDF at the uniform `(k + 1/2) 2^-52` of the top 52 bits
    /// `k` of each word of `bits`, into `out` (as long as `bits`): how every
    /// sampler turns its uniforms into values. A beta with a table (both
    /// shapes at least 1, so every PERT) inverts its table, within
    /// [`MAX_PROBABILITY_ERROR`] in probability; every other family is
    /// [`Self::quantile`], a switch's weights counted without branches.
    pub(crate) fn quantiles_of_words(&self, bits: &[u64], out: &mut [f64]) {
        assert_eq!(bits.len(), out.len(), "a word per value");
        let draws = out.iter_mut().zip(bits);
        match self {
            Distribution::Fixed(x) => out.fill(*x),
            Distribution::ScaledBeta {
                min, max, sampler, ..
            } => match sampler.table() {
                Some(table) => table.draw_into(bits, *min, max - min, out),
                None => draws.for_each(|(x, &b)| *x = self.quantile(open01(b))),
            },
            &Distribution::Triangular { min, mode, max } => {
                draws.for_each(|(x, &b)| *x = triangular(min, mode, max, open01(b)));
            }
            Distribution::Choice { values, cumulative } if cumulative.len() <= SWITCH_VALUES => {
                // The weights padded to a fixed eight with weights no u
                // exceeds, so that counting them unrolls.
                let mut padded = [f64::INFINITY; SWITCH_VALUES];
                padded[..cumulative.len()].copy_from_slice(cumulative);
                let last = values.len() - 1;
                draws.for_each(|(x, &b)| {
                    *x = values[count_below(&padded, open01(b)).min(last)];
                });
            }
            _ => draws.for_each(|(x, &b)| *x = self.quantile(open01(b))),
        }
    }

    /// One Monte Carlo draw: a [`BetaSampler`] for the beta family (and so
    /// PERT), the inverse CDF of an open-interval uniform otherwise,
    /// so a draw never leaves [`support`](Self::support).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Distribution::Fixed(x) => *x,
            Distribution::ScaledBeta {
                min, max, sampler, ..
            } => min + (max - min) * sampler.draw(rng),
            _ => self.quantile(rng.sample(rand_distr::Open01)),
        }
    }
}

impl fmt::Display for Distribution {
    /// The distribution in the user's terms, e.g. `pert(1.2, 1.6, 2)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Distribution::Fixed(x) => write!(f, "fixed({x})"),
            Distribution::Uniform { min, max } => write!(f, "uniform({min}, {max})"),
            Distribution::Triangular { min, mode, max } => {
                write!(f, "triangular({min}, {mode}, {max})")
            }
            Distribution::ScaledBeta {
                alpha,
                beta,
                min,
                max,
                pert,
                ..
            } => {
                if *pert {
                    let lambda = alpha + beta - 2.0;
                    let mode = min + (alpha - 1.0) / lambda * (max - min);
                    write!(
                        f,
                        "pert({min}, {}, {max}, lambda {})",
                        round6(mode),
                        round6(lambda)
                    )
                } else {
                    write!(
                        f,
                        "beta({}, {}) on [{min}, {max}]",
                        round6(*alpha),
                        round6(*beta)
                    )
                }
            }
            Distribution::Normal { mean, sd } => write!(f, "normal({mean}, sd {sd})"),
            Distribution::TruncNormal { mean, sd, min, max } => {
                write!(f, "normal({mean}, sd {sd}) on [{min}, {max}]")
            }
            Distribution::LogNormal { mu, sigma } => {
                write!(
                    f,
                    "lognormal(median {}, sigma of log {})",
                    round6(mu.exp()),
                    round6(*sigma)
                )
            }
            Distribution::Choice { values, .. } => write!(f, "choice of {} values", values.len()),
            Distribution::Empirical { sorted } => write!(f, "empirical, {} values", sorted.len()),
        }
    }
}

/// The quantile of `u` of the triangular distribution on [`min`, `max`]
/// peaking at `mode`. Both sides are computed and one is chosen, so that
/// bulk draws vectorise; the side chosen is computed by the same expression
/// as when only it was computed, so the bits are the same.
#[inline(always)]
fn triangular(min: f64, mode: f64, max: f64, u: f64) -> f64 {
    let split = (mode - min) / (max - min);
    let below = min + (u * (max - min) * (mode - min)).sqrt();
    let above = max - ((1.0 - u) * (max - min) * (max - mode)).sqrt();
    if u < split {
        below
    } else {
        above
    }
}

/// Values up to which a choice counts its cumulative weights below u one by
/// one, without branches, instead of searching them.
const SWITCH_VALUES: usize = 8;

/// How many of `cumulative` lie below `u`.
#[inline(always)]
fn count_below(cumulative: &[f64], u: f64) -> usize {
    cumulative.iter().map(|&c| usize::from(c < u)).sum()
}

/// The uniform in (0, 1) of the top 52 bits `k` of `bits`: `(k + 1/2) 2^-52`,
/// as `rand_distr::Open01` makes it.
fn open01(bits: u64) -> f64 {
    ((bits >> 12) as f64 + 0.5) * (1.0 / (1u64 << 52) as f64)
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The standard normal CDF.
pub(crate) fn phi(x: f64) -> f64 {
    0.5 * erf::erfc(-x / std::f64::consts::SQRT_2)
}

/// The standard normal quantile.
pub(crate) fn phi_inv(u: f64) -> f64 {
    -std::f64::consts::SQRT_2 * erf::erfc_inv(2.0 * u)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Over the whole square of accepted shapes, corners included, every
    /// beta quantile from P0.1 to P99.9 (all that `validate`, `tornado` and
    /// `switching` report) is monotone in the probability and inverts to it
    /// within 1e-6: the claim behind [`MIN_BETA_SHAPE`] and
    /// [`MAX_BETA_SHAPE`].
    #[test]
    fn every_accepted_beta_inverts_to_within_1e_6() {
        let shapes = [
            MIN_BETA_SHAPE,
            0.6,
            0.8,
            1.0,
            2.0,
            5.0,
            10.0,
            100.0,
            1e3,
            3e3,
            MAX_BETA_SHAPE,
        ];
        let mut ps: Vec<f64> = (1..200).map(|k| f64::from(k) / 200.0).collect();
        ps.extend([1e-3, 1.0 - 1e-3]);
        ps.sort_by(f64::total_cmp);
        for a in shapes {
            for b in shapes {
                let d = Distribution::beta(a, b, 0.0, 1.0).unwrap();
                let mut previous = 0.0;
                for &p in &ps {
                    let x = d.quantile(p);
                    assert!(x >= previous, "beta({a}, {b}): not monotone at {p}");
                    previous = x;
                    let back = beta::beta_reg(a, b, x);
                    assert!((back - p).abs() <= 1e-6, "beta({a}, {b}) at {p}: {back}");
                }
            }
        }
    }

    /// Bulk draws are the inverse CDF of the words drawn, family by family,
    /// for switches of up to eight values (the unrolled count) and beyond.
    #[test]
    fn bulk_draws_invert_the_words_drawn() {
        use rand::SeedableRng;
        let few = Distribution::choice(vec![5.0, 8.0, 10.0, 15.0], &[0.2, 0.35, 0.3, 0.15]);
        let many = Distribution::choice((0..16).map(f64::from).collect(), &[0.0625; 16]);
        for dist in [
            few.unwrap(),
            many.unwrap(),
            Distribution::Uniform {
                min: -1.0,
                max: 3.0,
            },
            Distribution::triangular(0.5, 0.8, 2.0).unwrap(),
        ] {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
            let mut bits = [0u64; 600];
            rng.clone().fill(&mut bits[..]);
            let mut drawn = [0.0; 600];
            dist.sample_into(&mut rng, &mut drawn);
            for (x, &b) in drawn.iter().zip(&bits) {
                assert_eq!(*x, dist.quantile(open01(b)), "{dist}");
            }
        }
    }

    #[test]
    fn normal_quantile_inverts_the_cdf() {
        for x in [-5.0, -1.0, 0.0, 0.3, 2.5] {
            assert!((phi_inv(phi(x)) - x).abs() < 1e-9, "{x}");
        }
        assert!((phi_inv(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
    }

    #[test]
    fn user_terms_become_the_right_shapes() {
        let d = Distribution::lognormal_median_p90(100.0, 200.0).unwrap();
        assert!((d.quantile(0.5) - 100.0).abs() < 1e-9);
        assert!((d.quantile(0.9) - 200.0).abs() < 1e-9);
        let Distribution::ScaledBeta { alpha, beta, .. } =
            Distribution::pert(0.0, 1.0, 4.0, 4.0).unwrap()
        else {
            panic!()
        };
        assert_eq!((alpha, beta), (2.0, 4.0));
        let Distribution::ScaledBeta { alpha, beta, .. } =
            Distribution::beta_mean_sd(0.5, 0.1, 0.0, 1.0).unwrap()
        else {
            panic!()
        };
        assert!((alpha - 12.0).abs() < 1e-9 && (beta - 12.0).abs() < 1e-9);
    }

    #[test]
    fn discrete_quantiles_step_at_the_cumulative_weights() {
        let d = Distribution::choice(vec![10.0, 20.0, 30.0], &[0.2, 0.5, 0.3]).unwrap();
        assert_eq!(d.quantile(0.1), 10.0);
        assert_eq!(d.quantile(0.2), 10.0);
        assert_eq!(d.quantile(0.2000001), 20.0);
        assert_eq!(d.quantile(0.95), 30.0);
        let e = Distribution::empirical(vec![3.0, 1.0, 2.0, 4.0]).unwrap();
        assert_eq!(
            [0.1, 0.3, 0.6, 0.99].map(|u| e.quantile(u)),
            [1.0, 2.0, 3.0, 4.0]
        );
    }

    #[test]
    fn invalid_parameters_are_explained() {
        assert!(Distribution::uniform(2.0, 1.0)
            .unwrap_err()
            .0
            .contains("min = 2 must be below max = 1"));
        assert!(Distribution::normal(0.0, 0.0)
            .unwrap_err()
            .0
            .contains("sd = 0 must be > 0"));
        assert!(Distribution::normal(f64::NAN, 1.0)
            .unwrap_err()
            .0
            .contains("not a finite number"));
        assert!(Distribution::choice(vec![1.0, 2.0], &[0.5, 0.6])
            .unwrap_err()
            .0
            .contains("sum to 1.1"));
        assert!(Distribution::beta_mean_sd(0.5, 0.6, 0.0, 1.0)
            .unwrap_err()
            .0
            .contains("too large"));
        assert!(Distribution::lognormal_median_p90(2.0, 1.0).is_err());
    }
}
