//! One library call per command of the `nexus-mc` binary. Each takes a
//! typed options struct and a [`Control`], and returns its results in
//! memory; writing them into an output directory is a separate step
//! (`write`), which the binary takes after checking the directory with
//! [`OutDir::prepare`] before any work starts.
//!
//! | command | call | results |
//! |---|---|---|
//! | `baseline` | [`baseline()`] | [`crate::baseline::Baseline`] |
//! | `validate` | [`validate()`] | each file's [`crate::Scenario`] or error |
//! | `run` | [`run()`] | [`RunResults`] |
//! | `merge` | [`merge()`] | [`RunResults`] |
//! | `sensitivity` | [`sensitivity()`] | [`SensitivityStudy`] |
//! | `bridge` | [`bridge()`] | [`BridgeResults`] |
//! | `report` | [`report()`] | [`crate::Report`] |
//!
//! ```no_run
//! use nexus_mc::commands::{self, RunOptions};
//! use nexus_mc::output::OutDir;
//! use nexus_mc::{Control, Scenario};
//!
//! let scenario = Scenario::load("central")?;
//! let out = OutDir::prepare("out/run".as_ref(), false, &scenario.file_paths())?;
//! let results = commands::run(&RunOptions::new(scenario, 100_000), &Control::default())?;
//! println!("{:?}", results.summary.claims[0].probability());
//! results.write(out, true)?; // bands.csv, claims.csv, ..., report.html
//! # Ok::<(), nexus_mc::Error>(())
//! ```

mod args;
mod baseline;
mod bridge;
mod run;
mod sensitivity;

pub use args::{parse_replicates, parse_runs, parse_seed, parse_threads};
pub use baseline::{baseline, BaselineOptions};
pub use bridge::{bridge, BridgeCommand, BridgeResults};
pub use run::{
    merge, run, run_with_samples, MergeOptions, RunOptions, RunResults, DEFAULT_REPLICATES,
};
pub use sensitivity::{
    parse_confidence, parse_output, sensitivity, Method, SensitivityOptions, SensitivityStudy,
    DEFAULT_OUTPUTS,
};

use std::path::PathBuf;
use std::time::Instant;

use crate::config::{ConfigError, Scenario};
use crate::error::Result;
use crate::output::{ManifestJson, OutDir};
use crate::report::{Report, ReportData};
use crate::Control;

/// A command's output set in memory, as its `write` would write it (less
/// charts, report and shard state): each CSV file's name and bytes, and
/// the text of `manifest.json`, which lists those files with their
/// checksums. For callers that want tables, not a directory (the Python
/// package).
#[derive(Clone, Debug)]
pub struct OutputSet {
    /// CSV files, in the order `write` writes them.
    pub tables: Vec<(String, Vec<u8>)>,
    /// `manifest.json`, as `write` writes it.
    pub manifest: String,
}

impl OutputSet {
    /// The set of `tables` with `manifest` stamped with their checksums and
    /// the wall time since `clock`.
    fn new<M: ManifestJson>(
        tables: Vec<(String, Vec<u8>)>,
        mut manifest: M,
        clock: Instant,
    ) -> OutputSet {
        manifest.provenance_mut().stamp_bytes(&tables, clock);
        let mut text = serde_json::to_string_pretty(&manifest).expect("a manifest serialises");
        text.push('\n');
        OutputSet {
            tables,
            manifest: text,
        }
    }
}

/// `rows` as the CSV file `name`, in memory.
fn table<R: serde::Serialize + serde::de::DeserializeOwned>(
    name: &str,
    rows: &[R],
) -> Result<(String, Vec<u8>)> {
    let mut bytes = Vec::new();
    crate::output::write_rows(&mut bytes, rows).map_err(|source| crate::Error::Write {
        path: name.into(),
        source,
    })?;
    Ok((name.to_string(), bytes))
}

/// Writes each of `tables` into `out`, and lists their names in `files`.
fn write_tables(out: &OutDir, tables: &[(String, Vec<u8>)], files: &mut Vec<String>) -> Result<()> {
    for (name, bytes) in tables {
        crate::output::write_atomic(&out.file(name), |w| w.write_all(bytes))?;
        files.push(name.clone());
    }
    Ok(())
}

/// `validate`: loads each scenario file (a path or a shipped name); every
/// error names the file, line, key and reason.
pub fn validate(files: &[String]) -> Vec<Result<Scenario, ConfigError>> {
    files.iter().map(|f| Scenario::load(f)).collect()
}

/// The columns of [`parameter_rows`].
pub const PARAMETER_COLUMNS: [&str; 6] = ["parameter", "distribution", "P5", "P50", "P95", "unit"];

/// Per parameter of `s`, as `validate` prints it: name, distribution, the
/// P5, P50 and P95 of its marginal (as text, in its unit) and unit.
pub fn parameter_rows(s: &Scenario) -> Vec<[String; 6]> {
    s.parameters
        .iter()
        .map(|spec| {
            let [p5, p50, p95] = spec.percentiles();
            [
                spec.param.name().to_string(),
                spec.describe(),
                p5,
                p50,
                p95,
                spec.unit.clone(),
            ]
        })
        .collect()
}

/// What `validate` prints of a valid scenario: its name, one line per
/// parameter (family and the P5 / P50 / P95 of its marginal) and its rank
/// correlations.
pub fn describe(s: &Scenario) -> String {
    let uncertain = s
        .parameters
        .iter()
        .filter(|p| !p.distribution.is_fixed())
        .count();
    let mut t = crate::table::Table::new(PARAMETER_COLUMNS);
    for row in parameter_rows(s) {
        t.row(row);
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
        let mut t = crate::table::Table::new(["rank correlation", "rank", "declared in"]);
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

/// `report`: reads the output directories of `run` (or `merge`),
/// `sensitivity` and `bridge` (at most one of each) and draws the charts;
/// [`Report::write_set`] writes them.
pub fn report(dirs: &[PathBuf], control: &Control<'_>) -> Result<Report> {
    control.check()?;
    Report::from_dirs(dirs)
}

/// Writes the manifest of the files written into `out` (their checksums and
/// the wall time since `clock`); with `report`, then draws the report from
/// the data it makes of that manifest, in memory, and writes the manifest
/// again with the report's files. Last, puts the whole set in place.
fn finish<M: ManifestJson>(
    out: OutDir,
    manifest: &mut M,
    files: &mut Vec<String>,
    clock: Instant,
    report: Option<&dyn Fn(&M) -> ReportData>,
) -> Result<Vec<String>> {
    let dir = out.staging().to_path_buf();
    manifest.provenance_mut().stamp(&dir, files, clock)?;
    out.write_manifest(manifest)?;
    if let Some(data) = report {
        let written = Report::new(data(manifest))?.write(&dir)?;
        files.extend(written);
        manifest.provenance_mut().stamp(&dir, files, clock)?;
        out.write_manifest(manifest)?;
    }
    out.commit()?;
    Ok(files.clone())
}
