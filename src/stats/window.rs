//! Exact quantiles of a long sample in a fraction of its memory: a pilot
//! sample says where the wanted ranks lie; the run then counts every value
//! by part of the pilot's range and keeps only the values of the parts
//! around those ranks. The counts place each wanted rank exactly, so the
//! order statistic read from the kept values is the one a full sort finds,
//! or, where a rank fell outside the kept parts, the column says so and
//! its caller keeps everything instead. Never an approximation.

use crate::arch::{Isa, Supported};

use super::quantile::{exact_at_ranks, exact_at_ranks_in};

/// Bounds of a window: two a range kept, at most seven ranges.
pub(crate) const BOUNDS: usize = 14;
/// Values [`WindowedColumn::add`] sifts at a time (a tile column's runs).
const SIFT_BATCH: usize = 512;

/// Which values of a column to keep: those in a few ranges a pilot sample
/// placed around the ranks to be read. A value's region is the number of
/// bounds at or below it; odd regions are kept, even ones only counted.
#[derive(Clone, Debug)]
pub(crate) struct RankWindow {
    /// Ascending: each kept range's least value, then the next value above
    /// its greatest; `+inf` where there are fewer ranges (no finite value
    /// reaches it).
    bounds: [f64; BOUNDS],
}

impl RankWindow {
    /// A window that keeps every value.
    pub(crate) fn everything() -> RankWindow {
        RankWindow::around(&[(f64::NEG_INFINITY, f64::INFINITY)])
    }

    /// The window that keeps the values from the pilot's value of rank
    /// `lo` to that of rank `hi` (1-based, `lo <= hi <= pilot.len()`) of
    /// each of at most seven `ranges`, beyond the pilot's least and greatest
    /// values where a range begins or ends with them. `pilot` (not empty)
    /// may be reordered.
    pub(crate) fn from_pilot(pilot: &mut [f64], ranges: &[(u64, u64)]) -> RankWindow {
        let n = pilot.len() as u64;
        RankWindow::from_ranks(n, ranges, |ranks| Some(exact_at_ranks(pilot, ranks)))
            .expect("a pilot has every rank")
    }

    /// [`RankWindow::from_pilot`] for a sample of `n` values whose values
    /// at given ranks (ascending, distinct) `at_ranks` reads; `None` where
    /// it cannot read one.
    fn from_ranks(
        n: u64,
        ranges: &[(u64, u64)],
        at_ranks: impl FnOnce(&[u64]) -> Option<Vec<f64>>,
    ) -> Option<RankWindow> {
        let mut ranks: Vec<u64> = ranges.iter().flat_map(|&(l, h)| [l, h]).collect();
        ranks.sort_unstable();
        ranks.dedup();
        let values = at_ranks(&ranks)?;
        let value_of = |r: u64| values[ranks.partition_point(|&s| s < r)];
        let kept: Vec<(f64, f64)> = ranges
            .iter()
            .map(|&(l, h)| {
                let lo = if l <= 1 {
                    f64::NEG_INFINITY
                } else {
                    value_of(l)
                };
                let hi = if h >= n { f64::INFINITY } else { value_of(h) };
                (lo, hi)
            })
            .collect();
        Some(RankWindow::around(&kept))
    }

    /// The window that keeps the values of the closed ranges `kept` (at
    /// most seven, each `lo <= hi`, neither NaN), joined where they overlap.
    pub(crate) fn around(kept: &[(f64, f64)]) -> RankWindow {
        assert!(kept.len() <= BOUNDS / 2, "at most {} ranges", BOUNDS / 2);
        let mut kept = kept.to_vec();
        kept.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut joined: Vec<(f64, f64)> = Vec::with_capacity(kept.len());
        for (lo, hi) in kept {
            match joined.last_mut() {
                Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
                _ => joined.push((lo, hi)),
            }
        }
        let mut bounds = [f64::INFINITY; BOUNDS];
        for (pair, (lo, hi)) in bounds.chunks_mut(2).zip(joined) {
            // Every value up to `hi` (and -0.0 with 0.0: bounds compare as
            // numbers) falls in the range.
            pair[0] = lo;
            pair[1] = hi.next_up();
        }
        RankWindow { bounds }
    }

