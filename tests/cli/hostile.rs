//! Hostile input, second round: special files and hostile manifests. Every
//! special file is made in a temporary directory (`mkfifo`, `mknod`), never
//! taken from the machine's own /dev: the tests run as root, and a failing
//! test must not damage the machine.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::batch_safety::nexus_within;
use crate::common::{assert_bad_input, nexus};

/// A FIFO at `path`.
fn fifo(path: &Path) {
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// A character device at `path` that reads as zeros without end (the
/// numbers of /dev/zero), made here: needs root, as the tests have in CI.
fn zero_device(path: &Path) {
    let made = Command::new("mknod")
        .arg(path)
        .args(["c", "1", "5"])
        .status()
        .expect("mknod runs");
    assert!(
        made.success(),
        "mknod {} (the tests need root)",
        path.display()
    );
}

/// Special files of every kind in `dir`, by the word a message names them with.
fn specials(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let pipe = dir.join("pipe");
    fifo(&pipe);
    let zero = dir.join("zero");
    zero_device(&zero);
    let link = dir.join("link-to-zero");
    std::os::unix::fs::symlink(&zero, &link).unwrap();
    let sub = dir.join("a-directory");
    std::fs::create_dir(&sub).unwrap();
    vec![
        (pipe, "FIFO"),
        (zero, "device"),
        (link, "device"),
        (sub, "directory"),
    ]
}

#[test]
fn a_scenario_that_is_not_a_regular_file_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for (path, kind) in specials(dir.path()) {
        let path = path.to_str().unwrap();
        for cmd in [
            &["validate", path][..],
            &["run", "-n", "1000", "--config", path],
        ] {
            let o = nexus_within(cmd, dir.path(), 10.0);
            assert_bad_input(&o, kind);
        }
    }
    // A file past the ceiling is refused by its size, not read into memory.
    let big = dir.path().join("big.toml");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(2 << 20).unwrap();
    let o = nexus_within(&["validate", "big.toml"], dir.path(), 10.0);
    assert_bad_input(&o, "more than 1,048,576 bytes");
    // An `extends` naming a FIFO beside the file.
    std::fs::write(
        dir.path().join("child.toml"),
        "[scenario]\nname = \"c\"\nextends = \"pipe\"\n",
    )
    .unwrap();
    let o = nexus_within(&["validate", "child.toml"], dir.path(), 10.0);
    assert_eq!(o.status.code(), Some(2));
}

/// Two finished shards of one run in `dir`, as `s0` and `s1`.
fn shards(dir: &Path) {
    for k in 0..2 {
        let out = format!("s{k}");
        let shard = format!("{k}/2");
        let o = nexus(
            &["run", "-n", "8192", "--shard", &shard, "--out", &out, "-q"],
            dir,
        );
        assert!(o.status.success());
    }
}

#[test]
fn merge_opens_only_plain_files_inside_each_shard_directory() {
    for file in ["shard-state.bin", "manifest.json", "bands.csv"] {
        let dir = tempfile::tempdir().unwrap();
        shards(dir.path());
        let kinds = specials(dir.path());
        for (special, kind) in kinds {
            let target = dir.path().join("s1").join(file);
            std::fs::remove_file(&target).unwrap();
            std::os::unix::fs::symlink(&special, &target).unwrap();
            let o = nexus_within(&["merge", "s0", "s1", "--out", "m"], dir.path(), 10.0);
            assert_bad_input(&o, kind);
            assert!(
                !dir.path().join("m").exists(),
                "{file} as {kind}: nothing written"
            );
        }
    }
    // A FIFO itself in place of the state file (not a link to one).
    let dir = tempfile::tempdir().unwrap();
    shards(dir.path());
    let state = dir.path().join("s1/shard-state.bin");
    std::fs::remove_file(&state).unwrap();
    fifo(&state);
    let o = nexus_within(&["merge", "s0", "s1", "--out", "m"], dir.path(), 10.0);
    assert_bad_input(&o, "FIFO");
    // Missing, or a directory: a message about the shard, never "cannot write".
    std::fs::remove_file(&state).unwrap();
    for kind in ["No such file", "is a directory"] {
        if kind == "is a directory" {
            std::fs::create_dir(&state).unwrap();
        }
        let o = nexus_within(&["merge", "s0", "s1", "--out", "m"], dir.path(), 10.0);
        assert_bad_input(&o, kind);
        let err = crate::common::stderr(&o);
        assert!(
            err.contains("s1/shard-state.bin") && err.contains("rerun"),
            "{err}"
        );
        assert!(!err.contains("cannot write"), "{err}");
    }
}

