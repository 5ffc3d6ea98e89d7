//! The library: the model against the plan's published table, the engine,
//! sampling, statistics, sensitivity and bridge methods against known
//! answers, scenario files and their domains. One test binary, so
//! `cargo test` links it once.

#[path = "../common/mod.rs"]
mod process;

mod fixtures;

/// The helpers the tests below share.
mod common {
    pub use crate::fixtures::*;
    pub use crate::process::*;
}

mod baseline;
mod bridge;
mod coverage;
mod domains;
mod engine;
mod inheritance;
mod numpy_reference;
mod precision;
mod properties;
mod reproduces_plan;
mod sampling;
mod sensitivity;
mod sources;
mod stress_parameters;
