//! Charts and one self-contained page from the outputs of `run` and
//! `sensitivity`: fan charts, histograms, Sobol and tornado charts as SVG
//! files under `charts/`, and `report.html` with all of them inlined, the
//! claim table, the scenario's parameters, the model's anomalies and the
//! manifests. The page needs no network and no JavaScript, and prints to PDF.

pub mod charts;
mod html;
mod read;

use std::path::{Path, PathBuf};

use crate::baseline::Baseline;
use crate::config::Scenario;
use crate::error::{Error, Result};
use crate::model::{Metric, Model, Outputs};
use crate::output::OutDir;

use charts::{Bar, Fan, Indices, Swing, WaterfallStep};
use read::Found;
pub use read::{BridgeFiles, RunFiles, SensitivityFiles};

/// The fan charts: metric, title, unit.
const FANS: [(Metric, &str, &str); 4] = [
    (
        Metric::GdpTotal,
        "GDP contribution",
        "EUR million, 2024 prices",
    ),
    (Metric::GdpSharePct, "Share of GDP", "% of GDP"),
    (Metric::Jobs, "Jobs", "head count"),
    (
        Metric::NpvCum,
        "Government NPV, cumulative from 2026",
        "EUR million, discounted to 2024",
    ),
];

/// [`output_words`] inside a sentence: "the share of GDP in 2035".
fn in_sentence(output: &str) -> String {
    let words = output_words(output).0;
    let mut chars = words.chars();
    match (chars.next(), chars.next()) {
        _ if words.starts_with("Jobs") => format!("j{}", &words[1..]),
        // "GDP contribution" keeps its capitals.
        (Some(first), Some(second)) if !second.is_uppercase() => {
            format!("the {}{}", first.to_lowercase(), &words[first.len_utf8()..])
        }
        _ => format!("the {words}"),
    }
}

/// A sensitivity output (`metric:year`, or a metric alone) in words for a
/// chart, with its unit: `gdp_share_pct:2035` is "Share of GDP in 2035"
/// (% of GDP), `npv_cum:2050` "Government NPV 2026-2050".
fn output_words(output: &str) -> (String, &'static str) {
    let (metric, year) = match output.split_once(':') {
        Some((metric, year)) => (metric, Some(year)),
        None => (output, None),
    };
    let Some((m, title, unit)) = FANS.iter().find(|(m, ..)| m.name() == metric) else {
        let words = metric.replace('_', " ");
        return (
            year.map_or(words.clone(), |y| format!("{words} in {y}")),
            "",
        );
    };
    let words = match (m, year) {
        (Metric::NpvCum, Some(year)) => format!("Government NPV 2026-{year}"),
        (_, Some(year)) => format!("{title} in {year}"),
        (_, None) => title.to_string(),
    };
    (words, unit)
}

/// Sobol and tornado charts show at most this many parameters.
const TOP: usize = 10;

/// One chart: its file name under `charts/`, caption and SVG.
pub struct Chart {
    /// File name, e.g. `fan_gdp_share_pct.svg`.
    pub file: String,
    /// What it shows.
    pub caption: String,
    /// The SVG document.
    pub svg: String,
}

/// What a report is drawn from: the outputs of at most one run (or merge),
/// one sensitivity analysis and one bridge, in memory, and the scenario
/// whose parameters the page lists.
pub struct ReportData {
    /// A run's or merge's tables and manifest.
    pub run: Option<RunFiles>,
    /// A sensitivity analysis's tables and manifest.
    pub sensitivity: Option<SensitivityFiles>,
    /// A bridge's table and manifest.
    pub bridge: Option<BridgeFiles>,
    /// The scenario the outputs came from.
    pub scenario: Option<Scenario>,
    /// Why the scenario is missing, shown on the page in its place.
    pub scenario_note: Option<String>,
}

/// Everything the page shows.
pub struct Report {
    data: ReportData,
    charts: Vec<Chart>,
}

impl Report {
    /// Draws the charts of `data`.
    pub(crate) fn new(mut data: ReportData) -> Result<Report> {
        if data.run.is_none() && data.sensitivity.is_none() && data.bridge.is_none() {
            return Err(Error::Usage("no output directory given".into()));
        }
        if let (None, None, Some(bridge), Some(s), None) = (
            &data.run,
            &data.sensitivity,
            &data.bridge,
            &data.scenario,
            &data.scenario_note,
        ) {
            data.scenario_note = Some(format!(
                "The parameters listed are those of {}, the scenario bridged to from {}.",
                s.name, bridge.manifest.from
            ));
        }
        let mut report = Report {
            data,
            charts: Vec::new(),
        };
        report.charts = report.draw().map_err(Error::Failed)?;
        Ok(report)
    }

