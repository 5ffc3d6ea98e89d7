//! Published claims as testable statements about one metric in one year.
//!
//! Every run tests the default claim set (docs/outputs.md, claims.csv) plus the claims a
//! scenario declares under `[[claim]]`.
//!
//! ```
//! use nexus_mc::claims::{Claim, Op};
//! use nexus_mc::model::Metric;
//!
//! let claim = Claim::new("1.2 % of GDP", Metric::GdpSharePct, 2035, Op::Ge, 1.2).unwrap();
//! assert!(Op::Ge.holds(1.2, 1.2) && !Op::Gt.holds(1.2, 1.2));
//! assert_eq!(claim.to_string(), "gdp_share_pct 2035 >= 1.2");
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::{check_year, Metric, Outputs, FIRST_YEAR};

/// The names of the published claims every run counts ([`Claim::default_set`]),
/// for looking them up in a [`crate::Summary`] without retyping the text.
///
/// ```
/// use nexus_mc::claims::names;
/// use nexus_mc::{Control, Engine, RunPlan, Scenario};
///
/// let scenario = Scenario::load("plan-as-written").unwrap();
/// let engine = Engine::new(&scenario, RunPlan::new(5_000)).unwrap();
/// let summary = engine.run(&Control::default()).unwrap().summary(engine.claims());
/// let share = summary.claim(names::GDP_SHARE).unwrap();
/// assert_eq!(share.runs, 5_000);
/// ```
pub mod names {
    /// 1.2 % of GDP in 2035.
    pub const GDP_SHARE: &str = "1.2 % of GDP";
    /// EUR 12.6 bn extra GDP in 2035.
    pub const GDP_TOTAL: &str = "EUR 12.6 bn";
    /// 21,000 jobs in 2035.
    pub const JOBS: &str = "21,000 jobs";
    /// A positive government NPV over 2026-2035.
    pub const NPV_POSITIVE: &str = "government NPV positive";
    /// The published government NPV, EUR 1.48 bn.
    pub const NPV_PUBLISHED: &str = "NPV EUR 1.48 bn";
    /// 1.2 % of GDP still in 2040.
    pub const STRUCTURAL_2040: &str = "structural 1.2 % (2040)";
    /// 1.2 % of GDP still in 2050.
    pub const STRUCTURAL_2050: &str = "structural 1.2 % (2050)";
}

/// How a metric is compared with a claim's threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `<`
    Lt,
}

impl Op {
    /// Whether `value op threshold` holds.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Op::Ge => value >= threshold,
            Op::Gt => value > threshold,
            Op::Le => value <= threshold,
            Op::Lt => value < threshold,
        }
    }

    /// The operator as written in files.
    pub(crate) const fn symbol(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Lt => "<",
        }
    }
}

impl FromStr for Op {
    type Err = crate::model::ValueError;
    fn from_str(s: &str) -> Result<Op, Self::Err> {
        match s {
            ">=" => Ok(Op::Ge),
            ">" => Ok(Op::Gt),
            "<=" => Ok(Op::Le),
            "<" => Ok(Op::Lt),
            _ => Err(format!("`{s}` is not a comparison; use >=, >, <= or <").into()),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// A claim: `metric` in `year` compared with `threshold`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// What the plan says, in a few words ("1.2 % of GDP").
    pub name: String,
    /// The metric tested.
    pub metric: Metric,
    /// The calendar year tested, 2026..=2050.
    pub year: i32,
    /// The comparison.
    pub op: Op,
    /// The value compared with, in the metric's unit.
    pub threshold: f64,
}

impl Claim {
    /// A claim, checked: the year must be in 2026..=2050 and the threshold finite.
    pub fn new(
        name: &str,
        metric: Metric,
        year: i32,
        op: Op,
        threshold: f64,
    ) -> Result<Claim, crate::model::ValueError> {
        check_year(year)?;
        if !threshold.is_finite() {
            return Err(format!("threshold {threshold} is not a finite number").into());
        }
        Ok(Claim {
            name: name.to_string(),
            metric,
            year,
            op,
            threshold,
        })
    }

    /// The published claims (docs/outputs.md, claims.csv), tested on every run.
    pub fn default_set() -> Vec<Claim> {
        let c = |name, metric, year, op, threshold| {
            Claim::new(name, metric, year, op, threshold).expect("valid by construction")
        };
        vec![
            c(names::GDP_SHARE, Metric::GdpSharePct, 2035, Op::Ge, 1.2),
            c(names::GDP_TOTAL, Metric::GdpTotal, 2035, Op::Ge, 12_600.0),
            c(names::JOBS, Metric::Jobs, 2035, Op::Ge, 21_000.0),
            c(names::NPV_POSITIVE, Metric::NpvCum, 2035, Op::Gt, 0.0),
            c(names::NPV_PUBLISHED, Metric::NpvCum, 2035, Op::Ge, 1_478.0),
            c(
                names::STRUCTURAL_2040,
                Metric::GdpSharePct,
                2040,
                Op::Ge,
                1.2,
            ),
            c(
                names::STRUCTURAL_2050,
                Metric::GdpSharePct,
                2050,
                Op::Ge,
                1.2,
            ),
        ]
    }

    /// Whether the claim holds for one run's outputs.
    #[inline]
    pub fn holds(&self, outputs: &Outputs) -> bool {
        let t = (self.year - FIRST_YEAR) as usize;
        self.op.holds(outputs[self.metric][t], self.threshold)
    }
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.metric.name(),
            self.year,
            self.op,
            self.threshold
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_parse_from_their_symbols() {
        for op in [Op::Ge, Op::Gt, Op::Le, Op::Lt] {
            assert_eq!(op.symbol().parse::<Op>().unwrap(), op);
        }
        assert!("=>".parse::<Op>().is_err());
    }

    #[test]
    fn a_claim_outside_the_model_years_is_refused() {
        assert!(Claim::new("x", Metric::Jobs, 2051, Op::Ge, 1.0).is_err());
        assert!(Claim::new("x", Metric::Jobs, 2035, Op::Ge, f64::NAN).is_err());
    }
}
