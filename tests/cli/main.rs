//! The `nexus-mc` binary as users and batch jobs run it: flags, messages,
//! exit codes, output sets, shards, reports, instruction sets and bad input.
//! One test binary, so `cargo test` links it once.

#[path = "../common/mod.rs"]
mod common;

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
