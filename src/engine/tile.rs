//! The tile: a block of runs' band outputs laid out column by column, so
//! that each (metric, year) column's moments and sketch take its values in
//! one sweep. Runs are evaluated in groups of [`GROUP`] and their outputs
//! written into the tile a group at a time: as 8 x 8 transposes with
//! AVX-512 and 4 x 4 ones with AVX2 (kernels in `arch::x86_64`), so that a
//! store writes a column's values of several runs at once. The lines a
//! group will fill are asked for before its runs are evaluated
//! ([`prefetch_rows`]).

use super::accumulator::BAND_METRICS;
#[cfg(target_arch = "x86_64")]
use crate::arch::Isa;
use crate::arch::Supported;
use crate::model::{Outputs, YEARS};

/// Runs evaluated before their outputs are accumulated column by column.
pub(crate) const TILE: usize = 512;
/// Distance between tile columns: not a power of two, so that one run's
/// outputs, written down a tile row, do not all fall in the same cache sets.
pub(crate) const TILE_STRIDE: usize = TILE + 8;
/// Runs whose outputs are written into the tile together.
pub(crate) const GROUP: usize = 8;

/// Writes the band outputs of `outs` (consecutive runs) into tile rows
/// `r0 ..`: the value of column `c` for run `r0 + k` goes to
/// `tile[c * TILE_STRIDE + r0 + k]`, with `c = m * YEARS + t` for the
/// `m`-th band metric in year index `t`. A full group goes through the
/// transposing kernel of `isa` where it has one.
pub(crate) fn write_group(isa: Supported, outs: &[Outputs], tile: &mut [f64], r0: usize) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if let Ok(group) = <&[Outputs; GROUP]>::try_from(outs) {
        use crate::arch::x86_64::{avx2, avx512};
        done = match isa.isa() {
            // SAFETY: `isa` is a path this processor runs.
            Isa::Avx512 => unsafe { avx512::write_group(group, tile, r0) },
            // SAFETY: as above.
            Isa::Avx2 => unsafe { avx2::write_group(group, tile, r0) },
            Isa::Portable => 0,
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = isa;
    write_runs(outs, tile, r0, done..YEARS);
}

/// Asks the processor to bring into its first-level cache the tile lines of
/// rows `r0 .. r0 + GROUP` in every column, on the paths whose
/// [`write_group`] transposes: called before a group's runs are evaluated,
/// so that the lines arrive while the model computes. Each column's rows of
/// a group fill one cache line (the tile starts at a line and `TILE_STRIDE`
/// is a whole number of lines), and the tile is larger than a first-level
/// cache, so without this the transposed stores wait on the outer caches.
/// A hint only: it changes no value. (A prefetch for writing, `prefetchw`,
/// was no faster, and needs a processor feature the baseline lacks.)
#[inline]
pub(crate) fn prefetch_rows(isa: Supported, tile: &[f64], r0: usize) {
    #[cfg(target_arch = "x86_64")]
    if isa.isa() != Isa::Portable {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let from_r0 = tile.get(r0..).unwrap_or_default();
        for line in from_r0.iter().step_by(TILE_STRIDE) {
            // SAFETY: `line` is inside `tile`, and a prefetch neither
            // faults nor changes memory.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(line).cast()) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (isa, tile, r0);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path's writer puts every value where the value-by-value one
    /// does, for a full group and a short one.
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
        for isa in crate::arch::testable("group_writes_agree_with_value_by_value") {
            for (r0, runs) in [(0, GROUP), (GROUP, GROUP), (TILE - GROUP, GROUP), (16, 3)] {
                let mut fast = vec![-1.0; len];
                let mut plain = vec![-1.0; len];
                write_group(isa, &outs[..runs], &mut fast, r0);
                write_runs(&outs[..runs], &mut plain, r0, 0..YEARS);
                assert_eq!(fast, plain, "{isa:?}, rows from {r0}");
                for (m, _) in BAND_METRICS.iter().enumerate() {
                    for t in 0..YEARS {
                        for k in 0..runs {
                            let expected = (k * 10_000 + m * 100 + t) as f64;
                            assert_eq!(plain[(m * YEARS + t) * TILE_STRIDE + r0 + k], expected);
                        }
                    }
                }
            }
        }
    }
}
