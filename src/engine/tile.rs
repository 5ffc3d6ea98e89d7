//! The tile: a block of runs' band outputs laid out column by column, so
//! that each (metric, year) column's moments and sketch take its values in
//! one sweep. Runs are evaluated in groups of [`GROUP`] and their outputs
//! written into the tile a group at a time: on processors with AVX-512 as
//! 8 x 8 transposes, eight runs of a column in one store instead of eight.

use super::BAND_METRICS;
use crate::model::{Outputs, YEARS};

/// Runs evaluated before their outputs are accumulated column by column.
pub(super) const TILE: usize = 512;
/// Distance between tile columns: not a power of two, so that one run's
/// outputs, written down a tile row, do not all fall in the same cache sets.
pub(super) const TILE_STRIDE: usize = TILE + 8;
/// Runs whose outputs are written into the tile together.
pub(super) const GROUP: usize = 8;

/// Writes the band outputs of `outs` (consecutive runs) into tile rows
/// `r0 ..`: the value of column `c` for run `r0 + k` goes to
/// `tile[c * TILE_STRIDE + r0 + k]`, with `c = m * YEARS + t` for the
/// `m`-th band metric in year index `t`.
pub(super) fn write_group(outs: &[Outputs], tile: &mut [f64], r0: usize) {
    #[cfg(target_arch = "x86_64")]
    if outs.len() == GROUP && crate::cpu::has_avx512() {
        let group: &[Outputs; GROUP] = outs.try_into().expect("a full group");
        // SAFETY: the processor has AVX-512 F.
        unsafe { write_group_avx512(group, tile, r0) };
        return;
    }
    write_runs(outs, tile, r0, 0..YEARS);
}

/// Writes years `years` of every band metric of `outs`, value by value.
fn write_runs(outs: &[Outputs], tile: &mut [f64], r0: usize, years: std::ops::Range<usize>) {
    for (m, &metric) in BAND_METRICS.iter().enumerate() {
        for t in years.clone() {
            let column = &mut tile[(m * YEARS + t) * TILE_STRIDE + r0..][..outs.len()];
            for (x, out) in column.iter_mut().zip(outs) {
                *x = out[metric][t];
            }
        }
    }
}

/// Eight runs' years in blocks of eight, each block transposed in
/// registers: 8 loads, 24 shuffles and 8 stores for 64 values; the last
/// years that fill no block value by value.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn write_group_avx512(outs: &[Outputs; GROUP], tile: &mut [f64], r0: usize) {
    use std::arch::x86_64::{
        __m512d, __m512i, _mm512_loadu_pd, _mm512_permutex2var_pd, _mm512_set_epi64,
        _mm512_setzero_pd, _mm512_storeu_pd, _mm512_unpackhi_pd, _mm512_unpacklo_pd,
    };
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
                // SAFETY: years t0 .. t0 + 8 lie within the year's row.
                *a = unsafe { _mm512_loadu_pd(out[metric][t0..t0 + GROUP].as_ptr()) };
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
    write_runs(outs, tile, r0, BLOCKS * GROUP..YEARS);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The transposing writer puts every value where the value-by-value one
    /// does (the portable path on processors without AVX-512).
    #[test]
    fn group_writes_agree_with_value_by_value() {
        let mut outs = vec![Outputs::default(); GROUP];
        for (k, out) in outs.iter_mut().enumerate() {
            for (m, &metric) in BAND_METRICS.iter().enumerate() {
                for t in 0..YEARS {
                    out[metric][t] = (k * 10_000 + m * 100 + t) as f64;
                }
            }
        }
        let len = BAND_METRICS.len() * YEARS * TILE_STRIDE;
        for r0 in [0, GROUP, TILE - GROUP] {
            let mut fast = vec![-1.0; len];
            let mut plain = vec![-1.0; len];
            write_group(&outs, &mut fast, r0);
            write_runs(&outs, &mut plain, r0, 0..YEARS);
            assert_eq!(fast, plain, "rows from {r0}");
            for (m, _) in BAND_METRICS.iter().enumerate() {
                for t in 0..YEARS {
                    for k in 0..GROUP {
                        let expected = (k * 10_000 + m * 100 + t) as f64;
                        assert_eq!(plain[(m * YEARS + t) * TILE_STRIDE + r0 + k], expected);
                    }
                }
            }
        }
    }
}
