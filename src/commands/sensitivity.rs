//! `sensitivity`: which assumption decides each claim.

use std::collections::BTreeMap;
use std::time::{Instant, SystemTime};

use super::{finish, OutputSet};
use crate::claims::Claim;
use crate::config::Scenario;
use crate::error::{Error, Result};
use crate::limits;
use crate::model::{Metric, FIRST_YEAR, LAST_YEAR, YEARS};
use crate::output::{self, OutDir, Provenance, SensitivityManifest};
use crate::report::{ReportData, SensitivityFiles};
use crate::sensitivity::{
    self as sens, monte_carlo_filter, morris, rank_correlations, scenario_sample, shapley_effects,
    sobol_indices, switching_values, tornado, ClaimTest, Filtered, MorrisEffect, Problem,
    RankCorrelation, ScenarioProblem, ShapleyEffect, ShapleyOptions, SobolIndex, SobolOptions,
    SwitchingValue, TornadoBar,
};
use crate::table::number;
use crate::Control;

/// A method of `sensitivity`, in the order they run and are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// Variance-based indices S1 and ST, with intervals.
    Sobol,
    /// One at a time, each parameter at its P10 and P90.
    Tornado,
    /// Spearman and partial rank correlation.
    Rank,
    /// Switching values of the claims.
    Switching,
    /// Morris elementary effects.
    Morris,
    /// Shapley effects, for the scenario's correlated inputs.
    Shapley,
    /// Monte Carlo filtering of every claim.
    Filter,
}

impl Method {
    /// Every method, Shapley effects last.
    pub const EVERY: [Method; 7] = [
        Method::Sobol,
        Method::Tornado,
        Method::Rank,
        Method::Switching,
        Method::Morris,
        Method::Filter,
        Method::Shapley,
    ];

    /// The name on the command line and in the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Method::Sobol => "sobol",
            Method::Tornado => "tornado",
            Method::Rank => "rank",
            Method::Switching => "switching",
            Method::Morris => "morris",
            Method::Shapley => "shapley",
            Method::Filter => "filter",
        }
    }
}

/// The metrics whose indices `indices_by_year.csv` gives for every year.
const BY_YEAR: [Metric; 4] = [
    Metric::GdpSharePct,
    Metric::GdpTotal,
    Metric::Jobs,
    Metric::NpvCum,
];

/// The outputs always analysed.
pub const DEFAULT_OUTPUTS: [(Metric, i32); 4] = [
    (Metric::GdpSharePct, 2035),
    (Metric::Jobs, 2035),
    (Metric::NpvCum, 2035),
    (Metric::NpvCum, 2050),
];

/// What `sensitivity` does; [`SensitivityOptions::new`] gives the defaults
/// of `nexus-mc sensitivity`.
#[derive(Clone, Debug)]
pub struct SensitivityOptions {
    /// The scenario.
    pub scenario: Scenario,
    /// Methods; `None` for every one (Shapley effects only when the
    /// scenario declares correlations).
    pub methods: Option<Vec<Method>>,
    /// Outputs analysed besides [`DEFAULT_OUTPUTS`].
    pub outputs: Vec<(Metric, i32)>,
    /// Sobol base sample size N (also the Monte Carlo runs of rank
    /// correlations and filtering), within [`limits::SOBOL_BASE_RUNS`].
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// Independent scrambles behind the Sobol intervals.
    pub replicates: usize,
    /// Coverage of the intervals, 0.5 to 0.9999 ([`crate::limits::CONFIDENCE`]).
    pub confidence: f64,
    /// Permutations for Shapley effects.
    pub permutations: usize,
    /// Morris trajectories.
    pub trajectories: usize,
}

impl SensitivityOptions {
    /// Every method on `scenario` with the defaults of the command line.
    pub fn new(scenario: Scenario) -> SensitivityOptions {
        SensitivityOptions {
            scenario,
            methods: None,
            outputs: Vec::new(),
            runs: 16_384,
            seed: 42,
            replicates: 16,
            confidence: 0.95,
            permutations: 12_000,
            trajectories: 100,
        }
    }
}

