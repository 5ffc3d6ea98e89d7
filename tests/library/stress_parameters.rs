//! Each switch and stress parameter moves the outputs the way docs/model.md
//! (sections 2.3 and 7) defines it.

use nexus_mc::model::{Metric, Outputs, Param, ParamSet};

fn base() -> ParamSet {
    crate::common::kpmg().point()
}

fn rel_eq(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

fn each_year(out: &Outputs, m: Metric) -> impl Iterator<Item = (i32, f64)> + '_ {
    (2026..=2050).map(move |y| (y, out.at(m, y)))
}

#[test]
fn displacement_scales_the_gdp_contribution_and_what_follows_from_it() {
    let b = crate::common::run(&base());
    let d = crate::common::run(&base().with(Param::Displacement, 0.2));
    for m in [
        Metric::GdpInvestment,
        Metric::GdpLasting,
        Metric::GdpDrugs,
        Metric::GdpTotal,
        Metric::GdpSharePct,
        Metric::Jobs,
        Metric::Tax,
    ] {
        for (y, v) in each_year(&b, m) {
            assert!(
                rel_eq(d.at(m, y), 0.8 * v),
                "{m:?} {y}: {} vs 0.8 x {v}",
                d.at(m, y)
            );
        }
    }
    // Public money is spent all the same.
    assert_eq!(
        d.at(Metric::PublicInvestment, 2030),
        b.at(Metric::PublicInvestment, 2030)
    );
}

#[test]
fn gdp_growth_divides_the_share_by_the_growth_since_2024() {
    let b = crate::common::run(&base());
    let g = crate::common::run(&base().with(Param::GdpGrowth, 0.015));
    let expected = b.at(Metric::GdpSharePct, 2035) / 1.015f64.powi(11);
    assert!(rel_eq(g.at(Metric::GdpSharePct, 2035), expected));
    assert_eq!(g.at(Metric::GdpTotal, 2035), b.at(Metric::GdpTotal, 2035));
}

#[test]
fn rule_seed_follows_the_stated_rule_and_costs_about_210_m_of_npv() {
    let b = crate::common::run(&base());
    let r = crate::common::run(&base().with(Param::LastingSeed, 1.0));
    let rule = 0.125 * b.at(Metric::GdpInvestment, 2026);
    assert!(rel_eq(r.at(Metric::GdpLasting, 2026), rule));
    assert!(
        (rule - 258.0).abs() < 0.5,
        "docs/model.md anomaly A: rule gives 258, got {rule}"
    );
    let drop = b.at(Metric::NpvCum, 2035) - r.at(Metric::NpvCum, 2035);
    assert!(
        (200.0..=220.0).contains(&drop),
        "docs/model.md anomaly A: about 210 m, got {drop}"
    );
}

#[test]
fn after_2035_switches_do_what_their_names_say() {
    let grow = crate::common::run(&base());
    let freeze = crate::common::run(&base().with(Param::After2035, 1.0));
    let expire = crate::common::run(&base().with(Param::After2035, 2.0));
    let s = Metric::GdpLasting;
    for y in 2026..=2035 {
        assert_eq!(
            freeze.at(s, y),
            grow.at(s, y),
            "freeze changes nothing up to 2035"
        );
        assert!(
            rel_eq(expire.at(s, y), grow.at(s, y)),
            "a 10-year life expires nothing by 2035"
        );
    }
    for y in 2036..=2050 {
        assert_eq!(
            freeze.at(s, y),
            grow.at(s, 2035),
            "freeze keeps S flat after 2035"
        );
        assert!(
            rel_eq(grow.at(s, y), 1.086 * grow.at(s, y - 1)),
            "grow compounds at g"
        );
    }
    // expire, life 10: the 2026 seed (394) drops out in 2036, nothing is left from 2045.
    let expected_2036 = 1.086 * grow.at(s, 2035) - 394.0 * 1.086f64.powi(10);
    assert!(rel_eq(expire.at(s, 2036), expected_2036));
    assert_eq!(expire.at(s, 2045), 0.0);
    let short = crate::common::run(
        &base()
            .with(Param::After2035, 2.0)
            .with(Param::LastingLife, 1.0),
    );
    assert!(
        rel_eq(
            short.at(s, 2030),
            0.125 * short.at(Metric::GdpInvestment, 2030)
        ),
        "life 1: only this year's addition"
    );
}

#[test]
fn wage_tax_method_applies_the_appendix_rates() {
    let w = crate::common::run(&base().with(Param::TaxMethod, 1.0));
    for (y, tax) in each_year(&w, Metric::Tax) {
        let gs = w.at(Metric::GdpInvestment, y) + w.at(Metric::GdpLasting, y);
        assert!(
            rel_eq(tax, 0.272 * gs + 0.1353 * w.at(Metric::GdpDrugs, y)),
            "{y}"
        );
    }
}

