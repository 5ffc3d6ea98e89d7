//! `report`, `run --report` and `sensitivity --report`: the page parses, holds
//! every chart and the claim table of claims.csv, and each chart parses with
//! its series.

use std::process::Output;

use crate::common::nexus;

use nexus_mc::report::charts::{BARS, INNER_BAND, MEDIAN, OUTER_BAND, PLAN, SECOND};

fn ok(o: Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn hex(c: plotters::style::RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// Elements named `tag` whose `attr` is `colour`.
fn count(
    doc: &roxmltree::Document,
    tag: &str,
    attr: &str,
    colour: plotters::style::RGBColor,
) -> usize {
    doc.descendants()
        .filter(|n| n.has_tag_name(tag) && n.attribute(attr) == Some(hex(colour).as_str()))
        .count()
}

fn text_of(node: roxmltree::Node) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

#[test]
fn the_report_holds_every_chart_and_the_claims_of_claims_csv() {
    let dir = tempfile::tempdir().unwrap();
    ok(nexus(
        &["run", "-n", "20000", "--out", "run", "--report", "-q"],
        dir.path(),
    ));
    ok(nexus(
        &[
            "sensitivity",
            "-n",
            "1024",
            "--replicates",
            "16",
            "--out",
            "sens",
            "--report",
            "-q",
        ],
        dir.path(),
    ));
    ok(nexus(
        &["report", "run", "sens", "--out", "both"],
        dir.path(),
    ));

    // run --report lists its report in the manifest.
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("run/manifest.json")).unwrap(),
    )
    .unwrap();
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"report.html") && files.contains(&"charts/fan_jobs.svg"),
        "{files:?}"
    );
    assert!(dir.path().join("sens/report.html").is_file());

    let both = dir.path().join("both");
    let html = std::fs::read_to_string(both.join("report.html")).unwrap();
    let page = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("report.html is well-formed");
    assert!(!html.contains("<script"), "no JavaScript");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no network"
    );

    // Every chart file is inlined in a figure of the same name.
    let mut charts: Vec<String> = std::fs::read_dir(both.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    charts.sort();
    // Fans, histograms, then per output Sobol, tornado and Shapley (central
    // declares correlations), one year-by-year chart per headline metric,
    // and one filtering chart per claim that holds in some runs only.
    assert_eq!(charts.len(), 4 + 2 + 4 + 4 + 4 + 4 + 1, "{charts:?}");
    for chart in &charts {
        let id = chart.trim_end_matches(".svg");
        let figure = page
            .descendants()
            .find(|n| n.has_tag_name("figure") && n.attribute("id") == Some(id))
            .unwrap_or_else(|| panic!("no figure {id}"));
        assert!(
            figure.descendants().any(|n| n.tag_name().name() == "svg"),
            "{id}"
        );
    }

    // The claim table carries claims.csv's probabilities.
    let claims = std::fs::read_to_string(dir.path().join("run/claims.csv")).unwrap();
    let rows: Vec<Vec<String>> = page
        .descendants()
        .filter(|n| n.has_tag_name("tr"))
        .map(|tr| {
            tr.children()
                .filter(|c| c.has_tag_name("td"))
                .map(text_of)
                .collect()
        })
        .collect();
    let mut reader = csv::Reader::from_reader(claims.as_bytes());
    let mut seen = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let (name, p, runs) = (&record[0], record[5].parse::<f64>().unwrap(), &record[7]);
        let row = rows
            .iter()
            .find(|r| r.first().map(String::as_str) == Some(name) && r.len() == 4)
            .unwrap_or_else(|| panic!("claim {name} not in the table"));
        let shown: f64 = row[2].split(' ').next().unwrap().parse().unwrap();
        assert!(
            (shown - p).abs() <= 5e-5 + 1e-3 * p,
            "{name}: {shown} vs {p}"
        );
        // A claim with no hit is never a bare 0: it carries its bound.
        if p == 0.0 {
            // Wilson's upper bound at 0 hits: z^2 / (n + z^2).
            let n = runs.parse::<f64>().unwrap();
            let z2 = 1.959_963_984_540_054_f64.powi(2);
            let bound = z2 / (n + z2);
            assert_eq!(
                row[2],
                format!(
                    "0 (no run; below {} at 97.5 %)",
                    nexus_mc::table::significant(bound, 2)
                ),
                "{name}"
            );
        } else {
            assert!(row[2].contains(" +- "), "{name}: {}", row[2]);
        }
        assert_eq!(row[3], runs);
        seen += 1;
    }
    assert_eq!(seen, 7);

    // Every claim that no single parameter flips is named as such.
    let switching = std::fs::read_to_string(dir.path().join("sens/switching_values.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(switching.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let page_text = text_of(page.root());
    let steady = page_text
        .split("No single parameter, moved within its range")
        .nth(1)
        .map(|rest| {
            rest.split("The scenario's parameters")
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default();
    let mut unflipped = 0;
    for r in &records {
        let claim = &r[0];
        if records.iter().all(|t| &t[0] != claim || t[7].is_empty()) {
            unflipped += 1;
            let state = if &r[6] == "true" { "holds" } else { "fails" };
            assert!(
                steady.contains(&format!("\u{201c}{claim}\u{201d} {state} at the medians")),
                "{claim} is not named among the claims no parameter flips: {steady:?}"
            );
        }
    }
    assert!(
        unflipped > 0,
        "central has claims no single parameter flips"
    );

    // Scenario, anomalies and provenance are there.
    for needle in [
        "The scenario's parameters",
        "Anomalies of the plan",
        "Provenance",
    ] {
        assert!(text_of(page.root()).contains(needle), "{needle}");
    }
    assert!(html.contains("multiplier") && html.contains("SHA-256"));
}

/// The points of an SVG `points` attribute.
fn points(attr: &str) -> Vec<(f64, f64)> {
    attr.split_whitespace()
        .filter_map(|p| p.split_once(','))
        .map(|(x, y)| (x.parse().unwrap(), y.parse().unwrap()))
        .collect()
}

/// Every text drawn in a chart.
fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| text_of(n).trim().to_string())
        .collect()
}

/// The legend `labels` stand right of every polygon (bands, stacked areas)
/// and polyline of the plot, so they hide none of its years.
fn assert_legend_beside_the_data(doc: &roxmltree::Document, labels: &[&str], chart: &str) {
    let data_right = doc
        .descendants()
        .filter(|n| n.has_tag_name("polygon"))
        .flat_map(|n| points(n.attribute("points").unwrap()))
        .map(|(x, _)| x)
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(data_right.is_finite(), "{chart}: no data drawn");
    for label in labels {
        let node = doc
            .descendants()
            .find(|n| n.has_tag_name("text") && text_of(*n).trim() == *label)
            .unwrap_or_else(|| panic!("{chart}: no legend entry {label:?}"));
        let x: f64 = node.attribute("x").unwrap().parse().unwrap();
        assert!(
            x > data_right,
            "{chart}: legend {label:?} at x = {x} is over the data (to x = {data_right})"
        );
    }
}

#[test]
fn each_chart_parses_and_draws_its_series() {
    let dir = tempfile::tempdir().unwrap();
    ok(nexus(
        &["run", "-n", "5000", "--out", "run", "--report", "-q"],
        dir.path(),
    ));
    ok(nexus(
        &[
            "sensitivity",
            "-n",
            "256",
            "--replicates",
            "16",
            "--method",
            "sobol,tornado",
            "--out",
            "sens",
            "--report",
            "-q",
        ],
        dir.path(),
    ));
    let svg = |path: &str| std::fs::read_to_string(dir.path().join(path)).unwrap();

    for metric in ["gdp_total", "gdp_share_pct", "jobs", "npv_cum"] {
        let text = svg(&format!("run/charts/fan_{metric}.svg"));
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert_legend_beside_the_data(
            &doc,
            &["P5 - P95", "median", "the plan (kpmg-point)"],
            metric,
        );
        // The plan's path is dashed, in the plot and in the legend: no red
        // stroke is longer than a dash.
        for line in doc.descendants().filter(|n| {
            n.has_tag_name("polyline") && n.attribute("stroke") == Some(hex(PLAN).as_str())
        }) {
            let xs = points(line.attribute("points").unwrap());
            let span = xs
                .first()
                .zip(xs.last())
                .map(|(a, b)| (b.0 - a.0).hypot(b.1 - a.1));
            assert!(
                span.unwrap() <= 10.0,
                "{metric}: a solid red line {:?}",
                line.attribute("points")
            );
        }
        // Two bands (and their legend keys), the median, the dashed plan
        // path, and the claim's dot.
        assert_eq!(count(&doc, "polygon", "fill", OUTER_BAND), 1, "{metric}");
        assert_eq!(count(&doc, "polygon", "fill", INNER_BAND), 1, "{metric}");
        assert!(count(&doc, "polyline", "stroke", MEDIAN) >= 1, "{metric}");
        assert!(
            count(&doc, "polyline", "stroke", PLAN) > 10,
            "{metric}: dashed"
        );
        assert_eq!(count(&doc, "circle", "fill", PLAN), 1, "{metric}");
        assert!(text.contains("year"), "x axis labelled");
    }
    for hist in ["hist_gdp_share_pct_2035", "hist_npv_cum_2035"] {
        let text = svg(&format!("run/charts/{hist}.svg"));
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert_eq!(
            count(&doc, "rect", "fill", BARS),
            nexus_mc::engine::HISTOGRAM_BINS,
            "{hist}"
        );
        assert!(
            text.contains("P(&gt;") || text.contains("P(>"),
            "{hist}: probability written"
        );
    }
    // What decides each metric, year by year: the legend right of the data, the years labelled.
    for metric in ["gdp_total", "gdp_share_pct", "jobs", "npv_cum"] {
        let text = svg(&format!("sens/charts/by_year_{metric}.svg"));
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert_legend_beside_the_data(&doc, &["the others"], metric);
        assert!(
            texts(&doc).iter().any(|t| t == "year"),
            "{metric}: x axis labelled"
        );
    }
    // Titles and axes name outputs in words, not by their ids.
    for sub in ["run/charts", "sens/charts"] {
        for entry in std::fs::read_dir(dir.path().join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let doc = roxmltree::Document::parse(&text).unwrap();
            for t in texts(&doc) {
                assert!(
                    !["gdp_share_pct", "gdp_total", "npv_cum", "jobs:"]
                        .iter()
                        .any(|id| t.contains(id)),
                    "{}: {t:?}",
                    path.display()
                );
            }
        }
    }
    let page = std::fs::read_to_string(dir.path().join("run/report.html")).unwrap();
    assert!(page.contains("Jobs (head count)") && !page.contains("(jobs ("));

    // Sobol: ten parameters, two bars each (plus one legend key per series).
    let text = svg("sens/charts/sobol_gdp_share_pct_2035.svg");
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert_eq!(count(&doc, "rect", "fill", BARS), 10 + 1);
    assert_eq!(count(&doc, "rect", "fill", SECOND), 10 + 1);
    assert!(text.contains("displacement"), "parameter names are drawn");
    let text = svg("sens/charts/tornado_jobs_2035.svg");
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert_eq!(count(&doc, "rect", "fill", BARS), 10 + 1);
    assert!(text.contains("value_added_per_job"));
}

#[test]
fn report_of_a_directory_without_outputs_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let o = nexus(&["report", "empty"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("manifest.json"), "{err}");
}

#[test]
fn run_report_lists_the_parameters_whatever_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = dir.path().join("scenarios");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(
        scenarios.join("mine.toml"),
        "[scenario]\nname = \"mine\"\nextends = \"central\"\ndescription = \"central, renamed\"\n",
    )
    .unwrap();
    // The scenario by a path relative to the working directory, outputs
    // elsewhere.
    ok(nexus(
        &[
            "run",
            "-n",
            "5000",
            "--config",
            "../scenarios/mine.toml",
            "--out",
            "../out",
            "--report",
            "--quiet",
        ],
        &work,
    ));
    let page = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(
        page.contains("The scenario's parameters"),
        "no parameter table"
    );
    assert!(page.contains("central, renamed"), "not this scenario");
    assert!(!page.contains("cannot be read now"));
}

