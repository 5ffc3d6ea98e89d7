//! Exact quantiles: the order statistic of rank `ceil(q * n)`.

use serde::{Deserialize, Serialize};

use crate::arch::{multiversion, Supported};

/// A quantile given in whole percent, so ranks are computed in integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Percentile(pub u8);

impl Percentile {
    /// The percentiles of `bands.csv`: P5, P10, P25, P50, P75, P90, P95.
    pub const BANDS: [Percentile; 7] = [
        Percentile(5),
        Percentile(10),
        Percentile(25),
        Percentile(50),
        Percentile(75),
        Percentile(90),
        Percentile(95),
    ];
}

/// The 1-based rank of percentile `p` among `n` values: `ceil(p * n / 100)`,
/// at least 1.
///
/// ```
/// use nexus_mc::stats::{rank, Percentile};
/// assert_eq!(rank(Percentile(50), 2), 1);
/// assert_eq!(rank(Percentile(50), 3), 2);
/// assert_eq!(rank(Percentile(5), 100), 5);
/// assert_eq!(rank(Percentile(5), 1), 1);
/// ```
pub fn rank(p: Percentile, n: u64) -> u64 {
    let r = (u128::from(p.0) * u128::from(n)).div_ceil(100) as u64;
    r.max(1)
}

/// The exact percentiles of `values` (`percentiles` ascending): the values
/// of rank [`rank`] in ascending order, as a full sort would find them,
/// `-0.0` before `0.0` ([`f64::total_cmp`]). `values` may be reordered.
///
/// Large inputs take two sweeps and a small selection: a histogram over
/// 4,096 equal parts of the range of a sample of the values, which finds the
/// part that holds each rank, and the gathering of those parts' values; each
/// rank is then selected among its part's values (again by parts, should
/// one part hold most of them).
///
/// # Panics
/// If `values` is empty.
///
/// ```
/// use nexus_mc::stats::{exact_quantiles, Percentile};
/// let mut v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
/// assert_eq!(exact_quantiles(&mut v, &[Percentile(5), Percentile(50)]), vec![5.0, 50.0]);
/// ```
pub fn exact_quantiles(values: &mut [f64], percentiles: &[Percentile]) -> Vec<f64> {
    assert!(!values.is_empty(), "quantiles of an empty sample");
    let n = values.len() as u64;
    let ranks: Vec<u64> = percentiles.iter().map(|&p| rank(p, n)).collect();
    select_ranks(Supported::current(), values, &ranks)
}

/// The values of 1-based `ranks` (ascending, each from 1 to `values.len()`)
/// among `values`, as [`exact_quantiles`] finds them. `values` may be
/// reordered.
pub(crate) fn exact_at_ranks(values: &mut [f64], ranks: &[u64]) -> Vec<f64> {
    select_ranks(Supported::current(), values, ranks)
}

/// Parts of the values' range in a histogram sweep.
const PARTS: usize = 1 << 12;
/// Inputs this short are selected from directly.
const SHORT: usize = 1 << 14;
/// About as many values, spread over the input, set the parts' range.
const SAMPLE: usize = 1 << 12;

/// The part of a value: `PARTS` equal parts of `[lo, hi]`, computed on
/// halves so that no difference of two finite values overflows. Never
/// decreasing in the value, as each operation rounds monotonically, which
/// is all the selection needs.
#[derive(Clone, Copy, Debug)]
struct Parts {
    lo_half: f64,
    scale: f64,
}

impl Parts {
    fn new(lo: f64, hi: f64) -> Parts {
        let lo_half = 0.5 * lo;
        Parts {
            lo_half,
            scale: PARTS as f64 / (0.5 * hi - lo_half),
        }
    }

    #[inline(always)]
    fn of(self, x: f64) -> usize {
        // NaN (0 times an infinite scale) converts to 0, overflow saturates.
        (((0.5 * x - self.lo_half) * self.scale) as usize).min(PARTS - 1)
    }
}

/// The values of 1-based `ranks` (ascending, each at most `values.len()`).
fn select_ranks(isa: Supported, values: &mut [f64], ranks: &[u64]) -> Vec<f64> {
    match select_by_parts(isa, &[values], ranks) {
        Some(selected) => selected,
        None => select_directly(values, ranks),
    }
}

/// The values of 1-based `ranks` (ascending, each at most the values
/// counted) among the values of every one of `pieces` taken together, as
/// [`exact_quantiles`] finds them in one slice holding them all.
pub(crate) fn exact_at_ranks_in(pieces: &[&[f64]], ranks: &[u64]) -> Vec<f64> {
    let isa = Supported::current();
    select_by_parts(isa, pieces, ranks)
        .unwrap_or_else(|| select_directly(&mut pieces.concat(), ranks))
}

