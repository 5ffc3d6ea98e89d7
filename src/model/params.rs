//! The canonical scalar parameters of the model: one registry of names,
//! units, domains and meanings that the config loader, the samplers and the
//! reports all read, so a parameter is declared exactly once.

use std::fmt;
use std::ops::{Index, IndexMut};

/// What values a parameter may take.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Domain {
    /// A share in `[0, 1]`.
    Share,
    /// A real number in `[min, max]`: the range in which the quantity means
    /// something economically. Bounded on both sides, so that no value that
    /// validates can make an output infinite (an economy of 10^-300 EUR m,
    /// a multiplier of 10^300).
    Range {
        /// Smallest value allowed.
        min: f64,
        /// Largest value allowed.
        max: f64,
    },
    /// A whole number in `[min, max]`.
    Integer {
        /// Smallest value allowed.
        min: i64,
        /// Largest value allowed.
        max: i64,
    },
    /// One of a fixed set of named choices, stored as the choice's index.
    /// The first choice is the plan's own.
    Choice(&'static [&'static str]),
}

impl Domain {
    /// Checks one value, returning why it is outside the domain.
    ///
    /// ```
    /// use nexus_mc::model::Domain;
    /// assert!(Domain::Share.check(0.3).is_ok());
    /// assert_eq!(Domain::Share.check(1.5).unwrap_err().to_string(), "must be a share in [0, 1]");
    /// ```
    pub fn check(&self, x: f64) -> Result<(), super::ValueError> {
        if !x.is_finite() {
            return Err("must be a finite number".into());
        }
        let ok = match *self {
            Domain::Share => (0.0..=1.0).contains(&x),
            Domain::Range { min, max } => (min..=max).contains(&x),
            Domain::Integer { min, max } => x.fract() == 0.0 && x >= min as f64 && x <= max as f64,
            Domain::Choice(names) => x.fract() == 0.0 && x >= 0.0 && (x as usize) < names.len(),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("must be {self}").into())
        }
    }

    /// True for domains whose values are whole numbers or choice indices.
    pub fn is_discrete(&self) -> bool {
        matches!(self, Domain::Integer { .. } | Domain::Choice(_))
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Domain::Share => write!(f, "a share in [0, 1]"),
            Domain::Range { min, max } => write!(f, "a number in [{min}, {max}]"),
            Domain::Integer { min, max } => write!(f, "a whole number in [{min}, {max}]"),
            Domain::Choice(names) => write!(f, "one of {}", names.join(", ")),
        }
    }
}

macro_rules! registry {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, $unit:literal, $domain:expr; )*) => {
        /// A canonical scalar parameter (docs/scenarios.md section 4).
        ///
        /// Structural switches are parameters too (a [`Domain::Choice`]), so a
        /// scenario may draw them like any other input.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Param {
            $( $(#[$doc])* $variant, )*
        }

        impl Param {
            /// Every parameter, in registry order (the order of [`ParamSet`]).
            pub const ALL: &'static [Param] = &[$(Param::$variant),*];
            /// How many parameters there are.
            pub const COUNT: usize = Self::ALL.len();

            /// The canonical name used in scenario files and CSV columns.
            pub const fn name(self) -> &'static str {
                match self { $(Param::$variant => $name,)* }
            }

            /// The unit a scenario file must state for this parameter.
            pub const fn unit(self) -> &'static str {
                match self { $(Param::$variant => $unit,)* }
            }

            /// The values this parameter may take.
            pub const fn domain(self) -> Domain {
                match self { $(Param::$variant => $domain,)* }
            }
        }
    };
}

const LASTING_SEED: &[&str] = &["published", "rule"];
const AFTER_2035: &[&str] = &["grow", "freeze", "expire"];
const TAX_METHOD: &[&str] = &["kpmg", "wage"];

