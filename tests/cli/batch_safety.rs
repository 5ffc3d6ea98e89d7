//! What an unattended batch job relies on: sizes refused before anything is
//! allocated, Ctrl-C honoured at any size, damaged shards refused, output
//! sets replaced whole or not at all even under SIGKILL, and no output path
//! that is an input.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{assert_bad_input, nexus, read, stderr};

#[test]
fn sizes_out_of_reach_are_refused_at_once_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["run", "-n", "1e14"], "more than the 1,000,000,000,000"),
        (&["run", "-n", "18446744073709551615"], "more than"),
        (
            &["run", "-n", "1000000000001"],
            "more than the 1,000,000,000,000",
        ),
        (
            &["run", "-n", "3e6", "--quantiles", "exact"],
            "--quantiles sketch",
        ),
        (&["run", "-n", "-5"], "negative"),
        (&["run", "--seed", "-1"], "not a seed"),
        (&["run", "--threads", "100000"], "more than the 1024"),
        (&["sensitivity", "-n", "1e12"], "more than the 16,777,216"),
        (
            &["sensitivity", "--trajectories", "1000000000"],
            "outside 10 to 1,000,000",
        ),
        (
            &["sensitivity", "--replicates", "1000000000"],
            "outside 8 to 64",
        ),
        (&["sensitivity", "--seed", "-1"], "not a seed"),
    ];
    for (args, expect) in cases {
        let o = nexus_within(args, dir.path(), 10.0);
        assert_bad_input(&o, expect);
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(
        left.is_empty(),
        "a refused command writes nothing: {left:?}"
    );
}

#[test]
fn sizes_too_small_to_estimate_anything_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["sensitivity", "-n", "1"], "at least 256"),
        (
            &["sensitivity", "--method", "rank", "-n", "100"],
            "at least 256",
        ),
        (
            &["sensitivity", "--method", "morris", "--trajectories", "0"],
            "outside 10 to 1,000,000",
        ),
        (
            &["sensitivity", "--method", "sobol", "--replicates", "0"],
            "outside 8 to 64",
        ),
        (
            &["sensitivity", "--method", "sobol", "-n", "1000"],
            "not a multiple of --replicates 16",
        ),
        (
            &[
                "sensitivity",
                "--method",
                "sobol",
                "-n",
                "256",
                "--replicates",
                "32",
            ],
            "at least 16 points each",
        ),
    ];
    for (args, expect) in cases {
        assert_bad_input(&nexus_within(args, dir.path(), 30.0), expect);
    }
}

/// Sends `signal` to a running `nexus-mc`.
#[cfg(unix)]
fn signal(child: &std::process::Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Starts `args` in an empty directory, interrupts it (SIGINT, as Ctrl-C
/// does) once it is working, and checks that it stops within 2 s with exit
/// 130 and leaves nothing behind.
#[cfg(unix)]
fn ctrl_c_stops(args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_nexus-mc"))
        .args(args)
        .args(["--out", "new/res", "--quiet"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let sent = Instant::now();
    signal(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    assert_eq!(out.status.code(), Some(130), "{args:?}: {}", stderr(&out));
    assert!(
        stderr(&out).contains("interrupted"),
        "{args:?}: {}",
        stderr(&out)
    );
    assert!(
        took < Duration::from_secs(2),
        "{args:?} took {took:?} to stop"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "{args:?} left {left:?} behind");
}

#[cfg(unix)]
#[test]
fn ctrl_c_ends_every_long_command_within_2_s_and_leaves_nothing() {
    // 10^12 runs, the most a run may have: its plan lists no chunks and its
    // memory does not grow with the runs, so it starts at once.
    ctrl_c_stops(&["run", "-n", "1e12"]);
    // About 5 M model runs of the Sobol design: tens of seconds.
    ctrl_c_stops(&["sensitivity", "-n", "262144", "--method", "sobol"]);
    // 2 M runs for each of 2^k subsets of steps: minutes.
    ctrl_c_stops(&["bridge", "-n", "2000000"]);
}

/// Whether `dir` holds one complete output set: a manifest whose files are
/// all there with their checksums, and nothing else. Returns its seed.
fn complete_set(dir: &Path) -> Result<u64, String> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).map_err(|e| e.to_string())?;
    let manifest: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let files: Vec<String> = manifest["files"]
        .as_array()
        .ok_or("no file list")?
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    let mut present: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f != "manifest.json" && !f.starts_with(".nexus-mc-"))
        .collect();
    present.sort();
    let mut listed = files.clone();
    listed.sort();
    if present != listed {
        return Err(format!("holds {present:?}, the manifest lists {listed:?}"));
    }
    for f in &files {
        let bytes = std::fs::read(dir.join(f)).map_err(|e| e.to_string())?;
        let digest = sha256_hex(&bytes);
        if manifest["sha256"][f] != digest.as_str() {
            return Err(format!("{f} does not match its checksum"));
        }
    }
    Ok(manifest["seed"].as_u64().unwrap())
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A shard with exact quantiles writes a large state file, so the write
/// phase is long enough for kills to land in it.
fn exact_shard_args(seed: &str) -> Vec<String> {
    [
        "run",
        "-n",
        "60000",
        "--quantiles",
        "exact",
        "--shard",
        "0/1",
        "--seed",
        seed,
        "--out",
        "res",
        "-q",
    ]
    .map(String::from)
    .to_vec()
}

/// The staging directories of `res` that stand in `dir`.
fn staging(dir: &Path) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".res.nexus-mc-"))
        .collect()
}