/// [`select_ranks`] over the values of `pieces` taken together, by a
/// histogram of their range and a selection among the values of the parts
/// that hold the ranks; `None` for the inputs a direct selection takes
/// (short ones, and those the parts do not separate).
fn select_by_parts(isa: Supported, pieces: &[&[f64]], ranks: &[u64]) -> Option<Vec<f64>> {
    let len: usize = pieces.iter().map(|p| p.len()).sum();
    if len <= SHORT {
        return None;
    }
    // The parts span the range of a sample of the values (every value
    // outside it falls in the first or last part), or else all of them.
    let step = len / SAMPLE;
    let sample = value_range_portable(pieces.iter().flat_map(|p| p.iter().step_by(step)));
    let (lo, hi) = if sample.0 < sample.1 {
        sample
    } else {
        pieces
            .iter()
            .map(|p| value_range(isa, p))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (a, b)| {
                (lo.min(a), hi.max(b))
            })
    };
    if lo == hi {
        // One value, perhaps as both zeros: a sort decides their order.
        return None;
    }
    let parts = Parts::new(lo, hi);
    let mut counts = vec![0u32; PARTS];
    for piece in pieces {
        histogram(isa, piece, parts, &mut counts);
    }
    // The part of each rank, and the ranks below it.
    let mut at: Vec<(usize, u64)> = Vec::with_capacity(ranks.len());
    let (mut part, mut below) = (0, 0u64);
    for &r in ranks {
        while below + u64::from(counts[part]) < r {
            below += u64::from(counts[part]);
            part += 1;
        }
        at.push((part, below));
    }
    let mut wanted: Vec<usize> = at.iter().map(|&(p, _)| p).collect();
    wanted.dedup();
    if wanted.iter().any(|&p| counts[p] as usize == len) {
        // The parts did not separate the values (a range of a few ulps).
        return None;
    }
    // The values of the wanted parts, gathered without a branch a value
    // (which of them falls in a wanted part is unpredictable), then sorted
    // out by part.
    let mut is_wanted = vec![false; PARTS];
    wanted.iter().for_each(|&p| is_wanted[p] = true);
    let total: usize = wanted.iter().map(|&p| counts[p] as usize).sum();
    let mut gathered = vec![0.0; total + 1];
    let mut found = 0;
    for piece in pieces {
        found += gather(isa, piece, parts, &is_wanted, &mut gathered[found..]);
    }
    debug_assert_eq!(found, total);
    gathered.truncate(total);
    // Each wanted part's values as one run of them, in their order: one
    // stable pass that moves every value to the end of its part's run so
    // far (a filter of the gathered values for each part took a pass a
    // part).
    let ends: Vec<usize> = wanted
        .iter()
        .scan(0, |end, &p| {
            *end += counts[p] as usize;
            Some(*end)
        })
        .collect();
    let mut by_part = if wanted.len() == 1 {
        gathered
    } else {
        let mut run_of = vec![0; PARTS];
        wanted.iter().enumerate().for_each(|(i, &p)| run_of[p] = i);
        let mut next: Vec<usize> = std::iter::once(0).chain(ends.iter().copied()).collect();
        let mut sorted = vec![0.0; total];
        for &x in &gathered {
            let run = run_of[parts.of(x)];
            sorted[next[run]] = x;
            next[run] += 1;
        }
        sorted
    };
    let mut out = Vec::with_capacity(ranks.len());
    let mut start = 0;
    for (&p, &end) in wanted.iter().zip(&ends) {
        let part_ranks: Vec<u64> = ranks
            .iter()
            .zip(&at)
            .filter(|(_, &(q, _))| q == p)
            .map(|(&r, &(_, below))| r - below)
            .collect();
        out.extend(select_ranks(isa, &mut by_part[start..end], &part_ranks));
        start = end;
    }
    Some(out)
}

/// Selection in place, each rank narrowing the next.
fn select_directly(values: &mut [f64], ranks: &[u64]) -> Vec<f64> {
    let mut out = vec![0.0; ranks.len()];
    select_between(values, 0, ranks, &mut out);
    out
}

/// Writes into `out` the values of 1-based `ranks` (ascending) of the
/// whole input, of which `values` holds ranks `below + 1 ..`: selects the
/// middle rank, then the lower ranks left of it and the higher ones right
/// of it, so that k ranks cost about n log k comparisons rather than n k.
fn select_between(values: &mut [f64], below: u64, ranks: &[u64], out: &mut [f64]) {
    let Some(&middle) = ranks.get(ranks.len() / 2) else {
        return;
    };
    let at = (middle - 1 - below) as usize;
    let (left, x, right) = values.select_nth_unstable_by(at, f64::total_cmp);
    let x = *x;
    // Ranks equal to the middle one share its value.
    let lower = ranks.partition_point(|&r| r < middle);
    let upper = ranks.partition_point(|&r| r <= middle);
    out[lower..upper].fill(x);
    select_between(left, below, &ranks[..lower], &mut out[..lower]);
    select_between(
        right,
        below + at as u64 + 1,
        &ranks[upper..],
        &mut out[upper..],
    );
}

