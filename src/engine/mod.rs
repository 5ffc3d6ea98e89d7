//! The Monte Carlo engine: draws parameter sets chunk by chunk, evaluates the
//! model in parallel and accumulates bands and claim counts.
//!
//! A run of `runs` runs is cut into chunks of [`CHUNK_RUNS`]. A chunk's
//! sample depends only on (seed, sampler, runs, chunk index), and every
//! result merges exactly in any order (counts, sketches, kept values, and
//! moments summed in wide fixed point), so the result is the same for any
//! number of threads, any scheduling and any split into shards, in memory
//! that does not grow with the runs (sketch quantiles).
//!
//! ```
//! use nexus_mc::config::Scenario;
//! use nexus_mc::engine::{Engine, RunPlan};
//! use nexus_mc::Control;
//!
//! let scenario = Scenario::load("central").unwrap();
//! let engine = Engine::new(&scenario, RunPlan::new(2_000)).unwrap();
//! let summary = engine.run(&Control::default()).unwrap().summary(engine.claims());
//! let share = summary.claim(nexus_mc::claims::names::GDP_SHARE).unwrap();
//! assert_eq!(share.runs, 2_000);
//! assert!((0.0..=1.0).contains(&share.probability()));
//! ```

mod accumulator;
mod plan;
mod shard;
pub(crate) mod tile;

use std::sync::Mutex;

use ndarray::{s, Array2, ShapeBuilder};
use rayon::prelude::*;

pub(crate) use accumulator::{column, COLUMNS, HISTOGRAMS, MIN_REPLICATE_HITS};
pub use accumulator::{
    Accumulator, Band, ClaimResult, HistogramOf, Refinement, Summary, BAND_METRICS, HISTOGRAM_BINS,
};
pub use plan::{QuantileMethod, RunPlan, Shard, CHUNK_RUNS, MAX_REPLICATES};
pub use shard::{merge_shards, RunIdentity, ShardState, STATE_FILE};

use crate::claims::Claim;
use crate::config::Scenario;
use crate::control::Control;
use crate::limits;
use crate::model::{Metric, Model, Outputs, Param, ParamSet};
use crate::sampler::Sampler;
use crate::table::number;
use accumulator::Windows;
use tile::{prefetch_rows, write_group, GROUP, TILE, TILE_STRIDE};

impl RunPlan {
    /// Memory this shard needs on `threads` threads, in bytes (an upper
    /// estimate): the kept values of exact quantiles, one accumulator per
    /// thread and one more (the sketches the pilot refined, which every
    /// accumulator starts from). With replicates, each replicate's own
    /// accumulator (its sketches, or for exact quantiles its moments), and
    /// kept values twice (the pooled quantiles are read from a copy of
    /// every replicate's). With sketch quantiles it does not
    /// grow with the runs.
    pub(crate) fn memory(&self, threads: usize) -> f64 {
        let copies = if self.replicates > 1 { 2.0 } else { 1.0 };
        let exact = match self.quantiles {
            // Kept values, allocated once in run order.
            QuantileMethod::Exact => copies * self.shard_runs() as f64 * (COLUMNS * 8) as f64,
            QuantileMethod::Sketch => 0.0,
        };
        // A replicate's own accumulator: sketches, or for exact quantiles
        // only its moments and claim counts (about 110 kB; 256 kB counted).
        let replicates = if self.replicates > 1 {
            self.replicates as f64
        } else {
            0.0
        };
        let per_replicate = match self.quantiles {
            QuantileMethod::Exact => (1 << 18) as f64,
            QuantileMethod::Sketch => Accumulator::SKETCHES_BYTES as f64,
        };
        // Sketches, and a worker's tile, sample block and group of outputs.
        let scratch = COLUMNS * TILE_STRIDE * 8
            + (CHUNK_RUNS as usize + BLOCK_PAD) * Param::COUNT * 8
            + GROUP * std::mem::size_of::<Outputs>();
        let per_thread = (Accumulator::SKETCHES_BYTES + scratch) as f64;
        exact + (threads + 1) as f64 * per_thread + replicates * per_replicate
    }

