//! `nexus-mc baseline`: one deterministic run laid out against Tabel 2.

use std::path::PathBuf;

use clap::Args;

use super::{parse_assignment, switch};
use nexus_mc::commands::{self, BaselineOptions};
use nexus_mc::config::Scenario;
use nexus_mc::error::Result;
use nexus_mc::model::Param;
use nexus_mc::output::OutDir;

/// Flags of `nexus-mc baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Scenario: a path to a .toml file, or the name of a shipped scenario
    /// (central, kpmg-point, alt-tax, optimism-bias, plan-as-written). The
    /// baseline runs the scenario's point values: every parameter at its
    /// median (its value, where fixed).
    #[arg(long, value_name = "FILE|NAME", default_value = "kpmg-point")]
    pub config: String,

    /// Output directory for baseline.csv, an output set replaced whole (a
    /// killed command leaves the earlier set or the new one). It must be
    /// new, empty or hold an earlier nexus-mc output set; anything else
    /// needs --force. It may not be, contain or lie inside the scenario's
    /// files.
    #[arg(long, value_name = "DIR", default_value = "out/baseline")]
    pub out: PathBuf,

    /// Write into --out even if it holds files nexus-mc did not write: they
    /// are kept (hard-linked), a file named baseline.csv is replaced.
    #[arg(long)]
    pub force: bool,

    /// How S starts in 2026: `published` (394, as in Tabel 2) or `rule`
    /// (lasting_share x G_2026 = 258); docs/model.md anomaly A. Default: the scenario's.
    #[arg(long, value_name = "published|rule", value_parser = switch(Param::LastingSeed))]
    pub lasting_seed: Option<f64>,

    /// What S does after 2035: `grow` (keeps compounding), `freeze` (stays at
    /// the 2035 level) or `expire` (each year's addition lives lasting_life
    /// years; with lasting_life below 10 that lowers years before 2035 too,
    /// 2035 included: see docs/model.md section 9). Default: the scenario's.
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

pub(super) fn baseline(args: BaselineArgs) -> Result<()> {
    let switches = [
        (Param::LastingSeed, args.lasting_seed),
        (Param::After2035, args.after_2035),
        (Param::TaxMethod, args.tax_method),
    ];
    let set = switches
        .into_iter()
        .filter_map(|(p, v)| v.map(|v| (p, v)))
        .chain(args.set)
        .collect();
    let scenario = Scenario::load(&args.config)?;
    let out = OutDir::prepare(&args.out, args.force, &scenario.file_paths())?;
    let view = commands::baseline(&BaselineOptions { scenario, set })?;
    print!("{view}");
    view.write(out)?;
    println!("\nwrote {}", args.out.join("baseline.csv").display());
    Ok(())
}
