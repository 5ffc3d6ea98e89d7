//! Shard state: what one process of a job array leaves for `merge`.
//!
//! The state file holds the run's identity (everything its results depend
//! on) and the shard's [`Accumulator`]. Merging checks that every shard
//! belongs to the same run and that each shard is present exactly once.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::accumulator::Accumulator;
use super::plan::{QuantileMethod, RunPlan, Shard, CHUNK_RUNS};
use crate::claims::Claim;
use crate::config::{ConfigFile, Scenario};

crate::error::input_error! {
    /// Why shard outputs cannot be read or merged: missing, damaged, or not
    /// the shards of one run.
    ShardError
}

/// File name of a shard's state, beside its CSVs.
pub const STATE_FILE: &str = "shard-state.bin";
const MAGIC: &[u8; 16] = b"nexus-mc shard\n\0";
/// Bumped whenever the layout of [`ShardState`] changes.
const FORMAT: u32 = 7;
/// Bytes of the SHA-256 that ends the file.
const DIGEST_BYTES: usize = 32;

/// Everything a run's results depend on. Two shards merge only if their
/// identities are equal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunIdentity {
    /// nexus-mc version that computed the run.
    pub version: String,
    /// Scenario name.
    pub scenario: String,
    /// The scenario files, root of the `extends` chain first, by content.
    pub config: Vec<ConfigFile>,
    /// Master seed.
    pub seed: u64,
    /// Runs of the whole run.
    pub runs: u64,
    /// Sampler name.
    pub sampler: String,
    /// Independent randomisations (1: none); see [`RunPlan::replicates`].
    pub replicates: u64,
    /// Quantile method.
    pub quantiles: QuantileMethod,
    /// Runs per chunk.
    pub chunk_runs: u64,
    /// Claims counted, in order.
    pub claims: Vec<Claim>,
}

impl RunIdentity {
    pub(super) fn new(scenario: &Scenario, plan: &RunPlan, claims: &[Claim]) -> RunIdentity {
        RunIdentity {
            version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: scenario.name.clone(),
            config: scenario.files.clone(),
            seed: plan.seed,
            runs: plan.runs,
            sampler: plan.sampler.name().to_string(),
            replicates: plan.replicates,
            quantiles: plan.quantiles,
            chunk_runs: CHUNK_RUNS,
            claims: claims.to_vec(),
        }
    }

    /// How two identities differ, in words; empty if they are equal.
    fn differences(&self, other: &RunIdentity) -> Vec<String> {
        let mut d = Vec::new();
        let mut check = |what: &str, a: String, b: String| {
            if a != b {
                d.push(format!("{what} {a} vs {b}"));
            }
        };
        check("version", self.version.clone(), other.version.clone());
        check("scenario", self.scenario.clone(), other.scenario.clone());
        let files = |i: &RunIdentity| {
            i.config
                .iter()
                .map(|f| {
                    format!(
                        "{} (sha256 {})",
                        f.origin,
                        &f.sha256[..12.min(f.sha256.len())]
                    )
                })
                .collect::<Vec<_>>()
                .join(" + ")
        };
        check("config", files(self), files(other));
        check("seed", self.seed.to_string(), other.seed.to_string());
        check("runs", self.runs.to_string(), other.runs.to_string());
        check("sampler", self.sampler.clone(), other.sampler.clone());
        check(
            "replicates",
            self.replicates.to_string(),
            other.replicates.to_string(),
        );
        check(
            "quantiles",
            self.quantiles.name().into(),
            other.quantiles.name().into(),
        );
        check(
            "chunk size",
            self.chunk_runs.to_string(),
            other.chunk_runs.to_string(),
        );
        if self.claims != other.claims {
            d.push("claims differ".into());
        }
        d
    }
}

/// What `run --shard K/N` writes to [`STATE_FILE`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShardState {
    /// The run this shard belongs to.
    pub identity: RunIdentity,
    /// Which shard.
    pub shard: Shard,
    /// Its accumulated results.
    pub accumulator: Accumulator,
}

