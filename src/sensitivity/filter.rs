//! Monte Carlo filtering (regional sensitivity analysis; Hornberger and
//! Spear 1981; Saltelli et al. 2008, ch. 5): split the runs of a sample by
//! whether a claim holds, and ask of each input how differently it is
//! distributed in the two groups (the Kolmogorov-Smirnov distance) and in
//! which ranges of it the claim holds (P(holds) by decile of the input).

use ndarray::Array2;

/// One decile of an input's sample and how often the claim held in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Decile {
    /// Smallest value of the input in this decile.
    pub lo: f64,
    /// Largest value.
    pub hi: f64,
    /// Runs in it.
    pub runs: usize,
    /// Share of them in which the claim held.
    pub p_holds: f64,
}

/// What filtering finds for one claim and one input.
#[derive(Clone, Debug, PartialEq)]
pub struct Filtered {
    /// Claim index.
    pub claim: usize,
    /// Input index (a column of the sample).
    pub input: usize,
    /// max |F_holds(x) - F_fails(x)|, the two-sample Kolmogorov-Smirnov
    /// distance between the input's values where the claim holds and fails.
    pub ks: f64,
    /// Its asymptotic p-value: the chance of a distance at least this large
    /// if the input did not matter.
    pub p_value: f64,
    /// P(holds) by decile of the input: runs sorted by the input and cut
    /// into ten groups of (nearly) equal size; tied values stay together.
    pub deciles: Vec<Decile>,
}

/// Filters the sample `x` (runs x inputs) by `holds[claim][run]`, for every
/// claim that holds in some runs and fails in others and every input in
/// `inputs`. Claims that never or always hold get no rows.
pub fn monte_carlo_filter(x: &Array2<f64>, holds: &[Vec<bool>], inputs: &[usize]) -> Vec<Filtered> {
    let mut out = Vec::new();
    for (claim, h) in holds.iter().enumerate() {
        let hits = h.iter().filter(|&&b| b).count();
        if hits == 0 || hits == h.len() {
            continue;
        }
        for &input in inputs {
            let column = x.column(input);
            let mut order: Vec<usize> = (0..h.len()).collect();
            order.sort_by(|&a, &b| column[a].total_cmp(&column[b]));
            let (ks, p_value) = ks_test(&order, &column.to_vec(), h, hits);
            out.push(Filtered {
                claim,
                input,
                ks,
                p_value,
                deciles: deciles(&order, &column.to_vec(), h),
            });
        }
    }
    out
}

/// The two-sample KS distance over runs sorted by the input, stepping past
/// ties together, and its asymptotic p-value.
fn ks_test(order: &[usize], x: &[f64], holds: &[bool], hits: usize) -> (f64, f64) {
    let (n1, n2) = (hits as f64, (holds.len() - hits) as f64);
    let (mut c1, mut c2, mut d) = (0.0, 0.0, 0.0f64);
    let mut i = 0;
    while i < order.len() {
        let v = x[order[i]];
        while i < order.len() && x[order[i]] == v {
            if holds[order[i]] {
                c1 += 1.0;
            } else {
                c2 += 1.0;
            }
            i += 1;
        }
        d = d.max((c1 / n1 - c2 / n2).abs());
    }
    let ne = n1 * n2 / (n1 + n2);
    (d, kolmogorov_q((ne.sqrt() + 0.12 + 0.11 / ne.sqrt()) * d))
}

/// P(K > lambda) for the Kolmogorov distribution (Numerical Recipes 14.3).
fn kolmogorov_q(lambda: f64) -> f64 {
    if lambda < 1e-3 {
        return 1.0;
    }
    let mut sum = 0.0;
    let mut sign = 2.0;
    for j in 1..=100 {
        let term = sign * (-2.0 * (j as f64 * lambda).powi(2)).exp();
        sum += term;
        if term.abs() < 1e-12 * sum.abs() || term.abs() < 1e-300 {
            return sum.clamp(0.0, 1.0);
        }
        sign = -sign;
    }
    1.0
}

fn deciles(order: &[usize], x: &[f64], holds: &[bool]) -> Vec<Decile> {
    let n = order.len();
    let mut out: Vec<Decile> = Vec::new();
    let mut start = 0;
    for d in 1..=10 {
        let mut end = (d * n / 10).max(start);
        // Tied values stay in one decile.
        while end < n && end > 0 && x[order[end]] == x[order[end - 1]] {
            end += 1;
        }
        if end <= start {
            continue;
        }
        let runs = &order[start..end];
        let hits = runs.iter().filter(|&&r| holds[r]).count();
        out.push(Decile {
            lo: x[runs[0]],
            hi: x[runs[runs.len() - 1]],
            runs: runs.len(),
            p_holds: hits as f64 / runs.len() as f64,
        });
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kolmogorov_tail_matches_known_values() {
        // P(K > 1.36) = 0.049, P(K > 1.63) = 0.0098 (the 5 % and 1 % points).
        assert!((kolmogorov_q(1.358) - 0.05).abs() < 1e-3);
        assert!((kolmogorov_q(1.628) - 0.01).abs() < 1e-3);
        assert_eq!(kolmogorov_q(0.0), 1.0);
    }

    #[test]
    fn a_claim_that_holds_above_a_threshold_of_one_input_is_found() {
        // x0 decides (holds iff x0 > 0.5); x1 is noise.
        let n = 2000;
        let mut x = Array2::<f64>::zeros((n, 2));
        let mut state = 12345u64;
        for r in 0..n {
            x[[r, 0]] = (r as f64 + 0.5) / n as f64;
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x[[r, 1]] = (state >> 11) as f64 / (1u64 << 53) as f64;
        }
        let holds: Vec<bool> = (0..n).map(|r| x[[r, 0]] > 0.5).collect();
        let f = monte_carlo_filter(&x, &[holds, vec![true; n]], &[0, 1]);
        assert_eq!(f.len(), 2, "the claim that always holds is left out");
        assert_eq!(f[0].ks, 1.0);
        assert!(f[0].p_value < 1e-12);
        let p: Vec<f64> = f[0].deciles.iter().map(|d| d.p_holds).collect();
        assert_eq!(p, [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
        assert!(f[1].ks < 0.1 && f[1].p_value > 0.001, "{:?}", f[1]);
    }

    #[test]
    fn ties_stay_in_one_decile() {
        let x = Array2::from_shape_vec(
            (10, 1),
            vec![1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0],
        )
        .unwrap();
        let holds = vec![
            false, true, false, true, true, true, true, true, false, true,
        ];
        let f = monte_carlo_filter(&x, &[holds], &[0]);
        let runs: Vec<usize> = f[0].deciles.iter().map(|d| d.runs).collect();
        assert_eq!(runs, [4, 2, 4]);
    }
}
