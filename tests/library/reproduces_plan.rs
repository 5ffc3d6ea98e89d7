//! The kpmg-point scenario reproduces the published table as docs/model.md
//! section 5 says. Every target below is copied from that page, not from
//! running the code.

use nexus_mc::model::{Metric, Model, Param};

/// Asserts `model` rounds to `published` at the plan's precision.
fn assert_rounds_to(what: &str, model: f64, published: f64, precision: f64) {
    let rounded = (model / precision).round() * precision;
    assert!(
        (rounded - published).abs() < 1e-9,
        "{what}: model {model} rounds to {rounded}, published {published}"
    );
}

#[test]
fn every_non_drug_cell_of_tabel2_reproduces_to_the_published_rounding() {
    let out = crate::common::run(&crate::common::kpmg().point());
    let at = |m, y| out.at(m, y);
    let gs = |y| at(Metric::GdpInvestment, y) + at(Metric::GdpLasting, y);
    // docs/model.md section 5: (row, year, published, precision)
    let published: &[(&str, i32, f64, f64)] = &[
        ("enabling conditions", 2026, 75.0, 1.0),
        ("enabling conditions", 2030, 200.0, 1.0),
        ("enabling conditions", 2035, 200.0, 1.0),
        ("G+S", 2026, 2460.0, 1.0),
        ("G+S", 2030, 6862.0, 1.0),
        ("G+S", 2035, 11322.0, 1.0),
        ("growth of G+S %", 2030, 11.0, 1.0),
        ("growth of G+S %", 2035, 10.0, 1.0),
        ("public P", 2026, 300.0, 1.0),
        ("public P", 2030, 600.0, 1.0),
        ("public P", 2035, 600.0, 1.0),
        ("private G-P", 2026, 1766.0, 1.0),
        ("private G-P", 2030, 3531.0, 1.0),
        ("private G-P", 2035, 3531.0, 1.0),
        ("lasting S", 2026, 394.0, 1.0),
        ("lasting S", 2030, 2730.0, 1.0),
        ("lasting S", 2035, 7191.0, 1.0),
        ("tax on G+S", 2026, 315.0, 1.0),
        ("tax on G+S", 2030, 878.0, 1.0),
        ("tax on G+S", 2035, 1448.0, 1.0),
        ("cash flow", 2026, -60.0, 1.0),
        ("cash flow", 2030, 84.0, 1.0),
        ("cash flow", 2035, 681.0, 1.0),
        ("discount factor", 2026, 0.95, 0.01),
        ("discount factor", 2030, 0.85, 0.01),
        ("discount factor", 2035, 0.74, 0.01),
        ("discounted CF", 2026, -57.0, 1.0),
        ("discounted CF", 2030, 71.0, 1.0),
        ("discounted CF", 2035, 503.0, 1.0),
    ];
    for &(row, year, target, precision) in published {
        let model = match row {
            "enabling conditions" => at(Metric::EnablingConditions, year),
            "G+S" => gs(year),
            "growth of G+S %" => 100.0 * (gs(year) / gs(year - 1) - 1.0),
            "public P" => at(Metric::PublicInvestment, year),
            "private G-P" => at(Metric::GdpInvestment, year) - at(Metric::PublicInvestment, year),
            "lasting S" => at(Metric::GdpLasting, year),
            "tax on G+S" => at(Metric::Tax, year) - 0.10 * 0.258 * at(Metric::GdpDrugs, year),
            "cash flow" => at(Metric::CashFlow, year),
            "discount factor" => at(Metric::DiscountFactor, year),
            "discounted CF" => at(Metric::DiscountedCashFlow, year),
            _ => unreachable!(),
        };
        assert_rounds_to(&format!("{row} {year}"), model, target, precision);
    }
}

#[test]
fn drug_line_and_headlines_match_model_md() {
    let scenario = crate::common::kpmg();
    let p = scenario.point();
    let out = crate::common::run(&p);
    // docs/model.md section 5, "With the formulas above".
    assert_rounds_to("D 2030", out.at(Metric::GdpDrugs, 2030), 246.0, 1.0);
    assert_rounds_to("D 2035", out.at(Metric::GdpDrugs, 2035), 1279.0, 1.0);
    assert_rounds_to("Y 2035", out.at(Metric::GdpTotal, 2035), 12601.0, 1.0);
    assert_rounds_to("jobs 2035", out.at(Metric::Jobs, 2035), 21002.0, 1.0);
    assert_rounds_to("share 2035", out.at(Metric::GdpSharePct, 2035), 1.2, 0.1);
    let npv = out.at(Metric::NpvCum, 2035);
    assert!(
        (npv - 1477.0).abs() <= 1.0,
        "NPV {npv}, docs/model.md: 1,477 +- 1"
    );

    let alt = crate::common::run(&p.with(Param::TaxMethod, 1.0));
    let alt_npv = alt.at(Metric::NpvCum, 2035);
    assert!(
        (alt_npv - 10287.0).abs() <= 5.0,
        "alternative NPV {alt_npv}, docs/model.md: 10,287 +- 5"
    );

    let leverage = Model::new(&scenario.schedules).leverage(&p);
    assert!(
        (leverage - 2.4952).abs() < 5e-5,
        "leverage {leverage}, docs/model.md: 2.4952"
    );
}

