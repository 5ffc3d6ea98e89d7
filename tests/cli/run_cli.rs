//! `nexus-mc run` and `nexus-mc merge` as a user and a batch job see them:
//! files, bytes, exit codes and messages.

use std::process::Command;

use crate::assert_same_files;
use crate::common::{assert_bad_input, nexus, read, stderr};

/// Thirteen chunks of 2,048 runs, the last partial.
const RUNS: &str = "25000";

#[test]
fn run_writes_bands_claims_and_manifest_and_prints_the_headline() {
    let dir = tempfile::tempdir().unwrap();
    let o = nexus(&["run", "-n", "3000", "--out", "res"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("1.2 % of GDP"), "{stdout}");
    assert!(stdout.contains("res/{bands.csv"), "{stdout}");
    assert!(
        stderr(&o).is_empty(),
        "no progress bar when stderr is a pipe"
    );

    let res = dir.path().join("res");
    let bands = read(&res, "bands.csv");
    let mut lines = bands.lines();
    assert_eq!(
        lines.next().unwrap(),
        "metric,year,mean,std,p05,p10,p25,p50,p75,p90,p95"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 8 * 25);
    for m in ["gdp_total", "gdp_share_pct", "jobs", "cash_flow", "npv_cum"] {
        assert!(
            rows.iter().any(|r| r.starts_with(&format!("{m},2035,"))),
            "{m}"
        );
    }
    for r in &rows {
        let x: Vec<f64> = r.split(',').skip(4).map(|v| v.parse().unwrap()).collect();
        assert!(
            x.windows(2).all(|w| w[0] <= w[1]),
            "percentiles ascend: {r}"
        );
    }

    let claims = read(&res, "claims.csv");
    let mut lines = claims.lines();
    assert_eq!(
        lines.next().unwrap(),
        "claim,metric,year,op,threshold,probability,std_error,runs"
    );
    assert_eq!(lines.count(), 7, "the default claim set");

    let manifest: serde_json::Value = serde_json::from_str(&read(&res, "manifest.json")).unwrap();
    assert_eq!(manifest["runs"], 3000);
    assert_eq!(manifest["seed"], 42);
    assert_eq!(manifest["sampler"], "mc");
    assert_eq!(manifest["quantiles"]["method"], "exact");
    assert_eq!(
        manifest["config"].as_array().unwrap().len(),
        2,
        "central extends kpmg-point"
    );
    assert_eq!(
        manifest["config"][1]["sha256"].as_str().unwrap().len(),
        64,
        "SHA-256 in hex"
    );

    // Running again replaces the earlier output set.
    let again = nexus(
        &["run", "-n", "3000", "--out", "res", "--quiet"],
        dir.path(),
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(again.stdout.is_empty(), "--quiet prints nothing");
    assert_eq!(read(&res, "bands.csv"), bands, "same seed, same bytes");
}

#[test]
fn three_shards_merged_give_the_bytes_of_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let whole = nexus(
        &[
            "run",
            "-n",
            RUNS,
            "--seed",
            "9",
            "--threads",
            "1",
            "--out",
            "whole",
        ],
        dir.path(),
    );
    assert!(whole.status.success(), "{}", stderr(&whole));
    for k in 0..3 {
        let o = nexus(
            &[
                "run",
                "-n",
                RUNS,
                "--seed",
                "9",
                "--shard",
                &format!("{k}/3"),
                "--out",
                &format!("s{k}"),
            ],
            dir.path(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(dir.path().join(format!("s{k}/shard-state.bin")).is_file());
    }
    let merged = nexus(&["merge", "s2", "s0", "s1", "--out", "merged"], dir.path());
    assert!(merged.status.success(), "{}", stderr(&merged));
    for file in ["bands.csv", "claims.csv", "histogram.csv"] {
        assert!(
            read(&dir.path().join("whole"), file) == read(&dir.path().join("merged"), file),
            "{file} differs"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&dir.path().join("merged"), "manifest.json")).unwrap();
    assert_eq!(manifest["merged_shards"], 3);
    assert_eq!(manifest["runs_here"], 25000);
    // The speed reported is the shards' (the sum of their wall times), not
    // the merge's own milliseconds.
    let shard_seconds: f64 = ["s2", "s0", "s1"]
        .iter()
        .map(|s| {
            let m: serde_json::Value =
                serde_json::from_str(&read(&dir.path().join(s), "manifest.json")).unwrap();
            m["wall_time_s"].as_f64().unwrap()
        })
        .sum();
    let stdout = String::from_utf8_lossy(&merged.stdout);
    assert!(
        stdout.contains(&format!("3 shards ran {shard_seconds:.1} s in all")),
        "{stdout}"
    );

    // Missing, duplicate and foreign shards are named.
    let o = nexus(&["merge", "s0", "s1", "--out", "m2"], dir.path());
    assert_bad_input(&o, "1 of 3 shards is missing (2/3)");
    let o = nexus(
        &["merge", "s0", "s1", "s1", "s2", "--out", "m3"],
        dir.path(),
    );
    assert_bad_input(&o, "shard 1/3 is given twice: s1, s1");
    let o = nexus(
        &[
            "run", "-n", RUNS, "--seed", "10", "--shard", "2/3", "--out", "other", "-q",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = nexus(&["merge", "s0", "s1", "other", "--out", "m4"], dir.path());
    assert_bad_input(&o, "seed 9 vs 10");
    let o = nexus(&["merge", "whole", "--out", "m5"], dir.path());
    assert_bad_input(&o, "shard-state.bin");
    assert!(!dir.path().join("m4").join("bands.csv").exists());
}

#[test]
fn bad_flags_are_refused_with_exit_2_and_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), "x").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["run", "-n", "0"], "at least 1"),
        (&["run", "--shard", "3/2"], "count from 0"),
        (&["run", "--shard", "0/0"], "at least 1"),
        (&["run", "--threads", "0"], "at least 1 thread"),
        (
            &["run", "-n", "100", "--shard", "1/2"],
            "each shard needs at least one",
        ),
        (&["run", "--config", "nope"], "nope"),
        (&["run", "--sampler", "halton"], "use mc, lhs or sobol"),
        (
            &["run", "-n", "3e6", "--quantiles", "exact"],
            "--quantiles sketch",
        ),
        (&["run", "-n", "100", "--out", "file"], "not a directory"),
        (&["run", "-n", "100", "--out", "file/sub"], "cannot create"),
        (
            &["run", "-n", "1e5", "--replicates", "16"],
            "Monte Carlo draws are iid",
        ),
        (
            &[
                "run",
                "-n",
                "20000",
                "--sampler",
                "lhs",
                "--replicates",
                "16",
            ],
            "20,000 runs make 10 chunks: use more runs or fewer replicates",
        ),
        (
            &["run", "--sampler", "sobol", "--replicates", "2000"],
            "from 1 to 1024",
        ),
        (
            &[
                "run",
                "-n",
                "1e5",
                "--sampler",
                "lhs",
                "--replicates",
                "1",
                "--precision",
            ],
            "give --replicates 2 or more",
        ),
    ];
    for (args, expect) in cases {
        assert_bad_input(&nexus(args, dir.path()), expect);
    }
    assert!(
        !dir.path().join("out").exists(),
        "nothing written on bad input"
    );
}