/// An output named as `METRIC:YEAR` (`gdp_total:2040`), as `--output` and
/// the Python package take it.
///
/// ```
/// use nexus_mc::commands::parse_output;
/// use nexus_mc::model::Metric;
/// assert_eq!(parse_output("jobs:2040"), Ok((Metric::Jobs, 2040)));
/// assert!(parse_output("jobs:1999").is_err());
/// ```
pub fn parse_output(text: &str) -> std::result::Result<(Metric, i32), String> {
    let (m, y) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not METRIC:YEAR, e.g. gdp_total:2040"))?;
    let metric = Metric::from_name(m.trim()).ok_or_else(|| {
        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        format!("unknown metric `{m}`; metrics are {}", names.join(", "))
    })?;
    let year: i32 = y
        .trim()
        .parse()
        .map_err(|_| format!("`{y}` is not a year"))?;
    crate::model::check_year(year).map_err(|e| e.0)?;
    Ok((metric, year))
}

/// The coverage of the sensitivity intervals written as `text`, if a
/// number within [`limits::CONFIDENCE`].
pub fn parse_confidence(text: &str) -> std::result::Result<f64, String> {
    let range = limits::CONFIDENCE;
    match text.parse::<f64>() {
        Ok(c) if range.contains(&c) => Ok(c),
        _ => Err(format!(
            "`{text}` is not a coverage from {} to {}, e.g. 0.95",
            range.start(),
            range.end()
        )),
    }
}

/// Each claim's name and P(holds) on the sample, and what Monte Carlo
/// filtering found.
pub type Filtering = (Vec<(String, f64)>, Vec<Filtered>);

/// A sensitivity analysis: what it will compute ([`SensitivityStudy::plan`])
/// and, once computed, what it found, in memory, with the problems the
/// indices refer to (outputs and inputs by position).
pub struct SensitivityStudy {
    /// The methods run, in order.
    pub methods: Vec<Method>,
    /// The named outputs: [`DEFAULT_OUTPUTS`] and those asked for.
    pub problem: ScenarioProblem,
    /// The named outputs first, then every year of the headline metrics
    /// (Sobol indices and Shapley effects refer to it).
    pub variance_problem: ScenarioProblem,
    /// The claims' outputs (switching values and filtering refer to it).
    pub claim_problem: ScenarioProblem,
    /// The claims as tests on `claim_problem`'s outputs.
    pub tests: Vec<ClaimTest>,
    /// Model runs of each method.
    pub model_runs: BTreeMap<String, u64>,
    /// How declared correlations were treated, in words.
    pub correlations: String,
    /// Sobol indices.
    pub sobol: Option<Vec<SobolIndex>>,
    /// Tornado bars.
    pub tornado: Option<Vec<TornadoBar>>,
    /// Rank correlations.
    pub rank: Option<Vec<RankCorrelation>>,
    /// Switching values.
    pub switching: Option<Vec<SwitchingValue>>,
    /// Morris effects.
    pub morris: Option<Vec<MorrisEffect>>,
    /// Shapley effects.
    pub shapley: Option<Vec<ShapleyEffect>>,
    /// Monte Carlo filtering.
    pub filter: Option<Filtering>,
    /// Outputs of `variance_problem` for `indices_by_year.csv`, metric-major.
    by_year: Vec<usize>,
    /// How many outputs of `variance_problem` are named ones.
    named: usize,
    scenario: Scenario,
    opts: SensitivityOptions,
    threads: usize,
    started: SystemTime,
    clock: Instant,
}

/// `sensitivity`: Sobol indices, Shapley effects, tornado, rank
/// correlations, switching values, Morris effects and Monte Carlo filtering
/// of the claims, as `opts` asks: [`SensitivityStudy::plan`], then
/// [`SensitivityStudy::compute`].
pub fn sensitivity(opts: &SensitivityOptions, control: &Control<'_>) -> Result<SensitivityStudy> {
    let mut study = SensitivityStudy::plan(opts)?;
    study.compute(control)?;
    Ok(study)
}