    /// Checks the plan against [`limits::MAX_RUNS`] and the memory of this
    /// machine, before anything is allocated.
    pub(crate) fn check_size(&self, threads: usize) -> Result<(), EngineError> {
        if self.runs > limits::MAX_RUNS {
            return Err(EngineError::Plan(format!(
                "{} runs is more than the {} one run may have; a run of 10^9 runs already \
                 puts the Monte Carlo error of a probability below 0.00002",
                number(self.runs as f64, 0),
                number(limits::MAX_RUNS as f64, 0)
            )));
        }
        // A suggestion that works: sketch quantiles if they fit, else the
        // most threads that fit (with sketch quantiles), else fewer runs.
        // Each is checked with 15 % to spare, so that the free memory of a
        // moment later (page cache comes and goes) still takes it.
        let fits = |need: f64| limits::fits(need * 1.15);
        let sketch = RunPlan {
            quantiles: QuantileMethod::Sketch,
            ..*self
        };
        let exact = self.quantiles == QuantileMethod::Exact;
        let instead = if exact && fits(sketch.memory(threads)) {
            "use --quantiles sketch, whose memory does not grow with the runs".to_string()
        } else {
            match (1..threads).rev().find(|&t| fits(sketch.memory(t))) {
                Some(t) => format!(
                    "use --threads {t} or fewer{}",
                    if exact {
                        " with --quantiles sketch"
                    } else {
                        ""
                    }
                ),
                // Sketch memory does not shrink with fewer runs.
                None => format!(
                    "even one thread with sketch quantiles needs about {}, whatever the runs: \
                     raise the limit or free memory",
                    limits::bytes(sketch.memory(1))
                ),
            }
        };
        // Each replicate keeps its own sketches.
        let instead = if self.replicates > 1 && !exact {
            format!("{instead}, or give fewer --replicates (each keeps its own sketches)")
        } else {
            instead
        };
        let what = if self.shard.count == 1 {
            format!("a run of {} runs", number(self.runs as f64, 0))
        } else {
            format!(
                "shard {} of a run of {} runs",
                self.shard,
                number(self.runs as f64, 0)
            )
        };
        limits::check_memory(self.memory(threads), &what, &instead)
            .map_err(|e| EngineError::Plan(e.0))
    }
}

/// Why a run did not finish.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The plan cannot be run (a bad flag combination); the text says why.
    #[error("{0}")]
    Plan(String),
    /// The caller cancelled the run.
    #[error("interrupted")]
    Interrupted,
    /// The model produced NaN or an infinity.
    #[error(
        "run {run} gave {metric} {year} = {value}; the model is undefined for these inputs: {inputs}"
    )]
    NonFinite {
        /// Global run index.
        run: u64,
        /// The metric.
        metric: &'static str,
        /// The year.
        year: i32,
        /// The value.
        value: f64,
        /// The run's uncertain inputs, `name=value` separated by commas.
        inputs: String,
    },
    /// A sample sink failed.
    #[error("cannot write samples: {0}")]
    Samples(#[from] std::io::Error),
}

/// Key outputs written per run by `--samples`.
pub const SAMPLE_OUTPUTS: [(Metric, i32); 5] = [
    (Metric::GdpTotal, 2035),
    (Metric::GdpSharePct, 2035),
    (Metric::Jobs, 2035),
    (Metric::NpvCum, 2035),
    (Metric::NpvCum, 2050),
];

/// The drawn inputs and key outputs of one chunk, for `--samples`.
pub struct SampleBlock {
    /// Global index of the first run.
    pub first_run: u64,
    /// One row per run, one column per uncertain parameter.
    pub inputs: Array2<f64>,
    /// One row per run, one column per [`SAMPLE_OUTPUTS`] entry.
    pub outputs: Array2<f64>,
}

/// Receives each chunk's [`SampleBlock`], in run order.
pub type SampleSink<'a> = &'a mut (dyn FnMut(&SampleBlock) -> std::io::Result<()> + Send);

/// A scenario ready to run.
pub struct Engine {
    model: Model,
    sampler: Sampler,
    base: ParamSet,
    claims: Vec<Claim>,
    plan: RunPlan,
    identity: RunIdentity,
    /// Each column's output at the scenario's medians: the shift its
    /// moments are summed around.
    shifts: Vec<f64>,
    /// For sketch quantiles, what the pilot fixed (see [`Refinement`]).
    refinement: Option<Refinement>,
}

