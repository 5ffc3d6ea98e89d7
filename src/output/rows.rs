//! One row type per CSV output file: the writer serialises it, the report
//! reads it back into the same type, so each column is declared once, here.
//!
//! Numbers are written by [`csv_number`] (the shortest text that reads back
//! as the same `f64`), so a row read from its file equals the row written.
//! The header is the row type's field names, in order ([`columns`]).

use std::io::{self, Write};

use serde::de::{self, DeserializeOwned, Visitor};
use serde::ser;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::table::csv_number;

/// Writes `rows` of one file: the header (the row type's field names), then
/// one line a row.
pub fn write_rows<R: Serialize + DeserializeOwned>(
    w: &mut dyn Write,
    rows: &[R],
) -> io::Result<()> {
    let mut csv = csv::WriterBuilder::new().has_headers(false).from_writer(w);
    csv.write_record(columns::<R>())?;
    for row in rows {
        csv.serialize(row)?;
    }
    csv.flush()
}

/// Reads every row of a file written by [`write_rows`].
pub fn read_rows<R: DeserializeOwned>(r: impl io::Read) -> Result<Vec<R>, csv::Error> {
    csv::Reader::from_reader(r).deserialize().collect()
}

/// The columns of a row type: its field names, in declaration order, as
/// serde's derive lists them for deserialising.
pub fn columns<R: DeserializeOwned>() -> &'static [&'static str] {
    /// A deserializer that only records the field names it is offered.
    struct Fields(&'static [&'static str]);
    #[derive(Debug)]
    struct Done;
    impl std::fmt::Display for Done {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field names recorded")
        }
    }
    impl std::error::Error for Done {}
    impl de::Error for Done {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Done
        }
    }
    impl<'de> Deserializer<'de> for &mut Fields {
        type Error = Done;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Done> {
            Err(Done)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Done> {
            self.0 = fields;
            Err(Done)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields = Fields(&[]);
    let _ = R::deserialize(&mut fields);
    fields.0
}

/// A finite number. The last guard of the promise that no output holds a
/// NaN or an infinity the docs do not define: a non-finite value fails the
/// write (exit 1) instead of reaching a file.
fn number<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if !x.is_finite() {
        return Err(ser::Error::custom(format!(
            "refusing to write the non-finite number {x}"
        )));
    }
    s.serialize_str(&csv_number(*x))
}

/// A histogram edge: finite, or the documented `-inf`/`inf` of the open
/// first and last bins; never NaN.
fn edge<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_nan() {
        return Err(ser::Error::custom("refusing to write NaN as a bin edge"));
    }
    s.serialize_str(&csv_number(*x))
}

fn optional_number<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match x {
        Some(x) => number(x, s),
        None => s.serialize_str(""),
    }
}

/// An empty field reads as `None`.
fn optional<'de, D: Deserializer<'de>, T: std::str::FromStr>(d: D) -> Result<Option<T>, D::Error>
where
    T::Err: std::fmt::Display,
{
    let text = String::deserialize(d)?;
    if text.is_empty() {
        Ok(None)
    } else {
        text.parse().map(Some).map_err(de::Error::custom)
    }
}

/// A row of `bands.csv`: one metric in one year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BandRow {
    /// The metric's name, e.g. `gdp_share_pct`.
    pub metric: String,
    /// The year, 2026 to 2050.
    pub year: i32,
    /// Mean over the runs.
    #[serde(serialize_with = "number")]
    pub mean: f64,
    /// Standard deviation over the runs.
    #[serde(serialize_with = "number")]
    pub std: f64,
    /// 5th percentile.
    #[serde(serialize_with = "number")]
    pub p05: f64,
    /// 10th percentile.
    #[serde(serialize_with = "number")]
    pub p10: f64,
    /// 25th percentile.
    #[serde(serialize_with = "number")]
    pub p25: f64,
    /// Median.
    #[serde(serialize_with = "number")]
    pub p50: f64,
    /// 75th percentile.
    #[serde(serialize_with = "number")]
    pub p75: f64,
    /// 90th percentile.
    #[serde(serialize_with = "number")]
    pub p90: f64,
    /// 95th percentile.
    #[serde(serialize_with = "number")]
    pub p95: f64,
}

