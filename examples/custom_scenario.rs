//! Build a scenario in code instead of TOML: the plan's own numbers, with
//! only the multiplier and displacement uncertain and correlated, plus a
//! claim of its own, and run it.
//!
//!     cargo run --release --example custom_scenario

use nexus_mc::claims::{Claim, Op};
use nexus_mc::config::Scenario;
use nexus_mc::distribution::Distribution;
use nexus_mc::engine::{Engine, RunPlan};
use nexus_mc::model::{Metric, Param};
use nexus_mc::Control;

fn main() -> std::process::ExitCode {
    // Errors are printed as their messages, as the command line does.
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut scenario = Scenario::load("kpmg-point")?
        .with_parameter(
            Param::Multiplier,
            Distribution::pert(1.2, 1.6, 2.25, 4.0)?,
            "EFPIA/WifOR 2017 total / direct value added",
            "a national multiplier below the Europe-wide 1.97",
        )?
        .with_parameter(
            Param::Displacement,
            Distribution::beta_mean_sd(0.2, 0.1, 0.0, 1.0)?,
            "appraisal practice",
            "part of the activity moves from elsewhere",
        )?
        .with_correlation(
            Param::Multiplier,
            Param::Displacement,
            -0.3,
            "judgement",
            "a deep domestic supply chain both raises the multiplier and crowds out more",
        )?;
    scenario.name = "custom".into();
    scenario.claims.push(Claim::new(
        "half the 1.2 %",
        Metric::GdpSharePct,
        2035,
        Op::Ge,
        0.6,
    )?);

    let engine = Engine::new(&scenario, RunPlan::new(50_000))?;
    let summary = engine.run(&Control::default())?.summary(engine.claims());
    for c in &summary.claims {
        println!(
            "{:<26} P = {:.4} +- {:.4}",
            c.claim.name,
            c.probability(),
            c.std_error()
        );
    }
    let band = summary
        .band(Metric::GdpSharePct, 2035)
        .expect("a band metric");
    println!(
        "GDP share 2035: P5 {:.2} %, median {:.2} %, P95 {:.2} %",
        band.p05, band.p50, band.p95
    );
    Ok(())
}
