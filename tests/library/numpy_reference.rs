//! The independent NumPy implementation (benches/reference/numpy_model.py)
//! against the Rust engine: the kpmg-point baseline cell by cell, and the
//! central scenario's medians within their Monte Carlo error. Skipped, with
//! the reason printed, where python3 with numpy is not installed, except in
//! CI (`CI` set in the environment), where a missing numpy fails the test:
//! `.ci/run` installs it, and a skipped check there would check nothing.

use std::path::Path;
use std::process::Command;

use nexus_mc::config::Scenario;
use nexus_mc::engine::{Engine, QuantileMethod, RunPlan};
use nexus_mc::model::Metric;
use nexus_mc::Control;

use crate::common::missing_tool;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/benches/reference/numpy_model.py"
);

fn numpy_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        missing_tool("python3 with numpy", "pip install numpy");
    }
    ok
}

fn numpy(args: &[&str], out: &Path) {
    let o = Command::new("python3")
        .arg(SCRIPT)
        .args(args)
        .arg("--out")
        .arg(out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("python3 runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn rows(path: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn numpy_reproduces_the_kpmg_point_baseline_cell_by_cell() {
    if !numpy_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    numpy(
        &["--config", "distributions/kpmg-point.toml", "--baseline"],
        dir.path(),
    );
    let ours = crate::common::run(&crate::common::kpmg().point());
    let theirs = rows(&dir.path().join("baseline.csv"));
    assert_eq!(theirs.len(), 25);
    for (t, row) in theirs.iter().enumerate() {
        for (i, metric) in Metric::ALL.iter().enumerate() {
            let x: f64 = row[i + 1].parse().unwrap();
            let y = ours[*metric][t];
            assert!(
                (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                "{} {}: numpy {x}, rust {y}",
                metric.name(),
                2026 + t
            );
        }
    }
}

#[test]
fn numpy_and_rust_agree_on_central_medians_within_monte_carlo_error() {
    if !numpy_available() {
        return;
    }
    const N: u64 = 200_000;
    let dir = tempfile::tempdir().unwrap();
    numpy(
        &[
            "--config",
            "distributions/central.toml",
            "-n",
            &N.to_string(),
            "--seed",
            "7",
        ],
        dir.path(),
    );
    let theirs = rows(&dir.path().join("bands.csv"));
    let central = Scenario::load("central").unwrap();
    let plan = RunPlan {
        quantiles: QuantileMethod::Exact,
        ..RunPlan::new(N)
    };
    let engine = Engine::new(&central, plan).unwrap();
    let ours = engine
        .run(&Control::default())
        .unwrap()
        .summary(engine.claims());
    for (metric, year) in [
        (Metric::GdpSharePct, 2035),
        (Metric::Jobs, 2035),
        (Metric::NpvCum, 2035),
        (Metric::NpvCum, 2050),
    ] {
        let band = ours.band(metric, year).unwrap();
        let row = theirs
            .iter()
            .find(|r| &r[0] == metric.name() && r[1] == *year.to_string())
            .unwrap();
        let their_median: f64 = row[7].parse().unwrap();
        // Two independent medians: each has standard error about
        // 1.2533 sigma / sqrt(N) for a smooth density (sigma from the IQR).
        let sigma = (band.p75 - band.p25) / 1.349;
        let se = 1.2533 * sigma / (N as f64).sqrt() * 2f64.sqrt();
        let ours = band.p50;
        assert!(
            (ours - their_median).abs() < 5.0 * se,
            "{} {year}: rust {ours}, numpy {their_median}, 5 SE = {}",
            metric.name(),
            5.0 * se
        );
    }
}
