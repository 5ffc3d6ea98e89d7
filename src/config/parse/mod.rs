//! From TOML text to a validated [`Scenario`], collecting every problem.
//!
//! Each file is read into a [`Layer`] of the entries it defines (the table
//! readers and their checks are in `tables`); layers merge from the root of
//! the `extends` chain to the file asked for, and the merged scenario is
//! checked as a whole here.

mod tables;

use std::borrow::Cow;
use std::path::Path;

use toml::de::DeValue;
use toml::Spanned;

use super::{
    shipped, ConfigError, ConfigFile, CorrelationSpec, ParameterSpec, Problem, Scenario, Schedule,
    ScheduleSpec,
};
use crate::claims::Claim;
use crate::correlation::{check_matrix, ImanConover, MatrixProblem};
use crate::model::{Param, Schedules};

use tables::read_layer;
pub(super) use tables::within_domain;

/// How deep `extends` may nest before it is surely a mistake.
const MAX_EXTENDS_DEPTH: usize = 16;

/// A table key and a value with their spans in the text.
type Key<'i> = Spanned<Cow<'i, str>>;
type Value<'i> = Spanned<DeValue<'i>>;

/// Where an entry was written: file and line.
#[derive(Clone, Debug, Default)]
struct At {
    file: String,
    line: Option<usize>,
}

/// What one file defines.
#[derive(Default)]
struct Layer {
    /// Problems found so far in this file and those it extends.
    problems: Vec<Problem>,
    /// Entries written, valid or not (so an invalid one is not also "missing").
    seen_params: Vec<bool>,
    seen_schedules: [bool; 5],
    name: Option<String>,
    description: Option<String>,
    params: Vec<Option<(ParameterSpec, At)>>,
    schedules: [Option<(Vec<f64>, ScheduleSpec)>; 5],
    correlations: Option<Vec<(CorrelationSpec, At)>>,
    claims: Option<Vec<(Claim, At)>>,
    /// The files read, root of the `extends` chain first.
    files: Vec<ConfigFile>,
}

/// Loads `text` (named `origin`) and everything it extends.
pub(super) fn scenario(text: &str, origin: &str) -> Result<Scenario, ConfigError> {
    let mut chain = vec![origin.to_string()];
    let layer = load_chain(text, origin, &mut chain)?;
    finish(layer, origin)
}

/// Reads one file, then its parent (recursively), and merges them.
fn load_chain(text: &str, origin: &str, chain: &mut Vec<String>) -> Result<Layer, ConfigError> {
    let (mut layer, extends) = read_layer(text, origin)?;
    layer.files.push(ConfigFile::new(origin, text));
    let Some((parent, at)) = extends else {
        return Ok(layer);
    };
    let fail = |reason: String| ConfigError::Invalid {
        file: origin.to_string(),
        problems: vec![Problem {
            file: at.file.clone(),
            line: at.line,
            key: "scenario.extends".into(),
            reason,
        }],
    };
    let (parent_origin, parent_text) = resolve(&parent, origin).map_err(fail)?;
    // The same file under another name (`../dir/self`, a link) is the same.
    let same = |a: &str| identity(a) == identity(&parent_origin);
    if let Some(first) = chain.iter().position(|c| same(c)) {
        chain.push(parent_origin);
        return Err(fail(format!(
            "extends cycle: {} extends itself through {}",
            chain[first],
            shortened(&chain[first..])
        )));
    }
    if chain.len() > MAX_EXTENDS_DEPTH {
        chain.push(parent_origin);
        return Err(fail(format!(
            "extends nests more than {MAX_EXTENDS_DEPTH} files deep ({}); a scenario may \
             extend at most {MAX_EXTENDS_DEPTH} others in a chain",
            shortened(chain)
        )));
    }
    chain.push(parent_origin.clone());
    let base = load_chain(&parent_text, &parent_origin, chain)?;
    Ok(merge(base, layer))
}

/// What identifies a scenario file however it was named: its canonical
/// path (or the shipped name).
fn identity(origin: &str) -> String {
    if origin.starts_with("shipped:") {
        return origin.to_string();
    }
    std::fs::canonicalize(origin).map_or_else(|_| origin.to_string(), |p| p.display().to_string())
}

/// A chain of files for a message: all of a short one, the ends of a long.
fn shortened(chain: &[String]) -> String {
    if chain.len() <= 6 {
        chain.join(" -> ")
    } else {
        format!(
            "{} -> ... ({} more) -> {}",
            chain[..3].join(" -> "),
            chain.len() - 5,
            chain[chain.len() - 2..].join(" -> ")
        )
    }
}

