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
