//! AVX2 kernels: four lanes of `f64` a register, with FMA available but
//! unused (a fused multiply-add rounds once, the portable code twice).

use std::arch::x86_64::*;

use super::BetaNodes;
use crate::distribution::beta_table::{
    FIRST_KEY, KEY_SHIFT, OCTAVE_BITS, POWER_INTERVALS, SMOOTH_FIRST_STEP, SMOOTH_FROM, STEPS,
};
use crate::engine::tile::{GROUP, TILE_STRIDE};
use crate::engine::BAND_METRICS;
use crate::model::{Outputs, YEARS};
use crate::stats::{MOMENT_LANES, SIFT_BOUNDS};

/// Four lanes of a group of runs.
const LANES: usize = 4;

/// The tile writer of `engine::tile` for a full group of eight runs: each
/// half of the group's years in blocks of four, each block a 4 x 4
/// transpose in registers (4 loads, 8 shuffles and 4 stores for 16
/// values); returns how many leading years it wrote, the rest being left
/// to the value-by-value writer.
///
/// # Panics
/// If `tile` is too short for rows `r0 .. r0 + 8` of every column.
#[target_feature(enable = "avx2")]
pub(crate) fn write_group(outs: &[Outputs; GROUP], tile: &mut [f64], r0: usize) -> usize {
    const BLOCKS: usize = YEARS / LANES;
    // Every store below writes 4 values within rows r0 .. r0 + 8 of a
    // column of `tile`; the check makes them all in bounds.
    assert!((BAND_METRICS.len() * YEARS - 1) * TILE_STRIDE + r0 + GROUP <= tile.len());
    for (m, &metric) in BAND_METRICS.iter().enumerate() {
        for (half, runs) in outs.chunks_exact(LANES).enumerate() {
            for block in 0..BLOCKS {
                let t0 = block * LANES;
                // a[k]: years t0 .. t0 + 4 of run k of this half.
                let mut a = [_mm256_setzero_pd(); LANES];
                for (a, out) in a.iter_mut().zip(runs) {
                    let years = &out[metric][t0..t0 + LANES];
                    // SAFETY: `years` holds the 4 values loaded.
                    *a = unsafe { _mm256_loadu_pd(years.as_ptr()) };
                }
                // b: runs paired, years 0 and 2 (lo) or 1 and 3 (hi).
                let b = [
                    _mm256_unpacklo_pd(a[0], a[1]),
                    _mm256_unpackhi_pd(a[0], a[1]),
                    _mm256_unpacklo_pd(a[2], a[3]),
                    _mm256_unpackhi_pd(a[2], a[3]),
                ];
                // Year y of runs 0..4: the low 128-bit halves for years 0
                // and 1, the high ones for years 2 and 3.
                let c = [
                    _mm256_permute2f128_pd::<0x20>(b[0], b[2]),
                    _mm256_permute2f128_pd::<0x20>(b[1], b[3]),
                    _mm256_permute2f128_pd::<0x31>(b[0], b[2]),
                    _mm256_permute2f128_pd::<0x31>(b[1], b[3]),
                ];
                for (y, &c) in c.iter().enumerate() {
                    let at = (m * YEARS + t0 + y) * TILE_STRIDE + r0 + half * LANES;
                    // SAFETY: in bounds by the assertion above.
                    unsafe { _mm256_storeu_pd(tile.as_mut_ptr().add(at), c) };
                }
            }
        }
    }
    BLOCKS * LANES
}

