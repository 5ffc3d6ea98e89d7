//! Exact sums of floating-point numbers, and moments built on them, that
//! merge in any order to the same bits in memory that does not grow with
//! the number of values.
//!
//! Every finite `f64` is an integer multiple of 2^-1074 below 2^1024, so a
//! fixed-point number of 2,176 bits (34 words of 64) holds any sum of up to
//! 2^64 of them exactly. Adding is exact, so the order of additions and
//! merges cannot change the result.

use serde::{Deserialize, Serialize};

use crate::arch::Supported;

/// 64-bit words of an [`ExactSum`]: 1,074 bits below 1, 1,024 above, 64 of
/// headroom for carries, and a sign.
const WORDS: usize = 34;
/// The exponent of the lowest bit: 2^-1074, the smallest subnormal.
const LOWEST: i32 = -1074;

/// The exact sum of finite `f64` values, in two's complement fixed point.
///
/// ```
/// use nexus_mc::stats::ExactSum;
///
/// let values = [1e16, 1.0, -1e16, 0.1, 0.2];
/// let mut forwards = ExactSum::default();
/// values.iter().for_each(|&x| forwards.add(x));
/// let mut backwards = ExactSum::default();
/// values.iter().rev().for_each(|&x| backwards.add(x));
/// assert_eq!(forwards, backwards);
/// assert_eq!(forwards.to_f64(), 1.3); // 1 + 0.1 + 0.2, rounded once
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactSum {
    /// Least significant first; always [`WORDS`] long (checked when read
    /// from a file, see [`ExactSum::is_valid`]).
    words: Vec<u64>,
}

impl Default for ExactSum {
    fn default() -> Self {
        ExactSum {
            words: vec![0; WORDS],
        }
    }
}

impl ExactSum {
    /// Whether the representation is whole (for sums read from a file).
    pub(crate) fn is_valid(&self) -> bool {
        self.words.len() == WORDS
    }

    /// Adds a finite value (a non-finite one is ignored: callers check).
    pub fn add(&mut self, x: f64) {
        if x == 0.0 || !x.is_finite() {
            return;
        }
        let bits = x.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1 << 52) - 1);
        // x = mantissa * 2^(scale + LOWEST), scale >= 0.
        let (mantissa, scale) = if exponent == 0 {
            (fraction, 0)
        } else {
            (fraction | (1 << 52), exponent - 1)
        };
        let (word, offset) = ((scale / 64) as usize, (scale % 64) as u32);
        let low = mantissa << offset;
        let high = if offset == 0 {
            0
        } else {
            mantissa >> (64 - offset)
        };
        if x > 0.0 {
            self.apply_at(word, low, high, u64::overflowing_add);
        } else {
            self.apply_at(word, low, high, u64::overflowing_sub);
        }
    }

    /// Adds (or, with `overflowing_sub`, subtracts) the two-word number
    /// `high:low` at `word`, carrying (or borrowing) upwards.
    #[inline(always)]
    fn apply_at(&mut self, word: usize, low: u64, high: u64, op: impl Fn(u64, u64) -> (u64, bool)) {
        let (w, c1) = op(self.words[word], low);
        self.words[word] = w;
        let (w, c2) = op(self.words[word + 1], high);
        let (w, c3) = op(w, u64::from(c1));
        self.words[word + 1] = w;
        let mut carry = c2 || c3;
        let mut i = word + 2;
        while carry && i < WORDS {
            let (w, c) = op(self.words[i], 1);
            self.words[i] = w;
            carry = c;
            i += 1;
        }
    }

    /// Adds another exact sum.
    pub(crate) fn merge(&mut self, other: &ExactSum) {
        let mut carry = false;
        for (a, &b) in self.words.iter_mut().zip(&other.words) {
            let (w, c1) = a.overflowing_add(b);
            let (w, c2) = w.overflowing_add(u64::from(carry));
            *a = w;
            carry = c1 || c2;
        }
    }

    /// The sum, rounded to the nearest `f64` from its top 128 bits (the
    /// same bits whatever the order of additions).
    pub fn to_f64(&self) -> f64 {
        if !self.is_valid() {
            return f64::NAN;
        }
        let negative = self.words[WORDS - 1] >> 63 == 1;
        let mut magnitude = self.words.clone();
        if negative {
            // Two's complement: invert and add one.
            let mut carry = true;
            for w in magnitude.iter_mut() {
                let (v, c) = (!*w).overflowing_add(u64::from(carry));
                *w = v;
                carry = c;
            }
        }
        let Some(top) = magnitude.iter().rposition(|&w| w != 0) else {
            return 0.0;
        };
        let (hi, lo) = (magnitude[top], if top > 0 { magnitude[top - 1] } else { 0 });
        let value = ((u128::from(hi) << 64) | u128::from(lo)) as f64;
        let exponent = 64 * top as i32 - 64 + LOWEST;
        let x = scale(value, exponent);
        if negative {
            -x
        } else {
            x
        }
    }
}

