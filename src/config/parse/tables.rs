//! Reading one scenario file: its tables and keys, each checked where it is
//! written, every problem kept with file, line and key.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::{At, Key, Layer, Value};
use crate::claims::{Claim, Op};
use crate::config::{ConfigError, CorrelationSpec, ParameterSpec, Problem, Schedule, ScheduleSpec};
use crate::distribution::{Distribution, PERT_LAMBDA};
use crate::model::{Domain, Metric, Param, PHASES, YEARS};

const TOP_KEYS: &[&str] = &[
    "scenario",
    "parameters",
    "schedules",
    "correlation",
    "claim",
];
const SCENARIO_KEYS: &[&str] = &["name", "description", "extends"];
const SCHEDULE_KEYS: &[&str] = &["values", "unit", "source"];
const CORRELATION_KEYS: &[&str] = &["between", "rank", "source", "rationale"];
const CLAIM_KEYS: &[&str] = &["name", "metric", "year", "op", "threshold", "source"];
const TEXT_KEYS: &[&str] = &["dist", "unit", "source", "rationale"];
const FAMILIES: &[&str] = &[
    "fixed",
    "uniform",
    "triangular",
    "pert",
    "normal",
    "truncnormal",
    "lognormal",
    "beta",
    "choice",
    "empirical",
];
/// Reads one file into a layer (with the problems found in it) and the
/// `extends` it names.
pub(super) fn read_layer(
    text: &str,
    origin: &str,
) -> Result<(Layer, Option<(String, At)>), ConfigError> {
    let lines = LineIndex::new(text);
    let doc = DeTable::parse(text).map_err(|e| ConfigError::Syntax {
        file: origin.to_string(),
        line: e.span().map(|s| lines.line(s.start)),
        message: e.message().trim().to_string(),
    })?;
    let mut cx = Checker {
        file: origin.to_string(),
        lines,
        problems: Vec::new(),
    };
    let mut layer = Layer {
        params: vec![None; Param::COUNT],
        seen_params: vec![false; Param::COUNT],
        ..Layer::default()
    };
    let mut extends = None;

    for (key, value) in doc.get_ref().iter() {
        match key.get_ref().as_ref() {
            "scenario" => {
                for (k, v) in cx.entries(value, "scenario") {
                    match k.get_ref().as_ref() {
                        "name" => layer.name = cx.string(v, "scenario.name"),
                        "description" => layer.description = cx.string(v, "scenario.description"),
                        "extends" => {
                            extends = cx
                                .string(v, "scenario.extends")
                                .map(|s| (s, cx.at(v.span())))
                        }
                        other => cx.unknown(k.span(), "scenario.", other, SCENARIO_KEYS),
                    }
                }
            }
            "parameters" => {
                for (k, v) in cx.entries(value, "parameters") {
                    let name = k.get_ref().as_ref();
                    match Param::from_name(name) {
                        Some(p) => {
                            layer.seen_params[p as usize] = true;
                            layer.params[p as usize] =
                                cx.parameter(p, v).map(|spec| (spec, cx.at(v.span())));
                        }
                        None => cx.unknown(
                            k.span(),
                            "parameters.",
                            name,
                            &Param::ALL.iter().map(|p| p.name()).collect::<Vec<_>>(),
                        ),
                    }
                }
            }
            "schedules" => {
                for (k, v) in cx.entries(value, "schedules") {
                    let name = k.get_ref().as_ref();
                    match Schedule::ALL.iter().position(|s| s.name() == name) {
                        Some(i) => {
                            layer.seen_schedules[i] = true;
                            layer.schedules[i] = cx.schedule(Schedule::ALL[i], v);
                        }
                        None => cx.unknown(
                            k.span(),
                            "schedules.",
                            name,
                            &Schedule::ALL.map(|s| s.name()),
                        ),
                    }
                }
            }
            "correlation" => layer.correlations = Some(cx.correlations(value)),
            "claim" => layer.claims = Some(cx.claims(value)),
            other if SCENARIO_KEYS.contains(&other) => {
                cx.problem(
                    key.span(),
                    other,
                    format!(
                        "belongs under [scenario]: write `[scenario]` on a line above \
                         `{other} = ...`"
                    ),
                );
                // Still follow it, so that the parameters it would supply are
                // not each reported missing.
                if other == "extends" {
                    extends = cx
                        .string(value, "extends")
                        .map(|s| (s, cx.at(value.span())));
                }
            }
            other if Param::from_name(other).is_some() => cx.problem(
                key.span(),
                other,
                format!(
                    "belongs under [parameters]: give it its own table, \
                     `[parameters.{other}]`"
                ),
            ),
            other => cx.unknown(key.span(), "", other, TOP_KEYS),
        }
    }
    cx.problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
    layer.problems = cx.problems;
    Ok((layer, extends))
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

/// The keys of one table, for lookups by name.
struct Fields<'a, 'i> {
    entries: Vec<(&'a Key<'i>, &'a Value<'i>)>,
}

impl<'a, 'i> Fields<'a, 'i> {
    fn get(&self, name: &str) -> Option<&'a Value<'i>> {
        self.entries
            .iter()
            .find(|(k, _)| k.get_ref() == name)
            .map(|(_, v)| *v)
    }

    fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

struct Checker {
    file: String,
    lines: LineIndex,
    problems: Vec<Problem>,
}

impl Checker {
    fn at(&self, span: Range<usize>) -> At {
        At {
            file: self.file.clone(),
            line: Some(self.lines.line(span.start)),
        }
    }

    fn problem(&mut self, span: Range<usize>, key: &str, reason: impl std::fmt::Display) {
        let line = Some(self.lines.line(span.start));
        self.problems.push(Problem {
            file: self.file.clone(),
            line,
            key: key.to_string(),
            reason: reason.to_string(),
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

    fn entries<'a, 'i>(
        &mut self,
        value: &'a Value<'i>,
        key: &str,
    ) -> Vec<(&'a Key<'i>, &'a Value<'i>)> {
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

    /// The tables of an array of tables `[[name]]`, each with its key
    /// (`name[i]`) and its fields; keys outside `keys` are reported.
    fn table_array<'a, 'i>(
        &mut self,
        value: &'a Value<'i>,
        name: &str,
        each: &str,
        keys: &[&str],
    ) -> Vec<(String, &'a Value<'i>, Fields<'a, 'i>)> {
        let DeValue::Array(items) = value.get_ref() else {
            self.problem(
                value.span(),
                name,
                format!("must be an array of tables: write each {each} as [[{name}]]"),
            );
            return Vec::new();
        };
        let mut tables = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let key = format!("{name}[{i}]");
            let fields = Fields {
                entries: self.entries(item, &key),
            };
            for (k, _) in &fields.entries {
                if !keys.contains(&k.get_ref().as_ref()) {
                    self.unknown(k.span(), &format!("{key}."), k.get_ref(), keys);
                }
            }
            tables.push((key, item, fields));
        }
        tables
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

    fn number(&mut self, value: &Value<'_>, key: &str) -> Option<f64> {
        let x = number(value.get_ref());
        if x.is_none() {
            self.problem(
                value.span(),
                key,
                format!("must be a number, found {}", value.get_ref().type_str()),
            );
        }
        x
    }

    /// A required non-empty text field; for `unit`, equal to the canonical unit.
    fn text(
        &mut self,
        fields: &Fields<'_, '_>,
        at: Range<usize>,
        key: &str,
        field: &str,
        unit: Option<&str>,
    ) -> Option<String> {
        let Some(v) = fields.get(field) else {
            let why = match (field, unit) {
                ("unit", Some(unit)) => format!("missing `unit` (it must be \"{unit}\")"),
                ("source", _) => {
                    "missing `source`: cite the document (a key of docs/sources.md with its table, section or page)"
                        .to_string()
                }
                _ => format!("missing `{field}`"),
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
        if let Some(unit) = unit.filter(|u| *u != text) {
            self.problem(
                v.span(),
                &full,
                format!("\"{text}\" is not this parameter's unit; the model works in \"{unit}\""),
            );
            return None;
        }
        Some(text)
    }

    fn parameter(&mut self, param: Param, value: &Value<'_>) -> Option<ParameterSpec> {
        let key = format!("parameters.{param}");
        let fields = Fields {
            entries: self.entries(value, &key),
        };
        let all_keys: Vec<&str> = FAMILIES
            .iter()
            .flat_map(|f| {
                family_keys(f)
                    .unwrap_or_default()
                    .iter()
                    .flat_map(|s| s.iter().copied())
            })
            .chain(TEXT_KEYS.iter().copied())
            .collect();
        let mut unknown = false;
        for (k, _) in &fields.entries {
            if !all_keys.contains(&k.get_ref().as_ref()) {
                self.unknown(k.span(), &format!("{key}."), k.get_ref(), &all_keys);
                unknown = true;
            }
        }
        let family = match fields.get("dist") {
            Some(v) => self.string(v, &format!("{key}.dist"))?,
            None if fields.has("value") => "fixed".to_string(),
            None => {
                self.problem(
                    value.span(),
                    &key,
                    format!("missing `dist` (one of {}) or `value`", FAMILIES.join(", ")),
                );
                return None;
            }
        };
        let Some(keys) = family_keys(&family) else {
            let v = fields
                .get("dist")
                .expect("a non-fixed family comes from `dist`");
            let hint = closest(&family, FAMILIES)
                .map(|b| format!("did you mean `{b}`? "))
                .unwrap_or_default();
            self.problem(
                v.span(),
                &format!("{key}.dist"),
                format!(
                    "unknown family `{family}`; {hint}families are {}",
                    FAMILIES.join(", ")
                ),
            );
            return None;
        };
        for (k, _) in &fields.entries {
            let name = k.get_ref().as_ref();
            if all_keys.contains(&name)
                && !TEXT_KEYS.contains(&name)
                && !keys.iter().any(|set| set.contains(&name))
            {
                let takes: Vec<&str> = keys.iter().flat_map(|s| s.iter().copied()).collect();
                let why = match closest(name, &takes) {
                    Some(b) => format!(
                        "not a key of `{family}`; did you mean `{b}`? ({family} takes {})",
                        takes.join(", ")
                    ),
                    None => format!("not a key of `{family}`, which takes {}", takes.join(", ")),
                };
                self.problem(k.span(), &format!("{key}.{name}"), why);
            }
        }
        let unit = self.text(&fields, value.span(), &key, "unit", Some(param.unit()));
        let source = self.text(&fields, value.span(), &key, "source", None);
        let rationale = match fields.get("rationale") {
            Some(v) => self.string(v, &format!("{key}.rationale")),
            None if family != "fixed" => {
                self.problem(
                    value.span(),
                    &key,
                    "missing `rationale`: a range needs one sentence on why it is this range",
                );
                None
            }
            None => None,
        };
        let distribution = self.distribution(param, &family, &fields, value.span(), &key)?;
        if unknown {
            return None;
        }
        Some(ParameterSpec {
            param,
            distribution,
            unit: unit?,
            source: source?,
            rationale,
        })
    }

    /// Builds and domain-checks the distribution of one parameter entry.
    fn distribution(
        &mut self,
        param: Param,
        family: &str,
        f: &Fields<'_, '_>,
        at: Range<usize>,
        key: &str,
    ) -> Option<Distribution> {
        let domain = param.domain();
        if domain.is_discrete() && !matches!(family, "fixed" | "choice" | "empirical") {
            self.problem(
                at,
                key,
                format!(
                    "`{param}` is {domain}: use dist = \"choice\" or \"empirical\", not {family}"
                ),
            );
            return None;
        }
        let built = if matches!(family, "fixed" | "choice" | "empirical") {
            self.discrete(param, family, f, key)?
        } else {
            let mut num = |name: &str| -> Option<f64> {
                let v = f.get(name)?;
                self.number(v, &format!("{key}.{name}"))
            };
            let has = |name: &str| f.has(name);
            let need = |names: &[&str]| names.iter().all(|n| has(n));
            let result = match family {
                "uniform" if need(&["min", "max"]) => {
                    Distribution::uniform(num("min")?, num("max")?)
                }
                "triangular" if need(&["min", "mode", "max"]) => {
                    Distribution::triangular(num("min")?, num("mode")?, num("max")?)
                }
                "pert" if need(&["min", "mode", "max"]) => {
                    let lambda = if has("lambda") {
                        num("lambda")?
                    } else {
                        PERT_LAMBDA
                    };
                    Distribution::pert(num("min")?, num("mode")?, num("max")?, lambda)
                }
                "normal" if need(&["mean", "sd"]) => Distribution::normal(num("mean")?, num("sd")?),
                "truncnormal" if need(&["mean", "sd", "min", "max"]) => {
                    Distribution::trunc_normal(num("mean")?, num("sd")?, num("min")?, num("max")?)
                }
                "lognormal" if need(&["median", "p90"]) && !has("mean") && !has("sd") => {
                    Distribution::lognormal_median_p90(num("median")?, num("p90")?)
                }
                "lognormal" if need(&["mean", "sd"]) && !has("median") && !has("p90") => {
                    Distribution::lognormal_mean_sd(num("mean")?, num("sd")?)
                }
                "beta" if has("min") != has("max") => {
                    Err("give both `min` and `max`, or neither (for [0, 1])".into())
                }
                "beta" => {
                    let (min, max) = if has("min") {
                        (num("min")?, num("max")?)
                    } else {
                        (0.0, 1.0)
                    };
                    if need(&["mean", "sd"]) && !has("alpha") && !has("beta") {
                        Distribution::beta_mean_sd(num("mean")?, num("sd")?, min, max)
                    } else if need(&["alpha", "beta"]) && !has("mean") && !has("sd") {
                        Distribution::beta(num("alpha")?, num("beta")?, min, max)
                    } else {
                        Err("beta takes `mean` and `sd`, or `alpha` and `beta` (not both), with optional `min` and `max`".into())
                    }
                }
                _ => {
                    let sets: Vec<String> = family_keys(family)
                        .unwrap_or_default()
                        .iter()
                        .map(|s| s.join(", "))
                        .collect();
                    Err(format!("{family} needs {}", sets.join(" or ")).into())
                }
            };
            match result {
                Ok(d) => d,
                Err(why) => {
                    self.problem(at, key, why);
                    return None;
                }
            }
        };
        if let Err(why) = within_domain(&built, domain) {
            self.problem(at, key, format!("{built} {why}"));
            return None;
        }
        Some(built)
    }

    /// `fixed`, `choice` and `empirical`: values may be numbers or switch names.
    fn discrete(
        &mut self,
        param: Param,
        family: &str,
        f: &Fields<'_, '_>,
        key: &str,
    ) -> Option<Distribution> {
        let mut read = |v: &Value<'_>, at: &str| -> Option<f64> {
            let result = match (v.get_ref(), param.domain()) {
                (DeValue::String(s), Domain::Choice(_)) => param.parse_value(s),
                (_, Domain::Choice(names)) => {
                    Err(format!("must be a string, one of {}", names.join(", ")).into())
                }
                (other, domain) => match number(other) {
                    Some(x) => domain
                        .check(x)
                        .map(|()| x)
                        .map_err(|why| format!("{x} {why}").into()),
                    None => Err(format!("must be a number, found {}", other.type_str()).into()),
                },
            };
            result.map_err(|why| self.problem(v.span(), at, why)).ok()
        };
        if family == "fixed" {
            let Some(v) = f.get("value") else {
                self.problem(0..0, key, "missing `value`");
                return None;
            };
            return Distribution::fixed(read(v, &format!("{key}.value"))?).ok();
        }
        let list = |name: &str| -> Option<&Value<'_>> { f.get(name) };
        let Some(v) = list("values") else {
            self.problem(0..0, key, format!("{family} needs `values`"));
            return None;
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.problem(v.span(), &format!("{key}.values"), "must be an array");
            return None;
        };
        let values: Vec<Option<f64>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| read(item, &format!("{key}.values[{i}]")))
            .collect();
        let values: Vec<f64> = values.into_iter().collect::<Option<_>>()?;
        let result = if family == "choice" {
            let Some(w) = list("weights") else {
                self.problem(
                    v.span(),
                    key,
                    "choice needs `weights`, one probability per value, summing to 1",
                );
                return None;
            };
            let DeValue::Array(ws) = w.get_ref() else {
                self.problem(
                    w.span(),
                    &format!("{key}.weights"),
                    "must be an array of numbers",
                );
                return None;
            };
            let weights: Vec<f64> = ws
                .iter()
                .map(|x| number(x.get_ref()).unwrap_or(f64::NAN))
                .collect();
            Distribution::choice(values, &weights).map_err(|why| (w.span(), why))
        } else {
            Distribution::empirical(values).map_err(|why| (v.span(), why))
        };
        result
            .map_err(|(span, why)| self.problem(span, key, why.to_string()))
            .ok()
    }

    fn schedule(
        &mut self,
        schedule: Schedule,
        value: &Value<'_>,
    ) -> Option<(Vec<f64>, ScheduleSpec)> {
        let key = format!("schedules.{}", schedule.name());
        let fields = Fields {
            entries: self.entries(value, &key),
        };
        for (k, _) in &fields.entries {
            if !SCHEDULE_KEYS.contains(&k.get_ref().as_ref()) {
                self.unknown(k.span(), &format!("{key}."), k.get_ref(), SCHEDULE_KEYS);
            }
        }
        let unit = self.text(&fields, value.span(), &key, "unit", Some(schedule.unit()));
        let source = self.text(&fields, value.span(), &key, "source", None);
        let values = match fields.get("values") {
            Some(v) => self.schedule_values(schedule, v, &format!("{key}.values")),
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
        let yearly = matches!(
            schedule,
            Schedule::PublicInvestment | Schedule::EnablingConditions
        );
        let (min_len, max_len) = if yearly { (1, YEARS) } else { (PHASES, PHASES) };
        if items.len() < min_len || items.len() > max_len {
            let want = if yearly {
                format!("1 to {YEARS}, one per year from 2026 (later years are 0)")
            } else {
                format!("{PHASES}, one per phase: discovery, preclinical, phase1, phase2, phase3, production")
            };
            self.problem(
                v.span(),
                key,
                format!("has {} values, needs {want}", items.len()),
            );
            return None;
        }
        let mut values = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let at = format!("{key}[{i}]");
            let Some(x) = self.number(item, &at) else {
                ok = false;
                continue;
            };
            let why = match schedule {
                _ if !x.is_finite() => Some("must be a finite number".to_string()),
                Schedule::PublicInvestment | Schedule::EnablingConditions if x < 0.0 => Some(format!("{x} is negative; public money cannot be")),
                // Bounded, like every parameter, so no schedule that
                // validates can overflow an output: EUR 100 bn a year is
                // a tenth of Dutch GDP.
                Schedule::PublicInvestment | Schedule::EnablingConditions if x > 100_000.0 => Some(format!("{x} is more than EUR 100,000 m a year, a tenth of Dutch GDP")),
                Schedule::PhaseWeights if !(0.0..=1.0).contains(&x) => Some(format!("{x} must be a share in [0, 1]")),
                Schedule::PublicShare if !(0.01..=1.0).contains(&x) => {
                    Some(format!("{x} must be a share in [0.01, 1]: a phase with (almost) no public money has no leverage defined"))
                }
                Schedule::PhaseLag if x.fract() != 0.0 || !(0.0..=30.0).contains(&x) => Some(format!("{x} must be a whole number of years in [0, 30]")),
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
            if (sum - 1.0).abs() > crate::distribution::WEIGHT_TOLERANCE {
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

    fn correlations(&mut self, value: &Value<'_>) -> Vec<(CorrelationSpec, At)> {
        let mut out = Vec::new();
        for (key, item, fields) in self.table_array(value, "correlation", "pair", CORRELATION_KEYS)
        {
            let source = self.text(&fields, item.span(), &key, "source", None);
            let rationale = self.text(&fields, item.span(), &key, "rationale", None);
            let rank = match fields.get("rank") {
                Some(v) => self.number(v, &format!("{key}.rank")).and_then(|r| {
                    let ok = r.is_finite() && (-1.0..=1.0).contains(&r);
                    if !ok {
                        self.problem(
                            v.span(),
                            &format!("{key}.rank"),
                            format!("{r} must be a correlation in [-1, 1]"),
                        );
                    }
                    ok.then_some(r)
                }),
                None => {
                    self.problem(item.span(), &key, "missing `rank`");
                    None
                }
            };
            let between = self.pair(&fields, item.span(), &key);
            if let Some((a, b)) = between {
                if out
                    .iter()
                    .any(|(c, _): &(CorrelationSpec, At)| c.between == (a, b))
                {
                    self.problem(
                        item.span(),
                        &format!("{key}.between"),
                        format!("the pair {a}, {b} is given twice in this file"),
                    );
                    continue;
                }
            }
            if let (Some(between), Some(rank), Some(source), Some(rationale)) =
                (between, rank, source, rationale)
            {
                let at = self.at(item.span());
                out.push((
                    CorrelationSpec {
                        between,
                        rank,
                        source,
                        rationale,
                        origin: at.file.clone(),
                    },
                    at,
                ));
            }
        }
        out
    }

    fn claims(&mut self, value: &Value<'_>) -> Vec<(Claim, At)> {
        let mut out = Vec::new();
        for (key, item, fields) in self.table_array(value, "claim", "claim", CLAIM_KEYS) {
            let name = self.text(&fields, item.span(), &key, "name", None);
            let metric = self
                .text(&fields, item.span(), &key, "metric", None)
                .and_then(|m| {
                    let found = Metric::from_name(&m);
                    if found.is_none() {
                        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
                        let hint = closest(&m, &names)
                            .map(|b| format!("did you mean `{b}`?"))
                            .unwrap_or_else(|| format!("metrics are {}", names.join(", ")));
                        let span = fields.get("metric").map_or(item.span(), |v| v.span());
                        self.problem(
                            span,
                            &format!("{key}.metric"),
                            format!("unknown metric `{m}`; {hint}"),
                        );
                    }
                    found
                });
            let op = self
                .text(&fields, item.span(), &key, "op", None)
                .and_then(|o| {
                    let parsed = o.parse::<Op>();
                    if let Err(why) = &parsed {
                        let span = fields.get("op").map_or(item.span(), |v| v.span());
                        self.problem(span, &format!("{key}.op"), why.clone());
                    }
                    parsed.ok()
                });
            let mut number = |field: &str| match fields.get(field) {
                Some(v) => self
                    .number(v, &format!("{key}.{field}"))
                    .map(|x| (x, v.span())),
                None => {
                    self.problem(item.span(), &key, format!("missing `{field}`"));
                    None
                }
            };
            let year = number("year");
            let threshold = number("threshold");
            if let Some(v) = fields.get("source") {
                self.string(v, &format!("{key}.source"));
            }
            let (Some(name), Some(metric), Some(op), Some((year, year_span)), Some((threshold, _))) =
                (name, metric, op, year, threshold)
            else {
                continue;
            };
            if year.fract() != 0.0 {
                self.problem(
                    year_span,
                    &format!("{key}.year"),
                    format!("{year} is not a whole year"),
                );
                continue;
            }
            match Claim::new(&name, metric, year as i32, op, threshold) {
                Ok(claim) => out.push((claim, self.at(item.span()))),
                Err(why) => self.problem(item.span(), &key, why.to_string()),
            }
        }
        out
    }

    fn pair(
        &mut self,
        fields: &Fields<'_, '_>,
        at: Range<usize>,
        key: &str,
    ) -> Option<(Param, Param)> {
        let key = format!("{key}.between");
        let Some(v) = fields.get("between") else {
            self.problem(
                at,
                &key,
                "missing: name two parameters, e.g. between = [\"multiplier\", \"lasting_share\"]",
            );
            return None;
        };
        let names: Vec<String> = match v.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .filter_map(|x| x.get_ref().as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        if names.len() != 2 {
            self.problem(
                v.span(),
                &key,
                "must name exactly two parameters, e.g. [\"multiplier\", \"lasting_share\"]",
            );
            return None;
        }
        let valid: Vec<&str> = Param::ALL.iter().map(|p| p.name()).collect();
        let mut params = Vec::new();
        for name in &names {
            match Param::from_name(name) {
                Some(p) => params.push(p),
                None => {
                    let hint = closest(name, &valid)
                        .map(|b| format!("; did you mean `{b}`?"))
                        .unwrap_or_default();
                    self.problem(v.span(), &key, format!("unknown parameter `{name}`{hint}"));
                }
            }
        }
        let [a, b] = params[..] else { return None };
        if a == b {
            self.problem(
                v.span(),
                &key,
                format!("`{a}` is correlated with itself; name two different parameters"),
            );
            return None;
        }
        Some((a.min(b), a.max(b)))
    }
}

/// The keys each family takes; alternatives are separate sets.
fn family_keys(family: &str) -> Option<&'static [&'static [&'static str]]> {
    Some(match family {
        "fixed" => &[&["value"]],
        "uniform" => &[&["min", "max"]],
        "triangular" => &[&["min", "mode", "max"]],
        "pert" => &[&["min", "mode", "max", "lambda"]],
        "normal" => &[&["mean", "sd"]],
        "truncnormal" => &[&["mean", "sd", "min", "max"]],
        "lognormal" => &[&["median", "p90"], &["mean", "sd"]],
        "beta" => &[&["mean", "sd", "min", "max"], &["alpha", "beta"]],
        "choice" => &[&["values", "weights"]],
        "empirical" => &[&["values"]],
        _ => return None,
    })
}

/// Whether every value the distribution can take lies in the domain.
pub(in crate::config) fn within_domain(d: &Distribution, domain: Domain) -> Result<(), String> {
    if let Some(values) = d.discrete_values() {
        return values.iter().try_for_each(|&x| {
            domain
                .check(x)
                .map_err(|why| format!("can take {x}, which {why}"))
        });
    }
    // Every continuous family has a finite support (see `Distribution::support`),
    // so checking both ends is checking every value a draw can take.
    let (lo, hi) = d.support();
    let ok = !domain.is_discrete() && domain.check(lo).is_ok() && domain.check(hi).is_ok();
    if ok {
        Ok(())
    } else {
        Err(format!(
            "reaches [{lo:.6}, {hi:.6}], but this parameter must be {domain}: bound it (truncnormal, pert, beta, triangular, uniform) inside that"
        ))
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
        assert_eq!([0, 2, 5, 6].map(|o| idx.line(o)), [1, 2, 3, 4]);
    }

    #[test]
    fn closest_suggests_typos_only() {
        let valid = ["multiplier", "drug_sales", "drug_cost"];
        assert_eq!(closest("multiplyer", &valid), Some("multiplier"));
        assert_eq!(closest("completely_else", &valid), None);
    }
}
