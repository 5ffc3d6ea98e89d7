//! `manifest.json`: what produced a directory of outputs, and which files
//! belong to it. It is written last, so its presence marks a complete set.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Instant, SystemTime};

use serde::{Deserialize, Serialize};

use crate::config::ConfigFile;
use crate::engine::{RunIdentity, Shard, CHUNK_RUNS};
use crate::error::{Error, Result};

crate::error::input_error! {
    /// Why an output directory's manifest or files cannot be trusted.
    ManifestError
}

/// File name of the manifest.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Names of the files `run`, `merge` and `sensitivity` write besides the
/// manifest.
pub const OUTPUT_FILES: [&str; 18] = [
    "baseline.csv",
    "bands.csv",
    "claims.csv",
    "band_intervals.csv",
    "claim_intervals.csv",
    "histogram.csv",
    "report.html",
    "charts",
    crate::engine::STATE_FILE,
    "sobol.csv",
    "tornado.csv",
    "rank_correlation.csv",
    "switching_values.csv",
    "morris.csv",
    "bridge.csv",
    "shapley.csv",
    "indices_by_year.csv",
    "filter.csv",
];
const TOOL: &str = "nexus-mc";

/// The quantile method and what it guarantees.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantileInfo {
    /// `exact` or `sketch`.
    pub method: String,
    /// Bound on the relative error of every reported band percentile (0
    /// for exact), as the run achieved it.
    pub relative_error: f64,
    /// Which order statistic a quantile is.
    pub definition: String,
}

/// What every manifest says, whichever command wrote it: the tool, the
/// scenario files, the seed, when, and which files belong to the set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Always `nexus-mc`.
    pub tool: String,
    /// Version that wrote the outputs.
    pub version: String,
    /// `run`, `merge` or `sensitivity`.
    pub command: String,
    /// Scenario name.
    pub scenario: String,
    /// Scenario files and their SHA-256, root of the `extends` chain first;
    /// the last is the file given to `--config`.
    pub config: Vec<ConfigFile>,
    /// Master seed.
    pub seed: u64,
    /// Worker threads (results do not depend on it).
    pub threads: usize,
    /// The instruction set the hot loops ran on, `portable`, `avx2` or
    /// `avx512` (results do not depend on it; absent in manifests of
    /// earlier versions).
    #[serde(default)]
    pub isa: String,
    /// When the command started, UTC.
    pub started: String,
    /// Wall time of the command, seconds.
    pub wall_time_s: f64,
    /// The files of this output set, besides the manifest.
    pub files: Vec<String>,
    /// SHA-256 of each file of the set, lowercase hex, so that a changed or
    /// damaged file is found before it is used (absent in manifests of
    /// earlier versions).
    #[serde(default)]
    pub sha256: BTreeMap<String, String>,
}

impl Provenance {
    /// The provenance of a command started at `started`; files and wall
    /// time are filled in by [`Provenance::stamp`].
    pub(crate) fn new(
        command: &str,
        scenario: &str,
        config: &[ConfigFile],
        seed: u64,
        threads: usize,
        started: SystemTime,
    ) -> Provenance {
        Provenance {
            tool: TOOL.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            command: command.into(),
            scenario: scenario.into(),
            config: config.to_vec(),
            seed,
            threads,
            isa: crate::arch::Supported::current().isa().name().into(),
            started: humantime::format_rfc3339_seconds(started).to_string(),
            wall_time_s: 0.0,
            files: Vec::new(),
            sha256: BTreeMap::new(),
        }
    }