/// `x * 2^e`, exact while the result is a normal number.
fn scale(mut x: f64, mut e: i32) -> f64 {
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    x * 2f64.powi(e)
}

/// Count, mean and variance of a sample, summed exactly around a fixed
/// shift, so that merging in any order or grouping gives the same bits.
///
/// Values enter in batches: each batch's sums of `x - shift` and of
/// `(x - shift)^2` are taken in `f64`, in a fixed order, then added exactly.
/// The shift should be a typical value (the engine uses the output at the
/// scenario's medians): a sample equal to it has variance exactly 0.
///
/// ```
/// use nexus_mc::stats::ExactMoments;
///
/// let mut a = ExactMoments::new(3.0);
/// a.add_batch(&[1.0, 2.0]);
/// let mut b = ExactMoments::new(3.0);
/// b.add_batch(&[3.0, 4.0, 5.0]);
/// a.merge(&b);
/// assert_eq!((a.count(), a.mean(), a.variance()), (5, 3.0, 2.5));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExactMoments {
    n: u64,
    shift: f64,
    sum: ExactSum,
    squares: ExactSum,
}

impl ExactMoments {
    /// No values yet, around `shift`.
    pub fn new(shift: f64) -> ExactMoments {
        ExactMoments {
            n: 0,
            shift,
            sum: ExactSum::default(),
            squares: ExactSum::default(),
        }
    }

    /// Adds a batch of values; false (and nothing added) if one of its
    /// sums is not finite.
    pub fn add_batch(&mut self, values: &[f64]) -> bool {
        let (s, q) = shifted_sums(values, self.shift);
        if !(s.is_finite() && q.is_finite()) {
            return false;
        }
        self.sum.add(s);
        self.squares.add(q);
        self.n += values.len() as u64;
        true
    }

    /// Adds another sample's moments.
    ///
    /// # Panics
    /// If the two have different shifts.
    pub fn merge(&mut self, other: &ExactMoments) {
        assert_eq!(self.shift.to_bits(), other.shift.to_bits(), "same shift");
        self.n += other.n;
        self.sum.merge(&other.sum);
        self.squares.merge(&other.squares);
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The shift the sums are taken around.
    pub(crate) fn shift(&self) -> f64 {
        self.shift
    }

    /// The mean (the shift for an empty sample).
    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            return self.shift;
        }
        self.shift + self.sum.to_f64() / self.n as f64
    }

    /// The sample variance (divisor n - 1; 0 for fewer than two values).
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        let (s, q, n) = (self.sum.to_f64(), self.squares.to_f64(), self.n as f64);
        ((q - s * s / n) / (n - 1.0)).max(0.0)
    }

    /// The sample standard deviation.
    pub(crate) fn std(&self) -> f64 {
        self.variance().sqrt()
    }

    /// Whether these could be the moments of finite values (for reading
    /// them back from a file): a finite shift, finite sums, and squares that
    /// are not negative.
    pub(crate) fn is_valid(&self) -> bool {
        if !(self.sum.is_valid() && self.squares.is_valid()) {
            return false;
        }
        let (s, q) = (self.sum.to_f64(), self.squares.to_f64());
        self.shift.is_finite() && s.is_finite() && q.is_finite() && q >= 0.0
    }
}

