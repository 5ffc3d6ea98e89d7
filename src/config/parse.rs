//! From TOML text to a validated [`Scenario`], collecting every problem.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::{ConfigError, ParameterSpec, Problem, Scenario, Schedule, ScheduleSpec};
use crate::model::{Param, Schedules, PHASES, YEARS};

const TOP_KEYS: &[&str] = &["scenario", "parameters", "schedules"];
const SCENARIO_KEYS: &[&str] = &["name", "description"];
const PARAMETER_KEYS: &[&str] = &["value", "unit", "source", "rationale"];
const SCHEDULE_KEYS: &[&str] = &["values", "unit", "source"];

/// Tolerance on "phase weights sum to 1".
const WEIGHT_SUM_TOLERANCE: f64 = 1e-9;

type Value<'i> = Spanned<DeValue<'i>>;

pub(super) fn scenario(text: &str, origin: &str) -> Result<Scenario, ConfigError> {
    let lines = LineIndex::new(text);
    let doc = DeTable::parse(text).map_err(|e| ConfigError::Syntax {
        file: origin.to_string(),
        line: e.span().map(|s| lines.line(s.start)),
        message: e.message().trim().to_string(),
    })?;
    let mut cx = Checker {
        lines,
        problems: Vec::new(),
    };

    let mut name = None;
    let mut description = String::new();
    let mut parameters: Vec<Option<ParameterSpec>> = vec![None; Param::COUNT];
    let mut schedules: [Option<(Vec<f64>, ScheduleSpec)>; 5] = Default::default();
    // Where each parameter and schedule was written, invalid or not.
    let mut param_at: [Option<Range<usize>>; Param::COUNT] = std::array::from_fn(|_| None);
    let mut schedule_at = [false; 5];

    for (key, value) in doc.get_ref().iter() {
        let key_name = key.get_ref().as_ref();
        match key_name {
            "scenario" => {
                for (k, v) in cx.entries(value, "scenario") {
                    match k.get_ref().as_ref() {
                        "name" => name = cx.string(v, "scenario.name"),
                        "description" => {
                            description = cx.string(v, "scenario.description").unwrap_or_default()
                        }
                        other => cx.unknown(k.span(), "scenario.", other, SCENARIO_KEYS),
                    }
                }
            }
            "parameters" => {
                for (k, v) in cx.entries(value, "parameters") {
                    let pname = k.get_ref().as_ref();
                    match Param::from_name(pname) {
                        Some(p) => {
                            param_at[p as usize] = Some(v.span());
                            parameters[p as usize] = cx.parameter(p, v);
                        }
                        None => cx.unknown(
                            k.span(),
                            "parameters.",
                            pname,
                            &Param::ALL.iter().map(|p| p.name()).collect::<Vec<_>>(),
                        ),
                    }
                }
            }
            "schedules" => {
                for (k, v) in cx.entries(value, "schedules") {
                    let sname = k.get_ref().as_ref();
                    match Schedule::ALL.iter().position(|s| s.name() == sname) {
                        Some(i) => {
                            schedule_at[i] = true;
                            schedules[i] = cx.schedule(Schedule::ALL[i], v);
                        }
                        None => cx.unknown(
                            k.span(),
                            "schedules.",
                            sname,
                            &Schedule::ALL.map(|s| s.name()),
                        ),
                    }
                }
            }
            other => cx.unknown(key.span(), "", other, TOP_KEYS),
        }
    }

    for (p, at) in Param::ALL.iter().zip(&param_at) {
        if at.is_none() {
            cx.missing(
                &format!("parameters.{p}"),
                "every parameter needs a value, unit and source",
            );
        }
    }
    for (s, seen) in Schedule::ALL.iter().zip(schedule_at) {
        if !seen {
            cx.missing(
                &format!("schedules.{}", s.name()),
                "every schedule needs values, unit and source",
            );
        }
    }
    if !cx.problems.is_empty() {
        return Err(cx.into_error(origin));
    }

    let parameters: Vec<ParameterSpec> = parameters.into_iter().flatten().collect();
    let [pi, ec, pw, ps, pl] = schedules.map(|s| s.expect("checked above"));
    let schedules = Schedules {
        public_investment: yearly(&pi.0),
        enabling_conditions: yearly(&ec.0),
        phase_weights: by_phase(&pw.0),
        public_share: by_phase(&ps.0),
        phase_lag: by_phase(&pl.0).map(|x| x as u32),
    };
    let shift = parameters[Param::PhaseLagShift as usize].value;
    if let Err(why) = schedules.check_lag_shift(shift) {
        let at = param_at[Param::PhaseLagShift as usize].clone();
        cx.problem(
            at.unwrap_or_default(),
            "parameters.phase_lag_shift.value",
            why,
        );
        return Err(cx.into_error(origin));
    }

    Ok(Scenario {
        name: name.unwrap_or_else(|| file_stem(origin)),
        description,
        origin: origin.to_string(),
        parameters,
        schedules,
        schedule_specs: vec![pi.1, ec.1, pw.1, ps.1, pl.1],
    })
}

