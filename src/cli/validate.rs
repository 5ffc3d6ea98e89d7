//! `nexus-mc validate`: check scenario files and show what their numbers mean.

use clap::Args;

use nexus_mc::commands;
use nexus_mc::config::Scenario;
use nexus_mc::error::{Error, Result};
use nexus_mc::table::Table;

/// Flags of `nexus-mc validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files (paths, or names of shipped scenarios).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
}

pub(super) fn validate(args: ValidateArgs) -> Result<()> {
    let mut invalid = 0;
    for loaded in commands::validate(&args.files) {
        match loaded {
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
        let [p5, p50, p95] = spec.percentiles();
        t.row([
            spec.param.name().to_string(),
            spec.describe(),
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
    let mut out = format!(
        "ok: {} (scenario {}: {uncertain} uncertain parameter{}{correlations})\n{}",
        s.origin,
        s.name,
        if uncertain == 1 { "" } else { "s" },
        t.render()
    );
    if !s.correlations.is_empty() {
        let mut t = Table::new(["rank correlation", "rank", "declared in"]);
        for c in &s.correlations {
            t.row([
                format!("{}, {}", c.between.0, c.between.1),
                c.rank.to_string(),
                c.origin.clone(),
            ]);
        }
        out.push_str(&t.render());
    }
    out
}
