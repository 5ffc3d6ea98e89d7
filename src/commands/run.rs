//! `run` and `merge`: the Monte Carlo job and the step that joins the shards
//! of a job array.

use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use super::{finish, OutputSet};
use crate::config::Scenario;
use crate::engine::{
    merge_shards, Accumulator, Engine, QuantileMethod, RunIdentity, RunPlan, SampleBlock,
    SampleSink, Shard, ShardState, Summary, CHUNK_RUNS, STATE_FILE,
};
use crate::error::{Error, Result};
use crate::output::{self, Manifest, OutDir};
use crate::precision::{self, Checkpoints, PrecisionReport, PrecisionSpec};
use crate::report::{ReportData, RunFiles};
use crate::sampler::SamplerKind;
use crate::Control;

/// What `run` does.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The scenario.
    pub scenario: Scenario,
    /// Model runs in the whole run (all shards together).
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// How parameter sets are drawn.
    pub sampler: SamplerKind,
    /// Quantiles kept exactly or sketched; `None` picks
    /// [`QuantileMethod::auto`] for the number of runs.
    pub quantiles: Option<QuantileMethod>,
    /// The shard this process evaluates, if it is one of a job array.
    pub shard: Option<Shard>,
    /// `--precision`: run until these targets are met, `runs` being the
    /// cap (a shard runs its planned runs and only reports them).
    pub precision: Option<PrecisionSpec>,
    /// `--replicates`: independent randomisations of a Latin hypercube or
    /// Sobol run, whose spread gives its intervals; `None` picks
    /// [`DEFAULT_REPLICATES`] for those samplers under `--precision`, else 1.
    pub replicates: Option<u64>,
}

/// The replicates a `--precision` run with `--sampler lhs` or `sobol`
/// draws when `--replicates` is not given.
pub const DEFAULT_REPLICATES: u64 = 16;

impl RunOptions {
    /// `runs` runs of `scenario` with the defaults of `nexus-mc run`: seed
    /// 42, Monte Carlo draws, quantiles as [`QuantileMethod::auto`] picks,
    /// no shards.
    pub fn new(scenario: Scenario, runs: u64) -> RunOptions {
        RunOptions {
            scenario,
            runs,
            seed: 42,
            sampler: SamplerKind::Mc,
            quantiles: None,
            shard: None,
            precision: None,
            replicates: None,
        }
    }

    /// The replicates asked for, or their default.
    fn replicates(&self) -> u64 {
        self.replicates.unwrap_or(
            if self.precision.is_some() && self.sampler != SamplerKind::Mc {
                DEFAULT_REPLICATES
            } else {
                1
            },
        )
    }

    fn plan(&self) -> RunPlan {
        RunPlan {
            replicates: self.replicates(),
            runs: self.runs,
            seed: self.seed,
            sampler: self.sampler,
            quantiles: self
                .quantiles
                .unwrap_or_else(|| QuantileMethod::auto(self.runs)),
            shard: self.shard.unwrap_or(Shard::WHOLE),
        }
    }
}

/// What `merge` does.
#[derive(Clone, Debug)]
pub struct MergeOptions {
    /// The output directories of `run --shard K/N`, one for every K of
    /// one run.
    pub dirs: Vec<PathBuf>,
}

/// What `run` or `merge` found, in memory.
pub struct RunResults {
    /// `"run"` or `"merge"`.
    command: &'static str,
    /// The scenario, if known (a merge knows only the files' checksums).
    pub scenario: Option<Scenario>,
    /// What identifies the run: scenario files, seed, runs, sampler.
    pub identity: RunIdentity,
    /// Bands, claim probabilities and histograms.
    pub summary: Summary,
    /// For `run --precision`: the targets and what was reached.
    pub precision: Option<PrecisionReport>,
    /// The shard this process evaluated, if one.
    pub shard: Option<Shard>,
    /// Runs counted here (the shard's, or the whole run's).
    pub runs: u64,
    /// For a merge: the shard directories joined.
    pub merged_shards: Option<u64>,
    /// For a merge: the shards' own wall time, summed, in seconds.
    pub shard_seconds: f64,
    /// Worker threads.
    pub threads: usize,
    /// For a shard: what `merge` combines (see [`ShardState`]).
    state: Option<ShardState>,
    started: SystemTime,
    clock: Instant,
}

/// `run`: draws parameter sets from the scenario, evaluates the model for
/// each in parallel and summarises the outputs.
pub fn run(opts: &RunOptions, control: &Control<'_>) -> Result<RunResults> {
    run_with_samples(opts, control, None)
}

