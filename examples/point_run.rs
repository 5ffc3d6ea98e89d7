//! Evaluate the model through the library API: the kpmg-point scenario with
//! the multiplier changed, printing what happens to the headline claims.
//!
//! `cargo run --example point_run -- 1.5` (the multiplier; default 1.97)

use nexus_mc::config::Scenario;
use nexus_mc::model::{Metric, Model, Outputs, Param};

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
    let multiplier = match std::env::args().nth(1) {
        Some(text) => Param::Multiplier.parse_value(&text)?,
        None => 1.97,
    };
    let scenario = Scenario::load("kpmg-point")?;
    let model = Model::new(&scenario.schedules);
    let mut out = Outputs::default();
    model.evaluate(
        &scenario.point().with(Param::Multiplier, multiplier),
        &mut out,
    );
    println!("multiplier {multiplier}:");
    println!(
        "  GDP contribution 2035  {:>9.0} EUR m",
        out.at(Metric::GdpTotal, 2035)
    );
    println!(
        "  share of GDP 2035      {:>9.2} %",
        out.at(Metric::GdpSharePct, 2035)
    );
    println!(
        "  jobs 2035              {:>9.0}",
        out.at(Metric::Jobs, 2035)
    );
    println!(
        "  NPV 2026-2035          {:>9.0} EUR m",
        out.at(Metric::NpvCum, 2035)
    );
    Ok(())
}