registry! {
    /// m: GDP multiplier on R&D and production spending.
    Multiplier => "multiplier", "ratio", Domain::Range { min: 0.0, max: 10.0 };
    /// sigma: share of investment-driven GDP that becomes lasting growth (first 10 years).
    LastingShare => "lasting_share", "share", Domain::Share;
    /// g: yearly growth of the sector, compounding the lasting growth.
    SectorGrowth => "sector_growth", "per year", Domain::Range { min: -0.5, max: 0.5 };
    /// S_2026 as published (anomaly A): used when `lasting_seed = published`.
    LastingSeed2026 => "lasting_seed_2026", "EUR m", Domain::Range { min: 0.0, max: 100_000.0 };
    /// C: cost of one approved drug over all phases.
    DrugCost => "drug_cost", "EUR m", Domain::Range { min: 1.0, max: 100_000.0 };
    /// r: sales per approved drug per year.
    DrugSales => "drug_sales", "EUR m per year", Domain::Range { min: 0.0, max: 100_000.0 };
    /// Years a drug sells after launch.
    DrugSalesYears => "drug_sales_years", "years", Domain::Integer { min: 0, max: 40 };
    /// h: share of drug production in the Netherlands.
    NlProductionShare => "nl_production_share", "share", Domain::Share;
    /// c: personnel-cost share of the GDP contribution.
    PersonnelShare => "personnel_share", "share", Domain::Share;
    /// tau: tax burden (taxes / GDP).
    TaxBurden => "tax_burden", "share", Domain::Share;
    /// pi: profit margin on drug sales.
    ProfitMargin => "profit_margin", "share", Domain::Share;
    /// kappa: corporate tax rate.
    CorporateTax => "corporate_tax", "share", Domain::Share;
    /// rho: discount rate, discounting from 2024.
    DiscountRate => "discount_rate", "per year", Domain::Range { min: -0.1, max: 0.5 };
    /// v: value added per job.
    ValueAddedPerJob => "value_added_per_job", "EUR m per job", Domain::Range { min: 0.01, max: 10.0 };
    /// Dutch GDP in 2024 that the share is measured against.
    GdpBase => "gdp_base", "EUR m", Domain::Range { min: 100_000.0, max: 10_000_000.0 };
    /// Yearly real growth of the GDP denominator from 2024.
    GdpGrowth => "gdp_growth", "per year", Domain::Range { min: -0.2, max: 0.2 };
    /// Share of the induced private co-investment that is additional.
    Additionality => "additionality", "share", Domain::Share;
    /// Share of the GDP contribution that is only moved from elsewhere.
    Displacement => "displacement", "share", Domain::Share;
    /// Scale on the public investment schedule P.
    PublicInvestmentScale => "public_investment_scale", "ratio", Domain::Range { min: 0.0, max: 10.0 };
    /// Scale on the enabling-conditions schedule R.
    EnablingScale => "enabling_scale", "ratio", Domain::Range { min: 0.0, max: 10.0 };
    /// Whole years added to every phase lag (pipeline delay).
    PhaseLagShift => "phase_lag_shift", "years", Domain::Integer { min: -10, max: 15 };
    /// Wage tax on G + S under `tax_method = wage` (appendix 9.8).
    WageTaxRate => "wage_tax_rate", "share", Domain::Share;
    /// Tax on D under `tax_method = wage` (appendix 9.8).
    DrugTaxRate => "drug_tax_rate", "share", Domain::Share;
    /// Years one year's lasting effect lives under `after_2035 = expire`.
    LastingLife => "lasting_life", "years", Domain::Integer { min: 1, max: 100 };
    /// How S starts in 2026: the published 394 or the stated rule sigma * G_2026.
    LastingSeed => "lasting_seed", "switch", Domain::Choice(LASTING_SEED);
    /// What S does after 2035: keep compounding, freeze, or expire vintage by
    /// vintage (which, with lasting_life < 10, lowers years before 2035 too).
    After2035 => "after_2035", "switch", Domain::Choice(AFTER_2035);
    /// Which tax method: the plan's (kpmg) or the alternative wage-tax one.
    TaxMethod => "tax_method", "switch", Domain::Choice(TAX_METHOD);
}

