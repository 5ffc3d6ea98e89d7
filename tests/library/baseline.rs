//! `baseline` names the cause of every figure that misses the plan's: under
//! each model switch the rows the switch moves name the switch, the rows it
//! leaves alone keep the cause they have in the plan's own reading, and no
//! row is a bare "no".

use nexus_mc::commands::{baseline, BaselineOptions};
use nexus_mc::model::Param;
use nexus_mc::Scenario;

/// The rows of the two check tables ("Against the published Tabel 2" and
/// "Headline figures"): label, model value as printed, verdict.
fn check_rows(set: &[(Param, f64)]) -> Vec<(String, String, String)> {
    let view = baseline(&BaselineOptions {
        scenario: Scenario::load("kpmg-point").unwrap(),
        set: set.to_vec(),
    })
    .unwrap()
    .to_string();
    let mut rows = Vec::new();
    let mut in_checks = false;
    for line in view.lines() {
        if line.trim_start().starts_with("Against the published")
            || line.trim_start().starts_with("Headline figures")
        {
            in_checks = true;
            continue;
        }
        if line.trim().is_empty() || line.starts_with("Anomalies") {
            in_checks = false;
            continue;
        }
        if in_checks {
            let cells: Vec<&str> = line
                .split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            assert_eq!(cells.len(), 5, "a check row has five cells: {line:?}");
            rows.push((
                cells[0].to_string(),
                cells[1].to_string(),
                cells[4].to_string(),
            ));
        }
    }
    assert!(
        rows.len() > 30,
        "both check tables read: {} rows",
        rows.len()
    );
    rows
}

/// Checks the verdicts under `switches` (with `also`, plain parameters that
/// stay set) against the same run with every switch in the plan's reading.
fn assert_causes_named(switches: &[(Param, f64, &str)], also: &[(Param, f64)]) {
    let plain = check_rows(also);
    let set: Vec<(Param, f64)> = switches
        .iter()
        .map(|&(p, v, _)| (p, v))
        .chain(also.iter().copied())
        .collect();
    let switched = check_rows(&set);
    assert_eq!(plain.len(), switched.len());
    let mut moved = 0;
    for ((label, plain_value, plain_verdict), (_, value, verdict)) in plain.iter().zip(&switched) {
        assert!(
            verdict == "yes" || verdict.starts_with("no: ") || verdict.starts_with("no, see "),
            "{set:?}: {label} has a verdict without a cause: {verdict:?}"
        );
        let names_a_switch = switches
            .iter()
            .any(|(_, _, reading)| verdict.contains(reading));
        if value != plain_value && verdict != "yes" {
            // Moved, and now missing the published figure at its precision.
            moved += 1;
            assert!(
                names_a_switch,
                "{set:?}: {label} moves ({plain_value} -> {value}) but its verdict names no switch: {verdict:?}"
            );
            // A row the switch moves that also misses in the plan's reading
            // keeps that cause beside the switch.
            if let Some(see) = plain_verdict.strip_prefix("no, ") {
                assert!(
                    verdict.ends_with(&format!("also {see}")),
                    "{set:?}: {label} lost its other cause {see:?}: {verdict:?}"
                );
            }
        } else if value == plain_value {
            assert_eq!(
                verdict, plain_verdict,
                "{set:?}: {label} is not moved by the switch, so its verdict stays"
            );
        }
    }
    assert!(moved > 0, "{set:?} moves at least one published figure off");
}

const RULE: (Param, f64, &str) = (Param::LastingSeed, 1.0, "lasting_seed = rule (see A)");
const WAGE: (Param, f64, &str) = (Param::TaxMethod, 1.0, "tax_method = wage");
const EXPIRE: (Param, f64, &str) = (Param::After2035, 2.0, "after_2035 = expire");

#[test]
fn lasting_seed_rule_points_to_a_not_to_b_c_or_f() {
    assert_causes_named(&[RULE], &[]);
    let rows = check_rows(&[(RULE.0, RULE.1)]);
    for (label, _, verdict) in &rows {
        if label.starts_with("tax on G+S") || label.starts_with("GDP contribution Y") {
            assert_eq!(verdict, "no: lasting_seed = rule (see A)", "{label}");
        }
    }
}

#[test]
fn tax_method_wage_names_the_switch_not_the_rounding_anomaly() {
    assert_causes_named(&[WAGE], &[]);
    for (label, _, verdict) in check_rows(&[(WAGE.0, WAGE.1)]) {
        assert!(!verdict.contains("see B"), "{label}: {verdict}");
    }
}

#[test]
fn after_2035_expire_with_a_short_life_names_the_switch() {
    // With lasting_life below 10 the expiry reaches back into 2026-2035.
    assert_causes_named(&[EXPIRE], &[(Param::LastingLife, 5.0)]);
}

#[test]
fn all_three_switches_together_name_each_cause() {
    assert_causes_named(&[RULE, WAGE, EXPIRE], &[(Param::LastingLife, 5.0)]);
}
