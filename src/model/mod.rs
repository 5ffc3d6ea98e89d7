//! The Biotech Nexus impact model of MODEL.md: one parameter set in, fixed-size
//! yearly outputs for 2026..2050 out, without heap allocation.
//!
//! A [`Model`] is built once from the [`Schedules`] (what every run shares) and
//! precomputes what does not change between runs; [`Model::evaluate`] is the
//! hot numeric core.

mod outputs;
mod params;

pub use outputs::{year_of, Metric, Outputs};
pub use params::{After2035, Domain, LastingSeed, Param, ParamSet, TaxMethod};

/// First modelled year.
pub const FIRST_YEAR: i32 = 2026;
/// Last modelled year.
pub const LAST_YEAR: i32 = 2050;
/// Number of modelled years, 2026..=2050.
pub const YEARS: usize = (LAST_YEAR - FIRST_YEAR + 1) as usize;
/// Year discounting starts from (discount factor 1).
pub const DISCOUNT_BASE_YEAR: i32 = 2024;
/// Year GDP growth of the denominator starts from.
pub const GDP_BASE_YEAR: i32 = 2024;
/// Years in which a share of G becomes lasting growth (2026..2035).
pub const LASTING_YEARS: usize = 10;
/// Number of pipeline phases.
pub const PHASES: usize = 6;
/// Phase names, in the order of every per-phase vector.
pub const PHASE_NAMES: [&str; PHASES] = [
    "discovery",
    "preclinical",
    "phase1",
    "phase2",
    "phase3",
    "production",
];

/// The index of a calendar year in the yearly arrays.
///
/// # Panics
/// If `year` is outside 2026..=2050.
pub fn year_index(year: i32) -> usize {
    assert!(
        (FIRST_YEAR..=LAST_YEAR).contains(&year),
        "year {year} outside {FIRST_YEAR}..={LAST_YEAR}"
    );
    (year - FIRST_YEAR) as usize
}

/// The vectors every run of a scenario shares (DESIGN.md "Schedules").
#[derive(Clone, Debug, PartialEq)]
pub struct Schedules {
    /// P_t by year from 2026, EUR m (scaled per run by `public_investment_scale`).
    pub public_investment: [f64; YEARS],
    /// R_t by year from 2026, EUR m (scaled per run by `enabling_scale`).
    pub enabling_conditions: [f64; YEARS],
    /// w_p: share of P going to each phase; sums to 1.
    pub phase_weights: [f64; PHASES],
    /// s_p: public share of total investment in each phase, in (0, 1].
    pub public_share: [f64; PHASES],
    /// lag_p: years from investing in a phase to its GDP contribution.
    pub phase_lag: [u32; PHASES],
}

impl Schedules {
    /// Checks that `phase_lag_shift` keeps every phase lag at zero or more.
    ///
    /// ```
    /// # let s = nexus_mc::config::Scenario::load("kpmg-point").unwrap().schedules;
    /// assert!(s.check_lag_shift(-1.0).is_ok());
    /// assert!(s.check_lag_shift(-2.0).unwrap_err().contains("must be >= -1"));
    /// ```
    pub fn check_lag_shift(&self, shift: f64) -> Result<(), String> {
        let shortest = self.phase_lag.iter().min().copied().unwrap_or(0);
        if f64::from(shortest) + shift < 0.0 {
            return Err(format!(
                "{shift} would make the shortest phase lag ({shortest} years) negative; \
                 it must be >= -{shortest}"
            ));
        }
        Ok(())
    }
}

/// The model, prepared for many evaluations of one scenario.
///
/// ```
/// use nexus_mc::config::Scenario;
/// use nexus_mc::model::{Metric, Model, Outputs};
///
/// let scenario = Scenario::load("kpmg-point").unwrap();
/// let model = Model::new(&scenario.schedules);
/// let mut out = Outputs::default();
/// model.evaluate(&scenario.point(), &mut out);
/// assert_eq!(out.at(Metric::GdpTotal, 2035).round(), 12_601.0);
/// ```
#[derive(Clone, Debug)]
pub struct Model {
    public: [f64; YEARS],
    enabling: [f64; YEARS],
    /// cum_public[k] = sum of public[v] for v < k: drug-line windows in O(1).
    cum_public: [f64; YEARS + 1],
    /// w_p: the public part of total investment per public euro, by phase.
    public_part: [f64; PHASES],
    /// w_p (1/s_p - 1): the induced private part per public euro, by phase.
    private_part: [f64; PHASES],
    public_part_sum: f64,
    private_part_sum: f64,
    phase_lag: [i64; PHASES],
}

impl Model {
    /// Prepares the model for a scenario's schedules.
    pub fn new(s: &Schedules) -> Model {
        let mut cum_public = [0.0; YEARS + 1];
        for (v, p) in s.public_investment.iter().enumerate() {
            cum_public[v + 1] = cum_public[v] + p;
        }
        let public_part = s.phase_weights;
        let private_part: [f64; PHASES] =
            std::array::from_fn(|p| s.phase_weights[p] * (1.0 / s.public_share[p] - 1.0));
        Model {
            public: s.public_investment,
            enabling: s.enabling_conditions,
            cum_public,
            public_part,
            private_part,
            public_part_sum: public_part.iter().sum(),
            private_part_sum: private_part.iter().sum(),
            phase_lag: s.phase_lag.map(i64::from),
        }
    }

    /// Induced private investment per public euro: `additionality * L`, where
    /// L = sum_p w_p / s_p - 1 is the plan's "2.5x" leverage (anomaly E).
    pub fn leverage(&self, p: &ParamSet) -> f64 {
        p[Param::Additionality] * self.private_part_sum / self.public_part_sum
    }