#[test]
fn listed_files_past_their_ceiling_or_behind_a_link_are_refused_before_hashing() {
    let dir = tempfile::tempdir().unwrap();
    shards(dir.path());
    let o = nexus(&["run", "-n", "1000", "--out", "r", "-q"], dir.path());
    assert!(o.status.success());
    let copy = |from: &str, to: &str| {
        let to = dir.path().join(to);
        let _ = std::fs::remove_dir_all(&to);
        std::fs::create_dir(&to).unwrap();
        for e in std::fs::read_dir(dir.path().join(from)).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    };
    let grow = |path: &str, bytes: u64| {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join(path))
            .unwrap();
        f.set_len(bytes).unwrap();
    };
    // Sparse giants: a table past 1 GiB, a state far past what its runs
    // can fill; each refused in well under the time a hash would take.
    for (table, bytes, says) in [
        ("histogram.csv", 100 << 30, "more than the 1,073,741,824"),
        ("claims.csv", 5 << 30, "more than the 1,073,741,824"),
        (
            "shard-state.bin",
            3 << 30,
            "more than the state of 4,096 runs",
        ),
    ] {
        copy("s1", "h");
        grow(&format!("h/{table}"), bytes);
        let o = nexus_within(&["merge", "s0", "h", "--out", "m"], dir.path(), 5.0);
        assert_bad_input(&o, says);
        if table != "shard-state.bin" {
            copy("r", "rr");
            grow(&format!("rr/{table}"), bytes);
            let o = nexus_within(&["report", "rr", "--out", "p"], dir.path(), 5.0);
            assert_bad_input(&o, says);
        }
    }
    // A listed file that links to the same bytes elsewhere: refused too,
    // since nexus-mc writes only regular files into its sets.
    copy("s1", "h");
    std::fs::rename(
        dir.path().join("h/bands.csv"),
        dir.path().join("bands-elsewhere.csv"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("bands-elsewhere.csv"),
        dir.path().join("h/bands.csv"),
    )
    .unwrap();
    let o = nexus_within(&["merge", "s0", "h", "--out", "m"], dir.path(), 5.0);
    assert_bad_input(&o, "is a symbolic link");
    // A state that does not start as one is refused before it is hashed.
    copy("s1", "h");
    let state = dir.path().join("h/shard-state.bin");
    let mut bytes = std::fs::read(&state).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&state, &bytes).unwrap();
    let o = nexus_within(&["merge", "s0", "h", "--out", "m"], dir.path(), 5.0);
    assert_bad_input(&o, "is not a nexus-mc shard state file");
    assert!(!dir.path().join("m").exists());
}

#[test]
fn a_manifest_that_lists_files_outside_its_directory_is_refused() {
    for listed in [
        "../../etc/hostname",
        "/dev/zero",
        "../s0/bands.csv",
        "charts/../../x",
    ] {
        let dir = tempfile::tempdir().unwrap();
        shards(dir.path());
        let path = dir.path().join("s1/manifest.json");
        let mut manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        manifest["files"]
            .as_array_mut()
            .unwrap()
            .push(listed.into());
        manifest["sha256"][listed] = "00".into();
        std::fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
        let o = nexus_within(&["merge", "s0", "s1", "--out", "m"], dir.path(), 10.0);
        assert_bad_input(
            &o,
            &format!("lists `{listed}`, which is not a file name inside"),
        );
    }
}

/// A scenario on top of central with `displacement` drawn from `body`.
fn with_displacement(body: &str) -> String {
    format!(
        "[scenario]\nname = \"extreme\"\nextends = \"central\"\n\n[parameters.displacement]\n{body}\nunit = \"share\"\nsource = \"test\"\nrationale = \"test\"\n"
    )
}

