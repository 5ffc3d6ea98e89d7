//! Plain-text tables and number formatting for the terminal.

/// A text table: first column left-aligned, the others right-aligned.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with a header row.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Table {
        Table {
            rows: vec![header.into_iter().map(Into::into).collect()],
        }
    }

    /// Appends a row.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// Renders the table, every line indented by two spaces.
    pub fn render(&self) -> String {
        let cols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let width: Vec<usize> = (0..cols)
            .map(|c| {
                let cells = self.rows.iter().filter_map(|r| r.get(c));
                cells.map(|s| s.chars().count()).max().unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::from(" ");
            for (c, w) in width.iter().enumerate() {
                let cell = row.get(c).map(String::as_str).unwrap_or("");
                if c == 0 {
                    line.push_str(&format!(" {cell:<w$}"));
                } else {
                    line.push_str(&format!("  {cell:>w$}"));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// A number with thousands separators and a fixed number of decimals.
///
/// ```
/// use nexus_mc::table::number;
/// assert_eq!(number(12600.4, 0), "12,600");
/// assert_eq!(number(-1234.567, 1), "-1,234.6");
/// assert_eq!(number(0.854, 2), "0.85");
/// ```
pub fn number(x: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, x.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let grouped = thousands(int);
    let negative = x < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0');
    let sign = if negative { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// A whole count with thousands separators, exact for every `u64` (a
/// count through [`number`] would round past 2^53).
///
/// ```
/// use nexus_mc::table::count;
/// assert_eq!(count(u64::MAX), "18,446,744,073,709,551,615");
/// ```
pub fn count(n: u64) -> String {
    thousands(&n.to_string())
}

/// Digits with a comma before each group of three from the right.
fn thousands(digits: &str) -> String {
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    grouped
}

/// A number to `digits` significant digits, without exponent or trailing zeros.
///
/// ```
/// use nexus_mc::table::significant;
/// assert_eq!(significant(1.3276348892, 4), "1.328");
/// assert_eq!(significant(2127.43752, 4), "2127");
/// assert_eq!(significant(0.0283061, 3), "0.0283");
/// assert_eq!(significant(0.41000000000000003, 4), "0.41");
/// ```
pub fn significant(x: f64, digits: usize) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i64;
    let decimals = (digits as i64 - 1 - magnitude).max(0) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A probability for people: four decimals, or three significant digits
/// where four decimals would hide it (below 0.001 or above 0.999); exact 0
/// and 1 as `0.0000` and `1.0000`.
///
/// ```
/// use nexus_mc::table::probability;
/// assert_eq!(probability(0.2151), "0.2151");
/// assert_eq!(probability(0.0000123), "0.0000123");
/// assert_eq!(probability(0.0), "0.0000");
/// ```
pub fn probability(p: f64) -> String {
    if p == 0.0 || p == 1.0 || (1e-3..=1.0 - 1e-3).contains(&p) {
        format!("{p:.4}")
    } else {
        significant(p, 3)
    }
}

/// An estimated claim probability for people: with its standard error, or,
/// when the claim held in no run or in every run (where the standard error
/// is 0 and says nothing), the bound of Wilson's 95 % interval, as
/// `claim_intervals.csv` states it (one-sided, it holds at 97.5 %).
/// `std_error` is `None` for a sample whose error is not stated (a Latin
/// hypercube or Sobol run without replicates is not iid): the probability
/// then stands alone, with the reason.
///
/// ```
/// use nexus_mc::table::claim_probability;
/// assert_eq!(claim_probability(0.2142, Some(0.00041), 1_000_000), "0.2142 +- 0.00041");
/// assert_eq!(claim_probability(0.0, Some(0.0), 20_000), "0 (no run; below 0.00019 at 97.5 %)");
/// assert_eq!(claim_probability(1.0, Some(0.0), 1_000), "1 (every run; above 1 - 0.0038 at 97.5 %)");
/// assert_eq!(claim_probability(0.0, None, 1_000), "0 (no run; not iid, no error stated)");
/// ```
pub fn claim_probability(p: f64, std_error: Option<f64>, runs: u64) -> String {
    let Some(std_error) = std_error else {
        return match p {
            0.0 => "0 (no run; not iid, no error stated)".into(),
            1.0 => "1 (every run; not iid, no error stated)".into(),
            _ => format!("{} (not iid, no error stated)", probability(p)),
        };
    };
    if p == 0.0 {
        let (_, hi) = crate::stats::wilson_interval(0, runs);
        format!("0 (no run; below {} at 97.5 %)", significant(hi, 2))
    } else if p == 1.0 {
        let (lo, _) = crate::stats::wilson_interval(runs, runs);
        format!(
            "1 (every run; above 1 - {} at 97.5 %)",
            significant(1.0 - lo, 2)
        )
    } else {
        format!("{} +- {}", probability(p), significant(std_error, 2))
    }
}

/// A difference with an explicit sign, `0` for none at this precision.
///
/// ```
/// use nexus_mc::table::signed;
/// assert_eq!(signed(9.0, 0), "+9");
/// assert_eq!(signed(-0.2, 0), "0");
/// ```
pub fn signed(x: f64, decimals: usize) -> String {
    let text = number(x, decimals);
    if text.chars().all(|c| !c.is_ascii_digit() || c == '0') {
        "0".into()
    } else if x > 0.0 {
        format!("+{text}")
    } else {
        text
    }
}

/// Formats a number for CSV: the shortest text that reads back to the same
/// `f64`, identical on every platform.
pub fn csv_number(x: f64) -> String {
    format!("{x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns() {
        let mut t = Table::new(["a", "bb"]);
        t.row(["long label", "1"]);
        assert_eq!(t.render(), "  a           bb\n  long label   1\n");
    }

    #[test]
    fn negative_zero_has_no_sign() {
        assert_eq!(number(-0.3, 0), "0");
        assert_eq!(number(-1_000_000.0, 0), "-1,000,000");
    }
}
