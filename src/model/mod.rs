//! The Biotech Nexus impact model of docs/model.md: one parameter set in, fixed-size
//! yearly outputs for 2026..2050 out, without heap allocation.
//!
//! A [`Model`] is built once from the [`Schedules`] (what every run shares) and
//! precomputes what does not change between runs; [`Model::evaluate`] is the
//! hot numeric core.

mod outputs;
mod params;

pub use outputs::{year_of, Metric, Outputs};
pub use params::{After2035, Domain, LastingSeed, Param, ParamSet, TaxMethod};

use crate::arch::{multiversion, Supported};

crate::error::input_error! {
    /// Why a value is not one the model accepts (a year, a parameter value, a
    /// lag shift).
    ValueError
}

/// First modelled year.
pub(crate) const FIRST_YEAR: i32 = 2026;
/// Last modelled year.
pub(crate) const LAST_YEAR: i32 = 2050;
/// Number of modelled years, 2026..=2050.
pub const YEARS: usize = (LAST_YEAR - FIRST_YEAR + 1) as usize;
/// Year discounting starts from (discount factor 1).
pub(crate) const DISCOUNT_BASE_YEAR: i32 = 2024;
/// Year GDP growth of the denominator starts from.
pub(crate) const GDP_BASE_YEAR: i32 = 2024;
/// Years in which a share of G becomes lasting growth (2026..2035).
pub(crate) const LASTING_YEARS: usize = 10;
/// Number of pipeline phases.
pub(crate) const PHASES: usize = 6;
/// Checks that `year` is one the model covers, 2026..=2050.
///
/// ```
/// assert!(nexus_mc::model::check_year(2035).is_ok());
/// assert!(nexus_mc::model::check_year(2051).unwrap_err().0.contains("2026..2050"));
/// ```
pub fn check_year(year: i32) -> Result<(), ValueError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(format!("year {year} is outside the model's {FIRST_YEAR}..{LAST_YEAR}").into())
    }
}

/// The index of a calendar year in the yearly arrays.
///
/// # Panics
/// If `year` is outside 2026..=2050.
pub(crate) fn year_index(year: i32) -> usize {
    assert!(
        (FIRST_YEAR..=LAST_YEAR).contains(&year),
        "year {year} outside {FIRST_YEAR}..={LAST_YEAR}"
    );
    (year - FIRST_YEAR) as usize
}

