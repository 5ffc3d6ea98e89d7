//! Why a claim fails: an order-free bridge from one scenario to another.
//!
//! Every parameter whose distribution (or a rank correlation it is in)
//! differs between scenario A and scenario B is a step; groups of
//! parameters can be one step. For a set S of steps, the parameters of S
//! take B's distributions and the others A's. Each headline statistic (the
//! median and mean of the GDP share, GDP, jobs and NPV in 2035 and 2050, and
//! P(holds) of every claim) then moves from its value under A to its value
//! under B, and the Shapley value of a step is its marginal effect averaged
//! over every order of the steps (the Shapley-Shorrocks decomposition). The
//! contributions add up to B minus A exactly. Beside it, the one-at-a-time
//! waterfall in a given order, which depends on that order.
//!
//! ```
//! use nexus_mc::bridge::{Bridge, BridgeOptions};
//! use nexus_mc::config::Scenario;
//!
//! let a = Scenario::load("plan-as-written").unwrap();
//! let b = Scenario::load("central").unwrap();
//! let bridge = Bridge::new(&a, &b, &[]).unwrap();
//! assert!(bridge.steps().iter().any(|s| s.name == "displacement"));
//! let opts = BridgeOptions { runs: 2000, orders: 4, ..BridgeOptions::default() };
//! let r = bridge.run(&opts, &|_| {}).unwrap();
//! let o = r.output("gdp_share_pct:2035:median").unwrap();
//! let total: f64 = r.contributions.iter().map(|c| c[o]).sum();
//! assert!((total - (r.to[o] - r.from[o])).abs() < 1e-9);
//! ```

mod coupling;
mod shapley;

pub use coupling::{Coupling, BRIDGE_OUTPUTS};
pub use shapley::{deletes, sequential, shapley, Attribution, Game, Method, Subset, MAX_PLAYERS};

use crate::claims::Claim;
use crate::config::Scenario;
use crate::model::Param;

crate::error::input_error! {
    /// Why two scenarios cannot be bridged as asked.
    BridgeError
}

/// One step of a bridge: parameters that move together from A to B.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The parameter's name, or the group's.
    pub name: String,
    /// Its parameters, in registry order.
    pub params: Vec<Param>,
    /// What each parameter is under A, in the user's terms.
    pub from: Vec<String>,
    /// What each parameter is under B.
    pub to: Vec<String>,
}

/// A bridge ready to run: the two scenarios and the steps between them.
pub struct Bridge {
    a: Scenario,
    b: Scenario,
    steps: Vec<Step>,
    claims: Vec<Claim>,
}

/// How a bridge is computed.
#[derive(Clone, Debug, PartialEq)]
pub struct BridgeOptions {
    /// Runs every subset is evaluated on (the same runs for every subset).
    pub runs: usize,
    /// Master seed of the runs and of the sampled orders.
    pub seed: u64,
    /// Orders sampled when the steps are too many to enumerate every subset
    /// (rounded up to an even number: each order comes with its reverse).
    pub orders: usize,
    /// Enumerate every subset up to this many steps.
    pub exact_max_steps: usize,
    /// Batches the runs are cut into for the jackknife standard errors
    /// (each estimate is repeated without each half of them; see
    /// [`deletes`]).
    pub batches: usize,
    /// Step names in the order of the one-at-a-time waterfall; steps not
    /// named follow by decreasing size of their Shapley contribution to
    /// the first output.
    pub order: Vec<String>,
}

impl Default for BridgeOptions {
    fn default() -> Self {
        BridgeOptions {
            runs: 20_000,
            seed: 42,
            orders: 1000,
            exact_max_steps: 10,
            batches: 10,
            order: Vec::new(),
        }
    }
}