    /// Records the files of the set in `dir`, their SHA-256 and the wall
    /// time since `clock` (to the millisecond).
    pub(crate) fn stamp(&mut self, dir: &Path, files: &[String], clock: Instant) -> Result<()> {
        self.files = files.to_vec();
        self.sha256 = files
            .iter()
            .map(|f| {
                let path = dir.join(f);
                let sum = sha256_file(&path).map_err(|source| Error::Write { path, source })?;
                Ok((f.clone(), sum))
            })
            .collect::<Result<_>>()?;
        self.wall_time_s = (clock.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
        Ok(())
    }

    /// Records the files `tables` (names and bytes, held in memory), their
    /// SHA-256 and the wall time since `clock`, as [`Provenance::stamp`]
    /// does for files on disk.
    pub(crate) fn stamp_bytes(&mut self, tables: &[(String, Vec<u8>)], clock: Instant) {
        use sha2::{Digest, Sha256};
        self.files = tables.iter().map(|(name, _)| name.clone()).collect();
        self.sha256 = tables
            .iter()
            .map(|(name, bytes)| (name.clone(), hex(&Sha256::digest(bytes))))
            .collect();
        self.wall_time_s = (clock.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    }

    /// Checks that every file of the set in `dir` is there with the SHA-256
    /// the manifest recorded; names the first that is not.
    pub(crate) fn verify(&self, dir: &Path) -> std::result::Result<(), ManifestError> {
        for file in &self.files {
            if !crate::input::is_plain_name(file) {
                return Err(format!(
                    "{}: the manifest lists `{file}`, which is not a file name inside {}; \
                     a nexus-mc manifest lists only its own files",
                    dir.join(MANIFEST_FILE).display(),
                    dir.display()
                )
                .into());
            }
            let path = dir.join(file);
            let want = self.sha256.get(file).ok_or_else(|| {
                format!(
                    "{}: the manifest lists {file} without a checksum",
                    dir.join(MANIFEST_FILE).display()
                )
            })?;
            let unreadable = |e: &dyn std::fmt::Display| {
                format!(
                    "{}: {e}; the manifest lists it as part of this output set: rerun the \
                     command that wrote {}",
                    path.display(),
                    dir.display()
                )
            };
            listed_file(dir, file).map_err(|e| unreadable(&e))?;
            if file == crate::engine::STATE_FILE
                && !crate::engine::ShardState::starts_as_state(&path).map_err(|e| unreadable(&e))?
            {
                return Err(format!(
                    "{} is not a nexus-mc shard state file of this version; rerun the \
                     command that wrote {}",
                    path.display(),
                    dir.display()
                )
                .into());
            }
            let got = sha256_file(&path).map_err(|e| unreadable(&e))?;
            if &got != want {
                return Err(format!(
                    "{} has changed since nexus-mc wrote it (SHA-256 {} instead of {} in \
                     {}); rerun the command that wrote it",
                    path.display(),
                    &got[..12],
                    &want[..12.min(want.len())],
                    MANIFEST_FILE
                )
                .into());
            }
        }
        Ok(())
    }
}

/// Checks that the file `name` a manifest in `dir` lists is one nexus-mc
/// could have written there: a regular file, not a symbolic link, inside
/// `dir` (no link among its folders leads out), and within the ceiling of
/// its kind ([`crate::limits`]). Checked before a byte is hashed, so that
/// a planted link or a huge file is refused at once.
fn listed_file(dir: &Path, name: &str) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    let path = dir.join(name);
    let meta = std::fs::symlink_metadata(&path)?;
    if meta.file_type().is_symlink() {
        let target = std::fs::metadata(&path)
            .ok()
            .and_then(|m| crate::input::special_kind(&m.file_type()))
            .map_or(String::new(), |kind| format!(" to {kind}"));
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("is a symbolic link{target}; nexus-mc writes only regular files"),
        ));
    }
    if let Some(kind) = crate::input::special_kind(&meta.file_type()) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("is {kind}, not a regular file"),
        ));
    }
    let inside = std::fs::canonicalize(&path)?.starts_with(std::fs::canonicalize(dir)?);
    if !inside {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "lies outside its directory (through a symbolic link)",
        ));
    }
    let ceiling = if name == crate::engine::STATE_FILE {
        crate::limits::MAX_STATE_BYTES
    } else {
        crate::limits::MAX_TABLE_BYTES
    };
    if meta.len() > ceiling {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "holds {} bytes, more than the {} a file of an output set may have",
                crate::table::number(meta.len() as f64, 0),
                crate::table::number(ceiling as f64, 0)
            ),
        ));
    }
    Ok(())
}

/// SHA-256 of a regular file's bytes, lowercase hex.
pub(crate) fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let (mut file, _) = crate::input::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

/// Bytes as lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A manifest: JSON with a [`Provenance`] among its fields.
pub trait ManifestJson: Serialize {
    /// The shared part.
    fn provenance(&self) -> &Provenance;
    /// The shared part, to stamp.
    fn provenance_mut(&mut self) -> &mut Provenance;
}

