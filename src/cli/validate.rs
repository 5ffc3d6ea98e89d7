//! `nexus-mc validate`: check scenario files and show what their numbers mean.

use clap::Args;

use crate::config::Scenario;
use crate::distribution::Distribution;
use crate::error::{Error, Result};
use crate::model::Domain;
use crate::table::{significant, Table};

/// Flags of `nexus-mc validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files (paths, or names of shipped scenarios).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
}

pub(super) fn validate(args: ValidateArgs) -> Result<()> {
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
