//! Scenario files (`distributions/*.toml`): loading, validation and the
//! shipped scenarios.
//!
//! Tables of `[[correlation]]` or `[[claim]]` written in a file replace those
//! of the file it extends; every other entry replaces the inherited one of the
//! same name.
//!
//! A scenario gives every canonical parameter a distribution (or a fixed
//! value), its unit and a `source`, and every schedule its values. A file may
//! `extends` another and redefine only what differs. Loading checks the whole
//! chain and reports every problem with file, line, key and reason.
//!
//! ```toml
//! [scenario]
//! name = "my-stress-test"
//! extends = "central"            # a shipped name, or a path relative to this file
//!
//! [parameters.multiplier]        # replaces the inherited entry whole
//! dist = "pert"
//! min = 1.2
//! mode = 1.6
//! max = 1.97
//! unit = "ratio"
//! source = "seed 001_a2aad4cae151af76.txt line 4077"
//! rationale = "Why this range."
//!
//! [[correlation]]
//! between = ["multiplier", "lasting_share"]
//! rank = 0.3
//! source = "..."
//! rationale = "..."
//!
//! [[claim]]                      # tested on every run, after the default claims
//! name = "half the 1.2 %"
//! metric = "gdp_share_pct"
//! year = 2035
//! op = ">="                      # >=, >, <= or <
//! threshold = 0.6
//! source = "optional: where the claim is made"
//!
//! [schedules.public_investment]
//! values = [300, 450, 600, 600, 600, 600, 600, 600, 600, 600]
//! unit = "EUR m"
//! source = "seed 001_a2aad4cae151af76.txt line 194"
//! ```

mod error;
mod parse;
pub mod shipped;

use std::path::Path;

pub use error::{ConfigError, Problem};

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::claims::Claim;
use crate::distribution::Distribution;
use crate::model::{Param, ParamSet, Schedules};
use crate::sampler::RankCorrelation;

/// A validated scenario: every parameter and schedule with its source.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Short name (`[scenario] name`, or the file stem).
    pub name: String,
    /// One paragraph on what the scenario is for.
    pub description: String,
    /// Where it came from: a file path, or `shipped:NAME`.
    pub origin: String,
    /// One entry per canonical parameter, in registry order.
    pub parameters: Vec<ParameterSpec>,
    /// The vectors every run shares.
    pub schedules: Schedules,
    /// Unit and source of each schedule, in [`Schedule::ALL`] order.
    pub schedule_specs: Vec<ScheduleSpec>,
    /// Rank correlations between uncertain parameters.
    pub correlations: Vec<CorrelationSpec>,
    /// Claims the file declares under `[[claim]]`, tested after the default set.
    pub claims: Vec<Claim>,
    /// The files it was read from, root of the `extends` chain first (empty
    /// for a scenario built in code).
    pub files: Vec<ConfigFile>,
}

/// One file a scenario was read from, identified by its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigFile {
    /// A file path, or `shipped:NAME`.
    pub origin: String,
    /// SHA-256 of the file's bytes, in lowercase hex.
    pub sha256: String,
}

impl ConfigFile {
    /// Identifies `text`, read from `origin`.
    pub fn new(origin: &str, text: &str) -> ConfigFile {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(text.as_bytes());
        ConfigFile {
            origin: origin.to_string(),
            sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// A rank (Spearman) correlation between two uncertain parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct CorrelationSpec {
    /// The two parameters, in registry order.
    pub between: (Param, Param),
    /// Target Spearman correlation in [-1, 1].
    pub rank: f64,
    /// Where the correlation comes from.
    pub source: String,
    /// Why.
    pub rationale: String,
}

/// One parameter of a scenario.
#[derive(Clone, Debug)]
pub struct ParameterSpec {
    /// Which parameter.
    pub param: Param,
    /// Its distribution (switch values are choice indices).
    pub distribution: Distribution,
    /// The unit as written (checked against [`Param::unit`]).
    pub unit: String,
    /// Seed file and line, or the outside reference the value comes from.
    pub source: String,
    /// Why this value or range, where the file gives one.
    pub rationale: Option<String>,
}

/// A schedule (vector input) of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// P_t by year from 2026.
    PublicInvestment,
    /// R_t by year from 2026.
    EnablingConditions,
    /// w_p by phase.
    PhaseWeights,
    /// s_p by phase.
    PublicShare,
    /// lag_p by phase.
    PhaseLag,
}

impl Schedule {
    /// Every schedule, in file-documentation order.
    pub const ALL: [Schedule; 5] = [
        Schedule::PublicInvestment,
        Schedule::EnablingConditions,
        Schedule::PhaseWeights,
        Schedule::PublicShare,
        Schedule::PhaseLag,
    ];

