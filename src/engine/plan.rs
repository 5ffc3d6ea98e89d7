//! What a run is asked to do: how many runs in chunks of [`CHUNK_RUNS`],
//! the seed, the sampler, the quantile method and the shard.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::sampler::SamplerKind;
use crate::stats::LogSketch;

/// Runs per chunk: the unit of random streams, correlation and merging.
pub const CHUNK_RUNS: u64 = 2048;

/// How quantiles are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuantileMethod {
    /// Every value kept: exact order statistics, memory grows with runs.
    Exact,
    /// A [`LogSketch`] per column, refined around the band percentiles a
    /// pilot of the first runs locates: bounded memory, relative error
    /// 2^-12 at the band percentiles (2^-7 should one fall outside).
    Sketch,
}

impl QuantileMethod {
    /// `auto` picks exact quantiles up to this many runs.
    pub const AUTO_EXACT_MAX_RUNS: u64 = 250_000;

    /// Exact up to [`Self::AUTO_EXACT_MAX_RUNS`], sketch above.
    pub fn auto(runs: u64) -> QuantileMethod {
        if runs <= Self::AUTO_EXACT_MAX_RUNS {
            QuantileMethod::Exact
        } else {
            QuantileMethod::Sketch
        }
    }

    /// The name used on the command line and in manifests.
    pub fn name(self) -> &'static str {
        match self {
            QuantileMethod::Exact => "exact",
            QuantileMethod::Sketch => "sketch",
        }
    }

    /// Bound on the relative error of a reported quantile, whatever the
    /// pilot found (a run's
    /// [`Summary::quantile_error`](crate::engine::Summary::quantile_error)
    /// is usually smaller).
    pub(crate) fn relative_error(self) -> f64 {
        match self {
            QuantileMethod::Exact => 0.0,
            QuantileMethod::Sketch => LogSketch::RELATIVE_ERROR,
        }
    }
}

/// One of `count` shards of a run: it evaluates chunks `index`,
/// `index + count`, `index + 2 count`, ... (`index` counts from 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, 0-based.
    pub index: u64,
    /// How many shards share the run.
    pub count: u64,
}

impl Shard {
    /// The whole run in one process.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// The chunks of a run with `chunks` chunks that this shard evaluates.
    pub fn chunks(self, chunks: u64) -> impl Iterator<Item = u64> {
        (self.index..chunks).step_by(self.count as usize)
    }
}

impl FromStr for Shard {
    type Err = crate::model::ValueError;
    fn from_str(s: &str) -> Result<Shard, Self::Err> {
        let usage = "write K/N: shard K (counting from 0) of N, e.g. 0/4 ... 3/4";
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not a shard; {usage}"))?;
        let (Ok(index), Ok(count)) = (k.trim().parse::<u64>(), n.trim().parse::<u64>()) else {
            return Err(format!("`{s}` is not a shard; {usage}").into());
        };
        if count == 0 {
            return Err(format!("`{s}`: the number of shards must be at least 1").into());
        }
        if index >= count {
            return Err(format!(
                "`{s}`: shard numbers count from 0, so with {count} shards K is 0..{}",
                count - 1
            )
            .into());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What to run: everything the results depend on, plus the shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunPlan {
    /// Runs in the whole run (all shards together).
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// How the parameter space is sampled.
    pub sampler: SamplerKind,
    /// How quantiles are computed.
    pub quantiles: QuantileMethod,
    /// Which part of the run this process evaluates.
    pub shard: Shard,
    /// Independent randomisations of a Latin hypercube or Sobol run, 1 or
    /// 2 to [`MAX_REPLICATES`]: with `R >= 2`, chunk `c` belongs to
    /// replicate `c mod R`, each replicate an independent sample (see
    /// [`crate::sampler`]), and every interval is read from the spread of
    /// the replicates' estimates. Monte Carlo runs have 1: their draws are
    /// iid, and their intervals need no replicates.
    pub replicates: u64,
}

/// The most replicates a run may have.
pub const MAX_REPLICATES: u64 = 1024;

impl RunPlan {
    /// `runs` Monte Carlo runs, seed 42, automatic quantiles, one process.
    pub fn new(runs: u64) -> RunPlan {
        RunPlan {
            runs,
            seed: 42,
            sampler: SamplerKind::Mc,
            quantiles: QuantileMethod::auto(runs),
            shard: Shard::WHOLE,
            replicates: 1,
        }
    }

    /// The replicate chunk `chunk` belongs to (0 without replicates).
    pub fn replicate_of(&self, chunk: u64) -> u64 {
        chunk % self.replicates
    }

    /// Number of chunks of the whole run.
    pub fn chunks(&self) -> u64 {
        self.runs.div_ceil(CHUNK_RUNS)
    }

    /// Number of chunks this shard evaluates.
    pub fn shard_chunks(&self) -> u64 {
        self.chunks()
            .saturating_sub(self.shard.index)
            .div_ceil(self.shard.count)
    }

    /// Runs this shard evaluates (computed, not counted: a plan of 10^12
    /// runs lists no chunks).
    pub fn shard_runs(&self) -> u64 {
        let chunks = self.shard_chunks();
        let last = self.chunks() - 1;
        let holds_last = chunks > 0 && (last - self.shard.index).is_multiple_of(self.shard.count);
        let short = if holds_last {
            CHUNK_RUNS - self.chunk_len(last) as u64
        } else {
            0
        };
        chunks * CHUNK_RUNS - short
    }

    pub(crate) fn chunk_len(&self, chunk: u64) -> usize {
        (self.runs - chunk * CHUNK_RUNS).min(CHUNK_RUNS) as usize
    }
}
