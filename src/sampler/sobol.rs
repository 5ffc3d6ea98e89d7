//! Owen-scrambled Sobol points, computed by index.
//!
//! Direction numbers are Joe and Kuo's (new-joe-kuo-6, via the `sobol`
//! crate), 32 bits per coordinate. Each coordinate is scrambled with Burley's
//! hash-based nested uniform (Owen) scramble ("Practical Hash-based Owen
//! Scrambling", JCGT 2020) and its bits below 2^-32 are filled with an
//! independent uniform, so values are continuous.

use crate::hash;

/// Sobol points for `dims` dimensions, scrambled by `key`.
#[derive(Clone, Debug)]
pub struct ScrambledSobol {
    directions: Vec<[u32; 32]>,
    /// Per dimension, `directions[0] ^ .. ^ directions[t]` for each `t`:
    /// what changes from point `i - 1` to point `i` when `i` has `t`
    /// trailing zeros.
    steps: Vec<[u32; 32]>,
    seeds: Vec<u32>,
    key: u64,
}

/// The most dimensions the bundled direction numbers support.
pub(crate) fn max_dims() -> usize {
    sobol::params::JoeKuoD6::minimal().max_dims
}

impl ScrambledSobol {
    /// Points in `dims <= max_dims()` dimensions.
    pub(crate) fn new(dims: usize, key: u64) -> Self {
        let params = sobol::params::JoeKuoD6::minimal();
        let raw = sobol::Sobol::<f32>::init_direction_vals::<u32>(dims, 32, &params);
        let directions: Vec<[u32; 32]> = raw
            .into_iter()
            .map(|v| std::array::from_fn(|j| v[j]))
            .collect();
        let steps = directions
            .iter()
            .map(|d| {
                let mut acc = 0;
                std::array::from_fn(|t| {
                    acc ^= d[t];
                    acc
                })
            })
            .collect();
        ScrambledSobol {
            directions,
            steps,
            seeds: Vec::new(),
            key: 0,
        }
        .scrambled(key)
    }

    /// The same points scrambled by `key` instead: an independent
    /// randomisation, sharing the direction numbers.
    pub(crate) fn rekeyed(&self, key: u64) -> Self {
        self.clone().scrambled(key)
    }

    /// These points with the scramble of `key` (one seed a dimension).
    fn scrambled(mut self, key: u64) -> Self {
        self.seeds = (0..self.directions.len())
            .map(|d| hash::derive(key, d as u64) as u32)
            .collect();
        self.key = hash::derive(key, u64::MAX);
        self
    }

    /// Coordinate `dim` of point `index` (`index < 2^32`), in (0, 1).
    pub(crate) fn coordinate(&self, index: u64, dim: usize) -> f64 {
        let x = nested_uniform_scramble(self.unscrambled(index, dim), self.seeds[dim]);
        let low = hash::unit(self.key ^ dim as u64, index);
        ((x as f64) + low).max(f64::MIN_POSITIVE) / 4_294_967_296.0
    }

    /// Coordinate `dim` of points `start ..` (below 2^32), one 64-bit word
    /// each, for [`Distribution::quantiles_of_words`](crate::distribution::Distribution::quantiles_of_words):
    /// the scrambled coordinate in the top 32 bits, independent random bits
    /// below (so the uniform is `coordinate` to within 2^-32, but not the
    /// same bits). Consecutive points differ by one XOR.
    pub(crate) fn words(&self, dim: usize, start: u64, out: &mut [u64]) {
        let mut x = self.unscrambled(start, dim);
        let (key, seed) = (self.key ^ dim as u64, self.seeds[dim]);
        for (k, word) in out.iter_mut().enumerate() {
            let index = start + k as u64;
            if k > 0 {
                x ^= self.steps[dim][index.trailing_zeros() as usize];
            }
            let high = u64::from(nested_uniform_scramble(x, seed)) << 32;
            *word = high | (hash::derive(key, index) >> 32);
        }
    }

    /// The unscrambled coordinate: the XOR of the direction numbers of the
    /// bits set in `index`.
    fn unscrambled(&self, index: u64, dim: usize) -> u32 {
        let mut x = 0u32;
        let mut i = index;
        let mut j = 0;
        while i != 0 {
            if i & 1 == 1 {
                x ^= self.directions[dim][j];
            }
            i >>= 1;
            j += 1;
        }
        x
    }
}

fn nested_uniform_scramble(x: u32, seed: u32) -> u32 {
    laine_karras(x.reverse_bits(), seed).reverse_bits()
}

/// Each output bit depends only on the same and lower input bits: in
/// bit-reversed order this is a nested (Owen) permutation.
fn laine_karras(mut x: u32, seed: u32) -> u32 {
    x = x.wrapping_add(seed);
    x ^= x.wrapping_mul(0x6c50_b47c);
    x ^= x.wrapping_mul(0xb82f_1e52);
    x ^= x.wrapping_mul(0xc7af_e638);
    x ^= x.wrapping_mul(0x8d22_f6e6);
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrambling_keeps_the_elementary_intervals() {
        // Any 2^m consecutive Sobol points from 0 put one point in each of
        // 2^m equal bins, in every dimension; Owen scrambling keeps that.
        let s = ScrambledSobol::new(5, 9);
        for dim in 0..5 {
            let mut bins = [0u8; 64];
            for i in 0..64 {
                bins[(s.coordinate(i, dim) * 64.0) as usize] += 1;
            }
            assert!(bins.iter().all(|&b| b == 1), "dim {dim}: {bins:?}");
        }
    }

    #[test]
    fn has_enough_dimensions_for_saltelli_designs() {
        assert!(max_dims() >= 64, "{}", max_dims());
    }
}
