//! `nexus-mc bridge`: what takes a claim from one scenario to another, step
//! by step, without depending on the order of the steps.

use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use clap::Args;

use super::jobs::{
    guard_workers, parse_runs, parse_seed, parse_threads, progress_bar, thread_pool,
};
use nexus_mc::bridge::{Bridge, BridgeOptions, BridgeResult, Method};
use nexus_mc::config::Scenario;
use nexus_mc::error::{Error, Result};
use nexus_mc::output::{self, BridgeManifest, BridgeStep, OutDir, Provenance};
use nexus_mc::table::{significant, Table};

/// Fewest runs: 10 batches of at least 100 runs each.
const MIN_RUNS: u64 = 1000;
/// Most runs every subset is evaluated on.
const MAX_RUNS: u64 = 2_000_000;
/// Fewest sampled orders: two per batch.
const MIN_ORDERS: usize = 20;
/// Most sampled orders.
const MAX_ORDERS: usize = 100_000;

/// How subsets share their runs, for the manifest and the docs.
const COUPLING: &str = "common random numbers: run i gives parameter p one uniform, a hash of \
    (seed, p, i), turned into a value by the inverse CDF of the first or second scenario's \
    distribution as the subset says; correlated parameters share a Gaussian copula whose \
    rank correlation for a pair is the second scenario's when both its parameters' steps are \
    in the subset and the first's otherwise";

/// Flags of `nexus-mc bridge`.
#[derive(Debug, Args)]
pub struct BridgeArgs {
    /// The scenario bridged from (a shipped name or a .toml path); a fixed
    /// value is a distribution too, so kpmg-point works.
    #[arg(long, value_name = "FILE|NAME", default_value = "plan-as-written")]
    pub from: String,

    /// The scenario bridged to.
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
    /// 100,000: random orders, each with its reverse (antithetic pairs).
    #[arg(long, value_name = "M", default_value_t = 1000)]
    pub orders: usize,

    /// Master seed of the runs and the sampled orders.
    #[arg(long, value_name = "S", default_value = "42", value_parser = parse_seed, allow_negative_numbers = true)]
    pub seed: u64,

    /// Worker threads, 1 to 1,024 [default: one per core]. Results do not
    /// depend on it.
    #[arg(long, value_name = "T", value_parser = parse_threads)]
    pub threads: Option<usize>,

    /// Output directory for bridge.csv and manifest.json; same rules as for
    /// `run --out`.
    #[arg(long, value_name = "DIR", default_value = "out/bridge")]
    pub out: PathBuf,

    /// Write into --out even if it holds files nexus-mc did not write (they
    /// are kept in the new set).
    #[arg(long)]
    pub force: bool,

    /// Also draw the waterfall chart and write report.html into --out.
    #[arg(long)]
    pub report: bool,

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

pub(super) fn bridge(args: BridgeArgs) -> Result<()> {
    let started = SystemTime::now();
    let clock = Instant::now();
    if !(MIN_RUNS..=MAX_RUNS).contains(&args.runs) {
        return Err(Error::Usage(format!(
            "-n: {} runs is outside {MIN_RUNS}..={MAX_RUNS}: fewer give batches too small for a \
             standard error, more are better spent on --orders",
            args.runs
        )));
    }
    if !(MIN_ORDERS..=MAX_ORDERS).contains(&args.orders) {
        return Err(Error::Usage(format!(
            "--orders: {} is outside {MIN_ORDERS}..={MAX_ORDERS}",
            args.orders
        )));
    }
    let a = Scenario::load(&args.from)?;
    let b = Scenario::load(&args.to)?;
    let bridge = Bridge::new(&a, &b, &args.groups).map_err(Error::Usage)?;
    let opts = BridgeOptions {
        runs: args.runs as usize,
        seed: args.seed,
        orders: args.orders,
        order: args.order.clone(),
        ..BridgeOptions::default()
    };
    // Value tables (about 4 per parameter) and each thread's kept outputs.
    let pool = thread_pool(args.threads)?;
    let need = args.runs as f64 * 8.0 * (4.0 * 30.0 + 12.0 * pool.current_num_threads() as f64);
    nexus_mc::limits::check_memory(
        need,
        &format!("bridge -n {}", args.runs),
        "use a smaller -n",
    )
    .map_err(Error::Usage)?;
    let mut inputs = a.file_paths();
    inputs.extend(b.file_paths());
    let mut out = OutDir::prepare(&args.out, args.force, &inputs)?;

    if !args.quiet {
        print_steps(&a, &b, &bridge, &opts);
    }
    let bar = progress_bar(bridge.subsets(&opts), args.quiet);
    let tick = |k: u64| bar.inc(k);
    let result =
        guard_workers(|| pool.install(|| bridge.run(&opts, &tick)))?.map_err(Error::Usage)?;
    bar.finish_and_clear();

    out.begin()?;
    output::write_atomic(&out.file("bridge.csv"), |w| {
        output::write_rows(w, &output::bridge_rows(&result))
    })?;
    let mut files = vec!["bridge.csv".to_string()];
    let mut config = a.files.clone();
    config.extend(b.files.iter().cloned());
    let (method, orders) = match result.method {
        Method::Exact => ("exact".to_string(), 0),
        Method::Sampled { orders } => ("sampled".to_string(), orders as u64),
    };
    let mut manifest = BridgeManifest {
        provenance: Provenance::new(
            "bridge",
            &format!("{} -> {}", a.name, b.name),
            &config,
            args.seed,
            pool.current_num_threads(),
            started,
        ),
        from: a.name.clone(),
        to: b.name.clone(),
        runs: args.runs,
        method,
        orders,
        batches: opts.batches as u64,
        steps: result
            .steps
            .iter()
            .map(|s| BridgeStep {
                name: s.name.clone(),
                parameters: s.params.iter().map(|p| p.name().to_string()).collect(),
                from: s.from.clone(),
                to: s.to.clone(),
            })
            .collect(),
        order: result
            .order
            .iter()
            .map(|&s| result.steps[s].name.clone())
            .collect(),
        coupling: COUPLING.into(),
    };
    super::finish_outputs(out, &mut manifest, &mut files, clock, args.report)?;
    if !args.quiet {
        print_summary(&result);
        println!(
            "outputs: {}/{{{}, manifest.json}} in {:.1} s",
            args.out.display(),
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