#[test]
fn every_family_at_its_extremes_is_answered_in_bounded_time() {
    let mut bodies: Vec<String> = Vec::new();
    for mean in ["1e-9", "0.3", "0.999999999"] {
        for sd in ["1e-300", "1e-12", "2e-6", "1e-3", "0.45"] {
            bodies.push(format!("dist = \"beta\"\nmean = {mean}\nsd = {sd}"));
        }
    }
    let shapes = ["1e-300", "1e-12", "1e-3", "1", "1e6", "1e7", "1e9", "1e300"];
    for a in shapes {
        for b in shapes {
            bodies.push(format!("dist = \"beta\"\nalpha = {a}\nbeta = {b}"));
        }
    }
    for lambda in ["1e-300", "1e-9", "4", "1e6", "1e7", "1e300"] {
        for mode in ["0", "1e-12", "0.3", "1"] {
            bodies.push(format!(
                "dist = \"pert\"\nmin = 0\nmode = {mode}\nmax = 1\nlambda = {lambda}"
            ));
        }
    }
    for (mean, sd) in [
        ("0.5", "1e-300"),
        ("-1e300", "1"),
        ("1e9", "1e-9"),
        ("0.5", "1e300"),
    ] {
        bodies.push(format!(
            "dist = \"truncnormal\"\nmean = {mean}\nsd = {sd}\nmin = 0\nmax = 1"
        ));
    }
    for (mean, sd) in [("1e-300", "1e300"), ("0.3", "1e300"), ("1e300", "1e-300")] {
        bodies.push(format!("dist = \"lognormal\"\nmean = {mean}\nsd = {sd}"));
    }
    for (min, max) in [("-1e308", "1e308"), ("-1.7e308", "0")] {
        bodies.push(format!(
            "dist = \"beta\"\nmean = 0.5\nsd = 0.1\nmin = {min}\nmax = {max}"
        ));
    }
    for (min, mode, max) in [
        ("0", "0", "1e-300"),
        ("0", "1e-300", "1e-300"),
        ("1e-300", "0.5", "1"),
    ] {
        bodies.push(format!(
            "dist = \"triangular\"\nmin = {min}\nmode = {mode}\nmax = {max}"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    for body in &bodies {
        std::fs::write(dir.path().join("x.toml"), with_displacement(body)).unwrap();
        let start = std::time::Instant::now();
        let o = nexus_within(&["validate", "x.toml"], dir.path(), 10.0);
        let took = start.elapsed().as_secs_f64();
        assert!(took < 2.0, "validate took {took:.1} s on\n{body}");
        let code = o.status.code();
        assert!(code == Some(0) || code == Some(2), "{body}: exit {code:?}");
        if code == Some(2) {
            // Refused: the message names the parameter, and the key whose
            // value is out of reach (not a shape the user never wrote).
            let err = crate::common::stderr(&o);
            assert!(err.contains("parameters.displacement"), "{body}\n{err}");
            assert!(!err.contains("NaN"), "{body}\n{err}");
            if body.contains("lambda") && !err.contains("mode") {
                assert!(err.contains("lambda ="), "{body}\n{err}");
            }
            if body.contains("sd =") && !body.contains("lognormal") && err.contains("shapes") {
                assert!(err.contains("sd ="), "{body}\n{err}");
            }
            continue;
        }
        // Accepted: the printed percentiles are numbers, in order.
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            !out.contains("NaN") && !out.contains("inf"),
            "{body}\n{out}"
        );
        let row = out
            .lines()
            .find(|l| l.trim_start().starts_with("displacement "))
            .unwrap_or_else(|| panic!("no displacement row:\n{out}"));
        let fields: Vec<f64> = row
            .split_whitespace()
            .rev()
            .skip(1)
            .take(3)
            .map(|f| f.replace(',', "").parse().unwrap())
            .collect();
        assert!(
            fields[2] <= fields[1] && fields[1] <= fields[0],
            "{body}: P5, P50, P95 out of order in\n{row}"
        );
        let o = nexus_within(
            &[
                "run", "-n", "2000", "--config", "x.toml", "--out", "o", "-q",
            ],
            dir.path(),
            20.0,
        );
        let code = o.status.code();
        assert!(
            code == Some(0) || code == Some(2),
            "{body}: run exit {code:?}: {}",
            crate::common::stderr(&o)
        );
    }
}

#[test]
fn shard_counts_past_the_chunks_are_refused_and_missing_shards_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    // 5,000 runs make 3 chunks of 2,048.
    for shard in [
        "0/4",
        "3/4",
        "0/1000",
        "0/1000000000000",
        "0/18446744073709551615",
    ] {
        let o = nexus_within(
            &["run", "-n", "5000", "--shard", shard, "--out", "s"],
            dir.path(),
            10.0,
        );
        assert_bad_input(&o, "use at most 3 shards or more runs");
        assert!(!dir.path().join("s").exists());
    }
    // Counts are exact, however large.
    let o = nexus(
        &[
            "run",
            "-n",
            "5000",
            "--shard",
            "0/18446744073709551615",
            "--out",
            "s",
        ],
        dir.path(),
    );
    assert_bad_input(&o, "18,446,744,073,709,551,615 shards");
    // One shard of many: the message names a few and counts the rest.
    let o = nexus(
        &[
            "run", "-n", "500000", "--shard", "7/200", "--out", "s7", "-q",
        ],
        dir.path(),
    );
    assert!(o.status.success());
    let o = nexus_within(&["merge", "s7", "--out", "m"], dir.path(), 10.0);
    assert_bad_input(
        &o,
        "199 of 200 shards are missing (0/200, 1/200, 2/200, 3/200, 4/200, ...)",
    );
    assert!(crate::common::stderr(&o).len() < 400, "a bounded message");
}

#[test]
fn confidence_levels_whose_intervals_are_not_finite_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for c in [
        "0.9999999999999999",
        "0.99999",
        "1",
        "0.4",
        "0",
        "nan",
        "inf",
    ] {
        let o = nexus_within(
            &[
                "sensitivity",
                "-n",
                "256",
                "--method",
                "sobol,shapley",
                "--confidence",
                c,
                "--out",
                "s",
            ],
            dir.path(),
            10.0,
        );
        assert_bad_input(&o, "0.5 to 0.9999");
        assert!(!dir.path().join("s").exists());
    }
    // At the edge, every interval in every file is finite.
    let o = nexus(
        &[
            "sensitivity",
            "-n",
            "256",
            "--method",
            "sobol,shapley",
            "--permutations",
            "100",
            "--confidence",
            "0.9999",
            "--out",
            "s",
            "-q",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    for file in ["sobol.csv", "indices_by_year.csv", "shapley.csv"] {
        let text = std::fs::read_to_string(dir.path().join("s").join(file)).unwrap();
        for cell in text.lines().skip(1).flat_map(|l| l.split(',')) {
            if let Ok(x) = cell.parse::<f64>() {
                assert!(x.is_finite(), "{file}: {cell}");
            }
            assert!(!["NaN", "inf", "-inf"].contains(&cell), "{file}: {cell}");
        }
    }
}

#[test]
fn samples_never_replace_a_special_file_nor_without_force_a_file_not_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |samples: &str, force: bool| {
        let mut args = vec![
            "run",
            "-n",
            "1000",
            "--samples",
            samples,
            "--out",
            "o",
            "-q",
        ];
        if force {
            args.push("--force");
        }
        nexus_within(&args, d, 20.0)
    };
    // Special files: refused even with --force, and left as they were.
    for (special, kind) in specials(d) {
        let name = special.to_str().unwrap();
        // A link is refused as a link, whatever it points to.
        let kind = if name.ends_with("link-to-zero") {
            "symbolic link"
        } else {
            kind
        };
        for force in [false, true] {
            let o = run(name, force);
            assert_bad_input(&o, kind);
        }
        let meta = std::fs::symlink_metadata(&special).unwrap();
        assert!(!meta.is_file(), "{name} is still what it was");
    }
    // Another output set's file, a new file in it, and a shard's state:
    // refused, with --force too.
    let o = nexus(&["run", "-n", "1000", "--out", "other", "-q"], d);
    assert!(o.status.success());
    let o = nexus(
        &["run", "-n", "5000", "--shard", "0/2", "--out", "s2", "-q"],
        d,
    );
    assert!(o.status.success());
    for victim in [
        "other/bands.csv",
        "other/manifest.json",
        "s2/shard-state.bin",
    ] {
        let before = std::fs::read(d.join(victim)).unwrap();
        for force in [false, true] {
            assert_bad_input(&run(victim, force), "an output set of nexus-mc");
        }
        assert_eq!(
            std::fs::read(d.join(victim)).unwrap(),
            before,
            "{victim} untouched"
        );
    }
    for force in [false, true] {
        assert_bad_input(&run("other/new.csv", force), "an output set of nexus-mc");
        assert!(!d.join("other/new.csv").exists());
    }
    // The set is still whole: a rerun into it needs no --force.
    let o = nexus(&["run", "-n", "1000", "--out", "other", "-q"], d);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    // A samples file is replaced; with --force, any regular file.
    assert!(run("samples.csv", false).status.success());
    assert!(run("samples.csv", false).status.success());
    std::fs::write(d.join("notes.txt"), "mine").unwrap();
    assert_bad_input(&run("notes.txt", false), "--force");
    assert!(run("notes.txt", true).status.success());
    assert!(nexus_mc::output::is_samples_file(&d.join("notes.txt")));
}

#[test]
fn report_refuses_a_table_that_changed_since_it_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = nexus(&["run", "-n", "2000", "--out", "r", "-q"], d);
    assert!(o.status.success());
    let o = nexus(
        &[
            "sensitivity",
            "-n",
            "256",
            "--method",
            "sobol,tornado",
            "--out",
            "s",
            "-q",
        ],
        d,
    );
    assert!(o.status.success());
    let bands = std::fs::read_to_string(d.join("r/bands.csv")).unwrap();
    let header = bands.lines().next().unwrap().to_string();
    let first = bands.lines().nth(1).unwrap().to_string();
    let fields: Vec<&str> = first.split(',').collect();
    let edited = {
        let mut f = fields.clone();
        f[4] = "-1e308"; // p05
        bands.replacen(&first, &f.join(","), 1)
    };
    let sobol = std::fs::read_to_string(d.join("s/sobol.csv")).unwrap();
    let cases: Vec<(&str, String)> = vec![
        ("r/bands.csv", format!("{header}\n")),
        ("r/bands.csv", edited),
        ("r/claims.csv", String::new()),
        ("s/sobol.csv", sobol.replacen("0.", "9.", 1)),
    ];
    for (file, text) in cases {
        let path = d.join(file);
        let keep = std::fs::read(&path).unwrap();
        std::fs::write(&path, &text).unwrap();
        let o = nexus_within(&["report", "r", "s", "--out", "rep"], d, 10.0);
        assert_bad_input(&o, "has changed since nexus-mc wrote it");
        assert!(crate::common::stderr(&o).contains(file.split('/').nth(1).unwrap()));
        assert!(!d.join("rep").exists(), "{file}: nothing drawn");
        std::fs::write(&path, keep).unwrap();
    }
    // A table removed from the set is missing, not silently left out.
    std::fs::remove_file(d.join("r/bands.csv")).unwrap();
    let o = nexus_within(&["report", "r", "--out", "rep"], d, 10.0);
    assert_eq!(o.status.code(), Some(2));
    assert!(crate::common::stderr(&o).contains("bands.csv"));
}