/// The problems, claim tests and model runs of `opts`, nothing computed.
fn study(opts: &SensitivityOptions) -> SensitivityStudy {
    let scenario = &opts.scenario;
    let mut methods: Vec<Method> = match &opts.methods {
        Some(m) => m.clone(),
        // Every method; Shapley effects only when the scenario declares
        // correlations.
        None => Method::EVERY
            .into_iter()
            .filter(|&m| m != Method::Shapley || !scenario.correlations.is_empty())
            .collect(),
    };
    methods.sort();
    methods.dedup();
    let mut keys = DEFAULT_OUTPUTS.to_vec();
    for k in &opts.outputs {
        if !keys.contains(k) {
            keys.push(*k);
        }
    }
    let problem = ScenarioProblem::new(scenario, &keys);
    // Sobol and Shapley also give every year of the headline metrics from
    // the same model runs: the named outputs first, then those years.
    let mut year_keys = keys.clone();
    for &m in &BY_YEAR {
        for y in FIRST_YEAR..=LAST_YEAR {
            if !year_keys.contains(&(m, y)) {
                year_keys.push((m, y));
            }
        }
    }
    let by_year: Vec<usize> = BY_YEAR
        .iter()
        .flat_map(|&m| (FIRST_YEAR..=LAST_YEAR).map(move |y| (m, y)))
        .map(|k| year_keys.iter().position(|&x| x == k).expect("added above"))
        .collect();
    let variance_problem = ScenarioProblem::new(scenario, &year_keys);
    let mut claims = Claim::default_set();
    claims.extend(scenario.claims.iter().cloned());
    let claim_keys: Vec<(Metric, i32)> = claims.iter().map(|c| (c.metric, c.year)).collect();
    let claim_problem = ScenarioProblem::new(scenario, &claim_keys);
    let tests: Vec<ClaimTest> = claims
        .iter()
        .enumerate()
        .map(|(i, c)| ClaimTest {
            name: c.name.clone(),
            output: i,
            op: c.op,
            threshold: c.threshold,
        })
        .collect();
    let n = opts.runs as usize;
    let model_runs = methods
        .iter()
        .map(|&m| {
            let count = match m {
                Method::Sobol => sens::sobol_runs(&problem, n),
                Method::Tornado => sens::tornado_runs(&problem),
                Method::Rank | Method::Filter => n as u64,
                Method::Switching => sens::switching_runs(&claim_problem, tests.len()),
                Method::Morris => sens::morris_runs(&problem, opts.trajectories),
                Method::Shapley => sens::shapley_runs(&problem, &shapley_options(opts)),
            };
            (m.name().to_string(), count)
        })
        .collect();
    let correlations = if scenario.correlations.is_empty() {
        "none declared".to_string()
    } else {
        format!(
            "{} rank correlations declared; Shapley effects and Monte Carlo filtering use the \
             scenario's joint distribution (a Gaussian copula of the declared ranks, and the \
             correlated Monte Carlo sample), as do rank correlations; Sobol indices, tornado, \
             switching values and Morris effects use independent inputs (variance-based \
             indices of dependent inputs are ambiguous)",
            scenario.correlations.len()
        )
    };
    SensitivityStudy {
        methods,
        named: keys.len(),
        problem,
        variance_problem,
        by_year,
        claim_problem,
        tests,
        model_runs,
        correlations,
        sobol: None,
        tornado: None,
        rank: None,
        switching: None,
        morris: None,
        shapley: None,
        filter: None,
        scenario: scenario.clone(),
        opts: opts.clone(),
        threads: 0,
        started: SystemTime::now(),
        clock: Instant::now(),
    }
}

fn shapley_options(opts: &SensitivityOptions) -> ShapleyOptions {
    ShapleyOptions {
        permutations: opts.permutations,
        seed: opts.seed,
        confidence: opts.confidence,
        ..ShapleyOptions::default()
    }
}

