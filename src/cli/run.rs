//! `nexus-mc run` and `nexus-mc merge`: the Monte Carlo job and the step that
//! joins the shards of a job array.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};

use super::OutputArgs;
use nexus_mc::commands::{self, MergeOptions, RunOptions, RunResults};
use nexus_mc::commands::{parse_replicates, parse_runs, parse_seed, parse_threads};
use nexus_mc::config::Scenario;
use nexus_mc::engine::{ClaimResult, QuantileMethod, Shard};
use nexus_mc::error::{Error, Result};
use nexus_mc::model::Metric;
use nexus_mc::output::{self, PendingFile, SamplesWriter};
use nexus_mc::precision::PrecisionSpec;
use nexus_mc::sampler::SamplerKind;
use nexus_mc::table::{number, Table};
use nexus_mc::Control;

/// Flags of `nexus-mc run`.
#[derive(Debug, Args)]
#[command(mut_arg("out", |a| a.help(super::out_help(
    "out/run; for --shard K/N: out/shard-K-of-N",
    "the scenario files",
))))]
pub struct RunArgs {
    /// Scenario: a path to a .toml file, or the name of a shipped scenario
    /// (central, kpmg-point, alt-tax, optimism-bias, plan-as-written).
    #[arg(long, value_name = "FILE|NAME", default_value = "central")]
    pub config: String,

    /// Number of model runs in the whole run (all shards together), 1 to
    /// 10^12; a run that would need more memory than the machine has is
    /// refused before it starts. Accepts 1000000, 1_000_000 or 1e6.
    #[arg(short = 'n', long = "runs", value_name = "RUNS", default_value = "1000000", value_parser = parse_runs, allow_negative_numbers = true)]
    pub runs: u64,

    /// Master seed. The same scenario, seed, runs and sampler give the same
    /// bytes in bands.csv and claims.csv, on any number of threads or shards.
    #[arg(long, value_name = "S", default_value = "42", value_parser = parse_seed, allow_negative_numbers = true)]
    pub seed: u64,

    /// Worker threads, 1 to 1,024 [default: one per core]. Results do not
    /// depend on it.
    #[arg(long, value_name = "T", value_parser = parse_threads)]
    pub threads: Option<usize>,

    /// How parameter sets are drawn: `mc` (independent Monte Carlo draws),
    /// `lhs` (Latin hypercube over the whole run) or `sobol` (Owen-scrambled
    /// Sobol points; best with RUNS a power of two).
    #[arg(long, value_name = "mc|lhs|sobol", default_value = "mc", value_parser = parse_sampler)]
    pub sampler: SamplerKind,

    /// Evaluate only shard K of N (K counts from 0, as in a job array): chunks
    /// K, K+N, K+2N, ... of the whole run, 2,048 runs each. Also writes
    /// shard-state.bin, which `nexus-mc merge` combines into the whole run.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,

    /// Run until the 95 % intervals of chosen statistics reach a half-width,
    /// with -n RUNS as the cap. SPEC is NAME=WIDTH[,NAME=WIDTH...]: NAME is
    /// METRIC:YEAR:STAT (STAT mean or p05 ... p95, a column of bands.csv) or
    /// `claims` (every claim's probability); WIDTH is absolute in the
    /// statistic's unit (0.001) or relative to its value (0.5%). Alone, the
    /// default set: the 2035 GDP share's P5, P50 and P95 and the 2035 jobs'
    /// P50 to 0.5 %, every claim to 0.001. The run looks at 65,536 runs and
    /// then at checkpoints about 5 % apart (whole chunks of 2,048 runs), so
    /// it stops at the same runs on any number of threads, and the same
    /// SPEC and -n give the same bytes; the summary and manifest say what was
    /// reached, and say so when the cap came first. With --sampler lhs or
    /// sobol the intervals come from --replicates (16 unless given), and the
    /// checkpoints fall on whole multiples of R chunks. With --shard the
    /// shard runs its planned runs and only reports.
    #[arg(long, value_name = "SPEC", num_args = 0..=1, default_missing_value = "default")]
    pub precision: Option<PrecisionSpec>,

