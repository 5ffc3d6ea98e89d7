//! `run --precision`: run until chosen statistics are known to a stated
//! half-width of their 95 % interval, capped by the number of runs.
//!
//! A spec lists targets, `NAME=WIDTH` separated by commas:
//!
//! - `NAME` is `METRIC:YEAR:STAT` (`STAT` is `mean` or `p05` ... `p95`, a
//!   column of `bands.csv`) or `claims` (every claim's probability);
//! - `WIDTH` is the half-width of the 95 % interval to reach: absolute, in
//!   the statistic's unit (`0.001`), or relative to its estimate (`0.5%`).
//!
//! `default` (or the flag alone) is [`DEFAULT_SPEC`].
//!
//! The run stops only at checkpoints: 2^16 runs, then a grid that grows by
//! about 5 % a step (at least one chunk of 2,048 runs; rounding up to
//! whole chunks makes the first steps up to 6.25 %). A replicated LHS or
//! Sobol run (`--replicates R`) steps by whole multiples of R chunks, so
//! that every randomisation holds the same runs at each checkpoint (but a
//! cap that is not such a multiple, where the last chunks fall to the
//! first replicates). At each it predicts,
//! from the half-widths so far (which shrink as one over the square root of
//! the runs), the checkpoint where every target will be met, and runs on to
//! it. The checkpoints depend only on the results at earlier checkpoints,
//! which are the same bits on any number of threads, so the run stops at
//! the same place and writes the same bytes however it is run.
//!
//! ```
//! use nexus_mc::precision::PrecisionSpec;
//! let spec: PrecisionSpec = "gdp_share_pct:2035:p50=0.5%,claims=0.001".parse().unwrap();
//! assert_eq!(spec.targets().len(), 2);
//! assert!("claims=-1".parse::<PrecisionSpec>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::engine::{Summary, CHUNK_RUNS};
use crate::model::{Metric, FIRST_YEAR, LAST_YEAR};
use crate::stats::Percentile;

crate::error::input_error! {
    /// Why a `--precision` spec cannot be read.
    PrecisionError
}

/// The targets `--precision` sets when given alone: the 2035 GDP share's
/// P5, median and P95 and the 2035 jobs' median to 0.5 % of their value,
/// and every claim's probability to 0.001.
pub const DEFAULT_SPEC: &str = "gdp_share_pct:2035:p05=0.5%,gdp_share_pct:2035:p50=0.5%,\
gdp_share_pct:2035:p95=0.5%,jobs:2035:p50=0.5%,claims=0.001";

/// The first checkpoint: 2^16 runs (32 chunks).
pub const FIRST_CHECKPOINT: u64 = 1 << 16;

/// Each checkpoint lies this factor past the one before, rounded up to
/// whole chunks (so at least one chunk).
const GROWTH: f64 = 1.05;

/// What a target is about.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Statistic {
    /// The mean (`None`) or a band percentile of one metric in one year.
    Band {
        /// The metric.
        metric: Metric,
        /// The year.
        year: i32,
        /// The percentile, or `None` for the mean.
        percentile: Option<Percentile>,
    },
    /// Every claim's probability.
    Claims,
}

/// A half-width to reach.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HalfWidth {
    /// In the statistic's unit.
    Absolute(f64),
    /// As a share of the estimate's size (0.005 for `0.5%`).
    Relative(f64),
}

/// One target: a statistic and the half-width it must reach.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// What is measured.
    pub statistic: Statistic,
    /// How precisely.
    pub half_width: HalfWidth,
    /// The half-width as written (`0.001`, `0.5%`).
    pub written: String,
}

/// The targets of a `--precision` spec.
#[derive(Clone, Debug, PartialEq)]
pub struct PrecisionSpec {
    targets: Vec<Target>,
    text: String,
}

