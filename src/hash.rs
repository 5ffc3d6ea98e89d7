//! Counter-based randomness: the same (key, index) always gives the same
//! bits, whichever thread or shard asks.

use crate::arch::{Isa, Supported};

/// SplitMix64's finaliser: a bijective 64-bit mixer.
#[inline(always)]
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A key derived from a parent key and a label (dimension, purpose, ...).
#[inline(always)]
pub(crate) fn derive(key: u64, label: u64) -> u64 {
    mix(key ^ mix(label.wrapping_add(0x9e37_79b9_7f4a_7c15)))
}

/// A uniform in [0, 1) with 53 random bits, from (key, index).
#[inline(always)]
pub fn unit(key: u64, index: u64) -> f64 {
    (derive(key, index) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// `v as f64` for `v < 2^52`, in arithmetic that vectorises (LLVM converts
/// 64-bit integers one at a time before AVX-512, and with more instructions
/// than this on it, not knowing that `v` is small): the double
/// `2^52 + v` has `v` for its fraction bits, and taking 2^52 away is exact.
#[inline(always)]
pub(crate) fn small_as_f64(v: u64) -> f64 {
    const TWO_52: f64 = (1u64 << 52) as f64;
    debug_assert!(v < 1 << 52);
    f64::from_bits(TWO_52.to_bits() | v) - TWO_52
}

/// Shuffles `items` in place (Fisher-Yates), every choice drawn from
/// (key, position): the same key always gives the same order.
///
/// The choices of a block of positions are drawn first and then applied
/// in order: drawing them is independent work that vectorises where the
/// caller is compiled for wide registers, while the swaps stay serial.
#[inline(always)]
pub(crate) fn shuffle<T>(items: &mut [T], key: u64) {
    const BLOCK: usize = 256;
    let mut choices = [0u64; BLOCK];
    let mut end = items.len();
    while end > 1 {
        let start = end.saturating_sub(BLOCK).max(1);
        let choices = &mut choices[..end - start];
        // Every bound of the block, i + 1 <= end, within `below`'s range,
        // or (beyond 2^32 items) the 128-bit product it equals.
        if end as u64 <= 1 << 32 {
            draw_choices(choices, key, start as u64, below);
        } else {
            draw_choices(choices, key, start as u64, top_of_product);
        }
        for (i, &j) in (start..end).zip(choices.iter()).rev() {
            items.swap(i, j as usize);
        }
        end = start;
    }
}

/// The choice of each position `i` from `first` on: an index in `0..=i`
/// drawn from (key, i) by `below`.
#[inline(always)]
fn draw_choices(choices: &mut [u64], key: u64, first: u64, below: impl Fn(u64, u64) -> u64) {
    for (j, i) in choices.iter_mut().zip(first..) {
        *j = below(derive(key, i), i + 1);
    }
}

/// `(word * bound) >> 64` for a `bound` of at most 2^32, Lemire's
/// multiply-shift (a uniform index below `bound` from a uniform word),
/// from 32-bit halves, products that vector units have: with `word = hi
/// 2^32 + lo`, it is `(hi * bound + (lo * bound >> 32)) >> 32`, the same
/// as the 128-bit product's top half, and the sum stays below 2^64 since
/// `lo * bound >> 32 < bound`.
#[inline(always)]
fn below(word: u64, bound: u64) -> u64 {
    ((word >> 32) * bound + (((word & 0xffff_ffff) * bound) >> 32)) >> 32
}

/// `(word * bound) >> 64` through the 128-bit product, for any bound.
#[inline(always)]
fn top_of_product(word: u64, bound: u64) -> u64 {
    ((u128::from(word) * u128::from(bound)) >> 64) as u64
}

/// A keyed pseudo-random permutation of `0..n` (cycle-walking Feistel network):
/// any index on demand, from four keys and, where its rounds read their
/// function from a table, at most 512 KiB.
#[derive(Clone, Debug)]
pub struct Permutation {
    n: u64,
    half_bits: u32,
    keys: [u64; 4],
    /// Each round's function of the right half, `mix(right ^ key) & mask`,
    /// tabulated: round `k`'s value at `right` is entry `k << half_bits |
    /// right`. Empty where the rounds compute it: if so asked, or above
    /// [`TABLE_BITS`] half bits (more than 2^32 indices).
    table: Vec<u16>,
}

/// How a [`Permutation`]'s rounds get their function's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rounds {
    /// Computed, two 64-bit multiplications a value: the faster where
    /// vector units multiply 64-bit lanes (AVX-512).
    Computed,
    /// Read from the permutation's table: the faster where vector units
    /// make a 64-bit product of three 32-bit ones (AVX2, SSE2), and taken on
    /// the portable path of other processors too (not measured there).
    Tabulated,
}

impl Rounds {
    /// The faster on the path this process runs.
    pub(crate) fn current() -> Rounds {
        if Supported::current().isa() == Isa::Avx512 {
            Rounds::Computed
        } else {
            Rounds::Tabulated
        }
    }
}

/// The widest halves whose round functions are tabulated: 4 x 2^16 entries
/// of 16 bits, 512 KiB, for permutations of up to 2^32 indices.
const TABLE_BITS: u32 = 16;

impl Permutation {
    /// A permutation of `0..n`, `n >= 1`, chosen by `key`, whose rounds
    /// get their function's values `by` computing them or from a table
    /// (the same permutation either way).
    pub(crate) fn new(n: u64, key: u64, by: Rounds) -> Self {
        let bits = 64 - (n.max(2) - 1).leading_zeros();
        let half_bits = bits.div_ceil(2).max(1);
        let keys: [u64; 4] = std::array::from_fn(|r| derive(key, r as u64));
        let mask = (1u64 << half_bits) - 1;
        let table = if by == Rounds::Tabulated && half_bits <= TABLE_BITS {
            keys.iter()
                .flat_map(|&k| (0..=mask).map(move |right| (mix(right ^ k) & mask) as u16))
                .collect()
        } else {
            Vec::new()
        };
        Permutation {
            n,
            half_bits,
            keys,
            table,
        }
    }

    /// The size of the permuted range.
    pub(crate) fn len(&self) -> u64 {
        self.n
    }

    /// The image of `i < n`, one index at a time: the definition
    /// [`Permutation::apply_all`] is tested against.
    #[cfg(test)]
    pub(crate) fn apply(&self, i: u64) -> u64 {
        debug_assert!(i < self.n);
        self.walk(self.rounds(i))
    }

    /// The images of `first, first + 1, ..` into `out`, as
    /// `Permutation::apply` (the tests' definition) gives them, a span of
    /// indices at a time: one pass of the network over the span, then
    /// further passes for the images still outside `0..n` (cycle walking),
    /// until none is. Every pass reads and writes the values it walks
    /// contiguously, eight at a time and every step of the network across
    /// all eight (so that computed rounds vectorise where the caller is
    /// compiled for wide registers); between passes each image is put back
    /// in its place, and those still outside are packed to the front with
    /// their places. The rounds read the table where the permutation has
    /// one.
    #[inline(always)]
    pub(crate) fn apply_all(&self, first: u64, out: &mut [u64]) {
        let mask = (1u64 << self.half_bits) - 1;
        if !self.table.is_empty() {
            let table = &self.table[..4 << self.half_bits];
            self.walk_all(first, out, |k, right| {
                let at = (k << self.half_bits) | (right & mask) as usize;
                // SAFETY: `k < 4` and `right & mask < 2^half_bits`, so `at`
                // is below `4 << half_bits`, the length of `table`. (The
                // mask is needed: in lanes that pad a group past the span,
                // `right` can exceed it after the first round.)
                u64::from(unsafe { *table.get_unchecked(at) })
            });
        } else {
            self.walk_all(first, out, |k, right| mix(right ^ self.keys[k]) & mask);
        }
    }

    /// [`Permutation::apply_all`] with `round(k, right)` as round `k`'s
    /// function.
    #[inline(always)]
    fn walk_all(&self, first: u64, out: &mut [u64], round: impl Fn(usize, u64) -> u64) {
        const LANES: usize = 8;
        const SPAN: usize = 256;
        debug_assert!(first + out.len() as u64 <= self.n);
        // The images still outside, packed, and their places in the span.
        let mut walking = [0u64; SPAN];
        let mut places = [0u16; SPAN];
        for (span, start) in out.chunks_mut(SPAN).zip((first..).step_by(SPAN)) {
            for (y, from) in span.chunks_mut(LANES).zip((start..).step_by(LANES)) {
                let x = std::array::from_fn(|j| from + j as u64);
                y.copy_from_slice(&self.network::<LANES>(x, &round)[..y.len()]);
            }
            let mut len = 0;
            for (k, &y) in span.iter().enumerate() {
                walking[len] = y;
                places[len] = k as u16;
                len += usize::from(y >= self.n);
            }
            while len > 0 {
                // Whole groups: lanes past `len` hold leftovers, walked for
                // nothing and never read.
                for group in walking[..len.next_multiple_of(LANES)].chunks_exact_mut(LANES) {
                    let x = (&*group).try_into().expect("eight lanes");
                    group.copy_from_slice(&self.network::<LANES>(x, &round));
                }
                let mut outside = 0;
                for i in 0..len {
                    let (y, k) = (walking[i], places[i]);
                    span[usize::from(k)] = y;
                    walking[outside] = y;
                    places[outside] = k;
                    outside += usize::from(y >= self.n);
                }
                len = outside;
            }
        }
    }

    /// The four rounds of the network on each of `x`, step by step across
    /// them, with `round(k, right)` as round `k`'s function.
    #[inline(always)]
    fn network<const N: usize>(&self, x: [u64; N], round: impl Fn(usize, u64) -> u64) -> [u64; N] {
        let mask = (1u64 << self.half_bits) - 1;
        let mut left = x;
        let mut right = x;
        for (l, r) in left.iter_mut().zip(&mut right) {
            (*l, *r) = (*l >> self.half_bits, *r & mask);
        }
        for k in 0..self.keys.len() {
            for (l, r) in left.iter_mut().zip(&mut right) {
                let next = *l ^ round(k, *r);
                *l = *r;
                *r = next;
            }
        }
        let mut y = left;
        for (y, r) in y.iter_mut().zip(right) {
            *y = (*y << self.half_bits) | r;
        }
        y
    }

    /// One pass of the Feistel network over the next power of four.
    #[cfg(test)]
    fn rounds(&self, x: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let (mut left, mut right) = (x >> self.half_bits, x & mask);
        for k in self.keys {
            let next = left ^ (mix(right ^ k) & mask);
            left = right;
            right = next;
        }
        (left << self.half_bits) | right
    }

    /// `x`, the image of an index after one pass, walked on through further
    /// passes until it falls inside `0..n` (cycle walking).
    #[cfg(test)]
    fn walk(&self, mut x: u64) -> u64 {
        while x >= self.n {
            x = self.rounds(x);
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_a_bijection_for_awkward_sizes() {
        for n in [1u64, 2, 3, 7, 100, 1000, 4097] {
            let p = Permutation::new(n, 42, Rounds::Computed);
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let j = p.apply(i) as usize;
                assert!(!seen[j], "n = {n}: {j} twice");
                seen[j] = true;
            }
        }
    }

    /// Both ways to the rounds give the images of the definition, which
    /// computes them; above 2^32 indices there is no table, and asking for
    /// one computes them too.
    #[test]
    fn images_in_bulk_are_images_one_by_one() {
        let sizes = [1u64, 3, 7, 100, 4097, 1_000_000, 2_000_000];
        // The largest table (half bits 16), and the first size without one.
        for n in sizes
            .into_iter()
            .chain([1 << 32, (1 << 32) + 1, (1 << 33) + 5])
        {
            for by in [Rounds::Computed, Rounds::Tabulated] {
                let p = Permutation::new(n, 9, by);
                let tabulated = by == Rounds::Tabulated && n <= 1 << 32;
                assert_eq!(p.table.is_empty(), !tabulated, "n = {n}, {by:?}");
                for (first, len) in [(0, n.min(11)), (n / 3, (n - n / 3).min(258))] {
                    let mut bulk = vec![0; len as usize];
                    p.apply_all(first, &mut bulk);
                    let one_by_one: Vec<u64> = (first..first + len).map(|i| p.apply(i)).collect();
                    assert_eq!(bulk, one_by_one, "n = {n}, from {first}, {by:?}");
                }
            }
        }
    }

    /// The split multiply-shift is the 128-bit one, at the edges of both
    /// halves and of the bounds.
    #[test]
    fn below_is_the_top_half_of_the_128_bit_product() {
        let words = [
            0,
            1,
            u64::MAX,
            1 << 32,
            (1 << 32) - 1,
            0x8000_0000_ffff_ffff,
        ];
        let words = words.into_iter().chain((0..1000).map(mix));
        for word in words {
            for bound in [
                1,
                2,
                3,
                255,
                2048,
                (1 << 31) + 1,
                u64::from(u32::MAX),
                1 << 32,
            ] {
                let wide = top_of_product(word, bound);
                assert_eq!(below(word, bound), wide, "{word:#x} below {bound}");
            }
        }
    }

    /// Blocks of drawn choices give the order of the plain Fisher-Yates,
    /// one choice at a time from the top, across block edges.
    #[test]
    fn shuffle_is_the_plain_fisher_yates() {
        for n in [0, 1, 2, 3, 255, 256, 257, 258, 513, 2048] {
            let mut plain: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                let j = (u128::from(derive(5, i as u64)) * (i as u128 + 1)) >> 64;
                plain.swap(i, j as usize);
            }
            let mut blocked: Vec<usize> = (0..n).collect();
            shuffle(&mut blocked, 5);
            assert_eq!(blocked, plain, "{n} items");
        }
    }

    /// The conversion through 2^52 is the language's, at the edges.
    #[test]
    fn small_integers_convert_exactly() {
        let edges = [0, 1, 2, (1 << 26) - 1, 1 << 26, (1 << 52) - 1];
        for v in edges.into_iter().chain((0..1000).map(|i| mix(i) >> 12)) {
            assert_eq!(small_as_f64(v).to_bits(), (v as f64).to_bits(), "{v}");
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
