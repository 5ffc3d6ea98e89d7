//! AVX-512 kernels: eight lanes of `f64` a register.

use std::arch::x86_64::*;

use super::BetaNodes;
use crate::distribution::beta_table::{
    FIRST_KEY, KEY_SHIFT, OCTAVE_BITS, POWER_INTERVALS, SMOOTH_FIRST_STEP, SMOOTH_FROM, STEPS,
};
use crate::engine::tile::{GROUP, TILE_STRIDE};
use crate::engine::BAND_METRICS;
use crate::model::{Outputs, YEARS};
use crate::stats::{MOMENT_LANES, SIFT_BOUNDS};

/// The tile writer of `engine::tile` for a full group of eight runs: their
/// years in blocks of eight, each block transposed in registers (8 loads,
/// 24 shuffles and 8 stores for 64 values); returns how many leading years
/// it wrote, the rest being left to the value-by-value writer.
///
/// # Panics
/// If `tile` is too short for rows `r0 .. r0 + 8` of every column.
#[target_feature(enable = "avx512f")]
pub(crate) fn write_group(outs: &[Outputs; GROUP], tile: &mut [f64], r0: usize) -> usize {
    const BLOCKS: usize = YEARS / GROUP;
    // Lanes from (a, b): a's lanes 0..8, b's 8..16 (listed last to first).
    let pairs_low: __m512i = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
    let pairs_high: __m512i = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    let halves_low: __m512i = _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0);
    let halves_high: __m512i = _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
    // Every store below writes 8 values at rows r0 .. r0 + 8 of a column
    // of `tile`; the check makes them all in bounds.
    assert!((BAND_METRICS.len() * YEARS - 1) * TILE_STRIDE + r0 + GROUP <= tile.len());
    for (m, &metric) in BAND_METRICS.iter().enumerate() {
        for block in 0..BLOCKS {
            let t0 = block * GROUP;
            // a[k]: years t0 .. t0 + 8 of run k.
            let mut a: [__m512d; GROUP] = [_mm512_setzero_pd(); GROUP];
            for (a, out) in a.iter_mut().zip(outs) {
                let years = &out[metric][t0..t0 + GROUP];
                // SAFETY: `years` holds the 8 values loaded.
                *a = unsafe { _mm512_loadu_pd(years.as_ptr()) };
            }
            // b: runs paired, lane 2j + i holding run 2p + i, year 2j (or 2j + 1).
            let b = [
                _mm512_unpacklo_pd(a[0], a[1]),
                _mm512_unpackhi_pd(a[0], a[1]),
                _mm512_unpacklo_pd(a[2], a[3]),
                _mm512_unpackhi_pd(a[2], a[3]),
                _mm512_unpacklo_pd(a[4], a[5]),
                _mm512_unpackhi_pd(a[4], a[5]),
                _mm512_unpacklo_pd(a[6], a[7]),
                _mm512_unpackhi_pd(a[6], a[7]),
            ];
            // c[4h + y]: runs 4h .. 4h + 4 of year y (low half) and y + 4.
            let c = [
                _mm512_permutex2var_pd(b[0], pairs_low, b[2]),
                _mm512_permutex2var_pd(b[1], pairs_low, b[3]),
                _mm512_permutex2var_pd(b[0], pairs_high, b[2]),
                _mm512_permutex2var_pd(b[1], pairs_high, b[3]),
                _mm512_permutex2var_pd(b[4], pairs_low, b[6]),
                _mm512_permutex2var_pd(b[5], pairs_low, b[7]),
                _mm512_permutex2var_pd(b[4], pairs_high, b[6]),
                _mm512_permutex2var_pd(b[5], pairs_high, b[7]),
            ];
            for y in 0..4 {
                let low = _mm512_permutex2var_pd(c[y], halves_low, c[4 + y]);
                let high = _mm512_permutex2var_pd(c[y], halves_high, c[4 + y]);
                let column = (m * YEARS + t0 + y) * TILE_STRIDE + r0;
                // SAFETY: in bounds by the assertion above.
                unsafe {
                    _mm512_storeu_pd(tile.as_mut_ptr().add(column), low);
                    _mm512_storeu_pd(tile.as_mut_ptr().add(column + 4 * TILE_STRIDE), high);
                }
            }
        }
    }
    BLOCKS * GROUP
}

