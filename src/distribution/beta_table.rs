//! The inverse CDF of a unit beta with both shapes at least 1 (every PERT),
//! tabulated for Monte Carlo draws: one uniform and a cubic interpolation
//! instead of two gamma draws, with an error measured on every interval when
//! the table is built.
//!
//! A draw inverts a uniform `u`. The half of (0, 1) nearer to `u` decides the
//! tail: below one half the table of the lower tail inverts `w = u`, above it
//! the table of the upper tail (the lower tail of `Beta(b, a)`, mirrored)
//! inverts `w = 1 - u`, so both tails keep full relative precision. Each
//! tail's table covers `w` in [2^-16, 1/2): a uniform grid of step 2^-10 on
//! [1/8, 1/2), where the quantile is smooth, and 64 intervals an octave
//! below, where it behaves like a power of `w` and a uniform grid would fail.
//! Nodes hold the exact quantile and its derivative (the reciprocal of the
//! density); between nodes a cubic Hermite polynomial interpolates.
//!
//! Bulk draws ([`BetaTable::draw_into`]) go eight at a time with AVX-512 and
//! four with AVX2 (kernels in `arch::x86_64`), gathering each draw's nodes,
//! and one at a time in an inlined loop elsewhere, with the same operations
//! in the same order as one draw, so the same bits.
//!
//! When the table is built, the interpolant is evaluated at the midpoint of
//! every interval, where the error of a cubic Hermite polynomial peaks, and
//! the regularised incomplete beta function of the result is compared with
//! the probability it should have. An interval whose value misses by more
//! than half of [`MAX_PROBABILITY_ERROR`] is marked, and draws in it (and in the
//! outermost tails, `w < 2^-16`, one draw in 32,768) use the exact inverse
//! instead. So every draw is the exact quantile of a probability within
//! [`MAX_PROBABILITY_ERROR`] of the uniform drawn, as measured, far below
//! the Monte Carlo error of any run (1e-6 in probability needs 10^12 runs).

use statrs::function::beta;

#[cfg(target_arch = "x86_64")]
use crate::arch::Isa;
use crate::arch::Supported;

/// Bound on `|F(draw) - u|`, checked at every interval's midpoint.
pub const MAX_PROBABILITY_ERROR: f64 = 1e-10;

/// Intervals per octave in the power-law part of a tail.
pub(crate) const OCTAVE_BITS: u32 = 6;
/// The table starts at `w` = 2^-FLOOR: deeper tails are drawn so rarely
/// that inverting them exactly costs less than tabulating them.
const FLOOR: u64 = 16;
/// Octaves of the power-law part: `w` in [2^-16, 2^-3).
const OCTAVES: u64 = FLOOR - 3;
/// Steps of the uniform part: 2^-10 wide, from 2^-3 to 2^-1.
pub(crate) const STEPS: usize = 1 << 10;
pub(crate) const SMOOTH_FIRST_STEP: usize = STEPS / 8;
pub(crate) const SMOOTH_FROM: f64 = SMOOTH_FIRST_STEP as f64 / STEPS as f64;
/// Intervals of each part.
pub(crate) const POWER_INTERVALS: usize = (OCTAVES as usize) << OCTAVE_BITS;
const SMOOTH_INTERVALS: usize = STEPS / 2 - SMOOTH_FIRST_STEP;
/// The key (exponent and top mantissa bits) of 2^-FLOOR.
pub(crate) const FIRST_KEY: u64 = (1023 - FLOOR) << OCTAVE_BITS;
pub(crate) const KEY_SHIFT: u32 = 52 - OCTAVE_BITS;

/// A tabulated inverse CDF of `Beta(alpha, beta)` on (0, 1).
#[derive(Clone, Debug)]
pub struct BetaTable {
    lower: Tail,
    upper: Tail,
    /// Whether every interval interpolates (none failed the check), so
    /// that draws may go eight at a time.
    interpolates: bool,
}

