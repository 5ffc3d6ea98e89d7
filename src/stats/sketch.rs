//! A mergeable quantile sketch with a fixed relative error and memory that
//! does not grow with the number of values.
//!
//! Values are counted in logarithmic buckets read straight off their bits:
//! the exponent and the top [`MANTISSA_BITS`] bits of the mantissa. Every
//! bucket spans a factor of at most `1 + 2^-8`, so a bucket's representative
//! is within [`LogSketch::RELATIVE_ERROR`] of every value in it (the idea of
//! DDSketch, Masson, Rim and Lee 2019, with a mapping that needs no
//! logarithm and is identical on every machine). Negative values get their
//! own buckets, so NPV and cash flow work. Counts are integers, so merging is
//! exact and independent of order.
//!
//! Inserting is the engine's hottest loop after the model (200 values a run),
//! so the counts of both signs and of zero share one array, and a batch of
//! values is inserted in two passes: one that computes every value's slot
//! without branches (and vectorises), one that only increments.

use serde::{Deserialize, Serialize};

use super::quantile::{rank, Percentile};

/// Mantissa bits kept in a bucket index.
pub const MANTISSA_BITS: u32 = 8;
const SHIFT: u32 = 52 - MANTISSA_BITS;
const NEGATIVE: usize = 0;
const POSITIVE: usize = 1;
/// Values inserted per pass of [`LogSketch::insert_all`].
const BATCH: usize = 256;

/// A quantile sketch: relative error at most [`LogSketch::RELATIVE_ERROR`]
/// for values of magnitude at least [`LogSketch::MIN_MAGNITUDE`] (smaller
/// ones count as 0).
///
/// ```
/// use nexus_mc::stats::{LogSketch, Percentile};
///
/// let mut a = LogSketch::default();
/// let mut b = LogSketch::default();
/// for i in 1..=500 { a.insert(f64::from(i)); }
/// for i in 501..=1000 { b.insert(-f64::from(i)); }
/// a.merge(&b);
/// let p75 = a.quantile(Percentile(75)); // the 750th smallest value is 250
/// assert!((p75 - 250.0).abs() <= 250.0 * LogSketch::RELATIVE_ERROR);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogSketch {
    /// Key of the first bucket of the negative and of the positive side.
    first: [u32; 2],
    /// Buckets of each side, dense from `first`.
    len: [u32; 2],
    /// Low 32 bits of every count, in slot order: the negative side, the
    /// positive side, then zero (see [`LogSketch::slot`]).
    low: Vec<u32>,
    /// High 32 bits, in the same order: empty until a count first passes
    /// `u32::MAX`. Halving the array every insert touches keeps a run's 200
    /// sketches in a core's L2 cache.
    high: Vec<u32>,
    count: u64,
    min: f64,
    max: f64,
}