/// Runs every method of the study.
fn compute(
    r: &mut SensitivityStudy,
    opts: &SensitivityOptions,
    control: &Control<'_>,
) -> Result<()> {
    let scenario = &opts.scenario;
    let tick = |k: u64| control.tick(k);
    let progress: sens::Progress<'_> = Some(&tick);
    let sobol_opts = SobolOptions {
        base_runs: opts.runs as usize,
        seed: opts.seed,
        replicates: opts.replicates,
        confidence: opts.confidence,
    };
    let uses = |m| r.methods.contains(&m);
    // The run's own Monte Carlo sample, for rank correlations and filtering.
    let sample = if uses(Method::Rank) || uses(Method::Filter) {
        Some(scenario_sample(scenario, opts.runs, opts.seed)?)
    } else {
        None
    };
    for m in r.methods.clone() {
        control.check()?;
        match m {
            Method::Sobol => {
                r.sobol = Some(sobol_indices(&r.variance_problem, &sobol_opts, progress))
            }
            Method::Shapley => {
                r.shapley = Some(shapley_effects(
                    &r.variance_problem,
                    &shapley_options(opts),
                    progress,
                )?)
            }
            Method::Tornado => r.tornado = Some(tornado(&r.problem, 0.1, 0.9, progress)),
            Method::Rank => {
                let x = sample.as_ref().expect("drawn above");
                let y = sens::evaluate_rows(&r.problem, x, progress);
                r.rank = Some(rank_correlations(x, &y));
            }
            Method::Filter => {
                let x = sample.as_ref().expect("drawn above");
                let y = sens::evaluate_rows(&r.claim_problem, x, progress);
                let holds: Vec<Vec<bool>> = r
                    .tests
                    .iter()
                    .map(|t| {
                        (0..x.nrows())
                            .map(|run| t.op.holds(y[[run, t.output]], t.threshold))
                            .collect()
                    })
                    .collect();
                let shares = r
                    .tests
                    .iter()
                    .zip(&holds)
                    .map(|(t, h)| {
                        let hits = h.iter().filter(|&&b| b).count();
                        (t.name.clone(), hits as f64 / h.len() as f64)
                    })
                    .collect();
                let rows = monte_carlo_filter(x, &holds, &r.claim_problem.uncertain());
                r.filter = Some((shares, rows));
            }
            Method::Switching => {
                r.switching = Some(switching_values(&r.claim_problem, &r.tests, progress))
            }
            Method::Morris => {
                r.morris = Some(morris(&r.problem, opts.trajectories, opts.seed, progress))
            }
        }
    }
    Ok(())
}