/// Finds the file an `extends` names: a path relative to the extending file,
/// or a shipped scenario.
fn resolve(name: &str, from: &str) -> Result<(String, String), String> {
    if let Some(dir) = Path::new(from)
        .parent()
        .filter(|_| !from.starts_with("shipped:"))
    {
        let candidates = [dir.join(name), dir.join(format!("{name}.toml"))];
        if let Some(path) = candidates.into_iter().find(|p| p.is_file()) {
            let text = crate::input::read_text(&path, crate::limits::MAX_SCENARIO_BYTES)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            return Ok((path.display().to_string(), text));
        }
    }
    match shipped::find(name) {
        Some(text) => Ok((
            format!("shipped:{}", name.trim_end_matches(".toml")),
            text.to_string(),
        )),
        None => Err(format!(
            "`{name}` is neither a file next to this one nor a shipped scenario ({})",
            shipped::names()
        )),
    }
}

fn merge(mut base: Layer, top: Layer) -> Layer {
    base.problems.extend(top.problems);
    base.files.extend(top.files);
    for (b, t) in base.seen_params.iter_mut().zip(top.seen_params) {
        *b |= t;
    }
    for (b, t) in base.seen_schedules.iter_mut().zip(top.seen_schedules) {
        *b |= t;
    }
    base.name = top.name.or(base.name);
    base.description = top.description.or(base.description);
    for (b, t) in base.params.iter_mut().zip(top.params) {
        if t.is_some() {
            *b = t;
        }
    }
    for (b, t) in base.schedules.iter_mut().zip(top.schedules) {
        if t.is_some() {
            *b = t;
        }
    }
    // Correlations inherit pair by pair, like parameters: a child restates a
    // pair to change it (rank 0 drops it) and adds new ones.
    if let Some(pairs) = top.correlations {
        let list = base.correlations.get_or_insert_with(Vec::new);
        for (c, at) in pairs {
            match list.iter_mut().find(|(b, _)| b.between == c.between) {
                Some(inherited) => *inherited = (c, at),
                None => list.push((c, at)),
            }
        }
    }
    if top.claims.is_some() {
        base.claims = top.claims;
    }
    base
}