impl BetaTable {
    /// Builds and checks the table (about 2,400 exact quantiles; a few
    /// milliseconds).
    ///
    /// # Panics
    /// If a shape is below 1.
    pub(crate) fn new(alpha: f64, beta: f64) -> BetaTable {
        assert!(alpha >= 1.0 && beta >= 1.0, "shapes of at least 1");
        let (lower, upper) = rayon::join(|| Tail::new(alpha, beta), || Tail::new(beta, alpha));
        let mut table = BetaTable {
            lower,
            upper,
            interpolates: false,
        };
        table.interpolates = table.exact_intervals() == 0;
        table
    }

    /// The quantile of `(k + 1/2) 2^-52` for the top 52 bits `k` of `bits`:
    /// a draw of the unit beta from 64 random bits.
    #[inline]
    pub(crate) fn draw(&self, bits: u64) -> f64 {
        let (w, upper) = tail_probability(bits);
        self.tail_quantile(w, upper)
    }

    /// [`Self::draw`] by interpolation alone, for a table whose every
    /// interval interpolates: NaN below the table.
    #[inline(always)]
    fn interpolated_draw(&self, bits: u64) -> f64 {
        let (w, upper) = tail_probability(bits);
        let tail = [&self.lower, &self.upper][usize::from(upper)];
        let (i, w0, inv_h, h) = locate(w);
        // Interval 0 is below the table: its lane reads interval 1 and
        // comes back NaN.
        let y = tail.interpolate(i.max(1) - 1, (w - w0) * inv_h, h);
        mirrored(if i == 0 { f64::NAN } else { y }, upper)
    }

    /// `min + scale * self.draw(b)` for each word `b` of `bits`, into `out`
    /// (as long as `bits`): the same bits as one draw at a time. With AVX-512
    /// eight draws at a time, with AVX2 four, their nodes gathered from the
    /// tables; elsewhere one at a time by interpolation alone, in a loop
    /// whose loads of nodes overlap. Draws below the table (one in 32,768)
    /// and tables with an interval that failed the check go through
    /// [`Self::draw`].
    pub(crate) fn draw_into(&self, bits: &[u64], min: f64, scale: f64, out: &mut [f64]) {
        self.draw_into_on(Supported::current(), bits, min, scale, out);
    }

    /// [`Self::draw_into`] on `isa`.
    fn draw_into_on(&self, isa: Supported, bits: &[u64], min: f64, scale: f64, out: &mut [f64]) {
        assert_eq!(bits.len(), out.len(), "a word per draw");
        let done = if self.interpolates {
            self.draw_groups_on(isa, bits, min, scale, out)
        } else {
            0
        };
        // One at a time: the draws the groups did not make, and
        // those below the table, which came back NaN.
        for (k, (x, &b)) in out.iter_mut().zip(bits).enumerate() {
            if k >= done || x.is_nan() {
                *x = min + scale * self.draw(b);
            }
        }
    }

