//! Which assumption decides a claim: variance-based (Sobol) indices,
//! Shapley effects for correlated inputs, one-at-a-time tornado, rank
//! correlations, switching values, Morris screening and Monte Carlo
//! filtering.
//!
//! Every method works on a [`Problem`]: named inputs with distributions, named
//! outputs, and a pure function from one to the other. [`ScenarioProblem`]
//! makes the Biotech Nexus model such a problem; the tests put the Ishigami
//! and Sobol G functions through the same code.
//!
//! ```
//! use nexus_mc::distribution::Distribution;
//! use nexus_mc::sensitivity::{sobol_indices, Input, Problem, SobolOptions};
//!
//! /// y = 2 x0 + x1 with both inputs uniform on [0, 1]: S1 = (0.8, 0.2).
//! struct Linear(Vec<Input>);
//! impl Problem for Linear {
//!     fn inputs(&self) -> &[Input] { &self.0 }
//!     fn outputs(&self) -> Vec<String> { vec!["y".into()] }
//!     fn evaluate(&self, x: &[f64], y: &mut [f64]) { y[0] = 2.0 * x[0] + x[1]; }
//! }
//! let u = || Distribution::uniform(0.0, 1.0).unwrap();
//! let f = Linear(vec![Input::new("x0", u()), Input::new("x1", u())]);
//! let opts = SobolOptions { base_runs: 4096, ..SobolOptions::default() };
//! let s = sobol_indices(&f, &opts, None);
//! assert!((s[0].s1.estimate - 0.8).abs() < 0.02 && (s[1].st.estimate - 0.2).abs() < 0.02);
//! ```

mod filter;
mod morris;
mod problem;
mod rank;
mod shapley;
mod sobol;
mod switching;
mod tornado;

pub use filter::{monte_carlo_filter, Decile, Filtered};
pub use morris::{morris, morris_runs, MorrisEffect};
pub use problem::{evaluate_rows, scenario_sample, Input, Problem, ScenarioProblem};
pub use rank::{rank_correlations, RankCorrelation};
pub use shapley::{shapley_effects, shapley_runs, ShapleyEffect, ShapleyOptions};
pub use sobol::{sobol_indices, sobol_runs, Interval, SobolIndex, SobolOptions};
pub use switching::{switching_runs, switching_values, ClaimTest, Switch, SwitchingValue};
pub use tornado::{tornado, tornado_runs, TornadoBar};

crate::error::input_error! {
    /// Why a sensitivity method cannot run on the problem given.
    SensitivityError
}

/// Called with the number of model runs just finished, from any thread,
/// and with 0 now and then during long steps that run no model: each call
/// is a point where the caller may stop the computation (the command
/// entries in [`crate::commands`] unwind from there when cancelled).
pub type Progress<'a> = Option<&'a (dyn Fn(u64) + Sync)>;
