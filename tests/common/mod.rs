//! Helpers shared by the integration tests: running the binary and reading
//! what it wrote.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the `nexus-mc` binary with `args` in directory `cwd`.
pub fn nexus(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nexus-mc"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("binary runs")
}

/// What a command wrote to stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The text of `dir/file`, or a panic naming the file.
pub fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Asserts that a command was refused as bad input: exit 2, `expect` in the
/// message, no panic.
pub fn assert_bad_input(o: &Output, expect: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(expect), "expected `{expect}` in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}