/// The table draws of `BetaTable::draw_into` for whole groups of four,
/// exactly as `BetaTable::draw` computes each, but NaN for a draw below the
/// table; returns how many draws it made.
///
/// # Panics
/// If `bits` and `out` differ in length, or the tails' node lists do not
/// both have one node more than the table has intervals.
#[target_feature(enable = "avx2")]
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
    let whole = bits.len() / LANES * LANES;
    let lower = nodes.lower.as_ptr().cast::<f64>();
    let upper_nodes = nodes.upper.as_ptr().cast::<f64>();
    let splat = _mm256_set1_pd;
    let int = _mm256_set1_epi64x;
    // Every integer below is under 2^63, so signed comparisons order them
    // as the unsigned ones of the AVX-512 kernel do.
    let max = |a: __m256i, b: __m256i| _mm256_blendv_epi8(b, a, _mm256_cmpgt_epi64(a, b));
    let blend =
        |mask: __m256i, a: __m256d, b: __m256d| _mm256_blendv_pd(a, b, _mm256_castsi256_pd(mask));
    let ones = int(1);
    for k in (0..whole).step_by(LANES) {
        // SAFETY: k + 4 <= bits.len() == out.len().
        let b = unsafe { _mm256_loadu_si256(bits.as_ptr().add(k).cast()) };
        let key = _mm256_srli_epi64::<12>(b);
        let upper = _mm256_cmpgt_epi64(key, int(HALF - 1));
        let from_end = _mm256_blendv_epi8(key, _mm256_sub_epi64(int(2 * HALF - 1), key), upper);
        // from_end < 2^52 as a double, exactly: 2^52 + from_end - 2^52.
        let two52 = (1u64 << 52) as f64;
        let from_end = _mm256_sub_pd(
            _mm256_castsi256_pd(_mm256_or_si256(from_end, _mm256_castpd_si256(splat(two52)))),
            splat(two52),
        );
        let w = _mm256_mul_pd(_mm256_add_pd(from_end, splat(0.5)), splat(1.0 / two52));
        // `locate`, lane by lane.
        let bits_w = _mm256_castpd_si256(w);
        let key = _mm256_srli_epi64::<{ KEY_SHIFT as i32 }>(bits_w);
        let first = int((FIRST_KEY - 1) as i64);
        let power_i = _mm256_sub_epi64(max(key, first), first);
        let power_w0 = _mm256_castsi256_pd(_mm256_slli_epi64::<{ KEY_SHIFT as i32 }>(key));
        let exponent = _mm256_and_si256(_mm256_srli_epi64::<52>(bits_w), int(0x7ff));
        let power_inv_h = _mm256_castsi256_pd(_mm256_slli_epi64::<52>(_mm256_sub_epi64(
            int(2046 + i64::from(OCTAVE_BITS)),
            exponent,
        )));
        let octave = int(i64::from(OCTAVE_BITS));
        let power_h = _mm256_castsi256_pd(_mm256_slli_epi64::<52>(_mm256_sub_epi64(
            max(exponent, octave),
            octave,
        )));
        let steps = _mm256_round_pd::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(_mm256_mul_pd(
            w,
            splat(STEPS as f64),
        ));
        let steps = _mm256_min_pd(steps, splat((STEPS / 2 - 1) as f64));
        let j = _mm256_and_si256(
            _mm256_castpd_si256(_mm256_add_pd(steps, splat(two52))),
            int((1 << 52) - 1),
        );
        let smooth_i = _mm256_sub_epi64(
            _mm256_add_epi64(j, int((POWER_INTERVALS + 1) as i64)),
            int(SMOOTH_FIRST_STEP as i64),
        );
        let smooth_w0 = _mm256_div_pd(steps, splat(STEPS as f64));
        let smooth = _mm256_castpd_si256(_mm256_cmp_pd::<_CMP_GE_OQ>(w, splat(SMOOTH_FROM)));
        let i = _mm256_blendv_epi8(power_i, smooth_i, smooth);
        let w0 = blend(smooth, power_w0, smooth_w0);
        let inv_h = blend(smooth, power_inv_h, splat(STEPS as f64));
        let h = blend(smooth, power_h, splat(1.0 / STEPS as f64));
        let below = _mm256_cmpeq_epi64(i, _mm256_setzero_si256());
        // Nodes i - 1 and i of each lane's tail, as (quantile, derivative).
        let left = _mm256_slli_epi64::<1>(_mm256_sub_epi64(max(i, ones), ones));
        let upper_lanes = _mm256_movemask_pd(_mm256_castsi256_pd(upper));
        // SAFETY: each lane reads pairs i - 1 and i of its own tail, in
        // bounds by the assertion above.
        let [q0, d0, q1, d1] = unsafe { node_pairs(lower, upper_nodes, upper_lanes, left) };
        // `interpolate`, in the same order of operations.
        let t = _mm256_mul_pd(_mm256_sub_pd(w, w0), inv_h);
        let t2 = _mm256_mul_pd(t, t);
        let t3 = _mm256_mul_pd(t2, t);
        let two_t2 = _mm256_mul_pd(splat(2.0), t2);
        let h00 = _mm256_add_pd(
            _mm256_sub_pd(_mm256_mul_pd(splat(2.0), t3), _mm256_mul_pd(splat(3.0), t2)),
            splat(1.0),
        );
        let h10 = _mm256_add_pd(_mm256_sub_pd(t3, two_t2), t);
        let h01 = _mm256_sub_pd(_mm256_mul_pd(splat(3.0), t2), _mm256_mul_pd(splat(2.0), t3));
        let h11 = _mm256_sub_pd(t3, t2);
        let y = _mm256_add_pd(
            _mm256_add_pd(
                _mm256_add_pd(
                    _mm256_mul_pd(h00, q0),
                    _mm256_mul_pd(_mm256_mul_pd(h10, h), d0),
                ),
                _mm256_mul_pd(h01, q1),
            ),
            _mm256_mul_pd(_mm256_mul_pd(h11, h), d1),
        );
        let y = blend(upper, y, _mm256_sub_pd(splat(1.0), y));
        let x = _mm256_add_pd(splat(min), _mm256_mul_pd(splat(scale), y));
        let x = blend(below, x, splat(f64::NAN));
        // SAFETY: as the load.
        unsafe { _mm256_storeu_pd(out.as_mut_ptr().add(k), x) };
    }
    whole
}

