//! The binary: outputs, exit codes, and no panics on bad input.

use crate::common::{assert_bad_input, nexus, stderr};

use nexus_mc::config::Scenario;
use nexus_mc::model::{Metric, Model, Outputs};

#[test]
fn baseline_writes_the_design_columns_for_2026_to_2050() {
    let dir = tempfile::tempdir().unwrap();
    let o = nexus(&["baseline", "--out", "res"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("Against the published Tabel 2"), "{stdout}");

    let csv = std::fs::read_to_string(dir.path().join("res/baseline.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "year,public_investment,enabling_conditions,gdp_investment,gdp_lasting,gdp_drugs,gdp_total,\
         gdp_share_pct,jobs,tax,cash_flow,discount_factor,discounted_cash_flow,npv_cum"
    );
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 25);
    assert_eq!(rows[0][0], 2026.0);
    assert_eq!(rows[24][0], 2050.0);

    // The CSV holds the library's values to the last bit.
    let scenario = Scenario::load("kpmg-point").unwrap();
    let mut out = Outputs::default();
    Model::new(&scenario.schedules).evaluate(&scenario.point(), &mut out);
    for (t, row) in rows.iter().enumerate() {
        for (c, m) in Metric::ALL.iter().enumerate() {
            assert_eq!(row[c + 1], out[*m][t], "{} {}", m.name(), 2026 + t);
        }
    }
}

#[test]
fn baseline_switch_flags_change_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let o = nexus(
        &[
            "baseline",
            "--lasting-seed",
            "rule",
            "--set",
            "displacement=0.2",
            "--out",
            "b",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.path().join("b/baseline.csv")).unwrap();
    let first: Vec<f64> = csv
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|x| x.parse().unwrap())
        .collect();
    let (g, s) = (first[3], first[4]);
    assert!(
        (s - 0.125 * g).abs() < 1e-9,
        "rule seed: S_2026 = sigma G_2026 (both net of displacement)"
    );
}

#[test]
fn bad_config_exits_2_naming_file_key_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let text = nexus_mc::config::shipped::find("kpmg-point")
        .unwrap()
        .replacen("value = 1.97", "value = \"high\"", 1);
    std::fs::write(dir.path().join("bad.toml"), text).unwrap();
    let o = nexus(&["baseline", "--config", "bad.toml"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("bad.toml:") && err.contains("parameters.multiplier.value: must be a number"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(!dir.path().join("out").exists(), "no output on failure");
}

#[test]
fn bad_flags_exit_2_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["baseline", "--set", "multiplier=abc"][..],
        &["baseline", "--set", "nonsense=1"],
        &["baseline", "--set", "displacement=2"],
        &["baseline", "--set", "phase_lag_shift=-3"],
        &["baseline", "--lasting-seed", "maybe"],
        &["baseline", "--config", "missing.toml"],
    ] {
        let o = nexus(args, dir.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}");
    }
}

#[test]
fn a_refused_bridge_prints_nothing_before_its_error() {
    let dir = tempfile::tempdir().unwrap();
    for (args, expect) in [
        (
            &["bridge", "-n", "500"][..],
            "-n: 500 runs is outside 1,000 to 2,000,000",
        ),
        (
            &["bridge", "--orders", "10"],
            "--orders: 10 is outside 20 to 100,000",
        ),
        (&["bridge", "--order", "foo"], "--order: no step `foo`"),
    ] {
        let o = nexus(args, dir.path());
        assert_bad_input(&o, expect);
        assert!(
            o.stdout.is_empty(),
            "{args:?} printed: {}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
}

#[test]
fn every_scenario_flag_names_the_shipped_scenarios_and_every_out_its_default() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<&str> = nexus_mc::config::shipped::SHIPPED
        .iter()
        .map(|(name, _)| *name)
        .collect();
    let help = |cmd: &str| {
        let o = nexus(&[cmd, "--help"], dir.path());
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    for cmd in ["run", "sensitivity", "baseline", "bridge"] {
        let text = help(cmd);
        for name in &names {
            assert!(text.contains(name), "`{cmd} --help` does not name {name}");
        }
    }
    for (cmd, default) in [
        ("run", "out/run"),
        ("merge", "out/merge"),
        ("sensitivity", "out/sensitivity"),
        ("bridge", "out/bridge"),
        ("report", "out/report"),
    ] {
        let text = help(cmd);
        assert!(
            text.contains(&format!("[default: {default}")),
            "`{cmd} --help`: {text}"
        );
        assert!(
            !text.contains("out/COMMAND"),
            "`{cmd} --help` gives a generic default"
        );
    }
}