#[test]
fn a_bridge_report_lists_the_scenario_bridged_to_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    ok(nexus(
        &["bridge", "-n", "1000", "--out", "b", "--report", "--quiet"],
        dir.path(),
    ));
    let memory = std::fs::read_to_string(dir.path().join("b/report.html")).unwrap();
    assert!(memory.contains("The scenario's parameters"));
    assert!(memory.contains("those of central, the scenario bridged to from plan-as-written"));
    assert!(!memory.contains("has changed"));
    // From the disk, the scenario is found again in the manifest.
    ok(nexus(&["report", "b", "--out", "again"], dir.path()));
    let disk = std::fs::read_to_string(dir.path().join("again/report.html")).unwrap();
    assert!(disk.contains("those of central, the scenario bridged to from plan-as-written"));
    assert!(!disk.contains("has changed"));
}

#[test]
fn merge_report_draws_the_whole_run_with_its_scenario() {
    let dir = tempfile::tempdir().unwrap();
    for k in ["0/2", "1/2"] {
        let out = format!("s{}", &k[..1]);
        ok(nexus(
            &["run", "-n", "8192", "--shard", k, "--out", &out, "--quiet"],
            dir.path(),
        ));
    }
    ok(nexus(
        &["merge", "s0", "s1", "--out", "m", "--report", "--quiet"],
        dir.path(),
    ));
    let page = std::fs::read_to_string(dir.path().join("m/report.html")).unwrap();
    assert!(page.contains("The scenario's parameters"));
    assert!(dir.path().join("m/charts/fan_gdp_share_pct.svg").is_file());
    let manifest = std::fs::read_to_string(dir.path().join("m/manifest.json")).unwrap();
    assert!(manifest.contains("\"report.html\""), "{manifest}");
}

