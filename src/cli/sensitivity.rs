//! `nexus-mc sensitivity`: which assumption decides each claim.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};

use super::OutputArgs;
use nexus_mc::commands::{self as sens_cmd, SensitivityOptions, SensitivityStudy};
use nexus_mc::commands::{parse_runs, parse_seed, parse_threads};
use nexus_mc::config::Scenario;
use nexus_mc::error::Result;
use nexus_mc::model::{Metric, Param};
use nexus_mc::output;
use nexus_mc::sensitivity::{Problem, Switch};
use nexus_mc::table::{number, significant};
use nexus_mc::Control;

/// Flags of `nexus-mc sensitivity`.
#[derive(Debug, Args)]
#[command(mut_arg("out", |a| a.help(super::out_help("out/sensitivity", "the scenario files"))))]
pub struct SensitivityArgs {
    /// Scenario: a path to a .toml file, or the name of a shipped scenario
    /// (central, kpmg-point, alt-tax, optimism-bias, plan-as-written).
    #[arg(long, value_name = "FILE|NAME", default_value = "central")]
    pub config: String,

    /// Sobol base sample size N, 256 to 16,777,216: the Sobol design makes
    /// N x (k + 2) model runs for k uncertain parameters; also the Monte
    /// Carlo runs for rank correlations and filtering. Powers of two suit the Sobol
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
    #[arg(long = "output", value_name = "METRIC:YEAR", value_parser = sens_cmd::parse_output)]
    pub outputs: Vec<(Metric, i32)>,

    /// Independent scrambles of the Sobol points, 8 to 64: the N points are
    /// R sequences of N / R points (N must be a multiple of R), and the
    /// spread of their estimates gives the intervals (Student's t with R - 1
    /// degrees of freedom). Costs no model runs.
    #[arg(long, value_name = "R", default_value_t = 16)]
    pub replicates: usize,

    /// Coverage of the Sobol and Shapley intervals, 0.5 to 0.9999.
    #[arg(long, value_name = "C", default_value_t = 0.95, value_parser = sens_cmd::parse_confidence)]
    pub confidence: f64,

    /// Random permutations of the inputs for Shapley effects, 100 to
    /// 1,000,000; each makes 3 (k - 1) model runs, plus 20,000 runs for the
    /// output variance.
    #[arg(long, value_name = "M", default_value_t = 12_000)]
    pub permutations: usize,

    /// Morris trajectories, 10 to 1,000,000; each makes k + 1 model runs.
    #[arg(long, value_name = "R", default_value_t = 100)]
    pub trajectories: usize,

    #[command(flatten)]
    pub output: OutputArgs,

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
    /// The library's method; `None` for `all`.
    fn method(self) -> Option<sens_cmd::Method> {
        Some(match self {
            Method::Sobol => sens_cmd::Method::Sobol,
            Method::Tornado => sens_cmd::Method::Tornado,
            Method::Rank => sens_cmd::Method::Rank,
            Method::Switching => sens_cmd::Method::Switching,
            Method::Morris => sens_cmd::Method::Morris,
            Method::Shapley => sens_cmd::Method::Shapley,
            Method::Filter => sens_cmd::Method::Filter,
            Method::All => return None,
        })
    }
}

pub(super) fn sensitivity(args: SensitivityArgs, control: &Control<'_>) -> Result<()> {
    let clock = Instant::now();
    let scenario = Scenario::load(&args.config)?;
    let out_path = args.output.dir(PathBuf::from("out/sensitivity"));
    let out = args.output.prepare(&out_path, &scenario.file_paths())?;
    let methods: Option<Vec<sens_cmd::Method>> = args.method.iter().map(|m| m.method()).collect();
    let opts = SensitivityOptions {
        scenario,
        methods,
        outputs: args.outputs.clone(),
        runs: args.runs,
        seed: args.seed,
        replicates: args.replicates,
        confidence: args.confidence,
        permutations: args.permutations,
        trajectories: args.trajectories,
    };
    let mut study = SensitivityStudy::plan(&opts)?;
    if !args.quiet {
        print_plan(&study);
    }
    study.compute(control)?;
    let files = study.write(out, args.output.report)?;
    if !args.quiet {
        print_summary(&study);
        println!(
            "outputs: {}/{{{}, manifest.json}} in {:.1} s",
            out_path.display(),
            files.join(", "),
            clock.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// What the study will do.
fn print_plan(study: &SensitivityStudy) {
    let opts = study.options();
    let uncertain = study.problem.uncertain().len();
    println!(
        "{}: {uncertain} uncertain parameters, outputs {}",
        opts.scenario.name,
        study.problem.outputs().join(", ")
    );
    if let Some(r) = study.model_runs.get("sobol") {
        println!(
            "sobol: {} x ({uncertain} + 2) = {} model runs, {} independent scrambles",
            number(opts.runs as f64, 0),
            number(*r as f64, 0),
            opts.replicates
        );
    }
    if !opts.scenario.correlations.is_empty() {
        println!("note: {}", study.correlations);
    }
}

/// The parameters that decide each output, and where the first claim flips.
fn print_summary(results: &SensitivityStudy) {
    let (problem, claim_problem, tests) =
        (&results.problem, &results.claim_problem, &results.tests);
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
            let runs = results.model_runs.get("filter").copied().unwrap_or(0);
            let se = (p * (1.0 - p) / runs.max(1) as f64).sqrt();
            println!(
                "\"{claim}\" holds in a share {} of {} runs; the runs where it holds differ most in {}",
                nexus_mc::table::claim_probability(*p, Some(se), runs),
                number(runs as f64, 0),
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
                    let name = &claim_problem.inputs()[v.input].name;
                    // Named choices carry their meaning; numbers get the
                    // parameter's unit from the scenario.
                    let unit = Param::from_name(name)
                        .map(|p| results.options().scenario.parameter(p).unit.as_str())
                        .filter(|u| !u.is_empty() && *u != "switch")
                        .map(|u| format!(" ({u})"))
                        .unwrap_or_default();
                    format!(
                        "{name} {}{unit}",
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
