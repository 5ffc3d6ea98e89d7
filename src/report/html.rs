//! `report.html`: one self-contained page (well-formed XHTML, charts inline,
//! no scripts), laid out to print.

use std::fmt::Write;

use super::Report;
use crate::output::Provenance;
use crate::table::{claim_probability, probability, significant};

const STYLE: &str = "
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; color: #1a1a1a;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2rem; }
p.lead { font-size: 1.05rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.88rem; margin: 0.6rem 0 1rem; }
th, td { border: 1px solid #d0d0d0; padding: 0.25rem 0.45rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; }
figcaption { font-size: 0.85rem; color: #444; }
.note { background: #fff7e0; border-left: 4px solid #e0a800; padding: 0.4rem 0.7rem; }
code { font-size: 0.85rem; }
@media print { body { margin: 0; max-width: none; font-size: 10pt; } h2 { break-after: avoid; }
               tr { break-inside: avoid; } }
";

/// Escapes text for XHTML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Drops an SVG's XML declaration, if any, so it can be inlined.
fn inline(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

fn table(out: &mut String, header: &[&str], rows: &[Vec<(String, bool)>]) {
    out.push_str("<table><thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (cell, numeric) in row {
            let class = if *numeric { " class=\"num\"" } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", esc(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

fn text(s: impl Into<String>) -> (String, bool) {
    (s.into(), false)
}

fn num(s: impl Into<String>) -> (String, bool) {
    (s.into(), true)
}

/// A number from a CSV to four significant digits; other text as it is.
fn readable(cell: &str) -> String {
    cell.parse::<f64>()
        .map(|x| significant(x, 4))
        .unwrap_or_else(|_| cell.to_string())
}

/// The whole page.
/// One manifest as a table: what every command records, then `extra`.
fn provenance(o: &mut String, p: &Provenance, extra: Vec<(&str, String)>) {
    let files: Vec<String> = p
        .config
        .iter()
        .map(|f| format!("{} (SHA-256 {})", f.origin, f.sha256))
        .collect();
    let mut rows = vec![
        vec![text("command"), text(p.command.clone())],
        vec![text("nexus-mc version"), text(p.version.clone())],
        vec![text("scenario files"), text(files.join("; "))],
        vec![text("seed"), text(p.seed.to_string())],
    ];
    rows.extend(extra.into_iter().map(|(k, v)| vec![text(k), text(v)]));
    rows.push(vec![text("started (UTC)"), text(p.started.clone())]);
    rows.push(vec![text("wall time, s"), text(p.wall_time_s.to_string())]);
    table(o, &["", ""], &rows);
}

pub(super) fn page(r: &Report) -> String {
    let mut o = String::new();
    heading(&mut o, r);
    claims(&mut o, r);
    section(&mut o, r, "Risk bands, 2026-2050", "fan_");
    section(&mut o, r, "The 2035 outcomes", "hist_");
    bridge(&mut o, r);
    sensitivity(&mut o, r);
    scenario(&mut o, r);
    provenances(&mut o, r);
    o.push_str("</body>\n</html>\n");
    o
}

/// The charts whose file names start with `prefix`, under `title`.
fn section(o: &mut String, r: &Report, title: &str, prefix: &str) {
    let charts: Vec<_> = r
        .charts
        .iter()
        .filter(|c| c.file.starts_with(prefix))
        .collect();
    if charts.is_empty() {
        return;
    }
    let _ = writeln!(o, "<h2>{}</h2>", esc(title));
    for c in charts {
        let _ = writeln!(
            o,
            "<figure id=\"{}\">{}<figcaption>{}</figcaption></figure>",
            esc(c.file.trim_end_matches(".svg")),
            inline(&c.svg),
            esc(&c.caption)
        );
    }
}

/// The document head, the title and the scenario's description.
fn heading(o: &mut String, r: &Report) {
    // The provenance's name: for a bridge it names both scenarios.
    let name = r
        .data
        .run
        .as_ref()
        .map(|x| &x.manifest.provenance)
        .or(r.data.sensitivity.as_ref().map(|x| &x.manifest.provenance))
        .or(r.data.bridge.as_ref().map(|x| &x.manifest.provenance))
        .map(|p| p.scenario.clone())
        .unwrap_or_default();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\
         <meta charset=\"utf-8\"/><title>nexus-mc report: {}</title><style>{STYLE}</style></head>\n<body>\n",
        esc(&name)
    );
    let _ = writeln!(
        o,
        "<h1>Biotech Nexus claims under scenario <code>{}</code></h1>",
        esc(&name)
    );
    if let Some(s) = &r.data.scenario {
        let _ = writeln!(o, "<p class=\"lead\">{}</p>", esc(&s.description));
    }
    if let Some(note) = &r.data.scenario_note {
        let _ = writeln!(o, "<p class=\"note\">{}</p>", esc(note));
    }
}

/// The claim table of a run, with the first claim in words.
fn claims(o: &mut String, r: &Report) {
    if let Some(run) = &r.data.run {
        o.push_str("<h2>The published claims</h2>\n");
        if let Some(c) = run.claims.first() {
            let held = match run.stated_error(c) {
                _ if c.probability == 1.0 => "held in every one".to_string(),
                Some(_) if c.probability == 0.0 => format!(
                    "held in none of them (below {} at 97.5 % confidence)",
                    significant(crate::stats::wilson_interval(0, c.runs).1, 2)
                ),
                Some(se) => format!(
                    "held in a share {} of them (standard error {})",
                    probability(c.probability),
                    significant(se, 2)
                ),
                None if c.probability == 0.0 => "held in none of them (a sample that is not \
                    iid: no bound stated; give --replicates for one)"
                    .to_string(),
                None => format!(
                    "held in a share {} of them (a sample that is not iid: no error stated; \
                     give --replicates for one)",
                    probability(c.probability)
                ),
            };
            if let Some(shard) = run.manifest.shard {
                let _ = writeln!(
                    o,
                    "<p class=\"note\">These are the runs of shard {shard} alone, {} of the \
                     run's {}: merge all {} shards (<code>nexus-mc merge</code>) for the \
                     figures of the whole run.</p>",
                    crate::table::count(run.manifest.runs_here),
                    crate::table::count(run.manifest.runs),
                    crate::table::count(shard.count),
                );
            }
            let _ = writeln!(
                o,
                "<p class=\"lead\">In {} runs, the claim \u{201c}{}\u{201d} ({} {} {} {}) {held}.</p>",
                crate::table::number(c.runs as f64, 0),
                esc(&c.claim),
                esc(&c.metric),
                c.year,
                esc(&c.op),
                c.threshold,
            );
        }
        let rows: Vec<Vec<(String, bool)>> = run
            .claims
            .iter()
            .map(|c| {
                vec![
                    text(c.claim.clone()),
                    text(format!("{} {} {} {}", c.metric, c.year, c.op, c.threshold)),
                    num(claim_probability(
                        c.probability,
                        run.stated_error(c),
                        c.runs,
                    )),
                    num(c.runs.to_string()),
                ]
            })
            .collect();
        table(
            o,
            &["claim", "test", "probability (+- standard error)", "runs"],
            &rows,
        );
    }
}

/// The waterfall and the step table of a bridge.
fn bridge(o: &mut String, r: &Report) {
    if let Some(bridge) = &r.data.bridge {
        section(o, r, "Why the claim moves: the bridge", "bridge_");
        let _ = writeln!(
            o,
            "<p>Each step takes its parameters from {} to {}. Its Shapley contribution is its \
             effect averaged over every order of the steps ({}), so the contributions add up to \
             the whole change and depend on no order; the one-at-a-time column takes the steps \
             in the order listed, as a classic waterfall does, and changes with that order.</p>",
            esc(&bridge.manifest.from),
            esc(&bridge.manifest.to),
            esc(&match bridge.manifest.method.as_str() {
                "exact" => "every subset of steps".to_string(),
                _ => format!("{} sampled orders", bridge.manifest.orders),
            })
        );
        let rows: Vec<Vec<(String, bool)>> = bridge
            .rows
            .iter()
            .filter(|b| b.output == super::WATERFALL_OUTPUT)
            .map(|b| {
                vec![
                    text(b.step.clone()),
                    text(b.parameters.replace('+', ", ")),
                    num(format!("{:+.4}", b.contribution)),
                    num(format!("{:.4}", b.std_error)),
                    num(format!("{:+.4}", b.sequential)),
                ]
            })
            .collect();
        table(
            o,
            &[
                "step",
                "parameters",
                "Shapley, pp",
                "standard error",
                "one at a time, pp",
            ],
            &rows,
        );
        o.push_str(
            "<p class=\"note\">Where two correlated parameters change in different steps, a \
             subset holding only one of the steps couples the pair with the rank correlation of \
             the scenario bridged from, and with that of the scenario bridged to once both \
             steps are in. That is a convention (docs/outputs.md, section 5): another would \
             share the move between those two steps differently, by up to 0.002 in a claim \
             probability here, though never the total.</p>\n",
        );
    }
}

/// The sensitivity analysis: Shapley effects first, then Sobol indices, year by year, tornado, filtering and switching values.
fn sensitivity(o: &mut String, r: &Report) {
    if let Some(sens) = &r.data.sensitivity {
        let correlations = sens.manifest.correlations.as_str();
        if correlations != "none declared" && !correlations.is_empty() {
            o.push_str("<h2>Which assumption decides it</h2>\n");
            let _ = writeln!(
                o,
                "<p class=\"note\">Correlated inputs: {}.</p>",
                esc(correlations)
            );
        }
        section(
            o,
            r,
            "Shapley effects, under the scenario's correlations",
            "shapley_",
        );
        section(o, r, "Sobol indices", "sobol_");
        section(o, r, "Year by year", "by_year_");
        section(o, r, "One at a time: tornado", "tornado_");
        section(
            o,
            r,
            "Where the claims hold: Monte Carlo filtering",
            "filter_",
        );
        if let Some(filter) = &sens.filter {
            let never: Vec<String> = filter
                .iter()
                .filter(|r| !r.note.is_empty())
                .map(|r| format!("\u{201c}{}\u{201d} {}", esc(&r.claim), esc(&r.note)))
                .collect();
            if !never.is_empty() {
                let _ = writeln!(o, "<p class=\"note\">{}.</p>", never.join("; "));
            }
        }
        if let Some(switching) = &sens.switching {
            o.push_str(
                "<h2>Switching values</h2>\n<p>Each row moves one parameter, the others at \
                        their medians, until the claim flips.</p>\n",
            );
            let rows: Vec<Vec<(String, bool)>> = switching
                .iter()
                .filter(|s| !s.switching_value.is_empty())
                .map(|s| {
                    let unit =
                        crate::model::Param::from_name(&s.parameter).map_or("", |p| p.unit());
                    vec![
                        text(s.claim.clone()),
                        text(s.parameter.clone()),
                        num(readable(&s.median)),
                        text(unit.to_string()),
                        text(if s.holds_at_median { "holds" } else { "fails" }),
                        text(s.reading.clone()),
                    ]
                })
                .collect();
            if !rows.is_empty() {
                table(
                    o,
                    &[
                        "claim",
                        "parameter",
                        "median",
                        "unit",
                        "at the medians",
                        "flips",
                    ],
                    &rows,
                );
            }
            // The claims no single parameter flips, each said once.
            let mut steady: Vec<String> = Vec::new();
            for s in switching {
                let flips = switching
                    .iter()
                    .any(|t| t.claim == s.claim && !t.switching_value.is_empty());
                let line = format!(
                    "\u{201c}{}\u{201d} {} at the medians",
                    esc(&s.claim),
                    if s.holds_at_median { "holds" } else { "fails" }
                );
                if !flips && !steady.contains(&line) {
                    steady.push(line);
                }
            }
            if !steady.is_empty() {
                let _ = writeln!(
                    o,
                    "<p>No single parameter, moved within its range with the others at their \
                     medians, flips these claims: {}.</p>",
                    steady.join("; ")
                );
            }
        }
    }
}

/// The scenario's parameters and the anomalies of the plan's model at its medians.
fn scenario(o: &mut String, r: &Report) {
    if let Some(s) = &r.data.scenario {
        o.push_str("<h2>The scenario's parameters</h2>\n");
        let rows: Vec<Vec<(String, bool)>> = s
            .parameters
            .iter()
            .map(|p| {
                let [p5, p50, p95] = p.percentiles();
                vec![
                    text(p.param.name()),
                    text(p.describe()),
                    num(p5),
                    num(p50),
                    num(p95),
                    text(p.unit.clone()),
                    text(p.source.clone()),
                ]
            })
            .collect();
        table(
            o,
            &[
                "parameter",
                "distribution",
                "P5",
                "P50",
                "P95",
                "unit",
                "source",
            ],
            &rows,
        );
        if !s.correlations.is_empty() {
            let rows: Vec<Vec<(String, bool)>> = s
                .correlations
                .iter()
                .map(|c| {
                    vec![
                        text(format!("{}, {}", c.between.0, c.between.1)),
                        num(c.rank.to_string()),
                        text(c.source.clone()),
                    ]
                })
                .collect();
            table(o, &["rank correlation", "rho", "source"], &rows);
        }
        o.push_str("<h2>Anomalies of the plan's model, at this scenario's medians</h2>\n<ul>\n");
        for (letter, line) in r.anomalies() {
            let _ = writeln!(o, "<li><b>{letter}</b> {}</li>", esc(&line));
        }
        o.push_str("</ul>\n");
    }
}

/// The manifest of every directory the report was made from.
fn provenances(o: &mut String, r: &Report) {
    o.push_str("<h2>Provenance</h2>\n");
    if let Some(run) = &r.data.run {
        let m = &run.manifest;
        provenance(
            o,
            &m.provenance,
            vec![
                ("runs", m.runs.to_string()),
                ("sampler", m.sampler.clone()),
                (
                    "quantiles",
                    if m.quantiles.method == "exact" {
                        "exact (order statistics of every run)".to_string()
                    } else {
                        format!(
                            "{} (relative error at most {})",
                            m.quantiles.method, m.quantiles.relative_error
                        )
                    },
                ),
            ],
        );
    }
    if let Some(sens) = &r.data.sensitivity {
        let m = &sens.manifest;
        provenance(
            o,
            &m.provenance,
            vec![
                ("methods", m.methods.join(", ")),
                ("Sobol base sample N", m.base_runs.to_string()),
                (
                    "independent scrambles (Sobol intervals)",
                    m.replicates.to_string(),
                ),
                ("interval coverage", m.confidence.to_string()),
                ("Morris trajectories", m.trajectories.to_string()),
                ("Shapley permutations", m.permutations.to_string()),
            ],
        );
    }
    if let Some(bridge) = &r.data.bridge {
        let m = &bridge.manifest;
        provenance(
            o,
            &m.provenance,
            vec![
                ("runs", m.runs.to_string()),
                ("bridge method", m.method.clone()),
                ("orders averaged", m.orders.to_string()),
            ],
        );
    }
}
