//! Scenario-level bad input: each a clear message naming file, key and reason.

use nexus_mc::config::{shipped, Scenario};

/// Loads kpmg-point extended by `extra`, expecting failure; returns the message.
fn error(extra: &str) -> String {
    let text = format!("[scenario]\nextends = \"kpmg-point\"\n{extra}");
    match Scenario::from_toml(&text, "bad.toml") {
        Ok(_) => panic!("expected an error for:\n{extra}"),
        Err(e) => e.to_string(),
    }
}

fn param(name: &str, unit: &str, body: &str) -> String {
    format!("[parameters.{name}]\n{body}\nunit = \"{unit}\"\nsource = \"s\"\nrationale = \"r\"\n")
}

fn correlation(a: &str, b: &str, rank: f64) -> String {
    format!("[[correlation]]\nbetween = [\"{a}\", \"{b}\"]\nrank = {rank}\nsource = \"s\"\nrationale = \"r\"\n")
}

#[test]
fn every_shipped_scenario_validates() {
    for (name, _) in shipped::SHIPPED {
        let s = Scenario::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        for p in &s.parameters {
            assert!(
                !p.source.trim().is_empty(),
                "{name}: {} has no source",
                p.param
            );
            if !p.distribution.is_fixed() {
                assert!(
                    p.rationale.as_deref().is_some_and(|r| !r.trim().is_empty()),
                    "{name}: {} has a range but no rationale",
                    p.param
                );
            }
        }
    }
}

#[test]
fn impossible_distribution_parameters() {
    let cases = [
        (param("multiplier", "ratio", "dist = \"uniform\"\nmin = 2\nmax = 1"), "parameters.multiplier: min = 2 must be below max = 1"),
        (param("multiplier", "ratio", "dist = \"pert\"\nmin = 1\nmode = 3\nmax = 2"), "mode = 3 must lie in [min, max] = [1, 2]"),
        (param("sector_growth", "per year", "dist = \"normal\"\nmean = 0.05\nsd = 0"), "sd = 0 must be > 0"),
        (param("sector_growth", "per year", "dist = \"normal\"\nmean = nan\nsd = 0.1"), "mean = NaN is not a finite number"),
        (param("multiplier", "ratio", "value = inf"), "parameters.multiplier.value: inf must be a finite number"),
        (param("drug_sales_years", "years", "dist = \"choice\"\nvalues = [8, 10]\nweights = [0.5, 0.6]"), "weights sum to 1.1, must sum to 1"),
        (param("drug_sales_years", "years", "dist = \"uniform\"\nmin = 8\nmax = 12"), "`drug_sales_years` is a whole number in [0, 40]: use dist = \"choice\" or \"empirical\""),
        (param("displacement", "share", "dist = \"uniform\"\nmin = 0.5\nmax = 1.5"), "must be a share in [0, 1]"),
        (param("drug_cost", "EUR m", "dist = \"uniform\"\nmin = -10\nmax = 100"), "must be a number in [1, 100000]"),
        (param("multiplier", "ratio", "dist = \"pertt\"\nmin = 1\nmode = 1.5\nmax = 2"), "unknown family `pertt`; did you mean `pert`?"),
        (param("multiplier", "ratio", "dist = \"uniform\"\nmin = 1\nmode = 1.5\nmax = 2"), "parameters.multiplier.mode: not a key of `uniform`"),
        (param("multiplier", "ratio", "dist = \"uniform\"\nmin = 1\nmax = 2").replace("rationale = \"r\"\n", ""), "missing `rationale`"),
        (param("multiplier", "ratio", "dist = \"uniform\"\nmin = 1\nmax = 2").replace("source = \"s\"\n", ""), "missing `source`"),
    ];
    for (body, expected) in cases {
        let msg = error(&body);
        assert!(msg.contains(expected), "expected `{expected}` in:\n{msg}");
        assert!(msg.contains("bad.toml:"), "names the file: {msg}");
    }
}

#[test]
fn bad_correlations() {
    let two = format!(
        "{}{}{}",
        param(
            "multiplier",
            "ratio",
            "dist = \"uniform\"\nmin = 1\nmax = 2"
        ),
        param(
            "lasting_share",
            "share",
            "dist = \"uniform\"\nmin = 0\nmax = 0.2"
        ),
        param(
            "sector_growth",
            "per year",
            "dist = \"uniform\"\nmin = 0\nmax = 0.1"
        ),
    );
    let msg = error(&format!(
        "{two}{}",
        correlation("multiplier", "multiplier", 0.5)
    ));
    assert!(
        msg.contains("`multiplier` is correlated with itself"),
        "{msg}"
    );
    let msg = error(&format!(
        "{two}{}",
        correlation("multiplier", "drug_cost", 0.5)
    ));
    assert!(
        msg.contains("`drug_cost` is fixed in this scenario"),
        "{msg}"
    );
    let msg = error(&format!(
        "{two}{}",
        correlation("multiplier", "lasting_share", 1.5)
    ));
    assert!(
        msg.contains("1.5 must be a correlation in [-1, 1]"),
        "{msg}"
    );
    let msg = error(&format!(
        "{two}{}",
        correlation("multiplyer", "lasting_share", 0.5)
    ));
    assert!(
        msg.contains("unknown parameter `multiplyer`; did you mean `multiplier`?"),
        "{msg}"
    );
    let impossible = [
        correlation("multiplier", "lasting_share", 0.9),
        correlation("multiplier", "sector_growth", 0.9),
        correlation("lasting_share", "sector_growth", -0.9),
    ]
    .concat();
    let msg = error(&format!("{two}{impossible}"));
    assert!(msg.contains("not positive semi-definite"), "{msg}");
    assert!(
        msg.contains("(multiplier, lasting_share, sector_growth)"),
        "names the contradicting triple: {msg}"
    );
}