/// The table draws of `BetaTable::draw_into` for whole groups of eight,
/// exactly as `BetaTable::draw` computes each, but NaN for a draw below the
/// table; returns how many draws it made.
///
/// # Panics
/// If `bits` and `out` differ in length, or the tails' node lists do not
/// both have one node more than the table has intervals.
#[target_feature(enable = "avx512f")]
pub(crate) fn beta_draws(
    nodes: &BetaNodes<'_>,
    bits: &[u64],
    min: f64,
    scale: f64,
    out: &mut [f64],
) -> usize {
    const HALF: i64 = 1 << 51;
    let intervals = POWER_INTERVALS + STEPS / 2 - SMOOTH_FIRST_STEP;
    // Every lane's interval `i` is at most `intervals`, so the loads below
    // read pairs i - 1 and i of a tail, within its nodes.
    assert!(nodes.lower.len() == intervals + 1 && nodes.upper.len() == intervals + 1);
    assert_eq!(bits.len(), out.len(), "a word per draw");
    let whole = bits.len() / 8 * 8;
    let lower = nodes.lower.as_ptr().cast::<f64>();
    let upper_nodes = nodes.upper.as_ptr().cast::<f64>();
    let ones = _mm512_set1_epi64(1);
    let splat = _mm512_set1_pd;
    let int = _mm512_set1_epi64;
    for k in (0..whole).step_by(8) {
        // SAFETY: k + 8 <= bits.len() == out.len().
        let b = unsafe { _mm512_loadu_si512(bits.as_ptr().add(k).cast()) };
        let key = _mm512_srli_epi64::<12>(b);
        let upper = _mm512_cmpge_epu64_mask(key, int(HALF));
        let from_end =
            _mm512_mask_blend_epi64(upper, key, _mm512_sub_epi64(int(2 * HALF - 1), key));
        // from_end < 2^52 as a double, exactly: 2^52 + from_end - 2^52.
        let two52 = (1u64 << 52) as f64;
        let from_end = _mm512_sub_pd(
            _mm512_castsi512_pd(_mm512_or_si512(from_end, _mm512_castpd_si512(splat(two52)))),
            splat(two52),
        );
        let w = _mm512_mul_pd(_mm512_add_pd(from_end, splat(0.5)), splat(1.0 / two52));
        // `locate`, lane by lane.
        let bits_w = _mm512_castpd_si512(w);
        let key = _mm512_srli_epi64::<{ KEY_SHIFT }>(bits_w);
        let first = int((FIRST_KEY - 1) as i64);
        let power_i = _mm512_sub_epi64(_mm512_max_epu64(key, first), first);
        let power_w0 = _mm512_castsi512_pd(_mm512_slli_epi64::<{ KEY_SHIFT }>(key));
        let exponent = _mm512_and_si512(_mm512_srli_epi64::<52>(bits_w), int(0x7ff));
        let power_inv_h = _mm512_castsi512_pd(_mm512_slli_epi64::<52>(_mm512_sub_epi64(
            int(2046 + i64::from(OCTAVE_BITS)),
            exponent,
        )));
        let octave = int(i64::from(OCTAVE_BITS));
        let power_h = _mm512_castsi512_pd(_mm512_slli_epi64::<52>(_mm512_sub_epi64(
            _mm512_max_epu64(exponent, octave),
            octave,
        )));
        let steps = _mm512_roundscale_pd::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(
            _mm512_mul_pd(w, splat(STEPS as f64)),
        );
        let steps = _mm512_min_pd(steps, splat((STEPS / 2 - 1) as f64));
        let j = _mm512_and_si512(
            _mm512_castpd_si512(_mm512_add_pd(steps, splat(two52))),
            int((1 << 52) - 1),
        );
        let smooth_i = _mm512_sub_epi64(
            _mm512_add_epi64(j, int((POWER_INTERVALS + 1) as i64)),
            int(SMOOTH_FIRST_STEP as i64),
        );
        let smooth_w0 = _mm512_div_pd(steps, splat(STEPS as f64));
        let smooth = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(w, splat(SMOOTH_FROM));
        let i = _mm512_mask_blend_epi64(smooth, power_i, smooth_i);
        let w0 = _mm512_mask_blend_pd(smooth, power_w0, smooth_w0);
        let inv_h = _mm512_mask_blend_pd(smooth, power_inv_h, splat(STEPS as f64));
        let h = _mm512_mask_blend_pd(smooth, power_h, splat(1.0 / STEPS as f64));
        let below = _mm512_cmpeq_epu64_mask(i, _mm512_setzero_si512());
        // Nodes i - 1 and i of each lane's tail, as (quantile, derivative).
        let left = _mm512_slli_epi64::<1>(_mm512_sub_epi64(_mm512_max_epu64(i, ones), ones));
        // SAFETY: each lane reads pairs i - 1 and i of its own tail, in
        // bounds by the assertion above.
        let [q0, d0, q1, d1] = unsafe { node_pairs(lower, upper_nodes, upper, left) };
        // `interpolate`, in the same order of operations.
        let t = _mm512_mul_pd(_mm512_sub_pd(w, w0), inv_h);
        let t2 = _mm512_mul_pd(t, t);
        let t3 = _mm512_mul_pd(t2, t);
        let two_t2 = _mm512_mul_pd(splat(2.0), t2);
        let h00 = _mm512_add_pd(
            _mm512_sub_pd(_mm512_mul_pd(splat(2.0), t3), _mm512_mul_pd(splat(3.0), t2)),
            splat(1.0),
        );
        let h10 = _mm512_add_pd(_mm512_sub_pd(t3, two_t2), t);
        let h01 = _mm512_sub_pd(_mm512_mul_pd(splat(3.0), t2), _mm512_mul_pd(splat(2.0), t3));
        let h11 = _mm512_sub_pd(t3, t2);
        let y = _mm512_add_pd(
            _mm512_add_pd(
                _mm512_add_pd(
                    _mm512_mul_pd(h00, q0),
                    _mm512_mul_pd(_mm512_mul_pd(h10, h), d0),
                ),
                _mm512_mul_pd(h01, q1),
            ),
            _mm512_mul_pd(_mm512_mul_pd(h11, h), d1),
        );
        let y = _mm512_mask_blend_pd(upper, y, _mm512_sub_pd(splat(1.0), y));
        let x = _mm512_add_pd(splat(min), _mm512_mul_pd(splat(scale), y));
        let x = _mm512_mask_blend_pd(below, x, splat(f64::NAN));
        // SAFETY: as the load.
        unsafe { _mm512_storeu_pd(out.as_mut_ptr().add(k), x) };
    }
    whole
}