fn yearly(values: &[f64]) -> [f64; YEARS] {
    std::array::from_fn(|t| values.get(t).copied().unwrap_or(0.0))
}

fn by_phase(values: &[f64]) -> [f64; PHASES] {
    std::array::from_fn(|k| values[k])
}

fn file_stem(origin: &str) -> String {
    let base = origin.strip_prefix("shipped:").unwrap_or(origin);
    std::path::Path::new(base)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| base.to_string())
}

/// Byte offset to 1-based line number.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }
}

struct Checker {
    lines: LineIndex,
    problems: Vec<Problem>,
}

impl Checker {
    fn into_error(mut self, origin: &str) -> ConfigError {
        self.problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        ConfigError::Invalid {
            file: origin.to_string(),
            problems: self.problems,
        }
    }

    fn problem(&mut self, span: Range<usize>, key: &str, reason: impl Into<String>) {
        self.problems.push(Problem {
            line: Some(self.lines.line(span.start)),
            key: key.to_string(),
            reason: reason.into(),
        });
    }

    fn missing(&mut self, key: &str, reason: &str) {
        self.problems.push(Problem {
            line: None,
            key: key.to_string(),
            reason: format!("missing: {reason}"),
        });
    }

    fn unknown(&mut self, span: Range<usize>, prefix: &str, name: &str, valid: &[&str]) {
        let hint = match closest(name, valid) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("valid keys here: {}", valid.join(", ")),
        };
        self.problem(
            span,
            &format!("{prefix}{name}"),
            format!("unknown key; {hint}"),
        );
    }

    /// The entries of a table, or a problem if `value` is not a table.
    fn entries<'a, 'i>(
        &mut self,
        value: &'a Value<'i>,
        key: &str,
    ) -> Vec<(&'a Spanned<std::borrow::Cow<'i, str>>, &'a Value<'i>)> {
        match value.get_ref() {
            DeValue::Table(t) => t.iter().collect(),
            other => {
                self.problem(
                    value.span(),
                    key,
                    format!("must be a table, found {}", other.type_str()),
                );
                Vec::new()
            }
        }
    }

    fn string(&mut self, value: &Value<'_>, key: &str) -> Option<String> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.problem(
                    value.span(),
                    key,
                    format!("must be a string, found {}", other.type_str()),
                );
                None
            }
        }
    }

    /// A non-empty `source` or `unit` string equal to `expected` when given.
    fn text_field(
        &mut self,
        fields: &[(&Spanned<std::borrow::Cow<'_, str>>, &Value<'_>)],
        at: Range<usize>,
        key: &str,
        field: &str,
        expected: Option<&str>,
    ) -> Option<String> {
        let Some((_, v)) = fields.iter().find(|(k, _)| k.get_ref() == field) else {
            let why = match expected {
                Some(unit) => format!("missing `{field}` (it must be \"{unit}\")"),
                None => format!(
                    "missing `{field}`: cite the seed file and line, or the outside reference"
                ),
            };
            self.problem(at, key, why);
            return None;
        };
        let full = format!("{key}.{field}");
        let text = self.string(v, &full)?;
        if text.trim().is_empty() {
            self.problem(v.span(), &full, "must not be empty");
            return None;
        }
        if let Some(unit) = expected {
            if text != unit {
                self.problem(
                    v.span(),
                    &full,
                    format!(
                        "\"{text}\" is not this parameter's unit; the model works in \"{unit}\""
                    ),
                );
                return None;
            }
        }
        Some(text)
    }

    fn parameter(&mut self, param: Param, value: &Value<'_>) -> Option<ParameterSpec> {
        let key = format!("parameters.{param}");
        let fields = self.entries(value, &key);
        for (k, _) in &fields {
            if !PARAMETER_KEYS.contains(&k.get_ref().as_ref()) {
                self.unknown(k.span(), &format!("{key}."), k.get_ref(), PARAMETER_KEYS);
            }
        }
        let unit = self.text_field(&fields, value.span(), &key, "unit", Some(param.unit()));
        let source = self.text_field(&fields, value.span(), &key, "source", None);
        let rationale = match fields.iter().find(|(k, _)| k.get_ref() == "rationale") {
            Some((_, v)) => self.string(v, &format!("{key}.rationale")),
            None => None,
        };
        let number = match fields.iter().find(|(k, _)| k.get_ref() == "value") {
            Some((_, v)) => self.param_value(param, v, &format!("{key}.value")),
            None => {
                self.problem(value.span(), &key, "missing `value`");
                None
            }
        };
        Some(ParameterSpec {
            param,
            value: number?,
            unit: unit?,
            source: source?,
            rationale,
        })
    }

    fn param_value(&mut self, param: Param, v: &Value<'_>, key: &str) -> Option<f64> {
        let x = match (v.get_ref(), param.domain()) {
            (DeValue::String(s), crate::model::Domain::Choice(_)) => match param.parse_value(s) {
                Ok(x) => return Some(x),
                Err(why) => {
                    self.problem(v.span(), key, why);
                    return None;
                }
            },
            (_, crate::model::Domain::Choice(names)) => {
                self.problem(
                    v.span(),
                    key,
                    format!("must be a string, one of {}", names.join(", ")),
                );
                return None;
            }
            (other, _) => match number(other) {
                Some(x) => x,
                None => {
                    self.problem(
                        v.span(),
                        key,
                        format!("must be a number, found {}", other.type_str()),
                    );
                    return None;
                }
            },
        };
        match param.domain().check(x) {
            Ok(()) => Some(x),
            Err(why) => {
                self.problem(v.span(), key, format!("{x} {why}"));
                None
            }
        }
    }

    fn schedule(
        &mut self,
        schedule: Schedule,
        value: &Value<'_>,
    ) -> Option<(Vec<f64>, ScheduleSpec)> {
        let key = format!("schedules.{}", schedule.name());
        let fields = self.entries(value, &key);
        for (k, _) in &fields {
            if !SCHEDULE_KEYS.contains(&k.get_ref().as_ref()) {
                self.unknown(k.span(), &format!("{key}."), k.get_ref(), SCHEDULE_KEYS);
            }
        }
        let unit = self.text_field(&fields, value.span(), &key, "unit", Some(schedule.unit()));
        let source = self.text_field(&fields, value.span(), &key, "source", None);
        let values = match fields.iter().find(|(k, _)| k.get_ref() == "values") {
            Some((_, v)) => self.schedule_values(schedule, v, &format!("{key}.values")),
            None => {
                self.problem(value.span(), &key, "missing `values`");
                None
            }
        };
        Some((
            values?,
            ScheduleSpec {
                schedule,
                unit: unit?,
                source: source?,
            },
        ))
    }

    fn schedule_values(
        &mut self,
        schedule: Schedule,
        v: &Value<'_>,
        key: &str,
    ) -> Option<Vec<f64>> {
        let DeValue::Array(items) = v.get_ref() else {
            self.problem(
                v.span(),
                key,
                format!(
                    "must be an array of numbers, found {}",
                    v.get_ref().type_str()
                ),
            );
            return None;
        };
        let (min_len, max_len, what) = match schedule {
            Schedule::PublicInvestment | Schedule::EnablingConditions => {
                (1, YEARS, "one value per year from 2026 (later years are 0)")
            }
            _ => (
                PHASES,
                PHASES,
                "one value per phase: discovery, preclinical, phase1, phase2, phase3, production",
            ),
        };
        if items.len() < min_len || items.len() > max_len {
            let want = if min_len == max_len {
                format!("{min_len}")
            } else {
                format!("{min_len} to {max_len}")
            };
            self.problem(
                v.span(),
                key,
                format!("has {} values, needs {want}: {what}", items.len()),
            );
            return None;
        }
        let mut values = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let at = format!("{key}[{i}]");
            let Some(x) = number(item.get_ref()) else {
                self.problem(
                    item.span(),
                    &at,
                    format!("must be a number, found {}", item.get_ref().type_str()),
                );
                ok = false;
                continue;
            };
            let why = match schedule {
                _ if !x.is_finite() => Some("must be a finite number".to_string()),
                Schedule::PublicInvestment | Schedule::EnablingConditions if x < 0.0 => {
                    Some(format!("{x} is negative; public money cannot be"))
                }
                Schedule::PhaseWeights if !(0.0..=1.0).contains(&x) => {
                    Some(format!("{x} must be a share in [0, 1]"))
                }
                Schedule::PublicShare if !(x > 0.0 && x <= 1.0) => {
                    Some(format!("{x} must be a share in (0, 1]: a phase with no public money has no leverage defined"))
                }
                Schedule::PhaseLag if x.fract() != 0.0 || !(0.0..=30.0).contains(&x) => {
                    Some(format!("{x} must be a whole number of years in [0, 30]"))
                }
                _ => None,
            };
            if let Some(why) = why {
                self.problem(item.span(), &at, why);
                ok = false;
            }
            values.push(x);
        }
        if ok && schedule == Schedule::PhaseWeights {
            let sum: f64 = values.iter().sum();
            if (sum - 1.0).abs() > WEIGHT_SUM_TOLERANCE {
                self.problem(
                    v.span(),
                    key,
                    format!(
                        "weights sum to {}, must sum to 1",
                        (sum * 1e9).round() / 1e9
                    ),
                );
                ok = false;
            }
        }
        ok.then_some(values)
    }
}

/// A TOML integer or float as `f64`.
fn number(v: &DeValue<'_>) -> Option<f64> {
    match v {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .map(|x| x as f64),
        DeValue::Float(f) => f.as_str().parse().ok(),
        _ => None,
    }
}

/// The valid name closest to a misspelt one, if it is close enough to be a typo.
fn closest<'a>(name: &str, valid: &[&'a str]) -> Option<&'a str> {
    valid
        .iter()
        .map(|v| (strsim::levenshtein(name, v), *v))
        .filter(|(d, v)| *d <= 3.max(v.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_counts_from_one() {
        let idx = LineIndex::new("a\nbb\n\nc");
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(2), 2);
        assert_eq!(idx.line(5), 3);
        assert_eq!(idx.line(6), 4);
    }

    #[test]
    fn closest_suggests_typos_only() {
        let valid = ["multiplier", "drug_sales", "drug_cost"];
        assert_eq!(closest("multiplyer", &valid), Some("multiplier"));
        assert_eq!(closest("drug_sale", &valid), Some("drug_sales"));
        assert_eq!(closest("completely_else", &valid), None);
    }
}
