//! The command line: argument definitions and the commands behind them.
//! `main.rs` only parses and calls [`run`].

mod baseline;
mod bridge;
mod jobs;
mod run;
mod sensitivity;
mod validate;

use clap::{Parser, Subcommand};

pub use baseline::BaselineArgs;
pub use bridge::BridgeArgs;
pub use run::{MergeArgs, RunArgs};
pub use sensitivity::SensitivityArgs;
pub use validate::ValidateArgs;

use std::path::{Path, PathBuf};

use jobs::Bar;
use nexus_mc::commands;
use nexus_mc::error::Result;
use nexus_mc::model::Param;
use nexus_mc::output::OutDir;
use nexus_mc::Control;

/// Monte Carlo sensitivity engine for the Biotech Nexus investment claims.
#[derive(Debug, Parser)]
#[command(
    name = "nexus-mc",
    version,
    about,
    long_about = None,
    after_help = "Environment:\n  NEXUS_MC_ISA  portable, avx2 or avx512: the instruction set of the hot \
                  loops [default: the best this processor has]. Every path gives the same \
                  bytes; a path the processor lacks is refused with exit 2."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Deterministic run: prints the plan's Tabel 2 as modelled, next to the
    /// published figures, with the anomalies; writes baseline.csv (2026..2050).
    Baseline(BaselineArgs),
    /// Checks scenario files and reports every problem in each (file, line,
    /// key, reason); for a valid file, prints each parameter's family and the
    /// P5 / P50 / P95 of its distribution. Exit 0 only if all are valid.
    Validate(ValidateArgs),
    /// Monte Carlo run: draws parameter sets from a scenario, evaluates the
    /// model for each in parallel and writes bands.csv (percentile bands per
    /// metric and year), claims.csv (probability that each published claim
    /// holds, with its standard error), histogram.csv (the 2035 GDP share
    /// and NPV in 60 bins) and manifest.json; with --shard also
    /// shard-state.bin.
    Run(RunArgs),
    /// Combines the outputs of `run --shard K/N` (one directory per shard)
    /// into the outputs of the whole run: bands.csv, claims.csv,
    /// histogram.csv and manifest.json.
    Merge(MergeArgs),
    /// Which assumption decides each claim: Sobol indices (S1, ST with
    /// intervals, and every year of the headline metrics), Shapley effects
    /// under the declared correlations, a tornado of P10/P90 swings, rank
    /// correlations, switching values of every claim, Morris screening and
    /// Monte Carlo filtering. Writes, for the methods run, sobol.csv,
    /// indices_by_year.csv, shapley.csv, tornado.csv, rank_correlation.csv,
    /// switching_values.csv, morris.csv, filter.csv, and manifest.json.
    Sensitivity(SensitivityArgs),
    /// Why a claim fails: attributes the move of each headline statistic
    /// from one scenario to another to the parameters that differ, by
    /// Shapley values (order-free), beside the one-at-a-time waterfall.
    /// Writes bridge.csv and manifest.json.
    Bridge(BridgeArgs),
    /// Draws charts (SVG) and writes report.html, one self-contained page,
    /// from the --out directories of `run` (or `merge`), `sensitivity` and `bridge`.
    Report(ReportArgs),
}

/// Flags of `nexus-mc report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The output directories: at most one each of `run` (or `merge`),
    /// `sensitivity` and `bridge`.
    #[arg(required = true, num_args = 1..=3, value_name = "DIR")]
    pub dirs: Vec<std::path::PathBuf>,

    /// Output directory for report.html and charts/ [default: out/report].
    /// Replaced whole (a killed command leaves the earlier report or the new
    /// one); it may not be, contain or lie inside one of the DIRs, whose
    /// output sets stay as they are.
    #[arg(long, value_name = "DIR", default_value = "out/report")]
    pub out: std::path::PathBuf,

    /// Write into --out even if it holds files nexus-mc did not write: they
    /// are kept (hard-linked), files of the same names are replaced.
    #[arg(long)]
    pub force: bool,
}