/// The contents of `manifest.json` of `run` and `merge`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Tool, scenario files, seed, time and files.
    #[serde(flatten)]
    pub provenance: Provenance,
    /// Runs of the whole run.
    pub runs: u64,
    /// Runs evaluated for these outputs (fewer than `runs` for one shard).
    pub runs_here: u64,
    /// Sampler.
    pub sampler: String,
    /// Independent randomisations of an `lhs` or `sobol` run whose spread
    /// gives its intervals (`--replicates`); 1 for none (and for `mc`).
    #[serde(default = "one")]
    pub replicates: u64,
    /// The shard these outputs cover; absent for a whole or merged run.
    pub shard: Option<Shard>,
    /// For `merge`: how many shards were combined.
    pub merged_shards: Option<u64>,
    /// Runs per chunk (the unit of random streams and merging).
    pub chunk_runs: u64,
    /// Quantile method and error bound.
    pub quantiles: QuantileInfo,
    /// How `std_error` in claims.csv is computed.
    pub claim_std_error: String,
    /// For `run --precision`: the targets and what was reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<crate::precision::PrecisionReport>,
}

/// The replicates of a manifest written before they were recorded.
fn one() -> u64 {
    1
}

impl Manifest {
    /// A manifest for outputs of the run `identity`.
    pub(crate) fn new(
        command: &str,
        identity: &RunIdentity,
        runs_here: u64,
        threads: usize,
        started: SystemTime,
    ) -> Manifest {
        Manifest {
            provenance: Provenance::new(
                command,
                &identity.scenario,
                &identity.config,
                identity.seed,
                threads,
                started,
            ),
            runs: identity.runs,
            runs_here,
            sampler: identity.sampler.clone(),
            replicates: identity.replicates,
            shard: None,
            merged_shards: None,
            chunk_runs: CHUNK_RUNS,
            quantiles: QuantileInfo {
                method: identity.quantiles.name().into(),
                relative_error: identity.quantiles.relative_error(),
                definition: "the value of rank ceil(q * runs) in ascending order (inverse \
                             empirical CDF, Hyndman-Fan type 1); a sketch returns that value \
                             within relative_error, the largest bound over the band \
                             percentiles: 2^-12 where the ranges a pilot of the first runs \
                             refined hold the percentile, 2^-7 elsewhere (values below 1e-9 in \
                             magnitude count as 0)"
                    .into(),
            },
            claim_std_error: if identity.replicates > 1 {
                format!(
                    "s / sqrt({r}), s the standard deviation of the probabilities of the {r} \
                     independent replicates (0 when they all agree); sqrt(p * (1 - p) / runs) \
                     for a claim that held or failed in under 10 runs a replicate, and in a \
                     shard holding fewer than two replicates",
                    r = identity.replicates
                )
            } else if identity.sampler == "mc" {
                "sqrt(p * (1 - p) / runs), the Monte Carlo standard error".into()
            } else {
                format!(
                    "sqrt(p * (1 - p) / runs), the formula for iid draws, kept in claims.csv \
                     for readers of earlier versions: a {} sample is not iid and its error is \
                     not stated (give --replicates R for one)",
                    identity.sampler
                )
            },
            precision: None,
        }
    }
}

impl Manifest {
    /// Reads the manifest of `run` or `merge` in `dir` and checks every file
    /// it lists against its SHA-256.
    pub(crate) fn read_verified(dir: &Path) -> std::result::Result<Manifest, ManifestError> {
        let path = dir.join(MANIFEST_FILE);
        let text =
            crate::input::read_text(&path, crate::limits::MAX_MANIFEST_BYTES).map_err(|e| {
                format!(
                    "{}: {e}; a complete nexus-mc output directory has a manifest.json (is the \
                 command that writes {} still running, or did it fail?)",
                    path.display(),
                    dir.display()
                )
            })?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{} is not the manifest of a nexus-mc run ({e})",
                path.display()
            )
        })?;
        manifest.check_state_size(dir)?;
        manifest.provenance.verify(dir)?;
        Ok(manifest)
    }
}

