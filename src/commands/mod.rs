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

mod baseline;
mod bridge;
mod run;
mod sensitivity;

pub use baseline::{baseline, BaselineOptions};
pub use bridge::{bridge, BridgeCommand, BridgeResults};
pub use run::{
    merge, run, run_with_samples, MergeOptions, RunOptions, RunResults, DEFAULT_REPLICATES,
};
pub use sensitivity::{sensitivity, Method, SensitivityOptions, SensitivityStudy, DEFAULT_OUTPUTS};

use std::path::PathBuf;
use std::time::Instant;

use crate::config::{ConfigError, Scenario};
use crate::error::Result;
use crate::output::{ManifestJson, OutDir};
use crate::report::{Report, ReportData};
use crate::Control;

/// `validate`: loads each scenario file (a path or a shipped name); every
/// error names the file, line, key and reason.
pub fn validate(files: &[String]) -> Vec<Result<Scenario, ConfigError>> {
    files.iter().map(|f| Scenario::load(f)).collect()
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