/// The vectors every run of a scenario shares (docs/model.md section 2.2).
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
    /// assert!(s.check_lag_shift(-2.0).unwrap_err().0.contains("must be >= -1"));
    /// ```
    pub fn check_lag_shift(&self, shift: f64) -> Result<(), ValueError> {
        let shortest = self.phase_lag.iter().min().copied().unwrap_or(0);
        if f64::from(shortest) + shift < 0.0 {
            return Err(format!(
                "{shift} would make the shortest phase lag ({shortest} years) negative; \
                 it must be >= -{shortest}"
            )
            .into());
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
    /// Prefix sums of public investment, padded so that any drug-line window
    /// is a plain slice: `cum_public[PAD + i]` = sum of `public[v]` for v < i,
    /// 0 for i <= 0 (built once, so evaluating never allocates).
    cum_public: Vec<f64>,
    /// w_p: the public part of total investment per public euro, by phase.
    public_part: [f64; PHASES],
    /// w_p (1/s_p - 1): the induced private part per public euro, by phase.
    private_part: [f64; PHASES],
    public_part_sum: f64,
    private_part_sum: f64,
    phase_lag: [i64; PHASES],
    /// The build of the core this model runs.
    isa: Supported,
}

impl Model {
    /// Prepares the model for a scenario's schedules.
    pub fn new(s: &Schedules) -> Model {
        let longest_lag = s.phase_lag.iter().max().copied().unwrap_or(0) as usize;
        let mut cum_public = vec![0.0; pad(longest_lag) + YEARS + 1];
        let at = pad(longest_lag);
        for (v, p) in s.public_investment.iter().enumerate() {
            cum_public[at + v + 1] = cum_public[at + v] + p;
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
            isa: Supported::current(),
        }
    }

    /// Induced private investment per public euro: `additionality * L`, where
    /// L = sum_p w_p / s_p - 1 is the plan's "2.5x" leverage (anomaly E).
    pub fn leverage(&self, p: &ParamSet) -> f64 {
        p[Param::Additionality] * self.private_part_sum / self.public_part_sum
    }

    /// Evaluates one parameter set into `out` (docs/model.md section 3, with the
    /// stress parameters and switches of section 2.3). Allocates nothing.
    ///
    /// The same code runs compiled for the process's instruction set
    /// ([`Isa::selected`](crate::arch::Isa::selected)), with the same bits
    /// on every one: Rust never fuses or reorders floating-point
    /// operations, and the loops are element by element (a test checks it).
    #[inline]
    pub fn evaluate(&self, p: &ParamSet, out: &mut Outputs) {
        evaluate_on(self.isa, self, p, out);
    }

    /// The instruction set the core runs on.
    pub(crate) fn isa(&self) -> Supported {
        self.isa
    }

    #[inline(always)]
    fn evaluate_portable(&self, p: &ParamSet, out: &mut Outputs) {
        let m = p[Param::Multiplier];
        let sigma = p[Param::LastingShare];
        let growth = 1.0 + p[Param::SectorGrowth];
        let additionality = p[Param::Additionality];
        let kept = 1.0 - p[Param::Displacement];
        let scale_p = p[Param::PublicInvestmentScale];
        let scale_r = p[Param::EnablingScale];
        let (rate_gs, rate_d) = tax_rates(p);
        let per_job = 1.0 / p[Param::ValueAddedPerJob];
        // Total investment per public euro, and G per public euro.
        let invest_per_public = self.public_part_sum + additionality * self.private_part_sum;
        let g_per_public = m * invest_per_public;

        // Every output row is written in place, one loop per row where the
        // row does not depend on the year before, so the loops vectorise.
        let [public, enabling, g, s, d, total, share, jobs, tax, cash_flow, df, discounted, npv_cum] =
            out.rows_mut();
        for t in 0..YEARS {
            public[t] = scale_p * self.public[t];
            enabling[t] = scale_r * self.enabling[t];
        }

        // Lasting growth: what each of the first ten years adds (on G before
        // displacement), by recurrence while it is fed, then in closed form.
        let mut added = [0.0; LASTING_YEARS];
        for t in 0..LASTING_YEARS {
            added[t] = sigma * g_per_public * public[t];
        }
        if p.lasting_seed() == LastingSeed::Published {
            added[0] = p[Param::LastingSeed2026];
        }
        let powers: [f64; YEARS] = geometric(1.0, growth);
        match p.after_2035() {
            After2035::Expire => {
                // S_t = sum of A_v g^(t-v) over the living vintages v
                //     = g^t (Q[last + 1] - Q[first]), Q the prefix sums of A_v g^-v.
                let life = p[Param::LastingLife] as usize;
                let shrink: [f64; LASTING_YEARS] = geometric(1.0, 1.0 / growth);
                let mut q = [0.0; LASTING_YEARS + 1];
                for v in 0..LASTING_YEARS {
                    q[v + 1] = q[v] + added[v] * shrink[v];
                }
                for (t, s) in s.iter_mut().enumerate() {
                    let first = (t + 1).saturating_sub(life).min(LASTING_YEARS);
                    let last = t.min(LASTING_YEARS - 1);
                    *s = if first > last {
                        0.0
                    } else {
                        powers[t] * (q[last + 1] - q[first])
                    };
                }
            }
            after => {
                let mut lasting = 0.0;
                for t in 0..LASTING_YEARS {
                    lasting = growth * lasting + added[t];
                    s[t] = lasting;
                }
                for t in LASTING_YEARS..YEARS {
                    s[t] = match after {
                        After2035::Freeze => lasting,
                        _ => lasting * powers[t + 1 - LASTING_YEARS],
                    };
                }
            }
        }

        // Drugs launched from vintage v sell in years v+lag+1 ..= v+lag+N, so
        // D_t = sum_k f_k (C[t - lag_k + 1] - C[t - lag_k + 1 - N]) with C the
        // prefix sums of P: two slices of the padded C per phase.
        let drug_factor =
            m * scale_p * p[Param::DrugSales] * p[Param::NlProductionShare] / p[Param::DrugCost];
        let lag_shift = p[Param::PhaseLagShift] as i64;
        let sales_years = p[Param::DrugSalesYears] as i64;
        let origin = self.cum_public.len() - YEARS - 1;
        d.fill(0.0);
        for k in 0..PHASES {
            let factor = drug_factor * (self.public_part[k] + additionality * self.private_part[k]);
            let launch = self.phase_lag[k] + lag_shift + 1;
            let newest = &self.cum_public[window(origin, 1 - launch)..][..YEARS];
            let oldest = &self.cum_public[window(origin, 1 - launch - sales_years)..][..YEARS];
            for ((d, n), o) in d.iter_mut().zip(newest).zip(oldest) {
                *d += factor * (n - o);
            }
        }

        // Discounting and the GDP denominator (as its inverse).
        let discount = 1.0 / (1.0 + p[Param::DiscountRate]);
        let gdp_growth = 1.0 + p[Param::GdpGrowth];
        *df = geometric(discount.powi(FIRST_YEAR - DISCOUNT_BASE_YEAR), discount);
        let per_gdp: [f64; YEARS] = geometric(
            100.0 / (p[Param::GdpBase] * gdp_growth.powi(FIRST_YEAR - GDP_BASE_YEAR)),
            1.0 / gdp_growth,
        );

        for t in 0..YEARS {
            g[t] = kept * g_per_public * public[t];
            s[t] *= kept;
            d[t] *= kept;
            total[t] = g[t] + s[t] + d[t];
            tax[t] = rate_gs * (g[t] + s[t]) + rate_d * d[t];
            cash_flow[t] = tax[t] - public[t] - enabling[t];
            share[t] = total[t] * per_gdp[t];
            jobs[t] = total[t] * per_job;
            discounted[t] = cash_flow[t] * df[t];
        }
        let mut npv = 0.0;
        for t in 0..YEARS {
            npv += discounted[t];
            npv_cum[t] = npv;
        }
    }
}

multiversion! {
    /// [`Model::evaluate`] compiled for `isa`.
    fn evaluate_on(model: &Model, p: &ParamSet, out: &mut Outputs) = Model::evaluate_portable;
}

/// `first * ratio^t` for t = 0..N, by repeated multiplication in blocks of
/// [`GEOMETRIC_BLOCK`]: a chain of about N / 8 + 8 products instead of N,
/// since a year-by-year chain makes every later year wait for the one
/// before (the core's longest dependency). Within a few ulps of `powi`.
#[inline(always)]
fn geometric<const N: usize>(first: f64, ratio: f64) -> [f64; N] {
    let mut step = [1.0; GEOMETRIC_BLOCK];
    for k in 1..GEOMETRIC_BLOCK {
        step[k] = step[k - 1] * ratio;
    }
    let stride = step[GEOMETRIC_BLOCK - 1] * ratio;
    let mut out = [0.0; N];
    let mut base = first;
    for block in out.chunks_mut(GEOMETRIC_BLOCK) {
        for (x, s) in block.iter_mut().zip(step) {
            *x = base * s;
        }
        base *= stride;
    }
    out
}

/// Terms per block of [`geometric`]: one AVX-512 register.
const GEOMETRIC_BLOCK: usize = 8;

/// Most years a drug window can reach before 2026, for the longest phase lag:
/// the lag, the largest `phase_lag_shift` (15), one year to launch and the
/// most sales years (40), so no window needs clamping.
const fn pad(longest_lag: usize) -> usize {
    longest_lag + 15 + 1 + 40
}

/// Index into the padded prefix sums of offset `i` from 2026, clamped at the
/// padding (only reached by parameters outside their domains).
fn window(origin: usize, i: i64) -> usize {
    (origin as i64 + i).max(0) as usize
}

/// Tax revenue per euro of (G + S) and per euro of D under the chosen method.
pub(crate) fn tax_rates(p: &ParamSet) -> (f64, f64) {
    match p.tax_method() {
        TaxMethod::Kpmg => (
            p[Param::PersonnelShare] * p[Param::TaxBurden],
            p[Param::ProfitMargin] * p[Param::CorporateTax],
        ),
        TaxMethod::Wage => (p[Param::WageTaxRate], p[Param::DrugTaxRate]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Scenario;

    /// Blocked powers are the powers: within the rounding of a dozen
    /// products (an exponent off by one would miss by the ratio itself).
    #[test]
    fn geometric_terms_are_powers() {
        for ratio in [0.5, 0.93, 1.0, 1.086, 1.5] {
            let terms: [f64; YEARS] = geometric(0.97, ratio);
            for (t, &x) in terms.iter().enumerate() {
                let exact = 0.97 * ratio.powi(t as i32);
                assert!(
                    (x - exact).abs() <= 16.0 * f64::EPSILON * exact,
                    "ratio {ratio}, term {t}: {x} vs {exact}"
                );
            }
        }
        let short: [f64; 3] = geometric(2.0, 3.0);
        assert_eq!(short, [2.0, 6.0, 18.0]);
    }

    /// Every build of the core gives the same bits as the portable one, on
    /// every switch combination and across the central ranges.
    #[test]
    fn every_build_of_the_core_gives_the_same_bits() {
        let central = Scenario::load("central").unwrap();
        let model = Model::new(&central.schedules);
        let paths = crate::arch::testable("every_build_of_the_core_gives_the_same_bits");
        let mut fast = Outputs::default();
        let mut portable = Outputs::default();
        for i in 0..600u32 {
            let u = |k: u32| (f64::from(i * 7 + k * 13) * 0.618_033_988_749_895).fract();
            let mut p = central.point();
            for (k, spec) in central.parameters.iter().enumerate() {
                p[spec.param] = spec.distribution.quantile(u(k as u32).clamp(0.001, 0.999));
            }
            p[Param::After2035] = f64::from(i % 3);
            p[Param::TaxMethod] = f64::from(i % 2);
            model.evaluate_portable(&p, &mut portable);
            for &isa in &paths {
                evaluate_on(isa, &model, &p, &mut fast);
                assert_eq!(fast, portable, "{isa:?}, parameter set {i}");
            }
        }
    }
}