impl PrecisionSpec {
    /// The targets, in the order given.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// What a run of `runs` runs (at most `cap`) reached, looking at
    /// `checkpoints`: every target's outcome in `summary`, and whether all
    /// are met.
    pub fn report(
        &self,
        summary: &Summary,
        cap: u64,
        runs: u64,
        checkpoints: Vec<u64>,
    ) -> PrecisionReport {
        let statistics = self.outcomes(summary);
        PrecisionReport {
            spec: self.to_string(),
            cap,
            runs,
            reached: statistics.iter().all(|o| o.met),
            checkpoints,
            statistics,
        }
    }

    /// What each target's statistic reached in `summary`, claims expanded
    /// one by one.
    pub fn outcomes(&self, summary: &Summary) -> Vec<Outcome> {
        let mut out = Vec::new();
        for t in &self.targets {
            match t.statistic {
                Statistic::Band {
                    metric,
                    year,
                    percentile,
                } => {
                    let band = summary.band(metric, year).expect("checked when parsed");
                    let (estimate, interval) = match percentile {
                        None => (band.mean, band.mean_interval),
                        Some(p) => {
                            let k = Percentile::BANDS
                                .iter()
                                .position(|&b| b == p)
                                .expect("checked when parsed");
                            (band.percentiles()[k], band.percentile_intervals[k])
                        }
                    };
                    let stat = percentile.map_or("mean".to_string(), |p| format!("p{:02}", p.0));
                    out.push(Outcome::new(
                        format!("{}:{year}:{stat}", metric.name()),
                        t,
                        estimate,
                        interval,
                    ));
                }
                Statistic::Claims => {
                    for c in &summary.claims {
                        out.push(Outcome::new(
                            format!("claim {}", c.claim.name),
                            t,
                            c.probability(),
                            c.interval(),
                        ));
                    }
                }
            }
        }
        out
    }
}

impl fmt::Display for PrecisionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for PrecisionSpec {
    type Err = PrecisionError;

    fn from_str(text: &str) -> Result<Self, PrecisionError> {
        let text = if text == "default" {
            DEFAULT_SPEC
        } else {
            text
        };
        let usage = "write NAME=WIDTH[,NAME=WIDTH...], NAME being METRIC:YEAR:STAT (STAT \
                     mean or p05, p10, p25, p50, p75, p90, p95) or claims, WIDTH a half-width \
                     such as 0.001 or 0.5%; or `default`";
        let mut targets = Vec::new();
        for item in text.split(',') {
            let (name, width) = item
                .split_once('=')
                .ok_or_else(|| format!("`{item}` is not a target; {usage}"))?;
            let statistic =
                statistic(name.trim()).map_err(|why| format!("`{item}`: {why}; {usage}"))?;
            let half_width =
                half_width(width.trim()).map_err(|why| format!("`{item}`: {why}; {usage}"))?;
            if statistic == Statistic::Claims && matches!(half_width, HalfWidth::Relative(_)) {
                return Err(format!(
                    "`{item}`: a claim's probability takes an absolute half-width such as \
                     0.001 (one that holds in no run has no relative precision to reach)"
                )
                .into());
            }
            targets.push(Target {
                statistic,
                half_width,
                written: width.trim().to_string(),
            });
        }
        Ok(PrecisionSpec {
            targets,
            text: text.to_string(),
        })
    }
}

