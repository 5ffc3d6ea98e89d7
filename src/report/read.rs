//! Reading back the files `run`, `sensitivity` and `bridge` wrote: only the columns
//! the report shows.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::output::{BridgeManifest, Manifest, SensitivityManifest};

/// A row of bands.csv.
#[derive(Clone, Debug, Deserialize)]
pub struct BandRow {
    pub metric: String,
    pub year: i32,
    pub p05: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

/// A row of claims.csv.
#[derive(Clone, Debug, Deserialize)]
pub struct ClaimRow {
    pub claim: String,
    pub metric: String,
    pub year: i32,
    pub op: String,
    pub threshold: f64,
    pub probability: f64,
    pub std_error: f64,
    pub runs: u64,
}

/// A row of histogram.csv.
#[derive(Clone, Debug, Deserialize)]
pub struct HistogramRow {
    pub metric: String,
    pub year: i32,
    pub bin_lo: f64,
    pub bin_hi: f64,
    pub count: u64,
}

/// A row of sobol.csv.
#[derive(Clone, Debug, Deserialize)]
pub struct SobolRow {
    pub output: String,
    pub parameter: String,
    pub s1: f64,
    pub s1_lo: f64,
    pub s1_hi: f64,
    pub st: f64,
    pub st_lo: f64,
    pub st_hi: f64,
}

/// A row of tornado.csv.
#[derive(Clone, Debug, Deserialize)]
pub struct TornadoRow {
    pub output: String,
    pub parameter: String,
    pub output_at_p10: f64,
    pub output_at_p90: f64,
    pub base: f64,
}

/// A row of switching_values.csv.
#[derive(Clone, Debug, Deserialize)]
pub struct SwitchingRow {
    pub claim: String,
    pub parameter: String,
    pub median: String,
    pub holds_at_median: bool,
    pub switching_value: String,
    pub reading: String,
}

/// A row of shapley.csv.
#[derive(Clone, Debug, Deserialize)]
pub struct ShapleyRow {
    pub output: String,
    pub parameter: String,
    pub shapley: f64,
    pub lo: f64,
    pub hi: f64,
}

/// A row of indices_by_year.csv.
#[derive(Clone, Debug, Deserialize)]
pub struct ByYearRow {
    pub output: String,
    pub year: i32,
    pub parameter: String,
    pub s1: f64,
    pub shapley: Option<f64>,
}

/// A row of filter.csv.
#[derive(Clone, Debug, Deserialize)]
pub struct FilterRow {
    pub claim: String,
    pub parameter: String,
    pub ks_distance: Option<f64>,
    pub note: String,
}

/// A row of bridge.csv.
#[derive(Clone, Debug, Deserialize)]
pub struct BridgeRow {
    pub step: String,
    pub parameters: String,
    pub output: String,
    pub from: f64,
    pub to: f64,
    pub contribution: f64,
    pub std_error: f64,
    pub sequential: f64,
}

/// The outputs of one `bridge`.
pub struct BridgeFiles {
    pub manifest: BridgeManifest,
    pub rows: Vec<BridgeRow>,
}

/// The outputs of one `run` (or `merge`).
pub struct RunFiles {
    pub manifest: Manifest,
    pub bands: Vec<BandRow>,
    pub claims: Vec<ClaimRow>,
    pub histogram: Vec<HistogramRow>,
}

/// The outputs of one `sensitivity`.
pub struct SensitivityFiles {
    pub manifest: SensitivityManifest,
    pub sobol: Option<Vec<SobolRow>>,
    pub tornado: Option<Vec<TornadoRow>>,
    pub switching: Option<Vec<SwitchingRow>>,
    pub shapley: Option<Vec<ShapleyRow>>,
    pub by_year: Option<Vec<ByYearRow>>,
    pub filter: Option<Vec<FilterRow>>,
}

fn bad(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::Usage(format!("{}: {why}", path.display()))
}

fn table<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(path, e))?;
    reader
        .deserialize()
        .collect::<std::result::Result<Vec<T>, _>>()
        .map_err(|e| bad(path, format!("not as nexus-mc writes it: {e}")))
}

fn optional<T: DeserializeOwned>(path: &Path) -> Result<Option<Vec<T>>> {
    if path.is_file() {
        table(path).map(Some)
    } else {
        Ok(None)
    }
}

/// The manifest in `dir`, as the struct its command wrote it from.
fn manifest<T: DeserializeOwned>(dir: &Path) -> Result<T> {
    let path = dir.join(crate::output::MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        bad(
            &path,
            format!("{e}; a complete nexus-mc output directory has a manifest.json"),
        )
    })?;
    serde_json::from_str(&text).map_err(|e| bad(&path, e))
}

/// Only the command a manifest names.
#[derive(Deserialize)]
struct Command {
    command: String,
}

/// What a directory holds: a run, a sensitivity analysis or a bridge.
pub enum Found {
    Run(RunFiles),
    Sensitivity(SensitivityFiles),
    Bridge(BridgeFiles),
}

/// Reads the outputs in `dir`, telling a run from a sensitivity analysis by
/// its manifest.
pub fn read_dir(dir: &Path) -> Result<Found> {
    let command: Command = manifest(dir)?;
    match command.command.as_str() {
        "run" | "merge" => Ok(Found::Run(RunFiles {
            bands: table(&dir.join("bands.csv"))?,
            claims: table(&dir.join("claims.csv"))?,
            histogram: optional(&dir.join("histogram.csv"))?.unwrap_or_default(),
            manifest: manifest(dir)?,
        })),
        "sensitivity" => Ok(Found::Sensitivity(SensitivityFiles {
            sobol: optional(&dir.join("sobol.csv"))?,
            tornado: optional(&dir.join("tornado.csv"))?,
            switching: optional(&dir.join("switching_values.csv"))?,
            shapley: optional(&dir.join("shapley.csv"))?,
            by_year: optional(&dir.join("indices_by_year.csv"))?,
            filter: optional(&dir.join("filter.csv"))?,
            manifest: manifest(dir)?,
        })),
        "bridge" => Ok(Found::Bridge(BridgeFiles {
            rows: table(&dir.join("bridge.csv"))?,
            manifest: manifest(dir)?,
        })),
        other => Err(bad(
            &dir.join(crate::output::MANIFEST_FILE),
            format!(
                "command {other:?} is none of run, merge, sensitivity and bridge; \
                 give the --out directory of one of those"
            ),
        )),
    }
}
