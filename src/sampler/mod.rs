//! Sample blocks: one row per run, one column per uncertain parameter, drawn
//! by plain Monte Carlo, Latin hypercube or scrambled Sobol points, with rank
//! correlations imposed by Iman-Conover.
//!
//! Every value depends only on (seed, sampler, total runs, run index) and,
//! for Monte Carlo and correlations, on the chunk: never on threads.
//!
//! A Latin hypercube or Sobol run may be cut into `R >= 2` independent
//! randomisations (replicates; see [`Sampler::with_replicates`]), whose
//! spread states the run's error: chunk `c` belongs to replicate `c mod R`.
//! Then each chunk is a Latin hypercube of its own runs, independent of
//! every other chunk, and each replicate's chunks are consecutive points of
//! its own independently scrambled Sobol sequence.

mod sobol;

use std::fmt;
use std::str::FromStr;

use ndarray::{Array2, ArrayViewMut2, ShapeBuilder};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

pub use sobol::ScrambledSobol;

use crate::arch::{multiversion, Supported};
use crate::config::Scenario;
use crate::correlation::ImanConover;
use crate::distribution::Distribution;
use crate::engine::{CHUNK_RUNS, MAX_REPLICATES};
use crate::hash;
use crate::model::Param;

crate::error::input_error! {
    /// Why a sampler cannot draw the runs asked for.
    SamplerError
}

/// How the unit hypercube is filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SamplerKind {
    /// Independent draws: ChaCha8, one stream per parameter and chunk.
    Mc,
    /// Latin hypercube over the whole run: each of the N equal-probability
    /// strata of every parameter holds exactly one run.
    Lhs,
    /// Owen-scrambled Sobol points (best with N a power of two).
    Sobol,
}

impl SamplerKind {
    /// The name used on the command line and in manifests.
    pub(crate) fn name(self) -> &'static str {
        match self {
            SamplerKind::Mc => "mc",
            SamplerKind::Lhs => "lhs",
            SamplerKind::Sobol => "sobol",
        }
    }
}

impl fmt::Display for SamplerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SamplerKind {
    type Err = crate::model::ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mc" => Ok(SamplerKind::Mc),
            "lhs" => Ok(SamplerKind::Lhs),
            "sobol" => Ok(SamplerKind::Sobol),
            _ => Err(format!("unknown sampler `{s}`: use mc, lhs or sobol").into()),
        }
    }
}

/// Draws sample blocks for the uncertain parameters of a scenario.
#[derive(Clone, Debug)]
pub struct Sampler {
    kind: SamplerKind,
    seed: u64,
    params: Vec<Param>,
    dists: Vec<Distribution>,
    lhs: Vec<hash::Permutation>,
    sobol: Option<ScrambledSobol>,
    correlation: Option<ImanConover>,
    /// Independent randomisations (1: one design over the whole run).
    replicates: u64,
    /// With replicates and Sobol points, each replicate's own scramble.
    replicate_sobols: Vec<ScrambledSobol>,
}

/// Words of uniforms turned into values at a time by Latin hypercube and
/// Sobol samples.
const WORDS: usize = 256;

const MC_LABEL: u64 = 1;
const LHS_LABEL: u64 = 2;
const SOBOL_LABEL: u64 = 3;
const CORRELATION_LABEL: u64 = 4;
const REPLICATE_LABEL: u64 = 5;

multiversion! {
    /// The words of Latin hypercube draws `first ..` of one parameter, for
    /// `quantiles_of_words`: the stratum the permutation gives each run, a
    /// uniform place in it from `key`, as the top 52 bits of a word
    /// (`scale` words a stratum). Compiled for the processor's path, so the
    /// permutation's and the hash's multiplications vectorise.
    fn lhs_words_on(
        lhs: &hash::Permutation,
        key: u64,
        first: u64,
        scale: f64,
        words: &mut [u64],
    ) = lhs_words;
}

#[inline(always)]
fn lhs_words(lhs: &hash::Permutation, key: u64, first: u64, scale: f64, words: &mut [u64]) {
    // Stratum `apply(i)` (below the run count, so below 2^52), a uniform
    // place in it.
    lhs.apply_all(first, words);
    for (word, i) in words.iter_mut().zip(first..) {
        let u = hash::small_as_f64(*word) + hash::unit(key, i);
        *word = whole_part(u * scale).min((1 << 52) - 1) << 12;
    }
}

/// `v as u64` for `v` in `0.0..=2^52`, in arithmetic that vectorises (LLVM
/// compiles the saturating conversion lane by lane, with branches). Adding
/// 2^52 rounds `v` to the nearest integer `k`: the sum is `2^52 + k`, whose
/// bits less those of 2^52 are `k` (at `k = 2^52` the carry into the
/// exponent is worth 2^52 too); one less if that rounded up.
#[inline(always)]
fn whole_part(v: f64) -> u64 {
    const TWO_52: f64 = (1u64 << 52) as f64;
    debug_assert!((0.0..=TWO_52).contains(&v));
    let rounded = v + TWO_52;
    rounded.to_bits() - TWO_52.to_bits() - u64::from(rounded - TWO_52 > v)
}