/// Refuses sizes too small for an estimate to mean anything, and sizes
/// whose memory or time is out of reach, before anything is allocated.
fn check_sizes(opts: &SensitivityOptions, r: &SensitivityStudy) -> Result<()> {
    let bad = |flag: &str, why: String| Err(Error::Usage(format!("{flag}: {why}")));
    let uses = |m: Method| r.methods.contains(&m);
    let n = opts.runs;
    let needs_n = uses(Method::Sobol) || uses(Method::Rank) || uses(Method::Filter);
    let (min_n, max_n) = (
        *limits::SOBOL_BASE_RUNS.start(),
        *limits::SOBOL_BASE_RUNS.end(),
    );
    if needs_n && n < min_n {
        return bad(
            "-n",
            format!(
                "{n} runs are too few for Sobol indices or rank correlations to mean anything \
                 (their error is about 1 / sqrt(N)); use at least {min_n}, e.g. the \
                 default 16384"
            ),
        );
    }
    if needs_n && n > max_n {
        return bad(
            "-n",
            format!(
                "{} is more than the {} base runs sensitivity allows; the Sobol design makes \
                 N x (k + 2) model runs, and 16384 already gives indices to about 0.01",
                number(n as f64, 0),
                number(max_n as f64, 0)
            ),
        );
    }
    if !limits::CONFIDENCE.contains(&opts.confidence) {
        return bad(
            "--confidence",
            format!(
                "{} is outside {} to {}, the coverages whose intervals are finite and \
                 meaningful; e.g. 0.95",
                opts.confidence,
                limits::CONFIDENCE.start(),
                limits::CONFIDENCE.end()
            ),
        );
    }
    if uses(Method::Sobol) {
        let r = opts.replicates;
        let range = limits::SOBOL_REPLICATES;
        let min_points = limits::MIN_POINTS_PER_REPLICATE;
        if !range.contains(&r) {
            return bad(
                "--replicates",
                format!(
                    "{r} is outside {}: fewer leave the interval's standard error resting \
                     on a handful of values, more add nothing",
                    limits::span(&range)
                ),
            );
        }
        if !n.is_multiple_of(r as u64) || n / (r as u64) < min_points {
            return bad(
                "-n",
                format!(
                    "{n} is not a multiple of --replicates {r} with at least {min_points} \
                     points each; use e.g. {}",
                    (n / r as u64).max(min_points).next_power_of_two() * r as u64
                ),
            );
        }
    }
    let trajectories = limits::MORRIS_TRAJECTORIES;
    if uses(Method::Morris) && !trajectories.contains(&opts.trajectories) {
        return bad(
            "--trajectories",
            format!(
                "{} is outside {}: fewer give no meaningful spread of the elementary \
                 effects, more add nothing a screen needs",
                opts.trajectories,
                limits::span(&trajectories)
            ),
        );
    }
    let permutations = limits::SHAPLEY_PERMUTATIONS;
    if uses(Method::Shapley) && !permutations.contains(&opts.permutations) {
        return bad(
            "--permutations",
            format!(
                "{} is outside {}: fewer leave each effect's standard error above about \
                 0.05",
                opts.permutations,
                limits::span(&permutations)
            ),
        );
    }
    // Memory: the design and outputs of each method, 8 bytes a number;
    // Sobol and Shapley keep every year of the headline metrics too.
    let problem = &r.problem;
    let inputs = problem.inputs().len() as f64;
    let outputs = problem.outputs().len() as f64;
    let with_years = outputs + (BY_YEAR.len() * YEARS) as f64;
    let k = problem.uncertain().len() as f64;
    // The method that needs the most, and the flag that shrinks it.
    let (mut need, mut largest) = (0.0_f64, None);
    for &m in &r.methods {
        let numbers = match m {
            Method::Sobol => sens::sobol_runs(problem, n as usize) as f64 * (inputs + with_years),
            Method::Shapley => opts.permutations as f64 * k * with_years,
            Method::Rank | Method::Filter => n as f64 * (inputs + outputs),
            Method::Morris => {
                sens::morris_runs(problem, opts.trajectories) as f64 * (inputs + outputs)
            }
            Method::Switching => {
                sens::switching_runs(&r.claim_problem, 1) as f64 * (inputs + outputs)
            }
            Method::Tornado => 0.0,
        };
        if numbers * 8.0 > need {
            (need, largest) = (numbers * 8.0, Some(m));
        }
    }
    let (method, instead) = match largest {
        Some(Method::Morris) => ("morris", "use fewer --trajectories"),
        Some(Method::Shapley) => ("shapley", "use fewer --permutations"),
        Some(Method::Switching) => ("switching", "use fewer claims"),
        Some(m) => (m.name(), "use a smaller -n"),
        None => ("", ""),
    };
    limits::check_memory(need, &format!("sensitivity -n {n} ({method})"), instead)
        .map_err(Error::from)
}

impl SensitivityStudy {
    /// The study `opts` asks for, nothing computed yet: its problems, claim
    /// tests and model runs. Sizes too small to mean anything or out of
    /// reach of this machine's memory are refused here, before anything
    /// is allocated.
    pub fn plan(opts: &SensitivityOptions) -> Result<SensitivityStudy> {
        let study = study(opts);
        check_sizes(opts, &study)?;
        Ok(study)
    }

    /// What the study was asked to do.
    pub fn options(&self) -> &SensitivityOptions {
        &self.opts
    }

    /// Runs every method of the study on `control`'s threads.
    pub fn compute(&mut self, control: &Control<'_>) -> Result<()> {
        self.threads = control.thread_count();
        control.start(self.model_runs.values().sum());
        let opts = self.opts.clone();
        control.guard(|| compute(self, &opts, control))
    }

    /// The manifest of these results, before its files are stamped.
    fn manifest(&self) -> SensitivityManifest {
        let opts = &self.opts;
        SensitivityManifest {
            provenance: Provenance::new(
                "sensitivity",
                &self.scenario.name,
                &self.scenario.files,
                opts.seed,
                self.threads,
                self.started,
            ),
            methods: self.methods.iter().map(|m| m.name().to_string()).collect(),
            outputs: self.problem.outputs(),
            base_runs: opts.runs as usize,
            model_runs: self.model_runs.clone(),
            replicates: opts.replicates,
            confidence: opts.confidence,
            trajectories: opts.trajectories,
            permutations: opts.permutations,
            correlations: self.correlations.clone(),
        }
    }