impl Engine {
    /// Prepares `plan` on `scenario`: checks the plan and builds the
    /// sampler; for sketch quantiles it also runs the pilot, the run's
    /// first 32,768 runs (at most), which locates the band percentiles (see
    /// [`Refinement`]) and can fail as a run does, with
    /// [`EngineError::NonFinite`].
    pub fn new(scenario: &Scenario, plan: RunPlan) -> Result<Engine, EngineError> {
        crate::arch::Isa::selected().map_err(|e| EngineError::Plan(e.to_string()))?;
        if plan.runs == 0 {
            return Err(EngineError::Plan(
                "the number of runs must be at least 1".into(),
            ));
        }
        if plan.quantiles == QuantileMethod::Exact && plan.runs > limits::MAX_EXACT_RUNS {
            return Err(EngineError::Plan(format!(
                "exact quantiles may keep every value ({} bytes a run), so they stop at {} runs \
                 ({:.1} GB); {} runs need --quantiles sketch (relative error 2^-12 at the band \
                 percentiles, about 0.02 %)",
                COLUMNS * 8,
                number(limits::MAX_EXACT_RUNS as f64, 0),
                (limits::MAX_EXACT_RUNS * COLUMNS as u64 * 8) as f64 / 1e9,
                number(plan.runs as f64, 0),
            )));
        }
        if plan.shard.index >= plan.shard.count {
            return Err(EngineError::Plan(format!(
                "shard {} does not exist",
                plan.shard
            )));
        }
        if plan.shard.count > plan.chunks() {
            return Err(EngineError::Plan(format!(
                "--shard {}: {} shards, but {} runs make {} chunk{} of {CHUNK_RUNS}, and each \
                 shard needs at least one; use at most {} shard{} or more runs",
                plan.shard,
                crate::table::count(plan.shard.count),
                number(plan.runs as f64, 0),
                plan.chunks(),
                if plan.chunks() == 1 { "" } else { "s" },
                plan.chunks(),
                if plan.chunks() == 1 { "" } else { "s" },
            )));
        }
        if plan.replicates > plan.chunks() {
            return Err(EngineError::Plan(format!(
                "{} replicates need a chunk of {CHUNK_RUNS} runs each, at least {} runs; \
                 {} runs make {} chunk{}: use more runs or fewer replicates",
                plan.replicates,
                number((plan.replicates * CHUNK_RUNS) as f64, 0),
                number(plan.runs as f64, 0),
                plan.chunks(),
                if plan.chunks() == 1 { "" } else { "s" },
            )));
        }
        plan.check_size(rayon::current_num_threads())?;
        let sampler = Sampler::new(scenario, plan.sampler, plan.seed, plan.runs)
            .and_then(|s| s.with_replicates(plan.replicates))
            .map_err(|e| EngineError::Plan(e.0))?;
        let mut claims = Claim::default_set();
        claims.extend(scenario.claims.iter().cloned());
        let identity = RunIdentity::new(scenario, &plan, &claims);
        let model = Model::new(&scenario.schedules);
        let mut at_medians = Outputs::default();
        model.evaluate(&scenario.point(), &mut at_medians);
        let shifts = (0..COLUMNS)
            .map(|c| {
                let (metric, year) = column(c);
                at_medians.at(metric, year)
            })
            .collect();
        let mut engine = Engine {
            model,
            shifts,
            sampler,
            base: scenario.point(),
            claims,
            plan,
            identity,
            refinement: None,
        };
        if plan.quantiles == QuantileMethod::Sketch {
            // The pilot: the run's first chunks, the same in every shard.
            let pilot_chunks = plan.chunks().min(Refinement::PILOT_CHUNKS);
            let pilot = engine.run_chunks(pilot_chunks, |i| i, &Control::default(), None, None)?;
            engine.refinement = Some(Refinement::from_pilot(pilot, plan.runs));
        }
        Ok(engine)
    }

    /// An empty accumulator for this run's chunks.
    /// For exact quantiles it keeps no values: [`Engine::run_chunks`] keeps
    /// them in run order.
    /// With `windows`, it keeps the values they keep.
    fn fresh(&self, windows: Option<&Windows>) -> Accumulator {
        match (&self.refinement, self.plan.quantiles) {
            (Some(r), _) => Accumulator::refined(self.claims.len(), &self.shifts, r),
            (None, QuantileMethod::Exact) if windows.is_some() => {
                let windows = windows.expect("windows");
                Accumulator::windowed(self.claims.len(), &self.shifts, windows)
            }
            (None, QuantileMethod::Exact) => {
                Accumulator::without_kept_values(self.claims.len(), &self.shifts)
            }
            (None, QuantileMethod::Sketch) => {
                Accumulator::new(QuantileMethod::Sketch, self.claims.len(), &self.shifts)
            }
        }
    }

    /// The plan being run.
    pub fn plan(&self) -> &RunPlan {
        &self.plan
    }

    /// The claims counted: the default set, then the scenario's own.
    pub fn claims(&self) -> &[Claim] {
        &self.claims
    }