impl ShardState {
    /// Writes the state: a header, the postcard encoding, then the SHA-256
    /// of everything before it, so that any changed, cut or appended byte
    /// is found when it is read.
    pub fn write_to(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&FORMAT.to_le_bytes());
        postcard::to_io(self, &mut bytes).map_err(std::io::Error::other)?;
        let digest = Sha256::digest(&bytes);
        w.write_all(&bytes)?;
        w.write_all(&digest)
    }

    /// Whether the file at `path` starts as a shard state of this format
    /// does: read before anything hashes or loads the whole file, so that
    /// a large file that is no state is refused at once.
    pub(crate) fn starts_as_state(path: &Path) -> std::io::Result<bool> {
        let (file, _) = crate::input::open(path)?;
        let mut head = Vec::with_capacity(MAGIC.len() + 4);
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, (MAGIC.len() + 4) as u64),
            &mut head,
        )?;
        Ok(head.strip_prefix(MAGIC.as_slice()) == Some(FORMAT.to_le_bytes().as_slice()))
    }

    /// Reads the state in directory `dir` and checks it: its checksum, its
    /// format, and that its numbers are those of the shard it says it is.
    pub fn read(dir: &Path) -> Result<ShardState, ShardError> {
        let path = dir.join(STATE_FILE);
        let bytes = crate::input::read(&path, crate::limits::MAX_STATE_BYTES).map_err(|e| {
            format!(
                "{}: {e}; is {} the --out of a `nexus-mc run --shard K/N`?",
                path.display(),
                dir.display()
            )
        })?;
        let not_state = || format!("{} is not a nexus-mc shard state file", path.display());
        let body = bytes.strip_prefix(MAGIC.as_slice()).ok_or_else(not_state)?;
        let (format, _) = body.split_at_checked(4).ok_or_else(not_state)?;
        let format = u32::from_le_bytes(format.try_into().expect("4 bytes"));
        if format != FORMAT {
            return Err(format!(
                "{} has state format {format}; this nexus-mc {} reads format {FORMAT}: \
                 rerun the shard with this version",
                path.display(),
                env!("CARGO_PKG_VERSION")
            )
            .into());
        }
        let damaged = |e: &dyn std::fmt::Display| {
            format!(
                "{} is damaged or incomplete: {e}; rerun that shard",
                path.display()
            )
        };
        let split = bytes
            .len()
            .checked_sub(DIGEST_BYTES)
            .filter(|&n| n >= MAGIC.len() + 4)
            .ok_or_else(|| damaged(&"it is too short"))?;
        let (signed, digest) = bytes.split_at(split);
        if Sha256::digest(signed).as_slice() != digest {
            return Err(damaged(&"its checksum does not match its contents").into());
        }
        let (state, rest): (ShardState, _) =
            postcard::take_from_bytes(&signed[MAGIC.len() + 4..]).map_err(|e| damaged(&e))?;
        if !rest.is_empty() {
            return Err(damaged(&format!("{} bytes follow the state", rest.len())).into());
        }
        let plan = state.plan();
        if state.identity.chunk_runs != CHUNK_RUNS || plan.shard.index >= plan.shard.count {
            return Err(damaged(&"its chunk size or shard number is not one of a run").into());
        }
        if plan.runs == 0 || plan.runs > crate::limits::MAX_RUNS {
            return Err(damaged(&format!("a run of {} runs", plan.runs)).into());
        }
        if !(1..=super::MAX_REPLICATES).contains(&plan.replicates) {
            return Err(damaged(&format!("{} replicates", plan.replicates)).into());
        }
        state
            .accumulator
            .check(state.identity.claims.len(), &plan)
            .map_err(|e| damaged(&e))?;
        Ok(state)
    }

    /// The plan of this shard, as far as its checks need one.
    fn plan(&self) -> RunPlan {
        RunPlan {
            shard: self.shard,
            quantiles: self.identity.quantiles,
            replicates: self.identity.replicates,
            ..RunPlan::new(self.identity.runs)
        }
    }
}

