//! Rank (Spearman) correlations between inputs: checking that a declared
//! matrix is possible, imposing it on a sample by the Iman-Conover method
//! (the sampled columns are reordered so their ranks follow correlated
//! normal scores, so every marginal keeps exactly the values it had), and
//! the factor of the equivalent Gaussian copula for methods that draw
//! conditionally (bridge, Shapley effects). Depends on no other module of
//! the crate but `distribution` and the crate's counter-based hashing (`hash`).

use std::sync::OnceLock;

use ndarray::{Array2, ArrayViewMut2};

use crate::arch::{multiversion, Supported};
use crate::distribution::phi_inv;
use crate::hash;

crate::error::input_error! {
    /// Why a rank-correlation matrix cannot be imposed.
    CorrelationError
}

/// A target rank-correlation matrix over some columns of a sample block.
#[derive(Clone, Debug)]
pub struct ImanConover {
    /// Which block columns take part, in matrix order.
    pub columns: Vec<usize>,
    /// Cholesky factor (lower) of the normal-score correlation that gives the
    /// target Spearman correlation.
    target_factor: Array2<f64>,
    /// The van der Waerden scores of the first block size seen (all full
    /// chunks share it); they depend on the size only.
    scores: OnceLock<(usize, Vec<f64>)>,
}

/// Why a correlation matrix cannot be used.
#[derive(Clone, Debug, PartialEq)]
pub enum MatrixProblem {
    /// Entry (i, j) differs from (j, i).
    NotSymmetric(usize, usize),
    /// Entry (i, j) is outside [-1, 1] or not finite.
    OutOfRange(usize, usize),
    /// Not positive semi-definite; the triples of indices whose 3x3 block
    /// alone is impossible (empty when only the whole matrix is).
    NotPsd {
        /// Smallest eigenvalue.
        min_eigenvalue: f64,
        /// Impossible triples.
        triples: Vec<[usize; 3]>,
    },
}

/// Checks a correlation matrix (unit diagonal assumed): symmetric, entries in
/// [-1, 1], positive semi-definite.
pub(crate) fn check_matrix(m: &Array2<f64>) -> Vec<MatrixProblem> {
    let k = m.nrows();
    let mut problems = Vec::new();
    for i in 0..k {
        for j in i + 1..k {
            if !(m[[i, j]].is_finite() && m[[i, j]].abs() <= 1.0) {
                problems.push(MatrixProblem::OutOfRange(i, j));
            } else if m[[i, j]] != m[[j, i]] {
                problems.push(MatrixProblem::NotSymmetric(i, j));
            }
        }
    }
    if !problems.is_empty() {
        return problems;
    }
    let min_eigenvalue = symmetric_eigenvalues(m)
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    if min_eigenvalue < -1e-10 {
        let mut triples = Vec::new();
        for a in 0..k {
            for b in a + 1..k {
                for c in b + 1..k {
                    let (x, y, z) = (m[[a, b]], m[[a, c]], m[[b, c]]);
                    if 1.0 + 2.0 * x * y * z - x * x - y * y - z * z < -1e-12 {
                        triples.push([a, b, c]);
                    }
                }
            }
        }
        problems.push(MatrixProblem::NotPsd {
            min_eigenvalue,
            triples,
        });
    }
    problems
}

/// Eigenvalues of a small symmetric matrix (cyclic Jacobi).
fn symmetric_eigenvalues(m: &Array2<f64>) -> Vec<f64> {
    let k = m.nrows();
    let mut a = m.clone();
    for _sweep in 0..100 {
        let off: f64 = (0..k)
            .flat_map(|i| (0..k).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[[i, j]].powi(2))
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..k {
            for q in p + 1..k {
                if a[[p, q]].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[[q, q]] - a[[p, p]]) / (2.0 * a[[p, q]]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for r in 0..k {
                    let (arp, arq) = (a[[r, p]], a[[r, q]]);
                    a[[r, p]] = c * arp - s * arq;
                    a[[r, q]] = s * arp + c * arq;
                }
                for r in 0..k {
                    let (apr, aqr) = (a[[p, r]], a[[q, r]]);
                    a[[p, r]] = c * apr - s * aqr;
                    a[[q, r]] = s * apr + c * aqr;
                }
            }
        }
    }
    (0..k).map(|i| a[[i, i]]).collect()
}

