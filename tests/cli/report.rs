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
            .find(|r| r.first().map(String::as_str) == Some(name) && r.len() == 5)
            .unwrap_or_else(|| panic!("claim {name} not in the table"));
        let shown: f64 = row[2].parse().unwrap();
        assert!(
            (shown - p).abs() <= 5e-5 + 1e-3 * p,
            "{name}: {shown} vs {p}"
        );
        assert_eq!(row[4], runs);
        seen += 1;
    }
    assert_eq!(seen, 7);

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
