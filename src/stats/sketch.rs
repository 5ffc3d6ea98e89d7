//! A mergeable quantile sketch with a bounded relative error (finer where
//! it is refined) and memory that does not grow with the number of values.
//!
//! Values are counted in logarithmic buckets read straight off their bits:
//! the exponent and the top [`MANTISSA_BITS`] bits of the mantissa. Every
//! bucket spans a factor of at most `1 + 2^-6`, so a bucket's representative
//! is within [`LogSketch::RELATIVE_ERROR`] of every value in it (the idea of
//! DDSketch, Masson, Rim and Lee 2019, with a mapping that needs no
//! logarithm and is identical on every machine). Negative values get their
//! own buckets, so NPV and cash flow work. Counts are integers, so merging is
//! exact and independent of order.
//!
//! A sketch may be *refined* over chosen ranges of values (the neighbourhood
//! of the quantiles that will be asked for, as a pilot run locates them):
//! there every coarse bucket is split into `2^(FINE_BITS - MANTISSA_BITS)`
//! fine buckets of [`FINE_BITS`] mantissa bits, whose representatives are
//! within [`LogSketch::FINE_RELATIVE_ERROR`] (2^-12). A value is counted
//! once, in a fine bucket if its range is refined and in a coarse one
//! otherwise, so refinement costs no extra increment, and
//! [`LogSketch::quantile_with_error`] says which bound a quantile has.
//!
//! Inserting is the engine's hottest loop after the model (200 values a run),
//! so the counts of both signs, of zero and of the fine buckets share one
//! array, and a batch of values is inserted in passes: one that computes
//! every value's coarse slot and fine key without branches (and
//! vectorises), one that moves the values of refined buckets to their fine
//! slots, one that only increments, and then the rare carries into the high
//! words. With AVX-512 the second pass applies every refined window to
//! sixteen slots at a time in registers (a compare and a masked add a
//! window); elsewhere, where that costs several instructions a window, it
//! looks each coarse slot up in a table of where its values go (as a
//! gather, the lookup was slower with AVX-512).

use serde::{Deserialize, Serialize};

use super::quantile::{rank, Percentile};
use crate::arch::{multiversion, Isa, Supported};

/// Mantissa bits kept in a coarse bucket index.
pub(crate) const MANTISSA_BITS: u32 = 6;
/// Mantissa bits kept in a fine bucket index (refined ranges).
pub(crate) const FINE_BITS: u32 = 11;
const SHIFT: u32 = 52 - MANTISSA_BITS;
const FINE_SHIFT: u32 = 52 - FINE_BITS;
/// Fine buckets in a coarse one.
const FINE_PER_COARSE: u32 = 1 << (FINE_BITS - MANTISSA_BITS);
/// The sign bit of a fine key (see [`fine_key`]).
const FINE_SIGN: u32 = 1 << (63 - FINE_SHIFT);
/// Bits of a count kept in the array every insert touches.
const LOW_BITS: u32 = 16;
const NEGATIVE: usize = 0;
const POSITIVE: usize = 1;
/// Values inserted per pass of [`LogSketch::insert_all`].
const BATCH: usize = 256;
/// Slots [`LogSketch::refine_by_windows`] refines side by side: one
/// AVX-512 register of 32-bit slots.
const LANES: usize = 16;
/// Windows [`LogSketch::refine_by_windows`] applies in one pass over the
/// slots.
const WINDOWS_AT_ONCE: usize = 16;
/// The flag of a [`Route`] entry that gives the first of a coarse bucket's
/// fine slots rather than the coarse slot itself.
const REFINED: u32 = 1 << 31;

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
    /// Low 16 bits of every count, in slot order: the negative side, the
    /// positive side, zero (see [`LogSketch::slot`]), then the fine buckets
    /// of every refined window.
    low: Vec<u16>,
    /// The rest of every count (the count shifted right by 16), in the
    /// same order: empty until a count first passes 65,535. Only the low
    /// words are touched by nearly every insert, so a run's 200 sketches,
    /// fine buckets included, take a quarter of the cache that whole counts
    /// would.
    high: Vec<u64>,
    count: u64,
    min: f64,
    max: f64,
    /// Refined ranges, disjoint and ascending by fine key, each a whole
    /// number of coarse buckets.
    windows: Vec<FineWindow>,
    /// Where the values of each coarse slot are counted; derived from the
    /// layout and the windows, so neither stored nor compared.
    #[serde(skip)]
    route: Route,
}

/// For each coarse slot and the zero slot, in slot order: the slot itself,
/// or, with the [`REFINED`] flag, the first of its coarse bucket's fine
/// slots. Built by the first refinement by route after a change of layout
/// (and so never on the AVX-512 path, which refines by windows); empty
/// until then.
#[derive(Clone, Debug, Default)]
struct Route(Vec<u32>);

impl PartialEq for Route {
    /// Always: a route follows from the fields that are compared.
    fn eq(&self, _: &Route) -> bool {
        true
    }
}

/// A refined range: fine keys `first .. first + len` (sign bit included),
/// counted at fine slots `base .. base + len` (after the zero slot).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct FineWindow {
    first: u32,
    len: u32,
    base: u32,
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
            windows: Vec::new(),
            route: Route::default(),
        }
    }
}