/// Lanes of [`shifted_sums`]: enough independent additions in flight to
/// hide their latency (two AVX-512 registers a sum).
pub(crate) const MOMENT_LANES: usize = 16;

/// The sums of `x - shift` and of `(x - shift)^2` over `values`, each in
/// [`MOMENT_LANES`] interleaved lanes added up in a fixed order, so the
/// result depends on the values and their order only.
///
/// Whole blocks of lanes go through the process's instruction set (the
/// kernels in `arch::x86_64`), with the same bits on every one: every lane
/// adds in the same order either way.
fn shifted_sums(values: &[f64], shift: f64) -> (f64, f64) {
    shifted_sums_on(Supported::current(), values, shift)
}

/// [`shifted_sums`] on path `isa`.
fn shifted_sums_on(isa: Supported, values: &[f64], shift: f64) -> (f64, f64) {
    let (blocks, rest) = values.split_at(values.len() - values.len() % MOMENT_LANES);
    let lanes = || shifted_lanes(blocks, shift);
    #[cfg(target_arch = "x86_64")]
    let (mut sums, mut squares) = {
        use crate::arch::{x86_64, Isa};
        match isa.isa() {
            // SAFETY: `isa` is a path this processor runs.
            Isa::Avx512 => unsafe { x86_64::avx512::shifted_lanes(blocks, shift) },
            // SAFETY: as above.
            Isa::Avx2 => unsafe { x86_64::avx2::shifted_lanes(blocks, shift) },
            Isa::Portable => lanes(),
        }
    };
    #[cfg(not(target_arch = "x86_64"))]
    let (mut sums, mut squares) = {
        let _ = isa;
        lanes()
    };
    for (k, &x) in rest.iter().enumerate() {
        let d = x - shift;
        sums[k] += d;
        squares[k] += d * d;
    }
    (fold(sums), fold(squares))
}

/// The lanes of [`shifted_sums`] over whole blocks of [`MOMENT_LANES`]
/// values, unfolded: lane `k` adds the values at `k`, `k + 16`, ... in
/// order (the portable copy of the kernels in `arch::x86_64`).
fn shifted_lanes(blocks: &[f64], shift: f64) -> ([f64; MOMENT_LANES], [f64; MOMENT_LANES]) {
    // Two sweeps over the (cached) values: in one loop the compiler pairs
    // each lane's sum with its square instead of vectorising across lanes.
    fn lane_sum(blocks: &[f64], term: impl Fn(f64) -> f64) -> [f64; MOMENT_LANES] {
        let mut lanes = [0.0; MOMENT_LANES];
        for block in blocks.chunks_exact(MOMENT_LANES) {
            for k in 0..MOMENT_LANES {
                lanes[k] += term(block[k]);
            }
        }
        lanes
    }
    (
        lane_sum(blocks, |x| x - shift),
        lane_sum(blocks, |x| (x - shift) * (x - shift)),
    )
}

