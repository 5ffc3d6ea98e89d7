//! Load a scenario, run it through the library API and print how likely the
//! 1.2 % claim is.
//!
//!     cargo run --release --example stress_claim                  # central, 100,000 runs
//!     cargo run --release --example stress_claim -- plan-as-written 20000

use nexus_mc::config::Scenario;
use nexus_mc::engine::{Engine, RunPlan};
use nexus_mc::Control;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let config = args.next().unwrap_or_else(|| "central".into());
    let runs: u64 = args.next().map_or(Ok(100_000), |n| n.parse())?;

    let scenario = Scenario::load(&config)?;
    let engine = Engine::new(&scenario, RunPlan::new(runs))?;
    let summary = engine.run(&Control::default())?.summary(engine.claims());

    let claim = summary
        .claim(nexus_mc::claims::names::GDP_SHARE)
        .expect("the default claim set has it");
    println!(
        "{}: P(GDP share 2035 >= 1.2 %) = {:.4} +- {:.4} ({} runs)",
        scenario.name,
        claim.probability(),
        claim.std_error(),
        claim.runs
    );
    Ok(())
}