/// Inverse by Gauss-Jordan with partial pivoting; `None` if singular.
pub(crate) fn invert(m: &Array2<f64>) -> Option<Array2<f64>> {
    let n = m.nrows();
    let mut a = m.clone();
    let mut inv = Array2::<f64>::eye(n);
    for c in 0..n {
        let pivot = (c..n).max_by(|&i, &j| a[[i, c]].abs().total_cmp(&a[[j, c]].abs()))?;
        if a[[pivot, c]].abs() < 1e-12 {
            return None;
        }
        for k in 0..n {
            a.swap([c, k], [pivot, k]);
            inv.swap([c, k], [pivot, k]);
        }
        let p = a[[c, c]];
        for k in 0..n {
            a[[c, k]] /= p;
            inv[[c, k]] /= p;
        }
        for r in 0..n {
            if r != c {
                let f = a[[r, c]];
                for k in 0..n {
                    a[[r, k]] -= f * a[[c, k]];
                    inv[[r, k]] -= f * inv[[c, k]];
                }
            }
        }
    }
    Some(inv)
}

/// Lower Cholesky factor, or `None` if the matrix is not positive definite
/// (a pivot of 1e-12 or less).
fn cholesky(m: &Array2<f64>) -> Option<Array2<f64>> {
    let l = cholesky_psd(m);
    (0..m.nrows())
        .all(|i| l[[i, i]] * l[[i, i]] > 1e-12)
        .then_some(l)
}

/// Lower Cholesky factor of a symmetric positive semi-definite matrix,
/// directions of (numerically) zero variance left at zero: the factor of a
/// conditional covariance that some inputs fix entirely.
pub(crate) fn cholesky_psd(m: &Array2<f64>) -> Array2<f64> {
    let n = m.nrows();
    let mut l = Array2::<f64>::zeros((n, n));
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|p| l[[i, p]] * l[[j, p]]).sum();
            if i == j {
                l[[i, i]] = (m[[i, i]] - s).max(0.0).sqrt();
            } else if l[[j, j]] > 1e-12 {
                l[[i, j]] = (m[[i, j]] - s) / l[[j, j]];
            }
        }
    }
    l
}

/// The Cholesky factor (lower) of the Pearson correlation of normal scores
/// whose Spearman correlation is `spearman`: a Gaussian copula with these
/// rank correlations draws L z for independent standard normals z. `None`
/// if that matrix is not positive definite.
pub(crate) fn normal_score_factor(spearman: &Array2<f64>) -> Option<Array2<f64>> {
    // Normal scores with Pearson r have Spearman (6/pi) asin(r/2).
    let pearson = spearman.mapv(|s| 2.0 * (std::f64::consts::PI * s / 6.0).sin());
    cholesky(&pearson)
}

impl ImanConover {
    /// Prepares a target Spearman matrix over `columns`. The matrix must have
    /// passed [`check_matrix`]; fails if its normal-score equivalent is
    /// singular (perfect correlations).
    pub(crate) fn new(
        columns: Vec<usize>,
        spearman: &Array2<f64>,
    ) -> Result<Self, CorrelationError> {
        let target_factor = normal_score_factor(spearman).ok_or_else(|| {
            "the matrix is singular (a correlation of +-1, or a combination that forces one); \
             Iman-Conover needs it positive definite: move such entries off +-1"
                .to_string()
        })?;
        Ok(ImanConover {
            columns,
            target_factor,
            scores: OnceLock::new(),
        })
    }

    /// Reorders the correlated columns of `block` (runs x parameters,
    /// column-major, as the sampler's blocks are) in place. `key` makes the
    /// reordering reproducible. Compiled for the processor's path: the loops
    /// over a column's runs vectorise.
    ///
    /// # Panics
    /// If a column of `block` is not contiguous.
    pub(crate) fn apply(&self, block: ArrayViewMut2<f64>, key: u64) {
        apply_on(Supported::current(), self, block, key);
    }