/// A row of `claims.csv`: one claim and the probability that it holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimRow {
    /// The claim's name.
    pub claim: String,
    /// The metric it tests.
    pub metric: String,
    /// The year it tests.
    pub year: i32,
    /// The comparison, `>=`, `>`, `<=` or `<`.
    pub op: String,
    /// The threshold, in the metric's unit.
    #[serde(serialize_with = "number")]
    pub threshold: f64,
    /// Share of the runs in which it holds.
    #[serde(serialize_with = "number")]
    pub probability: f64,
    /// Monte Carlo standard error of that share.
    #[serde(serialize_with = "number")]
    pub std_error: f64,
    /// Runs counted.
    pub runs: u64,
}

/// A row of `band_intervals.csv`: the 95 % confidence interval of one
/// statistic of `bands.csv` (docs/outputs.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BandIntervalRow {
    /// The metric's name, e.g. `gdp_share_pct`.
    pub metric: String,
    /// The year, 2026 to 2050.
    pub year: i32,
    /// `mean`, or a percentile `p05` ... `p95`: a column of `bands.csv`.
    pub statistic: String,
    /// The value in `bands.csv`.
    #[serde(serialize_with = "number")]
    pub estimate: f64,
    /// Lower bound; empty where no interval is stated (see `method`).
    #[serde(serialize_with = "optional_number", deserialize_with = "optional")]
    pub lo: Option<f64>,
    /// Upper bound; empty where no interval is stated.
    #[serde(serialize_with = "optional_number", deserialize_with = "optional")]
    pub hi: Option<f64>,
    /// How the interval was found, or why there is none.
    pub method: String,
}

/// A row of `claim_intervals.csv`: the 95 % confidence interval of one
/// claim's probability in `claims.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimIntervalRow {
    /// The claim's name.
    pub claim: String,
    /// The probability in `claims.csv`.
    #[serde(serialize_with = "number")]
    pub probability: f64,
    /// Lower bound; empty where no interval is stated (see `method`).
    #[serde(serialize_with = "optional_number", deserialize_with = "optional")]
    pub lo: Option<f64>,
    /// Upper bound; empty where no interval is stated.
    #[serde(serialize_with = "optional_number", deserialize_with = "optional")]
    pub hi: Option<f64>,
    /// How the interval was found, or why there is none.
    pub method: String,
}

/// A row of `histogram.csv`: one bin (the first and last are open-ended).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistogramRow {
    /// The metric's name.
    pub metric: String,
    /// The year.
    pub year: i32,
    /// Lower edge (`-inf` for the runs below the bins).
    #[serde(serialize_with = "edge")]
    pub bin_lo: f64,
    /// Upper edge (`inf` for the runs above the bins).
    #[serde(serialize_with = "edge")]
    pub bin_hi: f64,
    /// Runs in the bin.
    pub count: u64,
}

/// A row of `sobol.csv`: first-order and total indices with their interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SobolRow {
    /// The output, `METRIC:YEAR`.
    pub output: String,
    /// The parameter.
    pub parameter: String,
    /// First-order index.
    #[serde(serialize_with = "number")]
    pub s1: f64,
    /// Its interval's lower end.
    #[serde(serialize_with = "number")]
    pub s1_lo: f64,
    /// Its interval's upper end.
    #[serde(serialize_with = "number")]
    pub s1_hi: f64,
    /// Total index.
    #[serde(serialize_with = "number")]
    pub st: f64,
    /// Its interval's lower end.
    #[serde(serialize_with = "number")]
    pub st_lo: f64,
    /// Its interval's upper end.
    #[serde(serialize_with = "number")]
    pub st_hi: f64,
}

/// A row of `tornado.csv`: the output with one parameter at its P10 and P90.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TornadoRow {
    /// The output.
    pub output: String,
    /// The parameter.
    pub parameter: String,
    /// The parameter's P10, in its own terms.
    pub input_p10: String,
    /// The parameter's P90.
    pub input_p90: String,
    /// The output with the parameter at its P10.
    #[serde(serialize_with = "number")]
    pub output_at_p10: f64,
    /// The output with the parameter at its P90.
    #[serde(serialize_with = "number")]
    pub output_at_p90: f64,
    /// The output at every median.
    #[serde(serialize_with = "number")]
    pub base: f64,
    /// `|output_at_p90 - output_at_p10|`.
    #[serde(serialize_with = "number")]
    pub swing: f64,
}

