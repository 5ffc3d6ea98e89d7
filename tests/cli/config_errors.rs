//! Bad scenario files fail with a message naming file, line, key and reason.

use nexus_mc::config::{shipped, ConfigError, Scenario};

fn kpmg_text() -> &'static str {
    shipped::find("kpmg-point").unwrap()
}

/// kpmg-point with one exact piece of text replaced (which must exist).
fn edited(from: &str, to: &str) -> String {
    let text = kpmg_text();
    assert!(
        text.contains(from),
        "fixture text `{from}` not in kpmg-point.toml"
    );
    text.replacen(from, to, 1)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle present")
        + 1
}

fn problems(text: &str) -> String {
    match Scenario::from_toml(text, "my-scenario.toml") {
        Err(e @ ConfigError::Invalid { .. }) => e.to_string(),
        Err(other) => panic!("expected an invalid-scenario error, got {other}"),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn unknown_field_names_file_line_key_and_suggests_the_right_one() {
    let text = edited("value = 1.97", "valeu = 1.97");
    let msg = problems(&text);
    let line = line_of(&text, "valeu = 1.97");
    assert!(
        msg.contains(&format!(
            "my-scenario.toml:{line}: parameters.multiplier.valeu"
        )),
        "{msg}"
    );
    assert!(msg.contains("did you mean `value`?"), "{msg}");
    assert!(
        msg.contains("parameters.multiplier: missing `dist`"),
        "{msg}"
    );
}

#[test]
fn unknown_parameter_suggests_the_closest_name() {
    let msg = problems(&edited(
        "[parameters.multiplier]",
        "[parameters.multiplyer]",
    ));
    assert!(
        msg.contains("parameters.multiplyer: unknown key; did you mean `multiplier`?"),
        "{msg}"
    );
    assert!(msg.contains("parameters.multiplier: missing"), "{msg}");
}

#[test]
fn missing_source_is_an_error() {
    let text = edited("source = \"[LBSP2025] appendix 9.7, item 9\"", "");
    let msg = problems(&text);
    assert!(
        msg.contains("parameters.drug_sales: missing `source`"),
        "{msg}"
    );
}

#[test]
fn wrong_type_and_out_of_domain_values_name_the_value() {
    let text = edited("value = 1.97", "value = \"high\"").replacen(
        "[parameters.displacement]\nvalue = 0",
        "[parameters.displacement]\nvalue = 1.5",
        1,
    );
    let msg = problems(&text);
    assert!(
        msg.contains("parameters.multiplier.value: must be a number, found string"),
        "{msg}"
    );
    assert!(
        msg.contains("parameters.displacement.value: 1.5 must be a share in [0, 1]"),
        "{msg}"
    );
    assert!(
        msg.starts_with("my-scenario.toml: 2 problems"),
        "every problem is reported: {msg}"
    );
}

#[test]
fn wrong_unit_and_bad_switch_are_explained() {
    let text = edited("unit = \"EUR m per year\"", "unit = \"EUR bn per year\"").replacen(
        "value = \"grow\"",
        "value = \"grows\"",
        1,
    );
    let msg = problems(&text);
    assert!(msg.contains("parameters.drug_sales.unit: \"EUR bn per year\" is not this parameter's unit; the model works in \"EUR m per year\""), "{msg}");
    assert!(
        msg.contains("parameters.after_2035.value: `grows` must be one of grow, freeze, expire"),
        "{msg}"
    );
}

#[test]
fn schedules_are_checked() {
    let text = edited(
        "values = [0.25, 0.25, 0.20, 0.10, 0.10, 0.10]",
        "values = [0.25, 0.25, 0.20, 0.10, 0.10, 0.20]",
    )
    .replacen(
        "values = [10, 9, 7, 6, 4, 1]",
        "values = [10, 9, 7, 6, 4]",
        1,
    )
    .replacen("values = [75, 125,", "values = [-75, 125,", 1);
    let msg = problems(&text);
    assert!(
        msg.contains("schedules.phase_weights.values: weights sum to 1.1"),
        "{msg}"
    );
    assert!(
        msg.contains("schedules.phase_lag.values: has 5 values, needs 6"),
        "{msg}"
    );
    assert!(
        msg.contains("schedules.enabling_conditions.values[0]: -75 is negative"),
        "{msg}"
    );
}

#[test]
fn negative_phase_lag_from_the_shift_is_rejected() {
    let msg = problems(&edited(
        "[parameters.phase_lag_shift]\nvalue = 0",
        "[parameters.phase_lag_shift]\nvalue = -2",
    ));
    assert!(
        msg.contains(
            "parameters.phase_lag_shift: -2 would make the shortest phase lag (1 years) negative"
        ),
        "{msg}"
    );
}

#[test]
fn syntax_errors_name_the_file_and_line() {
    let text = kpmg_text().replacen("value = 1.97", "value = = 1.97", 1);
    let err = Scenario::from_toml(&text, "broken.toml").unwrap_err();
    let line = line_of(&text, "value = = 1.97");
    assert!(
        matches!(err, ConfigError::Syntax { line: Some(l), .. } if l == line),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("broken.toml:{line}: not valid TOML")),
        "{err}"
    );
}

#[test]
fn unknown_scenario_name_lists_the_shipped_ones() {
    let err = Scenario::load("no-such-scenario").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("no scenario `no-such-scenario`") && msg.contains("kpmg-point"),
        "{msg}"
    );
}

#[test]
fn a_value_outside_its_meaningful_range_is_rejected() {
    for (from, to, expect) in [
        (
            "value = 1_050_000",
            "value = 1e-300",
            "parameters.gdp_base.value: 0.000000000000000",
        ),
        (
            "value = 1.97",
            "value = 1e300",
            "parameters.multiplier.value",
        ),
    ] {
        let msg = problems(&edited(from, to));
        assert!(msg.contains(expect), "{msg}");
        assert!(msg.contains("must be a number in ["), "{msg}");
    }
}

#[test]
fn scenario_keys_at_the_top_level_say_where_they_belong_and_nothing_else() {
    let text = "name = \"mine\"\nextends = \"central\"\nmultiplier = 2.0\n";
    let shown = problems(text);
    assert!(
        shown.contains("my-scenario.toml:2: extends: belongs under [scenario]"),
        "{shown}"
    );
    assert!(
        shown.contains("my-scenario.toml:1: name: belongs under [scenario]"),
        "{shown}"
    );
    assert!(
        shown.contains("multiplier: belongs under [parameters]: give it its own table, `[parameters.multiplier]`"),
        "{shown}"
    );
    // The misplaced extends is still followed: no parameter is reported
    // missing because of it.
    assert!(!shown.contains("missing"), "{shown}");
    assert!(shown.contains("3 problems"), "{shown}");
}

#[test]
fn a_shipped_name_loads_the_shipped_scenario_whatever_files_the_directory_holds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("central"), "not a scenario").unwrap();
    let o = crate::common::nexus(&["validate", "central"], dir.path());
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("ok: shipped:central"));
    // The file, asked for as a path.
    crate::common::assert_bad_input(
        &crate::common::nexus(&["validate", "./central"], dir.path()),
        "./central:1: not valid TOML",
    );
}