/// Nodes `i - 1` and `i` of each lane's tail (the upper tail's where
/// `upper` has the lane's bit, the lower one's elsewhere) as four registers:
/// the quantiles and derivatives at `i - 1`, then at `i`. `left` holds each
/// lane's `2 (i - 1)`, the offset of its first value. One 32-byte load a lane
/// and a transpose: eight gathers did the same at several times the cost.
///
/// # Safety
/// Each lane's four values from `left` must be within its tail.
#[target_feature(enable = "avx512f")]
unsafe fn node_pairs(
    lower: *const f64,
    upper_nodes: *const f64,
    upper: __mmask8,
    left: __m512i,
) -> [__m512d; 4] {
    let mut at = [0_i64; 8];
    // SAFETY: writes the 8 lanes to `at`, which holds 8.
    unsafe { _mm512_storeu_si512(at.as_mut_ptr().cast(), left) };
    let row = |lane: usize| {
        let tail = if upper >> lane & 1 == 1 {
            upper_nodes
        } else {
            lower
        };
        // SAFETY: the caller's promise, for this lane.
        unsafe { _mm256_loadu_pd(tail.add(at[lane] as usize)) }
    };
    // Lane j's (q0, d0, q1, d1) in the low half, lane j + 4's in the high.
    let rows: [__m512d; 4] = std::array::from_fn(|j| {
        _mm512_insertf64x4::<1>(_mm512_castpd256_pd512(row(j)), row(j + 4))
    });
    // (q0, q0, q1, q1) of lanes 0, 1 | 4, 5, and of lanes 2, 3 | 6, 7; the
    // same for the derivatives.
    let q01 = _mm512_unpacklo_pd(rows[0], rows[1]);
    let d01 = _mm512_unpackhi_pd(rows[0], rows[1]);
    let q23 = _mm512_unpacklo_pd(rows[2], rows[3]);
    let d23 = _mm512_unpackhi_pd(rows[2], rows[3]);
    // Positions of a's (0..8) and b's (8..16) values, listed last to first.
    let first = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
    let second = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    [
        _mm512_permutex2var_pd(q01, first, q23),
        _mm512_permutex2var_pd(d01, first, d23),
        _mm512_permutex2var_pd(q01, second, q23),
        _mm512_permutex2var_pd(d01, second, d23),
    ]
}