fn statistic(name: &str) -> Result<Statistic, String> {
    if name == "claims" {
        return Ok(Statistic::Claims);
    }
    let parts: Vec<&str> = name.split(':').collect();
    let [metric, year, stat] = parts[..] else {
        return Err(format!("`{name}` is neither METRIC:YEAR:STAT nor claims"));
    };
    let metric = Metric::from_name(metric)
        .filter(|m| crate::engine::BAND_METRICS.contains(m))
        .ok_or_else(|| {
            format!(
                "`{metric}` is not a metric of bands.csv ({})",
                crate::engine::BAND_METRICS
                    .iter()
                    .map(|m| m.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    let year: i32 = year
        .parse()
        .ok()
        .filter(|y| (FIRST_YEAR..=LAST_YEAR).contains(y))
        .ok_or_else(|| format!("`{year}` is not a year from {FIRST_YEAR} to {LAST_YEAR}"))?;
    let percentile = match stat {
        "mean" => None,
        _ => Some(
            Percentile::BANDS
                .into_iter()
                .find(|p| format!("p{:02}", p.0) == stat)
                .ok_or_else(|| format!("`{stat}` is neither mean nor p05 ... p95"))?,
        ),
    };
    Ok(Statistic::Band {
        metric,
        year,
        percentile,
    })
}

fn half_width(text: &str) -> Result<HalfWidth, String> {
    let (number, relative) = match text.strip_suffix('%') {
        Some(n) => (n, true),
        None => (text, false),
    };
    let x: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a half-width"))?;
    if !(x.is_finite() && x > 0.0) {
        return Err(format!("the half-width `{text}` must be above 0"));
    }
    if relative {
        Ok(HalfWidth::Relative(x / 100.0))
    } else {
        Ok(HalfWidth::Absolute(x))
    }
}

/// What one statistic reached.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// `metric:year:stat`, or `claim NAME`.
    pub statistic: String,
    /// The target, as written (`0.001`, `0.5%`).
    pub target: String,
    /// The half-width to reach, in the terms of `half_width` (0.005 for
    /// `0.5%`).
    pub goal: f64,
    /// The estimate.
    pub estimate: f64,
    /// Its interval's half-width, in the target's terms (relative to the
    /// estimate for a relative target); `None` where the runs give no
    /// interval, or the estimate is 0 under a relative target.
    pub half_width: Option<f64>,
    /// Whether the target is met.
    pub met: bool,
}

impl Outcome {
    fn new(
        statistic: String,
        target: &Target,
        estimate: f64,
        interval: Option<(f64, f64)>,
    ) -> Outcome {
        let absolute = interval.map(|(lo, hi)| 0.5 * (hi - lo));
        let (half_width, goal) = match target.half_width {
            HalfWidth::Absolute(w) => (absolute, w),
            HalfWidth::Relative(r) => (
                absolute
                    .filter(|_| estimate != 0.0)
                    .map(|h| h / estimate.abs()),
                r,
            ),
        };
        Outcome {
            statistic,
            target: target.written.clone(),
            estimate,
            half_width,
            met: half_width.is_some_and(|h| h <= goal),
            goal,
        }
    }
}

/// The grid of checkpoints of a run capped at `cap` runs whose
/// checkpoints fall on whole multiples of `replicates` chunks, so that at
/// every checkpoint each randomisation of a replicated LHS or Sobol run
/// holds the same number of runs (1 for Monte Carlo draws).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoints {
    step: u64,
    cap: u64,
}

impl Checkpoints {
    /// Checkpoints on multiples of `replicates` chunks, capped at `cap`.
    ///
    /// ```
    /// use nexus_mc::precision::{Checkpoints, FIRST_CHECKPOINT};
    /// let grid = Checkpoints::new(16, 10_000_000);
    /// assert_eq!(grid.first(), FIRST_CHECKPOINT);
    /// assert_eq!(grid.next(FIRST_CHECKPOINT) % (16 * 2048), 0);
    /// ```
    pub fn new(replicates: u64, cap: u64) -> Checkpoints {
        Checkpoints {
            step: CHUNK_RUNS * replicates.max(1),
            cap,
        }
    }

    /// The first checkpoint: [`FIRST_CHECKPOINT`] runs or one step,
    /// whichever is more, rounded up to a whole step, or `cap`.
    pub fn first(&self) -> u64 {
        FIRST_CHECKPOINT
            .max(self.step)
            .div_ceil(self.step)
            .saturating_mul(self.step)
            .min(self.cap)
    }

    /// The checkpoint after `at`: about 5 % past it, rounded up to
    /// a whole step (so at least one step), or `cap` if that comes first.
    pub fn next(&self, at: u64) -> u64 {
        let grown = ((at as f64 * GROWTH) as u64)
            .div_ceil(self.step)
            .saturating_mul(self.step);
        grown.max(at.saturating_add(self.step)).min(self.cap)
    }

    /// The first checkpoint at or past `runs` (and past `at`), or `cap`.
    pub fn at_least(&self, runs: f64, at: u64) -> u64 {
        let mut c = self.next(at);
        while (c as f64) < runs && c < self.cap {
            c = self.next(c);
        }
        c
    }
}

/// The runs at which every outcome of `outcomes`, seen at `runs`, should
/// meet its target: half-widths shrink as one over the square root of
/// the runs.
pub fn runs_needed(outcomes: &[Outcome], runs: u64) -> f64 {
    outcomes
        .iter()
        .filter(|o| !o.met)
        .map(|o| match o.half_width {
            Some(h) => runs as f64 * (h / o.goal).powi(2),
            // No interval yet: at least twice the runs.
            None => 2.0 * runs as f64,
        })
        .fold(runs as f64, f64::max)
}

/// What a `--precision` run reached, for the manifest and the summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrecisionReport {
    /// The spec, as given (or [`DEFAULT_SPEC`]).
    pub spec: String,
    /// The most runs allowed (`-n`).
    pub cap: u64,
    /// Runs done.
    pub runs: u64,
    /// Whether every target was met (false: the cap came first, or a shard
    /// that only reports).
    pub reached: bool,
    /// The checkpoints at which the run looked, in order; empty for a shard,
    /// which runs its planned runs and only reports.
    pub checkpoints: Vec<u64>,
    /// Each statistic at the end.
    pub statistics: Vec<Outcome>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_read_as_written_and_refused_with_the_item_named() {
        let spec: PrecisionSpec = "jobs:2035:mean=0.9%, claims=0.002".parse().unwrap();
        assert_eq!(spec.targets()[0].written, "0.9%");
        assert_eq!(
            spec.targets()[0].half_width,
            HalfWidth::Relative(0.9 / 100.0)
        );
        assert_eq!(spec.targets()[1].statistic, Statistic::Claims);
        for (bad, says) in [
            ("claims=1%", "absolute half-width"),
            ("jobs:2070:p50=1", "not a year"),
            ("jobs:2035:p51=1", "neither mean nor p05"),
            ("tax:2035:p50=1", "not a metric of bands.csv"),
            ("claims=0", "must be above 0"),
            ("claims", "is not a target"),
        ] {
            let err = bad.parse::<PrecisionSpec>().unwrap_err().to_string();
            assert!(err.contains(says), "{bad}: {err}");
        }
        assert_eq!(
            "default".parse::<PrecisionSpec>().unwrap().to_string(),
            DEFAULT_SPEC
        );
    }

    #[test]
    fn checkpoints_grow_by_whole_steps_and_stop_at_the_cap() {
        let cap = 1_000_000;
        for (replicates, first) in [(1, FIRST_CHECKPOINT), (16, FIRST_CHECKPOINT), (64, 1 << 17)] {
            let grid = Checkpoints::new(replicates, cap);
            let step = CHUNK_RUNS * replicates;
            let mut at = grid.first();
            assert_eq!(at, first);
            while at < cap {
                let next = grid.next(at);
                assert!(next > at && (next.is_multiple_of(step) || next == cap));
                assert!(next as f64 <= (at as f64 * GROWTH).max((at + step) as f64) + step as f64);
                at = next;
            }
            assert_eq!(at, cap);
            let target = grid.at_least(300_000.0, grid.first());
            assert!(target.is_multiple_of(step) && target >= 300_000);
        }
        assert_eq!(Checkpoints::new(1, 5000).first(), 5000);
    }
}