/// One bucket of a sketch, as [`LogSketch::buckets`] lists them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    /// The representative value.
    pub value: f64,
    /// How many values it counts.
    pub count: u64,
    /// Bound on the relative distance of the representative to any value
    /// counted: [`LogSketch::RELATIVE_ERROR`], or
    /// [`LogSketch::FINE_RELATIVE_ERROR`] in a refined range, 0 for zero.
    pub relative_error: f64,
}

impl LogSketch {
    /// Bound on `|estimate - true| / |true|` of every quantile: 2^-7.
    pub const RELATIVE_ERROR: f64 = 1.0 / (1u64 << (MANTISSA_BITS + 1)) as f64;
    /// The bound of a quantile that falls in a refined range: 2^-12.
    pub const FINE_RELATIVE_ERROR: f64 = 1.0 / (1u64 << (FINE_BITS + 1)) as f64;
    /// Values closer to zero than this are counted as exactly 0.
    pub const MIN_MAGNITUDE: f64 = 1e-9;

    /// A range is refined down to this fraction of its largest magnitude:
    /// below it, coarse buckets are within `2^-7 * 2^-8 = 2^-15` of that
    /// magnitude, while a range reaching zero would otherwise need fine
    /// buckets over dozens of octaves.
    pub const REFINE_FLOOR: f64 = 1.0 / 256.0;

    /// An empty sketch refined over each range `[lo, hi]` of `ranges`
    /// (widened to whole coarse buckets, and only down to
    /// [`Self::REFINE_FLOOR`] of its largest magnitude).
    ///
    /// ```
    /// use nexus_mc::stats::{LogSketch, Percentile};
    ///
    /// let mut s = LogSketch::refined(&[(45.0, 55.0)]);
    /// let values: Vec<f64> = (1..=999).map(|i| f64::from(i) / 10.0).collect();
    /// s.insert_all(&values);
    /// let (median, bound) = s.quantile_with_error(Percentile(50)); // 50.0
    /// assert_eq!(bound, LogSketch::FINE_RELATIVE_ERROR);
    /// assert!((median - 50.0).abs() <= 50.0 * bound);
    /// ```
    pub fn refined(ranges: &[(f64, f64)]) -> LogSketch {
        let mut keys: Vec<(u32, u32)> = Vec::new();
        for &(lo, hi) in ranges {
            let (lo, hi) = (lo.min(hi), lo.max(hi));
            // Near zero, coarse buckets are already close in absolute terms.
            let floor = (lo.abs().max(hi.abs()) * Self::REFINE_FLOOR).max(Self::MIN_MAGNITUDE);
            // Each sign's part, as magnitudes.
            let parts = [(0.0_f64.max(lo), hi, 0), ((-hi).max(0.0), -lo, FINE_SIGN)];
            for (from, to, sign) in parts {
                let from = from.max(floor);
                if !to.is_finite() || to < from {
                    continue;
                }
                let first = key(from) * FINE_PER_COARSE;
                let end = (key(to) + 1) * FINE_PER_COARSE;
                keys.push((sign | first, sign | end));
            }
        }
        keys.sort_unstable();
        let mut windows: Vec<FineWindow> = Vec::new();
        for (first, end) in keys {
            match windows.last_mut() {
                Some(w) if first <= w.first + w.len => w.len = w.len.max(end - w.first),
                _ => windows.push(FineWindow {
                    first,
                    len: end - first,
                    base: 0,
                }),
            }
        }
        let mut base = 0;
        for w in &mut windows {
            w.base = base;
            base += w.len;
        }
        LogSketch {
            low: vec![0; 1 + base as usize],
            windows,
            ..LogSketch::default()
        }
    }

    /// This sketch with a bucket for every coarse bucket `other` has (the
    /// range a pilot met, say), so that values there never make it regrow.
    ///
    /// ```
    /// use nexus_mc::stats::LogSketch;
    ///
    /// let mut pilot = LogSketch::default();
    /// pilot.insert_all(&[-3.0, 0.5, 40.0]);
    /// let mut s = LogSketch::refined(&[(0.4, 0.6)]).with_room_of(&pilot);
    /// s.insert_all(&[-2.0, 0.55, 30.0]);
    /// assert_eq!(s.count(), 3);
    /// ```
    pub fn with_room_of(mut self, other: &LogSketch) -> LogSketch {
        self.make_room_for_buckets_of(other);
        self
    }

    /// Asks the processor to fetch the counts inserts touch (see
    /// [`crate::arch::prefetch`]): called for the next column's sketch while
    /// this one's values go in.
    #[inline]
    pub(crate) fn prefetch(&self) {
        crate::arch::prefetch(&self.low);
    }

    /// Counts one finite value.
    #[inline]
    pub fn insert(&mut self, x: f64) {
        self.insert_all(std::slice::from_ref(&x));
    }

    /// Counts every value of `values` (all finite).
    ///
    /// Runs compiled for the process's instruction set (wide registers
    /// vectorise the search for slots), with the same counts on every one.
    ///
    /// # Panics
    /// If the sketch was deserialized from data whose counts do not fit its
    /// buckets.
    pub fn insert_all(&mut self, values: &[f64]) {
        let isa = Supported::current();
        let by_windows = isa.isa() == Isa::Avx512;
        insert_all_on(isa, self, values, by_windows);
    }