#[test]
fn names_too_long_for_the_staging_directory_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    // `.NAME.nexus-mc-new-XXXXXX` must fit 255 bytes: NAME at most 234.
    for len in [235, 240, 255] {
        let name = "a".repeat(len);
        for cmd in [
            &["run", "-n", "100000", "--out", &name][..],
            &["sensitivity", "-n", "256", "--out", &name],
            &["baseline", "--out", &name],
        ] {
            let o = nexus_within(cmd, dir.path(), 5.0);
            assert_bad_input(&o, "use a name of at most 234 bytes");
        }
    }
    let name = "a".repeat(234);
    let o = nexus(&["run", "-n", "1000", "--out", &name, "-q"], dir.path());
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
}

#[test]
fn refusals_suggest_a_change_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Too many threads for the memory (1,024 threads need about 85 GB, more
    // than this project's 24 GiB machines have): the suggestion, taken, runs.
    let o = nexus(&["run", "--threads", "1024", "-n", "1000", "--out", "o"], d);
    let err = crate::common::stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let suggested = err
        .split("use --threads ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no thread count suggested: {err}"));
    let o = nexus(
        &[
            "run",
            "--threads",
            suggested,
            "-n",
            "1000",
            "--quantiles",
            "sketch",
            "--out",
            "o",
            "-q",
        ],
        d,
    );
    assert!(
        o.status.success(),
        "--threads {suggested}: {}",
        crate::common::stderr(&o)
    );
    // A Sobol study too large for memory names -n, not a flag it does not use.
    let o = nexus(
        &[
            "sensitivity",
            "--method",
            "sobol",
            "-n",
            "16777216",
            "--out",
            "s",
        ],
        d,
    );
    assert_bad_input(&o, "(sobol)");
    assert!(!crate::common::stderr(&o).contains("trajectories"));
    // A seed is a plain number, as a run count is: no stray spaces.
    assert_bad_input(
        &nexus(&["run", "-n", "1000", "--seed", " 1", "--out", "o"], d),
        "is not a seed",
    );
    // Underscores group digits, nothing else.
    for n in ["_10", "10_", "1__000"] {
        assert_bad_input(
            &nexus(&["run", "-n", n, "--out", "o"], d),
            "underscores go between digits",
        );
    }
    // baseline --out on a file is bad input, and leaves nothing behind.
    std::fs::write(d.join("f"), "").unwrap();
    assert_bad_input(&nexus(&["baseline", "--out", "f"], d), "not a directory");
}