#[test]
fn additionality_scales_only_the_induced_private_investment() {
    let p = base();
    let none = crate::common::run(&p.with(Param::Additionality, 0.0));
    let half = crate::common::run(&p.with(Param::Additionality, 0.5));
    // L = sum_p w_p / s_p - 1 from the published phase table (docs/model.md section 3).
    let leverage =
        0.25 / 0.70 + 0.25 / 0.50 + 0.20 / 0.35 + 0.10 / 0.25 + 0.10 / 0.15 + 0.10 / 0.10 - 1.0;
    for y in 2026..=2035 {
        let public = none.at(Metric::PublicInvestment, y);
        assert!(
            rel_eq(none.at(Metric::GdpInvestment, y), 1.97 * public),
            "a = 0: I = P"
        );
        assert!(
            rel_eq(
                half.at(Metric::GdpInvestment, y),
                1.97 * public * (1.0 + 0.5 * leverage)
            ),
            "a = 0.5"
        );
    }
}

#[test]
fn schedule_scales_are_linear_in_what_they_scale() {
    let b = crate::common::run(&base());
    let half = crate::common::run(&base().with(Param::PublicInvestmentScale, 0.5));
    let no_r = crate::common::run(&base().with(Param::EnablingScale, 0.0));
    for y in 2026..=2050 {
        for m in [
            Metric::PublicInvestment,
            Metric::GdpInvestment,
            Metric::GdpDrugs,
        ] {
            assert!(rel_eq(half.at(m, y), 0.5 * b.at(m, y)), "{m:?} {y}");
        }
        assert_eq!(no_r.at(Metric::EnablingConditions, y), 0.0);
        let gained = b.at(Metric::EnablingConditions, y);
        assert!(rel_eq(
            no_r.at(Metric::CashFlow, y),
            b.at(Metric::CashFlow, y) + gained
        ));
    }
}

#[test]
fn phase_lag_shift_delays_the_drug_line_by_whole_years() {
    let b = crate::common::run(&base());
    let shifted = crate::common::run(&base().with(Param::PhaseLagShift, 2.0));
    for y in 2026..=2050 {
        let expected = if y - 2 >= 2026 {
            b.at(Metric::GdpDrugs, y - 2)
        } else {
            0.0
        };
        assert!(rel_eq(shifted.at(Metric::GdpDrugs, y), expected), "{y}");
    }
}

/// docs/model.md section 3, written out literally: D_t = sum over phases p and
/// vintages v with v + lag_p + 1 <= t <= v + lag_p + N of m I_pv / C r h.
#[allow(clippy::int_plus_one)] // kept in docs/model.md's own form
fn drug_line_by_definition(p: &ParamSet, year: i32) -> f64 {
    let public = [
        300.0, 450.0, 600.0, 600.0, 600.0, 600.0, 600.0, 600.0, 600.0, 600.0,
    ];
    let weights = [0.25, 0.25, 0.20, 0.10, 0.10, 0.10];
    let shares = [0.70, 0.50, 0.35, 0.25, 0.15, 0.10];
    let lags = [10, 9, 7, 6, 4, 1];
    let a = p[Param::Additionality];
    let n = p[Param::DrugSalesYears] as i32;
    let mut d = 0.0;
    for k in 0..6 {
        let lag = lags[k] + p[Param::PhaseLagShift] as i32;
        for (i, &pv) in public.iter().enumerate() {
            let v = 2026 + i as i32;
            if v + lag + 1 <= year && year <= v + lag + n {
                let invest = p[Param::PublicInvestmentScale]
                    * pv
                    * weights[k]
                    * (1.0 + a * (1.0 / shares[k] - 1.0));
                d += p[Param::Multiplier] * invest / p[Param::DrugCost]
                    * p[Param::DrugSales]
                    * p[Param::NlProductionShare];
            }
        }
    }
    d * (1.0 - p[Param::Displacement])
}

#[test]
fn drug_line_matches_its_definition_for_any_lags_and_sales_years() {
    for (shift, years, a, m) in [
        (0.0, 10.0, 1.0, 1.97),
        (-1.0, 3.0, 0.4, 1.2),
        (5.0, 15.0, 0.0, 2.5),
        (3.0, 0.0, 1.0, 1.0),
    ] {
        let p = base()
            .with(Param::PhaseLagShift, shift)
            .with(Param::DrugSalesYears, years)
            .with(Param::Additionality, a)
            .with(Param::Multiplier, m)
            .with(Param::Displacement, 0.1);
        let out = crate::common::run(&p);
        for y in 2026..=2050 {
            let want = drug_line_by_definition(&p, y);
            let got = out.at(Metric::GdpDrugs, y);
            assert!(
                (got - want).abs() <= 1e-9 * want.max(1.0),
                "shift {shift}, N {years}, {y}: {got} vs {want}"
            );
        }
    }
}