    /// The uncertain parameters, in sample column order.
    pub fn params(&self) -> &[Param] {
        self.sampler.params()
    }

    /// What identifies this run's results (for manifests and shard merging).
    pub fn identity(&self) -> &RunIdentity {
        &self.identity
    }

    /// Evaluates this shard's chunks and returns what they accumulate, on
    /// the rayon pool it is called from; `control` may cancel it and hears
    /// the shard's runs, then each chunk's as it finishes. A long exact run
    /// keeps only the values its summary reads from (a pilot places them), so
    /// its accumulator can be summarised but not merged or written to a
    /// shard state: use [`Engine::run_mergeable`] for that.
    pub fn run(&self, control: &Control<'_>) -> Result<Accumulator, EngineError> {
        self.run_inner(control, None, true)
    }

    /// As [`Engine::run`], with an accumulator that merges with other
    /// shards' and can be written to a shard state (an exact run keeps
    /// every value).
    pub fn run_mergeable(&self, control: &Control<'_>) -> Result<Accumulator, EngineError> {
        self.run_inner(control, None, false)
    }

    /// As [`Engine::run`], handing each chunk's inputs and key outputs to
    /// `sink` in run order.
    pub(crate) fn run_with_samples(
        &self,
        control: &Control<'_>,
        sink: SampleSink<'_>,
    ) -> Result<Accumulator, EngineError> {
        self.run_inner(control, Some(sink), false)
    }

    /// Evaluates chunks `chunks` of a whole (unsharded) run and returns
    /// what they accumulate, handing samples to `sink` in run order: one
    /// step of a `--precision` run, merged with the steps before.
    pub(crate) fn run_range(
        &self,
        chunks: std::ops::Range<u64>,
        control: &Control<'_>,
        sink: Option<SampleSink<'_>>,
    ) -> Result<Accumulator, EngineError> {
        let start = chunks.start;
        self.run_chunks(chunks.end - start, move |i| start + i, control, sink, None)
    }

    /// Evaluates this shard's chunks; with `windowed`, a long exact run
    /// keeps only the values around the ranks it reads.
    fn run_inner(
        &self,
        control: &Control<'_>,
        sink: Option<SampleSink<'_>>,
        windowed: bool,
    ) -> Result<Accumulator, EngineError> {
        let Shard { index, count } = self.plan.shard;
        let chunk_of = move |i| index + i * count;
        // An exact run in one process (whose samples need not be written
        // twice) keeps only the values around the ranks it reads, unless a
        // rank falls outside them: then it runs again keeping every value.
        // Either way the summary is the same, to the bit.
        if windowed
            && self.plan.quantiles == QuantileMethod::Exact
            && count == 1
            && sink.is_none()
            && self.plan.chunks() >= Self::WINDOWED_CHUNKS
        {
            let pilot = self.run_chunks(
                Refinement::PILOT_CHUNKS,
                |i| i,
                &Control::default(),
                None,
                None,
            )?;
            let smallest = self.plan.runs / self.plan.replicates;
            let workers = rayon::current_num_threads();
            let windows = Windows::from_pilot(pilot, smallest, workers);
            if let Some(acc) = self.run_windowed(&windows, control)? {
                return Ok(acc);
            }
        }
        control.start(self.plan.shard_runs());
        self.run_chunks(self.plan.shard_chunks(), chunk_of, control, sink, None)
    }

    /// Evaluates the whole run keeping the values `windows` keep; `None`
    /// if a rank the summary reads falls outside them.
    fn run_windowed(
        &self,
        windows: &Windows,
        control: &Control<'_>,
    ) -> Result<Option<Accumulator>, EngineError> {
        control.start(self.plan.runs);
        let chunks = self.plan.chunks();
        // Without replicates, the first quarter of the run places narrower
        // windows for the rest (a quarter of the kept values, or fewer, in
        // place of one pilot's wider windows throughout).
        let first = match self.plan.replicates {
            1 => chunks / Self::NARROWING_SHARE,
            _ => chunks,
        };
        let mut acc = self.run_chunks(first, |i| i, control, None, Some(windows))?;
        if first < chunks {
            let rest_runs = self.plan.runs - acc.runs();
            let workers = rayon::current_num_threads();
            let narrow = acc.narrow_windows(self.plan.runs, rest_runs, workers);
            let rest =
                self.run_chunks(chunks - first, |i| first + i, control, None, Some(&narrow))?;
            acc.absorb(rest);
        }
        Ok(acc.windows_cover().then_some(acc))
    }