    /// Evaluates one parameter set into `out` (MODEL.md section 2 with the
    /// stress parameters and switches of DESIGN.md). Allocates nothing.
    pub fn evaluate(&self, p: &ParamSet, out: &mut Outputs) {
        let m = p[Param::Multiplier];
        let sigma = p[Param::LastingShare];
        let growth = 1.0 + p[Param::SectorGrowth];
        let additionality = p[Param::Additionality];
        let kept = 1.0 - p[Param::Displacement];
        let scale_p = p[Param::PublicInvestmentScale];
        let scale_r = p[Param::EnablingScale];
        let (rate_gs, rate_d) = tax_rates(p);
        let per_job = p[Param::ValueAddedPerJob];

        // Total investment per public euro, and its split over phases.
        let invest_per_public = self.public_part_sum + additionality * self.private_part_sum;
        let drug_factor =
            m * scale_p * p[Param::DrugSales] * p[Param::NlProductionShare] / p[Param::DrugCost];
        let lag_shift = p[Param::PhaseLagShift] as i64;
        let sales_years = p[Param::DrugSalesYears] as i64;
        let mut phase_factor = [0.0; PHASES];
        let mut launch_lag = [0i64; PHASES];
        for k in 0..PHASES {
            phase_factor[k] =
                drug_factor * (self.public_part[k] + additionality * self.private_part[k]);
            launch_lag[k] = self.phase_lag[k] + lag_shift + 1;
        }

        // Lasting growth: what each of the first ten years adds.
        let mut added = [0.0; LASTING_YEARS];
        let after = p.after_2035();
        let life = p[Param::LastingLife] as usize;
        let mut lasting = 0.0;
        // growth^j for j < YEARS, for expiring vintages.
        let mut powers = [1.0; YEARS];
        if after == After2035::Expire {
            for j in 1..YEARS {
                powers[j] = powers[j - 1] * growth;
            }
        }

        let discount = 1.0 / (1.0 + p[Param::DiscountRate]);
        let mut df = discount.powi(FIRST_YEAR - DISCOUNT_BASE_YEAR);
        let gdp_growth = 1.0 + p[Param::GdpGrowth];
        let mut gdp = p[Param::GdpBase] * gdp_growth.powi(FIRST_YEAR - GDP_BASE_YEAR);
        let mut npv = 0.0;

        for t in 0..YEARS {
            let public = scale_p * self.public[t];
            let enabling = scale_r * self.enabling[t];
            let g = m * public * invest_per_public;

            if t < LASTING_YEARS {
                added[t] = if t == 0 && p.lasting_seed() == LastingSeed::Published {
                    p[Param::LastingSeed2026]
                } else {
                    sigma * g
                };
            }
            lasting = match after {
                After2035::Freeze if t >= LASTING_YEARS => lasting,
                After2035::Expire => expiring_sum(&added, t, life, &powers),
                _ => growth * lasting + if t < LASTING_YEARS { added[t] } else { 0.0 },
            };

            // Drugs launched from vintage v sell in years v+lag+1 ..= v+lag+N.
            let mut drugs = 0.0;
            for k in 0..PHASES {
                let newest = (t as i64 - launch_lag[k] + 1).clamp(0, YEARS as i64) as usize;
                let oldest =
                    (t as i64 - launch_lag[k] + 1 - sales_years).clamp(0, YEARS as i64) as usize;
                drugs += phase_factor[k] * (self.cum_public[newest] - self.cum_public[oldest]);
            }

            let (g, s, d) = (kept * g, kept * lasting, kept * drugs);
            let total = g + s + d;
            let tax = rate_gs * (g + s) + rate_d * d;
            let cash_flow = tax - public - enabling;
            npv += cash_flow * df;

            out[Metric::PublicInvestment][t] = public;
            out[Metric::EnablingConditions][t] = enabling;
            out[Metric::GdpInvestment][t] = g;
            out[Metric::GdpLasting][t] = s;
            out[Metric::GdpDrugs][t] = d;
            out[Metric::GdpTotal][t] = total;
            out[Metric::GdpSharePct][t] = 100.0 * total / gdp;
            out[Metric::Jobs][t] = total / per_job;
            out[Metric::Tax][t] = tax;
            out[Metric::CashFlow][t] = cash_flow;
            out[Metric::DiscountFactor][t] = df;
            out[Metric::DiscountedCashFlow][t] = cash_flow * df;
            out[Metric::NpvCum][t] = npv;

            df *= discount;
            gdp *= gdp_growth;
        }
    }
}

/// Tax revenue per euro of (G + S) and per euro of D under the chosen method.
pub fn tax_rates(p: &ParamSet) -> (f64, f64) {
    match p.tax_method() {
        TaxMethod::Kpmg => (
            p[Param::PersonnelShare] * p[Param::TaxBurden],
            p[Param::ProfitMargin] * p[Param::CorporateTax],
        ),
        TaxMethod::Wage => (p[Param::WageTaxRate], p[Param::DrugTaxRate]),
    }
}

/// S_t when each year's addition grows (`powers[j]` = growth^j) and drops out
/// after `life` years.
fn expiring_sum(added: &[f64; LASTING_YEARS], t: usize, life: usize, powers: &[f64; YEARS]) -> f64 {
    let first_alive = (t + 1).saturating_sub(life);
    let last = t.min(LASTING_YEARS - 1);
    (first_alive..=last).map(|v| added[v] * powers[t - v]).sum()
}