    /// [`Self::insert_all`], refining slots by windows or by the route.
    #[inline(always)]
    fn insert_all_portable(&mut self, values: &[f64], by_windows: bool) {
        debug_assert!(values.iter().all(|x| x.is_finite()));
        let Some(&first) = values.first() else {
            return;
        };
        let (lo, hi) = range_of(values);
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
        let mut fine = [0u32; BATCH];
        let mut carries = [0u32; BATCH];
        for batch in values.chunks(BATCH) {
            let slots = &mut slots[..batch.len()];
            let fine = &mut fine[..batch.len()];
            while !self.find_slots(batch, slots, fine) {
                batch.iter().for_each(|&x| self.make_room(x));
            }
            if by_windows {
                self.refine_by_windows(slots, fine);
            } else {
                self.refine_by_route(slots, fine);
            }
            // Checked once a batch (after any relayout) rather than at
            // every increment.
            assert!(
                self.slots_fit(),
                "a quantile sketch whose counts do not fit its layout"
            );
            // Carries wait until the increments are done, so the loop
            // holds the counts in registers and calls nothing.
            let mut wrapped = 0;
            let low = &mut self.low[..];
            let mut increment = |i: u32| {
                // SAFETY: `find_slots` gives a coarse slot or the zero
                // slot, and a refinement a fine slot of a window: all are
                // below `low.len()`, as `slots_fit` just checked.
                let c = unsafe { low.get_unchecked_mut(i as usize) };
                *c = c.wrapping_add(1);
                if *c == 0 {
                    carries[wrapped] = i;
                    wrapped += 1;
                }
            };
            // Four increments a step of the loop, which the compiler does
            // not unroll by itself (the carry check is a branch).
            let mut quads = slots.chunks_exact(4);
            for q in &mut quads {
                q.iter().for_each(|&i| increment(i));
            }
            quads.remainder().iter().for_each(|&i| increment(i));
            for &i in &carries[..wrapped] {
                self.carry(i as usize);
            }
        }
    }

    /// Writes the coarse slot and the fine key (0 for a zero) of each
    /// value, without branches; false if some value has no coarse bucket yet
    /// (its slot is then meaningless).
    #[inline(always)]
    fn find_slots(&self, values: &[f64], slots: &mut [u32], fine: &mut [u32]) -> bool {
        let [first_neg, first_pos] = self.first;
        let [len_neg, len_pos] = self.len;
        let zero = len_neg + len_pos;
        let mut inside = true;
        for ((slot, fine), &x) in slots.iter_mut().zip(fine.iter_mut()).zip(values) {
            let tiny = x.abs() < Self::MIN_MAGNITUDE;
            // The coarse key and the sign come from the fine key, so only
            // it and `tiny` are narrowed from 64-bit lanes to 32-bit ones.
            let f = fine_key(x);
            let negative = f & FINE_SIGN != 0;
            let (first, len, start) = if negative {
                (first_neg, len_neg, 0)
            } else {
                (first_pos, len_pos, len_neg)
            };
            let i = coarse_of_fine(f).wrapping_sub(first);
            inside &= tiny | (i < len);
            *slot = if tiny { zero } else { start.wrapping_add(i) };
            // Key 0 is in no window: zeros stay zeros.
            *fine = if tiny { 0 } else { f };
        }
        inside
    }

    /// Moves the values of refined buckets from their coarse `slots` to the
    /// fine slots of their `fine` keys, window by window.
    #[inline(always)]
    fn refine_by_windows(&self, slots: &mut [u32], fine: &[u32]) {
        let zero = self.zero_slot() as u32;
        // Each window as its first key, its number of keys and what turns a
        // key into its slot, so that each is one broadcast operand in the
        // loop below; sketches have about seven windows.
        for windows in self.windows.chunks(WINDOWS_AT_ONCE) {
            let mut table = [(0, 0, 0); WINDOWS_AT_ONCE];
            for (t, w) in table.iter_mut().zip(windows) {
                *t = (w.first, w.len, (zero + 1 + w.base).wrapping_sub(w.first));
            }
            let table = &table[..windows.len()];
            // Refined ranges take their values over: one select a window,
            // on 32-bit keys, LANES values at a time with their slots held
            // in registers across the windows, so each slot is stored once
            // (a pass a window would reload slots just stored under a
            // mask, which processors forward slowly).
            let mut groups = slots.chunks_exact_mut(LANES);
            let mut keys = fine.chunks_exact(LANES);
            for (out, keys) in (&mut groups).zip(&mut keys) {
                let mut group = [0; LANES];
                group.copy_from_slice(out);
                for &(first, len, to_slot) in table {
                    for (slot, &k) in group.iter_mut().zip(keys) {
                        if k.wrapping_sub(first) < len {
                            *slot = k.wrapping_add(to_slot);
                        }
                    }
                }
                out.copy_from_slice(&group);
            }
            // The same select for the last values, one at a time: written
            // out again, since through a shared closure LLVM compiled the
            // loop above with gathers and scatters instead of broadcasts.
            for (slot, &k) in groups.into_remainder().iter_mut().zip(keys.remainder()) {
                for &(first, len, to_slot) in table {
                    if k.wrapping_sub(first) < len {
                        *slot = k.wrapping_add(to_slot);
                    }
                }
            }
        }
    }