    /// The fewest chunks for which an exact run keeps only the values
    /// around the ranks it reads (see [`Windows`]): its pilot's runs are
    /// then at most a quarter of the run.
    const WINDOWED_CHUNKS: u64 = 4 * Refinement::PILOT_CHUNKS;

    /// A windowed run without replicates narrows its windows after the
    /// first `1 / NARROWING_SHARE` of its chunks (see
    /// [`Accumulator::narrow_windows`]).
    const NARROWING_SHARE: u64 = 4;

    /// Evaluates chunks `chunk_of(0) .. chunk_of(chunks - 1)`.
    fn run_chunks(
        &self,
        chunks: u64,
        chunk_of: impl Fn(u64) -> u64 + Sync + Send + Copy,
        control: &Control<'_>,
        mut sink: Option<SampleSink<'_>>,
        windows: Option<&Windows>,
    ) -> Result<Accumulator, EngineError> {
        // Workers take an accumulator of the chunk's replicate from the pool
        // for each chunk and put it back, so a few stay warm in cache
        // instead of one per chunk. Which chunk lands in which accumulator
        // varies, and does not matter: counts, sketches and the exact sums
        // behind the moments merge exactly in any order (see
        // `Accumulator::merge`).
        let pool = Mutex::new(Vec::<(u64, Accumulator)>::new());
        let scratches = Mutex::new(Vec::<Scratch>::new());
        // Exact quantiles keep every value: each chunk writes its rows of
        // its replicate's columns, laid out in run order and allocated once
        // (no vector grows or is copied into another), `rows[i]` being
        // chunk i's rows.
        let mut kept = match windows {
            Some(_) => None,
            None => self.kept_columns(chunks, &chunk_of),
        };
        let mut rows = self.kept_rows(&mut kept, chunks, &chunk_of).into_iter();
        let one_chunk = |c: u64, keep_samples: bool, mut rows: Vec<&mut [f64]>| {
            let replicate = self.plan.replicate_of(c);
            let taken = {
                let mut pool = pool.lock().expect("no panic holds the lock");
                let at = pool.iter().rposition(|(r, _)| *r == replicate);
                at.map(|i| pool.swap_remove(i).1)
            };
            let mut acc = taken.unwrap_or_else(|| self.fresh(windows));
            let taken = scratches.lock().expect("no panic holds the lock").pop();
            let mut scratch = taken.unwrap_or_else(|| Scratch::new(self.sampler.params().len()));
            let samples = self.chunk(c, &mut acc, &mut scratch, &mut rows, control, keep_samples);
            pool.lock()
                .expect("no panic holds the lock")
                .push((replicate, acc));
            scratches
                .lock()
                .expect("no panic holds the lock")
                .push(scratch);
            samples
        };
        let replicates = self.plan.replicates;
        // Per replicate, its accumulators merged so far.
        let mut totals: Vec<Option<Accumulator>> = (0..replicates).map(|_| None).collect();
        match sink.as_mut() {
            // One parallel pass over every chunk of the shard, listing none
            // and keeping nothing per chunk: batches would make the threads
            // wait for each batch's slowest chunk.
            None if rows.len() == 0 => (0..chunks)
                .into_par_iter()
                .try_for_each(|i| one_chunk(chunk_of(i), false, Vec::new()).map(drop))?,
            None => rows
                .collect::<Vec<_>>()
                .into_par_iter()
                .enumerate()
                .try_for_each(|(i, rows)| one_chunk(chunk_of(i as u64), false, rows).map(drop))?,
            // Batches keep `--samples` blocks in run order with bounded memory.
            Some(sink) => {
                let batch = 4 * rayon::current_num_threads() as u64;
                for start in (0..chunks).step_by(batch as usize) {
                    let end = chunks.min(start + batch);
                    let batch_rows: Vec<_> = (start..end)
                        .map(|_| rows.next().unwrap_or_default())
                        .collect();
                    let samples: Vec<Option<SampleBlock>> = batch_rows
                        .into_par_iter()
                        .enumerate()
                        .map(|(j, rows)| one_chunk(chunk_of(start + j as u64), true, rows))
                        .collect::<Result<_, _>>()?;
                    for block in samples.iter().flatten() {
                        sink(block)?;
                    }
                    if replicates > 1 {
                        settle(&pool, &mut totals);
                    }
                }
            }
        }
        settle(&pool, &mut totals);
        let mut replicates: Vec<Accumulator> = totals
            .into_iter()
            .map(|acc| acc.unwrap_or_else(|| self.fresh(windows)))
            .collect();
        if let Some(kept) = kept {
            for (acc, columns) in replicates.iter_mut().zip(kept) {
                acc.keep_values(columns);
            }
        }
        Ok(match replicates.len() {
            1 => replicates.pop().expect("one replicate"),
            _ => Accumulator::of_replicates(replicates),
        })
    }