    /// The interpolated draws of [`Self::draw_into`] on `isa` (eight at a
    /// time with AVX-512, four with AVX2, one at a time elsewhere); how
    /// many draws they made, those below the table NaN.
    fn draw_groups_on(
        &self,
        isa: Supported,
        bits: &[u64],
        min: f64,
        scale: f64,
        out: &mut [f64],
    ) -> usize {
        #[cfg(target_arch = "x86_64")]
        {
            use crate::arch::x86_64::{avx2, avx512, BetaNodes};
            let nodes = BetaNodes {
                lower: &self.lower.nodes,
                upper: &self.upper.nodes,
            };
            match isa.isa() {
                // SAFETY: `isa` is a path this processor runs.
                Isa::Avx512 => unsafe { avx512::beta_draws(&nodes, bits, min, scale, out) },
                // SAFETY: as above.
                Isa::Avx2 => unsafe { avx2::beta_draws(&nodes, bits, min, scale, out) },
                Isa::Portable => self.interpolated_draws(bits, min, scale, out),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = isa;
            self.interpolated_draws(bits, min, scale, out)
        }
    }

    /// [`Self::draw_into`] by interpolation alone, one draw at a time, for
    /// tables that interpolate everywhere; every draw made, those below the
    /// table NaN.
    fn interpolated_draws(&self, bits: &[u64], min: f64, scale: f64, out: &mut [f64]) -> usize {
        for (x, &b) in out.iter_mut().zip(bits) {
            *x = min + scale * self.interpolated_draw(b);
        }
        bits.len()
    }

    /// The quantile of `w` (in (0, 1/2]) measured from the upper end when
    /// `upper`, from the lower end otherwise: the quantile of `1 - w` or `w`.
    #[inline]
    pub(crate) fn tail_quantile(&self, w: f64, upper: bool) -> f64 {
        let tail = [&self.lower, &self.upper][usize::from(upper)];
        mirrored(tail.invert(w), upper)
    }

    /// How many intervals use the exact inverse because the interpolation
    /// missed [`MAX_PROBABILITY_ERROR`] (none lets draws go eight at a time).
    pub(crate) fn exact_intervals(&self) -> usize {
        [&self.lower, &self.upper]
            .iter()
            .map(|t| t.exact[1..].iter().filter(|&&e| e).count())
            .sum()
    }
}

/// The lower tail of `Beta(a, b)`: `w` in (0, 1/2] to its quantile.
#[derive(Clone, Debug)]
struct Tail {
    a: f64,
    b: f64,
    /// The power-law part's nodes, then the uniform part's (sharing the node
    /// at 2^-3): (quantile, derivative).
    nodes: Vec<[f64; 2]>,
    /// Per interval, counting from 1 (0 is below the table): whether draws
    /// in it use the exact inverse because the interpolation failed the check.
    exact: Vec<bool>,
}

impl Tail {
    fn new(a: f64, b: f64) -> Tail {
        let ln_beta = beta::ln_beta(a, b);
        let intervals = POWER_INTERVALS + SMOOTH_INTERVALS;
        // dq/dw at q: the reciprocal of the density.
        let slope = |q: f64| {
            let log_density = (a - 1.0) * q.ln() + (b - 1.0) * (-q).ln_1p() - ln_beta;
            (-log_density).exp()
        };
        // d ln(density) / dq, which gives the second derivative of F.
        let curvature = |q: f64| (a - 1.0) / q - (b - 1.0) / (1.0 - q);
        // Each node's quantile by Halley's method from a second-order step
        // off the node before: usually one iteration, as a step within 10^-7
        // of the root leaves an error of order 10^-21. The first node and
        // any that does not settle in six use the library's inverse.
        let mut nodes: Vec<[f64; 2]> = Vec::with_capacity(intervals + 1);
        let first = beta::inv_beta_reg(a, b, node_w(0));
        nodes.push([first, slope(first)]);
        for i in 1..=intervals {
            let w = node_w(i);
            let [q0, d0] = nodes[i - 1];
            let dw = w - node_w(i - 1);
            let mut q = q0 + d0 * dw - 0.5 * curvature(q0) * d0 * d0 * dw * dw;
            let mut settled = false;
            for _ in 0..6 {
                if !(q > 0.0 && q < 1.0) {
                    break;
                }
                let newton = -(beta::beta_reg(a, b, q) - w) * slope(q);
                let step = newton / (1.0 + 0.5 * newton * curvature(q));
                q += step;
                if step.abs() <= 1e-7 * q {
                    settled = q > 0.0 && q < 1.0;
                    break;
                }
            }
            if !settled {
                q = beta::inv_beta_reg(a, b, w);
            }
            nodes.push([q, slope(q)]);
        }
        // Interval 0 stands for `w` below the table: always exact.
        let mut tail = Tail {
            a,
            b,
            nodes,
            exact: vec![true; intervals + 1],
        };
        for i in 0..intervals {
            let (w0, w1) = (node_w(i), node_w(i + 1));
            let mid = 0.5 * (w0 + w1);
            let x = tail.interpolate(i, 0.5, w1 - w0);
            // Half the bound at the midpoint leaves room for the rest of
            // the interval, where the error is smaller but not zero.
            let missed = !(x > 0.0 && x < 1.0)
                || (beta::beta_reg(a, b, x) - mid).abs() > 0.5 * MAX_PROBABILITY_ERROR;
            tail.exact[i + 1] = missed;
        }
        tail
    }