    #[inline(always)]
    fn apply_portable(&self, mut block: ArrayViewMut2<f64>, key: u64) {
        let n = block.nrows();
        let k = self.columns.len();
        if n < 2 || k < 2 {
            return;
        }
        // van der Waerden scores, independently permuted per column.
        let fresh;
        let scores = match self.scores.get_or_init(|| (n, van_der_waerden(n))) {
            (len, scores) if *len == n => scores,
            _ => {
                fresh = van_der_waerden(n);
                &fresh
            }
        };
        // A loop rather than a collect, so that the shuffles are compiled
        // here, for the path (a collect's closure is compiled apart).
        let mut s: Vec<Vec<f64>> = Vec::with_capacity(k);
        for c in 0..k {
            let mut column = scores.clone();
            hash::shuffle(&mut column, hash::derive(key, c as u64));
            s.push(column);
        }
        // Whiten the scores' own sample correlation, then impose the target:
        // t = s (L Q^-1)^T, with Q the Cholesky factor of the scores'
        // correlation and L the target's. Plain loops in a fixed order (not
        // a BLAS-like kernel, whose blocking and fused multiply-adds differ
        // from one processor to the next), so the same bits everywhere.
        let e = score_products(&s, n);
        let norm: Vec<f64> = (0..k).map(|i| e[[i, i]].sqrt()).collect();
        let e = Array2::from_shape_fn((k, k), |(i, j)| e[[i, j]] / (norm[i] * norm[j]));
        let l = &self.target_factor;
        // mix[[j, c]]: the weight of score column j in target column c.
        let mix = match cholesky(&e).and_then(|q| lower_inverse(&q)) {
            Some(q_inv) => Array2::from_shape_fn((k, k), |(j, c)| {
                (0..k).fold(0.0, |acc, m| acc + l[[c, m]] * q_inv[[m, j]])
            }),
            None => l.t().to_owned(),
        };
        let mut t = vec![0.0; n];
        let row_mask = (n as u64).next_power_of_two() - 1;
        let mut sorter = Sorter::default();
        // Filled in place rather than collected, so that the loops are
        // compiled here, for the path.
        let mut values = vec![0; n];
        let mut order = vec![0; n];
        for (c, &col) in self.columns.iter().enumerate() {
            let column = block.column_mut(col).into_slice().expect("column-major");
            for (v, &x) in values.iter_mut().zip(column.iter()) {
                *v = ordered(x);
            }
            sorter.sort(&mut values);
            // Target column c: t = sum over j of s_j mix[j, c], j ascending.
            t.fill(0.0);
            for (j, column) in s.iter().enumerate() {
                let w = mix[[j, c]];
                t.iter_mut().zip(column).for_each(|(t, x)| *t += x * w);
            }
            // The rows in the order of their target scores, as one word a
            // row: the score's order key, its last bits replaced by the row
            // number (scores that agree in all but those last 11 bits of
            // the mantissa, for a chunk of 2,048 rows, keep row order).
            for ((o, &t), r) in order.iter_mut().zip(&t).zip(0..) {
                *o = (ordered(t) & !row_mask) | r;
            }
            sorter.sort(&mut order);
            for (&key, &value) in order.iter().zip(&values) {
                column[(key & row_mask) as usize] = unordered(value);
            }
        }
    }
}

/// Sorts [`ordered`] keys of samples from smooth distributions in linear
/// time and without unpredictable branches: each value is quantised to 22
/// bits over the sample's range, the keys are radix-sorted on those bits in
/// two passes of 11, and an insertion sort puts the rare keys that share a
/// quantum in order. Should the values bunch (a heavy tail stretching the
/// range), the insertion sort gives up after a few moves per key and a
/// general sort finishes; the result is the same sorted keys either way.
#[derive(Default)]
struct Sorter {
    quanta: Vec<u32>,
    keys: Vec<u64>,
    spare_quanta: Vec<u32>,
    spare_keys: Vec<u64>,
}

impl Sorter {
    const DIGIT_BITS: u32 = 11;
    const DIGITS: usize = 1 << Self::DIGIT_BITS;
    /// Moves per key the insertion sort may make before handing over.
    const MOVES_PER_KEY: usize = 8;