    /// Sobol indices (or Shapley effects) of the named outputs only.
    fn named<T: Clone>(&self, all: &[T], output: impl Fn(&T) -> usize) -> Vec<T> {
        all.iter()
            .filter(|x| output(x) < self.named)
            .cloned()
            .collect()
    }

    /// The tables this study writes that the report shows, with `manifest`.
    fn files(&self, manifest: &SensitivityManifest) -> SensitivityFiles {
        let sobol = self.sobol.as_ref();
        let shapley = self.shapley.as_ref();
        SensitivityFiles {
            manifest: manifest.clone(),
            sobol: sobol.map(|s| {
                output::sobol_rows(&self.variance_problem, &self.named(s, |ix| ix.output))
            }),
            tornado: self
                .tornado
                .as_ref()
                .map(|t| output::tornado_rows(&self.problem, t)),
            switching: self
                .switching
                .as_ref()
                .map(|s| output::switching_rows(&self.claim_problem, &self.tests, s)),
            shapley: shapley.map(|e| {
                output::shapley_rows(&self.variance_problem, &self.named(e, |x| x.output))
            }),
            by_year: sobol.map(|s| {
                output::by_year_rows(
                    &self.variance_problem,
                    &self.by_year,
                    s,
                    shapley.map(|e| &e[..]),
                )
            }),
            filter: self
                .filter
                .as_ref()
                .map(|(shares, rows)| output::filter_rows(&self.claim_problem, shares, rows)),
        }
    }

    /// The CSV file of each method run, in memory, in the order
    /// [`SensitivityStudy::write`] writes them.
    fn tables(&self, manifest: &SensitivityManifest) -> Result<Vec<(String, Vec<u8>)>> {
        let t = self.files(manifest);
        let mut tables = Vec::new();
        if let Some(rows) = &t.sobol {
            tables.push(super::table("sobol.csv", rows)?);
        }
        if let Some(rows) = &t.shapley {
            tables.push(super::table("shapley.csv", rows)?);
        }
        if let Some(rows) = &t.by_year {
            tables.push(super::table("indices_by_year.csv", rows)?);
        }
        if let Some(rows) = &t.filter {
            tables.push(super::table("filter.csv", rows)?);
        }
        if let Some(rows) = &t.tornado {
            tables.push(super::table("tornado.csv", rows)?);
        }
        if let Some(r) = &self.rank {
            let rows = output::rank_rows(&self.problem, r);
            tables.push(super::table("rank_correlation.csv", &rows)?);
        }
        if let Some(rows) = &t.switching {
            tables.push(super::table("switching_values.csv", rows)?);
        }
        if let Some(m) = &self.morris {
            let rows = output::morris_rows(&self.problem, m);
            tables.push(super::table("morris.csv", &rows)?);
        }
        Ok(tables)
    }

    /// The CSV files and manifest [`SensitivityStudy::write`] writes, in
    /// memory.
    pub fn output_set(&self) -> Result<OutputSet> {
        let manifest = self.manifest();
        Ok(OutputSet::new(
            self.tables(&manifest)?,
            manifest,
            self.clock,
        ))
    }

    /// Writes the CSV file of each method run (`sobol.csv`, `shapley.csv`,
    /// `indices_by_year.csv`, `filter.csv`, `tornado.csv`,
    /// `rank_correlation.csv`, `switching_values.csv`, `morris.csv`), with
    /// `report` the charts and `report.html`, and `manifest.json` into
    /// `out`, which is replaced whole; returns the names of the files
    /// written (the manifest not among them).
    pub fn write(&self, mut out: OutDir, report: bool) -> Result<Vec<String>> {
        out.begin()?;
        let mut manifest = self.manifest();
        let mut files = Vec::new();
        super::write_tables(&out, &self.tables(&manifest)?, &mut files)?;
        let data = |manifest: &SensitivityManifest| ReportData {
            run: None,
            sensitivity: Some(self.files(manifest)),
            bridge: None,
            scenario: Some(self.scenario.clone()),
            scenario_note: None,
        };
        finish(
            out,
            &mut manifest,
            &mut files,
            self.clock,
            report.then_some(&data as &dyn Fn(&SensitivityManifest) -> ReportData),
        )
    }
}
