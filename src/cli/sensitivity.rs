//! `nexus-mc sensitivity`: which assumption decides each claim.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use clap::{Args, ValueEnum};

use super::jobs::{
    guard_workers, parse_runs, parse_seed, parse_threads, progress_bar, thread_pool,
};
use nexus_mc::claims::Claim;
use nexus_mc::config::Scenario;
use nexus_mc::error::{Error, Result};
use nexus_mc::model::{check_year, Metric, FIRST_YEAR, LAST_YEAR};
use nexus_mc::output::{self, OutDir, Provenance, SensitivityManifest};
use nexus_mc::sensitivity::{
    self as sens, monte_carlo_filter, morris, rank_correlations, scenario_sample, shapley_effects,
    sobol_indices, switching_values, tornado, ClaimTest, Problem, ScenarioProblem, ShapleyOptions,
    SobolOptions, Switch,
};
use nexus_mc::table::{number, significant};

/// Flags of `nexus-mc sensitivity`.
#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// Scenario: a path to a .toml file, or the name of a shipped scenario.
    #[arg(long, value_name = "FILE|NAME", default_value = "central")]
    pub config: String,

    /// Sobol base sample size N, 256 to 16,777,216: the Sobol design makes
    /// N x (k + 2) model runs for k uncertain parameters; also the Monte
    /// Carlo runs for rank correlations. Powers of two suit the Sobol
    /// sequence best. Tornado makes 2k + 1 runs, switching values about 130
    /// per claim and parameter, Morris R x (k + 1).
    #[arg(short = 'n', long = "runs", value_name = "N", default_value = "16384", value_parser = parse_runs, allow_negative_numbers = true)]
    pub runs: u64,

    /// Master seed; the same seed gives the same files on any thread count.
    #[arg(long, value_name = "S", default_value = "42", value_parser = parse_seed, allow_negative_numbers = true)]
    pub seed: u64,

    /// Worker threads, 1 to 1,024 [default: one per core]. Results do not
    /// depend on it.
    #[arg(long, value_name = "T", value_parser = parse_threads)]
    pub threads: Option<usize>,

    /// Methods, comma-separated: sobol (S1 and ST with intervals, every
    /// year of the headline metrics too), shapley (Shapley effects under the
    /// scenario's correlations), tornado (each parameter at P10 and P90),
    /// rank (Spearman and PRCC), switching (where each claim flips), morris
    /// (elementary effects), filter (Monte Carlo filtering of each claim on
    /// the run's sample), all (shapley only when correlations are declared).
    #[arg(
        long,
        value_name = "METHOD",
        value_delimiter = ',',
        default_value = "all"
    )]
    pub method: Vec<Method>,

    /// Another output to analyse, as METRIC:YEAR (e.g. gdp_total:2040);
    /// repeatable. Always analysed: gdp_share_pct:2035, jobs:2035,
    /// npv_cum:2035, npv_cum:2050.
    #[arg(long = "output", value_name = "METRIC:YEAR", value_parser = parse_output)]
    pub outputs: Vec<(Metric, i32)>,

    /// Independent scrambles of the Sobol points, 8 to 64: the N points are
    /// R sequences of N / R points (N must be a multiple of R), and the
    /// spread of their estimates gives the intervals (Student's t with R - 1
    /// degrees of freedom). Costs no model runs.
    #[arg(long, value_name = "R", default_value_t = 16)]
    pub replicates: usize,

    /// Coverage of the Sobol intervals, between 0 and 1.
    #[arg(long, value_name = "C", default_value_t = 0.95, value_parser = parse_confidence)]
    pub confidence: f64,

    /// Random permutations of the inputs for Shapley effects, 100 to
    /// 1,000,000; each makes 3 (k - 1) model runs, plus 20,000 runs for the
    /// output variance.
    #[arg(long, value_name = "M", default_value_t = 12_000)]
    pub permutations: usize,

    /// Morris trajectories, 10 to 1,000,000; each makes k + 1 model runs.
    #[arg(long, value_name = "R", default_value_t = 100)]
    pub trajectories: usize,

    /// Output directory; same rules as for `run --out`.
    #[arg(long, value_name = "DIR", default_value = "out/sensitivity")]
    pub out: PathBuf,

    /// Write into --out even if it holds files nexus-mc did not write (they
    /// are kept in the new set).
    #[arg(long)]
    pub force: bool,

    /// Also draw the charts (charts/*.svg) and write report.html into --out.
    #[arg(long)]
    pub report: bool,

    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Method {
    /// Variance-based indices S1 and ST.
    Sobol,
    /// One at a time, P10 and P90.
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
    /// Every method (Shapley effects only when the scenario declares
    /// correlations).
    All,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Sobol => "sobol",
            Method::Tornado => "tornado",
            Method::Rank => "rank",
            Method::Switching => "switching",
            Method::Morris => "morris",
            Method::Shapley => "shapley",
            Method::Filter => "filter",
            Method::All => "all",
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

const DEFAULT_OUTPUTS: [(Metric, i32); 4] = [
    (Metric::GdpSharePct, 2035),
    (Metric::Jobs, 2035),
    (Metric::NpvCum, 2035),
    (Metric::NpvCum, 2050),
];

fn parse_output(text: &str) -> std::result::Result<(Metric, i32), String> {
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
    check_year(year)?;
    Ok((metric, year))
}

fn parse_confidence(text: &str) -> std::result::Result<f64, String> {
    match text.parse::<f64>() {
        Ok(c) if c > 0.0 && c < 1.0 => Ok(c),
        _ => Err(format!(
            "`{text}` is not a coverage strictly between 0 and 1, e.g. 0.95"
        )),
    }
}

pub(super) fn sensitivity(args: SensitivityArgs) -> Result<()> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let scenario = Scenario::load(&args.config)?;
    let study = Study::new(&args, &scenario);
    let Study {
        methods,
        problem,
        claim_problem,
        tests,
        ..
    } = &study;
    check_sizes(&args, methods, problem, claim_problem)?;
    let n = args.runs as usize;
    let sobol_opts = SobolOptions {
        base_runs: n,
        seed: args.seed,
        replicates: args.replicates,
        confidence: args.confidence,
    };
    let shapley_opts = ShapleyOptions {
        permutations: args.permutations,
        seed: args.seed,
        confidence: args.confidence,
        ..ShapleyOptions::default()
    };
    let mut out = OutDir::prepare(&args.out, args.force, &scenario.file_paths())?;

    let uncertain = problem.uncertain().len();
    let mut runs = BTreeMap::new();
    for &m in methods {
        let count = match m {
            Method::Sobol => sens::sobol_runs(problem, n),
            Method::Tornado => sens::tornado_runs(problem),
            Method::Rank => n as u64,
            Method::Switching => sens::switching_runs(claim_problem, tests.len()),
            Method::Morris => sens::morris_runs(problem, args.trajectories),
            Method::Shapley => sens::shapley_runs(problem, &shapley_opts),
            Method::Filter => n as u64,
            Method::All => unreachable!("expanded above"),
        };
        runs.insert(m.name().to_string(), count);
    }
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
    if !args.quiet {
        println!(
            "{}: {uncertain} uncertain parameters, outputs {}",
            scenario.name,
            problem.outputs().join(", ")
        );
        if let Some(r) = runs.get("sobol") {
            println!(
                "sobol: {} x ({uncertain} + 2) = {} model runs, {} independent scrambles",
                number(n as f64, 0),
                number(*r as f64, 0),
                args.replicates
            );
        }
        if !scenario.correlations.is_empty() {
            println!("note: {correlations}");
        }
    }

    let pool = thread_pool(args.threads)?;
    let bar = progress_bar(runs.values().sum(), args.quiet);
    let tick = |k: u64| bar.inc(k);
    let progress: sens::Progress<'_> = Some(&tick);
    let results = guard_workers(|| {
        pool.install(|| {
            compute(
                &study,
                &scenario,
                &args,
                &sobol_opts,
                &shapley_opts,
                progress,
            )
        })
    })??;
    bar.finish_and_clear();

    out.begin()?;
    let mut files = write_files(&out, &study, &results)?;
    let mut manifest = SensitivityManifest {
        provenance: Provenance::new(
            "sensitivity",
            &scenario.name,
            &scenario.files,
            args.seed,
            pool.current_num_threads(),
            started,
        ),
        methods: methods.iter().map(|m| m.name().to_string()).collect(),
        outputs: problem.outputs(),
        base_runs: n,
        model_runs: runs,
        replicates: args.replicates,
        confidence: args.confidence,
        trajectories: args.trajectories,
        correlations,
    };
    super::finish_outputs(out, &mut manifest, &mut files, clock, args.report)?;

    if !args.quiet {
        print_summary(problem, claim_problem, tests, &results);
        println!(
            "outputs: {}/{{{}, manifest.json}} in {:.1} s",
            args.out.display(),
            files.join(", "),
            clock.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// What one `sensitivity` command analyses: its methods, the problems for
/// the named outputs, for every year of the headline metrics and for the
/// claims, and the claim tests.
struct Study {
    methods: Vec<Method>,
    /// The named outputs (defaults and --output), first in `variance_problem`.
    named: usize,
    problem: ScenarioProblem,
    variance_problem: ScenarioProblem,
    /// Outputs of `variance_problem` for indices_by_year.csv, metric-major.
    by_year: Vec<usize>,
    claim_problem: ScenarioProblem,
    tests: Vec<ClaimTest>,
}

impl Study {
    fn new(args: &SensitivityArgs, scenario: &Scenario) -> Study {
        let mut methods: Vec<Method> = if args.method.contains(&Method::All) {
            let mut all = vec![
                Method::Sobol,
                Method::Tornado,
                Method::Rank,
                Method::Switching,
                Method::Morris,
                Method::Filter,
            ];
            if !scenario.correlations.is_empty() {
                all.push(Method::Shapley);
            }
            all
        } else {
            args.method.clone()
        };
        methods.sort();
        methods.dedup();
        let mut keys = DEFAULT_OUTPUTS.to_vec();
        for k in &args.outputs {
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
        Study {
            methods,
            named: keys.len(),
            problem,
            variance_problem,
            by_year,
            claim_problem,
            tests,
        }
    }
}

/// Runs every method of the study.
fn compute(
    study: &Study,
    scenario: &Scenario,
    args: &SensitivityArgs,
    sobol_opts: &SobolOptions,
    shapley_opts: &ShapleyOptions,
    progress: sens::Progress<'_>,
) -> Result<Results> {
    let Study {
        methods,
        problem,
        variance_problem,
        claim_problem,
        tests,
        ..
    } = study;
    let mut r = Results::default();
    // The run's own Monte Carlo sample, for rank correlations and filtering.
    let sample = if methods.contains(&Method::Rank) || methods.contains(&Method::Filter) {
        Some(scenario_sample(scenario, args.runs, args.seed).map_err(Error::Usage)?)
    } else {
        None
    };
    for &m in methods {
        match m {
            Method::Sobol => r.sobol = Some(sobol_indices(variance_problem, sobol_opts, progress)),
            Method::Shapley => {
                r.shapley = Some(
                    shapley_effects(variance_problem, shapley_opts, progress)
                        .map_err(Error::Usage)?,
                )
            }
            Method::Tornado => r.tornado = Some(tornado(problem, 0.1, 0.9, progress)),
            Method::Rank => {
                let x = sample.as_ref().expect("drawn above");
                let y = sens::evaluate_rows(problem, x, progress);
                r.rank = Some(rank_correlations(x, &y));
            }
            Method::Filter => {
                let x = sample.as_ref().expect("drawn above");
                let y = sens::evaluate_rows(claim_problem, x, progress);
                let holds: Vec<Vec<bool>> = tests
                    .iter()
                    .map(|t| {
                        (0..x.nrows())
                            .map(|run| t.op.holds(y[[run, t.output]], t.threshold))
                            .collect()
                    })
                    .collect();
                let shares = tests
                    .iter()
                    .zip(&holds)
                    .map(|(t, h)| {
                        let hits = h.iter().filter(|&&b| b).count();
                        (t.name.clone(), hits as f64 / h.len() as f64)
                    })
                    .collect();
                let rows = monte_carlo_filter(x, &holds, &claim_problem.uncertain());
                r.filter = Some((shares, rows));
            }
            Method::Switching => {
                r.switching = Some(switching_values(claim_problem, tests, progress))
            }
            Method::Morris => {
                r.morris = Some(morris(problem, args.trajectories, args.seed, progress))
            }
            Method::All => unreachable!("expanded above"),
        }
    }
    Ok(r)
}

/// Writes the CSV files of the results into the set; returns their names.
fn write_files(out: &OutDir, study: &Study, results: &Results) -> Result<Vec<String>> {
    let Study {
        problem,
        variance_problem,
        by_year,
        claim_problem,
        tests,
        ..
    } = study;
    let mut files = Vec::new();
    let mut write =
        |name: &str, fill: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>| -> Result<()> {
            output::write_atomic(&out.file(name), fill)?;
            files.push(name.to_string());
            Ok(())
        };
    let named = |o: usize| o < study.named;
    if let Some(s) = &results.sobol {
        let listed: Vec<_> = s.iter().filter(|ix| named(ix.output)).cloned().collect();
        write("sobol.csv", &|w| {
            output::write_rows(w, &output::sobol_rows(variance_problem, &listed))
        })?;
    }
    if let Some(e) = &results.shapley {
        let listed: Vec<_> = e.iter().filter(|x| named(x.output)).cloned().collect();
        write("shapley.csv", &|w| {
            output::write_rows(w, &output::shapley_rows(variance_problem, &listed))
        })?;
    }
    if let Some(s) = &results.sobol {
        write("indices_by_year.csv", &|w| {
            output::write_rows(
                w,
                &output::by_year_rows(variance_problem, by_year, s, results.shapley.as_deref()),
            )
        })?;
    }
    if let Some((shares, rows)) = &results.filter {
        write("filter.csv", &|w| {
            output::write_rows(w, &output::filter_rows(claim_problem, shares, rows))
        })?;
    }
    if let Some(t) = &results.tornado {
        write("tornado.csv", &|w| {
            output::write_rows(w, &output::tornado_rows(problem, t))
        })?;
    }
    if let Some(r) = &results.rank {
        write("rank_correlation.csv", &|w| {
            output::write_rows(w, &output::rank_rows(problem, r))
        })?;
    }
    if let Some(s) = &results.switching {
        write("switching_values.csv", &|w| {
            output::write_rows(w, &output::switching_rows(claim_problem, tests, s))
        })?;
    }
    if let Some(m) = &results.morris {
        write("morris.csv", &|w| {
            output::write_rows(w, &output::morris_rows(problem, m))
        })?;
    }
    Ok(files)
}

/// Smallest Sobol base sample: below it the S1 and ST of a model with a
/// dozen inputs err by more than about 0.06 (one over the square root of N),
/// the size of the effects worth telling apart.
const MIN_BASE_RUNS: u64 = 256;
/// Largest Sobol base sample: 2^24 points of the Sobol sequence.
const MAX_BASE_RUNS: u64 = 1 << 24;
/// Fewest and most independent scrambles behind the Sobol intervals, and
/// the fewest points each must have.
const REPLICATES: std::ops::RangeInclusive<usize> = 8..=64;
const MIN_POINTS_PER_REPLICATE: u64 = 16;
/// Fewest Morris trajectories: with fewer, the spread (sigma) of the
/// elementary effects rests on a handful of values (Saltelli et al. 2008,
/// ch. 3, use 10 to 20).
const MIN_TRAJECTORIES: usize = 10;
/// Fewest and most permutations for Shapley effects.
const MIN_PERMUTATIONS: usize = 100;
const MAX_PERMUTATIONS: usize = 1_000_000;
/// Most Morris trajectories.
const MAX_TRAJECTORIES: usize = 1_000_000;

/// Refuses sizes too small for an estimate to mean anything, and sizes
/// whose memory or time is out of reach, before anything is allocated.
fn check_sizes(
    args: &SensitivityArgs,
    methods: &[Method],
    problem: &ScenarioProblem,
    claim_problem: &ScenarioProblem,
) -> Result<()> {
    let bad = |flag: &str, why: String| Err(Error::Usage(format!("{flag}: {why}")));
    let uses = |m: Method| methods.contains(&m);
    let n = args.runs;
    let needs_n = uses(Method::Sobol) || uses(Method::Rank) || uses(Method::Filter);
    if needs_n && n < MIN_BASE_RUNS {
        return bad(
            "-n",
            format!(
                "{n} runs are too few for Sobol indices or rank correlations to mean anything \
                 (their error is about 1 / sqrt(N)); use at least {MIN_BASE_RUNS}, e.g. the \
                 default 16384"
            ),
        );
    }
    if needs_n && n > MAX_BASE_RUNS {
        return bad(
            "-n",
            format!(
                "{} is more than the {} base runs sensitivity allows; the Sobol design makes \
                 N x (k + 2) model runs, and 16384 already gives indices to about 0.01",
                number(n as f64, 0),
                number(MAX_BASE_RUNS as f64, 0)
            ),
        );
    }
    if uses(Method::Sobol) {
        let r = args.replicates;
        if !REPLICATES.contains(&r) {
            return bad(
                "--replicates",
                format!(
                    "{r} is outside {}..={}: fewer leave the interval's standard error resting \
                     on a handful of values, more add nothing",
                    REPLICATES.start(),
                    REPLICATES.end()
                ),
            );
        }
        if !n.is_multiple_of(r as u64) || n / (r as u64) < MIN_POINTS_PER_REPLICATE {
            return bad(
                "-n",
                format!(
                    "{n} is not a multiple of --replicates {r} with at least \
                     {MIN_POINTS_PER_REPLICATE} points each; use e.g. {}",
                    (n / r as u64)
                        .max(MIN_POINTS_PER_REPLICATE)
                        .next_power_of_two()
                        * r as u64
                ),
            );
        }
    }
    if uses(Method::Morris) && !(MIN_TRAJECTORIES..=MAX_TRAJECTORIES).contains(&args.trajectories) {
        return bad(
            "--trajectories",
            format!(
                "{} is outside {MIN_TRAJECTORIES}..={}: fewer give no meaningful spread of \
                 the elementary effects, more add nothing a screen needs",
                args.trajectories,
                number(MAX_TRAJECTORIES as f64, 0)
            ),
        );
    }
    if uses(Method::Shapley) && !(MIN_PERMUTATIONS..=MAX_PERMUTATIONS).contains(&args.permutations)
    {
        return bad(
            "--permutations",
            format!(
                "{} is outside {MIN_PERMUTATIONS}..={}: fewer leave each effect's standard \
                 error above about 0.05",
                args.permutations,
                number(MAX_PERMUTATIONS as f64, 0)
            ),
        );
    }
    // Memory: the design and outputs of each method, 8 bytes a number;
    // Sobol and Shapley keep every year of the headline metrics too.
    let inputs = problem.inputs().len() as f64;
    let outputs = problem.outputs().len() as f64;
    let with_years = outputs + (BY_YEAR.len() * nexus_mc::model::YEARS) as f64;
    let k = problem.uncertain().len() as f64;
    let mut need: f64 = 0.0;
    for &m in methods {
        let numbers = match m {
            Method::Sobol => sens::sobol_runs(problem, n as usize) as f64 * (inputs + with_years),
            Method::Shapley => args.permutations as f64 * k * with_years,
            Method::Rank | Method::Filter => n as f64 * (inputs + outputs),
            Method::Morris => {
                sens::morris_runs(problem, args.trajectories) as f64 * (inputs + outputs)
            }
            Method::Switching => sens::switching_runs(claim_problem, 1) as f64 * (inputs + outputs),
            Method::Tornado | Method::All => 0.0,
        };
        need = need.max(numbers * 8.0);
    }
    nexus_mc::limits::check_memory(
        need,
        &format!("sensitivity -n {n}"),
        "use a smaller -n or fewer --trajectories",
    )
    .map_err(Error::Usage)
}

/// What the methods found.
#[derive(Default)]
struct Results {
    sobol: Option<Vec<sens::SobolIndex>>,
    tornado: Option<Vec<sens::TornadoBar>>,
    rank: Option<Vec<sens::RankCorrelation>>,
    switching: Option<Vec<sens::SwitchingValue>>,
    morris: Option<Vec<sens::MorrisEffect>>,
    shapley: Option<Vec<sens::ShapleyEffect>>,
    filter: Option<Filtering>,
}

/// Each claim's name and P(holds) on the sample, and what filtering found.
type Filtering = (Vec<(String, f64)>, Vec<sens::Filtered>);

/// The parameters that decide each output, and where the first claim flips.
fn print_summary(
    problem: &ScenarioProblem,
    claim_problem: &ScenarioProblem,
    tests: &[ClaimTest],
    results: &Results,
) {
    let names = problem.outputs();
    if let Some(effects) = &results.shapley {
        for (o, name) in names.iter().enumerate() {
            let mut these: Vec<_> = effects.iter().filter(|e| e.output == o).collect();
            these.sort_by(|a, b| b.effect.total_cmp(&a.effect));
            let top: Vec<String> = these
                .iter()
                .take(4)
                .map(|e| {
                    format!(
                        "{} {} +- {}",
                        problem.inputs()[e.input].name,
                        significant(e.effect, 2),
                        significant(e.std_error, 1)
                    )
                })
                .collect();
            println!("{name}: largest Shapley effects: {}", top.join(", "));
        }
    }
    if let Some((shares, rows)) = &results.filter {
        for (c, (claim, p)) in shares.iter().enumerate() {
            let mut these: Vec<_> = rows.iter().filter(|f| f.claim == c).collect();
            if these.is_empty() {
                continue;
            }
            these.sort_by(|a, b| b.ks.total_cmp(&a.ks));
            let top: Vec<String> = these
                .iter()
                .take(3)
                .map(|f| {
                    format!(
                        "{} (KS {})",
                        claim_problem.inputs()[f.input].name,
                        significant(f.ks, 2)
                    )
                })
                .collect();
            println!(
                "\"{claim}\" holds in {} of the runs; the runs where it holds differ most in {}",
                nexus_mc::table::probability(*p),
                top.join(", ")
            );
        }
    }
    if let Some(indices) = &results.sobol {
        for (o, name) in names.iter().enumerate() {
            let mut these: Vec<_> = indices.iter().filter(|i| i.output == o).collect();
            these.sort_by(|a, b| b.st.estimate.total_cmp(&a.st.estimate));
            let top: Vec<String> = these
                .iter()
                .take(4)
                .filter(|i| i.st.estimate > 0.0)
                .map(|i| {
                    format!(
                        "{} {}",
                        problem.inputs()[i.input].name,
                        significant(i.st.estimate, 2)
                    )
                })
                .collect();
            println!("{name}: largest total Sobol indices: {}", top.join(", "));
        }
    }
    if let Some(values) = &results.switching {
        println!("switching values (one parameter moves, the others stay at their medians):");
        for (c, test) in tests.iter().enumerate() {
            let these: Vec<_> = values.iter().filter(|v| v.claim == c).collect();
            if these.is_empty() {
                println!("  \"{}\": no uncertain parameter to move", test.name);
                continue;
            }
            let at_median = these.first().is_some_and(|v| v.holds_at_median);
            let flips: Vec<String> = these
                .iter()
                .filter(|v| v.switch != Switch::None)
                .map(|v| {
                    format!(
                        "{} {}",
                        claim_problem.inputs()[v.input].name,
                        output::switching_reading(claim_problem, v)
                    )
                })
                .collect();
            let verdict = if at_median { "holds" } else { "fails" };
            if flips.is_empty() {
                println!(
                    "  \"{}\" {verdict} at the medians; no single parameter flips it within its range",
                    test.name
                );
            } else {
                println!(
                    "  \"{}\" {verdict} at the medians; {}",
                    test.name,
                    flips.join("; ")
                );
            }
        }
    }
}