#[inline(always)]
fn value_range_portable<'a>(values: impl IntoIterator<Item = &'a f64>) -> (f64, f64) {
    values
        .into_iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

#[inline(always)]
fn histogram_portable(values: &[f64], parts: Parts, counts: &mut [u32]) {
    let counts = &mut counts[..PARTS];
    for &x in values {
        counts[parts.of(x)] += 1;
    }
}

/// Writes the values whose part is wanted to `out` (one slot longer than
/// they are many: every value is written, and the next overwrites it unless
/// it was wanted); how many there were.
#[inline(always)]
fn gather_portable(values: &[f64], parts: Parts, wanted: &[bool], out: &mut [f64]) -> usize {
    let wanted = &wanted[..PARTS];
    let last = out.len() - 1;
    let mut found = 0;
    for &x in values {
        out[found.min(last)] = x;
        found += usize::from(wanted[parts.of(x)]);
    }
    found
}

multiversion! {
    /// The least and greatest of `values`.
    fn value_range(values: &[f64]) -> (f64, f64) = value_range_portable;
}
multiversion! {
    /// Counts the values of each part.
    fn histogram(values: &[f64], parts: Parts, counts: &mut [u32]) = histogram_portable;
}
multiversion! {
    /// Gathers the values of the wanted parts (see [`gather_portable`]).
    fn gather(values: &[f64], parts: Parts, wanted: &[bool], out: &mut [f64]) -> usize =
        gather_portable;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A sorted copy's elements, for comparison.
    fn by_sorting(values: &[f64], ranks: &[u64]) -> Vec<u64> {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        ranks
            .iter()
            .map(|&r| sorted[r as usize - 1].to_bits())
            .collect()
    }

    /// Every path selects the values a full sort puts at each rank, bit for
    /// bit, on smooth, heavy-tailed, tied and signed-zero inputs larger
    /// than the direct selection takes.
    #[test]
    fn selection_by_parts_is_a_sort() {
        let n = 100_003usize;
        let u = |i: usize| (i as f64 * 0.618_033_988_749_895).fract();
        let inputs: Vec<Vec<f64>> = vec![
            (0..n).map(|i| 12_000.0 + 500.0 * u(i)).collect(),
            (0..n)
                .map(|i| (u(i) * 60.0 - 30.0).exp() * if i % 3 == 0 { -1.0 } else { 1.0 })
                .collect(),
            (0..n)
                .map(|i| if i % 10 < 7 { 0.0 } else { u(i) })
                .collect(),
            (0..n).map(|i| [0.0, -0.0, 1.0][i % 3]).collect(),
            (0..n).map(|i| (i % 5) as f64).collect(),
            vec![2.5; n],
            (0..n).map(|i| if i == 7 { 1e300 } else { u(i) }).collect(),
        ];
        let percentiles: Vec<Percentile> =
            [1, 5, 10, 25, 50, 75, 90, 95, 99].map(Percentile).to_vec();
        let ranks: Vec<u64> = percentiles.iter().map(|&p| rank(p, n as u64)).collect();
        for isa in crate::arch::testable("selection_by_parts_is_a_sort") {
            for (k, values) in inputs.iter().enumerate() {
                let mut v = values.clone();
                let got: Vec<u64> = select_ranks(isa, &mut v, &ranks)
                    .iter()
                    .map(|x| x.to_bits())
                    .collect();
                assert_eq!(got, by_sorting(values, &ranks), "{isa:?}, input {k}");
            }
        }
        // The same values in pieces of unequal lengths (one empty) select
        // the same, by parts or directly.
        for (k, values) in inputs.iter().enumerate() {
            let (a, rest) = values.split_at(n / 7);
            let (b, c) = rest.split_at(n / 2);
            let got: Vec<u64> = exact_at_ranks_in(&[a, &[], b, c], &ranks)
                .iter()
                .map(|x| x.to_bits())
                .collect();
            assert_eq!(got, by_sorting(values, &ranks), "in pieces, input {k}");
            let short: Vec<u64> = exact_at_ranks_in(&[&a[..900], &c[..600]], &[1, 700, 1_500])
                .iter()
                .map(|x| x.to_bits())
                .collect();
            let both = [&a[..900], &c[..600]].concat();
            assert_eq!(
                short,
                by_sorting(&both, &[1, 700, 1_500]),
                "short, input {k}"
            );
        }
    }

    proptest! {
        /// Any finite input, any ranks: the values a sort puts there.
        #[test]
        fn selection_matches_a_sort(
            values in prop::collection::vec(prop::num::f64::NORMAL | prop::num::f64::ZERO, 1..40_000),
            picks in prop::collection::vec(0.0..1.0f64, 1..8),
        ) {
            let n = values.len() as u64;
            let mut ranks: Vec<u64> = picks.iter().map(|p| 1 + (p * (n - 1) as f64) as u64).collect();
            ranks.sort_unstable();
            let mut v = values.clone();
            let got: Vec<u64> = select_ranks(Supported::current(), &mut v, &ranks)
                .iter().map(|x| x.to_bits()).collect();
            prop_assert_eq!(got, by_sorting(&values, &ranks));
        }
    }
}
