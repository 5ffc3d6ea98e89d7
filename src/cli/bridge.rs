//! `nexus-mc bridge`: what takes a claim from one scenario to another, step
//! by step, without depending on the order of the steps.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::OutputArgs;
use nexus_mc::bridge::{Bridge, BridgeOptions, BridgeResult, Method};
use nexus_mc::commands::{self, BridgeCommand};
use nexus_mc::commands::{parse_runs, parse_seed, parse_threads};
use nexus_mc::config::Scenario;
use nexus_mc::error::Result;
use nexus_mc::table::{significant, Table};
use nexus_mc::Control;

/// Flags of `nexus-mc bridge`.
#[derive(Debug, Args)]
#[command(mut_arg("out", |a| a.help(super::out_help(
    "out/bridge",
    "both scenarios' files",
))))]
pub struct BridgeArgs {
    /// The scenario bridged from: a path to a .toml file, or the name of a
    /// shipped scenario (central, kpmg-point, alt-tax, optimism-bias,
    /// plan-as-written); a fixed value is a distribution too, so kpmg-point
    /// works.
    #[arg(long, value_name = "FILE|NAME", default_value = "plan-as-written")]
    pub from: String,

    /// The scenario bridged to: a path or a shipped name, as for --from.
    #[arg(long, value_name = "FILE|NAME", default_value = "central")]
    pub to: String,

    /// Make several parameters one step, as NAME=p1,p2,... (repeatable),
    /// e.g. --group appraisal=additionality,displacement. Groups may not
    /// overlap and must name parameters that differ between the scenarios.
    #[arg(long = "group", value_name = "NAME=P1,P2", value_parser = parse_group)]
    pub groups: Vec<(String, Vec<String>)>,

    /// Step names, comma-separated, in the order of the one-at-a-time
    /// waterfall written beside the Shapley bridge; unnamed steps follow by
    /// decreasing Shapley contribution to the 2035 median GDP share
    /// [default: that order for every step].
    #[arg(long, value_name = "STEP,...", value_delimiter = ',')]
    pub order: Vec<String>,

    /// Runs every subset of steps is evaluated on, 1,000 to 2,000,000 (the
    /// same runs for every subset). The model runs in all are about RUNS x
    /// the subsets valued: 2^k for k <= 10 steps, ORDERS x (k - 1) beyond.
    #[arg(short = 'n', long = "runs", value_name = "RUNS", default_value = "20000", value_parser = parse_runs, allow_negative_numbers = true)]
    pub runs: u64,

    /// Orders of the steps averaged when there are more than 10 steps, 20 to
    /// 100,000: random orders, each with its reverse (antithetic pairs), so
    /// an odd M is rounded up to the next even number.
    #[arg(long, value_name = "M", default_value_t = 1000)]
    pub orders: usize,

    /// Master seed of the runs and the sampled orders.
    #[arg(long, value_name = "S", default_value = "42", value_parser = parse_seed, allow_negative_numbers = true)]
    pub seed: u64,

    /// Worker threads, 1 to 1,024 [default: one per core]. Results do not
    /// depend on it.
    #[arg(long, value_name = "T", value_parser = parse_threads)]
    pub threads: Option<usize>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_group(text: &str) -> std::result::Result<(String, Vec<String>), String> {
    let (name, params) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not NAME=p1,p2,..."))?;
    let name = name.trim();
    let params: Vec<String> = params
        .split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if name.is_empty() || params.is_empty() {
        return Err(format!("`{text}` needs a name and at least one parameter"));
    }
    Ok((name.to_string(), params))
}

pub(super) fn bridge(args: BridgeArgs, control: &Control<'_>) -> Result<()> {
    let clock = Instant::now();
    let from = Scenario::load(&args.from)?;
    let to = Scenario::load(&args.to)?;
    let out_path = args.output.dir(PathBuf::from("out/bridge"));
    let mut inputs = from.file_paths();
    inputs.extend(to.file_paths());
    let out = args.output.prepare(&out_path, &inputs)?;
    let cmd = BridgeCommand {
        from,
        to,
        groups: args.groups.clone(),
        options: BridgeOptions {
            runs: args.runs as usize,
            seed: args.seed,
            orders: args.orders,
            order: args.order.clone(),
            ..BridgeOptions::default()
        },
    };
    // Nothing is printed for a command that will be refused.
    let bridge = cmd.check()?;
    if !args.quiet {
        print_steps(&cmd.from, &cmd.to, &bridge, &cmd.options);
    }
    let results = commands::bridge(&cmd, control)?;
    let files = results.write(out, args.output.report)?;
    if !args.quiet {
        print_summary(&results.result);
        println!(
            "outputs: {}/{{{}, manifest.json}} in {:.1} s",
            out_path.display(),
            files.join(", "),
            clock.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// The steps and what changes in each.
fn print_steps(a: &Scenario, b: &Scenario, bridge: &Bridge, opts: &BridgeOptions) {
    let steps = bridge.steps();
    println!(
        "bridge {} -> {}: {} steps, {}",
        a.name,
        b.name,
        steps.len(),
        match bridge.method(opts) {
            Method::Exact => format!("exact over all {} subsets", 1u64 << steps.len()),
            Method::Sampled { orders } => format!("{orders} sampled orders (antithetic pairs)"),
        }
    );
    let mut t = Table::new(["step", "parameter", "from", "to"]);
    for s in steps {
        for (i, p) in s.params.iter().enumerate() {
            let name = if i == 0 {
                s.name.clone()
            } else {
                String::new()
            };
            t.row([
                name,
                p.name().to_string(),
                s.from[i].clone(),
                s.to[i].clone(),
            ]);
        }
    }
    print!("{}", t.render());
}

/// The bridge of the 2035 median GDP share, and the claims that move.
fn print_summary(r: &BridgeResult) {
    let o = r
        .output("gdp_share_pct:2035:median")
        .expect("a bridge output");
    println!(
        "median GDP share 2035: {} % -> {} % ({:+} percentage points)",
        significant(r.from[o], 3),
        significant(r.to[o], 3),
        significant(r.to[o] - r.from[o], 3)
    );
    let mut t = Table::new(["step", "Shapley (pp)", "+- s.e.", "one at a time (pp)"]);
    for &s in &r.order {
        t.row([
            r.steps[s].name.clone(),
            format!("{:+.4}", r.contributions[s][o]),
            format!("{:.4}", r.std_errors[s][o]),
            format!("{:+.4}", r.sequential[s][o]),
        ]);
    }
    print!("{}", t.render());
    println!("(one at a time: each step taken in the order listed; it depends on that order)");
    for (o, name) in r.outputs.iter().enumerate() {
        if name.starts_with("P(") && r.from[o] != r.to[o] {
            println!(
                "{name}: {} -> {}",
                nexus_mc::table::probability(r.from[o]),
                nexus_mc::table::probability(r.to[o])
            );
        }
    }
}