/// A row of `rank_correlation.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankRow {
    /// The output.
    pub output: String,
    /// The parameter.
    pub parameter: String,
    /// Spearman rank correlation.
    #[serde(serialize_with = "number")]
    pub spearman: f64,
    /// Partial rank correlation.
    #[serde(serialize_with = "number")]
    pub prcc: f64,
}

/// A row of `morris.csv`: elementary effects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MorrisRow {
    /// The output.
    pub output: String,
    /// The parameter.
    pub parameter: String,
    /// Mean absolute elementary effect.
    #[serde(serialize_with = "number")]
    pub mu_star: f64,
    /// Mean elementary effect.
    #[serde(serialize_with = "number")]
    pub mu: f64,
    /// Their standard deviation.
    #[serde(serialize_with = "number")]
    pub sigma: f64,
}

/// A row of `switching_values.csv`: where one parameter flips one claim.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SwitchingRow {
    /// The claim's name.
    pub claim: String,
    /// The output it tests.
    pub output: String,
    /// Its comparison.
    pub op: String,
    /// Its threshold.
    #[serde(serialize_with = "number")]
    pub threshold: f64,
    /// The parameter moved.
    pub parameter: String,
    /// The parameter's median, in its own terms.
    pub median: String,
    /// Whether the claim holds at every median.
    pub holds_at_median: bool,
    /// Where it flips; empty if not within the parameter's support.
    pub switching_value: String,
    /// The same in words, e.g. `fails below 1.945`.
    pub reading: String,
}

/// A row of `shapley.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShapleyRow {
    /// The output.
    pub output: String,
    /// The parameter.
    pub parameter: String,
    /// Shapley effect (share of the output's variance).
    #[serde(serialize_with = "number")]
    pub shapley: f64,
    /// Its Monte Carlo standard error.
    #[serde(serialize_with = "number")]
    pub std_error: f64,
    /// Its interval's lower end.
    #[serde(serialize_with = "number")]
    pub lo: f64,
    /// Its interval's upper end.
    #[serde(serialize_with = "number")]
    pub hi: f64,
}

/// A row of `indices_by_year.csv`; the Shapley columns are empty where
/// Shapley effects were not computed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ByYearRow {
    /// The metric.
    pub output: String,
    /// The year.
    pub year: i32,
    /// The parameter.
    pub parameter: String,
    /// First-order Sobol index.
    #[serde(serialize_with = "number")]
    pub s1: f64,
    /// Its interval's lower end.
    #[serde(serialize_with = "number")]
    pub s1_lo: f64,
    /// Its interval's upper end.
    #[serde(serialize_with = "number")]
    pub s1_hi: f64,
    /// Total Sobol index.
    #[serde(serialize_with = "number")]
    pub st: f64,
    /// Its interval's lower end.
    #[serde(serialize_with = "number")]
    pub st_lo: f64,
    /// Its interval's upper end.
    #[serde(serialize_with = "number")]
    pub st_hi: f64,
    /// Shapley effect.
    #[serde(serialize_with = "optional_number", deserialize_with = "optional")]
    pub shapley: Option<f64>,
    /// Its interval's lower end.
    #[serde(serialize_with = "optional_number", deserialize_with = "optional")]
    pub shapley_lo: Option<f64>,
    /// Its interval's upper end.
    #[serde(serialize_with = "optional_number", deserialize_with = "optional")]
    pub shapley_hi: Option<f64>,
}

/// A row of `filter.csv`: one decile of one parameter for one claim, or,
/// for a claim that holds in no run or in every run, one row with a `note`
/// and every other column empty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FilterRow {
    /// The claim's name.
    pub claim: String,
    /// The parameter.
    pub parameter: String,
    /// Kolmogorov-Smirnov distance between the runs where the claim holds
    /// and where it fails.
    #[serde(serialize_with = "optional_number", deserialize_with = "optional")]
    pub ks_distance: Option<f64>,
    /// Its p-value.
    #[serde(serialize_with = "optional_number", deserialize_with = "optional")]
    pub p_value: Option<f64>,
    /// The decile, 1 to 10.
    #[serde(deserialize_with = "optional")]
    pub decile: Option<u32>,
    /// The decile's lower end, in the parameter's terms.
    pub lo: String,
    /// Its upper end.
    pub hi: String,
    /// Runs in the decile.
    #[serde(deserialize_with = "optional")]
    pub runs: Option<u64>,
    /// Share of them in which the claim holds.
    #[serde(serialize_with = "optional_number", deserialize_with = "optional")]
    pub p_holds: Option<f64>,
    /// Why the claim has no deciles, if it has none.
    pub note: String,
}