impl Sampler {
    /// A sampler for the scenario's non-fixed parameters over `runs` runs.
    pub fn new(
        scenario: &Scenario,
        kind: SamplerKind,
        seed: u64,
        runs: u64,
    ) -> Result<Sampler, SamplerError> {
        let params = scenario.uncertain_params();
        let dims = params.len();
        if runs == 0 {
            return Err("the number of runs must be at least 1".into());
        }
        // Beyond it, strata would not all convert to doubles exactly.
        if runs > crate::limits::MAX_RUNS {
            return Err(format!(
                "{runs} runs: at most {} are supported",
                crate::limits::MAX_RUNS
            )
            .into());
        }
        if kind == SamplerKind::Sobol {
            if runs > u64::from(u32::MAX) {
                return Err(
                    format!("sobol supports at most {} runs, asked for {runs}", u32::MAX).into(),
                );
            }
            if dims > sobol::max_dims() {
                return Err(format!(
                    "sobol supports at most {} parameters, the scenario has {dims}",
                    sobol::max_dims()
                )
                .into());
            }
        }
        let lhs = match kind {
            SamplerKind::Lhs => (0..dims)
                .map(|d| {
                    hash::Permutation::new(
                        runs,
                        hash::derive(hash::derive(seed, LHS_LABEL), d as u64),
                        hash::Rounds::current(),
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        let sobol = (kind == SamplerKind::Sobol)
            .then(|| ScrambledSobol::new(dims, hash::derive(seed, SOBOL_LABEL)));
        let correlation = scenario
            .rank_correlation(&params)
            .map_err(|e| SamplerError(e.0))?;
        let dists: Vec<Distribution> = params
            .iter()
            .map(|&p| scenario.parameter(p).distribution.clone())
            .collect();
        dists.par_iter().for_each(Distribution::prepare);
        Ok(Sampler {
            kind,
            seed,
            params,
            dists,
            lhs,
            sobol,
            correlation,
            replicates: 1,
            replicate_sobols: Vec::new(),
        })
    }

    /// The same sampler cut into `replicates` independent randomisations
    /// (1 leaves it as it is): chunk `c` (of [`CHUNK_RUNS`] runs) belongs to
    /// replicate `c mod replicates`. A Latin hypercube then stratifies each
    /// chunk on its own, with keys of its own; a Sobol replicate `r` takes
    /// its chunks' points, in order, from a sequence scrambled for `r`
    /// alone. Monte Carlo draws are iid already and take no replicates.
    ///
    /// ```
    /// use nexus_mc::config::Scenario;
    /// use nexus_mc::sampler::{Sampler, SamplerKind};
    ///
    /// let central = Scenario::load("central").unwrap();
    /// let lhs = Sampler::new(&central, SamplerKind::Lhs, 7, 65_536).unwrap();
    /// let replicated = lhs.with_replicates(16).unwrap();
    /// assert_eq!(replicated.block(3, 3 * 2048, 2048).nrows(), 2048);
    /// let mc = Sampler::new(&central, SamplerKind::Mc, 7, 65_536).unwrap();
    /// assert!(mc.with_replicates(16).is_err());
    /// ```
    pub fn with_replicates(mut self, replicates: u64) -> Result<Sampler, SamplerError> {
        if replicates == 1 {
            return Ok(self);
        }
        if self.kind == SamplerKind::Mc {
            return Err(format!(
                "{replicates} replicates of mc draws: Monte Carlo draws are iid, and their \
                 intervals need no replicates; replicates are for --sampler lhs or sobol"
            )
            .into());
        }
        if !(2..=MAX_REPLICATES).contains(&replicates) {
            return Err(format!(
                "{replicates} replicates: give 2 to {MAX_REPLICATES} (16 is usual)"
            )
            .into());
        }
        if let Some(sobol) = &self.sobol {
            let key = hash::derive(self.seed, REPLICATE_LABEL);
            self.replicate_sobols = (0..replicates)
                .map(|r| sobol.rekeyed(hash::derive(key, r)))
                .collect();
        }
        self.lhs.clear();
        self.replicates = replicates;
        Ok(self)
    }

    /// The uncertain parameters, in column order.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// Runs `start .. start + len` (chunk number `chunk`) as a block of
    /// `len` rows and one column per uncertain parameter.
    ///
    /// # Panics
    /// With replicates ([`Sampler::with_replicates`]), if the runs do not
    /// lie in chunk `chunk` (runs `2048 chunk .. 2048 (chunk + 1)`), which
    /// decides their replicate.
    pub fn block(&self, chunk: u64, start: u64, len: usize) -> Array2<f64> {
        let first = chunk * CHUNK_RUNS;
        assert!(
            self.replicates == 1 || (start >= first && start + len as u64 <= first + CHUNK_RUNS),
            "runs {start}.. are not in chunk {chunk}"
        );
        // Column-major: a column is drawn, correlated and read in one sweep.
        let mut block = Array2::zeros((len, self.params.len()).f());
        self.block_into(chunk, start, block.view_mut());
        block
    }

    /// As [`Sampler::block`], into `block` (so a worker can reuse one
    /// buffer): its rows are the runs from `start`, and each of its columns,
    /// one per parameter, must be contiguous.
    ///
    /// # Panics
    /// If `block` does not have one column per parameter, or a column that
    /// is not contiguous.
    pub(crate) fn block_into(&self, chunk: u64, start: u64, mut block: ArrayViewMut2<f64>) {
        assert_eq!(block.ncols(), self.params.len(), "a column per parameter");
        match self.kind {
            SamplerKind::Mc => {
                // One stream per parameter and chunk: a column's draws do not
                // depend on how many random numbers other columns took.
                let key = hash::derive(self.seed, MC_LABEL);
                for (d, (dist, column)) in self.dists.iter().zip(block.columns_mut()).enumerate() {
                    let mut rng = ChaCha8Rng::seed_from_u64(hash::derive(key, d as u64));
                    rng.set_stream(chunk);
                    dist.sample_into(&mut rng, column.into_slice().expect("column-major"));
                }
            }
            // Column by column, as words for `quantiles_of_words` (as Monte
            // Carlo draws are): the block is column-major, a column's family
            // is looked at once, and a beta's table draws go in groups.
            SamplerKind::Lhs => {
                // One hypercube over the run, or (with replicates) over
                // this chunk alone, its runs counted from 0.
                let chunk_lhs: Vec<hash::Permutation>;
                let (lhs, seed, start) = if self.replicates > 1 {
                    let by = hash::Rounds::current();
                    let key = hash::derive(hash::derive(self.seed, REPLICATE_LABEL), chunk);
                    chunk_lhs = (0..self.params.len())
                        .map(|d| {
                            let k = hash::derive(hash::derive(key, LHS_LABEL), d as u64);
                            hash::Permutation::new(block.nrows() as u64, k, by)
                        })
                        .collect();
                    (chunk_lhs.as_slice(), key, 0)
                } else {
                    (self.lhs.as_slice(), self.seed, start)
                };
                // Top 52 bits of the word (all a uniform is made of) per unit
                // of stratum, without a division a value.
                let strata = lhs.first().map_or(1, hash::Permutation::len) as f64;
                let scale = (1u64 << 52) as f64 / strata;
                let mut words = [0u64; WORDS];
                let isa = Supported::current();
                for (d, mut column) in block.columns_mut().into_iter().enumerate() {
                    let key = hash::derive(seed, (LHS_LABEL << 32) | d as u64);
                    let column = column.as_slice_mut().expect("column-major");
                    for (part, first) in column.chunks_mut(WORDS).zip((start..).step_by(WORDS)) {
                        let words = &mut words[..part.len()];
                        lhs_words_on(isa, &lhs[d], key, first, scale, words);
                        self.dists[d].quantiles_of_words(words, part);
                    }
                }
            }
            SamplerKind::Sobol => {
                // With replicates, the chunk's points of its replicate's
                // own sequence: chunk `c` is that sequence's chunk `c / R`.
                let (sobol, start) = if self.replicates > 1 {
                    let r = chunk % self.replicates;
                    let local =
                        (chunk / self.replicates) * CHUNK_RUNS + (start - chunk * CHUNK_RUNS);
                    (&self.replicate_sobols[r as usize], local)
                } else {
                    (self.sobol.as_ref().expect("built for sobol"), start)
                };
                let mut words = [0u64; WORDS];
                for (d, mut column) in block.columns_mut().into_iter().enumerate() {
                    let column = column.as_slice_mut().expect("column-major");
                    for (part, first) in column.chunks_mut(WORDS).zip((start..).step_by(WORDS)) {
                        let words = &mut words[..part.len()];
                        sobol.words(d, first, words);
                        self.dists[d].quantiles_of_words(words, part);
                    }
                }
            }
        }
        if let Some(c) = &self.correlation {
            c.apply(
                block.reborrow(),
                hash::derive(hash::derive(self.seed, CORRELATION_LABEL), chunk),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_parts_are_the_truncating_conversion() {
        let two_52 = (1u64 << 52) as f64;
        let mut values = vec![
            0.0,
            5e-324,
            1e-300,
            0.5,
            1.0,
            1.5,
            2.5,
            two_52 - 0.5,
            two_52,
        ];
        // Every power of two up to 2^52, with its neighbours and the halves
        // either side (ties round to even in the sum).
        for b in 0..=52 {
            let k = (1u64 << b) as f64;
            values.extend([k.next_down(), k, k.next_up(), k - 0.5, k + 0.5]);
        }
        // Values spread over every magnitude.
        values.extend((0..100_000).map(|i| two_52 * hash::unit(9, i).powi(8)));
        for v in values.into_iter().filter(|v| (0.0..=two_52).contains(v)) {
            assert_eq!(whole_part(v), v as u64, "{v:e}");
        }
    }
}