/// The sifting of `stats::window` for whole groups of eight values: per
/// bound, the values at or above it counted into `at_least`; the values
/// at or above an odd number of bounds written to `out` in order, without
/// a branch (the kept lanes compressed to the front, then all eight stored). Returns how many values it
/// took and how many it kept.
///
/// # Panics
/// If `out` is shorter than `values`.
#[target_feature(enable = "avx512f")]
pub(crate) fn sift(
    values: &[f64],
    bounds: &[f64; SIFT_BOUNDS],
    at_least: &mut [u64; SIFT_BOUNDS],
    out: &mut [f64],
) -> (usize, usize) {
    const LANES: usize = 8;
    assert!(out.len() >= values.len(), "room for every value");
    let b: [__m512d; SIFT_BOUNDS] = std::array::from_fn(|i| _mm512_set1_pd(bounds[i]));
    let one = _mm512_set1_epi64(1);
    let mut counts = [_mm512_setzero_si512(); SIFT_BOUNDS];
    let mut found = 0;
    let groups = values.len() / LANES;
    for g in 0..groups {
        // SAFETY: (g + 1) * 8 <= values.len().
        let x = unsafe { _mm512_loadu_pd(values.as_ptr().add(g * LANES)) };
        let mut odd: __mmask8 = 0;
        for (b, count) in b.iter().zip(counts.iter_mut()) {
            let at_or_above = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(x, *b);
            odd ^= at_or_above;
            *count = _mm512_mask_add_epi64(*count, at_or_above, *count, one);
        }
        // Compressed in a register and stored whole: a compressing store
        // to memory is microcoded, and many times slower, on some cores.
        let kept = _mm512_maskz_compress_pd(odd, x);
        // SAFETY: writes 8 values from `found`, which is at most g * 8:
        // within out[..(g + 1) * 8].
        unsafe { _mm512_storeu_pd(out.as_mut_ptr().add(found), kept) };
        found += odd.count_ones() as usize;
    }
    for (total, count) in at_least.iter_mut().zip(counts) {
        *total += _mm512_reduce_add_epi64(count) as u64;
    }
    (groups * LANES, found)
}

/// The moment lanes of `stats::exact` over whole blocks of 16 values: the
/// sums of `x - shift` and of its square, lanes 0-7 and 8-15 each in a
/// register (a subtraction, a multiplication and additions, never fused,
/// so each lane rounds as the portable code's does).
///
/// # Panics
/// If `blocks` is not a whole number of blocks of 16.
#[target_feature(enable = "avx512f")]
pub(crate) fn shifted_lanes(
    blocks: &[f64],
    shift: f64,
) -> ([f64; MOMENT_LANES], [f64; MOMENT_LANES]) {
    const LANES: usize = 8;
    assert!(blocks.len().is_multiple_of(MOMENT_LANES), "whole blocks");
    let s = _mm512_set1_pd(shift);
    let mut sums = [_mm512_setzero_pd(); 2];
    let mut squares = [_mm512_setzero_pd(); 2];
    for block in blocks.chunks_exact(MOMENT_LANES) {
        for (half, (sum, square)) in sums.iter_mut().zip(&mut squares).enumerate() {
            // SAFETY: reads block[half * 8 .. half * 8 + 8], within its 16.
            let x = unsafe { _mm512_loadu_pd(block.as_ptr().add(half * LANES)) };
            let d = _mm512_sub_pd(x, s);
            *sum = _mm512_add_pd(*sum, d);
            *square = _mm512_add_pd(*square, _mm512_mul_pd(d, d));
        }
    }
    let mut out = ([0.0; MOMENT_LANES], [0.0; MOMENT_LANES]);
    for half in 0..2 {
        // SAFETY: writes out.k[half * 8 .. half * 8 + 8], within its 16.
        unsafe {
            _mm512_storeu_pd(out.0.as_mut_ptr().add(half * LANES), sums[half]);
            _mm512_storeu_pd(out.1.as_mut_ptr().add(half * LANES), squares[half]);
        }
    }
    out
}