#[test]
fn extends_cycles_and_missing_parents() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.toml"),
        "[scenario]\nextends = \"b.toml\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("b.toml"), "[scenario]\nextends = \"a\"\n").unwrap();
    let a = dir.path().join("a.toml");
    let msg = Scenario::load(a.to_str().unwrap()).unwrap_err().to_string();
    assert!(
        msg.contains("scenario.extends: extends cycle:")
            && msg.contains("a.toml -> ")
            && msg.contains("b.toml"),
        "{msg}"
    );

    // The same file by another path is the same file: a cycle, named once.
    let sub = dir.path().join("ext");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(
        sub.join("self.toml"),
        "[scenario]\nextends = \"../ext/self\"\n",
    )
    .unwrap();
    let msg = Scenario::load(sub.join("self.toml").to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("extends cycle:") && msg.contains("extends itself"),
        "{msg}"
    );
    assert!(!msg.contains("../ext/../ext"), "{msg}");

    // A chain of distinct files too deep is not called a cycle.
    for k in 1..=20 {
        let parent = if k == 20 {
            "central".to_string()
        } else {
            format!("c{}", k + 1)
        };
        std::fs::write(
            dir.path().join(format!("c{k}.toml")),
            format!("[scenario]\nextends = \"{parent}\"\n"),
        )
        .unwrap();
    }
    let msg = Scenario::load(dir.path().join("c1.toml").to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("more than 16 files deep"), "{msg}");
    assert!(!msg.contains("cycle"), "{msg}");
    assert!(msg.len() < 1000, "{msg}");
    // Up to the limit is allowed: c7 ... c20, central, kpmg-point.
    let ok = dir.path().join("c7.toml");
    assert!(Scenario::load(ok.to_str().unwrap()).is_ok());

    let missing = "[scenario]\nextends = \"nowhere\"\n";
    let msg = Scenario::from_toml(missing, "child.toml")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("child.toml:2: scenario.extends: `nowhere` is neither a file next to this one nor a shipped scenario"), "{msg}");
}

#[test]
fn a_parents_problems_name_the_parent() {
    let dir = tempfile::tempdir().unwrap();
    let parent = shipped::find("kpmg-point")
        .unwrap()
        .replacen("value = 1.97", "value = -1", 1);
    std::fs::write(dir.path().join("parent.toml"), parent).unwrap();
    std::fs::write(
        dir.path().join("child.toml"),
        "[scenario]\nextends = \"parent.toml\"\n",
    )
    .unwrap();
    let child = dir.path().join("child.toml");
    let msg = Scenario::load(child.to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("parent.toml:")
            && msg.contains("parameters.multiplier.value: -1 must be a number in [0, 10]"),
        "{msg}"
    );
}

/// A scenario built in code is checked like a file.
#[test]
fn scenarios_built_in_code_refuse_what_files_refuse() {
    use nexus_mc::distribution::Distribution;
    use nexus_mc::model::Param;
    let central = Scenario::load("central").unwrap();
    let c = |a, b, r| central.clone().with_correlation(a, b, r, "s", "r");
    assert!(c(Param::Multiplier, Param::Multiplier, 0.5)
        .unwrap_err()
        .0
        .contains("itself"));
    assert!(c(Param::Multiplier, Param::PersonnelShare, 0.5)
        .unwrap_err()
        .0
        .contains("fixed"));
    assert!(c(Param::Multiplier, Param::DrugCost, 1.5)
        .unwrap_err()
        .0
        .contains("[-1, 1]"));
    // multiplier-lasting_share is +0.3 in central; two strong opposite links
    // through a third parameter cannot hold together with it.
    let impossible = central
        .clone()
        .with_correlation(Param::Multiplier, Param::SectorGrowth, 0.8, "s", "r")
        .unwrap()
        .with_correlation(Param::LastingShare, Param::SectorGrowth, -0.8, "s", "r");
    assert!(impossible.unwrap_err().0.contains("positive semi-definite"));
    // A correlated parameter cannot become fixed.
    let fixed = central.clone().with_parameter(
        Param::Multiplier,
        Distribution::fixed(1.97).unwrap(),
        "s",
        "r",
    );
    assert!(fixed.unwrap_err().0.contains("correlated"));
    // A valid change is kept, and the scenario no longer claims its files.
    let ok = c(Param::Multiplier, Param::DrugCost, -0.2).unwrap();
    assert_eq!(ok.correlations.len(), 3);
    assert!(ok.files.is_empty());
}