    /// The key under `[schedules]`.
    pub const fn name(self) -> &'static str {
        match self {
            Schedule::PublicInvestment => "public_investment",
            Schedule::EnablingConditions => "enabling_conditions",
            Schedule::PhaseWeights => "phase_weights",
            Schedule::PublicShare => "public_share",
            Schedule::PhaseLag => "phase_lag",
        }
    }

    /// The unit a scenario must state.
    pub const fn unit(self) -> &'static str {
        match self {
            Schedule::PublicInvestment | Schedule::EnablingConditions => "EUR m",
            Schedule::PhaseWeights | Schedule::PublicShare => "share",
            Schedule::PhaseLag => "years",
        }
    }
}

/// Unit and source of one schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleSpec {
    /// Which schedule.
    pub schedule: Schedule,
    /// The unit as written.
    pub unit: String,
    /// Seed file and line the values come from.
    pub source: String,
}

impl Scenario {
    /// Loads a scenario by file path or by the name of a shipped scenario
    /// (`kpmg-point`, ...). A path that exists wins over a shipped name.
    pub fn load(spec: &str) -> Result<Scenario, ConfigError> {
        let path = Path::new(spec);
        if path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            return Scenario::from_toml(&text, spec);
        }
        match shipped::find(spec) {
            Some(text) => Scenario::from_toml(text, &format!("shipped:{spec}")),
            None => Err(ConfigError::UnknownScenario {
                name: spec.to_string(),
                available: shipped::names(),
            }),
        }
    }

    /// Parses and validates scenario text; `origin` names it in messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Scenario, ConfigError> {
        parse::scenario(text, origin)
    }

    /// The entry of one parameter.
    pub fn parameter(&self, param: Param) -> &ParameterSpec {
        &self.parameters[param as usize]
    }

    /// Every parameter at its median (its value, where fixed): the run
    /// `baseline` shows and the centre of one-at-a-time sensitivity.
    pub fn point(&self) -> ParamSet {
        ParamSet::from_array(std::array::from_fn(|i| {
            self.parameters[i].distribution.quantile(0.5)
        }))
    }

    /// The Iman-Conover target over the given sample columns, if the
    /// scenario declares correlations between them.
    pub fn rank_correlation(&self, columns: &[Param]) -> Result<Option<RankCorrelation>, String> {
        let involved: Vec<Param> = columns
            .iter()
            .copied()
            .filter(|p| {
                self.correlations
                    .iter()
                    .any(|c| c.between.0 == *p || c.between.1 == *p)
            })
            .collect();
        if involved.is_empty() {
            return Ok(None);
        }
        let matrix = correlation_matrix(&involved, &self.correlations);
        let at: Vec<usize> = involved
            .iter()
            .map(|p| {
                columns
                    .iter()
                    .position(|c| c == p)
                    .expect("involved is a subset")
            })
            .collect();
        RankCorrelation::new(at, &matrix).map(Some)
    }
}

/// The correlation matrix over `params` (unit diagonal, 0 where no pair is given).
fn correlation_matrix(params: &[Param], pairs: &[CorrelationSpec]) -> Array2<f64> {
    let k = params.len();
    let mut m = Array2::<f64>::eye(k);
    for c in pairs {
        let i = params.iter().position(|p| *p == c.between.0);
        let j = params.iter().position(|p| *p == c.between.1);
        if let (Some(i), Some(j)) = (i, j) {
            m[[i, j]] = c.rank;
            m[[j, i]] = c.rank;
        }
    }
    m
}
