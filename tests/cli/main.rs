//! The `nexus-mc` binary as users and batch jobs run it: flags, messages,
//! exit codes, output sets, shards, reports, instruction sets and bad input.
//! One test binary, so `cargo test` links it once.

#[path = "../common/mod.rs"]
mod common;

use std::path::Path;

/// Asserts that each of `files` has the same text in directories `a` and `b`.
fn assert_same_files(a: &Path, b: &Path, files: &[&str]) {
    for file in files {
        assert!(
            common::read(a, file) == common::read(b, file),
            "{file} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

mod batch_safety;
mod cli;
mod config_errors;
mod docs;
mod hostile;
mod isa;
mod report;
mod run_cli;
mod scenario_errors;
mod sensitivity_cli;
