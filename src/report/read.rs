//! Reading back the files `run`, `sensitivity` and `bridge` wrote, into the
//! row types they were written from.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::output::{
    BandRow, BridgeManifest, BridgeRow, ByYearRow, ClaimRow, FilterRow, HistogramRow, Manifest,
    SensitivityManifest, ShapleyRow, SobolRow, SwitchingRow, TornadoRow,
};

/// The outputs of one `bridge`.
pub struct BridgeFiles {
    /// Its manifest.
    pub manifest: BridgeManifest,
    /// `bridge.csv`.
    pub rows: Vec<BridgeRow>,
}

/// The outputs of one `run` (or `merge`).
pub struct RunFiles {
    /// Its manifest.
    pub manifest: Manifest,
    /// `bands.csv`.
    pub bands: Vec<BandRow>,
    /// `claims.csv`.
    pub claims: Vec<ClaimRow>,
    /// `histogram.csv`.
    pub histogram: Vec<HistogramRow>,
}

/// The outputs of one `sensitivity`.
pub struct SensitivityFiles {
    /// Its manifest.
    pub manifest: SensitivityManifest,
    /// `sobol.csv`, if written.
    pub sobol: Option<Vec<SobolRow>>,
    /// `tornado.csv`, if written.
    pub tornado: Option<Vec<TornadoRow>>,
    /// `switching_values.csv`, if written.
    pub switching: Option<Vec<SwitchingRow>>,
    /// `shapley.csv`, if written.
    pub shapley: Option<Vec<ShapleyRow>>,
    /// `indices_by_year.csv`, if written.
    pub by_year: Option<Vec<ByYearRow>>,
    /// `filter.csv`, if written.
    pub filter: Option<Vec<FilterRow>>,
}

fn bad(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::Usage(format!("{}: {why}", path.display()))
}

fn table<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let bytes =
        crate::input::read(path, crate::limits::MAX_TABLE_BYTES).map_err(|e| bad(path, e))?;
    crate::output::read_rows(bytes.as_slice())
        .map_err(|e| bad(path, format!("not as nexus-mc writes it: {e}")))
}

/// A table that may be absent; anything in its place (a FIFO, a link to a
/// device) is read as the table and refused.
fn optional<T: DeserializeOwned>(path: &Path) -> Result<Option<Vec<T>>> {
    if std::fs::symlink_metadata(path).is_ok() {
        table(path).map(Some)
    } else {
        Ok(None)
    }
}

/// The manifest in `dir`, as the struct its command wrote it from.
fn manifest<T: DeserializeOwned>(dir: &Path) -> Result<T> {
    let path = dir.join(crate::output::MANIFEST_FILE);
    let text = crate::input::read_text(&path, crate::limits::MAX_MANIFEST_BYTES).map_err(|e| {
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
pub(crate) fn read_dir(dir: &Path) -> Result<Found> {
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