    /// The quantile of `w` in (0, 1/2].
    #[inline]
    fn invert(&self, w: f64) -> f64 {
        let (i, w0, inv_h, h) = locate(w);
        if self.exact[i] {
            return beta::inv_beta_reg(self.a, self.b, w);
        }
        self.interpolate(i - 1, (w - w0) * inv_h, h)
    }

    /// The cubic Hermite interpolant between nodes `i` and `i + 1` (`h`
    /// apart) at `t` in [0, 1].
    #[inline(always)]
    fn interpolate(&self, i: usize, t: f64, h: f64) -> f64 {
        let [q0, d0] = self.nodes[i];
        let [q1, d1] = self.nodes[i + 1];
        let t2 = t * t;
        let t3 = t2 * t;
        let h00 = 2.0 * t3 - 3.0 * t2 + 1.0;
        let h10 = t3 - 2.0 * t2 + t;
        let h01 = 3.0 * t2 - 2.0 * t3;
        let h11 = t3 - t2;
        h00 * q0 + h10 * h * d0 + h01 * q1 + h11 * h * d1
    }
}

/// The interval of `w` in (0, 1/2], counting from 1 (0 when `w` is below
/// the table), its left end, its reciprocal width and its width (powers of
/// two, so no division); without branches, which of the two grids holds a
/// draw being unpredictable.
#[inline(always)]
fn locate(w: f64) -> (usize, f64, f64, f64) {
    let bits = w.to_bits();
    let key = bits >> KEY_SHIFT;
    let power_i = key.saturating_sub(FIRST_KEY - 1) as usize;
    let power_w0 = f64::from_bits(key << KEY_SHIFT);
    // 2^(6 - e) for w in [2^e, 2^(e+1)): the reciprocal of the octave's step.
    let exponent = (bits >> 52) & 0x7ff;
    let power_inv_h = f64::from_bits((2046 + u64::from(OCTAVE_BITS)).wrapping_sub(exponent) << 52);
    // 2^(e - 6); below the table (w < 2^-16) the width is never used.
    let power_h = f64::from_bits(exponent.saturating_sub(u64::from(OCTAVE_BITS)) << 52);
    let j = ((w * STEPS as f64) as usize).min(STEPS / 2 - 1);
    let smooth_i = (POWER_INTERVALS + 1 + j).wrapping_sub(SMOOTH_FIRST_STEP);
    let smooth_w0 = j as f64 / STEPS as f64;
    if w >= SMOOTH_FROM {
        (smooth_i, smooth_w0, STEPS as f64, 1.0 / STEPS as f64)
    } else {
        (power_i, power_w0, power_inv_h, power_h)
    }
}

/// The probability `w` in (0, 1/2] measured from the nearer end that the
/// top 52 bits `k` of `bits` give, `(k + 1/2) 2^-52`, and whether that end is
/// the upper one.
#[inline(always)]
fn tail_probability(bits: u64) -> (f64, bool) {
    const HALF: u64 = 1 << 51;
    let k = bits >> 12;
    let upper = k >= HALF;
    // The distance to the nearer end, exact in both halves; no branch,
    // since which half a draw falls in is a coin toss.
    let from_end = if upper { 2 * HALF - 1 - k } else { k };
    ((from_end as f64 + 0.5) * (1.0 / (1u64 << 52) as f64), upper)
}

/// The quantile `y` of a tail's table as a quantile of the beta: `1 - y`
/// for the upper tail.
#[inline(always)]
fn mirrored(y: f64, upper: bool) -> f64 {
    if upper {
        1.0 - y
    } else {
        y
    }
}

/// The left end of interval `i` (or the right end of `i - 1`), counting
/// from 0.
fn node_w(i: usize) -> f64 {
    if i < POWER_INTERVALS {
        f64::from_bits((FIRST_KEY + i as u64) << KEY_SHIFT)
    } else {
        (i - POWER_INTERVALS + SMOOTH_FIRST_STEP) as f64 / STEPS as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table of the PERT and beta shapes the shipped scenarios use, and
    /// the extremes of PERT shapes, inverts probabilities across both tails
    /// to within the bound, checked at points that are not the midpoints
    /// the build checked.
    #[test]
    fn draws_invert_the_cdf_within_the_bound() {
        for (a, b) in [
            (1.0, 1.0),
            (1.0, 5.0),
            (5.0, 1.0),
            (2.5, 5.83),
            (3.2, 1.8),
            (1.05, 4.9),
        ] {
            let table = BetaTable::new(a, b);
            assert_eq!(table.exact_intervals(), 0, "Beta({a}, {b})");
            let mut worst: f64 = 0.0;
            for i in 0..200_000u64 {
                // Spread over (0, 1) on a log scale towards both ends.
                let s = (i as f64 + 0.5) / 200_000.0;
                let w = 0.5 * (-(1.0 - s) * 40.0 * std::f64::consts::LN_2).exp();
                for upper in [false, true] {
                    let x = table.tail_quantile(w, upper);
                    let p = if upper {
                        beta::beta_reg(b, a, 1.0 - x)
                    } else {
                        beta::beta_reg(a, b, x)
                    };
                    worst = worst.max((p - w).abs());
                }
            }
            assert!(
                worst <= MAX_PROBABILITY_ERROR,
                "Beta({a}, {b}): probability error {worst:e}"
            );
        }
    }

    /// Bulk draws on every path are the one-at-a-time draws, bit for bit:
    /// across both tails, below the table (the exact inverse) and in a last
    /// group shorter than eight or four.
    #[test]
    fn bulk_draws_are_single_draws() {
        let paths = crate::arch::testable("bulk_draws_are_single_draws");
        for (a, b) in [(2.5, 5.83), (1.0, 1.0), (3.2, 1.8), (1.05, 4.9)] {
            let table = BetaTable::new(a, b);
            let mut bits: Vec<u64> = (0..1_003u64)
                .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .collect();
            // Words whose draws fall below the table at either end, and
            // the two next to the middle.
            bits.extend([
                0,
                1 << 20,
                u64::MAX,
                u64::MAX - (1 << 20),
                1 << 63,
                (1 << 63) - 1,
            ]);
            for &isa in &paths {
                let mut out = vec![0.0; bits.len()];
                table.draw_into_on(isa, &bits, 1.5, 2.0, &mut out);
                for (x, &word) in out.iter().zip(&bits) {
                    let single = 1.5 + 2.0 * table.draw(word);
                    assert_eq!(
                        x.to_bits(),
                        single.to_bits(),
                        "{isa:?}, Beta({a}, {b}), word {word:#x}"
                    );
                }
            }
        }
    }

    /// The interpolation holds almost everywhere: only a few intervals need
    /// the exact inverse, and draws are never outside (0, 1).
    #[test]
    fn few_intervals_fall_back_and_draws_stay_inside() {
        let table = BetaTable::new(2.0, 4.0);
        assert!(table.exact_intervals() <= 2, "{}", table.exact_intervals());
        for bits in [0, 1, u64::MAX, 1 << 63, (1 << 63) - 1] {
            let x = table.draw(bits);
            assert!(x > 0.0 && x < 1.0, "{bits}: {x}");
        }
    }
}