    /// As [`Self::refine_by_windows`], by the route: one lookup a value.
    /// Builds the route first if the layout changed since it was built.
    #[inline(always)]
    fn refine_by_route(&mut self, slots: &mut [u32], fine: &[u32]) {
        // A relayout empties the route, and a layout has at least the zero
        // slot, so a route of the right length is the present layout's.
        if self.route.0.len() != self.zero_slot() + 1 {
            self.reroute();
        }
        let route = &self.route.0[..];
        for (slot, &f) in slots.iter_mut().zip(fine) {
            // SAFETY: the route has an entry for every coarse slot and the
            // zero slot (just checked), and `find_slots` found every slot
            // among them.
            let entry = unsafe { *route.get_unchecked(*slot as usize) };
            // Without a branch: the flag's sign spreads into a mask for the
            // fine key's offset.
            let refined = ((entry as i32) >> 31) as u32;
            *slot = (entry & !REFINED) + (f & (FINE_PER_COARSE - 1) & refined);
        }
    }

    /// The slot of `x`, which has a bucket.
    fn slot(&self, x: f64) -> usize {
        let fine = (x.abs() >= Self::MIN_MAGNITUDE)
            .then(|| self.fine_slot(fine_key(x)))
            .flatten();
        fine.unwrap_or_else(|| {
            bucket(x).map_or(self.zero_slot(), |(side, k)| self.key_slot(side, k))
        })
    }

    /// The slot of fine key `k` if a refined range holds it.
    fn fine_slot(&self, k: u32) -> Option<usize> {
        // The windows are disjoint and ascending: the first that ends
        // after k is the only one that can hold it.
        let i = self.windows.partition_point(|w| w.first + w.len <= k);
        self.windows
            .get(i)
            .filter(|w| k.wrapping_sub(w.first) < w.len)
            .map(|w| self.zero_slot() + 1 + (w.base + k - w.first) as usize)
    }

    /// Slots of a layout with `len` coarse buckets on each side: those, the
    /// zero slot and the fine buckets.
    fn slots_for(&self, len: [u32; 2]) -> usize {
        (len[NEGATIVE] + len[POSITIVE] + 1) as usize + self.fine_slots()
    }

    /// Whether every slot of the layout, coarse, zero or fine (windows of
    /// whole coarse buckets, as the route assumes), is an index of `low`
    /// and of 32 bits, without overflow: true of every sketch made here,
    /// false of some deserialized from damaged data.
    fn slots_fit(&self) -> bool {
        let [negative, positive] = self.len.map(u64::from);
        let whole = |w: &FineWindow| (w.first | w.len).is_multiple_of(FINE_PER_COARSE);
        let fine = self
            .windows
            .iter()
            .map(|w| u64::from(w.base) + u64::from(w.len));
        let slots = negative + positive + 1 + fine.max().unwrap_or(0);
        self.windows.iter().all(whole)
            && slots <= self.low.len() as u64
            && self.low.len() <= u32::MAX as usize
    }

    /// Slots of the fine buckets: after the zero slot.
    fn fine_slots(&self) -> usize {
        self.windows.last().map_or(0, |w| (w.base + w.len) as usize)
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
        self.relayout(first, len);
    }

    /// Gives every coarse bucket of `other` a bucket here, in one relayout.
    fn make_room_for_buckets_of(&mut self, other: &LogSketch) {
        let mut first = self.first;
        let mut len = self.len;
        for side in [NEGATIVE, POSITIVE] {
            if other.len[side] == 0 {
                continue;
            }
            let end = other.first[side] + other.len[side];
            (first[side], len[side]) = if len[side] == 0 {
                (other.first[side], other.len[side])
            } else {
                let from = first[side].min(other.first[side]);
                (from, (first[side] + len[side]).max(end) - from)
            };
        }
        if (first, len) != (self.first, self.len) {
            self.relayout(first, len);
        }
    }

    /// Moves the counts into a layout of `len` coarse buckets from key
    /// `first` on each side, which holds every bucket of the present one.
    fn relayout(&mut self, first: [u32; 2], len: [u32; 2]) {
        let slots = self.slots_for(len);
        let mut grown = LogSketch {
            first,
            len,
            low: vec![0; slots],
            high: Vec::new(),
            windows: self.windows.clone(),
            route: Route::default(),
            ..*self
        };
        if self.count > 0 {
            grown.add_counts(self);
        }
        *self = grown;
    }

    /// Builds the [`Route`] of the present layout and windows.
    #[cold]
    fn reroute(&mut self) {
        let mut route = Vec::with_capacity(self.zero_slot() + 1);
        for (side, sign) in [(NEGATIVE, FINE_SIGN), (POSITIVE, 0)] {
            for k in (0..self.len[side]).map(|i| self.first[side] + i) {
                route.push(match self.fine_slot(sign | (k * FINE_PER_COARSE)) {
                    Some(at) => at as u32 | REFINED,
                    None => self.key_slot(side, k) as u32,
                });
            }
        }
        // Key 0 is in no window: zeros stay zeros.
        route.push(self.zero_slot() as u32);
        self.route = Route(route);
    }

