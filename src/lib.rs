//! nexus-mc: a Monte Carlo sensitivity engine for public investment claims,
//! built on the Biotech Nexus impact model (docs/model.md).
//!
//! The crate is a library with a thin binary on top (the command line lives
//! in `src/main.rs` and `src/cli/`, not here): every command of the binary
//! is one call in [`commands`], with an options struct and a [`Control`]
//! (cancel, progress, threads), returning its results in memory. A library
//! user needs these, re-exported at the top:
//!
//! - [`Scenario`]: load a shipped scenario or a TOML file, or build one in code;
//! - [`Engine`] with a [`RunPlan`]: run it and get a [`Summary`] of bands and
//!   claim probabilities;
//! - [`Problem`] and the analyses in [`sensitivity`]: which assumption decides
//!   an output (the model, or any function of yours);
//! - [`Bridge`]: why a claim fails between two scenarios;
//! - [`Report`]: charts and report.html from output directories.
//!
//! ```
//! use nexus_mc::claims::names;
//! use nexus_mc::commands::{self, RunOptions};
//! use nexus_mc::model::Metric;
//! use nexus_mc::{Control, Scenario};
//!
//! let scenario = Scenario::load("plan-as-written")?;
//! let results = commands::run(&RunOptions::new(scenario, 10_000), &Control::default())?;
//! // A band: the 2035 GDP share's percentiles over the runs.
//! let share = results.summary.band(Metric::GdpSharePct, 2035).unwrap();
//! assert!(share.p05 < share.p50 && share.p50 < share.p95);
//! // A claim: the probability that it holds, with its Monte Carlo error.
//! let claim = results.summary.claim(names::GDP_SHARE).unwrap();
//! assert!(claim.std_error() < 0.01);
//! println!("P(1.2 % of GDP) = {:.3} +- {:.3}", claim.probability(), claim.std_error());
//! # Ok::<(), nexus_mc::Error>(())
//! ```
//!
//! The modules, in reading order:
//!
//! | module | what it does |
//! |---|---|
//! | [`model`] | the impact model: parameters, schedules, the allocation-free core |
//! | [`config`] | scenario files: loading, validation, the shipped scenarios |
//! | [`distribution`] | probability distributions in the user's terms |
//! | `correlation` | rank-correlation matrices: checks, Iman-Conover, the Gaussian copula's factor |
//! | [`sampler`] | sample blocks: Monte Carlo, Latin hypercube, Sobol, correlations |
//! | [`baseline`] | one deterministic run laid out against the plan's Tabel 2 |
//! | [`claims`] | published claims as tests on one metric in one year |
//! | [`bridge`] | why a claim fails: Shapley attribution of the move from one scenario to another |
//! | [`commands`] | one call per command: `run`, `merge`, `sensitivity`, `bridge`, `baseline`, `validate`, `report` |
//! | [`Control`] | cancellation, progress and threads, for every command |
//! | [`engine`] | the Monte Carlo engine: chunks, threads, shards, accumulators |
//! | [`stats`] | mergeable moments, exact quantiles, the quantile sketch and confidence intervals |
//! | [`precision`] | `run --precision`: targets for the intervals, and the checkpoints where a run may stop |
//! | `hash` | counter-based randomness: the same (key, index), the same bits |
//! | [`sensitivity`] | Sobol indices, Shapley effects, tornado, rank correlations, switching values, Morris, Monte Carlo filtering |
//! | `input` | reading input files: regular files only, within a ceiling of bytes |
//! | [`output`] | CSV files and the manifest, written whole or not at all |
//! | [`report`] | SVG charts and the self-contained report.html |
//! | [`arch`] | instruction sets: the AVX-512, AVX2 and portable builds of the hot loops, chosen at run time |
//! | [`table`] | plain-text tables and number formatting |
//! | `math` | `exp`, `log`, `pow`, `sin` and the like, the same bits on every processor and system |
//! | [`error`] | the error type and exit codes |
//! | [`limits`] | size ceilings and the memory check run before any allocation |

#![warn(missing_docs)]

pub mod arch;
pub mod baseline;
pub mod bridge;
pub mod claims;
pub mod commands;
pub mod config;
mod control;
pub(crate) mod correlation;
pub mod distribution;
pub mod engine;
pub mod error;
mod hash;
mod input;
pub mod limits;
mod math;
pub mod model;
pub mod output;
pub mod precision;
pub mod report;
pub mod sampler;
pub mod sensitivity;
pub mod stats;
pub mod table;

pub use bridge::Bridge;
pub use config::Scenario;
pub use control::{Control, Progress};
pub use engine::{Engine, RunPlan, Summary};
pub use error::{Error, Result};
pub use report::Report;
pub use sensitivity::Problem;