    /// For exact quantiles, per replicate one zeroed column a band column,
    /// as long as that replicate's runs among the chunks `chunk_of(0) ..
    /// chunk_of(chunks - 1)`; `None` for sketches.
    fn kept_columns(
        &self,
        chunks: u64,
        chunk_of: &impl Fn(u64) -> u64,
    ) -> Option<Vec<Vec<Vec<f64>>>> {
        if self.plan.quantiles != QuantileMethod::Exact {
            return None;
        }
        let mut runs = vec![0usize; self.plan.replicates as usize];
        for i in 0..chunks {
            let c = chunk_of(i);
            runs[self.plan.replicate_of(c) as usize] += self.plan.chunk_len(c);
        }
        Some(
            runs.into_iter()
                .map(|n| (0..COLUMNS).map(|_| zeroed_column(n)).collect())
                .collect(),
        )
    }

    /// Each chunk's rows of every kept column of its replicate, chunk by
    /// chunk in run order (none without kept columns).
    fn kept_rows<'k>(
        &self,
        kept: &'k mut Option<Vec<Vec<Vec<f64>>>>,
        chunks: u64,
        chunk_of: &impl Fn(u64) -> u64,
    ) -> Vec<Vec<&'k mut [f64]>> {
        let Some(replicates) = kept else {
            return Vec::new();
        };
        // Per replicate and column, the rows not yet handed out.
        let mut rest: Vec<Vec<&mut [f64]>> = replicates
            .iter_mut()
            .map(|columns| columns.iter_mut().map(|c| c.as_mut_slice()).collect())
            .collect();
        (0..chunks)
            .map(|i| {
                let c = chunk_of(i);
                let len = self.plan.chunk_len(c);
                rest[self.plan.replicate_of(c) as usize]
                    .iter_mut()
                    .map(|column| {
                        let (rows, after) = std::mem::take(column).split_at_mut(len);
                        *column = after;
                        rows
                    })
                    .collect()
            })
            .collect()
    }

    /// Evaluates chunk `chunk` into `acc`; returns its samples if asked.
    /// `kept`: for exact quantiles, the chunk's rows of every kept column
    /// (empty for sketches).
    fn chunk(
        &self,
        chunk: u64,
        acc: &mut Accumulator,
        scratch: &mut Scratch,
        kept: &mut [&mut [f64]],
        control: &Control<'_>,
        keep_samples: bool,
    ) -> Result<Option<SampleBlock>, EngineError> {
        if control.cancelled() {
            return Err(EngineError::Interrupted);
        }
        let first_run = chunk * CHUNK_RUNS;
        let len = self.plan.chunk_len(chunk);
        let Scratch {
            inputs,
            tile,
            tile_at,
            group,
        } = scratch;
        let tile = &mut tile[*tile_at..][..COLUMNS * TILE_STRIDE];
        let params = self.sampler.params();
        let mut inputs = inputs.slice_mut(s![..len, ..]);
        self.sampler.block_into(chunk, first_run, inputs.view_mut());
        let mut outputs = keep_samples.then(|| Array2::zeros((len, SAMPLE_OUTPUTS.len())));
        // A group's parameter sets: the scenario's point values, with the
        // uncertain ones overwritten for each group.
        let mut group_sets = [self.base; GROUP];
        // Each parameter's column as a plain slice.
        let mut columns = [&[][..]; Param::COUNT];
        for (column, input) in columns.iter_mut().zip(inputs.columns()) {
            *column = input.to_slice().expect("column-major");
        }
        let columns = &columns[..params.len()];
        for tile_start in (0..len).step_by(TILE) {
            let rows = TILE.min(len - tile_start);
            for group_start in (0..rows).step_by(GROUP) {
                let outs = &mut group[..GROUP.min(rows - group_start)];
                let first = tile_start + group_start;
                let sets = &mut group_sets[..outs.len()];
                prefetch_rows(self.model.isa(), tile, group_start);
                // Column by column, so that reads run along each column.
                for (&p, column) in params.iter().zip(columns) {
                    for (set, &x) in sets.iter_mut().zip(&column[first..][..outs.len()]) {
                        set[p] = x;
                    }
                }
                for (k, (out, set)) in outs.iter_mut().zip(&*sets).enumerate() {
                    let run = first + k;
                    self.model.evaluate(set, out);
                    for (hits, claim) in acc.hits_mut().iter_mut().zip(&self.claims) {
                        *hits += u64::from(claim.holds(out));
                    }
                    if let Some(o) = outputs.as_mut() {
                        for (j, &(metric, year)) in SAMPLE_OUTPUTS.iter().enumerate() {
                            o[[run, j]] = out.at(metric, year);
                        }
                    }
                }
                write_group(self.model.isa(), outs, tile, group_start);
            }
            if let Err(bad) = acc.add_tile(tile, TILE_STRIDE, rows) {
                let run = tile_start + bad.row;
                let (metric, year) = column(bad.column);
                let inputs = params
                    .iter()
                    .zip(inputs.row(run))
                    .map(|(p, &x)| format!("{p}={}", p.format_value(x)))
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(EngineError::NonFinite {
                    run: first_run + run as u64,
                    metric: metric.name(),
                    year,
                    value: bad.value,
                    inputs,
                });
            }
            for (c, column) in kept.iter_mut().enumerate() {
                column[tile_start..tile_start + rows]
                    .copy_from_slice(&tile[c * TILE_STRIDE..][..rows]);
            }
        }
        control.advance(len as u64);
        Ok(outputs.map(|outputs| SampleBlock {
            first_run,
            inputs: inputs.to_owned(),
            outputs,
        }))
    }
}