#[test]
fn outputs_are_internally_consistent_every_year() {
    let out = crate::common::run(&crate::common::kpmg().point());
    for year in 2026..=2050 {
        let y = out.at(Metric::GdpTotal, year);
        let parts = out.at(Metric::GdpInvestment, year)
            + out.at(Metric::GdpLasting, year)
            + out.at(Metric::GdpDrugs, year);
        assert!(
            (y - parts).abs() < 1e-9 * y.max(1.0),
            "Y = G + S + D in {year}"
        );
        let cf = out.at(Metric::Tax, year)
            - out.at(Metric::PublicInvestment, year)
            - out.at(Metric::EnablingConditions, year);
        assert!(
            (out.at(Metric::CashFlow, year) - cf).abs() < 1e-9,
            "CF in {year}"
        );
        let df = 1.028f64.powi(-(year - 2024));
        assert!(
            (out.at(Metric::DiscountFactor, year) - df).abs() < 1e-12,
            "discount factor {year}"
        );
    }
    // No public money after 2035 (docs/model.md section 2).
    assert_eq!(out.at(Metric::PublicInvestment, 2036), 0.0);
    assert_eq!(out.at(Metric::GdpInvestment, 2036), 0.0);
}

#[test]
fn the_anomaly_figures_of_model_md_section_8() {
    let p = crate::common::kpmg().point();
    let npv =
        |params: &nexus_mc::model::ParamSet| crate::common::run(params).at(Metric::NpvCum, 2035);
    let base = npv(&p);
    // A: "With `rule`, the NPV to 2035 is 1,264, which is 213 lower."
    let rule = npv(&p.with(Param::LastingSeed, 1.0));
    assert_rounds_to("A: NPV with rule", rule, 1264.0, 1.0);
    assert_rounds_to("A: lower by", base - rule, 213.0, 1.0);
    // A: "The stated rule (sigma x G_2026) gives 258."
    let g26 = crate::common::run(&p).at(Metric::GdpInvestment, 2026);
    assert_rounds_to("A: rule seed", p[Param::LastingShare] * g26, 258.0, 1.0);
    // B: "At 46 % the NPV to 2035 would be 1,530, 52 higher."
    let at46 = npv(&p.with(Param::TaxBurden, 0.46));
    assert_rounds_to("B: NPV at 46 %", at46, 1530.0, 1.0);
    assert_rounds_to("B: higher by", at46 - base, 52.0, 1.0);
    // C: "lands 3.5 % below 255 and 0.7 % above 1,270".
    let out = crate::common::run(&p);
    let pct = |d: f64, published: f64| 100.0 * (d / published - 1.0);
    assert_rounds_to(
        "C: 2030",
        pct(out.at(Metric::GdpDrugs, 2030), 255.0),
        -3.5,
        0.1,
    );
    assert_rounds_to(
        "C: 2035",
        pct(out.at(Metric::GdpDrugs, 2035), 1270.0),
        0.7,
        0.1,
    );
    // C: "the NPV is 1 below the published 1,478 and the alternative NPV 13
    // below the published 10,300".
    assert_rounds_to("C: NPV", base - 1478.0, -1.0, 1.0);
    let alt = npv(&p.with(Param::TaxMethod, 1.0));
    assert_rounds_to("C: alternative NPV", alt - 10300.0, -13.0, 1.0);
    // D: "P x L = 749 in 2026 and 1,497 a year from 2028."
    let model = Model::new(&crate::common::kpmg().schedules);
    let l = model.leverage(&p);
    assert_rounds_to(
        "D: 2026",
        out.at(Metric::PublicInvestment, 2026) * l,
        749.0,
        1.0,
    );
    assert_rounds_to(
        "D: 2028",
        out.at(Metric::PublicInvestment, 2028) * l,
        1497.0,
        1.0,
    );
    // F: "about EUR 1,130 bn [CBS], which gives 1.12 %".
    assert_rounds_to(
        "F",
        100.0 * out.at(Metric::GdpTotal, 2035) / 1_130_000.0,
        1.12,
        0.01,
    );
}
