//! Helpers shared by the integration tests: running the binary and reading
//! what it wrote.

use std::io::Write;
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

/// Reports a check skipped because `tool` is not installed, and says how to
/// install it (`install`). In CI (`CI` set, and not to `false`) it panics
/// instead: `.ci/run` installs every tool the tests use, and a check skipped
/// there would check nothing.
pub fn missing_tool(tool: &str, install: &str) {
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    assert!(
        !in_ci,
        "{tool} is missing in CI; .ci/run must install it ({install})"
    );
    // Past the test harness's capture of `eprintln!`, so that the skip shows.
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {tool} is not installed ({install} to run this check)"
    );
}