#[test]
fn under_an_address_space_limit_commands_finish_or_refuse_at_start_never_abort() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_nexus-mc");
    let commands: [&[&str]; 6] = [
        &["run", "--out", "o", "-q"],
        &[
            "run",
            "-n",
            "2e5",
            "--quantiles",
            "exact",
            "--out",
            "o",
            "-q",
        ],
        &["bridge", "-n", "1000", "--out", "o", "-q"],
        &["sensitivity", "-n", "4096", "--out", "o", "-q"],
        &[
            "sensitivity",
            "-n",
            "4096",
            "--permutations",
            "100",
            "--out",
            "o",
            "-q",
        ],
        &[
            "sensitivity",
            "-n",
            "4096",
            "--method",
            "sobol",
            "--out",
            "o",
            "-q",
        ],
    ];
    // Each either finishes or is refused at start (exit 2, with the memory
    // it would need): the estimate and the allocator (one arena under the
    // limit) keep a command from running out of memory halfway.
    for kb in [200_000, 250_000, 300_000, 700_000] {
        for args in commands {
            let _ = std::fs::remove_dir_all(dir.path().join("o"));
            let o = Command::new("sh")
                .arg("-c")
                .arg(format!("ulimit -v {kb} && exec \"$0\" \"$@\""))
                .arg(bin)
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            let what = format!("ulimit -v {kb}: {args:?}: {:?}: {err}", o.status);
            match o.status.code() {
                Some(0) => assert!(dir.path().join("o/manifest.json").is_file(), "{what}"),
                Some(2) => assert!(err.contains("would need about"), "{what}"),
                _ => panic!("neither done nor refused at start: {what}"),
            }
        }
    }
}