/// Adds lanes pairwise, always in the same tree.
#[inline(always)]
fn fold(mut lanes: [f64; MOMENT_LANES]) -> f64 {
    let mut width = MOMENT_LANES;
    while width > 1 {
        width /= 2;
        for k in 0..width {
            lanes[k] += lanes[k + width];
        }
    }
    lanes[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every build of the lane sums gives the portable copy's bits, and
    /// the lanes add up to the plain sums within rounding.
    #[test]
    fn lane_sums_agree_across_builds() {
        let paths = crate::arch::testable("lane_sums_agree_across_builds");
        let values: Vec<f64> = (0..517)
            .map(|i| (f64::from(i) * 0.618_033_988_749_895).fract() * 1e4 - 3e3)
            .collect();
        for len in [0, 1, 15, 16, 17, 256, 517] {
            let part = &values[..len];
            let portable = Supported::new(crate::arch::Isa::Portable).expect("portable");
            let (ps, pq) = shifted_sums_on(portable, part, 1234.5);
            for &isa in &paths {
                let (s, q) = shifted_sums_on(isa, part, 1234.5);
                assert_eq!(
                    (s.to_bits(), q.to_bits()),
                    (ps.to_bits(), pq.to_bits()),
                    "{isa:?}, {len}"
                );
            }
            let (s, q) = shifted_sums(part, 1234.5);
            let plain: f64 = part.iter().map(|x| x - 1234.5).sum();
            let squares: f64 = part.iter().map(|x| (x - 1234.5).powi(2)).sum();
            assert!(
                (s - plain).abs() <= 1e-9 * (1.0 + plain.abs()),
                "{len}: {s} vs {plain}"
            );
            assert!(
                (q - squares).abs() <= 1e-12 * (1.0 + squares),
                "{len}: {q} vs {squares}"
            );
        }
    }

    #[test]
    fn sums_of_integers_are_exact_and_signed() {
        let mut s = ExactSum::default();
        for i in 1..=1000 {
            s.add(f64::from(i));
            s.add(-0.5);
        }
        assert_eq!(s.to_f64(), 500_500.0 - 500.0);
        let mut t = ExactSum::default();
        t.add(-3.25);
        assert_eq!(t.to_f64(), -3.25);
        t.add(3.25);
        assert_eq!(t.to_f64(), 0.0);
    }

    #[test]
    fn extremes_of_the_f64_range_add_up() {
        let mut s = ExactSum::default();
        s.add(f64::MAX);
        s.add(f64::MIN_POSITIVE / 4.0); // subnormal
        s.add(-f64::MAX);
        assert_eq!(s.to_f64(), f64::MIN_POSITIVE / 4.0);
        s.add(f64::MAX);
        s.add(f64::MAX);
        s.add(-f64::MAX);
        assert_eq!(s.to_f64(), f64::MAX);
    }

    #[test]
    fn a_constant_sample_at_the_shift_has_no_spread() {
        let x = 0.1 + 0.2;
        let mut m = ExactMoments::new(x);
        m.add_batch(&[x; 7]);
        let mut other = ExactMoments::new(x);
        other.add_batch(&[x; 13]);
        m.merge(&other);
        assert_eq!((m.mean(), m.variance()), (x, 0.0));
    }

    #[test]
    fn moments_match_a_two_pass_computation() {
        let values: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 1000) as f64 * 0.37 - 50.0)
            .collect();
        let mean = values.iter().sum::<f64>() / 1000.0;
        let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 999.0;
        let mut m = ExactMoments::new(100.0);
        for part in values.chunks(37) {
            m.add_batch(part);
        }
        assert!((m.mean() - mean).abs() < 1e-12 * mean.abs());
        assert!((m.variance() - var).abs() < 1e-12 * var);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any order of additions and any grouping of merges: the same bits.
        #[test]
        fn order_and_grouping_never_change_a_sum(
            values in prop::collection::vec(prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL, 1..60),
            cut in 0usize..60,
        ) {
            let mut forwards = ExactSum::default();
            values.iter().for_each(|&x| forwards.add(x));
            let mut backwards = ExactSum::default();
            values.iter().rev().for_each(|&x| backwards.add(x));
            let cut = cut.min(values.len());
            let (mut left, mut right) = (ExactSum::default(), ExactSum::default());
            values[..cut].iter().for_each(|&x| left.add(x));
            values[cut..].iter().for_each(|&x| right.add(x));
            right.merge(&left);
            prop_assert_eq!(&forwards, &backwards);
            prop_assert_eq!(&forwards, &right);
        }
    }
}
