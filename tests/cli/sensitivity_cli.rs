//! `nexus-mc sensitivity` as a user sees it: files, columns, determinism and
//! bad flags.

use crate::assert_same_files;
use crate::common::{nexus, read, stderr};

const SMALL: [&str; 4] = ["-n", "512", "--replicates", "16"];

#[test]
fn every_method_writes_its_file_with_the_design_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["sensitivity", "--out", "s", "--output", "gdp_total:2040"];
    args.extend(SMALL);
    let o = nexus(&args, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("sobol: 512 x (18 + 2) = 10,240 model runs"),
        "{stdout}"
    );
    assert!(stdout.contains("rank correlations declared"), "{stdout}");
    let s = dir.path().join("s");
    let headers = [
        (
            "sobol.csv",
            "output,parameter,s1,s1_lo,s1_hi,st,st_lo,st_hi",
        ),
        (
            "tornado.csv",
            "output,parameter,input_p10,input_p90,output_at_p10,output_at_p90,base,swing",
        ),
        ("rank_correlation.csv", "output,parameter,spearman,prcc"),
        (
            "switching_values.csv",
            "claim,output,op,threshold,parameter,median,holds_at_median,switching_value,reading",
        ),
        ("morris.csv", "output,parameter,mu_star,mu,sigma"),
        ("shapley.csv", "output,parameter,shapley,std_error,lo,hi"),
        (
            "indices_by_year.csv",
            "output,year,parameter,s1,s1_lo,s1_hi,st,st_lo,st_hi,shapley,shapley_lo,shapley_hi",
        ),
        (
            "filter.csv",
            "claim,parameter,ks_distance,p_value,decile,lo,hi,runs,p_holds,note",
        ),
    ];
    for (file, header) in headers {
        assert_eq!(read(&s, file).lines().next().unwrap(), header, "{file}");
    }
    // Five outputs (four defaults and gdp_total:2040) x 27 parameters.
    let sobol = read(&s, "sobol.csv");
    assert_eq!(sobol.lines().count(), 1 + 5 * 27);
    assert!(sobol.contains("\ngdp_total:2040,multiplier,"));
    // Fixed parameters are listed with exact zeros.
    assert!(sobol.contains("\ngdp_share_pct:2035,personnel_share,0,0,0,0,0,0\n"));
    // Seven default claims x 18 uncertain parameters.
    assert_eq!(read(&s, "switching_values.csv").lines().count(), 1 + 7 * 18);
    let manifest: serde_json::Value = serde_json::from_str(&read(&s, "manifest.json")).unwrap();
    assert_eq!(manifest["model_runs"]["sobol"], 10_240);
    // central declares correlations, so `all` includes Shapley effects.
    assert_eq!(manifest["files"].as_array().unwrap().len(), 8);
    let shapley = read(&s, "shapley.csv");
    assert_eq!(shapley.lines().count(), 1 + 5 * 27);
    // Every year of four metrics x 27 parameters, Shapley columns filled.
    let by_year = read(&s, "indices_by_year.csv");
    assert_eq!(by_year.lines().count(), 1 + 4 * 25 * 27);
    assert!(
        by_year.lines().skip(1).all(|l| !l.ends_with(",,")),
        "Shapley filled"
    );
    // Claims that never hold say so; the jobs claim (about 20 %) is filtered
    // on every uncertain parameter: ten deciles of a continuous one, one
    // group per value of a switch (tied values stay together).
    let filter = read(&s, "filter.csv");
    assert!(filter.contains("1.2 % of GDP,,,,,,,,,holds in no run: nothing to filter"));
    let rows = |p: &str| {
        let prefix = format!("\"21,000 jobs\",{p},");
        filter.lines().filter(|l| l.starts_with(&prefix)).count()
    };
    assert_eq!(rows("multiplier"), 10);
    assert_eq!(rows("after_2035"), 3);
    assert_eq!(
        rows("personnel_share"),
        0,
        "fixed parameters are not filtered"
    );
}

#[test]
fn the_same_seed_gives_the_same_files_on_1_and_3_threads() {
    let dir = tempfile::tempdir().unwrap();
    for (threads, out) in [("1", "a"), ("3", "b")] {
        let mut args = vec!["sensitivity", "--threads", threads, "--out", out, "-q"];
        args.extend(SMALL);
        let o = nexus(&args, dir.path());
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_same_files(
        &dir.path().join("a"),
        &dir.path().join("b"),
        &[
            "sobol.csv",
            "tornado.csv",
            "rank_correlation.csv",
            "switching_values.csv",
            "morris.csv",
        ],
    );
}

#[test]
fn chosen_methods_write_only_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let o = nexus(
        &[
            "sensitivity",
            "--method",
            "tornado,switching",
            "--out",
            "s",
            "-q",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut files: Vec<String> = std::fs::read_dir(dir.path().join("s"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["manifest.json", "switching_values.csv", "tornado.csv"]
    );
}

#[test]
fn bad_sensitivity_flags_exit_2_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["sensitivity", "--output", "gdp:2035"], "unknown metric"),
        (&["sensitivity", "--output", "jobs:2060"], "outside"),
        (&["sensitivity", "--output", "jobs"], "METRIC:YEAR"),
        (
            &["sensitivity", "--confidence", "1.5"],
            "from 0.5 to 0.9999",
        ),
        (&["sensitivity", "--method", "anova"], "anova"),
        (&["sensitivity", "-n", "0"], "at least 1"),
    ];
    for (args, expect) in cases {
        let o = nexus(args, dir.path());
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
    }
}

#[test]
fn switching_values_are_printed_with_the_parameters_units() {
    let dir = tempfile::tempdir().unwrap();
    let o = nexus(
        &[
            "sensitivity",
            "--method",
            "switching",
            "--config",
            "plan-as-written",
            "--out",
            "s",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let printed = String::from_utf8_lossy(&o.stdout);
    // The multiplier is a ratio and the lasting share a share, as the
    // scenario's `unit` fields say.
    assert!(
        printed.contains("multiplier fails below 1.945 (ratio)"),
        "{printed}"
    );
    assert!(
        printed.contains("lasting_share fails below 0.1184 (share)"),
        "{printed}"
    );
}
