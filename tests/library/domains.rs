//! No parameter value that validates can put an infinity or NaN into any
//! output: every domain is a bounded, economically meaningful range, and the
//! model is finite over all of it.

use std::sync::OnceLock;

use nexus_mc::model::{Domain, Metric, Model, Outputs, Param, ParamSet};

/// The ends of what validation lets a parameter take: its domain, and for
/// the phase-lag shift no lag below zero (checked against the schedules).
fn ends(p: Param) -> (f64, f64) {
    let (lo, hi) = match p.domain() {
        Domain::Share => (0.0, 1.0),
        Domain::Range { min, max } => (min, max),
        Domain::Integer { min, max } => (min as f64, max as f64),
        Domain::Choice(names) => (0.0, (names.len() - 1) as f64),
    };
    if p == Param::PhaseLagShift {
        let schedules = crate::common::kpmg().schedules;
        let lowest = (lo as i64..=0)
            .map(|s| s as f64)
            .find(|&s| schedules.check_lag_shift(s).is_ok())
            .expect("a shift of 0 is valid");
        return (lowest, hi);
    }
    (lo, hi)
}

/// Every output of every year is finite, or a panic naming the inputs.
fn assert_finite(set: &ParamSet, what: &str) {
    static MODEL: OnceLock<Model> = OnceLock::new();
    let model = MODEL.get_or_init(|| Model::new(&crate::common::kpmg().schedules));
    let mut out = Outputs::default();
    model.evaluate(set, &mut out);
    for &m in Metric::ALL {
        for y in 2026..=2050 {
            let v = out.at(m, y);
            assert!(v.is_finite(), "{what}: {m:?} {y} = {v}");
        }
    }
}

/// Every switch combination, to run each sweep under.
fn switch_settings() -> Vec<Vec<(Param, f64)>> {
    let switches: Vec<Param> = Param::ALL
        .iter()
        .copied()
        .filter(|p| matches!(p.domain(), Domain::Choice(_)))
        .collect();
    let mut all = vec![Vec::new()];
    for p in switches {
        let (_, last) = ends(p);
        all = all
            .into_iter()
            .flat_map(|s: Vec<(Param, f64)>| {
                (0..=last as usize).map(move |k| {
                    let mut s = s.clone();
                    s.push((p, k as f64));
                    s
                })
            })
            .collect();
    }
    all
}

#[test]
fn every_parameter_at_either_end_of_its_domain_gives_finite_outputs() {
    let base = crate::common::kpmg().point();
    for switches in switch_settings() {
        for &p in Param::ALL {
            let (lo, hi) = ends(p);
            for x in [lo, hi] {
                let mut set = base;
                for &(s, v) in &switches {
                    set[s] = v;
                }
                set[p] = x;
                assert_finite(&set, &format!("{} = {x} with {switches:?}", p.name()));
            }
        }
    }
}

#[test]
fn random_points_anywhere_in_the_domains_give_finite_outputs() {
    // A fixed xorshift stream: the same points every run.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let base = crate::common::kpmg().point();
    for i in 0..20_000 {
        let mut set = base;
        for &p in Param::ALL {
            let (lo, hi) = ends(p);
            // A quarter of the draws sit on an end of the domain.
            let u = match uniform() {
                u if u < 0.125 => 0.0,
                u if u > 0.875 => 1.0,
                _ => uniform(),
            };
            let x = lo + u * (hi - lo);
            set[p] = if p.domain().is_discrete() {
                x.round()
            } else {
                x
            };
        }
        assert_finite(&set, &format!("random point {i}: {set:?}"));
    }
}

#[test]
fn values_outside_the_domains_are_refused_by_validation() {
    for (p, x) in [
        (Param::GdpBase, 1e-300),
        (Param::Multiplier, 1e300),
        (Param::ValueAddedPerJob, 0.0),
        (Param::DiscountRate, -0.99),
        (Param::DrugCost, 1e-9),
    ] {
        let err = p.domain().check(x).unwrap_err();
        assert!(err.0.starts_with("must be a number in ["), "{p:?}: {err}");
    }
}

#[test]
fn schedules_at_the_ends_of_what_validates_give_finite_outputs_too() {
    let mut extreme = crate::common::kpmg().schedules;
    extreme.public_investment = [100_000.0; nexus_mc::model::YEARS];
    extreme.enabling_conditions = [100_000.0; nexus_mc::model::YEARS];
    extreme.public_share = [0.01; 6];
    extreme.phase_weights = [1.0; 6];
    for lags in [[0u32; 6], [30u32; 6]] {
        extreme.phase_lag = lags;
        let model = Model::new(&extreme);
        let mut set = crate::common::kpmg().point();
        for &p in Param::ALL {
            let (lo, hi) = ends(p);
            for x in [lo, hi] {
                let saved = set[p];
                if p == Param::PhaseLagShift && x < 0.0 && lags[0] == 0 {
                    continue;
                }
                set[p] = x;
                let mut out = Outputs::default();
                model.evaluate(&set, &mut out);
                for &m in Metric::ALL {
                    for y in 2026..=2050 {
                        let v = out.at(m, y);
                        assert!(
                            v.is_finite(),
                            "{} = {x}, lags {lags:?}: {m:?} {y} = {v}",
                            p.name()
                        );
                    }
                }
                set[p] = saved;
            }
        }
    }
}