    /// Whether 0 (of either sign: bounds compare as numbers) falls in a
    /// kept region.
    fn keeps_zero(&self) -> bool {
        self.bounds.iter().filter(|&&b| 0.0 >= b).count() % 2 == 1
    }

    /// Where 1-based `ranks` (ascending) of a sample whose regions hold
    /// `counts` fall among its kept values; `None` if one falls in a region
    /// that is not kept.
    fn kept_ranks(counts: &[u64; BOUNDS + 1], ranks: &[u64]) -> Option<Vec<u64>> {
        let (mut region, mut below, mut dropped) = (0, 0u64, 0u64);
        ranks
            .iter()
            .map(|&r| {
                while below + counts[region] < r {
                    below += counts[region];
                    if region % 2 == 0 {
                        dropped += counts[region];
                    }
                    region += 1;
                }
                (region % 2 == 1).then_some(r - dropped)
            })
            .collect()
    }

    /// Whether ranks `ranks` (1-based, ascending, at most the values
    /// counted) of the sample that `parts` (columns seen through this
    /// window) count together fall among the kept values.
    pub(crate) fn covers(parts: &[&WindowedColumn], ranks: &[u64]) -> bool {
        let mut counts = [0u64; BOUNDS + 1];
        for column in parts {
            for (total, c) in counts.iter_mut().zip(column.regions()) {
                *total += c;
            }
        }
        RankWindow::kept_ranks(&counts, ranks).is_some()
    }
}

/// A column's values seen through a [`RankWindow`]: every value counted by
/// region, the values of the kept regions in full, but zeros, which are
/// only counted, by sign (an output that is 0 in every run, as an
/// investment's GDP after it ends, would otherwise be kept whole). Merges by
/// adding counts and joining values; the order of values never matters.
#[derive(Clone, Debug, Default)]
pub(crate) struct WindowedColumn {
    /// Values counted.
    count: u64,
    /// Per bound, the values counted at or above it.
    at_least: [u64; BOUNDS],
    /// The values of the kept regions but zeros, in no particular order:
    /// those this column took, then those of columns it took over
    /// whole (see [`WindowedColumn::adopt`]), which are never copied.
    kept: Vec<f64>,
    absorbed: Vec<Vec<f64>>,
    /// The zeros of the kept regions: -0.0, then 0.0.
    zeros: [u64; 2],
}

impl WindowedColumn {
    /// An empty column with room for `values` kept values.
    pub(crate) fn with_room(values: usize) -> WindowedColumn {
        WindowedColumn {
            kept: Vec::with_capacity(values),
            ..Default::default()
        }
    }

    /// Counts `values` (not NaN) and keeps those `window` keeps.
    pub(crate) fn add(&mut self, isa: Supported, window: &RankWindow, values: &[f64]) {
        // Sifted into a buffer that stays in the nearest cache, and only
        // the kept values copied on: writing every value into the column's
        // own memory cost a fill and a pass over it for each batch.
        let mut buffer = [0.0; SIFT_BATCH + 1];
        let keeps_zero = window.keeps_zero();
        for batch in values.chunks(SIFT_BATCH) {
            // Sifting writes every value, one slot past the last kept.
            let out = &mut buffer[..batch.len() + 1];
            let found = sift(isa, batch, &window.bounds, &mut self.at_least, out);
            let mut at = found;
            if keeps_zero {
                // The zeros among the values just kept, counted and taken
                // out.
                at = 0;
                for i in 0..found {
                    let x = out[i];
                    out[at] = x;
                    let zero = x == 0.0;
                    self.zeros[usize::from(x.is_sign_positive())] += u64::from(zero);
                    at += usize::from(!zero);
                }
            }
            self.kept.extend_from_slice(&out[..at]);
        }
        self.count += values.len() as u64;
    }