impl Default for LogSketch {
    fn default() -> Self {
        LogSketch {
            first: [0; 2],
            len: [0; 2],
            low: vec![0],
            high: Vec::new(),
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl LogSketch {
    /// Bound on `|estimate - true| / |true|` of every quantile: 2^-9.
    pub const RELATIVE_ERROR: f64 = 1.0 / (1u64 << (MANTISSA_BITS + 1)) as f64;
    /// Values closer to zero than this are counted as exactly 0.
    pub const MIN_MAGNITUDE: f64 = 1e-9;

    /// Counts one finite value.
    #[inline]
    pub fn insert(&mut self, x: f64) {
        self.insert_all(std::slice::from_ref(&x));
    }

    /// Counts every value of `values` (all finite).
    ///
    /// Runs compiled for AVX-512 where the processor has it, which
    /// vectorises the search for slots, with the same counts.
    pub fn insert_all(&mut self, values: &[f64]) {
        #[cfg(target_arch = "x86_64")]
        if crate::cpu::has_avx512() {
            // SAFETY: the processor has AVX-512 F and VL.
            unsafe { self.insert_all_avx512(values) };
            return;
        }
        self.insert_all_portable(values);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vl")]
    unsafe fn insert_all_avx512(&mut self, values: &[f64]) {
        self.insert_all_portable(values);
    }

    #[inline(always)]
    fn insert_all_portable(&mut self, values: &[f64]) {
        debug_assert!(values.iter().all(|x| x.is_finite()));
        let Some(&first) = values.first() else {
            return;
        };
        let (lo, hi) = values
            .iter()
            .fold((first, first), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        self.count += values.len() as u64;
        self.min = self.min.min(lo);
        self.max = self.max.max(hi);
        if lo == hi {
            // One value throughout, as in outputs that are zero in every run
            // of some years: one addition instead of a chain of increments
            // of one counter.
            self.make_room(first);
            self.add_at(self.slot(first), values.len() as u64);
            return;
        }
        let mut slots = [0u32; BATCH];
        for batch in values.chunks(BATCH) {
            let slots = &mut slots[..batch.len()];
            while !self.find_slots(batch, slots) {
                batch.iter().for_each(|&x| self.make_room(x));
            }
            for &i in slots.iter() {
                let c = &mut self.low[i as usize];
                *c = c.wrapping_add(1);
                if *c == 0 {
                    self.carry(i as usize);
                }
            }
        }
    }

    /// Writes the slot of each value, without branches; false if some value
    /// has no bucket yet (its slot is then meaningless).
    #[inline(always)]
    fn find_slots(&self, values: &[f64], slots: &mut [u32]) -> bool {
        let [first_neg, first_pos] = self.first;
        let [len_neg, len_pos] = self.len;
        let zero = len_neg + len_pos;
        let mut inside = true;
        for (slot, &x) in slots.iter_mut().zip(values) {
            let magnitude = x.abs();
            let tiny = magnitude < Self::MIN_MAGNITUDE;
            let negative = x < 0.0;
            let (first, len, start) = if negative {
                (first_neg, len_neg, 0)
            } else {
                (first_pos, len_pos, len_neg)
            };
            let i = key(magnitude).wrapping_sub(first);
            inside &= tiny | (i < len);
            *slot = if tiny { zero } else { start.wrapping_add(i) };
        }
        inside
    }

    /// The slot of `x`, which has a bucket.
    fn slot(&self, x: f64) -> usize {
        bucket(x).map_or(self.zero_slot(), |(side, k)| self.key_slot(side, k))
    }

    fn zero_slot(&self) -> usize {
        (self.len[NEGATIVE] + self.len[POSITIVE]) as usize
    }

    /// Gives `x` a bucket if it has none.
    #[cold]
    fn make_room(&mut self, x: f64) {
        if let Some((side, k)) = bucket(x) {
            self.make_room_for(side, k);
        }
    }

    /// Gives key `k` of `side` a bucket if it has none, growing the side with
    /// slack so that a drifting sequence of values regrows only now and then.
    fn make_room_for(&mut self, side: usize, k: u32) {
        let (first, len) = (self.first[side], self.len[side]);
        let (new_first, new_end) = if len == 0 {
            (k, k + 1)
        } else if k < first {
            (k - (len / 2).min(k), first + len)
        } else if k - first >= len {
            (first, k + 1 + len / 2)
        } else {
            return;
        };
        let mut first = self.first;
        let mut len = self.len;
        first[side] = new_first;
        len[side] = new_end - new_first;
        let slots = (len[NEGATIVE] + len[POSITIVE] + 1) as usize;
        let mut grown = LogSketch {
            first,
            len,
            low: vec![0; slots],
            high: Vec::new(),
            ..*self
        };
        grown.add_counts(self);
        *self = grown;
    }

    /// Adds the counts of `other` into `self`, which has a bucket for each:
    /// side by side and then zero, each a run of slots in both, the low
    /// words with carries, then the high words.
    fn add_counts(&mut self, other: &LogSketch) {
        let mut moves = [(0, 0, 0); 3];
        let mut from = 0;
        for side in [NEGATIVE, POSITIVE] {
            let len = other.len[side] as usize;
            let to = if len > 0 {
                self.key_slot(side, other.first[side])
            } else {
                0
            };
            moves[side] = (from, to, len);
            from += len;
        }
        moves[2] = (other.zero_slot(), self.zero_slot(), 1);
        for (from, to, len) in moves {
            for i in 0..len {
                let (sum, carried) = self.low[to + i].overflowing_add(other.low[from + i]);
                self.low[to + i] = sum;
                if carried {
                    self.carry(to + i);
                }
            }
            for (i, &h) in other.high.iter().skip(from).take(len).enumerate() {
                if h > 0 {
                    self.add_at(to + i, u64::from(h) << 32);
                }
            }
        }
    }

    /// The slot of key `k` of `side`, which has a bucket.
    fn key_slot(&self, side: usize, k: u32) -> usize {
        let start = if side == NEGATIVE {
            0
        } else {
            self.len[NEGATIVE]
        };
        (start + k - self.first[side]) as usize
    }

    /// The count of slot `i`.
    fn get(&self, i: usize) -> u64 {
        let high = self.high.get(i).map_or(0, |&h| u64::from(h) << 32);
        high | u64::from(self.low[i])
    }

    /// Adds `count` to slot `i`.
    fn add_at(&mut self, i: usize, count: u64) {
        let total = self.get(i) + count;
        self.low[i] = total as u32;
        if total >> 32 != 0 && self.high.len() != self.low.len() {
            self.high.resize(self.low.len(), 0);
        }
        if let Some(h) = self.high.get_mut(i) {
            *h = (total >> 32) as u32;
        }
    }

    #[cold]
    fn carry(&mut self, i: usize) {
        self.add_at(i, 1 << 32);
    }

    /// Adds another sketch's counts.
    pub fn merge(&mut self, other: &LogSketch) {
        if self.count == 0 {
            // Nothing counted yet: the merge is a copy.
            self.clone_from(other);
            return;
        }
        for side in [NEGATIVE, POSITIVE] {
            if let Some(last) = other.len[side].checked_sub(1) {
                self.make_room_for(side, other.first[side]);
                self.make_room_for(side, other.first[side] + last);
            }
        }
        self.add_counts(other);
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Checks the layout of a sketch read from a file, so that a damaged
    /// shard state gives an error, not a panic later.
    pub(crate) fn check(&self) -> Result<(), String> {
        let slots = self.len[NEGATIVE] as usize + self.len[POSITIVE] as usize + 1;
        let keys_fit = (0..2).all(|side| self.first[side].checked_add(self.len[side]).is_some());
        let high_fits = self.high.is_empty() || self.high.len() == slots;
        if self.low.len() != slots || !high_fits || !keys_fit {
            return Err("a quantile sketch's buckets do not add up".into());
        }
        let counted = (0..slots).try_fold(0u64, |sum, i| sum.checked_add(self.get(i)));
        if counted != Some(self.count) {
            return Err(format!(
                "a quantile sketch holds {} values but says {}",
                counted.map_or("too many".into(), |n| n.to_string()),
                self.count
            ));
        }
        let range_ok = if self.count == 0 {
            self.min == f64::INFINITY && self.max == f64::NEG_INFINITY
        } else {
            self.min.is_finite() && self.max.is_finite() && self.min <= self.max
        };
        if !range_ok {
            return Err(format!(
                "a quantile sketch's range [{}, {}] is not that of {} finite values",
                self.min, self.max, self.count
            ));
        }
        Ok(())
    }

    /// Number of values counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Every non-empty bucket as (representative value, count), ascending.
    pub fn values(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        let side = |side: usize, start: u32| {
            (0..self.len[side]).map(move |i| {
                let count = self.get((start + i) as usize);
                (representative(self.first[side] + i), count)
            })
        };
        side(NEGATIVE, 0)
            .rev()
            .map(|(v, c)| (-v, c))
            .chain(std::iter::once((0.0, self.get(self.zero_slot()))))
            .chain(side(POSITIVE, self.len[NEGATIVE]))
            .filter(|&(_, c)| c > 0)
    }

    /// The value of rank `ceil(p * n)`, within [`Self::RELATIVE_ERROR`] and
    /// never outside the smallest and largest value seen; NaN when empty.
    pub fn quantile(&self, p: Percentile) -> f64 {
        if self.count == 0 {
            return f64::NAN;
        }
        let wanted = rank(p, self.count);
        let mut seen = 0;
        for (value, c) in self.values() {
            seen += c;
            if seen >= wanted {
                return value.clamp(self.min, self.max);
            }
        }
        self.max
    }
}

/// The side and key of `x`, or `None` if it counts as zero.
fn bucket(x: f64) -> Option<(usize, u32)> {
    let magnitude = x.abs();
    (magnitude >= LogSketch::MIN_MAGNITUDE).then(|| (usize::from(x >= 0.0), key(magnitude)))
}

/// The bucket of a magnitude of at least [`LogSketch::MIN_MAGNITUDE`]: its
/// exponent and the top [`MANTISSA_BITS`] of its mantissa.
#[inline(always)]
fn key(magnitude: f64) -> u32 {
    (magnitude.to_bits() >> SHIFT) as u32
}

/// The point of bucket `key` with the least worst-case relative error to
/// any magnitude in it: `2 lo hi / (lo + hi)`.
fn representative(key: u32) -> f64 {
    let lo = f64::from_bits(u64::from(key) << SHIFT);
    let hi = f64::from_bits(u64::from(key + 1) << SHIFT);
    2.0 * lo * hi / (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::exact_quantiles;

    fn check_against_exact(values: &[f64]) {
        let mut sketch = LogSketch::default();
        values.iter().for_each(|&x| sketch.insert(x));
        let mut sorted = values.to_vec();
        for p in (1..=99).map(Percentile) {
            let exact = exact_quantiles(&mut sorted, &[p])[0];
            let est = sketch.quantile(p);
            let bound = LogSketch::RELATIVE_ERROR * exact.abs() + LogSketch::MIN_MAGNITUDE;
            assert!(
                (est - exact).abs() <= bound,
                "P{}: sketch {est}, exact {exact}",
                p.0
            );
        }
    }

    #[test]
    fn every_percentile_is_within_the_relative_error() {
        // Wide range of magnitudes, both signs, zeros and a tiny value.
        let values: Vec<f64> = (0..20_000)
            .map(|i| {
                let u = (i as f64 * 0.618_033_988_749_895).fract();
                let x = (u * 30.0 - 12.0).exp();
                match i % 5 {
                    0 => -x,
                    1 => 0.0,
                    2 => 1e-12,
                    _ => x,
                }
            })
            .collect();
        check_against_exact(&values);
        check_against_exact(&[-5.0]);
        check_against_exact(&[3.0, 3.0, 3.0]);
    }

    #[test]
    fn merging_is_exact_and_order_free() {
        let values: Vec<f64> = (1..=3000).map(|i| (i as f64).sqrt() - 20.0).collect();
        let mut whole = LogSketch::default();
        values.iter().for_each(|&x| whole.insert(x));
        let mut parts: Vec<LogSketch> = values
            .chunks(700)
            .map(|c| {
                let mut s = LogSketch::default();
                c.iter().for_each(|&x| s.insert(x));
                s
            })
            .collect();
        parts.reverse();
        let mut merged = LogSketch::default();
        parts.iter().for_each(|s| merged.merge(s));
        for p in Percentile::BANDS {
            assert_eq!(merged.quantile(p), whole.quantile(p));
        }
        assert_eq!(merged.count(), 3000);
    }

    /// Buckets count past `u32::MAX` without loss, whether the carry comes
    /// from an insert or from a merge.
    #[test]
    fn counts_carry_past_32_bits() {
        let counts = |s: &LogSketch| s.values().map(|(_, c)| c).collect::<Vec<_>>();
        // 2^32 - 1 fives, by merging 1, 2, 4, ... 2^31 of them.
        let mut power = LogSketch::default();
        power.insert(5.0);
        let mut s = LogSketch::default();
        for _ in 0..32 {
            s.merge(&power);
            power.merge(&power.clone());
        }
        assert_eq!(counts(&s), [u64::from(u32::MAX)]);
        // Two different values, so the five goes through the batch loop.
        s.insert_all(&[5.0, 7.0]);
        s.insert_all(&[-2.0, 7.0]);
        assert_eq!(counts(&s), [1, 1 << 32, 2]);
        s.merge(&s.clone());
        assert_eq!(counts(&s), [2, 1 << 33, 4]);
        assert_eq!(s.count(), (1 << 33) + 6);
        // Below the fives' bucket, so the buckets grow downwards.
        s.insert(4.0);
        assert_eq!(counts(&s), [2, 1, 1 << 33, 4]);
        let median = s.quantile(Percentile(50));
        assert!((median - 5.0).abs() <= 5.0 * LogSketch::RELATIVE_ERROR);
    }

    /// Zeros, constant batches and values below, above and between the
    /// buckets seen so far all land in the right place.
    #[test]
    fn zeros_constants_and_growth_in_both_directions() {
        let mut s = LogSketch::default();
        s.insert_all(&[0.0; 300]);
        s.insert_all(&[-3.0; 5]);
        s.insert_all(&[1e-12, 100.0, 0.5, -1e6, 1e6, -0.25, 0.0, 100.0]);
        let got: Vec<(f64, u64)> = s.values().collect();
        let expected = [
            (-1e6, 1),
            (-3.0, 5),
            (-0.25, 1),
            (0.0, 302),
            (0.5, 1),
            (100.0, 2),
            (1e6, 1),
        ];
        assert_eq!(got.len(), expected.len(), "{got:?}");
        for ((v, c), (x, n)) in got.iter().zip(expected) {
            assert!(
                (v - x).abs() <= x.abs() * LogSketch::RELATIVE_ERROR,
                "{v} vs {x}"
            );
            assert_eq!(*c, n, "count of {x}");
        }
        assert_eq!(s.count(), 313);
    }

    /// The AVX-512 build of the insert counts as the portable one does (on
    /// processors without AVX-512 both are the portable build).
    #[test]
    fn every_build_of_the_insert_counts_the_same() {
        let values: Vec<f64> = (0..5_000)
            .map(|i| {
                let u = (i as f64 * 0.618_033_988_749_895).fract();
                match i % 7 {
                    0 => 0.0,
                    1 => -(u * 40.0 - 20.0).exp(),
                    _ => (u * 40.0 - 20.0).exp(),
                }
            })
            .collect();
        let mut fast = LogSketch::default();
        let mut portable = LogSketch::default();
        for part in values.chunks(300) {
            fast.insert_all(part);
            portable.insert_all_portable(part);
        }
        assert_eq!(fast, portable);
        assert_eq!(fast.count(), 5_000);
    }

    /// A damaged sketch read from a file is found by `check`.
    #[test]
    fn an_inconsistent_sketch_is_found() {
        let mut s = LogSketch::default();
        s.insert_all(&[1.0, 2.0, -4.0, 0.0]);
        assert_eq!(s.check(), Ok(()));
        let mut short = s.clone();
        short.low.pop();
        assert!(short.check().is_err());
        let mut miscounted = s.clone();
        miscounted.count += 1;
        assert!(miscounted
            .check()
            .unwrap_err()
            .contains("holds 4 values but says 5"));
    }

    #[test]
    fn a_constant_sample_gives_its_value_exactly() {
        let mut s = LogSketch::default();
        (0..10).for_each(|_| s.insert(1_478.123));
        assert_eq!(s.quantile(Percentile(5)), 1_478.123);
    }
}