/// The `--out` help of a command whose default is `default` and whose
/// inputs are `inputs`.
fn out_help(default: &str, inputs: &str) -> String {
    format!(
        "Output directory [default: {default}]. Created when the results are ready. It \
         must be new, empty or hold an earlier nexus-mc output set, which is replaced whole \
         (a killed command leaves the earlier set or the new one, never a mix); anything \
         else needs --force. It may not be, contain or lie inside an input of the command \
         ({inputs})"
    )
}

/// The output flags of the commands that write an output set.
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Output directory [default: out/COMMAND]. Each command's `--help`
    /// gives its own default (see [`out_help`]).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Write into --out even if it holds files nexus-mc did not write: they
    /// are kept in the new set (hard-linked), files of the same names as
    /// outputs are replaced. For `run --samples`, also replace a regular
    /// file that is not a samples file nexus-mc wrote (a FIFO, device, link
    /// or directory is never replaced).
    #[arg(long)]
    pub force: bool,

    /// Also draw the charts (charts/*.svg) and write report.html into --out,
    /// from the results in memory.
    #[arg(long)]
    pub report: bool,
}

impl OutputArgs {
    /// `--out`, or `default`.
    fn dir(&self, default: PathBuf) -> PathBuf {
        self.out.clone().unwrap_or(default)
    }

    /// Checks `dir` before any work starts (see [`OutDir::prepare`]).
    fn prepare(&self, dir: &Path, inputs: &[PathBuf]) -> Result<OutDir> {
        OutDir::prepare(dir, self.force, inputs)
    }
}

pub(super) fn switch(param: Param) -> impl Fn(&str) -> Result<f64, String> + Clone {
    move |text| param.parse_value(text).map_err(|e| e.0)
}

pub(super) fn parse_assignment(text: &str) -> Result<(Param, f64), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not NAME=VALUE"))?;
    let param = Param::from_name(name.trim()).ok_or_else(|| {
        let names: Vec<_> = Param::ALL.iter().map(|p| p.name()).collect();
        format!(
            "unknown parameter `{name}`; parameters are {}",
            names.join(", ")
        )
    })?;
    Ok((param, param.parse_value(value.trim()).map_err(|e| e.0)?))
}

fn report(args: ReportArgs, control: &Control<'_>) -> Result<()> {
    let dir = OutDir::prepare(&args.out, args.force, &args.dirs)?;
    let report = commands::report(&args.dirs, control)?;
    control.check()?;
    report.write_set(dir)?;
    let out = args.out;
    println!(
        "report: {} ({} charts in {})",
        out.join("report.html").display(),
        report.charts().len(),
        out.join("charts").display()
    );
    Ok(())
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    // A forced instruction set the processor lacks is refused before any work.
    nexus_mc::arch::Isa::selected().map_err(|e| nexus_mc::Error::Usage(e.to_string()))?;
    let cancel = jobs::interrupt_flag();
    let control = |threads, bar| Control {
        cancel: Some(cancel),
        progress: Some(bar),
        threads,
    };
    match cli.command {
        Command::Baseline(args) => baseline::baseline(args),
        Command::Validate(args) => validate::validate(args),
        Command::Run(args) => {
            let bar = Bar::new(args.quiet);
            let threads = args.threads;
            let done = run::run(args, &control(threads, &bar));
            bar.finish();
            done
        }
        Command::Merge(args) => run::merge(args, &control(None, &Bar::new(true))),
        Command::Sensitivity(args) => {
            let bar = Bar::new(args.quiet);
            let threads = args.threads;
            let done = sensitivity::sensitivity(args, &control(threads, &bar));
            bar.finish();
            done
        }
        Command::Bridge(args) => {
            let bar = Bar::new(args.quiet);
            let threads = args.threads;
            let done = bridge::bridge(args, &control(threads, &bar));
            bar.finish();
            done
        }
        Command::Report(args) => report(args, &control(None, &Bar::new(true))),
    }
}
