//! `manifest.json`: what produced a directory of outputs, and which files
//! belong to it. It is written last, so its presence marks a complete set.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use serde::{Deserialize, Serialize};

use crate::config::ConfigFile;
use crate::engine::{RunIdentity, Shard, CHUNK_RUNS};
use crate::error::{Error, Result};

/// File name of the manifest.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Names of the files `run`, `merge` and `sensitivity` write besides the
/// manifest.
pub const OUTPUT_FILES: [&str; 11] = [
    "bands.csv",
    "claims.csv",
    "histogram.csv",
    "report.html",
    "charts",
    crate::engine::STATE_FILE,
    "sobol.csv",
    "tornado.csv",
    "rank_correlation.csv",
    "switching_values.csv",
    "morris.csv",
];
const TOOL: &str = "nexus-mc";

/// The quantile method and what it guarantees.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantileInfo {
    /// `exact` or `sketch`.
    pub method: String,
    /// Bound on the relative error of every reported quantile (0 for exact).
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
    /// When the command started, UTC.
    pub started: String,
    /// Wall time of the command, seconds.
    pub wall_time_s: f64,
    /// The files of this output set, besides the manifest.
    pub files: Vec<String>,
}

impl Provenance {
    /// The provenance of a command started at `started`; files and wall
    /// time are filled in by [`Provenance::stamp`].
    pub fn new(
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
            started: humantime::format_rfc3339_seconds(started).to_string(),
            wall_time_s: 0.0,
            files: Vec::new(),
        }
    }

    /// Records the files of the set and the wall time since `clock` (to the
    /// millisecond).
    pub fn stamp(&mut self, files: &[String], clock: Instant) {
        self.files = files.to_vec();
        self.wall_time_s = (clock.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    }
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
}

impl Manifest {
    /// A manifest for outputs of the run `identity`.
    pub fn new(
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
            shard: None,
            merged_shards: None,
            chunk_runs: CHUNK_RUNS,
            quantiles: QuantileInfo {
                method: identity.quantiles.name().into(),
                relative_error: identity.quantiles.relative_error(),
                definition: "the value of rank ceil(q * runs) in ascending order (inverse \
                             empirical CDF, Hyndman-Fan type 1); a sketch returns that value \
                             within relative_error (values below 1e-9 in magnitude count as 0)"
                    .into(),
            },
            claim_std_error: "sqrt(p * (1 - p) / runs), the Monte Carlo standard error; \
                              conservative for lhs and sobol samples"
                .into(),
        }
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
fn files_of_earlier_outputs(dir: &Path) -> Vec<String> {
    #[derive(Deserialize)]
    struct Listing {
        tool: String,
        files: Vec<String>,
    }
    std::fs::read_to_string(dir.join(MANIFEST_FILE))
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
    /// Sobol base sample size N (and Monte Carlo runs for rank correlation).
    pub base_runs: usize,
    /// Model runs per method.
    pub model_runs: std::collections::BTreeMap<String, u64>,
    /// Bootstrap resamples of the Sobol intervals.
    pub bootstrap: usize,
    /// Coverage of the Sobol intervals.
    pub confidence: f64,
    /// Morris trajectories.
    pub trajectories: usize,
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

/// An output directory made ready for a command's files.
pub struct OutDir {
    /// The directory.
    pub path: PathBuf,
    /// Files of an earlier output set found there, to remove if this command
    /// does not replace them.
    previous: Vec<String>,
}

impl OutDir {
    /// Creates `path` if needed and checks it can be written. An existing
    /// directory must be empty or hold only an earlier nexus-mc output set
    /// (which this command replaces), unless `force` is given.
    pub fn prepare(path: &Path, force: bool) -> Result<OutDir> {
        let bad = |why: String| Error::Usage(format!("--out {}: {why}", path.display()));
        if path.exists() && !path.is_dir() {
            return Err(bad("exists and is not a directory".into()));
        }
        std::fs::create_dir_all(path).map_err(|e| bad(format!("cannot create it: {e}")))?;
        let mut entries: Vec<String> = std::fs::read_dir(path)
            .map_err(|e| bad(format!("cannot read it: {e}")))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        entries.sort();
        let previous = files_of_earlier_outputs(path);
        // Files a killed earlier run may have left: ours, so not in the way.
        let ours = |e: &str| {
            e == MANIFEST_FILE || OUTPUT_FILES.contains(&e) || e.starts_with(".nexus-mc-")
        };
        let foreign: Vec<&String> = entries
            .iter()
            .filter(|e| !ours(e) && !previous.contains(e))
            .collect();
        if !foreign.is_empty() && !force {
            let shown: Vec<&str> = foreign.iter().take(5).map(|s| s.as_str()).collect();
            return Err(bad(format!(
                "the directory is not empty ({}{}) and holds no earlier nexus-mc outputs; \
                 choose an empty or new directory, or pass --force to write into it",
                shown.join(", "),
                if foreign.len() > 5 { ", ..." } else { "" }
            )));
        }
        tempfile::Builder::new()
            .prefix(".nexus-mc-probe-")
            .tempfile_in(path)
            .map_err(|e| bad(format!("cannot write there: {e}")))?;
        Ok(OutDir {
            path: path.to_path_buf(),
            previous,
        })
    }

    /// The path of `file` in this directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Marks the earlier output set, if any, as incomplete (removes its
    /// manifest) before new files replace its files one by one.
    pub fn begin(&self) -> Result<()> {
        let path = self.file(MANIFEST_FILE);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::Write { path, source: e })
            }
            _ => Ok(()),
        }
    }

    /// Writes the manifest (pretty JSON) last, then removes files of the
    /// earlier output set that this one does not list.
    pub fn finish(&self, manifest: &impl ManifestJson) -> Result<()> {
        super::write_atomic(&self.file(MANIFEST_FILE), |w| {
            serde_json::to_writer_pretty(&mut *w, manifest).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })?;
        let files = &manifest.provenance().files;
        for old in self.previous.iter().filter(|f| !files.contains(f)) {
            let path = self.file(old);
            if path.is_file() {
                std::fs::remove_file(&path).map_err(|source| Error::Write { path, source })?;
            }
        }
        Ok(())
    }
}