impl Manifest {
    /// Refuses a shard state larger than one of `runs_here` runs can be
    /// (every value kept, 8 bytes each, plus 64 MiB for the rest), before
    /// it is hashed: a padded file is refused at once, not after minutes.
    fn check_state_size(&self, dir: &Path) -> std::result::Result<(), ManifestError> {
        let path = dir.join(crate::engine::STATE_FILE);
        let listed = self
            .provenance
            .files
            .iter()
            .any(|f| f == crate::engine::STATE_FILE);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            // Missing or unreadable: `verify` says so.
            return Ok(());
        };
        let most = (self.runs_here as u128 * crate::engine::COLUMNS as u128 * 8 + (64 << 20))
            .min(u128::from(crate::limits::MAX_STATE_BYTES));
        if listed && u128::from(meta.len()) > most {
            return Err(format!(
                "{}: holds {} bytes, more than the state of {} runs can ({}); rerun the \
                 command that wrote {}",
                path.display(),
                crate::table::number(meta.len() as f64, 0),
                crate::table::number(self.runs_here as f64, 0),
                crate::table::number(most as f64, 0),
                dir.display()
            )
            .into());
        }
        Ok(())
    }
}

impl ManifestJson for Manifest {
    fn provenance(&self) -> &Provenance {
        &self.provenance
    }
    fn provenance_mut(&mut self) -> &mut Provenance {
        &mut self.provenance
    }
}

/// The files listed by the nexus-mc manifest in `dir` (of any command).
pub(super) fn files_of_earlier_outputs(dir: &Path) -> Vec<String> {
    #[derive(Deserialize)]
    struct Listing {
        tool: String,
        files: Vec<String>,
    }
    crate::input::read_text(&dir.join(MANIFEST_FILE), crate::limits::MAX_MANIFEST_BYTES)
        .ok()
        .and_then(|text| serde_json::from_str::<Listing>(&text).ok())
        .filter(|l| l.tool == TOOL)
        .map(|l| l.files)
        .unwrap_or_default()
}

/// `manifest.json` of `sensitivity`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SensitivityManifest {
    /// Tool, scenario files, seed, time and files.
    #[serde(flatten)]
    pub provenance: Provenance,
    /// Methods run.
    pub methods: Vec<String>,
    /// Outputs analysed, `metric:year`.
    pub outputs: Vec<String>,
    /// Sobol base sample size N (and the Monte Carlo runs for rank correlation and filtering).
    pub base_runs: usize,
    /// Model runs per method.
    pub model_runs: std::collections::BTreeMap<String, u64>,
    /// Independent scrambles behind the Sobol intervals.
    pub replicates: usize,
    /// Coverage of the Sobol intervals.
    pub confidence: f64,
    /// Morris trajectories.
    pub trajectories: usize,
    /// Random permutations behind the Shapley effects (absent in manifests
    /// of earlier versions).
    #[serde(default)]
    pub permutations: usize,
    /// How declared correlations were treated.
    pub correlations: String,
}

impl ManifestJson for SensitivityManifest {
    fn provenance(&self) -> &Provenance {
        &self.provenance
    }
    fn provenance_mut(&mut self) -> &mut Provenance {
        &mut self.provenance
    }
}

/// One step of a bridge, for its manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BridgeStep {
    /// The step's name.
    pub name: String,
    /// Its parameters.
    pub parameters: Vec<String>,
    /// Each parameter under the first scenario.
    pub from: Vec<String>,
    /// Each parameter under the second.
    pub to: Vec<String>,
}

/// `manifest.json` of `bridge`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BridgeManifest {
    /// Tool, scenario files of both scenarios, seed, time and files.
    #[serde(flatten)]
    pub provenance: Provenance,
    /// The scenario bridged from.
    pub from: String,
    /// The scenario bridged to.
    pub to: String,
    /// Runs every subset of steps is evaluated on.
    pub runs: u64,
    /// `exact` (every subset) or `sampled` (orders in antithetic pairs).
    pub method: String,
    /// Orders averaged (0 for exact).
    pub orders: u64,
    /// Batches of runs behind the standard errors.
    pub batches: u64,
    /// The steps.
    pub steps: Vec<BridgeStep>,
    /// The waterfall order, by step name.
    pub order: Vec<String>,
    /// How the subsets share their runs.
    pub coupling: String,
}

impl ManifestJson for BridgeManifest {
    fn provenance(&self) -> &Provenance {
        &self.provenance
    }
    fn provenance_mut(&mut self) -> &mut Provenance {
        &mut self.provenance
    }
}