    /// Sorts `keys`. Inlined into [`ImanConover::apply`]'s builds, so
    /// compiled for each path (the quantising pass vectorises).
    #[inline(always)]
    fn sort(&mut self, keys: &mut [u64]) {
        let n = keys.len();
        let (lo, hi) = keys
            .iter()
            .fold((u64::MAX, 0), |(lo, hi), &k| (lo.min(k), hi.max(k)));
        let (lo, hi) = (unordered(lo), unordered(hi));
        let top = (Self::DIGITS * Self::DIGITS) as f64;
        let scale = top / (hi - lo);
        if n < 2 || !scale.is_finite() || n > u32::MAX as usize {
            return keys.sort_unstable();
        }
        // Each key's quantum: non-decreasing in the key.
        self.quanta.clear();
        self.quanta.extend(
            keys.iter()
                .map(|&k| (((unordered(k) - lo) * scale) as u32).min(top as u32 - 1)),
        );
        self.keys.clear();
        self.keys.extend_from_slice(keys);
        self.spare_quanta.resize(n, 0);
        self.spare_keys.resize(n, 0);
        // Plain slices, so that the loops keep their pointers and lengths in
        // registers (through `self`, every store might have moved a buffer,
        // and they were reloaded each time).
        let (mut quanta, mut sorted) = (&mut self.quanta[..], &mut self.keys[..]);
        let (mut spare_quanta, mut spare_keys) =
            (&mut self.spare_quanta[..], &mut self.spare_keys[..]);
        for digit in 0..2 {
            let shift = digit * Self::DIGIT_BITS;
            let digit_of = |q: u32| (q >> shift) as usize & (Self::DIGITS - 1);
            let mut starts = [0u32; Self::DIGITS + 1];
            for &q in quanta.iter() {
                starts[digit_of(q) + 1] += 1;
            }
            for d in 0..Self::DIGITS {
                starts[d + 1] += starts[d];
            }
            for (&q, &k) in quanta.iter().zip(sorted.iter()) {
                let at = &mut starts[digit_of(q)];
                spare_quanta[*at as usize] = q;
                spare_keys[*at as usize] = k;
                *at += 1;
            }
            std::mem::swap(&mut quanta, &mut spare_quanta);
            std::mem::swap(&mut sorted, &mut spare_keys);
        }
        let mut budget = Self::MOVES_PER_KEY * n;
        for i in 1..n {
            let key = sorted[i];
            let mut j = i;
            while j > 0 && sorted[j - 1] > key {
                sorted[j] = sorted[j - 1];
                j -= 1;
            }
            sorted[j] = key;
            budget = budget.saturating_sub(i - j);
            if budget == 0 {
                sorted.sort_unstable();
                break;
            }
        }
        keys.copy_from_slice(sorted);
    }
}

multiversion! {
    /// [`ImanConover::apply`] compiled for `isa`.
    fn apply_on(ic: &ImanConover, block: ArrayViewMut2<f64>, key: u64) =
        ImanConover::apply_portable;
}

/// `e[[i, j]]`: the mean over the runs of `s[i][r] * s[j][r]`, each sum
/// in run order, as a plain fold of the products would give it. Four sums
/// go side by side, so that their additions overlap instead of each waiting
/// on its own; (j, i) is the same sum as (i, j), product by product.
#[inline(always)]
fn score_products(s: &[Vec<f64>], n: usize) -> Array2<f64> {
    let k = s.len();
    let pairs: Vec<(usize, usize)> = (0..k).flat_map(|i| (i..k).map(move |j| (i, j))).collect();
    let mut e = Array2::zeros((k, k));
    for pairs in pairs.chunks(4) {
        // Always four sums, a short last group padded with its first
        // pair's (summed and dropped), so that the four stay in registers.
        let columns: [(&[f64], &[f64]); 4] = std::array::from_fn(|m| {
            let (i, j) = pairs.get(m).copied().unwrap_or(pairs[0]);
            (&s[i][..n], &s[j][..n])
        });
        let mut sums = [0.0; 4];
        for r in 0..n {
            for (sum, (a, b)) in sums.iter_mut().zip(&columns) {
                *sum += a[r] * b[r];
            }
        }
        for (&(i, j), sum) in pairs.iter().zip(sums) {
            e[[i, j]] = sum / n as f64;
            e[[j, i]] = e[[i, j]];
        }
    }
    e
}