/// As [`run`], handing each chunk's inputs and key outputs to `sink`, in
/// run order (the `--samples` file).
pub fn run_with_samples(
    opts: &RunOptions,
    control: &Control<'_>,
    sink: Option<SampleSink<'_>>,
) -> Result<RunResults> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let plan = opts.plan();
    if let Some(spec) = &opts.precision {
        check_precision(spec, &plan)?;
    }
    control.guard(|| {
        let engine = Engine::new(&opts.scenario, plan)?;
        let mut identity = engine.identity().clone();
        let (acc, summary, precision) = match &opts.precision {
            Some(spec) if opts.shard.is_none() => {
                let (acc, summary, report) = run_to_precision(&engine, spec, control, sink)?;
                // The run is the runs it did; the cap is in the report.
                identity.runs = report.runs;
                (acc, summary, Some(report))
            }
            _ => {
                let mut acc: Accumulator = match sink {
                    Some(sink) => engine.run_with_samples(control, sink)?,
                    // A shard's state is merged later: it keeps every value.
                    None if opts.shard.is_some() => engine.run_mergeable(control)?,
                    None => engine.run(control)?,
                };
                control.check()?;
                let summary = acc.summary(engine.claims());
                // A shard runs its planned runs and only reports precision.
                let report = opts.precision.as_ref().map(|spec| PrecisionReport {
                    // Only reported: a shard's runs were planned, not reached.
                    reached: false,
                    ..spec.report(&summary, plan.runs, acc.runs(), Vec::new())
                });
                (acc, summary, report)
            }
        };
        let runs = acc.runs();
        let state = opts.shard.map(|shard| ShardState {
            identity: identity.clone(),
            shard,
            accumulator: acc,
        });
        Ok(RunResults {
            command: "run",
            scenario: Some(opts.scenario.clone()),
            identity,
            summary,
            precision,
            shard: opts.shard,
            runs,
            merged_shards: None,
            shard_seconds: 0.0,
            threads: rayon::current_num_threads(),
            state,
            started,
            clock,
        })
    })
}

/// Refuses a `--precision` run its intervals cannot serve: a Latin
/// hypercube or Sobol sample is not iid, and states its error only through
/// independent randomisations.
fn check_precision(spec: &PrecisionSpec, plan: &RunPlan) -> Result<()> {
    if plan.sampler != SamplerKind::Mc && plan.replicates < 2 {
        return Err(Error::Usage(format!(
            "--precision {spec}: a --sampler {} run states its error only through independent \
             randomisations; give --replicates 2 or more (default {DEFAULT_REPLICATES}), or \
             use --sampler mc",
            plan.sampler
        )));
    }
    Ok(())
}

/// Runs the engine's chunks in steps, from checkpoint to checkpoint (see
/// [`crate::precision`]), until every target of `spec` is met or the cap
/// (the plan's runs) is reached.
fn run_to_precision(
    engine: &Engine,
    spec: &PrecisionSpec,
    control: &Control<'_>,
    mut sink: Option<SampleSink<'_>>,
) -> Result<(Accumulator, Summary, PrecisionReport)> {
    let cap = engine.plan().runs;
    control.start(cap);
    let mut checkpoints = Vec::new();
    let mut done_chunks = 0;
    let mut acc: Option<Accumulator> = None;
    let grid = Checkpoints::new(engine.plan().replicates, cap);
    let mut at = grid.first();
    loop {
        let chunks = at.div_ceil(CHUNK_RUNS);
        let range = done_chunks..chunks;
        let step = match sink.as_mut() {
            // Each step hands its blocks on to the one sink, in run order.
            Some(sink) => {
                let mut forward = |block: &SampleBlock| sink(block);
                engine.run_range(range, control, Some(&mut forward))?
            }
            None => engine.run_range(range, control, None)?,
        };
        done_chunks = chunks;
        match acc.as_mut() {
            Some(a) => a.merge(&step),
            None => {
                let mut first = step;
                first.reserve_runs(cap - first.runs());
                acc = Some(first);
            }
        }
        control.check()?;
        let a = acc.as_mut().expect("a step was run");
        checkpoints.push(a.runs());
        let summary = a.summary(engine.claims());
        let report = spec.report(&summary, cap, a.runs(), checkpoints.clone());
        if report.reached || at >= cap {
            return Ok((acc.expect("a step was run"), summary, report));
        }
        let needed = precision::runs_needed(&report.statistics, a.runs());
        at = grid.at_least(needed, at);
    }
}

