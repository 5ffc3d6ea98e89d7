//! `bridge`: what takes a claim from one scenario to another, step by step,
//! without depending on the order of the steps.

use std::time::{Instant, SystemTime};

use super::{finish, OutputSet};
use crate::bridge::{Bridge, BridgeOptions, BridgeResult, Method};
use crate::config::Scenario;
use crate::error::{Error, Result};
use crate::limits;
use crate::output::{self, BridgeManifest, BridgeStep, OutDir, Provenance};
use crate::report::{BridgeFiles, ReportData};
use crate::Control;

/// How the two scenarios are coupled, for the manifest.
const COUPLING: &str = "common random numbers: run i gives parameter p one uniform, a hash of \
    (seed, p, i), turned into a value by the inverse CDF of the first or second scenario's \
    distribution as the subset says; correlated parameters share a Gaussian copula whose \
    rank correlation for a pair is the second scenario's when both its parameters' steps are \
    in the subset and the first's otherwise";

/// What `bridge` does.
#[derive(Clone, Debug)]
pub struct BridgeCommand {
    /// The scenario bridged from.
    pub from: Scenario,
    /// The scenario bridged to.
    pub to: Scenario,
    /// Parameters taken as one step: (name, parameter names).
    pub groups: Vec<(String, Vec<String>)>,
    /// Runs, orders, seed and waterfall order.
    pub options: BridgeOptions,
}

impl BridgeCommand {
    /// Checks the sizes and the waterfall order and builds the bridge's
    /// steps, before any work: a command line can show the steps knowing
    /// the run will start.
    pub fn check(&self) -> Result<Bridge> {
        let opts = &self.options;
        let runs = opts.runs as u64;
        if !limits::BRIDGE_RUNS.contains(&runs) {
            return Err(Error::Usage(format!(
                "-n: {runs} runs is outside {}: fewer give batches too small for a \
                 standard error, more are better spent on --orders",
                limits::span(&limits::BRIDGE_RUNS)
            )));
        }
        if !limits::BRIDGE_ORDERS.contains(&opts.orders) {
            return Err(Error::Usage(format!(
                "--orders: {} is outside {}: fewer leave the average over orders \
                 too noisy to split the move between steps, more add time past any use",
                opts.orders,
                limits::span(&limits::BRIDGE_ORDERS)
            )));
        }
        let bridge = Bridge::new(&self.from, &self.to, &self.groups)?;
        bridge.named_steps(&opts.order)?;
        Ok(bridge)
    }
}

/// What `bridge` found, in memory.
pub struct BridgeResults {
    /// The bridge: steps, statistics, contributions.
    pub result: BridgeResult,
    from: Scenario,
    to: Scenario,
    options: BridgeOptions,
    threads: usize,
    started: SystemTime,
    clock: Instant,
}

/// `bridge`: attributes the move of each headline statistic from one
/// scenario to the other to the parameters that differ, by Shapley values,
/// beside the one-at-a-time waterfall.
pub fn bridge(cmd: &BridgeCommand, control: &Control<'_>) -> Result<BridgeResults> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let opts = &cmd.options;
    let runs = opts.runs as u64;
    let bridge = cmd.check()?;
    // Value tables (about 4 per parameter) and each thread's kept outputs.
    let threads = control.thread_count();
    let need = runs as f64 * 8.0 * (4.0 * 30.0 + 12.0 * threads as f64);
    limits::check_memory(need, &format!("bridge -n {runs}"), "use a smaller -n")?;
    control.start(bridge.subsets(opts));
    let tick = |k: u64| control.tick(k);
    let result = control.guard(|| Ok(bridge.run(opts, &tick)?))?;
    Ok(BridgeResults {
        result,
        from: cmd.from.clone(),
        to: cmd.to.clone(),
        options: opts.clone(),
        threads,
        started,
        clock,
    })
}

impl BridgeResults {
    /// The manifest of these results, before its files are stamped.
    fn manifest(&self) -> BridgeManifest {
        let (a, b, r) = (&self.from, &self.to, &self.result);
        let mut config = a.files.clone();
        config.extend(b.files.iter().cloned());
        let (method, orders) = match r.method {
            Method::Exact => ("exact".to_string(), 0),
            Method::Sampled { orders } => ("sampled".to_string(), orders as u64),
        };
        BridgeManifest {
            provenance: Provenance::new(
                "bridge",
                &format!("{} -> {}", a.name, b.name),
                &config,
                self.options.seed,
                self.threads,
                self.started,
            ),
            from: a.name.clone(),
            to: b.name.clone(),
            runs: self.options.runs as u64,
            method,
            orders,
            batches: self.options.batches as u64,
            steps: r
                .steps
                .iter()
                .map(|s| BridgeStep {
                    name: s.name.clone(),
                    parameters: s.params.iter().map(|p| p.name().to_string()).collect(),
                    from: s.from.clone(),
                    to: s.to.clone(),
                })
                .collect(),
            order: r.order.iter().map(|&s| r.steps[s].name.clone()).collect(),
            coupling: COUPLING.into(),
        }
    }

    /// `bridge.csv` and the manifest [`BridgeResults::write`] writes, in
    /// memory.
    pub fn output_set(&self) -> Result<OutputSet> {
        let rows = output::bridge_rows(&self.result);
        let tables = vec![super::table("bridge.csv", &rows)?];
        Ok(OutputSet::new(tables, self.manifest(), self.clock))
    }

    /// Writes `bridge.csv`, with `report` the waterfall chart and
    /// `report.html`, and `manifest.json` into `out`, which is replaced
    /// whole; returns the names of the files written (the manifest not
    /// among them).
    pub fn write(&self, mut out: OutDir, report: bool) -> Result<Vec<String>> {
        out.begin()?;
        let mut manifest = self.manifest();
        let rows = output::bridge_rows(&self.result);
        let mut files = Vec::new();
        super::write_tables(&out, &[super::table("bridge.csv", &rows)?], &mut files)?;
        let data = |manifest: &BridgeManifest| ReportData {
            run: None,
            sensitivity: None,
            bridge: Some(BridgeFiles {
                manifest: manifest.clone(),
                rows: rows.clone(),
            }),
            scenario: Some(self.to.clone()),
            scenario_note: None,
        };
        finish(
            out,
            &mut manifest,
            &mut files,
            self.clock,
            report.then_some(&data as &dyn Fn(&BridgeManifest) -> ReportData),
        )
    }
}