/// Merges the accumulators in `pool` into `totals`, replicate by replicate.
fn settle(pool: &Mutex<Vec<(u64, Accumulator)>>, totals: &mut [Option<Accumulator>]) {
    for (r, acc) in pool.lock().expect("no panic holds the lock").drain(..) {
        match &mut totals[r as usize] {
            Some(total) => total.absorb(acc),
            slot => *slot = Some(acc),
        }
    }
}

/// `len` zeros, in memory the system gives zeroed as it is first touched
/// (in parallel, by the workers that write it), in huge pages where the
/// system grants them: a kept column of 10^6 runs is 4 huge pages instead
/// of 2,000 small ones to fault in.
fn zeroed_column(len: usize) -> Vec<f64> {
    let column = vec![0.0; len];
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = (column.as_ptr() as usize).next_multiple_of(HUGE);
        let end = (column.as_ptr() as usize + len * 8) / HUGE * HUGE;
        if end > start {
            // SAFETY: advice on whole pages inside the column's own
            // allocation; it changes how pages are backed, never their
            // contents or who may use them.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    column
}

/// Rows of padding after each column of a worker's sample block: columns
/// 2,048 runs long would all start in the same cache sets, so that reading
/// one run's inputs across them would evict its own lines.
const BLOCK_PAD: usize = 8;

/// A worker's buffers, kept from chunk to chunk: the sample block and the
/// tile of outputs (every entry is written before it is read).
struct Scratch {
    inputs: Array2<f64>,
    /// The tile, from `tile_at` on: at a cache line's start, so that each
    /// group of eight runs a transpose stores and each eight values an
    /// accumulator loads are one line, not two halves of two (glibc's
    /// malloc starts an allocation this large 16 bytes into a page).
    tile: Vec<f64>,
    tile_at: usize,
    /// The outputs of a group of runs on their way into the tile.
    group: Vec<Outputs>,
}

impl Scratch {
    /// Buffers for a sampler of `params` uncertain parameters.
    fn new(params: usize) -> Scratch {
        const LINE: usize = 64 / std::mem::size_of::<f64>();
        let tile = vec![0.0; COLUMNS * TILE_STRIDE + LINE - 1];
        Scratch {
            inputs: Array2::zeros((CHUNK_RUNS as usize + BLOCK_PAD, params).f()),
            tile_at: tile.as_ptr().align_offset(64).min(LINE - 1),
            tile,
            group: vec![Outputs::default(); GROUP],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampler::SamplerKind;
    use crate::stats::RankWindow;

    /// An exact run long enough to keep values through windows.
    fn long_exact(sampler: SamplerKind, replicates: u64) -> Engine {
        let plan = RunPlan {
            runs: Engine::WINDOWED_CHUNKS * CHUNK_RUNS + 517,
            seed: 11,
            sampler,
            quantiles: QuantileMethod::Exact,
            shard: Shard::WHOLE,
            replicates,
        };
        Engine::new(&Scenario::load("central").unwrap(), plan).unwrap()
    }

    /// Its summary, to the bit (`Debug` tells -0.0 from 0.0).
    fn summary_text(engine: &Engine, mut acc: Accumulator) -> String {
        format!("{:?}", acc.summary(engine.claims()))
    }

    /// The tile starts at a cache line and has every column's room.
    #[test]
    fn a_workers_tile_starts_at_a_cache_line() {
        for params in [1, 20] {
            let scratch = Scratch::new(params);
            let tile = &scratch.tile[scratch.tile_at..];
            assert_eq!(tile.as_ptr() as usize % 64, 0);
            assert!(tile.len() >= COLUMNS * TILE_STRIDE);
        }
    }

    #[test]
    fn windows_keep_a_fraction_of_the_values_and_read_the_same_summary() {
        for (sampler, replicates) in [(SamplerKind::Mc, 1), (SamplerKind::Lhs, 4)] {
            let engine = long_exact(sampler, replicates);
            let runs = engine.plan.runs;
            let every =
                engine.run_chunks(engine.plan.chunks(), |i| i, &Control::default(), None, None);
            let every = every.unwrap();
            assert_eq!(every.kept_values(), runs as usize * COLUMNS);
            let pilot = engine
                .run_chunks(
                    Refinement::PILOT_CHUNKS,
                    |i| i,
                    &Control::default(),
                    None,
                    None,
                )
                .unwrap();
            let windows = Windows::from_pilot(pilot, runs / replicates, 2);
            let windowed = engine.run_windowed(&windows, &Control::default()).unwrap();
            let windowed = windowed.expect("the pilot's windows cover every rank");
            let kept = windowed.kept_values() as f64 / (runs as usize * COLUMNS) as f64;
            assert!(kept < 0.5, "{sampler}: kept {kept}");
            assert_eq!(
                summary_text(&engine, windowed),
                summary_text(&engine, every),
                "{sampler}"
            );
            // And the public entry, which takes the same path.
            let run = engine.run(&Control::default()).unwrap();
            assert!(run.kept_values() < runs as usize * COLUMNS / 2);
        }
    }

    /// A run without replicates narrows its windows after its first
    /// quarter: from windows that keep everything, the rest of the run
    /// keeps a fraction, and the summary is the same to the bit.
    #[test]
    fn the_first_quarter_narrows_the_windows_and_the_summary_stays_the_same() {
        let engine = long_exact(SamplerKind::Mc, 1);
        let runs = engine.plan.runs as usize;
        let every = engine.run_chunks(engine.plan.chunks(), |i| i, &Control::default(), None, None);
        let wide = Windows::of(vec![RankWindow::everything(); COLUMNS]);
        let narrowed = engine.run_windowed(&wide, &Control::default()).unwrap();
        let narrowed = narrowed.expect("windows from a quarter of the run cover every rank");
        // A quarter of the runs kept whole, and a third or less of the rest.
        let kept = narrowed.kept_values() as f64 / (runs * COLUMNS) as f64;
        assert!(kept < 0.6, "kept {kept}");
        assert_eq!(
            summary_text(&engine, narrowed),
            summary_text(&engine, every.unwrap())
        );
    }

    #[test]
    fn a_window_that_misses_a_rank_is_refused_and_the_run_keeps_everything() {
        let engine = long_exact(SamplerKind::Mc, 1);
        let far = Windows::of(vec![RankWindow::around(&[(1e300, 1e300)]); COLUMNS]);
        assert!(engine
            .run_windowed(&far, &Control::default())
            .unwrap()
            .is_none());
        // A window missing one column's median alone is refused as well.
        let mut windows = vec![RankWindow::everything(); COLUMNS];
        windows[60] = RankWindow::around(&[(f64::NEG_INFINITY, -1e300)]);
        let one_missing = Windows::of(windows);
        assert!(engine
            .run_windowed(&one_missing, &Control::default())
            .unwrap()
            .is_none());
        // Windows that keep everything (but zeros, only counted) read what
        // keeping every value reads, zeros included.
        let all = Windows::of(vec![RankWindow::everything(); COLUMNS]);
        let kept = engine.run_windowed(&all, &Control::default()).unwrap();
        let kept = kept.expect("everything is covered");
        let every = engine.run_chunks(engine.plan.chunks(), |i| i, &Control::default(), None, None);
        let every = every.unwrap();
        assert!(kept.kept_values() < every.kept_values());
        assert_eq!(summary_text(&engine, kept), summary_text(&engine, every));
    }
}
