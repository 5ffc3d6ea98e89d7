//! Scenario files (`distributions/*.toml`): loading, validation and the
//! shipped scenarios.
//!
//! A file's `[[claim]]` tables replace those of the file it extends;
//! `[[correlation]]` tables are inherited pair by pair (restate a pair to
//! change its rank, rank 0 drops it); every other entry replaces the
//! inherited one of the same name. The format is documented in
//! docs/scenarios.md, the sources its `source` fields cite in
//! docs/sources.md.
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
//! source = "[LBSP2025] appendix 9.7, item 4; [WifOR2017]"
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
//! source = "[LBSP2025] Tabel 1"
//! ```

mod error;
mod parse;
pub mod shipped;

use std::path::{Path, PathBuf};

pub use error::{ConfigError, Problem};

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::claims::Claim;
use crate::correlation::ImanConover;
use crate::distribution::Distribution;
use crate::model::{Domain, Param, ParamSet, Schedules};
use crate::table::significant;

crate::error::input_error! {
    /// Why a parameter or correlation cannot be added to a scenario built in
    /// code.
    ScenarioError
}

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
    pub(crate) fn new(origin: &str, text: &str) -> ConfigFile {
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
    /// The scenario file that declares it (`shipped:NAME` for a shipped
    /// one, `code` for one added with [`Scenario::with_correlation`]).
    pub origin: String,
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

impl ParameterSpec {
    /// The distribution in the user's terms, a switch by its names and a
    /// choice with its weights: `pert(1.2, 1.55, 2.25)`, `fixed(published)`,
    /// `choice(grow: 0.2, freeze: 0.3, expire: 0.5)`.
    pub fn describe(&self) -> String {
        match (&self.distribution, self.param.domain()) {
            (Distribution::Fixed(x), Domain::Choice(_)) => {
                format!("fixed({})", self.param.format_value(*x))
            }
            (Distribution::Choice { values, cumulative }, _) => {
                let weights = cumulative.iter().scan(0.0, |below, &c| {
                    let w = c - *below;
                    *below = c;
                    Some(w)
                });
                let items: Vec<String> = values
                    .iter()
                    .zip(weights)
                    .map(|(&v, w)| format!("{}: {}", self.format(v), significant(w, 3)))
                    .collect();
                format!("choice({})", items.join(", "))
            }
            (d, _) => d.to_string(),
        }
    }

    /// A value of this parameter for people: a switch by name, a number to
    /// four significant digits.
    pub(crate) fn format(&self, x: f64) -> String {
        match self.param.domain() {
            Domain::Choice(_) => self.param.format_value(x),
            _ => significant(x, 4),
        }
    }

    /// P5, P50 and P95 of the distribution, formatted; only P50 for a
    /// fixed value.
    pub fn percentiles(&self) -> [String; 3] {
        let q = |u| self.format(self.distribution.quantile(u));
        if self.distribution.is_fixed() {
            [String::new(), q(0.5), String::new()]
        } else {
            [q(0.05), q(0.5), q(0.95)]
        }
    }
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
    pub(crate) const fn name(self) -> &'static str {
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
    /// Loads a scenario by the name of a shipped scenario (`central`,
    /// `kpmg-point`, ...) or by file path. The choice is made by the text,
    /// never by what happens to be in the working directory: a name with no
    /// `/` and no `.toml` ending is a shipped scenario when one has that
    /// name, and a path otherwise (write `./central` for a file called
    /// `central`). [`Scenario::shipped`] and [`Scenario::from_file`] make
    /// the choice explicit.
    ///
    /// ```
    /// use nexus_mc::Scenario;
    /// let s = Scenario::load("central").unwrap();
    /// assert_eq!(s.origin, "shipped:central");
    /// ```
    pub fn load(spec: &str) -> Result<Scenario, ConfigError> {
        let path_like = spec.contains('/')
            || spec.contains(std::path::MAIN_SEPARATOR)
            || spec.ends_with(".toml");
        if !path_like && shipped::find(spec).is_some() {
            return Scenario::shipped(spec);
        }
        match std::fs::metadata(spec) {
            Ok(m) if !m.is_dir() => Scenario::from_file(Path::new(spec)),
            // Too long a name, no permission, a file where a directory
            // should be: say so, not "unknown scenario".
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(ConfigError::Read {
                path: PathBuf::from(spec),
                source: e,
            }),
            _ => Err(ConfigError::UnknownScenario {
                name: spec.to_string(),
                available: shipped::names(),
            }),
        }
    }

    /// The shipped scenario `name` (see [`shipped::names`]).
    pub fn shipped(name: &str) -> Result<Scenario, ConfigError> {
        match shipped::find(name) {
            Some(text) => Scenario::from_toml(text, &format!("shipped:{name}")),
            None => Err(ConfigError::UnknownScenario {
                name: name.to_string(),
                available: shipped::names(),
            }),
        }
    }

    /// The scenario in the TOML file at `path`.
    pub fn from_file(path: &Path) -> Result<Scenario, ConfigError> {
        let text =
            crate::input::read_text(path, crate::limits::MAX_SCENARIO_BYTES).map_err(|source| {
                ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        Scenario::from_toml(&text, &path.to_string_lossy())
    }

    /// The scenario files on disk this scenario was read from (shipped
    /// scenarios have none): what a command must not overwrite.
    pub fn file_paths(&self) -> Vec<PathBuf> {
        self.files
            .iter()
            .filter(|f| !f.origin.starts_with("shipped:"))
            .map(|f| PathBuf::from(&f.origin))
            .collect()
    }

    /// Parses and validates scenario text; `origin` names it in messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Scenario, ConfigError> {
        parse::scenario(text, origin)
    }

    /// The entry of one parameter.
    pub fn parameter(&self, param: Param) -> &ParameterSpec {
        &self.parameters[param as usize]
    }

    /// The parameters that are not fixed, in parameter order: the columns a
    /// sampler draws and `--samples` lists.
    pub fn uncertain_params(&self) -> Vec<Param> {
        self.parameters
            .iter()
            .filter(|p| !p.distribution.is_fixed())
            .map(|p| p.param)
            .collect()
    }

    /// Every parameter at its median (its value, where fixed): the run
    /// `baseline` shows and the centre of one-at-a-time sensitivity.
    pub fn point(&self) -> ParamSet {
        ParamSet::from_array(std::array::from_fn(|i| {
            self.parameters[i].distribution.quantile(0.5)
        }))
    }

    /// The same scenario with `param` drawn from `distribution` instead: a
    /// scenario built in code, checked as a file would be (the distribution
    /// must stay inside the parameter's domain, a correlated parameter cannot
    /// become fixed). The scenario no longer comes from its files, so
    /// [`Scenario::files`] is emptied.
    ///
    /// ```
    /// use nexus_mc::config::Scenario;
    /// use nexus_mc::distribution::Distribution;
    /// use nexus_mc::model::Param;
    ///
    /// let s = Scenario::load("kpmg-point").unwrap()
    ///     .with_parameter(Param::Displacement, Distribution::uniform(0.0, 0.4).unwrap(),
    ///                     "my source", "why this range").unwrap();
    /// assert!(!s.parameter(Param::Displacement).distribution.is_fixed());
    /// let bad = s.with_parameter(Param::Displacement, Distribution::uniform(0.0, 1.5).unwrap(), "x", "y");
    /// assert!(bad.unwrap_err().0.contains("displacement"));
    /// ```
    pub fn with_parameter(
        mut self,
        param: Param,
        distribution: Distribution,
        source: &str,
        rationale: &str,
    ) -> Result<Scenario, ScenarioError> {
        let fail = |why: &dyn std::fmt::Display| ScenarioError(format!("parameter {param}: {why}"));
        parse::within_domain(&distribution, param.domain()).map_err(|e| fail(&e))?;
        if source.trim().is_empty() {
            return Err(fail(&"give a source"));
        }
        if distribution.is_fixed()
            && self
                .correlations
                .iter()
                .any(|c| c.between.0 == param || c.between.1 == param)
        {
            return Err(fail(
                &"it is correlated with another parameter, so it cannot be fixed",
            ));
        }
        if param == Param::PhaseLagShift {
            self.schedules
                .check_lag_shift(distribution.support().0)
                .map_err(|e| fail(&e))?;
        }
        let spec = &mut self.parameters[param as usize];
        spec.distribution = distribution;
        spec.source = source.to_string();
        spec.rationale = Some(rationale.to_string());
        self.files.clear();
        Ok(self)
    }

    /// The same scenario with a rank correlation between two uncertain
    /// parameters added (or replaced), checked as in a file: different
    /// parameters, `rank` in [-1, 1], and a possible matrix overall.
    pub fn with_correlation(
        mut self,
        a: Param,
        b: Param,
        rank: f64,
        source: &str,
        rationale: &str,
    ) -> Result<Scenario, ScenarioError> {
        let fail = |why: String| ScenarioError(format!("correlation {a}, {b}: {why}"));
        if a == b {
            return Err(fail("a parameter cannot be correlated with itself".into()));
        }
        if !(rank.is_finite() && (-1.0..=1.0).contains(&rank)) {
            return Err(fail(format!("{rank} is not in [-1, 1]")));
        }
        for p in [a, b] {
            if self.parameter(p).distribution.is_fixed() {
                return Err(fail(format!(
                    "{p} is fixed; only uncertain parameters can be correlated"
                )));
            }
        }
        let between = (a.min(b), a.max(b));
        self.correlations.retain(|c| c.between != between);
        self.correlations.push(CorrelationSpec {
            between,
            rank,
            source: source.to_string(),
            rationale: rationale.to_string(),
            origin: "code".to_string(),
        });
        if let Some(why) = parse::correlation_problems(&self.correlations)
            .into_iter()
            .next()
        {
            return Err(fail(why));
        }
        self.files.clear();
        Ok(self)
    }

    /// The Iman-Conover target over the given sample columns, if the
    /// scenario declares correlations between them.
    pub(crate) fn rank_correlation(
        &self,
        columns: &[Param],
    ) -> Result<Option<ImanConover>, crate::correlation::CorrelationError> {
        let correlated = correlated(&self.correlations);
        let involved: Vec<Param> = columns
            .iter()
            .copied()
            .filter(|p| correlated.contains(p))
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
        ImanConover::new(at, &matrix).map(Some)
    }
}

/// The parameters named in `pairs`, in registry order, each once.
fn correlated(pairs: &[CorrelationSpec]) -> Vec<Param> {
    let mut params: Vec<Param> = pairs
        .iter()
        .flat_map(|c| [c.between.0, c.between.1])
        .collect();
    params.sort();
    params.dedup();
    params
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