#[cfg(unix)]
#[test]
fn a_killed_run_leaves_the_earlier_set_or_the_new_one_never_a_mix() {
    let dir = tempfile::tempdir().unwrap();
    let res = dir.path().join("res");
    let args = exact_shard_args("1");
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let start = Instant::now();
    let o = nexus(&args, dir.path());
    let whole = start.elapsed();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(complete_set(&res), Ok(1));

    let kills = 30;
    let mut seen = std::collections::BTreeSet::new();
    let mut last = 1;
    let mut in_write_phase = 0;
    for i in 0..kills {
        let seed = (i + 2).to_string();
        let args = exact_shard_args(&seed);
        let before = staging(dir.path());
        // A staging directory this run made (a killed run's is cleaned by
        // the next one).
        let its_own = || staging(dir.path()).difference(&before).next().is_some();
        let mut child = Command::new(env!("CARGO_BIN_EXE_nexus-mc"))
            .args(&args)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Even kills: spread over the whole command, by the clock. Odd
        // kills: a few milliseconds after the staging directory appears, so
        // that they land in the write phase however loaded the machine is.
        let at = if i % 2 == 0 {
            let at = whole.mul_f64(0.3 + 0.9 * i as f64 / kills as f64);
            std::thread::sleep(at);
            at
        } else {
            let begun = Instant::now();
            while !its_own() && child.try_wait().unwrap().is_none() && begun.elapsed() < whole * 20
            {
                std::thread::sleep(Duration::from_micros(200));
            }
            let after = Duration::from_micros(700 * i as u64);
            std::thread::sleep(after);
            begun.elapsed()
        };
        let _ = child.kill();
        let status = child.wait().unwrap();
        let seed_now =
            complete_set(&res).unwrap_or_else(|e| panic!("kill {i} at {at:?} ({status}): {e}"));
        seen.insert(if status.success() {
            "finished"
        } else {
            "killed"
        });
        // A staging directory left beside --out: this kill landed in the
        // write phase (the run before it removed any older one).
        if its_own() && !status.success() {
            in_write_phase += 1;
        }
        // The set is the one before, or this run's if it got through (it
        // may have been killed after putting its set in place).
        let this = (i + 2) as u64;
        assert!(
            seed_now == last || seed_now == this,
            "seed {seed_now} after kill {i}; expected {last} or {this}"
        );
        if status.success() {
            assert_eq!(seed_now, this);
        }
        last = seed_now;
    }
    assert!(seen.contains("killed"), "no kill landed: {seen:?}");
    assert!(
        in_write_phase >= 3,
        "only {in_write_phase} of {kills} kills landed in the write phase"
    );
    // The next run cleans up whatever the killed ones left beside --out.
    let o = nexus(&args, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["res".to_string()], "leftovers: {names:?}");
    assert_eq!(complete_set(&res), Ok(1));
}