    /// Independent randomisations of a --sampler lhs or sobol run, 2 to
    /// 1,024 (1: none), whose spread gives the 95 % intervals (Student's t over R)
    /// in band_intervals.csv and claim_intervals.csv and the std_error of
    /// claims.csv. Chunk c (2,048 runs) belongs to randomisation c mod R;
    /// each LHS chunk is then a Latin hypercube of its own, and each Sobol
    /// randomisation its own scramble. Needs at least R chunks (R x 2,048
    /// runs). [default: 16 with --precision, else 1: one design over the
    /// whole run, whose intervals are not stated]. Not for --sampler mc,
    /// whose draws are iid already.
    #[arg(long, value_name = "R", value_parser = parse_replicates)]
    pub replicates: Option<u64>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Quantiles in bands.csv: `exact` reads the order statistics themselves
    /// (keeping up to 1,600 bytes a run, at most 2,000,000 runs); `sketch` keeps bounded memory for any RUNS,
    /// with relative error 2^-12 (0.024 %) at the band percentiles a pilot
    /// of the first 32,768 runs locates (the manifest records the bound
    /// achieved; 2^-7 should one fall outside); `auto` is exact up to
    /// 250,000 runs, sketch above. Means, standard deviations and claim
    /// probabilities do not depend on it.
    #[arg(long, value_name = "auto|exact|sketch", default_value = "auto")]
    pub quantiles: QuantileChoice,

    /// Also write every run's drawn inputs and key outputs (GDP, GDP share
    /// and jobs in 2035, NPV to 2035 and to 2050) to this CSV file, streamed
    /// in run order. Large: about 15 bytes a column a run, 359 bytes a run
    /// for central (24 columns). Not inside --out, and not a scenario file.
    #[arg(long, value_name = "FILE")]
    pub samples: Option<PathBuf>,

