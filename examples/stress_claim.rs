//! Load a scenario, run it through the library API and print how likely the
//! 1.2 % claim is.
//!
//!     cargo run --release --example stress_claim                  # central, 100,000 runs
//!     cargo run --release --example stress_claim -- plan-as-written 20000

use nexus_mc::config::Scenario;
use nexus_mc::engine::{Engine, RunPlan};
use nexus_mc::table::claim_probability;
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
    let mut args = std::env::args().skip(1);
    let config = args.next().unwrap_or_else(|| "central".into());
    let runs: u64 = match args.next() {
        Some(n) => n
            .parse()
            .map_err(|_| format!("runs: `{n}` is not a whole number"))?,
        None => 100_000,
    };

    let scenario = Scenario::load(&config)?;
    let engine = Engine::new(&scenario, RunPlan::new(runs))?;
    let summary = engine.run(&Control::default())?.summary(engine.claims());

    let claim = summary
        .claim(nexus_mc::claims::names::GDP_SHARE)
        .expect("the default claim set has it");
    // With its standard error (Monte Carlo draws are iid), or the 95 % bound
    // when no run (or every run) holds it.
    let p = claim_probability(claim.probability(), Some(claim.std_error()), claim.runs);
    println!(
        "{}: P(GDP share 2035 >= 1.2 %) = {p} ({} runs)",
        scenario.name, claim.runs
    );
    Ok(())
}