#[test]
fn a_rerun_into_a_forced_directory_knows_its_own_set_and_keeps_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let res = dir.path().join("res");
    std::fs::create_dir_all(res.join("notes")).unwrap();
    std::fs::write(res.join("notes/a.txt"), "mine").unwrap();
    let o = nexus(
        &["run", "-n", "1000", "--out", "res", "--force", "-q"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = nexus(&["run", "-n", "1000", "--out", "res", "-q"], dir.path());
    assert_bad_input(&o, "holds an earlier nexus-mc output set and also files");
    assert!(stderr(&o).contains("notes"), "{}", stderr(&o));
    let o = nexus(
        &["run", "-n", "1000", "--out", "res", "--force", "-q"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(&res, "notes/a.txt"), "mine");
    assert!(res.join("bands.csv").is_file());
}

#[test]
fn no_output_path_may_be_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("cfg")).unwrap();
    let scenario = "[scenario]\nname = \"mine\"\nextends = \"central\"\n";
    std::fs::write(d.join("x.toml"), scenario).unwrap();
    std::fs::write(d.join("cfg/x.toml"), scenario).unwrap();
    for k in 0..2 {
        let shard = format!("{k}/2");
        let out = format!("s{k}");
        let o = nexus(
            &["run", "-n", "9000", "--shard", &shard, "--out", &out, "-q"],
            d,
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let before = std::fs::read(d.join("s0/shard-state.bin")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(d.join("s0"), d.join("link")).unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "run",
                "-n",
                "100",
                "--samples",
                "x.toml",
                "--config",
                "x.toml",
            ],
            "scenario file",
        ),
        (
            &["run", "-n", "100", "--samples", "o/bands.csv", "--out", "o"],
            "inside --out",
        ),
        (
            &["run", "-n", "100", "--samples", "o", "--out", "o2"],
            "is a directory",
        ),
        (
            &["run", "-n", "100", "--config", "cfg/x.toml", "--out", "cfg"],
            "an input of this command",
        ),
        (
            &["merge", "s0", "s1", "--out", "s0"],
            "an input of this command",
        ),
        (&["merge", "s0", "s1", "--out", "."], "current directory"),
        (
            &["sensitivity", "--config", "cfg/x.toml", "--out", "cfg"],
            "an input of this command",
        ),
    ];
    std::fs::create_dir(d.join("o")).unwrap();
    for (args, expect) in cases {
        assert_bad_input(&nexus(args, d), expect);
    }
    #[cfg(unix)]
    assert_bad_input(
        &nexus(&["merge", "s0", "s1", "--out", "link"], d),
        "an input of this command",
    );
    assert_eq!(std::fs::read(d.join("s0/shard-state.bin")).unwrap(), before);
    assert_eq!(read(d, "x.toml"), scenario);
}

/// Every damaged shard is refused naming its file, or merges to the same
/// bytes (a change the checks cannot see must not change the result).
#[test]
fn damaged_shards_are_refused_or_merge_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for k in 0..2 {
        let shard = format!("{k}/2");
        let out = format!("s{k}");
        let o = nexus(
            &["run", "-n", "17000", "--shard", &shard, "--out", &out, "-q"],
            d,
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = nexus(&["merge", "s0", "s1", "--out", "good", "-q"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    let good = read(&d.join("good"), "bands.csv");

    let mut refused = 0;
    let mut tried = 0;
    for file in [
        "shard-state.bin",
        "bands.csv",
        "claims.csv",
        "manifest.json",
    ] {
        let path = d.join("s1").join(file);
        let original = std::fs::read(&path).unwrap();
        let len = original.len();
        let mut damages: Vec<Vec<u8>> = Vec::new();
        for i in 0..24 {
            let at = (i * 7919 + 13) % len;
            let mut flipped = original.clone();
            flipped[at] ^= 1 << (i % 8);
            damages.push(flipped);
            let mut nan = original.clone();
            let end = (at + 8).min(len);
            nan[at..end].copy_from_slice(&f64::NAN.to_le_bytes()[..end - at]);
            damages.push(nan);
        }
        let mut appended = original.clone();
        appended.extend_from_slice(b"junk");
        damages.push(appended);
        damages.push(original[..len / 2].to_vec());
        for damaged in damages {
            if damaged == original {
                continue;
            }
            tried += 1;
            std::fs::write(&path, &damaged).unwrap();
            let o = nexus_within(&["merge", "s0", "s1", "--out", "m", "-q"], d, 60.0);
            match o.status.code() {
                Some(0) => assert_eq!(read(&d.join("m"), "bands.csv"), good, "{file}"),
                Some(2) => {
                    refused += 1;
                    let err = stderr(&o);
                    assert!(err.contains("s1"), "names the shard: {err}");
                    assert!(!err.contains("panicked"), "{err}");
                }
                other => panic!("{file}: exit {other:?}: {}", stderr(&o)),
            }
        }
        std::fs::write(&path, &original).unwrap();
    }
    // Every change to the state and the CSVs is refused; a change inside the
    // manifest's free text (its start time, say) may merge unchanged.
    assert!(refused * 4 >= tried * 3, "{refused} of {tried} refused");
}

/// Runs the `nexus-mc` binary with `args` in `cwd`, failing the test if it
/// has not finished within `seconds` (it is killed first): a hang is a bug.
pub(crate) fn nexus_within(args: &[&str], cwd: &Path, seconds: f64) -> std::process::Output {
    use std::time::{Duration, Instant};
    let mut child = Command::new(env!("CARGO_BIN_EXE_nexus-mc"))
        .args(args)
        .current_dir(cwd)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary runs");
    let start = Instant::now();
    while child.try_wait().expect("wait works").is_none() {
        if start.elapsed() > Duration::from_secs_f64(seconds) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`nexus-mc {}` still ran after {seconds} s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("output is read")
}