#[test]
fn with_too_few_file_descriptors_nothing_is_left_behind() {
    let bin = env!("CARGO_BIN_EXE_nexus-mc");
    let inputs = tempfile::tempdir().unwrap();
    shards(inputs.path());
    let o = nexus(&["run", "-n", "1000", "--out", "r", "-q"], inputs.path());
    assert!(o.status.success());
    // Each command, and the file its complete set always holds.
    let commands: [(&[&str], &str); 5] = [
        (&["run", "-n", "1000", "--out", "on", "-q"], "manifest.json"),
        (
            &[
                "run",
                "-n",
                "1000",
                "--out",
                "on",
                "--samples",
                "s.csv",
                "-q",
            ],
            "manifest.json",
        ),
        (&["report", "R", "--out", "on"], "report.html"),
        (&["merge", "S0", "S1", "--out", "on", "-q"], "manifest.json"),
        (
            &["sensitivity", "-n", "256", "--out", "on", "-q"],
            "manifest.json",
        ),
    ];
    for fds in [4, 5, 6, 8] {
        for (args, complete) in commands {
            let dir = tempfile::tempdir().unwrap();
            let args: Vec<String> = args
                .iter()
                .map(|a| match *a {
                    "R" => inputs.path().join("r").display().to_string(),
                    "S0" => inputs.path().join("s0").display().to_string(),
                    "S1" => inputs.path().join("s1").display().to_string(),
                    a => a.to_string(),
                })
                .collect();
            let o = Command::new("sh")
                .arg("-c")
                .arg(format!("ulimit -n {fds} && exec \"$0\" \"$@\""))
                .arg(bin)
                .args(&args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            let code = o.status.code();
            let what = format!("ulimit -n {fds}, {args:?}, exit {code:?}");
            assert!(matches!(code, Some(0..=2)), "{what}");
            let left: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains("nexus-mc"))
                .collect();
            assert!(left.is_empty(), "{what}: left {left:?}");
            if code == Some(0) {
                assert!(dir.path().join("on").join(complete).is_file(), "{what}");
            } else {
                assert!(!dir.path().join("on").exists(), "{what}: a partial set");
            }
        }
    }
}

/// A tmpfs of `kb` KiB mounted on a fresh directory, unmounted when dropped:
/// a real full disk, made here (needs root, as the tests have in CI).
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn new(kb: u32) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kb}k"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(mounted.success(), "mount tmpfs (the tests need root)");
        SmallDisk(dir)
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    /// Shrinks the disk to what it holds now.
    fn fill(&self) {
        let used = Command::new("df")
            .args(["--output=used", "-k"])
            .arg(self.path())
            .output()
            .unwrap();
        let used: u64 = String::from_utf8_lossy(&used.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse().ok())
            .expect("df reports the used KiB");
        let remounted = Command::new("mount")
            .args(["-o", &format!("remount,size={}k", used.max(4))])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(remounted.success());
    }

    /// Names in the disk's top directory.
    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