    /// Reads the outputs in `dirs` (at most one each of a `run` or `merge`
    /// directory, a `sensitivity` directory and a `bridge` directory) and
    /// draws the charts. The scenario is loaded from the files the
    /// manifest names, if they are unchanged.
    pub(crate) fn from_dirs(dirs: &[PathBuf]) -> Result<Report> {
        let mut run = None;
        let mut sensitivity = None;
        let mut bridge = None;
        for dir in dirs {
            match read::read_dir(dir)? {
                Found::Run(r) if run.is_none() => run = Some(r),
                Found::Sensitivity(s) if sensitivity.is_none() => sensitivity = Some(s),
                Found::Bridge(b) if bridge.is_none() => bridge = Some(b),
                _ => {
                    return Err(Error::Usage(format!(
                        "{}: a report takes at most one run, one sensitivity and one bridge \
                         directory",
                        dir.display()
                    )))
                }
            }
        }
        let provenance = run
            .as_ref()
            .map(|r: &RunFiles| &r.manifest.provenance)
            .or(sensitivity
                .as_ref()
                .map(|s: &SensitivityFiles| &s.manifest.provenance))
            .or(bridge
                .as_ref()
                .map(|b: &BridgeFiles| &b.manifest.provenance))
            .ok_or_else(|| Error::Usage("no output directory given".into()))?;
        let (scenario, scenario_note) = scenario_of(&provenance.config);
        Report::new(ReportData {
            run,
            sensitivity,
            bridge,
            scenario,
            scenario_note,
        })
    }

    /// The charts, in page order.
    pub fn charts(&self) -> &[Chart] {
        &self.charts
    }

    /// Writes `charts/*.svg` and `report.html` into `out`; returns the names
    /// written (relative to `out`).
    pub(crate) fn write(&self, out: &Path) -> Result<Vec<String>> {
        let mut written = Vec::new();
        for chart in &self.charts {
            let name = format!("charts/{}", chart.file);
            crate::output::write_atomic(&out.join(&name), |w| w.write_all(chart.svg.as_bytes()))?;
            written.push(name);
        }
        let page = html::page(self);
        crate::output::write_atomic(&out.join("report.html"), |w| w.write_all(page.as_bytes()))?;
        written.push("report.html".into());
        Ok(written)
    }

    /// Writes the page and its charts as an output set of their own into
    /// `out` (prepared with [`OutDir::prepare`], the report's input
    /// directories among its inputs), replaced whole or not at all; returns
    /// the names of the files written.
    pub fn write_set(&self, mut out: OutDir) -> Result<Vec<String>> {
        out.begin()?;
        let files = self.write(out.staging())?;
        out.commit()?;
        Ok(files)
    }

    fn draw(&self) -> std::result::Result<Vec<Chart>, String> {
        let mut out = Vec::new();
        if let Some(run) = &self.data.run {
            out.extend(run_charts(run)?);
        }
        if let Some(sens) = &self.data.sensitivity {
            out.extend(shapley_charts(sens)?);
            out.extend(sobol_and_tornado_charts(sens)?);
            out.extend(by_year_charts(sens)?);
            out.extend(filter_charts(sens)?);
        }
        if let Some(bridge) = &self.data.bridge {
            out.extend(waterfall(bridge)?);
        }
        Ok(out)
    }

    /// The anomalies of the plan's model (docs/model.md section 8) at the
    /// scenario's medians.
    fn anomalies(&self) -> Vec<(char, String)> {
        self.data
            .scenario
            .as_ref()
            .map(|s| Baseline::new(s, s.point()).anomalies())
            .unwrap_or_default()
    }
}

