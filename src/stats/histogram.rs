//! Counts in equal-width bins, with what falls outside kept apart.

/// Counts of values in `bins` equal-width bins over `[lo, hi)`, plus the
/// counts below `lo` and at or above `hi`.
///
/// ```
/// use nexus_mc::stats::Histogram;
/// let mut h = Histogram::new(0.0, 1.0, 4);
/// for x in [-1.0, 0.1, 0.3, 0.3, 0.99, 1.0] { h.add(x, 1); }
/// assert_eq!((h.below, h.counts.as_slice(), h.above), (1, &[1, 2, 0, 1][..], 1));
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Histogram {
    /// Lower edge of the first bin.
    pub lo: f64,
    /// Upper edge of the last bin.
    pub hi: f64,
    /// Count per bin.
    pub counts: Vec<u64>,
    /// Values below `lo`.
    pub below: u64,
    /// Values at or above `hi`.
    pub above: u64,
}

impl Histogram {
    /// Empty bins; `lo < hi`, `bins >= 1`.
    pub fn new(lo: f64, hi: f64, bins: usize) -> Histogram {
        Histogram {
            lo,
            hi,
            counts: vec![0; bins.max(1)],
            below: 0,
            above: 0,
        }
    }

    /// Adds `count` values equal to `x`.
    pub fn add(&mut self, x: f64, count: u64) {
        if x < self.lo {
            self.below += count;
        } else if x >= self.hi {
            self.above += count;
        } else {
            let bins = self.counts.len();
            let i = ((x - self.lo) / (self.hi - self.lo) * bins as f64) as usize;
            self.counts[i.min(bins - 1)] += count;
        }
    }

    /// The bin edges, `counts.len() + 1` of them.
    pub fn edges(&self) -> Vec<f64> {
        let bins = self.counts.len();
        (0..=bins)
            .map(|i| self.lo + (self.hi - self.lo) * i as f64 / bins as f64)
            .collect()
    }

    /// Whether `other` has the same bins, so the two merge.
    pub fn merges_with(&self, other: &Histogram) -> bool {
        self.lo.to_bits() == other.lo.to_bits()
            && self.hi.to_bits() == other.hi.to_bits()
            && self.counts.len() == other.counts.len()
    }

    /// Adds the counts of `other`, which has the same bins.
    ///
    /// # Panics
    /// If the bins differ.
    pub(crate) fn merge(&mut self, other: &Histogram) {
        assert!(self.merges_with(other), "histograms with different bins");
        self.below += other.below;
        self.above += other.above;
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    /// All values counted.
    pub fn total(&self) -> u64 {
        self.below + self.above + self.counts.iter().sum::<u64>()
    }
}