    /// The window that keeps, of the values this column counted, those
    /// from rank `lo` to rank `hi` of each of `ranges` (as
    /// [`RankWindow::from_pilot`] does with a pilot's values); `None` if a
    /// rank falls outside the kept regions. Reorders the kept values.
    pub(crate) fn window_around(&mut self, ranges: &[(u64, u64)]) -> Option<RankWindow> {
        RankWindow::from_ranks(self.count, ranges, |ranks| self.at_ranks(ranks))
    }

    /// This column, counted through `window`, as if counted through
    /// `narrow` instead: the same values counted by `narrow`'s regions, and
    /// only those `narrow` keeps held; `None` unless each of `narrow`'s
    /// kept ranges lies within one of `window`'s, the only case in which
    /// the counts are known.
    pub(crate) fn narrowed(
        &self,
        isa: Supported,
        window: &RankWindow,
        narrow: &RankWindow,
    ) -> Option<WindowedColumn> {
        // Per kept range of `narrow`, the range of `window` that holds it.
        let ranges = |w: &RankWindow| -> Vec<(f64, f64)> {
            w.bounds
                .chunks(2)
                .map(|pair| (pair[0], pair[1]))
                .filter(|&(lo, _)| lo < f64::INFINITY)
                .collect()
        };
        let wide = ranges(window);
        let holder: Vec<usize> = ranges(narrow)
            .iter()
            .map(|&(lo, hi)| wide.iter().position(|&(a, b)| a <= lo && hi <= b))
            .collect::<Option<_>>()?;
        // The kept values at or above each of `window`'s range ends, and
        // at or above each of `narrow`'s bounds (those kept, too).
        let mut above_ends = vec![0u64; wide.len()];
        let mut column = WindowedColumn::default();
        for piece in self.pieces() {
            for &x in piece {
                for (count, &(_, end)) in above_ends.iter_mut().zip(&wide) {
                    *count += u64::from(x >= end);
                }
            }
            column.add(isa, narrow, piece);
        }
        let zeros = self.zeros[0] + self.zeros[1];
        for (j, at_least) in column.at_least.iter_mut().enumerate() {
            let Some(&k) = holder.get(j / 2) else {
                // An unused bound, +inf: no finite value reaches it.
                *at_least = 0;
                continue;
            };
            // The values at or above bound b = those at or above the end
            // of the range that holds it, and those from b to that end,
            // every one of which `window` kept (zeros counted apart).
            let (b, end) = (narrow.bounds[j], wide[k].1);
            let zeros_from_b = if 0.0 >= b && 0.0 < end { zeros } else { 0 };
            *at_least += self.at_least[2 * k + 1] - above_ends[k] + zeros_from_b;
        }
        column.count = self.count;
        if narrow.keeps_zero() {
            column.zeros = self.zeros;
        }
        Some(column)
    }

    /// Adds another column seen through the same window.
    pub(crate) fn merge(&mut self, other: &WindowedColumn) {
        self.count += other.count;
        for (a, b) in self.at_least.iter_mut().zip(other.at_least) {
            *a += b;
        }
        other
            .pieces()
            .for_each(|piece| self.kept.extend_from_slice(piece));
        self.zeros[0] += other.zeros[0];
        self.zeros[1] += other.zeros[1];
    }

    /// Takes this column's kept values out, leaving its counts (for
    /// [`WindowedColumn::adopt`] by another column it merges into).
    pub(crate) fn take_values(&mut self) -> Vec<Vec<f64>> {
        let mut pieces = std::mem::take(&mut self.absorbed);
        pieces.push(std::mem::take(&mut self.kept));
        pieces
    }

    /// Takes over kept values another column gave up (see
    /// [`WindowedColumn::take_values`]) as they are, without copying them;
    /// the other column's counts are merged apart.
    pub(crate) fn adopt(&mut self, pieces: Vec<Vec<f64>>) {
        self.absorbed
            .extend(pieces.into_iter().filter(|piece| !piece.is_empty()));
    }

    /// The kept values, as the slices that hold them.
    fn pieces(&self) -> impl Iterator<Item = &[f64]> {
        std::iter::once(&self.kept[..]).chain(self.absorbed.iter().map(Vec::as_slice))
    }