#[cfg(test)]
multiversion! {
    /// [`Sorter::sort`] compiled for `isa`, for the test of every path.
    fn sort_on(sorter: &mut Sorter, keys: &mut [u64]) = Sorter::sort;
}

/// An integer with the order of `f64::total_cmp`: sorting these is faster
/// than sorting floats with a comparison function.
fn ordered(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The inverse of [`ordered`].
fn unordered(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

/// `phi_inv(i / (n + 1))` for i = 1..=n.
fn van_der_waerden(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| phi_inv((i + 1) as f64 / (n + 1) as f64))
        .collect()
}

fn lower_inverse(l: &Array2<f64>) -> Option<Array2<f64>> {
    let k = l.nrows();
    let mut inv = Array2::<f64>::zeros((k, k));
    for j in 0..k {
        inv[[j, j]] = 1.0 / l[[j, j]];
        for i in j + 1..k {
            let s: f64 = (j..i).map(|p| l[[i, p]] * inv[[p, j]]).sum();
            inv[[i, j]] = -s / l[[i, i]];
        }
    }
    inv.iter().all(|x| x.is_finite()).then_some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn ordered_keys_sort_like_total_cmp_and_invert() {
        let mut xs = [3.5, -0.0, 0.0, -7.25, 1e-300, -1e300, f64::INFINITY];
        let mut keys: Vec<u64> = xs.iter().map(|&x| ordered(x)).collect();
        keys.sort_unstable();
        xs.sort_by(f64::total_cmp);
        let back: Vec<f64> = keys.into_iter().map(unordered).collect();
        assert_eq!(
            back.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }

    /// The radix sort agrees with a general sort on smooth samples, on
    /// bunched ones (where it hands over), with ties, and on tiny inputs,
    /// on every path this processor runs.
    #[test]
    fn radix_sort_sorts_whatever_the_spread() {
        let mut sorter = Sorter::default();
        let uniform = |i: u64| (hash::derive(7, i) >> 11) as f64 / (1u64 << 53) as f64;
        let samples: Vec<Vec<f64>> = vec![
            (0..2048).map(|i| uniform(i) * 10.0 - 3.0).collect(),
            (0..2048).map(|i| phi_inv(uniform(i).max(1e-300))).collect(),
            // A heavy tail: nearly every value in the first bucket.
            (0..2048)
                .map(|i| 1.0 / uniform(i).max(1e-300).powi(4))
                .collect(),
            (0..2048).map(|i| (i % 3) as f64 - 1.0).collect(),
            vec![f64::MAX, -f64::MAX, 0.0, -0.0, 1e-300],
            vec![2.5],
            vec![],
        ];
        for isa in crate::arch::testable("radix_sort_sorts_whatever_the_spread") {
            for (s, values) in samples.iter().enumerate() {
                let mut keys: Vec<u64> = values.iter().map(|&x| ordered(x)).collect();
                let mut expected = keys.clone();
                expected.sort_unstable();
                sort_on(isa, &mut sorter, &mut keys);
                assert_eq!(keys, expected, "sample {s} on {isa:?}");
            }
        }
    }

    #[test]
    fn eigenvalues_of_a_known_matrix() {
        let mut e = symmetric_eigenvalues(&array![[2.0, 1.0], [1.0, 2.0]]);
        e.sort_by(f64::total_cmp);
        assert!(
            (e[0] - 1.0).abs() < 1e-12 && (e[1] - 3.0).abs() < 1e-12,
            "{e:?}"
        );
    }

    #[test]
    fn impossible_triple_is_named() {
        let m = array![[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]];
        let problems = check_matrix(&m);
        assert!(
            matches!(&problems[..], [MatrixProblem::NotPsd { triples, .. }] if triples == &vec![[0, 1, 2]]),
            "{problems:?}"
        );
    }

    /// The score products are the plain folds of the products, bit for bit,
    /// for any number of columns (a partial last group of four pairs
    /// included).
    #[test]
    fn score_products_are_the_plain_sums() {
        let n = 1000;
        for k in 1..=6 {
            let s: Vec<Vec<f64>> = (0..k)
                .map(|c| {
                    (0..n)
                        .map(|r| {
                            phi_inv((r as f64 + 0.5) / n as f64) * (c + 1) as f64
                                + (r % (c + 2)) as f64
                        })
                        .collect()
                })
                .collect();
            let e = score_products(&s, n);
            for i in 0..k {
                for j in 0..k {
                    let fold = s[i].iter().zip(&s[j]).fold(0.0, |acc, (x, y)| acc + x * y);
                    assert_eq!(
                        e[[i, j]].to_bits(),
                        (fold / n as f64).to_bits(),
                        "k = {k}, ({i}, {j})"
                    );
                }
            }
        }
    }

    /// Iman-Conover on every path gives the portable code's bits, moves
    /// each correlated column's values among the runs (and no other
    /// column's), and reaches the target rank correlations within four
    /// standard errors of a sample one, 4 / sqrt(n - 1) (here 0.088; the
    /// reordering, which whitens its scores, lands within 0.007). A check
    /// that it correlates at all, and in the right direction; its sums are
    /// pinned bit for bit by `score_products_are_the_plain_sums`.
    #[test]
    fn reordering_is_the_same_on_every_path_and_reaches_its_target() {
        use ndarray::ShapeBuilder;
        let n = 2048;
        let target = array![[1.0, 0.6, -0.3], [0.6, 1.0, 0.0], [-0.3, 0.0, 1.0]];
        let ic = ImanConover::new(vec![0, 2, 3], &target).unwrap();
        // Column-major, as the sampler's blocks are; one skewed column.
        let draws = Array2::from_shape_fn((n, 4).f(), |(r, c)| {
            let u = (hash::derive(c as u64 + 11, r as u64) >> 11) as f64 / (1u64 << 53) as f64;
            if c == 2 {
                u.powi(3)
            } else {
                u
            }
        });
        let bits = |b: &Array2<f64>| b.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let mut portable = None;
        for isa in
            crate::arch::testable("reordering_is_the_same_on_every_path_and_reaches_its_target")
        {
            let mut block = draws.clone();
            apply_on(isa, &ic, block.view_mut(), 99);
            match &portable {
                None => portable = Some(block),
                Some(p) => assert_eq!(bits(&block), bits(p), "{isa:?}"),
            }
        }
        let block = portable.expect("the portable path runs everywhere");
        let sorted = |c: usize, b: &Array2<f64>| {
            let mut v = b.column(c).to_vec();
            v.sort_by(f64::total_cmp);
            v
        };
        for c in 0..4 {
            assert_eq!(sorted(c, &block), sorted(c, &draws), "column {c}");
        }
        assert_eq!(block.column(1), draws.column(1));
        let ranks = |c: usize| {
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| block[[a, c]].total_cmp(&block[[b, c]]));
            let mut rank = vec![0.0; n];
            for (r, &row) in order.iter().enumerate() {
                rank[row] = r as f64;
            }
            rank
        };
        let spearman = |a: &[f64], b: &[f64]| {
            let mean = (n - 1) as f64 / 2.0;
            let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
            for (x, y) in a.iter().zip(b) {
                ab += (x - mean) * (y - mean);
                aa += (x - mean) * (x - mean);
                bb += (y - mean) * (y - mean);
            }
            ab / (aa * bb).sqrt()
        };
        let columns = [0, 2, 3];
        let rank_columns: Vec<Vec<f64>> = columns.iter().map(|&c| ranks(c)).collect();
        let tolerance = 4.0 / ((n - 1) as f64).sqrt();
        for i in 0..3 {
            for j in i + 1..3 {
                let rho = spearman(&rank_columns[i], &rank_columns[j]);
                assert!(
                    (rho - target[[i, j]]).abs() < tolerance,
                    "columns {i}, {j}: {rho} against {}",
                    target[[i, j]]
                );
            }
        }
    }

    #[test]
    fn asymmetric_and_out_of_range_entries_are_found() {
        let m = array![[1.0, 0.5, 1.5], [0.4, 1.0, 0.0], [1.5, 0.0, 1.0]];
        let problems = check_matrix(&m);
        assert!(problems.contains(&MatrixProblem::NotSymmetric(0, 1)));
        assert!(problems.contains(&MatrixProblem::OutOfRange(0, 2)));
    }
}
