//! Counter-based randomness: the same (key, index) always gives the same
//! bits, whichever thread or shard asks.

/// SplitMix64's finaliser: a bijective 64-bit mixer.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A key derived from a parent key and a label (dimension, purpose, ...).
pub(crate) fn derive(key: u64, label: u64) -> u64 {
    mix(key ^ mix(label.wrapping_add(0x9e37_79b9_7f4a_7c15)))
}

/// A uniform in [0, 1) with 53 random bits, from (key, index).
pub fn unit(key: u64, index: u64) -> f64 {
    (derive(key, index) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Shuffles `items` in place (Fisher-Yates), every choice drawn from
/// (key, position): the same key always gives the same order.
pub(crate) fn shuffle<T>(items: &mut [T], key: u64) {
    for i in (1..items.len()).rev() {
        // Lemire's multiply-shift: a uniform index in 0..=i.
        let j = ((u128::from(derive(key, i as u64)) * (i as u128 + 1)) >> 64) as usize;
        items.swap(i, j);
    }
}

/// A keyed pseudo-random permutation of `0..n` (cycle-walking Feistel network):
/// O(1) memory, any index on demand.
#[derive(Clone, Debug)]
pub struct Permutation {
    n: u64,
    half_bits: u32,
    keys: [u64; 4],
}

impl Permutation {
    /// A permutation of `0..n`, `n >= 1`, chosen by `key`.
    pub(crate) fn new(n: u64, key: u64) -> Self {
        let bits = 64 - (n.max(2) - 1).leading_zeros();
        let half_bits = bits.div_ceil(2).max(1);
        Permutation {
            n,
            half_bits,
            keys: std::array::from_fn(|r| derive(key, r as u64)),
        }
    }

    /// The size of the permuted range.
    pub(crate) fn len(&self) -> u64 {
        self.n
    }

    /// The image of `i < n`.
    pub(crate) fn apply(&self, i: u64) -> u64 {
        debug_assert!(i < self.n);
        let mask = (1u64 << self.half_bits) - 1;
        let mut x = i;
        loop {
            let (mut left, mut right) = (x >> self.half_bits, x & mask);
            for k in self.keys {
                let next = left ^ (mix(right ^ k) & mask);
                left = right;
                right = next;
            }
            x = (left << self.half_bits) | right;
            if x < self.n {
                return x;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_a_bijection_for_awkward_sizes() {
        for n in [1u64, 2, 3, 7, 100, 1000, 4097] {
            let p = Permutation::new(n, 42);
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let j = p.apply(i) as usize;
                assert!(!seen[j], "n = {n}: {j} twice");
                seen[j] = true;
            }
        }
    }

    #[test]
    fn units_are_in_range_and_differ_by_key() {
        for i in 0..1000 {
            let u = unit(7, i);
            assert!((0.0..1.0).contains(&u));
        }
        assert_ne!(unit(1, 5), unit(2, 5));
    }
}