/// A row of `bridge.csv`: one step's contribution to one statistic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BridgeRow {
    /// The step's name.
    pub step: String,
    /// Its parameters, joined by `+`.
    pub parameters: String,
    /// The statistic, e.g. `median gdp_share_pct:2035`.
    pub output: String,
    /// The statistic in the scenario bridged from.
    #[serde(serialize_with = "number")]
    pub from: f64,
    /// The statistic in the scenario bridged to.
    #[serde(serialize_with = "number")]
    pub to: f64,
    /// The step's Shapley contribution.
    #[serde(serialize_with = "number")]
    pub contribution: f64,
    /// Its Monte Carlo standard error.
    #[serde(serialize_with = "number")]
    pub std_error: f64,
    /// Its contribution in the one-at-a-time waterfall.
    #[serde(serialize_with = "number")]
    pub sequential: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_the_field_names_in_order() {
        assert_eq!(
            columns::<ClaimRow>(),
            [
                "claim",
                "metric",
                "year",
                "op",
                "threshold",
                "probability",
                "std_error",
                "runs"
            ]
        );
    }

    #[test]
    fn rows_read_back_equal_to_what_was_written() {
        let rows = vec![
            HistogramRow {
                metric: "jobs".into(),
                year: 2035,
                bin_lo: f64::NEG_INFINITY,
                bin_hi: 0.1 + 0.2,
                count: 3,
            },
            HistogramRow {
                metric: "jobs".into(),
                year: 2035,
                bin_lo: 1e-9,
                bin_hi: f64::INFINITY,
                count: 0,
            },
        ];
        let mut text = Vec::new();
        write_rows(&mut text, &rows).unwrap();
        assert_eq!(
            String::from_utf8(text.clone()).unwrap(),
            "metric,year,bin_lo,bin_hi,count\n\
             jobs,2035,-inf,0.30000000000000004,3\n\
             jobs,2035,0.000000001,inf,0\n"
        );
        assert_eq!(read_rows::<HistogramRow>(&text[..]).unwrap(), rows);
    }

    #[test]
    fn empty_optional_fields_read_as_none() {
        let row = FilterRow {
            claim: "c".into(),
            parameter: String::new(),
            ks_distance: None,
            p_value: None,
            decile: None,
            lo: String::new(),
            hi: String::new(),
            runs: None,
            p_holds: None,
            note: "holds in no run: nothing to filter".into(),
        };
        let mut text = Vec::new();
        write_rows(&mut text, std::slice::from_ref(&row)).unwrap();
        assert!(String::from_utf8(text.clone())
            .unwrap()
            .ends_with("\nc,,,,,,,,,holds in no run: nothing to filter\n"));
        assert_eq!(read_rows::<FilterRow>(&text[..]).unwrap(), vec![row]);
    }

    #[test]
    fn a_non_finite_number_fails_the_write_instead_of_reaching_the_file() {
        let row = |value: f64| RankRow {
            output: "gdp_share_pct:2035".into(),
            parameter: "multiplier".into(),
            spearman: value,
            prcc: 0.5,
        };
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut text = Vec::new();
            let err = write_rows(&mut text, &[row(0.25), row(bad)]).unwrap_err();
            assert!(err.to_string().contains("non-finite"), "{err}");
        }
        let nan_edge = HistogramRow {
            metric: "jobs".into(),
            year: 2035,
            bin_lo: f64::NAN,
            bin_hi: 1.0,
            count: 1,
        };
        let err = write_rows(&mut Vec::new(), &[nan_edge]).unwrap_err();
        assert!(err.to_string().contains("NaN"), "{err}");
    }

    #[test]
    fn an_empty_table_still_has_its_header() {
        let mut text = Vec::new();
        write_rows::<RankRow>(&mut text, &[]).unwrap();
        assert_eq!(text, b"output,parameter,spearman,prcc\n");
    }
}