/// A scenario that differs from kpmg-point in every model switch and in the
/// two appraisal adjustments the anomalies discuss.
const SWITCHED: &str = r#"
[scenario]
name = "every switch away from the plan"
extends = "kpmg-point"

[parameters.lasting_seed]
dist = "fixed"
value = "rule"
unit = "switch"
source = "test"

[parameters.after_2035]
dist = "fixed"
value = "expire"
unit = "switch"
source = "test"

[parameters.lasting_life]
dist = "fixed"
value = 5
unit = "years"
source = "test"

[parameters.tax_method]
dist = "fixed"
value = "wage"
unit = "switch"
source = "test"

[parameters.additionality]
dist = "fixed"
value = 0.6
unit = "share"
source = "test"

[parameters.displacement]
dist = "fixed"
value = 0.2
unit = "share"
source = "test"
"#;

/// `x` rounded to whole units with thousands separators, as the page prints
/// figures ("1,279", "-4,040").
fn whole(x: f64) -> String {
    let r = x.round();
    let digits = format!("{}", r.abs() as i64);
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if r < 0.0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// The anomaly items of a report page, by letter.
fn anomaly_items(page: &str) -> Vec<(char, String)> {
    let doc = roxmltree::Document::parse_with_options(
        page,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("report.html is well-formed");
    let heading = doc
        .descendants()
        .find(|n| n.has_tag_name("h2") && text_of(*n).starts_with("Anomalies"))
        .expect("an anomalies section");
    let list = heading
        .next_siblings()
        .find(|n| n.has_tag_name("ul"))
        .expect("the anomalies list");
    list.children()
        .filter(|n| n.has_tag_name("li"))
        .map(|li| {
            let text = text_of(li);
            let letter = text.chars().next().unwrap();
            (letter, text[1..].trim().to_string())
        })
        .collect()
}

/// Runs `scenario` with a report and checks each anomaly sentence against
/// the model evaluated here at the scenario's point values.
fn assert_anomalies_agree(config: &str, dir: &std::path::Path) {
    use nexus_mc::model::{Metric, Model, Outputs, Param};
    use nexus_mc::Scenario;

    ok(nexus(
        &[
            "run", "-n", "2000", "--config", config, "--out", "o", "--report", "-q",
        ],
        dir,
    ));
    let page = std::fs::read_to_string(dir.join("o/report.html")).unwrap();
    let items = anomaly_items(&page);
    let letters: String = items.iter().map(|(l, _)| *l).collect();
    assert_eq!(letters, "ABCDEFG");
    let said = |letter: char| items.iter().find(|(l, _)| *l == letter).unwrap().1.clone();

    let scenario = if config.ends_with(".toml") {
        Scenario::from_file(&dir.join(config)).unwrap()
    } else {
        Scenario::shipped(config).unwrap()
    };
    let point = scenario.point();
    let model = Model::new(&scenario.schedules);
    let eval = |p: &nexus_mc::model::ParamSet| {
        let mut out = Outputs::default();
        model.evaluate(p, &mut out);
        out
    };
    let out = eval(&point);
    let plan_scenario = Scenario::shipped("kpmg-point").unwrap();
    let mut plan_out = Outputs::default();
    Model::new(&plan_scenario.schedules).evaluate(&plan_scenario.point(), &mut plan_out);
    let rule = point[Param::LastingSeed] == 1.0;

    // A: the seed the rule gives and the run's own reading.
    let a = said('A');
    let undisplaced = eval(&point.with(Param::Displacement, 0.0));
    let seed = point[Param::LastingShare] * undisplaced.at(Metric::GdpInvestment, 2026);
    assert!(a.contains(&format!("gives {}", whole(seed))), "A: {a}");
    let (this, other, other_value) = if rule {
        ("rule", "published", 0.0)
    } else {
        ("published", "rule", 1.0)
    };
    assert!(a.contains(&format!("Here lasting_seed = {this}")), "A: {a}");
    let alt = eval(&point.with(Param::LastingSeed, other_value)).at(Metric::NpvCum, 2035);
    assert!(
        a.contains(&format!(
            "with {other} the NPV 2026-2035 would be {}",
            whole(alt)
        )),
        "A: {a}"
    );

    // B: the 46 % only where the tax burden enters.
    let b = said('B');
    if point[Param::TaxMethod] == 1.0 {
        assert!(
            b.contains("Here tax_method = wage, in which the tax burden does not enter"),
            "B: {b}"
        );
    } else {
        let at46 = eval(&point.with(Param::TaxBurden, 0.46)).at(Metric::NpvCum, 2035);
        assert!(
            b.contains(&format!(
                "at 46 % the NPV 2026-2035 would be {}",
                whole(at46)
            )),
            "B: {b}"
        );
    }

    // C: this run's drug line; the success-rate figures only as the plan's.
    let c = said('C');
    let (d30, d35) = (
        out.at(Metric::GdpDrugs, 2030),
        out.at(Metric::GdpDrugs, 2035),
    );
    assert!(
        c.contains(&format!("gives {} (", whole(d30)))
            && c.contains(&format!("and {} (", whole(d35))),
        "C: {c}"
    );
    assert!(
        c.contains("at the plan's values give only about 65 and 780"),
        "C: {c}"
    );
    let plan_d = (
        plan_out.at(Metric::GdpDrugs, 2030),
        plan_out.at(Metric::GdpDrugs, 2035),
    );
    if (whole(d30), whole(d35)) == (whole(plan_d.0), whole(plan_d.1)) {
        assert!(c.contains("These are the plan's own values."), "C: {c}");
    } else {
        assert!(
            c.contains(&format!(
                "gives {} and {}.",
                whole(plan_d.0),
                whole(plan_d.1)
            )),
            "C: {c}"
        );
    }

    // D and E: the leverage with this run's additionality.
    let additionality = point[Param::Additionality];
    let full = model.leverage(&point.with(Param::Additionality, 1.0));
    let leverage = additionality * full;
    let d = said('D');
    let public26 = out.at(Metric::PublicInvestment, 2026);
    assert!(
        d.contains(&format!(
            "G - P ({} in 2026 here",
            whole(out.at(Metric::GdpInvestment, 2026) - public26)
        )),
        "D: {d}"
    );
    assert!(
        d.contains(&format!(
            "P x {leverage:.2} = {}",
            whole(public26 * leverage)
        )),
        "D: {d}"
    );
    let e = said('E');
    assert!(
        e.contains(&format!("{full:.2} from the phase shares")),
        "E: {e}"
    );
    if additionality == 1.0 {
        assert!(e.contains("(additionality 1)"), "E: {e}");
    } else {
        assert!(
            e.contains(&format!("additionality of {additionality:.2}"))
                && e.contains(&format!("is {leverage:.2} per public euro")),
            "E: {e}"
        );
        assert!(!e.contains("at additionality 1"), "E: {e}");
    }
    let displacement = point[Param::Displacement];
    if displacement == 0.0 {
        assert!(e.contains("no displacement"), "E: {e}");
    } else {
        assert!(
            e.contains(&format!(
                "displacement of {displacement:.2} that takes {} %",
                whole(100.0 * displacement)
            )),
            "E: {e}"
        );
    }

    // F and G: the run's share and jobs.
    let f = said('F');
    let share = out.at(Metric::GdpSharePct, 2035);
    assert!(f.contains(&format!("the share is {share:.2} %")), "F: {f}");
    let g = said('G');
    assert!(
        g.contains(&format!(
            "Jobs: {} in 2035",
            whole(out.at(Metric::Jobs, 2035))
        )),
        "G: {g}"
    );
}

#[test]
fn the_reports_anomaly_sentences_agree_with_the_runs_values() {
    // The plan's own reading, and a scenario away from it in every switch.
    let plan = tempfile::tempdir().unwrap();
    assert_anomalies_agree("kpmg-point", plan.path());
    let switched = tempfile::tempdir().unwrap();
    std::fs::write(switched.path().join("switched.toml"), SWITCHED).unwrap();
    assert_anomalies_agree("switched.toml", switched.path());
}

#[test]
fn report_writes_a_set_of_its_own_and_never_into_its_inputs() {
    let dir = tempfile::tempdir().unwrap();
    ok(nexus(
        &["run", "-n", "2000", "--out", "run", "-q"],
        dir.path(),
    ));
    let listing = |d: &str| {
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join(d))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = (
        listing("run"),
        std::fs::read(dir.path().join("run/manifest.json")).unwrap(),
    );
    // By default the report goes to out/report, beside its input.
    ok(nexus(&["report", "run"], dir.path()));
    assert!(dir.path().join("out/report/report.html").is_file());
    assert!(dir.path().join("out/report/charts").is_dir());
    // Again: the earlier report is replaced.
    ok(nexus(&["report", "run"], dir.path()));
    // Into an input, or inside one: refused, and the input set is as it was.
    for out in ["run", "run/rep"] {
        let o = nexus(&["report", "run", "--out", out], dir.path());
        assert_eq!(o.status.code(), Some(2), "--out {out}");
        let err = crate::common::stderr(&o);
        assert!(err.contains("input of this command"), "--out {out}: {err}");
    }
    let after = (
        listing("run"),
        std::fs::read(dir.path().join("run/manifest.json")).unwrap(),
    );
    assert_eq!(before, after, "the run's output set is untouched");
}

#[test]
fn a_report_of_one_shard_says_it_is_one() {
    let dir = tempfile::tempdir().unwrap();
    ok(nexus(
        &["run", "-n", "10000", "--shard", "1/3", "--out", "s1", "-q"],
        dir.path(),
    ));
    ok(nexus(&["report", "s1", "--out", "p"], dir.path()));
    let page = std::fs::read_to_string(dir.path().join("p/report.html")).unwrap();
    // 10,000 runs are chunks of 2,048: shard 1 of 3 has chunks 1 and 4,
    // that is 2,048 + (10,000 - 4 x 2,048) = 3,856 runs.
    assert!(
        page.contains("the runs of shard 1/3 alone, 3,856 of the run's 10,000"),
        "{page}"
    );
    ok(nexus(
        &["run", "-n", "10000", "--out", "w", "-q"],
        dir.path(),
    ));
    ok(nexus(&["report", "w", "--out", "q"], dir.path()));
    let page = std::fs::read_to_string(dir.path().join("q/report.html")).unwrap();
    assert!(!page.contains("alone"));
}
