//! `baseline`: one deterministic run laid out against the plan's Tabel 2.

use crate::baseline::Baseline;
use crate::config::Scenario;
use crate::error::{Error, Result};
use crate::model::Param;

/// What `baseline` does.
#[derive(Clone, Debug)]
pub struct BaselineOptions {
    /// The scenario, run at its point values.
    pub scenario: Scenario,
    /// Parameters set for this run, in their units, applied in order.
    pub set: Vec<(Param, f64)>,
}

/// `baseline`: the scenario's point values, with `set` applied, through the
/// model, laid out against the plan's published figures.
///
/// ```
/// use nexus_mc::commands::{baseline, BaselineOptions};
/// use nexus_mc::Scenario;
///
/// let view = baseline(&BaselineOptions {
///     scenario: Scenario::load("kpmg-point")?,
///     set: Vec::new(),
/// })?;
/// assert!(view.to_string().contains("2035"));
/// # Ok::<(), nexus_mc::Error>(())
/// ```
pub fn baseline(opts: &BaselineOptions) -> Result<Baseline> {
    let scenario = &opts.scenario;
    let mut params = scenario.point();
    for &(param, value) in &opts.set {
        params[param] = value;
    }
    let shift = params[Param::PhaseLagShift];
    scenario
        .schedules
        .check_lag_shift(shift)
        .map_err(|why| Error::Usage(format!("phase_lag_shift = {why}")))?;
    Ok(Baseline::new(scenario, params))
}