    /// Per region, the values counted.
    fn regions(&self) -> [u64; BOUNDS + 1] {
        std::array::from_fn(|k| {
            let from = if k == 0 {
                self.count
            } else {
                self.at_least[k - 1]
            };
            from - self.at_least.get(k).copied().unwrap_or(0)
        })
    }

    /// The values kept, with how many times each: every one but zeros
    /// once, then -0.0 and 0.0 as many times as they were counted (every
    /// value counted, when the window keeps everything).
    pub(crate) fn values(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        let zeros = [(-0.0, self.zeros[0]), (0.0, self.zeros[1])];
        let kept = self.pieces().flatten().map(|&x| (x, 1));
        kept.chain(zeros.into_iter().filter(|&(_, n)| n > 0))
    }

    /// How many values are held in memory (zeros are only counted).
    pub(crate) fn held(&self) -> usize {
        self.pieces().map(<[f64]>::len).sum()
    }

    /// The values of 1-based `ranks` (ascending, at most the values
    /// counted) among every value counted, as a full sort finds them;
    /// `None` if one falls outside the kept regions. Reorders the kept
    /// values.
    pub(crate) fn at_ranks(&mut self, ranks: &[u64]) -> Option<Vec<f64>> {
        let ranks = RankWindow::kept_ranks(&self.regions(), ranks)?;
        // Among the kept values and their zeros, in order: the negative
        // values, the -0.0s, the 0.0s, the positive values.
        let [negative_zeros, zeros] = self.zeros;
        let negative = match negative_zeros + zeros {
            0 => 0,
            _ => self.pieces().flatten().filter(|&&x| x < 0.0).count() as u64,
        };
        let (zero_from, zero_to) = (negative, negative + negative_zeros + zeros);
        let nonzero: Vec<u64> = ranks
            .iter()
            .filter(|&&r| r <= zero_from || r > zero_to)
            .map(|&r| {
                if r <= zero_from {
                    r
                } else {
                    r - (zero_to - zero_from)
                }
            })
            .collect();
        let selected = match nonzero.is_empty() {
            true => Vec::new(),
            false => match self.absorbed.is_empty() {
                true => exact_at_ranks(&mut self.kept, &nonzero),
                false => exact_at_ranks_in(&self.pieces().collect::<Vec<_>>(), &nonzero),
            },
        };
        let mut selected = selected.into_iter();
        Some(
            ranks
                .iter()
                .map(|&r| match r {
                    r if r <= zero_from || r > zero_to => selected.next().expect("selected"),
                    r if r <= zero_from + negative_zeros => -0.0,
                    _ => 0.0,
                })
                .collect(),
        )
    }
}

/// Counts, per bound, the values at or above it, and writes the values of
/// odd regions to `out` (one slot longer than `values`: every value is
/// written, and the next overwrites it unless it was kept); how many were
/// kept. A value's region is found by a branch-free binary search over the
/// bounds, and counted in one of two tables in turn, so that runs of
/// values in one region do not wait on each other's counts.
fn sift_portable(
    values: &[f64],
    bounds: &[f64; BOUNDS],
    at_least: &mut [u64; BOUNDS],
    out: &mut [f64],
) -> usize {
    let mut padded = [f64::INFINITY; 16];
    padded[..BOUNDS].copy_from_slice(bounds);
    let mut counts = [[0u64; BOUNDS + 1]; 2];
    let last = out.len() - 1;
    let mut found = 0;
    for (k, &x) in values.iter().enumerate() {
        let mut region = 0;
        for step in [8, 4, 2, 1] {
            region += step * usize::from(x >= padded[region + step - 1]);
        }
        // A finite value never reaches the +inf padding; the clamp keeps an
        // infinity in the last region, as the vector kernels count it.
        let region = region.min(BOUNDS);
        counts[k % 2][region] += 1;
        out[found.min(last)] = x;
        found += region % 2;
    }
    let mut above = 0;
    for (i, total) in at_least.iter_mut().enumerate().rev() {
        above += counts[0][i + 1] + counts[1][i + 1];
        *total += above;
    }
    found
}

