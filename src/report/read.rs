//! Reading back the files `run`, `sensitivity` and `bridge` wrote, into the
//! row types they were written from.

use std::path::Path;

use serde::de::DeserializeOwned;

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

impl RunFiles {
    /// The standard error of a claim of `claims.csv` as the report may
    /// state it: for Monte Carlo draws and for a whole replicated run (a
    /// shard may hold too few replicates), not for a Latin hypercube or
    /// Sobol sample read as if it were iid.
    pub fn stated_error(&self, claim: &ClaimRow) -> Option<f64> {
        let m = &self.manifest;
        // A shard's manifest does not say how many replicates it holds.
        let held = if m.shard.is_none() { m.replicates } else { 0 };
        crate::output::errors_stated(&m.sampler, m.replicates, held).then_some(claim.std_error)
    }
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

/// The manifest in `dir`, read once and parsed as each struct that needs it.
struct ManifestText {
    path: std::path::PathBuf,
    text: String,
}

impl ManifestText {
    fn read(dir: &Path) -> Result<ManifestText> {
        let path = dir.join(crate::output::MANIFEST_FILE);
        let text =
            crate::input::read_text(&path, crate::limits::MAX_MANIFEST_BYTES).map_err(|e| {
                bad(
                    &path,
                    format!("{e}; a complete nexus-mc output directory has a manifest.json"),
                )
            })?;
        Ok(ManifestText { path, text })
    }

    /// The manifest as the struct its command wrote it from.
    fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(&self.text).map_err(|e| bad(&self.path, e))
    }
}

/// What a directory holds: a run, a sensitivity analysis or a bridge.
pub enum Found {
    Run(RunFiles),
    Sensitivity(SensitivityFiles),
    Bridge(BridgeFiles),
}

/// The files of a verified output set.
struct Set<'a> {
    dir: &'a Path,
    files: &'a [String],
}

impl Set<'_> {
    /// A table the set must have and list.
    fn table<T: DeserializeOwned>(&self, name: &str) -> Result<Vec<T>> {
        if !self.files.iter().any(|f| f == name) {
            return Err(bad(
                &self.dir.join(crate::output::MANIFEST_FILE),
                format!("does not list {name}, which this output set must have"),
            ));
        }
        table(&self.dir.join(name))
    }

    /// A table the set has if its manifest lists it.
    fn optional<T: DeserializeOwned>(&self, name: &str) -> Result<Option<Vec<T>>> {
        match self.files.iter().any(|f| f == name) {
            true => self.table(name).map(Some),
            false => Ok(None),
        }
    }
}

/// Reads the outputs in `dir`, telling a run from a sensitivity analysis by
/// its manifest.
pub(crate) fn read_dir(dir: &Path) -> Result<Found> {
    let manifest = ManifestText::read(dir)?;
    // Every file drawn is checked against the manifest's SHA-256 first, as
    // `merge` does: a truncated or edited table is refused, not drawn.
    let provenance: crate::output::Provenance = manifest.parse()?;
    provenance
        .verify(dir)
        .map_err(|e| Error::Usage(e.to_string()))?;
    let set = Set {
        dir,
        files: &provenance.files,
    };
    match provenance.command.as_str() {
        "run" | "merge" => Ok(Found::Run(RunFiles {
            bands: set.table("bands.csv")?,
            claims: set.table("claims.csv")?,
            histogram: set.optional("histogram.csv")?.unwrap_or_default(),
            manifest: manifest.parse()?,
        })),
        "sensitivity" => Ok(Found::Sensitivity(SensitivityFiles {
            sobol: set.optional("sobol.csv")?,
            tornado: set.optional("tornado.csv")?,
            switching: set.optional("switching_values.csv")?,
            shapley: set.optional("shapley.csv")?,
            by_year: set.optional("indices_by_year.csv")?,
            filter: set.optional("filter.csv")?,
            manifest: manifest.parse()?,
        })),
        "bridge" => Ok(Found::Bridge(BridgeFiles {
            rows: set.table("bridge.csv")?,
            manifest: manifest.parse()?,
        })),
        other => Err(bad(
            &manifest.path,
            format!(
                "command {other:?} is none of run, merge, sensitivity and bridge; \
                 give the --out directory of one of those"
            ),
        )),
    }
}