    /// Adds the counts of `other` into `self`, which has a bucket for each
    /// and the same refined ranges: side by side and then zero with the
    /// fine buckets, each a run of slots in both, the low words with
    /// carries, then the high words.
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
        moves[2] = (other.zero_slot(), self.zero_slot(), 1 + other.fine_slots());
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
                    self.add_at(to + i, h << LOW_BITS);
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
        let high = self.high.get(i).map_or(0, |&h| h << LOW_BITS);
        high | u64::from(self.low[i])
    }

    /// Adds `count` to slot `i`.
    fn add_at(&mut self, i: usize, count: u64) {
        let total = self.get(i) + count;
        self.low[i] = total as u16;
        if total >> LOW_BITS != 0 && self.high.len() != self.low.len() {
            self.high.resize(self.low.len(), 0);
        }
        if let Some(h) = self.high.get_mut(i) {
            *h = total >> LOW_BITS;
        }
    }

    #[cold]
    fn carry(&mut self, i: usize) {
        self.add_at(i, 1 << LOW_BITS);
    }

    /// Adds another sketch's counts.
    ///
    /// # Panics
    /// If the two are refined over different ranges (see
    /// [`LogSketch::merges_with`]).
    pub fn merge(&mut self, other: &LogSketch) {
        assert!(self.merges_with(other), "sketches refined differently");
        if self.count == 0 {
            // Nothing counted yet: the merge is a copy.
            self.clone_from(other);
            return;
        }
        self.make_room_for_buckets_of(other);
        self.add_counts(other);
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Whether `other` is refined over the same ranges, so the two merge.
    pub fn merges_with(&self, other: &LogSketch) -> bool {
        self.windows == other.windows
    }

    /// Checks the layout of a sketch read from a file, so that a damaged
    /// shard state gives an error, not a panic later.
    pub(crate) fn check(&self) -> Result<(), String> {
        // Windows as `refined` makes them: whole coarse buckets, ascending,
        // disjoint, each on one side of zero and clear of key 0, their
        // slots back to back.
        let windows_fit = self
            .windows
            .iter()
            .try_fold((0u32, 1u32), |(base, from), w| {
                let end = w.first.checked_add(w.len)?;
                let whole = w.first % FINE_PER_COARSE == 0 && w.len % FINE_PER_COARSE == 0;
                let one_side = (w.first < FINE_SIGN) == (end <= FINE_SIGN) && end <= 2 * FINE_SIGN;
                (w.base == base && w.len > 0 && whole && one_side && w.first >= from)
                    .then_some((base.checked_add(w.len)?, end))
            });
        if windows_fit.is_none() {
            return Err("a quantile sketch's refined ranges do not add up".into());
        }
        let slots = self.slots_for(self.len);
        let keys_fit = (0..2).all(|side| self.first[side].checked_add(self.len[side]).is_some());
        let high_fits = self.high.is_empty() || self.high.len() == slots;
        if self.low.len() != slots || !high_fits || !keys_fit {
            return Err("a quantile sketch's buckets do not add up".into());
        }
        let counted = (0..slots).try_fold(0u64, |sum, i| sum.checked_add(self.get(i)));
        // Every count must also be one the walk over the buckets meets: none
        // in a coarse bucket that is refined, none in fine buckets whose
        // coarse bucket the layout does not have.
        let walked = self
            .buckets()
            .try_fold(0u64, |sum, b| sum.checked_add(b.count));
        if counted != Some(self.count) || walked != counted {
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
    pub(crate) fn values(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.buckets().map(|b| (b.value, b.count))
    }

    /// Every non-empty bucket, ascending: coarse buckets, and the fine
    /// buckets of the refined ones in their place.
    pub fn buckets(&self) -> impl Iterator<Item = Bucket> + '_ {
        let side = |side: usize| {
            let len = self.len[side];
            (0..len)
                .map(move |i| if side == NEGATIVE { len - 1 - i } else { i })
                .flat_map(move |i| {
                    let k = self.first[side] + i;
                    self.coarse_or_fine(side, k, self.key_slot(side, k))
                })
        };
        let zero = Bucket {
            value: 0.0,
            count: self.get(self.zero_slot()),
            relative_error: 0.0,
        };
        side(NEGATIVE)
            .chain(std::iter::once(zero))
            .chain(side(POSITIVE))
            .filter(|b| b.count > 0)
    }

    /// The bucket of coarse key `k` of `side` at `slot`, or its fine buckets
    /// if it is refined, in ascending order of value (an empty one with no
    /// value, for [`Self::buckets`] drops it).
    fn coarse_or_fine(
        &self,
        side: usize,
        k: u32,
        slot: usize,
    ) -> impl Iterator<Item = Bucket> + '_ {
        let negative = side == NEGATIVE;
        let sign = if negative { -1.0 } else { 1.0 };
        let fine_first = if negative { FINE_SIGN } else { 0 } | (k * FINE_PER_COARSE);
        let fine_at = self.fine_slot(fine_first);
        let buckets = if fine_at.is_some() {
            FINE_PER_COARSE
        } else {
            1
        };
        // Most buckets are empty: their representative (a division) is
        // left out, as `buckets` drops them.
        let make = move |count: u64, key: u32, shift: u32, relative_error: f64| Bucket {
            value: if count > 0 {
                sign * representative(key, shift)
            } else {
                0.0
            },
            count,
            relative_error,
        };
        (0..buckets).map(move |j| match fine_at {
            None => make(self.get(slot), k, SHIFT, Self::RELATIVE_ERROR),
            Some(at) => {
                let j = if negative { FINE_PER_COARSE - 1 - j } else { j };
                make(
                    self.get(at + j as usize),
                    k * FINE_PER_COARSE + j,
                    FINE_SHIFT,
                    Self::FINE_RELATIVE_ERROR,
                )
            }
        })
    }

    /// The value of rank `ceil(p * n)`, within [`Self::RELATIVE_ERROR`] (or
    /// [`Self::FINE_RELATIVE_ERROR`] in a refined range) and never outside
    /// the smallest and largest value seen; NaN when empty.
    pub fn quantile(&self, p: Percentile) -> f64 {
        self.quantile_with_error(p).0
    }

    /// [`Self::quantile`] and the bound on its relative error (0 for a
    /// zero, NaN when empty).
    pub fn quantile_with_error(&self, p: Percentile) -> (f64, f64) {
        self.quantiles_with_error(&[p])[0]
    }

    /// [`Self::quantile_with_error`] of each of `percentiles` (ascending),
    /// in one pass over the buckets.
    pub(crate) fn quantiles_with_error(&self, percentiles: &[Percentile]) -> Vec<(f64, f64)> {
        let ranks: Vec<u64> = percentiles.iter().map(|&p| rank(p, self.count)).collect();
        self.at_ranks(&ranks)
    }

    /// The value of each 1-based rank of `ranks` (ascending) and its bound.
    pub(crate) fn at_ranks(&self, ranks: &[u64]) -> Vec<(f64, f64)> {
        if self.count == 0 {
            return vec![(f64::NAN, f64::NAN); ranks.len()];
        }
        let mut found = Vec::with_capacity(ranks.len());
        let mut wanted = ranks.iter().peekable();
        let mut seen = 0;
        for b in self.buckets() {
            seen += b.count;
            while wanted.next_if(|&&r| r <= seen).is_some() {
                found.push((b.value.clamp(self.min, self.max), b.relative_error));
            }
        }
        found.resize(ranks.len(), (self.max, Self::RELATIVE_ERROR));
        if self.min == self.max {
            // One value throughout: every quantile is it, exactly.
            found.iter_mut().for_each(|q| *q = (self.min, 0.0));
        }
        found
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

/// The fine bucket of `x`: sign, exponent and the top [`FINE_BITS`] of the
/// mantissa (the coarse key of `|x|` times [`FINE_PER_COARSE`] and more).
#[inline(always)]
fn fine_key(x: f64) -> u32 {
    (x.to_bits() >> FINE_SHIFT) as u32
}

/// The coarse key of the magnitude of a value of fine key `f`: the same as
/// [`key`] of it.
#[inline(always)]
fn coarse_of_fine(f: u32) -> u32 {
    (f & !FINE_SIGN) >> (FINE_BITS - MANTISSA_BITS)
}

/// The least and the greatest of `values` (not empty, all finite), by
/// comparisons, so that the result is defined for zeros of either sign
/// (`f64::min` may return either).
#[inline(always)]
fn range_of(values: &[f64]) -> (f64, f64) {
    (extreme(values, |x, m| x < m), extreme(values, |x, m| x > m))
}

/// A value of `values` that no other `beats`, taken over lanes so that the
/// loop compiles to one comparison and one select a register of values.
/// Among equals (zeros of either sign) the choice depends on the values
/// alone, never on the instruction set.
#[inline(always)]
fn extreme(values: &[f64], beats: impl Fn(f64, f64) -> bool) -> f64 {
    const WIDTH: usize = 8;
    let pick = |m: f64, x: f64| if beats(x, m) { x } else { m };
    let mut lanes = [values[0]; WIDTH];
    let mut chunks = values.chunks_exact(WIDTH);
    for chunk in &mut chunks {
        for (m, &x) in lanes.iter_mut().zip(chunk) {
            *m = pick(*m, x);
        }
    }
    let rest = chunks.remainder().iter().copied();
    lanes.into_iter().chain(rest).fold(values[0], pick)
}

/// The point of the bucket of magnitudes with key `key` (of the bits above
/// `shift`) with the least worst-case relative error to any magnitude in
/// it: `2 lo hi / (lo + hi)`.
fn representative(key: u32, shift: u32) -> f64 {
    let lo = f64::from_bits(u64::from(key) << shift);
    let hi = f64::from_bits(u64::from(key + 1) << shift);
    2.0 * lo * hi / (lo + hi)
}

multiversion! {
    /// [`LogSketch::insert_all`] compiled for `isa`.
    fn insert_all_on(sketch: &mut LogSketch, values: &[f64], by_windows: bool) = LogSketch::insert_all_portable;
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

    /// Buckets count past `u32::MAX` (and the low words past 65,535) without
    /// loss, whether the carry comes from an insert or from a merge.
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

    /// Counts that wrap their low words in the batch loop, in batches that
    /// hit the same slots many times (coarse and fine), carry once a wrap
    /// on every path and either refinement.
    #[test]
    fn wrapping_counts_carry_once_in_busy_batches() {
        // 1.0 in two of three values, 3.0 (refined) in one of six, and
        // -1.0: 160,000 ones cross 2^16 twice, each time in a batch that
        // has the one's slot about 170 times.
        let pattern = [1.0, 3.0, 1.0, -1.0, 1.0, 1.0];
        let values: Vec<f64> = pattern.iter().copied().cycle().take(240_000).collect();
        for isa in crate::arch::testable("wrapping_counts_carry_once_in_busy_batches") {
            for by_windows in [true, false] {
                let mut s = LogSketch::refined(&[(2.9, 3.1)]);
                for part in values.chunks(1_000) {
                    insert_all_on(isa, &mut s, part, by_windows);
                }
                let counts: Vec<(f64, u64)> = s.values().collect();
                let tally = |x: f64| values.iter().filter(|&&v| v == x).count() as u64;
                let expected = [tally(-1.0), tally(1.0), tally(3.0)];
                assert_eq!(expected, [40_000, 160_000, 40_000]);
                assert_eq!(
                    counts.iter().map(|&(_, c)| c).collect::<Vec<_>>(),
                    expected,
                    "{isa:?}, by windows: {by_windows}"
                );
                assert_eq!(s.check(), Ok(()));
            }
        }
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

    /// Every build of the insert, refining by windows and by the route,
    /// counts as the one-value-at-a-time slots say: on a refined sketch
    /// that regrows on both sides as the values drift, and whose route is
    /// lost halfway, as in a sketch read from a file.
    #[test]
    fn every_build_of_the_insert_counts_the_same() {
        let values: Vec<f64> = (0..5_000)
            .map(|i| {
                let u = (i as f64 * 0.618_033_988_749_895).fract();
                let x = (u * (8.0 + f64::from(i) / 200.0) - 4.0).exp();
                match i % 7 {
                    0 => 0.0,
                    1 | 2 => -x,
                    _ => x,
                }
            })
            .collect();
        let few = vec![(0.5, 3.0), (-40.0, -10.0), (100.0, 300.0), (1e-10, 1e-8)];
        // More windows than one pass of `refine_by_windows` takes.
        let many: Vec<(f64, f64)> = (0..2 * WINDOWS_AT_ONCE)
            .map(|j| {
                let x = (j as f64 - 4.0).exp();
                if j % 2 == 0 {
                    (x, 1.03 * x)
                } else {
                    (-1.03 * x, -x)
                }
            })
            .collect();
        for (ranges, windows) in [(few, 4), (many, 2 * WINDOWS_AT_ONCE)] {
            let mut expected = LogSketch::refined(&ranges);
            for &x in &values {
                expected.make_room(x);
                expected.add_at(expected.slot(x), 1);
                expected.count += 1;
                (expected.min, expected.max) = (expected.min.min(x), expected.max.max(x));
            }
            assert_eq!(expected.windows.len(), windows, "{:?}", expected.windows);
            for isa in crate::arch::testable("every_build_of_the_insert_counts_the_same") {
                for by_windows in [true, false] {
                    let mut fast = LogSketch::refined(&ranges);
                    for (n, part) in values.chunks(300).enumerate() {
                        if n == 8 {
                            fast.route = Route::default();
                        }
                        insert_all_on(isa, &mut fast, part, by_windows);
                    }
                    // Not `assert_eq!`: the sketches are long to print.
                    assert!(
                        fast == expected,
                        "{isa:?}, by windows: {by_windows}, {} ranges",
                        ranges.len()
                    );
                }
            }
        }
        // Zeros of both signs: the least and greatest are the same zeros.
        let zeros: Vec<f64> = (0..600).map(|i| [0.0, -0.0][i % 3 % 2]).collect();
        let mut portable = LogSketch::default();
        for part in zeros.chunks(70) {
            portable.insert_all_portable(part, false);
        }
        for isa in crate::arch::testable("every_build_of_the_insert_counts_the_same") {
            let mut fast = LogSketch::default();
            for part in zeros.chunks(70) {
                insert_all_on(isa, &mut fast, part, isa.isa() == Isa::Avx512);
            }
            let bits = |s: &LogSketch| (s.min.to_bits(), s.max.to_bits());
            assert_eq!(bits(&fast), bits(&portable), "{isa:?}");
        }
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

    /// The increments index the counts unchecked, so a sketch whose layout
    /// does not fit its counts (as damaged data might deserialize to) must
    /// refuse every insert before the first; intact ones take them.
    #[test]
    fn a_sketch_whose_counts_do_not_fit_refuses_inserts() {
        let values = [1.0, 2.0, -4.0, 0.0, 1.5];
        let refined = LogSketch::refined(&[(1.0, 2.0)]);
        let mut short = LogSketch::default();
        short.insert_all(&values);
        short.low.pop();
        let mut beyond = refined.clone();
        beyond.windows[0].base += 1;
        let mut partial = refined.clone();
        partial.windows[0].len += 1;
        partial.low.push(0);
        for (what, damaged) in [("short", short), ("beyond", beyond), ("partial", partial)] {
            assert!(!damaged.slots_fit(), "{what}");
            let inserted = std::panic::catch_unwind(|| damaged.clone().insert_all(&values));
            assert!(inserted.is_err(), "{what}: no panic");
        }
        let mut intact = refined;
        assert!(intact.slots_fit());
        intact.insert_all(&values);
        assert_eq!(intact.count(), 5);
    }

    /// In a refined range every percentile is within the fine bound of the
    /// exact one, on both signs and across zero; outside it, within the
    /// coarse bound; merging refined sketches is exact and order-free.
    #[test]
    fn refined_ranges_give_the_fine_bound() {
        let values: Vec<f64> = (0..40_000)
            .map(|i| {
                let u = (i as f64 * 0.618_033_988_749_895).fract();
                (u * 8.0 - 3.0).powi(3) * 10.0
            })
            .collect();
        let mut sorted = values.clone();
        let percentiles: Vec<Percentile> = (1..=99).map(Percentile).collect();
        let exact = exact_quantiles(&mut sorted, &percentiles);
        // Refine around P10 (negative), P40 (near zero) and P90 (positive).
        let around = |p: usize| (exact[p - 1] - 1.0, exact[p - 1] + 1.0);
        let ranges = [around(10), around(40), around(90)];
        let mut whole = LogSketch::refined(&ranges);
        whole.insert_all(&values);
        let mut parts: Vec<LogSketch> = values
            .chunks(3_000)
            .map(|c| {
                let mut s = LogSketch::refined(&ranges);
                s.insert_all(c);
                s
            })
            .collect();
        parts.reverse();
        let mut merged = LogSketch::refined(&ranges);
        parts.iter().for_each(|s| merged.merge(s));
        let buckets = |s: &LogSketch| s.buckets().collect::<Vec<_>>();
        assert!(buckets(&merged) == buckets(&whole), "merged buckets differ");
        assert_eq!(merged.count(), whole.count());
        assert_eq!(whole.check(), Ok(()));
        for (i, &p) in percentiles.iter().enumerate() {
            let (est, bound) = whole.quantile_with_error(p);
            let x = exact[i];
            let refined = [10, 40, 90].contains(&p.0) && x.abs() >= 4.0 * LogSketch::REFINE_FLOOR;
            if refined {
                assert_eq!(bound, LogSketch::FINE_RELATIVE_ERROR, "P{}", p.0);
            }
            assert!(
                (est - x).abs() <= bound * x.abs() + LogSketch::MIN_MAGNITUDE,
                "P{}: sketch {est}, exact {x}, bound {bound}",
                p.0
            );
        }
        // Room made for a pilot's buckets changes no count, and the
        // pilot's own values then never regrow the sketch.
        let mut pilot = LogSketch::default();
        pilot.insert_all(&values[..4_000]);
        let mut roomy = LogSketch::refined(&ranges).with_room_of(&pilot);
        let layout = (roomy.first, roomy.len);
        roomy.insert_all(&values[..4_000]);
        assert_eq!((roomy.first, roomy.len), layout);
        roomy.insert_all(&values[4_000..]);
        assert!(
            buckets(&roomy) == buckets(&whole),
            "buckets differ with room"
        );
        // A sketch refined elsewhere does not merge.
        assert!(!whole.merges_with(&LogSketch::refined(&[(1.0, 2.0)])));
        // Damage to a fine count is found, and so is a window that does
        // not cover whole coarse buckets or a count the walk would not meet.
        let mut damaged = whole.clone();
        *damaged.low.last_mut().unwrap() += 1;
        assert!(damaged.check().is_err());
        let mut shifted = whole.clone();
        shifted.windows[0].first += 1;
        assert!(shifted.check().is_err());
        let mut hidden = whole.clone();
        let positive = hidden.windows.iter().rfind(|w| w.first < FINE_SIGN);
        let refined = hidden.key_slot(POSITIVE, positive.unwrap().first / FINE_PER_COARSE);
        hidden.low[refined] += 1;
        hidden.count += 1;
        assert!(hidden.check().is_err());
    }

    /// Finite values of every sign and magnitude, from raw bits, and the
    /// edges of the counted range.
    fn values_of_every_kind() -> Vec<f64> {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut bits = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let z = (state ^ (state >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z ^ (z >> 31)
        };
        let edges = [0.0, -0.0, LogSketch::MIN_MAGNITUDE, f64::MAX, 1.0, -1.0];
        let mut values: Vec<f64> = edges.iter().flat_map(|&x| [x, -x]).collect();
        values.extend(
            (0..20_000)
                .map(|_| f64::from_bits(bits()))
                .filter(|x| x.is_finite()),
        );
        values
    }

    #[test]
    fn the_coarse_key_follows_from_the_fine_key() {
        for x in values_of_every_kind() {
            let f = fine_key(x);
            assert_eq!(coarse_of_fine(f), key(x.abs()), "x = {x:e}");
            assert_eq!(f & FINE_SIGN != 0, x.is_sign_negative(), "x = {x:e}");
        }
    }

    #[test]
    fn the_range_is_the_least_and_greatest_value() {
        let all = values_of_every_kind();
        for len in (1..=40).chain([255, 256, 257]) {
            for values in all.chunks_exact(len).take(50) {
                let (lo, hi) = range_of(values);
                let by_order = |keep: fn(f64, f64) -> bool| {
                    values
                        .iter()
                        .copied()
                        .reduce(|m, x| if keep(x, m) { x } else { m })
                };
                assert_eq!(Some(lo), by_order(|x, m| x < m), "{values:?}");
                assert_eq!(Some(hi), by_order(|x, m| x > m), "{values:?}");
                assert!(values.contains(&lo) && values.contains(&hi));
            }
        }
        // Zeros of both signs: the pick is one of them, and the same one
        // whichever build of the insert runs (see the test of every build).
        let zeros = [0.0, -0.0, 0.0, -0.0, 0.0, 0.0, 0.0, 0.0, -0.0, 0.0];
        let (lo, hi) = range_of(&zeros);
        assert!(lo == 0.0 && hi == 0.0);
    }

    #[test]
    fn a_constant_sample_gives_its_value_exactly() {
        let mut s = LogSketch::default();
        (0..10).for_each(|_| s.insert(1_478.123));
        assert_eq!(s.quantile(Percentile(5)), 1_478.123);
    }
}
