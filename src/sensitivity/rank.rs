//! Spearman and partial rank correlation (PRCC) between inputs and outputs,
//! from a plain Monte Carlo sample.

use ndarray::Array2;

/// The rank correlations of one input with one output.
#[derive(Clone, Debug, PartialEq)]
pub struct RankCorrelation {
    /// Output index.
    pub output: usize,
    /// Input index.
    pub input: usize,
    /// Spearman's rho between input and output.
    pub spearman: f64,
    /// Partial rank correlation: rho after removing the linear effect of the
    /// other inputs' ranks from both. NaN if the inputs' ranks are collinear.
    pub prcc: f64,
}

/// Rank correlations of every non-constant input column of `x` (runs x
/// inputs) with every column of `y` (runs x outputs), output-major.
/// Ties get their average rank.
pub fn rank_correlations(x: &Array2<f64>, y: &Array2<f64>) -> Vec<RankCorrelation> {
    let moving: Vec<usize> = (0..x.ncols())
        .filter(|&c| x.column(c).iter().any(|&v| v != x[[0, c]]))
        .collect();
    let ranked_x: Vec<Vec<f64>> = moving
        .iter()
        .map(|&c| ranks(&x.column(c).to_vec()))
        .collect();
    let mut out = Vec::new();
    for o in 0..y.ncols() {
        let ry = ranks(&y.column(o).to_vec());
        // Correlation matrix of [inputs..., output] ranks, and its inverse.
        let mut cols: Vec<&[f64]> = ranked_x.iter().map(|v| v.as_slice()).collect();
        cols.push(&ry);
        let m = cols.len();
        let corr = Array2::from_shape_fn((m, m), |(i, j)| pearson(cols[i], cols[j]));
        let inverse = crate::correlation::invert(&corr);
        for (d, &c) in moving.iter().enumerate() {
            let prcc = match &inverse {
                Some(p) => -p[[d, m - 1]] / (p[[d, d]] * p[[m - 1, m - 1]]).sqrt(),
                None => f64::NAN,
            };
            out.push(RankCorrelation {
                output: o,
                input: c,
                spearman: corr[[d, m - 1]],
                prcc,
            });
        }
    }
    out
}

/// Ranks 1..n, ties averaged.
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let average = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            r[k] = average;
        }
        i = j + 1;
    }
    r
}

/// Pearson correlation (0 if either side is constant).
fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa == 0.0 || sbb == 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn ties_share_their_average_rank() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn inverse_of_a_known_matrix() {
        let inv = crate::correlation::invert(&array![[4.0, 7.0], [2.0, 6.0]]).unwrap();
        let expected = array![[0.6, -0.7], [-0.2, 0.4]];
        assert!((inv - expected).iter().all(|d| d.abs() < 1e-12));
        assert!(crate::correlation::invert(&array![[1.0, 2.0], [2.0, 4.0]]).is_none());
    }
}