/// A bridge's results; every per-output vector is in [`BridgeResult::outputs`] order.
#[derive(Clone, Debug, PartialEq)]
pub struct BridgeResult {
    /// The steps, in the order of [`Bridge::steps`].
    pub steps: Vec<Step>,
    /// Output names: `METRIC:YEAR:median`, `METRIC:YEAR:mean`, `P(claim)`.
    pub outputs: Vec<String>,
    /// Under A.
    pub from: Vec<f64>,
    /// Under B.
    pub to: Vec<f64>,
    /// Per step: its Shapley contribution to each output.
    pub contributions: Vec<Vec<f64>>,
    /// Per step: the standard error of each contribution.
    pub std_errors: Vec<Vec<f64>>,
    /// Per step: its effect in the one-at-a-time waterfall.
    pub sequential: Vec<Vec<f64>>,
    /// The waterfall order, as step indices.
    pub order: Vec<usize>,
    /// How the orders were averaged.
    pub method: Method,
}

impl BridgeResult {
    /// The index of the output named `name`.
    pub fn output(&self, name: &str) -> Option<usize> {
        self.outputs.iter().position(|o| o == name)
    }
}

impl Bridge {
    /// The steps from `a` to `b`: one per changed parameter, except those
    /// gathered by `groups` (name, parameter names). Fails, naming the
    /// culprit, if nothing changes, a group names an unknown or unchanged
    /// parameter or overlaps another, the schedules differ, or two claims
    /// share a name with different tests.
    pub fn new(
        a: &Scenario,
        b: &Scenario,
        groups: &[(String, Vec<String>)],
    ) -> Result<Bridge, BridgeError> {
        if a.schedules != b.schedules {
            return Err(format!(
                "{} and {} have different schedules (public investment, enabling \
                 conditions or phases); a bridge moves parameters only",
                a.name, b.name
            )
            .into());
        }
        let changed: Vec<Param> = Param::ALL
            .iter()
            .copied()
            .filter(|&p| differs(a, b, p))
            .collect();
        if changed.is_empty() {
            return Err(format!(
                "{} and {} give every parameter the same distribution and the same \
                 correlations: there is nothing to bridge",
                a.name, b.name
            )
            .into());
        }
        let mut grouped: Vec<Param> = Vec::new();
        let mut steps = Vec::new();
        for (name, members) in groups {
            if steps.iter().any(|s: &Step| &s.name == name) || Param::from_name(name).is_some() {
                return Err(format!(
                    "--group {name}: the name is taken (by another group or a parameter)"
                )
                .into());
            }
            let mut params = Vec::new();
            for m in members {
                let p = Param::from_name(m.trim())
                    .ok_or_else(|| format!("--group {name}: unknown parameter `{m}`"))?;
                if !changed.contains(&p) {
                    return Err(format!(
                        "--group {name}: `{p}` is the same in {} and {}, so it is no step",
                        a.name, b.name
                    )
                    .into());
                }
                if grouped.contains(&p) {
                    return Err(format!(
                        "--group {name}: `{p}` is already in another group; groups may not overlap"
                    )
                    .into());
                }
                grouped.push(p);
                params.push(p);
            }
            params.sort();
            params.dedup();
            steps.push(step(a, b, name.clone(), params));
        }
        for &p in changed.iter().filter(|p| !grouped.contains(p)) {
            steps.push(step(a, b, p.name().to_string(), vec![p]));
        }
        steps.sort_by_key(|s| s.params[0]);
        if steps.len() > MAX_PLAYERS {
            return Err(format!("{} steps; at most {MAX_PLAYERS}", steps.len()).into());
        }
        let mut claims = Claim::default_set();
        for c in a.claims.iter().chain(&b.claims) {
            match claims.iter().find(|d| d.name == c.name) {
                Some(d) if d != c => {
                    return Err(format!(
                        "the claim \"{}\" tests {d} in one scenario and {c} in the other",
                        c.name
                    )
                    .into())
                }
                Some(_) => {}
                None => claims.push(c.clone()),
            }
        }
        Ok(Bridge {
            a: a.clone(),
            b: b.clone(),
            steps,
            claims,
        })
    }

    /// The steps, ordered by their first parameter.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Whether every subset is enumerated under `opts`.
    pub fn method(&self, opts: &BridgeOptions) -> Method {
        if self.steps.len() <= opts.exact_max_steps {
            Method::Exact
        } else {
            Method::Sampled {
                orders: opts.orders.div_ceil(2) * 2,
            }
        }
    }