/// [`sift_portable`] on the processor's path: the x86 kernels take whole
/// groups of lanes, the portable code the rest.
fn sift(
    isa: Supported,
    values: &[f64],
    bounds: &[f64; BOUNDS],
    at_least: &mut [u64; BOUNDS],
    out: &mut [f64],
) -> usize {
    #[cfg(target_arch = "x86_64")]
    let (done, found) = {
        use crate::arch::x86_64::{avx2, avx512};
        match isa.isa() {
            // SAFETY: `isa` is a path this processor runs.
            Isa::Avx512 => unsafe { avx512::sift(values, bounds, at_least, out) },
            // SAFETY: as above.
            Isa::Avx2 => unsafe { avx2::sift(values, bounds, at_least, out) },
            Isa::Portable => (0, 0),
        }
    };
    #[cfg(not(target_arch = "x86_64"))]
    let (done, found) = {
        let _ = isa;
        (0, 0)
    };
    found + sift_portable(&values[done..], bounds, at_least, &mut out[found..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sorted(values: &[f64]) -> Vec<f64> {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        v
    }

    /// A window from the first `pilot` values around the given quantiles
    /// (`margin` pilot ranks either side), the whole sample added in
    /// `pieces` columns merged.
    fn windowed(
        values: &[f64],
        pilot: usize,
        quantiles: &[f64],
        margin: u64,
        pieces: usize,
    ) -> WindowedColumn {
        let m = pilot as u64;
        let ranges: Vec<(u64, u64)> = quantiles
            .iter()
            .map(|&p| {
                let r = ((p * m as f64).ceil() as u64).clamp(1, m);
                (r.saturating_sub(margin).max(1), (r + margin).min(m))
            })
            .collect();
        let window = RankWindow::from_pilot(&mut values[..pilot].to_vec(), &ranges);
        let mut total = WindowedColumn::default();
        for piece in values.chunks(values.len().div_ceil(pieces)) {
            let mut column = WindowedColumn::default();
            column.add(Supported::current(), &window, piece);
            total.merge(&column);
        }
        total
    }

    /// A skewed sample, evenly spread over its distribution.
    fn skewed(n: u64) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let u =
                    ((i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 11) as f64 + 0.5) / 2f64.powi(53);
                (-u.ln()).powf(1.5)
            })
            .collect()
    }

    #[test]
    fn ranks_near_the_pilots_are_read_exactly_from_a_fraction_of_the_values() {
        // 200,000 values, a pilot of the first 20,000, a margin of 6
        // standard errors of the pilot's median rank.
        let values = skewed(200_000);
        let mut column = windowed(&values, 20_000, &[0.05, 0.5, 0.95], 6 * 71, 3);
        let all = sorted(&values);
        let ranks = [10_000, 100_000, 100_001, 190_000];
        assert!(RankWindow::covers(&[&column], &ranks));
        let got = column.at_ranks(&ranks).expect("covered");
        let want: Vec<f64> = ranks.iter().map(|&r| all[r as usize - 1]).collect();
        assert_eq!(got, want);
        // Three ranges of 2 x 426 of 20,000 pilot ranks: 12.8 % of the
        // values, exactly so for this evenly spread sample.
        let kept = column.held() as f64 / values.len() as f64;
        assert!((0.12..0.14).contains(&kept), "kept {kept}");
    }

    #[test]
    fn a_rank_outside_the_kept_ranges_is_reported_not_guessed() {
        // 0..50,000 in a scrambled order; the pilot's median range is
        // about 24,900..25,100.
        let values: Vec<f64> = (0..50_000)
            .map(|i| f64::from((i * 7919) % 50_000))
            .collect();
        let mut column = windowed(&values, 5_000, &[0.5], 10, 2);
        assert!(!RankWindow::covers(&[&column], &[1_000]));
        assert_eq!(column.at_ranks(&[1_000]), None);
        assert!(!RankWindow::covers(&[&column], &[25_000, 40_000]));
        assert!(RankWindow::covers(&[&column], &[25_000]));
        assert_eq!(column.at_ranks(&[25_000]), Some(vec![24_999.0]));
    }

    #[test]
    fn overlapping_ranges_are_joined_and_everything_keeps_all() {
        let values = skewed(10_000);
        let all = sorted(&values);
        let mut column = windowed(&values, 10_000, &[0.4, 0.45, 0.5], 600, 1);
        // One range, pilot ranks 3,400..5,600 of the whole sample itself.
        assert_eq!(column.held(), 2_201);
        assert_eq!(
            column.at_ranks(&[3_400, 5_600]),
            Some(vec![all[3_399], all[5_599]])
        );
        let mut everything = WindowedColumn::default();
        everything.add(Supported::current(), &RankWindow::everything(), &values);
        assert_eq!(everything.held(), values.len());
        assert_eq!(
            everything.at_ranks(&[1, 10_000]),
            Some(vec![all[0], all[9_999]])
        );
    }

    #[test]
    fn zeros_of_either_sign_are_counted_not_kept_and_read_in_order() {
        // -3, -0.0 (x2), 0.0 (x3), 5: every rank, with a window keeping all.
        let values = [0.0, -0.0, 5.0, 0.0, -3.0, -0.0, 0.0];
        let mut column = WindowedColumn::default();
        column.add(Supported::current(), &RankWindow::everything(), &values);
        assert_eq!(column.held(), 2);
        let got = column.at_ranks(&[1, 2, 3, 4, 5, 6, 7]).expect("covered");
        let bits: Vec<u64> = got.iter().map(|x| x.to_bits()).collect();
        let want: Vec<u64> = sorted(&values).iter().map(|x| x.to_bits()).collect();
        assert_eq!(bits, want);
        let counted: u64 = column.values().map(|(_, n)| n).sum();
        assert_eq!(counted, 7);
    }

    /// Columns that take other columns' values over (without copying
    /// them) read what columns that copied them read, and narrow alike.
    #[test]
    fn adopted_values_read_as_merged_ones() {
        let values = skewed(60_000);
        let isa = Supported::current();
        let window = RankWindow::around(&[(0.2, 0.9), (1.5, 2.5)]);
        let parts: Vec<WindowedColumn> = values
            .chunks(17_000)
            .map(|piece| {
                let mut column = WindowedColumn::default();
                column.add(isa, &window, piece);
                column
            })
            .collect();
        let mut copied = WindowedColumn::default();
        let mut adopted = WindowedColumn::default();
        for part in parts {
            copied.merge(&part);
            let mut part = part;
            let pieces = part.take_values();
            adopted.merge(&part);
            adopted.adopt(pieces);
        }
        assert_eq!(adopted.absorbed.len(), 4);
        assert_eq!(adopted.held(), copied.held());
        let ranks = [20_000, 30_000, 30_001, 45_000];
        let read = adopted.at_ranks(&ranks).expect("covered");
        assert_eq!(Some(read), copied.at_ranks(&ranks));
        let narrow = RankWindow::around(&[(0.3, 0.5)]);
        let (a, c) = (
            adopted.narrowed(isa, &window, &narrow).expect("within"),
            copied.narrowed(isa, &window, &narrow).expect("within"),
        );
        assert_eq!((a.at_least, a.held()), (c.at_least, c.held()));
    }

    /// A column counted through a window and then narrowed is the column
    /// counted through the narrower window from the start; a narrower
    /// window that leaves the wider one's ranges is refused.
    #[test]
    fn a_narrowed_column_is_the_column_counted_through_the_narrow_window() {
        let mut values = skewed(5_000);
        for (i, x) in values.iter_mut().enumerate() {
            *x = match i % 7 {
                0 => 0.0,
                1 => -0.0,
                2 => -*x,
                _ => *x,
            };
        }
        let isa = Supported::current();
        let wide = RankWindow::around(&[(-0.5, 0.4), (1.0, 2.5), (3.0, f64::INFINITY)]);
        let mut counted = WindowedColumn::default();
        counted.add(isa, &wide, &values);
        let narrows = [
            vec![(-0.2, 0.1), (1.5, 2.0), (4.0, f64::INFINITY)],
            vec![(-0.5, -0.1), (0.2, 0.4)],
            vec![(0.1, 0.3)],
            vec![(-0.0, 0.0)],
            vec![(1.0, 2.5), (3.0, 3.0)],
        ];
        for ranges in narrows {
            let narrow = RankWindow::around(&ranges);
            let got = counted.narrowed(isa, &wide, &narrow).expect("within");
            let mut want = WindowedColumn::default();
            want.add(isa, &narrow, &values);
            assert_eq!(
                (got.count, got.at_least, got.zeros),
                (want.count, want.at_least, want.zeros),
                "{ranges:?}"
            );
            let bits = |c: &WindowedColumn| -> Vec<u64> {
                sorted(&c.kept).iter().map(|x| x.to_bits()).collect()
            };
            assert_eq!(bits(&got), bits(&want), "{ranges:?}");
        }
        for across in [vec![(0.3, 1.2)], vec![(-1.0, 0.0)], vec![(2.0, 3.5)]] {
            let narrow = RankWindow::around(&across);
            assert!(
                counted.narrowed(isa, &wide, &narrow).is_none(),
                "{across:?}"
            );
        }
    }

    /// Every build of the sifting kernel counts and keeps what the
    /// portable copy does.
    #[test]
    fn sifting_agrees_across_builds() {
        let paths = crate::arch::testable("sifting_agrees_across_builds");
        let mut values = skewed(2_500);
        // Infinities count in the last region.
        values[300] = f64::INFINITY;
        values[301] = f64::NEG_INFINITY;
        let few = RankWindow::around(&[(0.5, 0.9), (-0.0, 0.1), (2.0, 3.0)]);
        // Seven ranges: all fourteen bounds finite.
        let ranges: Vec<(f64, f64)> = (0..7)
            .map(|i| (0.3 * i as f64, 0.3 * i as f64 + 0.1))
            .collect();
        let seven = RankWindow::around(&ranges);
        assert!(seven.bounds.iter().all(|b| b.is_finite()));
        // Lengths on both sides of whole groups of lanes and of a sifting
        // batch (512 values), up to several batches.
        for (window, len) in [0, 1, 119, 120, 121, 255, 256, 257, 777, 2_039, 2_040, 2_500]
            .into_iter()
            .flat_map(|len| [(&few, len), (&seven, len)])
        {
            let mut want = WindowedColumn::default();
            want.add(
                Supported::new(crate::arch::Isa::Portable).expect("portable"),
                window,
                &values[..len],
            );
            for &isa in &paths {
                let mut got = WindowedColumn::default();
                got.add(isa, window, &values[..len]);
                assert_eq!(
                    (got.at_least, &got.kept),
                    (want.at_least, &want.kept),
                    "{isa:?}, {len}"
                );
            }
        }
    }

    proptest! {
        /// Whatever the values, pilot and margin: a rank is either read as
        /// a sort reads it or reported uncovered, and every rank is covered
        /// when the margin spans the pilot.
        #[test]
        fn a_window_reads_what_a_sort_reads_or_nothing(
            values in prop::collection::vec(
                prop_oneof![
                    -1e3f64..1e3,
                    Just(0.0),
                    Just(-0.0),
                    Just(0.0),
                    Just(-0.0),
                    Just(1.0),
                    -1e300f64..1e300
                ],
                2..3_000,
            ),
            pilot in 1usize..500,
            quantiles in prop::collection::vec(0.0f64..1.0, 1..8),
            margin in 0u64..600,
            pieces in 1usize..4,
        ) {
            let pilot = pilot.min(values.len());
            let mut column = windowed(&values, pilot, &quantiles, margin, pieces);
            let all = sorted(&values);
            let n = values.len() as u64;
            let ranks = [1, n.div_ceil(4), n.div_ceil(2), n];
            let covered = RankWindow::covers(&[&column], &ranks);
            match column.at_ranks(&ranks) {
                Some(got) => {
                    prop_assert!(covered);
                    let want: Vec<u64> = ranks.iter().map(|&r| all[r as usize - 1].to_bits()).collect();
                    prop_assert_eq!(got.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), want);
                }
                None => prop_assert!(!covered && margin < pilot as u64),
            }
        }
    }
}