impl Param {
    /// Finds a parameter by its canonical name.
    ///
    /// ```
    /// use nexus_mc::model::Param;
    /// assert_eq!(Param::from_name("multiplier"), Some(Param::Multiplier));
    /// assert_eq!(Param::from_name("multiplyer"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Param> {
        Param::ALL.iter().copied().find(|p| p.name() == name)
    }

    /// Parses a value written in a scenario file or on the command line:
    /// a number, or a choice name for switches.
    ///
    /// ```
    /// use nexus_mc::model::Param;
    /// assert_eq!(Param::After2035.parse_value("freeze"), Ok(1.0));
    /// assert_eq!(Param::Multiplier.parse_value("1.5"), Ok(1.5));
    /// assert!(Param::Displacement.parse_value("1.5").is_err());
    /// ```
    pub fn parse_value(self, text: &str) -> Result<f64, super::ValueError> {
        let x = match self.domain() {
            Domain::Choice(names) => match names.iter().position(|n| *n == text) {
                Some(i) => i as f64,
                None => return Err(format!("`{text}` must be one of {}", names.join(", ")).into()),
            },
            _ => text
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("`{text}` is not a number"))?,
        };
        self.domain()
            .check(x)
            .map_err(|why| format!("{text} {why}"))?;
        Ok(x)
    }

    /// Formats a value of this parameter for people: choice names for switches.
    pub(crate) fn format_value(self, x: f64) -> String {
        match self.domain() {
            Domain::Choice(names) => names.get(x as usize).copied().unwrap_or("?").to_string(),
            _ => format!("{x}"),
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One value for every parameter: the input of one model evaluation.
///
/// Plain `f64`s in registry order, so a sampled row maps onto it without
/// conversion; switches hold their choice index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSet([f64; Param::COUNT]);

impl ParamSet {
    /// Builds a set from values in registry order.
    pub(crate) fn from_array(values: [f64; Param::COUNT]) -> Self {
        ParamSet(values)
    }

    /// The values in registry order.
    pub(crate) fn as_array(&self) -> &[f64; Param::COUNT] {
        &self.0
    }

    /// A copy with one parameter changed.
    pub fn with(mut self, param: Param, value: f64) -> Self {
        self.0[param as usize] = value;
        self
    }
}

impl Index<Param> for ParamSet {
    type Output = f64;
    fn index(&self, p: Param) -> &f64 {
        &self.0[p as usize]
    }
}

impl IndexMut<Param> for ParamSet {
    fn index_mut(&mut self, p: Param) -> &mut f64 {
        &mut self.0[p as usize]
    }
}

/// How the lasting growth S starts in 2026 (anomaly A of docs/model.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LastingSeed {
    /// The published S_2026 (`lasting_seed_2026`, 394).
    Published,
    /// The stated rule: sigma * G_2026.
    Rule,
}

/// What the lasting growth S does after 2035 (docs/model.md section 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum After2035 {
    /// Keep compounding at the sector growth g (the plan's words).
    Grow,
    /// Stay at the 2035 level.
    Freeze,
    /// Each year's lasting effect drops out `lasting_life` years after it
    /// arose. With `lasting_life` below 10 this lowers years before 2035
    /// too (the 2026 addition is gone by 2026 + lasting_life): the
    /// consistent reading of a finite life, kept on purpose.
    Expire,
}

/// Which tax method turns GDP into government revenue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaxMethod {
    /// personnel_share * tax_burden on G + S; profit_margin * corporate_tax on D.
    Kpmg,
    /// wage_tax_rate on G + S; drug_tax_rate on D (appendix 9.8).
    Wage,
}

impl ParamSet {
    /// The `lasting_seed` switch.
    pub(crate) fn lasting_seed(&self) -> LastingSeed {
        if self[Param::LastingSeed] == 0.0 {
            LastingSeed::Published
        } else {
            LastingSeed::Rule
        }
    }

    /// The `after_2035` switch.
    pub(crate) fn after_2035(&self) -> After2035 {
        match self[Param::After2035] as usize {
            0 => After2035::Grow,
            1 => After2035::Freeze,
            _ => After2035::Expire,
        }
    }

    /// The `tax_method` switch.
    pub(crate) fn tax_method(&self) -> TaxMethod {
        if self[Param::TaxMethod] == 0.0 {
            TaxMethod::Kpmg
        } else {
            TaxMethod::Wage
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for (i, p) in Param::ALL.iter().enumerate() {
            assert_eq!(*p as usize, i, "registry order is the index order");
            assert_eq!(Param::from_name(p.name()), Some(*p));
        }
    }

    #[test]
    fn domains_reject_what_they_must() {
        assert!(Domain::Share.check(-0.01).is_err());
        let rate = Domain::Range {
            min: -0.1,
            max: 0.5,
        };
        assert!(rate.check(-0.1).is_ok() && rate.check(0.5).is_ok());
        assert!(rate.check(-0.11).is_err() && rate.check(0.51).is_err());
        assert!(rate.check(f64::INFINITY).is_err());
        assert!(Domain::Integer { min: 0, max: 3 }.check(1.5).is_err());
        assert!(Domain::Integer { min: 0, max: 3 }.check(4.0).is_err());
        assert!(Domain::Choice(&["a", "b"]).check(2.0).is_err());
        assert!(Domain::Share.check(f64::NAN).is_err());
    }
}