/// The fan charts and histograms of a run.
fn run_charts(run: &RunFiles) -> std::result::Result<Vec<Chart>, String> {
    let mut out = Vec::new();
    let plan = plan_path();
    for (metric, title, unit) in FANS {
        let rows: Vec<_> = run
            .bands
            .iter()
            .filter(|b| b.metric == metric.name())
            .collect();
        if rows.is_empty() {
            continue;
        }
        let col =
            |f: fn(&crate::output::BandRow) -> f64| rows.iter().map(|r| f(r)).collect::<Vec<f64>>();
        let years: Vec<i32> = rows.iter().map(|r| r.year).collect();
        let claim = run
            .claims
            .iter()
            .find(|c| c.metric == metric.name() && c.year == 2035)
            .map(|c| (c.year, c.threshold, format!("plan: {}", c.claim)));
        let svg = charts::fan_chart(&Fan {
            title: &format!("{title}: percentile bands"),
            unit,
            years: &years,
            p05: &col(|r| r.p05),
            p25: &col(|r| r.p25),
            p50: &col(|r| r.p50),
            p75: &col(|r| r.p75),
            p95: &col(|r| r.p95),
            plan: Some(&plan[metric]),
            claim,
        })?;
        out.push(Chart {
            file: format!("fan_{}.svg", metric.name()),
            caption: format!(
                "{title} ({unit}), 2026-2050: median, P25-P75 and P5-P95 over the runs; \
                 dashed, the plan's own path; the dot, the published claim."
            ),
            svg,
        });
    }
    for (metric, year, threshold) in crate::engine::HISTOGRAMS {
        let rows: Vec<_> = run
            .histogram
            .iter()
            .filter(|h| h.metric == metric.name() && h.year == year)
            .collect();
        // The first and last rows count what lies outside the bins.
        if rows.len() < 3 {
            continue;
        }
        let bins = &rows[1..rows.len() - 1];
        let edges: Vec<f64> = bins
            .iter()
            .map(|h| h.bin_lo)
            .chain(bins.last().map(|h| h.bin_hi))
            .collect();
        let counts: Vec<u64> = bins.iter().map(|h| h.count).collect();
        let claim = run
            .claims
            .iter()
            .find(|c| c.metric == metric.name() && c.year == year);
        let note = claim
            .map(|c| {
                format!(
                    "P({} {}) = {}",
                    c.op,
                    crate::table::significant(c.threshold, 4),
                    crate::table::claim_probability(c.probability, run.stated_error(c), c.runs)
                )
            })
            .unwrap_or_default();
        let (title, unit) = match metric {
            Metric::GdpSharePct => ("Share of GDP in 2035", "% of GDP"),
            _ => (
                "Government NPV 2026-2035",
                "EUR million, discounted to 2024",
            ),
        };
        out.push(Chart {
            file: format!("hist_{}_{year}.svg", metric.name()),
            caption: format!(
                "{title}: runs per bin ({unit}); the line is the published claim's threshold."
            ),
            svg: charts::histogram_chart(title, unit, &edges, &counts, threshold, &note)?,
        });
    }
    Ok(out)
}

/// The Sobol and tornado charts of each output of a sensitivity analysis.
fn sobol_and_tornado_charts(sens: &SensitivityFiles) -> std::result::Result<Vec<Chart>, String> {
    let mut out = Vec::new();
    for output in outputs_of(sens) {
        if let Some(sobol) = &sens.sobol {
            let mut rows: Vec<_> = sobol
                .iter()
                .filter(|r| r.output == output && r.st > 0.0)
                .collect();
            rows.sort_by(|a, b| b.st.total_cmp(&a.st));
            rows.truncate(TOP);
            let indices: Vec<Indices> = rows
                .iter()
                .map(|r| Indices {
                    name: r.parameter.clone(),
                    s1: (r.s1, r.s1_lo, r.s1_hi),
                    st: (r.st, r.st_lo, r.st_hi),
                })
                .collect();
            out.push(Chart {
                file: format!("sobol_{}.svg", output.replace(':', "_")),
                caption: format!(
                    "Sobol indices of {} ({output} in sobol.csv): the share of its variance due to each \
                     parameter alone (S1) and with its interactions (ST), with intervals \
                     from independent scrambles; the {TOP} largest.",
                     in_sentence(&output)
                ),
                svg: charts::sobol_chart(
                    &format!("Sobol indices: {}", output_words(&output).0),
                    &indices,
                )?,
            });
        }
        if let Some(tornado) = &sens.tornado {
            let mut rows: Vec<_> = tornado.iter().filter(|r| r.output == output).collect();
            rows.truncate(TOP);
            let Some(base) = rows.first().map(|r| r.base) else {
                continue;
            };
            let swings: Vec<Swing> = rows
                .iter()
                .map(|r| Swing {
                    name: r.parameter.clone(),
                    low: r.output_at_p10,
                    high: r.output_at_p90,
                })
                .collect();
            out.push(Chart {
                file: format!("tornado_{}.svg", output.replace(':', "_")),
                caption: format!(
                    "Tornado of {} ({output} in tornado.csv): each parameter at its P10 and P90, the others \
                     at their medians; the {TOP} widest swings.",
                     in_sentence(&output)
                ),
                svg: {
                    let (words, unit) = output_words(&output);
                    charts::tornado_chart(&format!("Tornado: {words}"), unit, base, &swings)?
                },
            });
        }
    }
    Ok(out)
}

