//! Scenario files (`distributions/*.toml`): loading, validation and the
//! shipped scenarios.
//!
//! A scenario names a value, unit and `source` for every canonical parameter
//! and every schedule. Loading checks the whole file and reports every
//! problem with file, line, key and reason, never only the first.
//!
//! ```toml
//! [scenario]
//! name = "kpmg-point"
//! description = "Every parameter at the published value."
//!
//! [parameters.multiplier]
//! value = 1.97
//! unit = "ratio"
//! source = "seed 001_a2aad4cae151af76.txt line 4077"
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

use crate::model::{Param, ParamSet, Schedules};

/// A validated scenario: every parameter and schedule with its source.
#[derive(Clone, Debug, PartialEq)]
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
}

/// One parameter of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct ParameterSpec {
    /// Which parameter.
    pub param: Param,
    /// Its value (a choice index for switches).
    pub value: f64,
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

    /// The scenario's point values as one parameter set.
    pub fn point(&self) -> ParamSet {
        ParamSet::from_array(std::array::from_fn(|i| self.parameters[i].value))
    }
}