    /// Subsets valued under `opts` (for a progress bar).
    pub(crate) fn subsets(&self, opts: &BridgeOptions) -> u64 {
        let k = self.steps.len() as u64;
        match self.method(opts) {
            Method::Exact => 1 << k,
            Method::Sampled { orders } => orders as u64 * k.saturating_sub(1) + 2,
        }
    }

    /// The runs every subset of steps is valued on: the game whose
    /// Shapley values [`Bridge::run`] computes. `tick(0)` is called now and
    /// then while the tables are built: a point where the caller may stop.
    pub fn coupling(
        &self,
        opts: &BridgeOptions,
        tick: &(dyn Fn(u64) + Sync),
    ) -> Result<Coupling, BridgeError> {
        Coupling::new(
            &self.a,
            &self.b,
            &self.steps,
            self.claims.clone(),
            opts,
            tick,
        )
    }

    /// Computes the bridge; `tick` counts subsets valued.
    pub fn run(
        &self,
        opts: &BridgeOptions,
        tick: &(dyn Fn(u64) + Sync),
    ) -> Result<BridgeResult, BridgeError> {
        if opts.batches < 2 || opts.runs < 2 * opts.batches {
            return Err(format!(
                "{} runs in {} batches: the jackknife needs at least 2 batches of at least 2 \
                 runs each",
                opts.runs, opts.batches
            )
            .into());
        }
        let named = self.named_steps(&opts.order)?;
        let coupling = self.coupling(opts, tick)?;
        let method = self.method(opts);
        let found = shapley(&coupling, method, opts.seed, tick);
        let order = waterfall_order(named, &found);
        let steps_in_order = sequential(&coupling, &order);
        tick(order.len() as u64 + 1);
        let mut seq = vec![Vec::new(); self.steps.len()];
        for (&s, v) in order.iter().zip(steps_in_order) {
            seq[s] = v;
        }
        Ok(BridgeResult {
            steps: self.steps.clone(),
            outputs: coupling.output_names(),
            from: found.from,
            to: found.to,
            contributions: found.values,
            std_errors: found.std_errors,
            sequential: seq,
            order,
            method,
        })
    }

    /// The steps `names` names, as indices: checked before any work.
    pub(crate) fn named_steps(&self, names: &[String]) -> Result<Vec<usize>, BridgeError> {
        let mut order = Vec::new();
        for name in names {
            let s = self
                .steps
                .iter()
                .position(|s| &s.name == name)
                .ok_or_else(|| {
                    format!(
                        "--order: no step `{name}`; the steps are {}",
                        self.steps
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
            if order.contains(&s) {
                return Err(format!("--order names `{name}` twice").into());
            }
            order.push(s);
        }
        Ok(order)
    }
}

/// The named steps first, the others by decreasing |contribution| to the
/// first output (the 2035 median GDP share).
fn waterfall_order(mut order: Vec<usize>, found: &Attribution) -> Vec<usize> {
    let mut rest: Vec<usize> = (0..found.values.len())
        .filter(|s| !order.contains(s))
        .collect();
    rest.sort_by(|&x, &y| {
        found.values[y][0]
            .abs()
            .total_cmp(&found.values[x][0].abs())
            .then(x.cmp(&y))
    });
    order.extend(rest);
    order
}

/// Whether `p` is a step: its distribution, or the rank of a correlation it
/// is in, differs between the scenarios.
fn differs(a: &Scenario, b: &Scenario, p: Param) -> bool {
    let dist = |s: &Scenario| format!("{:?}", s.parameter(p).distribution);
    let ranks = |s: &Scenario| {
        let mut v: Vec<(Param, Param, u64)> = s
            .correlations
            .iter()
            .filter(|c| c.between.0 == p || c.between.1 == p)
            .map(|c| (c.between.0, c.between.1, c.rank.to_bits()))
            .collect();
        v.sort();
        v
    };
    dist(a) != dist(b) || ranks(a) != ranks(b)
}

fn step(a: &Scenario, b: &Scenario, name: String, params: Vec<Param>) -> Step {
    let describe = |s: &Scenario| -> Vec<String> {
        params.iter().map(|&p| s.parameter(p).describe()).collect()
    };
    Step {
        name,
        from: describe(a),
        to: describe(b),
        params,
    }
}