/// Nodes `i - 1` and `i` of each lane's tail (the upper tail's where bit
/// `lane` of `upper` is set, the lower one's elsewhere) as four registers:
/// the quantiles and derivatives at `i - 1`, then at `i`. `left` holds each
/// lane's `2 (i - 1)`, the offset of its first value. One 32-byte load a lane
/// and a transpose: eight gathers did the same at several times the cost.
///
/// # Safety
/// Each lane's four values from `left` must be within its tail.
#[target_feature(enable = "avx2")]
unsafe fn node_pairs(
    lower: *const f64,
    upper_nodes: *const f64,
    upper: i32,
    left: __m256i,
) -> [__m256d; 4] {
    let mut at = [0_i64; LANES];
    // SAFETY: writes the 4 lanes to `at`, which holds 4.
    unsafe { _mm256_storeu_si256(at.as_mut_ptr().cast(), left) };
    // Lane j's (q0, d0, q1, d1).
    let rows: [__m256d; LANES] = std::array::from_fn(|lane| {
        let tail = if upper >> lane & 1 == 1 {
            upper_nodes
        } else {
            lower
        };
        // SAFETY: the caller's promise, for this lane.
        unsafe { _mm256_loadu_pd(tail.add(at[lane] as usize)) }
    });
    // (q0, q0, q1, q1) of lanes 0, 1 and of lanes 2, 3; the same for the
    // derivatives.
    let q01 = _mm256_unpacklo_pd(rows[0], rows[1]);
    let d01 = _mm256_unpackhi_pd(rows[0], rows[1]);
    let q23 = _mm256_unpacklo_pd(rows[2], rows[3]);
    let d23 = _mm256_unpackhi_pd(rows[2], rows[3]);
    [
        _mm256_permute2f128_pd::<0x20>(q01, q23),
        _mm256_permute2f128_pd::<0x20>(d01, d23),
        _mm256_permute2f128_pd::<0x31>(q01, q23),
        _mm256_permute2f128_pd::<0x31>(d01, d23),
    ]
}

