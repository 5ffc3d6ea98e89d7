//! Fixed-size yearly outputs of one model evaluation.

use std::ops::{Index, IndexMut};

use super::{FIRST_YEAR, YEARS};

macro_rules! metrics {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal; )*) => {
        /// One yearly output series of the model (the columns of `baseline.csv`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Metric {
            $( $(#[$doc])* $variant, )*
        }

        impl Metric {
            /// Every metric, in `baseline.csv` column order.
            pub const ALL: &'static [Metric] = &[$(Metric::$variant),*];
            /// How many metrics there are.
            pub(crate) const COUNT: usize = Self::ALL.len();

            /// The column name in the CSV outputs.
            pub const fn name(self) -> &'static str {
                match self { $(Metric::$variant => $name,)* }
            }
        }
    };
}

metrics! {
    /// P_t, EUR m.
    PublicInvestment => "public_investment";
    /// R_t, EUR m.
    EnablingConditions => "enabling_conditions";
    /// G_t = m * I_t, net of displacement, EUR m.
    GdpInvestment => "gdp_investment";
    /// S_t, lasting market growth, net of displacement, EUR m.
    GdpLasting => "gdp_lasting";
    /// D_t, drug production and sales, net of displacement, EUR m.
    GdpDrugs => "gdp_drugs";
    /// Y_t = G_t + S_t + D_t, EUR m.
    GdpTotal => "gdp_total";
    /// Y_t as a percentage of GDP in year t (1.2 means 1.2 %).
    GdpSharePct => "gdp_share_pct";
    /// Y_t / value added per job, head count.
    Jobs => "jobs";
    /// Government tax revenue from Y_t, EUR m.
    Tax => "tax";
    /// CF_t = tax - P_t - R_t, EUR m.
    CashFlow => "cash_flow";
    /// (1 + rho)^-(t - 2024).
    DiscountFactor => "discount_factor";
    /// CF_t * discount factor, EUR m.
    DiscountedCashFlow => "discounted_cash_flow";
    /// Cumulative discounted cash flow from 2026 to t, EUR m.
    NpvCum => "npv_cum";
}

impl Metric {
    /// Finds a metric by its column name.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.name() == name)
    }
}

/// The yearly outputs of one evaluation: one row of [`YEARS`] values per [`Metric`].
///
/// Plain arrays, so evaluating the model never allocates.
#[derive(Clone, Debug, PartialEq)]
pub struct Outputs {
    rows: [[f64; YEARS]; Metric::COUNT],
}

impl Default for Outputs {
    fn default() -> Self {
        Outputs {
            rows: [[0.0; YEARS]; Metric::COUNT],
        }
    }
}

impl Outputs {
    /// The value of `metric` in calendar `year`.
    ///
    /// # Panics
    /// If `year` is outside 2026..=2050.
    pub fn at(&self, metric: Metric, year: i32) -> f64 {
        self.rows[metric as usize][super::year_index(year)]
    }
}

impl Outputs {
    /// Every row at once, in [`Metric::ALL`] order, for the model to fill.
    pub(super) fn rows_mut(&mut self) -> &mut [[f64; YEARS]; Metric::COUNT] {
        &mut self.rows
    }
}

impl Index<Metric> for Outputs {
    type Output = [f64; YEARS];
    fn index(&self, m: Metric) -> &[f64; YEARS] {
        &self.rows[m as usize]
    }
}

impl IndexMut<Metric> for Outputs {
    fn index_mut(&mut self, m: Metric) -> &mut [f64; YEARS] {
        &mut self.rows[m as usize]
    }
}

/// The calendar year of a year index.
pub const fn year_of(index: usize) -> i32 {
    FIRST_YEAR + index as i32
}
