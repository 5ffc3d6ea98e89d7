//! The command line: argument definitions and the commands behind them.
//! `main.rs` only parses and calls [`run`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::baseline::Baseline;
use crate::config::Scenario;
use crate::distribution::Distribution;
use crate::error::{Error, Result};
use crate::model::{Domain, Param, ParamSet};
use crate::output;
use crate::table::{significant, Table};

/// Monte Carlo sensitivity engine for the Biotech Nexus investment claims.
#[derive(Debug, Parser)]
#[command(name = "nexus-mc", version, about, long_about = None)]
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
}

/// Flags of `nexus-mc validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files (paths, or names of shipped scenarios).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
}

/// Flags of `nexus-mc baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Scenario: a path to a .toml file, or the name of a shipped scenario
    /// (kpmg-point). The baseline runs the scenario's point values.
    #[arg(long, value_name = "FILE|NAME", default_value = "kpmg-point")]
    pub config: String,

    /// Directory for baseline.csv; created if missing, the file replaced whole.
    #[arg(long, value_name = "DIR", default_value = "out/baseline")]
    pub out: PathBuf,

    /// How S starts in 2026: `published` (394, as in Tabel 2) or `rule`
    /// (lasting_share x G_2026 = 258); MODEL.md anomaly A. Default: the scenario's.
    #[arg(long, value_name = "published|rule", value_parser = switch(Param::LastingSeed))]
    pub lasting_seed: Option<f64>,

    /// What S does after 2035: `grow` (keeps compounding), `freeze` (stays at
    /// the 2035 level) or `expire` (each year's addition lives lasting_life
    /// years). Default: the scenario's.
    #[arg(long = "after-2035", value_name = "grow|freeze|expire", value_parser = switch(Param::After2035))]
    pub after_2035: Option<f64>,

    /// Tax method: `kpmg` (personnel share x tax burden) or `wage` (appendix
    /// 9.8: 27.2 % on G+S, 13.53 % on D). Default: the scenario's.
    #[arg(long, value_name = "kpmg|wage", value_parser = switch(Param::TaxMethod))]
    pub tax_method: Option<f64>,

    /// Set any parameter for this run, e.g. `--set multiplier=1.5` or
    /// `--set displacement=0.2`; repeatable. Values in the parameter's unit.
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_assignment)]
    pub set: Vec<(Param, f64)>,
}

fn switch(param: Param) -> impl Fn(&str) -> Result<f64, String> + Clone {
    move |text| param.parse_value(text)
}

fn parse_assignment(text: &str) -> Result<(Param, f64), String> {
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
    Ok((param, param.parse_value(value.trim())?))
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Baseline(args) => baseline(args),
        Command::Validate(args) => validate(args),
    }
}

fn validate(args: ValidateArgs) -> Result<()> {
    let mut invalid = 0;
    for file in &args.files {
        match Scenario::load(file) {
            Ok(scenario) => println!("{}", summary(&scenario)),
            Err(e) => {
                invalid += 1;
                eprintln!("{e}\n");
            }
        }
    }
    if invalid > 0 {
        return Err(Error::Usage(format!(
            "{invalid} of {} scenario files are invalid",
            args.files.len()
        )));
    }
    Ok(())
}

/// One line per parameter: family and the P5 / P50 / P95 of its marginal.
fn summary(s: &Scenario) -> String {
    let uncertain = s
        .parameters
        .iter()
        .filter(|p| !p.distribution.is_fixed())
        .count();
    let mut t = Table::new(["parameter", "distribution", "P5", "P50", "P95", "unit"]);
    for spec in &s.parameters {
        let q = |u| match spec.param.domain() {
            Domain::Choice(_) => spec.param.format_value(spec.distribution.quantile(u)),
            _ => significant(spec.distribution.quantile(u), 4),
        };
        let (p5, p50, p95) = if spec.distribution.is_fixed() {
            (String::new(), q(0.5), String::new())
        } else {
            (q(0.05), q(0.5), q(0.95))
        };
        let shown = match (&spec.distribution, spec.param.domain()) {
            (Distribution::Fixed(x), Domain::Choice(_)) => {
                format!("fixed({})", spec.param.format_value(*x))
            }
            (d, _) => d.to_string(),
        };
        t.row([
            spec.param.name().to_string(),
            shown,
            p5,
            p50,
            p95,
            spec.unit.clone(),
        ]);
    }
    let correlations = match s.correlations.len() {
        0 => String::new(),
        n => format!(", {n} rank correlation{}", if n == 1 { "" } else { "s" }),
    };
    format!(
        "ok: {} (scenario {}: {uncertain} uncertain parameter{}{correlations})\n{}",
        s.origin,
        s.name,
        if uncertain == 1 { "" } else { "s" },
        t.render()
    )
}

fn baseline(args: BaselineArgs) -> Result<()> {
    let scenario = Scenario::load(&args.config)?;
    let mut params: ParamSet = scenario.point();
    let switches = [
        (Param::LastingSeed, args.lasting_seed),
        (Param::After2035, args.after_2035),
        (Param::TaxMethod, args.tax_method),
    ];
    for (param, value) in switches
        .into_iter()
        .filter_map(|(p, v)| v.map(|v| (p, v)))
        .chain(args.set)
    {
        params[param] = value;
    }
    let shift = params[Param::PhaseLagShift];
    scenario
        .schedules
        .check_lag_shift(shift)
        .map_err(|why| Error::Usage(format!("phase_lag_shift = {why}")))?;
    let view = Baseline::new(&scenario, params);
    print!("{view}");
    let path = args.out.join("baseline.csv");
    output::write_atomic(&path, |w| output::write_baseline_csv(w, &view.outputs))?;
    println!("\nwrote {}", path.display());
    Ok(())
}