/// The bridge output the waterfall shows, and the claim it is about.
pub(crate) const WATERFALL_OUTPUT: &str = "gdp_share_pct:2035:median";

/// The waterfall of the 2035 median GDP share, from the first scenario to
/// the second, one bar per step in the file's (waterfall) order.
fn waterfall(bridge: &BridgeFiles) -> std::result::Result<Option<Chart>, String> {
    let rows: Vec<_> = bridge
        .rows
        .iter()
        .filter(|r| r.output == WATERFALL_OUTPUT)
        .collect();
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let (from, to) = (bridge.manifest.from.clone(), bridge.manifest.to.clone());
    let steps: Vec<WaterfallStep> = rows
        .iter()
        .map(|r| WaterfallStep {
            name: r.step.clone(),
            delta: r.contribution,
            std_error: r.std_error,
        })
        .collect();
    let svg = charts::waterfall_chart(
        &format!("Median share of GDP in 2035: {from} to {to}"),
        "% of GDP",
        (&from, first.from),
        &steps,
        (&to, first.to),
        Some((1.2, "plan: 1.2 % of GDP")),
    )?;
    Ok(Some(Chart {
        file: "bridge_gdp_share_pct_2035.svg".into(),
        caption: format!(
            "What takes the median 2035 GDP share from {from} to {to}: each step's Shapley \
             contribution (its effect averaged over every order of the steps), whiskers two \
             standard errors; the dashed line is the published 1.2 %."
        ),
        svg,
    }))
}

/// The Shapley effects of each output.
fn shapley_charts(sens: &SensitivityFiles) -> std::result::Result<Vec<Chart>, String> {
    let mut out = Vec::new();
    let Some(shapley) = &sens.shapley else {
        return Ok(out);
    };
    for output in outputs_of(sens) {
        let mut rows: Vec<_> = shapley
            .iter()
            .filter(|r| r.output == output && r.shapley != 0.0)
            .collect();
        rows.sort_by(|a, b| b.shapley.total_cmp(&a.shapley));
        rows.truncate(TOP);
        let bars: Vec<Bar> = rows
            .iter()
            .map(|r| Bar {
                name: r.parameter.clone(),
                value: r.shapley,
                lo: r.lo,
                hi: r.hi,
            })
            .collect();
        out.push(Chart {
            file: format!("shapley_{}.svg", output.replace(':', "_")),
            caption: format!(
                "Shapley effects of {} ({output} in shapley.csv): each parameter's share of the variance under \
                 the scenario's correlations (the shares add up to 1), with 95 % intervals; \
                 the {TOP} largest.",
                 in_sentence(&output)
            ),
            svg: charts::bar_chart(
                &format!("Shapley effects: {}", output_words(&output).0),
                "share of output variance",
                "Shapley effect",
                &bars,
            )?,
        });
    }
    Ok(out)
}

/// What decides each headline metric, year by year: Shapley effects where computed, first-order indices otherwise.
fn by_year_charts(sens: &SensitivityFiles) -> std::result::Result<Vec<Chart>, String> {
    let mut out = Vec::new();
    let Some(by_year) = &sens.by_year else {
        return Ok(out);
    };
    let use_shapley = by_year.iter().all(|r| r.shapley.is_some());
    let value = |r: &crate::output::ByYearRow| {
        if use_shapley {
            r.shapley.unwrap_or(0.0)
        } else {
            r.s1
        }
    };
    let mut metrics: Vec<&str> = Vec::new();
    for r in by_year {
        if !metrics.contains(&r.output.as_str()) {
            metrics.push(&r.output);
        }
    }
    for metric in metrics {
        let rows: Vec<_> = by_year.iter().filter(|r| r.output == metric).collect();
        let mut years: Vec<i32> = rows.iter().map(|r| r.year).collect();
        years.dedup();
        let mut names: Vec<&str> = Vec::new();
        for r in &rows {
            if !names.contains(&r.parameter.as_str()) {
                names.push(&r.parameter);
            }
        }
        let series_of = |name: &str| -> Vec<f64> {
            years
                .iter()
                .map(|&y| {
                    rows.iter()
                        .find(|r| r.year == y && r.parameter == name)
                        .map_or(0.0, |r| value(r))
                })
                .collect()
        };
        let mut ranked: Vec<(String, Vec<f64>)> = names
            .iter()
            .map(|n| (n.to_string(), series_of(n)))
            .filter(|(_, v)| v.iter().any(|&x| x > 0.0))
            .collect();
        ranked.sort_by(|a, b| {
            let peak = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
            peak(&b.1).total_cmp(&peak(&a.1))
        });
        let rest: Vec<f64> = (0..years.len())
            .map(|t| ranked.iter().skip(6).map(|(_, v)| v[t].max(0.0)).sum())
            .collect();
        ranked.truncate(6);
        ranked.push(("the others".into(), rest));
        let what = if use_shapley {
            "Shapley effects"
        } else {
            "first-order Sobol indices"
        };
        out.push(Chart {
            file: format!("by_year_{metric}.svg"),
            caption: format!(
                "What decides {}, year by year ({metric} in indices_by_year.csv): the {what} of the six parameters \
                 that matter most in any year, and the others together.",
                 in_sentence(metric)
            ),
            svg: charts::stacked_years(
                &format!("{}: what decides it, 2026-2050", output_words(metric).0),
                &format!("share of variance ({what})"),
                &years,
                &ranked,
            )?,
        });
    }
    Ok(out)
}