/// The sifting of `stats::window` for whole groups of four values: per
/// bound, the values at or above it counted into `at_least`; the values at
/// or above an odd number of bounds written to `out` in order, without a
/// branch (the kept lanes moved to the front, then all four stored). Returns
/// how many values it took and how many it kept.
///
/// # Panics
/// If `out` is shorter than `values`.
#[target_feature(enable = "avx2")]
pub(crate) fn sift(
    values: &[f64],
    bounds: &[f64; SIFT_BOUNDS],
    at_least: &mut [u64; SIFT_BOUNDS],
    out: &mut [f64],
) -> (usize, usize) {
    const LANES: usize = 4;
    // Per mask of kept lanes, the 32-bit lanes that bring them to the front.
    const FRONT: [[i32; 8]; 16] = {
        let mut table = [[0; 8]; 16];
        let mut mask = 0;
        while mask < 16 {
            let mut next = 0;
            let mut lane = 0;
            while lane < 4 {
                if mask & (1 << lane) != 0 {
                    table[mask][2 * next] = 2 * lane;
                    table[mask][2 * next + 1] = 2 * lane + 1;
                    next += 1;
                }
                lane += 1;
            }
            mask += 1;
        }
        table
    };
    assert!(out.len() >= values.len(), "room for every value");
    let mut counts = [_mm256_setzero_si256(); SIFT_BOUNDS];
    let mut found = 0;
    let groups = values.len() / LANES;
    for g in 0..groups {
        // SAFETY: (g + 1) * 4 <= values.len().
        let x = unsafe { _mm256_loadu_pd(values.as_ptr().add(g * LANES)) };
        let mut odd = _mm256_setzero_pd();
        for (&b, count) in bounds.iter().zip(counts.iter_mut()) {
            let at_or_above = _mm256_cmp_pd::<_CMP_GE_OQ>(x, _mm256_set1_pd(b));
            odd = _mm256_xor_pd(odd, at_or_above);
            // A lane at or above is all ones, -1: subtracting it counts one.
            *count = _mm256_sub_epi64(*count, _mm256_castpd_si256(at_or_above));
        }
        let mask = _mm256_movemask_pd(odd) as usize;
        // SAFETY: `FRONT[mask]` is 8 values; `mask` < 16.
        let front = unsafe { _mm256_loadu_si256(FRONT[mask].as_ptr().cast()) };
        let kept = _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(x), front));
        // SAFETY: writes 4 values from `found`, at most g * 4: within
        // out[..(g + 1) * 4].
        unsafe { _mm256_storeu_pd(out.as_mut_ptr().add(found), kept) };
        found += mask.count_ones() as usize;
    }
    for (total, count) in at_least.iter_mut().zip(counts) {
        let mut lanes = [0u64; LANES];
        // SAFETY: `lanes` holds the 4 values stored.
        unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), count) };
        *total += lanes.iter().sum::<u64>();
    }
    (groups * LANES, found)
}

/// The moment lanes of `stats::exact` over whole blocks of 16 values: the
/// sums of `x - shift` and of its square, four lanes a register (a
/// subtraction, a multiplication and additions, never fused, so each lane
/// rounds as the portable code's does).
///
/// # Panics
/// If `blocks` is not a whole number of blocks of 16.
#[target_feature(enable = "avx2")]
pub(crate) fn shifted_lanes(
    blocks: &[f64],
    shift: f64,
) -> ([f64; MOMENT_LANES], [f64; MOMENT_LANES]) {
    const LANES: usize = 4;
    const REGISTERS: usize = MOMENT_LANES / LANES;
    assert!(blocks.len().is_multiple_of(MOMENT_LANES), "whole blocks");
    let s = _mm256_set1_pd(shift);
    let mut sums = [_mm256_setzero_pd(); REGISTERS];
    let mut squares = [_mm256_setzero_pd(); REGISTERS];
    for block in blocks.chunks_exact(MOMENT_LANES) {
        for (r, (sum, square)) in sums.iter_mut().zip(&mut squares).enumerate() {
            // SAFETY: reads block[r * 4 .. r * 4 + 4], within its 16.
            let x = unsafe { _mm256_loadu_pd(block.as_ptr().add(r * LANES)) };
            let d = _mm256_sub_pd(x, s);
            *sum = _mm256_add_pd(*sum, d);
            *square = _mm256_add_pd(*square, _mm256_mul_pd(d, d));
        }
    }
    let mut out = ([0.0; MOMENT_LANES], [0.0; MOMENT_LANES]);
    for r in 0..REGISTERS {
        // SAFETY: writes out.k[r * 4 .. r * 4 + 4], within its 16.
        unsafe {
            _mm256_storeu_pd(out.0.as_mut_ptr().add(r * LANES), sums[r]);
            _mm256_storeu_pd(out.1.as_mut_ptr().add(r * LANES), squares[r]);
        }
    }
    out
}