    /// No progress bar and no summary (errors still go to stderr). The bar
    /// is shown only when stderr is a terminal anyway.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Flags of `nexus-mc merge`.
#[derive(Debug, Args)]
#[command(mut_arg("out", |a| a.help(super::out_help("out/merge", "the shard directories"))))]
pub struct MergeArgs {
    /// The --out directories of `run --shard K/N` for every K of one run.
    /// Each is checked before use: every file against the SHA-256 in its
    /// manifest, the state file against its own checksum, the decoded
    /// numbers against the shard they claim to be.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// No summary on stdout.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--quantiles`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum QuantileChoice {
    /// Exact up to 250,000 runs, sketch above.
    Auto,
    /// Every value kept.
    Exact,
    /// Bounded memory.
    Sketch,
}

impl QuantileChoice {
    fn resolve(self) -> Option<QuantileMethod> {
        match self {
            QuantileChoice::Auto => None,
            QuantileChoice::Exact => Some(QuantileMethod::Exact),
            QuantileChoice::Sketch => Some(QuantileMethod::Sketch),
        }
    }
}

fn parse_sampler(text: &str) -> std::result::Result<SamplerKind, String> {
    text.parse().map_err(|e: nexus_mc::model::ValueError| e.0)
}

pub(super) fn run(args: RunArgs, control: &Control<'_>) -> Result<()> {
    let clock = Instant::now();
    let opts = RunOptions {
        scenario: Scenario::load(&args.config)?,
        runs: args.runs,
        seed: args.seed,
        sampler: args.sampler,
        quantiles: args.quantiles.resolve(),
        shard: args.shard,
        precision: args.precision,
        replicates: args.replicates,
    };
    let default_out = match args.shard {
        Some(s) => PathBuf::from(format!("out/shard-{}-of-{}", s.index, s.count)),
        None => PathBuf::from("out/run"),
    };
    let out_path = args.output.dir(default_out);
    let mut inputs = opts.scenario.file_paths();
    if let Some(samples) = &args.samples {
        check_samples_path(samples, &out_path, &inputs, args.output.force)?;
        inputs.push(samples.clone());
    }
    let out = args.output.prepare(&out_path, &inputs)?;
    let mut samples = args
        .samples
        .as_deref()
        .map(|path| SamplesFile::create(path, &opts))
        .transpose()?;
    let results = match samples.as_mut() {
        Some(file) => {
            commands::run_with_samples(&opts, control, Some(&mut |block| file.writer.write(block)))
        }
        None => commands::run(&opts, control),
    }?;
    let files = results.write(out, args.output.report)?;
    let samples_path = samples.map(SamplesFile::persist).transpose()?;

    if !args.quiet {
        let seconds = clock.elapsed().as_secs_f64();
        let timing = format!(
            " in {seconds:.1} s, {} runs/s",
            number(results.runs as f64 / seconds.max(1e-9), 0)
        );
        print_summary(&results, &timing, &out_path, &files);
        if let Some(path) = samples_path {
            println!("samples: {}", path.display());
        }
        if let Some(shard) = args.shard {
            println!(
                "this is shard {shard}; combine all {} with `nexus-mc merge DIR... --out DIR`",
                shard.count
            );
        }
    }
    Ok(())
}

pub(super) fn merge(args: MergeArgs, control: &Control<'_>) -> Result<()> {
    let out_path = args.output.dir(PathBuf::from("out/merge"));
    let out = args.output.prepare(&out_path, &args.dirs)?;
    let results = commands::merge(
        &MergeOptions {
            dirs: args.dirs.clone(),
        },
        control,
    )?;
    let files = results.write(out, args.output.report)?;
    if !args.quiet {
        // The merge's own time says nothing of the run: report the shards'.
        let timing = format!(
            "; {} shards ran {:.1} s in all, {} runs/s per shard",
            args.dirs.len(),
            results.shard_seconds,
            number(results.runs as f64 / results.shard_seconds.max(1e-3), 0)
        );
        print_summary(&results, &timing, &out_path, &files);
    }
    Ok(())
}

/// `--samples` must be a new file of its own: not an input, not inside the
/// output set (which is replaced whole), not a directory.
fn check_samples_path(samples: &Path, out: &Path, inputs: &[PathBuf], force: bool) -> Result<()> {
    let bad = |why: String| Error::Usage(format!("--samples {}: {why}", samples.display()));
    let at = output::resolve(samples).map_err(|e| bad(e.to_string()))?;
    for input in inputs {
        if output::resolve(input).is_ok_and(|i| i == at) {
            return Err(bad(format!(
                "is the scenario file {}, which this run reads; choose another file",
                input.display()
            )));
        }
    }
    if let Some(why) = output::samples_target_problem(samples, force) {
        return Err(bad(why));
    }
    if let Ok(out) = output::resolve(out) {
        if at.starts_with(&out) {
            return Err(bad(format!(
                "is inside --out {}, whose output set is replaced whole; write the samples \
                 beside it instead",
                out.display()
            )));
        }
    }
    Ok(())
}

/// The headline: where the outputs are and what they say, in a few lines.
fn print_summary(results: &RunResults, timing: &str, out: &Path, files: &[String]) {
    let (identity, summary, runs) = (&results.identity, &results.summary, results.runs);
    let stated = output::errors_stated(&identity.sampler, identity.replicates, summary.replicates);
    println!(
        "{}: {} runs (sampler {}, seed {}, {} quantiles){timing}",
        identity.scenario,
        number(runs as f64, 0),
        identity.sampler,
        identity.seed,
        identity.quantiles.name(),
    );
    if let Some(b) = summary.band(Metric::GdpSharePct, 2035) {
        println!(
            "GDP share 2035: median {:.2} %, 90 % band {:.2} - {:.2} % (the plan: 1.2 %)",
            b.p50, b.p05, b.p95
        );
    }
    if let Some(c) = summary.claims.first() {
        println!("P({}) = {}", c.claim, probability(c, stated));
    }
    let mut t = Table::new(["claim", "test", "P(holds)"]);
    for c in &summary.claims {
        t.row([
            c.claim.name.clone(),
            c.claim.to_string(),
            probability(c, stated),
        ]);
    }
    print!("{}", t.render());
    if let Some(p) = &results.precision {
        print_precision(p, results.shard);
    }
    println!(
        "outputs: {}/{{{}}}",
        out.display(),
        listing(files).join(", ")
    );
}

/// What a `--precision` run reached: plainly whether every target was
/// met, and each statistic's half-width against its target.
fn print_precision(p: &nexus_mc::precision::PrecisionReport, shard: Option<Shard>) {
    let missed = p.statistics.iter().filter(|o| !o.met).count();
    let of = p.statistics.len();
    let runs = number(p.runs as f64, 0);
    let checkpoints: Vec<String> = p.checkpoints.iter().map(|&c| number(c as f64, 0)).collect();
    match (p.checkpoints.is_empty(), p.reached, shard) {
        (false, true, _) => println!(
            "precision: every target met at {runs} runs (cap {}; looked at {})",
            number(p.cap as f64, 0),
            checkpoints.join(", ")
        ),
        (false, false, _) => println!(
            "precision: NOT REACHED: the cap of {} runs came first, with {missed} of {of} \
             targets missed; raise -n or widen the targets",
            number(p.cap as f64, 0)
        ),
        (true, _, Some(shard)) => println!(
            "precision: reported only, for this shard's {runs} runs ({missed} of {of} targets \
             not met); shard {shard} runs its planned runs, and merge reports the whole run"
        ),
        (true, true, None) => println!("precision: every target met by the {runs} runs merged"),
        (true, false, None) => println!(
            "precision: NOT REACHED by the {runs} runs merged: {missed} of {of} targets \
             missed; run more shards or runs, or widen the targets"
        ),
    }
    let mut t = Table::new(["statistic", "estimate", "half-width", "target", "met"]);
    for o in &p.statistics {
        let relative = o.target.ends_with('%');
        let width = match o.half_width {
            Some(h) if relative => format!("{} %", nexus_mc::table::significant(100.0 * h, 2)),
            Some(h) => nexus_mc::table::significant(h, 2),
            None => "none".into(),
        };
        t.row([
            o.statistic.clone(),
            nexus_mc::table::significant(o.estimate, 4),
            width,
            o.target.replace('%', " %"),
            if o.met { "yes" } else { "no" }.into(),
        ]);
    }
    print!("{}", t.render());
}

/// The files of an output set for people: the charts as one `charts/`,
/// the manifest last.
fn listing(files: &[String]) -> Vec<String> {
    let mut shown: Vec<String> = files
        .iter()
        .filter(|f| !f.starts_with("charts/"))
        .cloned()
        .collect();
    if files.iter().any(|f| f.starts_with("charts/")) {
        shown.push("charts/".into());
    }
    shown.push("manifest.json".into());
    shown
}

/// A claim's probability with its error (if `stated`: see
/// [`output::errors_stated`]), as `nexus_mc::table::claim_probability`
/// words it.
fn probability(c: &ClaimResult, stated: bool) -> String {
    nexus_mc::table::claim_probability(c.probability(), stated.then(|| c.std_error()), c.runs)
}

/// The `--samples` file: written to a temporary file beside the target and
/// renamed over it only when the run succeeds.
struct SamplesFile {
    path: PathBuf,
    writer: SamplesWriter<PendingFile>,
}

impl SamplesFile {
    fn create(path: &Path, opts: &RunOptions) -> Result<SamplesFile> {
        let bad = |e: std::io::Error| Error::Usage(format!("--samples {}: {e}", path.display()));
        let file = PendingFile::create(path).map_err(bad)?;
        let params = opts.scenario.uncertain_params();
        let writer = SamplesWriter::new(file, &params).map_err(bad)?;
        Ok(SamplesFile {
            path: path.to_path_buf(),
            writer,
        })
    }

    fn persist(self) -> Result<PathBuf> {
        let failed = |source| Error::Write {
            path: self.path.clone(),
            source,
        };
        self.writer
            .finish()
            .map_err(failed)?
            .persist()
            .map_err(failed)
    }
}