#[test]
fn a_full_disk_fails_with_a_message_and_leaves_no_directory_or_part_of_a_set() {
    let commands: [(&[&str], &str); 3] = [
        (&["baseline", "--out", "o"], "baseline.csv"),
        (&["run", "-n", "1000", "--out", "o", "-q"], "manifest.json"),
        (
            &["sensitivity", "-n", "256", "--out", "o", "-q"],
            "manifest.json",
        ),
    ];
    for kb in [4, 8, 16, 64] {
        for (args, last) in commands {
            let disk = SmallDisk::new(kb);
            let o = nexus_within(args, disk.path(), 60.0);
            let err = crate::common::stderr(&o);
            let what = format!("{kb} KiB, {args:?}: {:?}: {err}", o.status);
            match o.status.code() {
                Some(0) => assert!(disk.path().join("o").join(last).is_file(), "{what}"),
                Some(1) => {
                    assert!(err.contains("No space left on device"), "{what}");
                    assert!(disk.names().is_empty(), "{what}: left {:?}", disk.names());
                }
                _ => panic!("{what}"),
            }
        }
    }
    // A complete set, then a forced rerun on a disk with no room left: the
    // earlier set stays as it was.
    let disk = SmallDisk::new(1024);
    let o = nexus(&["run", "-n", "1000", "--out", "o", "-q"], disk.path());
    assert!(o.status.success());
    let before = std::fs::read(disk.path().join("o/bands.csv")).unwrap();
    disk.fill();
    let o = nexus(
        &[
            "run", "-n", "1000", "--seed", "7", "--out", "o", "--force", "-q",
        ],
        disk.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", crate::common::stderr(&o));
    assert_eq!(
        std::fs::read(disk.path().join("o/bands.csv")).unwrap(),
        before
    );
    assert_eq!(disk.names(), ["o"]);
}

/// One damage to a pair of shard directories: a listed file replaced by a
/// special file, or the manifest's file list or checksums edited.
#[derive(Clone, Debug)]
enum Damage {
    /// File `file` of shard `shard` becomes special file `kind`.
    Special {
        shard: usize,
        file: usize,
        kind: usize,
    },
    /// `name` is added to the manifest's file list, with a checksum.
    List { shard: usize, name: usize },
    /// Listed file `file` is dropped from the manifest.
    Unlist { shard: usize, file: usize },
    /// The value of manifest key `key` becomes `value`.
    Field {
        shard: usize,
        key: usize,
        value: usize,
    },
}

const SHARD_FILES: [&str; 5] = [
    "manifest.json",
    "shard-state.bin",
    "bands.csv",
    "claims.csv",
    "histogram.csv",
];
const SPECIALS: [&str; 6] = [
    "fifo",
    "link to zeros",
    "link to a directory",
    "dangling link",
    "directory",
    "sparse 4 GB file",
];
const HOSTILE_NAMES: [&str; 10] = [
    "../s0/bands.csv",
    "/dev/zero",
    "..",
    ".",
    "",
    "charts/../../x",
    "zero",
    "pipe",
    "bands.csv",
    "a-very-long-name-that-no-file-system-has-a-place-for-and-that-goes-on-past-two-hundred-and-fifty-five-bytes-of-length-so-that-opening-it-fails-with-a-name-too-long-error-rather-than-not-found-and-the-reader-must-still-answer-with-a-message-naming-the-shard-directory-it-came-from.csv",
];
const KEYS: [&str; 6] = ["runs", "runs_here", "shard", "files", "sha256", "seed"];

fn damage() -> impl proptest::strategy::Strategy<Value = Damage> {
    use proptest::prelude::*;
    prop_oneof![
        (0..2usize, 0..SHARD_FILES.len(), 0..SPECIALS.len())
            .prop_map(|(shard, file, kind)| Damage::Special { shard, file, kind }),
        (0..2usize, 0..HOSTILE_NAMES.len()).prop_map(|(shard, name)| Damage::List { shard, name }),
        (0..2usize, 1..SHARD_FILES.len()).prop_map(|(shard, file)| Damage::Unlist { shard, file }),
        (0..2usize, 0..KEYS.len(), 0..6usize).prop_map(|(shard, key, value)| Damage::Field {
            shard,
            key,
            value
        }),
    ]
}

fn apply_damage(dir: &Path, d: &Damage) {
    let manifest = |shard: usize| dir.join(format!("s{shard}/manifest.json"));
    let edit = |shard: usize, f: &dyn Fn(&mut serde_json::Value)| {
        let path = manifest(shard);
        // An earlier damage may have made the manifest special: leave it so.
        let Ok(text) = std::fs::read_to_string(&path) else {
            return;
        };
        let Ok(mut json) = serde_json::from_str::<serde_json::Value>(&text) else {
            return;
        };
        f(&mut json);
        std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    };
    match *d {
        Damage::Special { shard, file, kind } => {
            let target = dir.join(format!("s{shard}/{}", SHARD_FILES[file]));
            if target.is_dir() {
                let _ = std::fs::remove_dir_all(&target);
            } else {
                let _ = std::fs::remove_file(&target);
            }
            match kind {
                0 => fifo(&target),
                1 => std::os::unix::fs::symlink(dir.join("zero"), &target).unwrap(),
                2 => std::os::unix::fs::symlink(dir.join("s0"), &target).unwrap(),
                3 => std::os::unix::fs::symlink(dir.join("nothing"), &target).unwrap(),
                4 => std::fs::create_dir(&target).unwrap(),
                _ => std::fs::File::create(&target)
                    .unwrap()
                    .set_len(4 << 30)
                    .unwrap(),
            }
        }
        Damage::List { shard, name } => edit(shard, &|m| {
            let name = HOSTILE_NAMES[name];
            if let Some(f) = m["files"].as_array_mut() {
                f.push(name.into());
            }
            if let Some(sums) = m["sha256"].as_object_mut() {
                sums.insert(name.into(), "00".into());
            }
        }),
        Damage::Unlist { shard, file } => edit(shard, &|m| {
            let name = SHARD_FILES[file];
            if let Some(f) = m["files"].as_array_mut() {
                f.retain(|x| x.as_str() != Some(name));
            }
        }),
        Damage::Field { shard, key, value } => edit(shard, &|m| {
            let values = [
                serde_json::json!(0),
                serde_json::json!(-1),
                serde_json::json!(u64::MAX),
                serde_json::json!(1e308),
                serde_json::json!("8192"),
                serde_json::json!(null),
            ];
            m[KEYS[key]] = values[value].clone();
        }),
    }
}

/// Two finished shards of one run and their merge, made once.
fn shard_template() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        shards(dir.path());
        let o = nexus(&["merge", "s0", "s1", "--out", "m", "-q"], dir.path());
        assert!(o.status.success());
        dir
    })
    .path()
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: 48,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5a_2d_d1),
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    })]

    /// Shard directories with special files and hostile manifests, one to
    /// three damages at a time: `merge` answers within seconds, refuses with
    /// exit 2 and writes nothing, or merges to the very bytes of the
    /// undamaged merge (a damage it may ignore, such as an unlisted table).
    #[test]
    fn damaged_shard_directories_are_refused_or_merge_to_the_same_bytes(
        damages in proptest::collection::vec(damage(), 1..4)
    ) {
        let template = shard_template();
        let dir = tempfile::tempdir().unwrap();
        for k in 0..2 {
            let to = dir.path().join(format!("s{k}"));
            std::fs::create_dir(&to).unwrap();
            for f in SHARD_FILES {
                std::fs::copy(template.join(format!("s{k}/{f}")), to.join(f)).unwrap();
            }
        }
        zero_device(&dir.path().join("zero"));
        fifo(&dir.path().join("pipe"));
        for d in &damages {
            apply_damage(dir.path(), d);
        }
        let o = nexus_within(&["merge", "s0", "s1", "--out", "m", "-q"], dir.path(), 20.0);
        let err = crate::common::stderr(&o);
        let what = format!("{damages:?}: {:?}: {err}", o.status);
        proptest::prop_assert!(!err.contains("panicked"), "{}", what);
        match o.status.code() {
            Some(0) => {
                for f in ["bands.csv", "claims.csv", "histogram.csv"] {
                    proptest::prop_assert_eq!(
                        std::fs::read(dir.path().join("m").join(f)).unwrap(),
                        std::fs::read(template.join("m").join(f)).unwrap(),
                        "{}: {}", what, f
                    );
                }
            }
            Some(2) => {
                proptest::prop_assert!(err.starts_with("error: "), "{}", what);
                proptest::prop_assert!(!dir.path().join("m").exists(), "{}", what);
            }
            _ => proptest::prop_assert!(false, "{}", what),
        }
    }
}