#[test]
fn an_invalid_scenario_is_reported_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "[scenario]\nextends = \"central\"\n[parameters.multiplier]\ndist = \"pert\"\nmin = 2\nmode = 1\nmax = 3\nunit = \"ratio\"\nsource = \"x\"\nrationale = \"x\"\n",
    )
    .unwrap();
    let o = nexus(&["run", "--config", "bad.toml", "--out", "res"], dir.path());
    assert_bad_input(&o, "bad.toml");
    assert!(stderr(&o).contains("multiplier"));
    assert!(!dir.path().join("res").exists());
}

#[test]
fn a_directory_with_other_files_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let res = dir.path().join("res");
    std::fs::create_dir(&res).unwrap();
    std::fs::write(res.join("notes.txt"), "mine").unwrap();
    let o = nexus(&["run", "-n", "100", "--out", "res"], dir.path());
    assert_bad_input(&o, "--force");
    assert!(stderr(&o).contains("notes.txt"));
    let o = nexus(
        &["run", "-n", "100", "--out", "res", "--force", "-q"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        read(&res, "notes.txt"),
        "mine",
        "--force leaves other files alone"
    );
    assert!(res.join("bands.csv").is_file());
}

#[test]
fn samples_are_streamed_one_row_per_run() {
    let dir = tempfile::tempdir().unwrap();
    let o = nexus(
        &[
            "run",
            "-n",
            "9000",
            "--out",
            "res",
            "--samples",
            "raw/samples.csv",
            "-q",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let samples = read(dir.path(), "raw/samples.csv");
    let mut lines = samples.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("run,multiplier,"), "{header}");
    assert!(header.ends_with("gdp_share_pct_2035,jobs_2035,npv_cum_2035,npv_cum_2050"));
    assert!(header.contains(",after_2035,"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 9000);
    assert!(rows[8999].starts_with("8999,"));
    assert!(
        rows.iter().any(|r| r.contains(",expire,")),
        "switches are written by name"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_with_130_and_leaves_no_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_nexus-mc"))
        .args(["run", "-n", "1e9", "--out", "res", "--samples", "s.csv"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run has started (the samples file is being written).
    for _ in 0..200 {
        if std::fs::read_dir(dir.path()).unwrap().next().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"));
    let top: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        top.is_empty(),
        "no output directory, samples file or temporary left: {top:?}"
    );
}

#[test]
fn a_replicated_run_in_shards_merges_to_its_bytes_and_says_where_a_shard_cannot_tell() {
    let dir = tempfile::tempdir().unwrap();
    let flags = [
        "-n",
        "65536",
        "--sampler",
        "lhs",
        "--replicates",
        "4",
        "--seed",
        "3",
    ];
    let run = |extra: &[&str]| {
        let args: Vec<&str> = ["run"].iter().chain(&flags).chain(extra).copied().collect();
        let o = nexus(&args, dir.path());
        assert!(o.status.success(), "{}", stderr(&o));
    };
    run(&["--out", "whole"]);
    let intervals = read(&dir.path().join("whole"), "band_intervals.csv");
    assert!(intervals.contains(",t over 4 replicates"), "{intervals}");
    let manifest = read(&dir.path().join("whole"), "manifest.json");
    assert!(manifest.contains("\"replicates\": 4"), "{manifest}");
    // Shard k of 4 holds chunks k, k + 4, ...: replicate k alone.
    for k in 0..4 {
        run(&["--shard", &format!("{k}/4"), "--out", &format!("s{k}")]);
    }
    let shard = read(&dir.path().join("s0"), "band_intervals.csv");
    assert!(
        shard.contains("fewer than two replicates; merge the shards"),
        "{shard}"
    );
    let o = nexus(
        &["merge", "s0", "s1", "s2", "s3", "--out", "merged"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same_files(
        &dir.path().join("whole"),
        &dir.path().join("merged"),
        &[
            "bands.csv",
            "claims.csv",
            "band_intervals.csv",
            "claim_intervals.csv",
        ],
    );
    // Shards of another replicate count are refused.
    let o = nexus(
        &[
            "run",
            "-n",
            "65536",
            "--sampler",
            "lhs",
            "--replicates",
            "2",
            "--seed",
            "3",
            "--shard",
            "0/4",
            "--out",
            "other",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = nexus(
        &["merge", "other", "s1", "s2", "s3", "--out", "m2"],
        dir.path(),
    );
    assert_bad_input(&o, "replicates 2 vs 4");
}

#[test]
fn a_sample_that_is_not_iid_states_no_error_without_replicates() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let args: Vec<&str> = ["run", "-n", "65536", "--sampler", "lhs", "--report"]
            .iter()
            .chain(extra)
            .copied()
            .collect();
        let o = nexus(&args, dir.path());
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let alone = run(&["--out", "alone"]);
    assert!(alone.contains("not iid, no error stated"), "{alone}");
    assert!(
        !alone.contains("+-") && !alone.contains("at 97.5 %"),
        "{alone}"
    );
    let report = read(&dir.path().join("alone"), "report.html");
    assert!(report.contains("not iid, no error stated") && !report.contains("at 97.5 %"));
    let replicated = run(&["--replicates", "16", "--out", "replicated"]);
    assert!(
        replicated.contains("+-") && !replicated.contains("not iid"),
        "{replicated}"
    );
}

/// A long exact run in one process keeps only the values it reads; as a
/// shard (even the only one, `0/1`) it keeps every value, so its state is
/// written and merges to the one process's bytes.
#[test]
fn a_long_exact_run_as_its_only_shard_writes_a_state_that_merges_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let runs = "140000";
    let o = nexus(
        &[
            "run",
            "-n",
            runs,
            "--quantiles",
            "exact",
            "--out",
            "one",
            "-q",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = nexus(
        &[
            "run",
            "-n",
            runs,
            "--quantiles",
            "exact",
            "--shard",
            "0/1",
            "--out",
            "s0",
            "-q",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = nexus(&["merge", "s0", "--out", "merged", "-q"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same_files(
        &dir.path().join("one"),
        &dir.path().join("merged"),
        &[
            "bands.csv",
            "claims.csv",
            "histogram.csv",
            "band_intervals.csv",
        ],
    );
}