/// `merge`: checks and combines the outputs of `run --shard K/N` for every
/// K of one run into the outputs of the whole run.
pub fn merge(opts: &MergeOptions, control: &Control<'_>) -> Result<RunResults> {
    let started = SystemTime::now();
    let clock = Instant::now();
    control.start(opts.dirs.len() as u64);
    let mut shard_seconds = 0.0;
    let mut specs = Vec::new();
    for dir in &opts.dirs {
        control.check()?;
        let manifest = Manifest::read_verified(dir)?;
        shard_seconds += manifest.provenance.wall_time_s;
        specs.push(manifest.precision.map(|p| p.spec));
    }
    // The shards' --precision, which the merged run reports against.
    specs.dedup();
    let spec: Option<PrecisionSpec> = match &specs[..] {
        [] | [None] => None,
        [Some(spec)] => Some(spec.parse()?),
        _ => {
            return Err(Error::Usage(
                "the shards were run with different --precision targets (or some without); \
                 rerun them with the same flags"
                    .into(),
            ))
        }
    };
    control.check()?;
    let (identity, mut acc) = merge_shards(&opts.dirs)?;
    control.advance(opts.dirs.len() as u64);
    control.check()?;
    let summary = acc.summary(&identity.claims);
    let precision = spec.map(|spec| spec.report(&summary, identity.runs, acc.runs(), Vec::new()));
    Ok(RunResults {
        command: "merge",
        scenario: None,
        summary,
        precision,
        shard: None,
        runs: acc.runs(),
        merged_shards: Some(opts.dirs.len() as u64),
        shard_seconds,
        threads: rayon::current_num_threads(),
        identity,
        state: None,
        started,
        clock,
    })
}

impl RunResults {
    /// The manifest of these results, before its files are stamped.
    fn manifest(&self) -> Manifest {
        let mut manifest = Manifest::new(
            self.command,
            &self.identity,
            self.runs,
            self.threads,
            self.started,
        );
        manifest.shard = self.shard;
        manifest.merged_shards = self.merged_shards;
        manifest.quantiles.relative_error = self.summary.quantile_error;
        manifest.precision = self.precision.clone();
        manifest
    }

    /// The tables of `bands.csv`, `claims.csv` and `histogram.csv`, with
    /// `manifest`.
    fn files(&self, manifest: &Manifest) -> RunFiles {
        RunFiles {
            manifest: manifest.clone(),
            bands: output::band_rows(&self.summary),
            claims: output::claim_rows(&self.summary),
            histogram: output::histogram_rows(&self.summary),
        }
    }

    /// `bands.csv`, `claims.csv`, `histogram.csv` and their intervals
    /// (`band_intervals.csv`, `claim_intervals.csv`), in memory.
    fn tables(&self, manifest: &Manifest) -> Result<Vec<(String, Vec<u8>)>> {
        let files = self.files(manifest);
        Ok(vec![
            super::table("bands.csv", &files.bands)?,
            super::table("claims.csv", &files.claims)?,
            super::table("histogram.csv", &files.histogram)?,
            super::table(
                "band_intervals.csv",
                &output::band_interval_rows(&self.summary, &self.identity),
            )?,
            super::table(
                "claim_intervals.csv",
                &output::claim_interval_rows(&self.summary, &self.identity),
            )?,
        ])
    }

    /// The CSV files and manifest [`RunResults::write`] writes, in memory.
    pub fn output_set(&self) -> Result<OutputSet> {
        let manifest = self.manifest();
        Ok(OutputSet::new(
            self.tables(&manifest)?,
            manifest,
            self.clock,
        ))
    }

    /// Writes `bands.csv`, `claims.csv`, `histogram.csv`, their intervals
    /// (`band_intervals.csv`, `claim_intervals.csv`), for a shard
    /// `shard-state.bin`, with `report` the charts and `report.html`, and
    /// `manifest.json` into `out`, which is replaced whole; returns the
    /// names of the files written (the manifest not among them).
    pub fn write(&self, mut out: OutDir, report: bool) -> Result<Vec<String>> {
        out.begin()?;
        let mut manifest = self.manifest();
        let mut files = Vec::new();
        super::write_tables(&out, &self.tables(&manifest)?, &mut files)?;
        if let Some(state) = &self.state {
            output::write_atomic(&out.file(STATE_FILE), |w| state.write_to(w))?;
            files.push(STATE_FILE.to_string());
        }
        // A merge knows its scenario only by the files' checksums.
        let (scenario, scenario_note) = match &self.scenario {
            Some(s) => (Some(s.clone()), None),
            None => crate::report::scenario_of(&self.identity.config),
        };
        let data = |manifest: &Manifest| ReportData {
            run: Some(self.files(manifest)),
            sensitivity: None,
            bridge: None,
            scenario: scenario.clone(),
            scenario_note: scenario_note.clone(),
        };
        finish(
            out,
            &mut manifest,
            &mut files,
            self.clock,
            report.then_some(&data as &dyn Fn(&Manifest) -> ReportData),
        )
    }
}