/// Merges the states found in `dirs` into the whole run, after checking that
/// they are the shards 0..N of one run, each once.
pub fn merge_shards(dirs: &[PathBuf]) -> Result<(RunIdentity, Accumulator), ShardError> {
    let size: u64 = dirs
        .iter()
        .filter_map(|d| std::fs::metadata(d.join(STATE_FILE)).ok())
        .map(|m| m.len())
        .sum();
    // The states, their merge, and for a replicated exact run the pooled
    // copy its summary reads.
    crate::limits::check_memory(
        3.0 * size as f64,
        &format!("merging {} shard states", dirs.len()),
        "merge on a machine with more memory, or rerun with fewer runs",
    )
    .map_err(|e| ShardError(e.0))?;
    let mut states: Vec<(PathBuf, ShardState)> = Vec::new();
    for dir in dirs {
        states.push((dir.clone(), ShardState::read(dir)?));
    }
    let (first_dir, first) = states.first().ok_or("no shard directories given")?;
    let this_version = env!("CARGO_PKG_VERSION");
    if first.identity.version != this_version {
        return Err(format!(
            "{} was computed by nexus-mc {}; this is {this_version}: merge with the version that ran the shards",
            first_dir.display(),
            first.identity.version
        ).into());
    }
    let count = first.shard.count;
    for (dir, s) in &states[1..] {
        let diff = first.identity.differences(&s.identity);
        if !diff.is_empty() {
            return Err(format!(
                "{} and {} are not shards of the same run: {}",
                first_dir.display(),
                dir.display(),
                diff.join("; ")
            )
            .into());
        }
        if s.shard.count != count {
            return Err(format!(
                "{} is shard {} but {} is shard {}: the shard counts differ",
                first_dir.display(),
                first.shard,
                dir.display(),
                s.shard
            )
            .into());
        }
    }
    // Shards given twice, then missing ones: a few named, then a count (a
    // forged count of 10^12 shards is neither listed nor looped over).
    const SHOWN: usize = 5;
    let mut problems = Vec::new();
    let mut indices: Vec<u64> = states.iter().map(|(_, s)| s.shard.index).collect();
    indices.sort_unstable();
    indices.dedup();
    for &k in &indices {
        let holders: Vec<String> = states
            .iter()
            .filter(|(_, s)| s.shard.index == k)
            .map(|(d, _)| d.display().to_string())
            .collect();
        if holders.len() > 1 {
            problems.push(format!(
                "shard {k}/{count} is given twice: {}",
                holders.join(", ")
            ));
        }
    }
    let missing = count.saturating_sub(indices.len() as u64);
    if missing > 0 {
        let named: Vec<String> = (0..count)
            .filter(|k| indices.binary_search(k).is_err())
            .take(SHOWN)
            .map(|k| format!("{k}/{count}"))
            .collect();
        problems.push(format!(
            "{} of {} shards {} missing ({}{}); give every shard directory of the run",
            crate::table::count(missing),
            crate::table::count(count),
            if missing == 1 { "is" } else { "are" },
            named.join(", "),
            if missing > named.len() as u64 {
                ", ..."
            } else {
                ""
            }
        ));
    }
    if !problems.is_empty() {
        return Err(problems.join("; ").into());
    }
    if let Some((dir, _)) = states[1..]
        .iter()
        .find(|(_, s)| !first.accumulator.merges_with(&s.accumulator))
    {
        return Err(format!(
            "{} and {} were not summed around the same values (their moments cannot be \
             merged); rerun that shard",
            first_dir.display(),
            dir.display()
        )
        .into());
    }
    let identity = first.identity.clone();
    states.sort_by_key(|(_, s)| s.shard.index);
    let mut states = states.into_iter().map(|(_, s)| s.accumulator);
    let mut total = states.next().expect("at least one shard");
    for acc in states {
        total.merge(&acc);
    }
    Ok((identity, total))
}