/// The Monte Carlo filtering of each claim that holds in some runs only.
fn filter_charts(sens: &SensitivityFiles) -> std::result::Result<Vec<Chart>, String> {
    let mut out = Vec::new();
    let Some(filter) = &sens.filter else {
        return Ok(out);
    };
    let mut claims: Vec<&str> = Vec::new();
    for r in filter.iter().filter(|r| r.ks_distance.is_some()) {
        if !claims.contains(&r.claim.as_str()) {
            claims.push(&r.claim);
        }
    }
    for (c, claim) in claims.iter().enumerate() {
        let mut rows: Vec<(&str, f64)> = Vec::new();
        for r in filter.iter().filter(|r| r.claim == *claim) {
            if let Some(ks) = r.ks_distance {
                if !rows.iter().any(|(p, _)| *p == r.parameter) {
                    rows.push((&r.parameter, ks));
                }
            }
        }
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
        rows.truncate(TOP);
        let bars: Vec<Bar> = rows
            .iter()
            .map(|&(name, ks)| Bar {
                name: name.to_string(),
                value: ks,
                lo: ks,
                hi: ks,
            })
            .collect();
        out.push(Chart {
            file: format!("filter_{}.svg", c + 1),
            caption: format!(
                "Monte Carlo filtering of \u{201c}{claim}\u{201d}: how differently each \
                 parameter is distributed in the runs where the claim holds and where it \
                 fails (Kolmogorov-Smirnov distance, 0 to 1); filter.csv has P(holds) by \
                 decile of each parameter."
            ),
            svg: charts::bar_chart(
                &format!("What separates runs where \u{201c}{claim}\u{201d} holds"),
                "Kolmogorov-Smirnov distance",
                "distance between holds and fails",
                &bars,
            )?,
        });
    }
    Ok(out)
}

/// The outputs a sensitivity analysis covered, in file order.
fn outputs_of(sens: &SensitivityFiles) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let all = sens
        .sobol
        .iter()
        .flatten()
        .map(|r| &r.output)
        .chain(sens.tornado.iter().flatten().map(|r| &r.output));
    for name in all {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// The plan's own path: kpmg-point's baseline.
fn plan_path() -> Outputs {
    let kpmg = Scenario::load("kpmg-point").expect("shipped scenario");
    let mut out = Outputs::default();
    Model::new(&kpmg.schedules).evaluate(&kpmg.point(), &mut out);
    out
}

/// The scenario whose files a manifest lists, if they are unchanged.
pub(crate) fn scenario_of(
    files: &[crate::config::ConfigFile],
) -> (Option<Scenario>, Option<String>) {
    let Some(top) = files.last() else {
        return (None, Some("the manifest names no scenario file".into()));
    };
    let spec = top.origin.strip_prefix("shipped:").unwrap_or(&top.origin);
    match Scenario::load(spec) {
        // A bridge's manifest lists both scenarios' files, the second's last.
        Ok(s) if files.ends_with(&s.files) => (Some(s), None),
        Ok(_) => (
            None,
            Some(format!(
                "{} has changed since these outputs were written (SHA-256 differs), so its \
                 parameter table is not shown",
                top.origin
            )),
        ),
        Err(e) => (
            None,
            Some(format!("{} cannot be read now: {e}", top.origin)),
        ),
    }
}