/// Checks the merged chain as a whole and builds the scenario.
fn finish(mut layer: Layer, origin: &str) -> Result<Scenario, ConfigError> {
    let mut problems = std::mem::take(&mut layer.problems);
    let mut missing = |key: String, what: &str| {
        problems.push(Problem {
            file: origin.to_string(),
            line: None,
            key,
            reason: format!("missing: {what}"),
        })
    };
    for (p, seen) in Param::ALL.iter().zip(&layer.seen_params) {
        if !seen {
            missing(format!("parameters.{p}"), "every parameter needs a distribution, unit and source (or inherit it with extends)");
        }
    }
    for (s, seen) in Schedule::ALL.iter().zip(layer.seen_schedules) {
        if !seen {
            missing(
                format!("schedules.{}", s.name()),
                "every schedule needs values, unit and source (or inherit it with extends)",
            );
        }
    }
    if !problems.is_empty()
        || layer.params.iter().any(Option::is_none)
        || layer.schedules.iter().any(Option::is_none)
    {
        return Err(ConfigError::Invalid {
            file: origin.to_string(),
            problems,
        });
    }

    let (parameters, param_at): (Vec<ParameterSpec>, Vec<At>) =
        layer.params.into_iter().flatten().unzip();
    let [pi, ec, pw, ps, pl] = layer.schedules.map(|s| s.expect("checked above"));
    let schedules = Schedules {
        public_investment: std::array::from_fn(|t| pi.0.get(t).copied().unwrap_or(0.0)),
        enabling_conditions: std::array::from_fn(|t| ec.0.get(t).copied().unwrap_or(0.0)),
        phase_weights: std::array::from_fn(|k| pw.0[k]),
        public_share: std::array::from_fn(|k| ps.0[k]),
        phase_lag: std::array::from_fn(|k| pl.0[k] as u32),
    };
    let problem = |at: &At, key: &str, reason: String| Problem {
        file: at.file.clone(),
        line: at.line,
        key: key.into(),
        reason,
    };

    let shift = Param::PhaseLagShift as usize;
    let lowest_shift = parameters[shift].distribution.support().0;
    if let Err(why) = schedules.check_lag_shift(lowest_shift) {
        problems.push(problem(
            &param_at[shift],
            "parameters.phase_lag_shift",
            why.to_string(),
        ));
    }

    // Rank 0 is independence: the pair is dropped, as if never declared.
    let mut correlations = layer.correlations.unwrap_or_default();
    correlations.retain(|(c, _)| c.rank != 0.0);
    for (c, at) in &correlations {
        for p in [c.between.0, c.between.1] {
            if !parameters[p as usize].distribution.is_fixed() {
                continue;
            }
            let (a, b) = c.between;
            let fixed_at = &param_at[p as usize];
            // Declared where the scenario or the fixing file can drop it: as
            // before. Inherited from a file the user may not own: say which
            // file to change and how.
            if at.file == fixed_at.file || at.file == origin {
                problems.push(problem(at, "correlation.between", format!("`{p}` is fixed in this scenario; only uncertain parameters can be correlated")));
            } else {
                problems.push(problem(
                    fixed_at,
                    &format!("parameters.{p}"),
                    format!(
                        "`{p}` is fixed here, but {} correlates it with `{}` (rank {}); in {}, \
                         either keep `{p}` uncertain or drop the pair by restating it with \
                         rank 0: [[correlation]] between = [\"{a}\", \"{b}\"], rank = 0, \
                         with a source and a rationale",
                        at.file,
                        if p == a { b } else { a },
                        c.rank,
                        fixed_at.file
                    ),
                ));
            }
        }
    }
    if problems.is_empty() && !correlations.is_empty() {
        problems.extend(check_correlations(&correlations));
    }
    let claims = layer.claims.unwrap_or_default();
    let defaults = Claim::default_set();
    for (i, (c, at)) in claims.iter().enumerate() {
        let taken = defaults.iter().any(|d| d.name == c.name)
            || claims[..i].iter().any(|(d, _)| d.name == c.name);
        if taken {
            problems.push(problem(
                at,
                "claim.name",
                format!(
                    "a claim named \"{}\" already exists (the default claims are: {}); \
                     give each claim its own name",
                    c.name,
                    defaults
                        .iter()
                        .map(|d| format!("\"{}\"", d.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ConfigError::Invalid {
            file: origin.to_string(),
            problems,
        });
    }

    Ok(Scenario {
        name: layer.name.unwrap_or_else(|| file_stem(origin)),
        description: layer.description.unwrap_or_default(),
        origin: origin.to_string(),
        parameters,
        schedules,
        schedule_specs: vec![pi.1, ec.1, pw.1, ps.1, pl.1],
        correlations: correlations.into_iter().map(|(c, _)| c).collect(),
        claims: claims.into_iter().map(|(c, _)| c).collect(),
        files: layer.files,
    })
}

/// The declared pairs must form a possible (positive semi-definite) matrix.
fn check_correlations(pairs: &[(CorrelationSpec, At)]) -> Vec<Problem> {
    let specs: Vec<CorrelationSpec> = pairs.iter().map(|(c, _)| c.clone()).collect();
    let at = &pairs[0].1;
    correlation_problems(&specs)
        .into_iter()
        .map(|reason| Problem {
            file: at.file.clone(),
            line: None,
            key: "correlation".into(),
            reason,
        })
        .collect()
}

/// Why a set of (range-checked) correlations cannot be imposed: not positive
/// semi-definite, naming the contradicting triples, or singular for
/// Iman-Conover. Empty if they can.
pub(super) fn correlation_problems(specs: &[CorrelationSpec]) -> Vec<String> {
    let params = super::correlated(specs);
    let matrix = super::correlation_matrix(&params, specs);
    let mut problems = Vec::new();
    for p in check_matrix(&matrix) {
        let reason = match p {
            MatrixProblem::NotPsd {
                min_eigenvalue,
                triples,
            } if !triples.is_empty() => {
                let names: Vec<String> = triples
                    .iter()
                    .map(|t| format!("({}, {}, {})", params[t[0]], params[t[1]], params[t[2]]))
                    .collect();
                format!(
                    "the correlations cannot hold together (the matrix is not positive semi-definite, \
                     smallest eigenvalue {min_eigenvalue:.4}); the pairs among {} contradict each other",
                    names.join(", ")
                )
            }
            MatrixProblem::NotPsd { min_eigenvalue, .. } => format!(
                "the correlations cannot hold together (the matrix over {} is not positive \
                 semi-definite, smallest eigenvalue {min_eigenvalue:.4}); weaken some pairs",
                params
                    .iter()
                    .map(|p| p.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            // Entries are range-checked when read, and the matrix is built symmetric.
            MatrixProblem::NotSymmetric(..) | MatrixProblem::OutOfRange(..) => continue,
        };
        problems.push(reason);
    }
    if problems.is_empty() {
        if let Err(why) = ImanConover::new((0..params.len()).collect(), &matrix) {
            problems.push(why.to_string());
        }
    }
    problems
}

fn file_stem(origin: &str) -> String {
    let base = origin.strip_prefix("shipped:").unwrap_or(origin);
    Path::new(base)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| base.to_string())
}
