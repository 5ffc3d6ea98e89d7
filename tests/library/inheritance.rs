//! Scenario inheritance: a child file changes only what it restates, for
//! correlations as for parameters, and the shipped children keep what their
//! descriptions promise.

use crate::common::{nexus, stderr};

use nexus_mc::config::Scenario;
use nexus_mc::model::Param;

/// The correlated pairs of a scenario with their ranks, as text.
fn pairs(s: &Scenario) -> Vec<String> {
    let mut v: Vec<String> = s
        .correlations
        .iter()
        .map(|c| format!("{}~{} {}", c.between.0, c.between.1, c.rank))
        .collect();
    v.sort();
    v
}

/// Asserts that `child` is `parent` except for the parameters `changed`
/// and the correlation pairs `added`.
fn keeps(child: &str, parent: &str, changed: &[Param], added: &[&str]) {
    let (c, p) = (
        Scenario::load(child).unwrap(),
        Scenario::load(parent).unwrap(),
    );
    for &param in Param::ALL {
        let dist = |s: &Scenario| format!("{:?}", s.parameter(param).distribution);
        if changed.contains(&param) {
            assert_ne!(dist(&c), dist(&p), "{child} should change {param}");
        } else {
            assert_eq!(dist(&c), dist(&p), "{child} keeps {parent}'s {param}");
        }
    }
    let mut expected = pairs(&p);
    expected.extend(added.iter().map(|s| s.to_string()));
    expected.sort();
    assert_eq!(pairs(&c), expected, "{child}'s correlations");
    assert_eq!(
        c.schedules, p.schedules,
        "{child} keeps {parent}'s schedules"
    );
}

#[test]
fn alt_tax_is_central_with_the_wage_tax_method() {
    keeps(
        "alt-tax",
        "central",
        &[Param::TaxMethod, Param::WageTaxRate, Param::DrugTaxRate],
        &["wage_tax_rate~drug_tax_rate 0.95"],
    );
}

#[test]
fn optimism_bias_is_central_with_its_four_adjustments() {
    keeps(
        "optimism-bias",
        "central",
        &[
            Param::EnablingScale,
            Param::PhaseLagShift,
            Param::DrugSales,
            Param::NlProductionShare,
        ],
        &[],
    );
}

const PAIR: &str =
    "between = [\"multiplier\", \"lasting_share\"]\nsource = \"mine\"\nrationale = \"mine\"\n";

fn child(body: &str) -> Result<Scenario, String> {
    let text = format!("[scenario]\nname = \"child\"\nextends = \"central\"\n{body}");
    Scenario::from_toml(&text, "child.toml").map_err(|e| e.to_string())
}

#[test]
fn a_child_changes_adds_and_drops_correlations_pair_by_pair() {
    let central = pairs(&Scenario::load("central").unwrap());
    assert_eq!(central.len(), 2);

    let changed = child(&format!("[[correlation]]\n{PAIR}rank = 0.5\n")).unwrap();
    let p = pairs(&changed);
    assert!(
        p.contains(&"multiplier~lasting_share 0.5".to_string()),
        "{p:?}"
    );
    assert!(p.contains(&"drug_cost~drug_sales 0.3".to_string()), "{p:?}");
    assert_eq!(p.len(), 2);
    let origin = |s: &Scenario, a: Param| {
        s.correlations
            .iter()
            .find(|c| c.between.0 == a)
            .map(|c| c.origin.clone())
            .unwrap()
    };
    assert_eq!(origin(&changed, Param::Multiplier), "child.toml");
    assert_eq!(origin(&changed, Param::DrugCost), "shipped:central");

    let dropped = child(&format!("[[correlation]]\n{PAIR}rank = 0\n")).unwrap();
    assert_eq!(
        pairs(&dropped),
        vec!["drug_cost~drug_sales 0.3".to_string()]
    );

    let twice = child(&format!(
        "[[correlation]]\n{PAIR}rank = 0.5\n[[correlation]]\n{PAIR}rank = 0.4\n"
    ))
    .unwrap_err();
    assert!(twice.contains("given twice in this file"), "{twice}");
}

#[test]
fn fixing_a_parameter_an_inherited_correlation_needs_says_which_file_to_change_and_how() {
    let fixed = "[parameters.multiplier]\ndist = \"fixed\"\nvalue = 1.5\nunit = \"ratio\"\nsource = \"mine\"\n";
    let err = child(fixed).unwrap_err();
    assert!(err.contains("child.toml"), "{err}");
    assert!(
        err.contains("`multiplier` is fixed here, but shipped:central correlates it"),
        "{err}"
    );
    assert!(err.contains("rank = 0"), "{err}");
    // Following the advice works.
    let fixed_and_dropped = format!("{fixed}[[correlation]]\n{PAIR}rank = 0\n");
    assert!(child(&fixed_and_dropped).is_ok());
}

#[test]
fn validate_says_where_each_correlation_comes_from() {
    let dir = tempfile::tempdir().unwrap();
    let o = nexus(&["validate", "alt-tax"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("3 rank correlations"), "{out}");
    assert!(
        out.contains("multiplier, lasting_share      0.3  shipped:central"),
        "{out}"
    );
    assert!(
        out.contains("wage_tax_rate, drug_tax_rate  0.95  shipped:alt-tax"),
        "{out}"
    );
}

#[test]
fn a_path_too_long_to_open_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let long = format!("{}.toml", "a".repeat(300));
    let o = nexus(&["validate", &long], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("File name too long"), "{}", stderr(&o));
}
