//! What a run keeps of its model evaluations: moments, quantile state and
//! claim counts, for the band metrics in every year. Mergeable: chunks,
//! threads and shards all combine through [`Accumulator::merge`].

use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::plan::{QuantileMethod, RunPlan, CHUNK_RUNS};
use crate::arch::Supported;
use crate::claims::Claim;
use crate::model::{year_of, Metric, YEARS};
use crate::stats::{
    exact_at_ranks, exact_quantiles, mean_interval, quantile_ranks, rank, replicate_interval,
    replicate_std_error, wilson_interval, ExactMoments, Histogram, LogSketch, Percentile,
    RankWindow, WindowedColumn,
};

/// The metrics `bands.csv` reports, each for every year 2026..2050.
pub const BAND_METRICS: [Metric; 8] = [
    Metric::GdpInvestment,
    Metric::GdpLasting,
    Metric::GdpDrugs,
    Metric::GdpTotal,
    Metric::GdpSharePct,
    Metric::Jobs,
    Metric::CashFlow,
    Metric::NpvCum,
];

/// The outputs whose distribution `run` also keeps as a histogram, with the
/// threshold of the claim about them (for the report's charts).
pub(crate) const HISTOGRAMS: [(Metric, i32, f64); 2] = [
    (Metric::GdpSharePct, 2035, 1.2),
    (Metric::NpvCum, 2035, 0.0),
];
/// Bins per histogram.
pub const HISTOGRAM_BINS: usize = 60;

/// Number of (metric, year) columns accumulated per run.
pub(crate) const COLUMNS: usize = BAND_METRICS.len() * YEARS;

/// The (metric, year) of column `c`.
pub(crate) fn column(c: usize) -> (Metric, i32) {
    (BAND_METRICS[c / YEARS], year_of(c % YEARS))
}

/// Quantile state per column.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum Quantiles {
    /// Every value, column by column. No columns at all in the accumulators
    /// of a run's workers: the engine keeps their values in run order (see
    /// [`Accumulator::without_kept_values`]).
    Exact(Vec<Vec<f64>>),
    /// A bounded sketch.
    Sketch(Vec<LogSketch>),
    /// Exact quantiles from part of the values: per column, its values seen
    /// through its window (see [`Windows`]). Only in the accumulators of
    /// one process's run, never in a file (last, so that the variants
    /// written keep their numbers in the shard state format).
    #[serde(skip)]
    Windowed(Windows, Vec<WindowedColumn>),
}

/// Everything a run keeps, mergeable.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Accumulator {
    runs: u64,
    /// Per column, summed exactly: the same bits in any merge order, and
    /// memory that does not grow with the runs.
    moments: Vec<ExactMoments>,
    quantiles: Quantiles,
    hits: Vec<u64>,
    /// The [`HISTOGRAMS`], counted value by value over ranges a pilot
    /// fixed (refined sketch runs); empty otherwise, and then drawn at the
    /// end from the kept values or the sketch.
    histograms: Vec<Histogram>,
    /// A run of `R >= 2` independent randomisations: each replicate's own
    /// accumulator, in replicate order. Then these hold every run, and the
    /// fields above are empty but for `runs` (their total): the pooled
    /// results are read from a merge of the replicates.
    replicates: Vec<Accumulator>,
}

/// The fewest hits (and misses) a replicate, on average, for which a
/// claim's interval is read from the replicates' spread; see
/// [`ClaimResult::from_replicates`].
pub(crate) const MIN_REPLICATE_HITS: u64 = 10;

/// What a pilot of the first chunks of a sketch run fixes before the run:
/// around each band percentile of each column, the range of values to count
/// in fine buckets (with a coarse bucket for every value the pilot met),
/// and the range of each histogram. The same for every
/// shard of the run, since each shard runs the same pilot.
#[derive(Clone, Debug, PartialEq)]
pub struct Refinement {
    /// Per column, an empty sketch refined around the band percentiles,
    /// with a bucket for every value the pilot met.
    sketches: Vec<LogSketch>,
    /// Per histogram of [`HISTOGRAMS`], its range.
    histogram_ranges: Vec<(f64, f64)>,
}

impl Refinement {
    /// Chunks of the pilot: the first 16 x 2,048 = 32,768 runs of the run.
    pub(crate) const PILOT_CHUNKS: u64 = 16;
    /// Width of a refined range in standard errors of the pilot's quantile
    /// (rank based, so for any distribution): the run's quantile falls
    /// outside with probability about 2e-9 a cell.
    const Z: f64 = 6.0;

    /// The refinement a pilot (unrefined sketches of the first runs) gives
    /// a run of `runs` runs: for percentile `p` of a column, the pilot's
    /// values of ranks `r - m` and `r + m` around its rank `r`, with
    /// `m = Z sqrt(p (1 - p) P) (1 + sqrt(P / runs))` for a pilot of `P`
    /// runs (the spread of the pilot's quantile plus that of the run's).
    pub(crate) fn from_pilot(pilot: Accumulator, runs: u64) -> Refinement {
        let pilot = &pilot.into_pooled();
        let Quantiles::Sketch(sketches) = &pilot.quantiles else {
            panic!("a pilot keeps sketches");
        };
        let n = pilot.runs;
        let widen = 1.0 + (n as f64 / runs as f64).sqrt();
        let refined = sketches
            .par_iter()
            .map(|sketch| {
                let mut ranks = Vec::new();
                for p in Percentile::BANDS {
                    let q = f64::from(p.0) / 100.0;
                    let m = (Self::Z * (q * (1.0 - q) * n as f64).sqrt() * widen).ceil() as u64 + 1;
                    let r = rank(p, n);
                    ranks.push(r.saturating_sub(m).max(1));
                    ranks.push((r + m).min(n));
                }
                let mut sorted = ranks.clone();
                sorted.sort_unstable();
                let values = sketch.at_ranks(&sorted);
                let value_of = |r: u64| values[sorted.partition_point(|&s| s < r)].0;
                let ranges: Vec<(f64, f64)> = ranks
                    .chunks(2)
                    .map(|pair| (value_of(pair[0]), value_of(pair[1])))
                    .collect();
                LogSketch::refined(&ranges).with_room_of(sketch)
            })
            .collect();
        let histogram_ranges = HISTOGRAMS
            .iter()
            .map(|&(metric, year, threshold)| {
                let q = sketches[column_of(metric, year)]
                    .quantiles_with_error(&[Percentile(1), Percentile(99)]);
                histogram_range(q[0].0, q[1].0, threshold)
            })
            .collect();
        Refinement {
            sketches: refined,
            histogram_ranges,
        }
    }
}

/// What a pilot of the first chunks of an exact run fixes before the run:
/// per column, the values to keep, those around each rank the summary
/// reads, with a count of the rest by part of the range (see
/// [`RankWindow`]). Every value of the histogram columns is kept, since
/// their histograms are drawn from the values at the end.
#[derive(Clone, Debug)]
pub(crate) struct Windows(Arc<[(RankWindow, usize)]>);

impl Windows {
    /// Windows of every column, with no room reserved (for tests).
    #[cfg(test)]
    pub(crate) fn of(windows: Vec<RankWindow>) -> Windows {
        Windows(windows.into_iter().map(|w| (w, 0)).collect())
    }

    /// The windows a pilot (an exact accumulator of the first runs) gives
    /// a run whose smallest sample summarised (a replicate's, or else the
    /// run's) has `smallest` runs: for percentile `p` of a column, the
    /// pilot's values of ranks `r - m` and `r + m` around its rank `r`,
    /// with `m = sqrt(p (1 - p) P) (Z (1 + s) + 1.96 s)`, `s = sqrt(P /
    /// smallest)`, for a pilot of `P` runs: the spread of the pilot's
    /// quantile and the run's, as for [`Refinement`], and the distance from
    /// a band percentile's rank to those of its interval. With each window,
    /// room for the values one of `workers` accumulators of that sample
    /// keeps in its column, as the pilot has them and then some, so that
    /// columns seldom grow by copying.
    pub(crate) fn from_pilot(pilot: Accumulator, smallest: u64, workers: usize) -> Windows {
        // Taken, not borrowed: the selections reorder the pilot's columns,
        // which would otherwise have to be copied first (50 MB at 32,768
        // runs).
        let mut pilot = pilot.into_pooled();
        let n = pilot.runs;
        let Quantiles::Exact(columns) = &mut pilot.quantiles else {
            panic!("a window's pilot keeps every value");
        };
        let ranges = Windows::rank_ranges(n, smallest);
        let windows: Vec<(RankWindow, usize)> = columns
            .par_iter_mut()
            .enumerate()
            .map(|(c, values)| {
                let window = if histogram_columns().contains(&c) {
                    RankWindow::everything()
                } else {
                    RankWindow::from_pilot(values, &ranges)
                };
                let mut sifted = WindowedColumn::default();
                sifted.add(Supported::current(), &window, values);
                let room = Windows::room(sifted.held(), n, smallest, workers);
                (window, room)
            })
            .collect();
        Windows(windows.into())
    }

    /// Per band percentile `p`, the ranks around its rank `r` in a sample of
    /// `n` runs that a window keeps for a sample of `smallest` runs: `r - m`
    /// to `r + m`, with `m` as [`Windows::from_pilot`] says.
    fn rank_ranges(n: u64, smallest: u64) -> Vec<(u64, u64)> {
        let s = (n as f64 / smallest as f64).sqrt();
        Percentile::BANDS
            .iter()
            .map(|&p| {
                let q = f64::from(p.0) / 100.0;
                let spread = (q * (1.0 - q) * n as f64).sqrt();
                let m = (spread * (Refinement::Z * (1.0 + s) + crate::stats::Z * s)).ceil() as u64;
                let r = rank(p, n);
                (r.saturating_sub(m + 1).max(1), (r + m + 1).min(n))
            })
            .collect()
    }

    /// Room for the values one of `workers` accumulators keeps of `runs`
    /// runs, where a window kept `held` of `n`.
    fn room(held: usize, n: u64, runs: u64, workers: usize) -> usize {
        let share = held as f64 / n as f64;
        let share = (share * 1.1 + 0.01).min(1.0) * 1.25 / workers as f64;
        (runs as f64 * share) as usize + CHUNK_RUNS as usize
    }
}

/// Where a non-finite model output appeared.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NonFinite {
    /// Row within the tile.
    pub row: usize,
    /// Column.
    pub column: usize,
    /// The value.
    pub value: f64,
}

impl Accumulator {
    /// Bytes of one accumulator's sketches, a generous bound: 384 kB a
    /// column is 39,321 slots of 10 bytes (a 2-byte low word and, once a
    /// count passes 65,535, an 8-byte high word): coarse buckets over
    /// magnitudes spanning a factor of 2^64 on each side (8,192 slots) and
    /// refined ranges of up to 8 octaves on each side (32,768).
    pub(crate) const SKETCHES_BYTES: usize = COLUMNS * 393_216;

    /// An empty accumulator for `claims` claims; the moments of column `c`
    /// are summed around `shifts[c]` (a typical value, e.g. the output at
    /// the scenario's medians).
    ///
    /// # Panics
    /// If `shifts` does not have one value per column.
    pub(crate) fn new(method: QuantileMethod, claims: usize, shifts: &[f64]) -> Accumulator {
        assert_eq!(shifts.len(), COLUMNS, "one shift per column");
        let quantiles = match method {
            QuantileMethod::Exact => Quantiles::Exact(vec![Vec::new(); COLUMNS]),
            QuantileMethod::Sketch => Quantiles::Sketch(vec![LogSketch::default(); COLUMNS]),
        };
        Accumulator {
            runs: 0,
            moments: shifts.iter().map(|&s| ExactMoments::new(s)).collect(),
            quantiles,
            hits: vec![0; claims],
            histograms: Vec::new(),
            replicates: Vec::new(),
        }
    }

    /// The accumulator of a run of independent randomisations, one
    /// accumulator a replicate, in replicate order.
    ///
    /// # Panics
    /// If fewer than two replicates are given.
    pub(crate) fn of_replicates(replicates: Vec<Accumulator>) -> Accumulator {
        assert!(replicates.len() >= 2, "at least two replicates");
        Accumulator {
            runs: replicates.iter().map(|r| r.runs).sum(),
            moments: Vec::new(),
            quantiles: Quantiles::Sketch(Vec::new()),
            hits: Vec::new(),
            histograms: Vec::new(),
            replicates,
        }
    }

    /// The replicates merged: the whole run as one accumulator (the run
    /// itself when it has no replicates).
    fn pooled(&self) -> Accumulator {
        let Some((first, rest)) = self.replicates.split_first() else {
            return self.clone();
        };
        // The first replicate with its kept values in columns allocated
        // once for every run, the others appended: no replicate is copied
        // more than once.
        let runs = self.runs as usize;
        let mut pooled = Accumulator {
            runs: first.runs,
            moments: first.moments.clone(),
            quantiles: match &first.quantiles {
                Quantiles::Exact(columns) => Quantiles::Exact(
                    columns
                        .iter()
                        .map(|c| {
                            let mut all = Vec::with_capacity(runs);
                            all.extend_from_slice(c);
                            all
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
            hits: first.hits.clone(),
            histograms: first.histograms.clone(),
            replicates: Vec::new(),
        };
        for r in rest {
            pooled.merge(r);
        }
        pooled
    }

    /// [`Self::pooled`], without a copy when there are no replicates.
    fn into_pooled(self) -> Accumulator {
        if self.replicates.is_empty() {
            self
        } else {
            self.pooled()
        }
    }

    /// An empty exact accumulator that keeps the values `windows` keep
    /// (see [`Accumulator::new`] for `claims` and `shifts`).
    pub(crate) fn windowed(claims: usize, shifts: &[f64], windows: &Windows) -> Accumulator {
        let mut acc = Accumulator::new(QuantileMethod::Exact, claims, shifts);
        let columns = windows
            .0
            .iter()
            .map(|&(_, room)| WindowedColumn::with_room(room))
            .collect();
        acc.quantiles = Quantiles::Windowed(windows.clone(), columns);
        acc
    }

    /// Narrows the windows of this windowed accumulator of a run without
    /// replicates, `runs` runs in all, to those its own runs place (many
    /// more than the pilot's, so the windows are narrower) and counts its
    /// columns through them; returns the windows, for the accumulators of
    /// the run's other runs, `rest` of them, shared by `workers`. A column
    /// keeps its window where its runs do not read one within it (a rank
    /// outside the window, or a new range across a gap of the old).
    ///
    /// # Panics
    /// If this accumulator is not windowed, or has replicates.
    pub(crate) fn narrow_windows(&mut self, runs: u64, rest: u64, workers: usize) -> Windows {
        assert!(self.replicates.is_empty(), "one sample");
        let n = self.runs;
        let Quantiles::Windowed(windows, columns) = &mut self.quantiles else {
            panic!("narrowing a windowed accumulator");
        };
        let ranges = Windows::rank_ranges(n, runs);
        let isa = Supported::current();
        let narrowed: Vec<(RankWindow, usize)> = columns
            .par_iter_mut()
            .zip(windows.0.par_iter())
            .enumerate()
            .map(|(c, (column, (window, _)))| {
                let narrowed = (!histogram_columns().contains(&c))
                    .then(|| column.window_around(&ranges))
                    .flatten()
                    .and_then(|narrow| Some((column.narrowed(isa, window, &narrow)?, narrow)));
                let window = match narrowed {
                    Some((narrowed, narrow)) => {
                        *column = narrowed;
                        narrow
                    }
                    None => window.clone(),
                };
                (window, Windows::room(column.held(), n, rest, workers))
            })
            .collect();
        *windows = Windows(narrowed.into());
        windows.clone()
    }

    /// Whether every rank a summary reads falls among the values kept, for
    /// the whole run and for each replicate (always, but for a windowed
    /// accumulator: see [`Windows`]).
    pub(crate) fn windows_cover(&self) -> bool {
        let parts: Vec<&Accumulator> = match self.replicates.is_empty() {
            true => vec![self],
            false => self.replicates.iter().filter(|r| r.runs > 0).collect(),
        };
        let windowed: Vec<&Vec<WindowedColumn>> = parts
            .iter()
            .filter_map(|acc| match &acc.quantiles {
                Quantiles::Windowed(_, columns) => Some(columns),
                _ => None,
            })
            .collect();
        if windowed.is_empty() {
            return true;
        }
        let whole = Ranks::of(self.runs);
        let each: Vec<Ranks> = parts.iter().map(|acc| Ranks::of(acc.runs)).collect();
        (0..COLUMNS).into_par_iter().all(|c| {
            let columns: Vec<&WindowedColumn> = windowed.iter().map(|cols| &cols[c]).collect();
            RankWindow::covers(&columns, &whole.all)
                && (parts.len() < 2
                    || columns
                        .iter()
                        .zip(&each)
                        .all(|(&column, ranks)| RankWindow::covers(&[column], &ranks.all)))
        })
    }

    /// The values kept in every column, for tests.
    #[cfg(test)]
    pub(crate) fn kept_values(&self) -> usize {
        let own = match &self.quantiles {
            Quantiles::Exact(columns) => columns.iter().map(Vec::len).sum(),
            Quantiles::Windowed(_, columns) => columns.iter().map(WindowedColumn::held).sum(),
            Quantiles::Sketch(_) => 0,
        };
        own + self
            .replicates
            .iter()
            .map(Accumulator::kept_values)
            .sum::<usize>()
    }

    /// An empty exact accumulator that keeps no values (its caller keeps
    /// them, and hands them over with [`Accumulator::keep_values`]); see
    /// [`Accumulator::new`] for `claims` and `shifts`.
    pub(crate) fn without_kept_values(claims: usize, shifts: &[f64]) -> Accumulator {
        let mut acc = Accumulator::new(QuantileMethod::Exact, claims, shifts);
        acc.quantiles = Quantiles::Exact(Vec::new());
        acc
    }

    /// Hands over the kept values of every run this exact accumulator has
    /// counted (one column of `runs` values per column).
    ///
    /// # Panics
    /// If this is not an exact accumulator without kept values, or the
    /// columns do not hold its runs.
    pub(crate) fn keep_values(&mut self, columns: Vec<Vec<f64>>) {
        assert!(
            matches!(&self.quantiles, Quantiles::Exact(c) if c.is_empty()),
            "an exact accumulator without kept values"
        );
        assert!(columns.len() == COLUMNS && columns.iter().all(|c| c.len() as u64 == self.runs));
        self.quantiles = Quantiles::Exact(columns);
    }

    /// An empty sketch accumulator refined as `refinement` says (see
    /// [`Accumulator::new`] for `claims` and `shifts`).
    pub(crate) fn refined(claims: usize, shifts: &[f64], refinement: &Refinement) -> Accumulator {
        let mut acc = Accumulator::new(QuantileMethod::Sketch, claims, shifts);
        acc.quantiles = Quantiles::Sketch(refinement.sketches.clone());
        acc.histograms = refinement
            .histogram_ranges
            .iter()
            .map(|&(lo, hi)| Histogram::new(lo, hi, HISTOGRAM_BINS))
            .collect();
        acc
    }

    /// Adds `rows` runs laid out column by column in `tile` (column `c` at
    /// `tile[c * stride..][..rows]`), or reports the first non-finite value.
    pub(crate) fn add_tile(
        &mut self,
        tile: &[f64],
        stride: usize,
        rows: usize,
    ) -> Result<(), NonFinite> {
        for (c, m) in self.moments.iter_mut().enumerate() {
            let values = &tile[c * stride..][..rows];
            // NaN or an infinity anywhere makes the sums non-finite; only
            // then is it worth looking for it.
            if !m.add_batch(values) {
                let row = values.iter().position(|x| !x.is_finite()).unwrap_or(0);
                return Err(NonFinite {
                    row,
                    column: c,
                    value: values[row],
                });
            }
            match &mut self.quantiles {
                Quantiles::Exact(columns) => {
                    if let Some(column) = columns.get_mut(c) {
                        column.extend_from_slice(values);
                    }
                }
                Quantiles::Windowed(windows, columns) => {
                    columns[c].add(Supported::current(), &windows.0[c].0, values);
                }
                Quantiles::Sketch(sketches) => {
                    // The counts of the next column come in from the
                    // outer caches while this column's go up.
                    if let Some(next) = sketches.get(c + 1) {
                        next.prefetch();
                    }
                    sketches[c].insert_all(values);
                }
            }
        }
        for (h, &(metric, year, _)) in self.histograms.iter_mut().zip(&HISTOGRAMS) {
            let c = column_of(metric, year);
            tile[c * stride..][..rows].iter().for_each(|&x| h.add(x, 1));
        }
        self.runs += rows as u64;
        Ok(())
    }

    /// Checks an accumulator read from a file against what the run's
    /// identity says: `claims` claims, the runs of `plan`'s shard in every
    /// column, finite moments and kept values, claim counts no larger than
    /// the runs.
    /// A damaged shard state gives an error, not a panic or a wrong merge.
    pub(crate) fn check(&self, claims: usize, plan: &RunPlan) -> Result<(), String> {
        if self.runs != plan.shard_runs() {
            return Err(format!(
                "{} runs where shard {} has {}",
                self.runs,
                plan.shard,
                plan.shard_runs()
            ));
        }
        let expected = if plan.replicates > 1 {
            plan.replicates as usize
        } else {
            0
        };
        if self.replicates.len() != expected {
            return Err(format!(
                "{} replicates where the run has {}",
                self.replicates.len(),
                plan.replicates
            ));
        }
        if self.replicates.is_empty() {
            return self.check_runs(claims, plan.quantiles);
        }
        if self.replicates.iter().map(|r| r.runs).sum::<u64>() != self.runs {
            return Err("its replicates do not hold its runs".into());
        }
        let outer_empty = self.moments.is_empty()
            && self.hits.is_empty()
            && self.histograms.is_empty()
            && matches!(&self.quantiles, Quantiles::Sketch(s) if s.is_empty());
        if !outer_empty {
            return Err("a run of replicates holds results outside them".into());
        }
        if !self.replicates.windows(2).all(|w| w[0].merges_with(&w[1])) {
            return Err("its replicates cannot be merged with each other".into());
        }
        self.replicates.iter().enumerate().try_for_each(|(r, acc)| {
            if acc.replicates.is_empty() {
                acc.check_runs(claims, plan.quantiles)
            } else {
                Err("a replicate with replicates".into())
            }
            .map_err(|e| format!("replicate {r}: {e}"))
        })
    }

    /// [`Accumulator::check`] for an accumulator without replicates, of
    /// its own runs.
    fn check_runs(&self, claims: usize, method: QuantileMethod) -> Result<(), String> {
        if self.hits.len() != claims {
            return Err(format!(
                "{} claim counters for {claims} claims",
                self.hits.len()
            ));
        }
        if let Some(h) = self.hits.iter().find(|&&h| h > self.runs) {
            return Err(format!("a claim held in {h} of {} runs", self.runs));
        }
        if self.moments.len() != COLUMNS {
            return Err(format!(
                "{} columns of moments, not {COLUMNS}",
                self.moments.len()
            ));
        }
        if let Some(m) = self
            .moments
            .iter()
            .find(|m| m.count() != self.runs || !m.is_valid())
        {
            return Err(format!(
                "moments of {} runs (the shard has {}) or of values that are not finite",
                m.count(),
                self.runs
            ));
        }
        match (&self.quantiles, method) {
            (Quantiles::Exact(_), QuantileMethod::Exact)
            | (Quantiles::Sketch(_), QuantileMethod::Sketch) => {}
            _ => return Err("its quantile state is not of the run's quantile method".into()),
        }
        match &self.quantiles {
            Quantiles::Exact(columns) => {
                if columns.len() != COLUMNS || columns.iter().any(|c| c.len() as u64 != self.runs) {
                    return Err(format!(
                        "the kept values are not {COLUMNS} columns of {} runs",
                        self.runs
                    ));
                }
                if columns.iter().flatten().any(|x| !x.is_finite()) {
                    return Err("a kept value is not finite".into());
                }
            }
            Quantiles::Sketch(sketches) => {
                if sketches.len() != COLUMNS || sketches.iter().any(|s| s.count() != self.runs) {
                    return Err(format!(
                        "the sketches are not {COLUMNS} of {} runs",
                        self.runs
                    ));
                }
                sketches.iter().try_for_each(LogSketch::check)?;
            }
            Quantiles::Windowed(..) => {
                return Err("it holds a window, which no state file can".into())
            }
        }
        // Counted histograms come with refined sketches only, each over the
        // run's bins and holding every run.
        let histograms_fit = match &self.quantiles {
            Quantiles::Exact(_) | Quantiles::Windowed(..) => self.histograms.is_empty(),
            Quantiles::Sketch(_) => [0, HISTOGRAMS.len()].contains(&self.histograms.len()),
        };
        let holds_every_run = |h: &Histogram| {
            let total = h
                .counts
                .iter()
                .chain([&h.below, &h.above])
                .try_fold(0u64, |sum, &c| sum.checked_add(c));
            h.counts.len() == HISTOGRAM_BINS
                && h.lo.is_finite()
                && h.hi.is_finite()
                && h.lo < h.hi
                && total == Some(self.runs)
        };
        if !histograms_fit || !self.histograms.iter().all(holds_every_run) {
            return Err(format!(
                "its histograms are not {} of {HISTOGRAM_BINS} bins holding {} runs",
                HISTOGRAMS.len(),
                self.runs
            ));
        }
        Ok(())
    }

    /// Claim counters, one per claim.
    pub(crate) fn hits_mut(&mut self) -> &mut [u64] {
        &mut self.hits
    }

    /// Adds another accumulator of the same run (other chunks or shards).
    /// The order of merges never changes a result: counts, sketches, kept
    /// values and the exact sums behind the moments all merge exactly.
    ///
    /// # Panics
    /// If the two use different quantile methods or refinements (sketches
    /// refined over other ranges, histograms over other bins), claim counts
    /// or shifts (see [`Accumulator::merges_with`]).
    pub(crate) fn merge(&mut self, other: &Accumulator) {
        assert_eq!(
            self.replicates.len(),
            other.replicates.len(),
            "same replicates"
        );
        if !self.replicates.is_empty() {
            self.runs += other.runs;
            for (a, b) in self.replicates.iter_mut().zip(&other.replicates) {
                a.merge(b);
            }
            return;
        }
        assert_eq!(self.hits.len(), other.hits.len(), "same claims");
        self.runs += other.runs;
        for (a, b) in self.moments.iter_mut().zip(&other.moments) {
            a.merge(b);
        }
        for (a, b) in self.hits.iter_mut().zip(&other.hits) {
            *a += b;
        }
        match (&mut self.quantiles, &other.quantiles) {
            (Quantiles::Exact(a), Quantiles::Exact(b)) => {
                for (a, b) in a.iter_mut().zip(b) {
                    a.extend_from_slice(b);
                }
            }
            (Quantiles::Windowed(wa, a), Quantiles::Windowed(wb, b)) => {
                assert!(
                    Arc::ptr_eq(&wa.0, &wb.0),
                    "merging columns of other windows"
                );
                a.par_iter_mut().zip(b).for_each(|(a, b)| a.merge(b));
            }
            (Quantiles::Sketch(a), Quantiles::Sketch(b)) => {
                a.par_iter_mut().zip(b).for_each(|(a, b)| a.merge(b));
            }
            _ => panic!("merging accumulators of different quantile states"),
        }
        assert_eq!(
            self.histograms.len(),
            other.histograms.len(),
            "same histograms"
        );
        for (a, b) in self.histograms.iter_mut().zip(&other.histograms) {
            a.merge(b);
        }
    }

    /// [`Accumulator::merge`] with an accumulator that is no longer
    /// needed: a windowed one's kept values change hands as they are
    /// instead of being copied (copying them cost more in the system's
    /// fresh pages than in the copy itself).
    pub(crate) fn absorb(&mut self, mut other: Accumulator) {
        let values: Option<Vec<Vec<Vec<f64>>>> = match &mut other.quantiles {
            Quantiles::Windowed(_, columns) => Some(
                columns
                    .iter_mut()
                    .map(WindowedColumn::take_values)
                    .collect(),
            ),
            _ => None,
        };
        self.merge(&other);
        if let (Some(values), Quantiles::Windowed(_, columns)) = (values, &mut self.quantiles) {
            for (column, pieces) in columns.iter_mut().zip(values) {
                column.adopt(pieces);
            }
        }
    }

    /// Reserves room for `more` runs' kept values (exact quantiles), so
    /// that merging steps of a `--precision` run into this accumulator
    /// allocates each column once, as [`RunPlan`]'s memory estimate assumes.
    pub(crate) fn reserve_runs(&mut self, more: u64) {
        let replicates = self.replicates.len() as u64;
        for r in &mut self.replicates {
            r.reserve_runs(more.div_ceil(replicates) + CHUNK_RUNS);
        }
        if let Quantiles::Exact(columns) = &mut self.quantiles {
            for c in columns {
                c.reserve_exact(more as usize);
            }
        }
    }

    /// Runs accumulated.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// Whether `other` can be merged into this one: the same quantile
    /// method and refinement, claims and shifts (for shard states read from
    /// files).
    pub fn merges_with(&self, other: &Accumulator) -> bool {
        if !self.replicates.is_empty() || !other.replicates.is_empty() {
            return self.replicates.len() == other.replicates.len()
                && self
                    .replicates
                    .iter()
                    .zip(&other.replicates)
                    .all(|(a, b)| a.merges_with(b));
        }
        let same_method = match (&self.quantiles, &other.quantiles) {
            (Quantiles::Exact(a), Quantiles::Exact(b)) => a.len() == b.len(),
            (Quantiles::Windowed(a, _), Quantiles::Windowed(b, _)) => Arc::ptr_eq(&a.0, &b.0),
            (Quantiles::Sketch(a), Quantiles::Sketch(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.merges_with(b))
            }
            _ => false,
        };
        same_method
            && self.histograms.len() == other.histograms.len()
            && self
                .histograms
                .iter()
                .zip(&other.histograms)
                .all(|(a, b)| a.merges_with(b))
            && self.hits.len() == other.hits.len()
            && self.moments.len() == other.moments.len()
            && self
                .moments
                .iter()
                .zip(&other.moments)
                .all(|(a, b)| a.shift().to_bits() == b.shift().to_bits())
    }

    /// Bands and claim probabilities. `claims` are the claims counted, in
    /// the order they were counted. Exact quantiles reorder the kept values.
    ///
    /// # Panics
    /// If no run was accumulated.
    ///
    /// With replicates, the estimates are those of the whole run, and
    /// every interval is read from the spread of the replicates' own
    /// estimates ([`replicate_interval`]; none when fewer than two hold
    /// runs, as in a shard of `R` shards); without, from formulas for iid
    /// draws.
    pub fn summary(&mut self, claims: &[Claim]) -> Summary {
        if self.replicates.is_empty() {
            return self.summary_of_one(claims);
        }
        // Pooled before the replicates' own summaries reorder their kept
        // values: selection runs slowly on a column made of sorted pieces.
        let mut summary = self.pooled().summary_of_one(claims);
        // A shard may hold no run of some replicates (chunk c is replicate
        // c mod R, the shard's chunks K mod N): those state nothing.
        let parts: Vec<Summary> = self
            .replicates
            .iter_mut()
            .filter(|r| r.runs > 0)
            .map(|r| r.summary_of_one(claims))
            .collect();
        summary.replicates = parts.len() as u64;
        if parts.len() < 2 {
            // Nothing to read a spread from: no interval (the iid ones of
            // the pooled summary would be wrong), and claims.csv's
            // std_error is the iid formula's, as for a run without
            // replicates.
            for band in &mut summary.bands {
                band.mean_interval = None;
                band.percentile_intervals = [None; 7];
            }
            for claim in &mut summary.claims {
                claim.interval = None;
            }
            return summary;
        }
        summary.quantile_error = parts
            .iter()
            .map(|p| p.quantile_error)
            .fold(summary.quantile_error, f64::max);
        let error = summary.quantile_error;
        for (c, band) in summary.bands.iter_mut().enumerate() {
            let means: Vec<f64> = parts.iter().map(|p| p.bands[c].mean).collect();
            band.mean_interval = replicate_interval(band.mean, &means);
            for (k, q) in band.percentiles().into_iter().enumerate() {
                let each: Vec<f64> = parts.iter().map(|p| p.bands[c].percentiles()[k]).collect();
                // Widened by the sketch's bound, as the iid intervals are.
                band.percentile_intervals[k] = replicate_interval(q, &each)
                    .map(|(lo, hi)| (lo - error * lo.abs(), hi + error * hi.abs()));
            }
        }
        for (i, claim) in summary.claims.iter_mut().enumerate() {
            // Student's t needs replicate estimates near normal, which a
            // handful of hits (or misses) a replicate are not: a rare claim
            // keeps Wilson's interval of the pooled runs, as for iid draws.
            let rarer = claim.hits.min(claim.runs - claim.hits);
            if rarer < MIN_REPLICATE_HITS * parts.len() as u64 {
                continue;
            }
            let each: Vec<f64> = parts.iter().map(|p| p.claims[i].probability()).collect();
            claim.from_replicates = true;
            claim.std_error = replicate_std_error(&each).expect("two replicates or more");
            claim.interval = replicate_interval(claim.probability(), &each)
                .map(|(lo, hi)| (lo.max(0.0), hi.min(1.0)));
        }
        summary
    }

    /// [`Accumulator::summary`] of an accumulator without replicates.
    fn summary_of_one(&mut self, claims: &[Claim]) -> Summary {
        assert!(self.runs > 0, "summary of an empty run");
        let moments = &self.moments;
        let ranks = Ranks::of(self.runs);
        let mut quantile_error: f64 = 0.0;
        // Per column, each band percentile and its interval.
        let percentiles: Vec<Vec<Estimate>> = match &mut self.quantiles {
            Quantiles::Exact(columns) => columns
                .par_iter_mut()
                .map(|v| {
                    let at = exact_at_ranks(v, &ranks.all);
                    ranks.read(|i| (at[i], 0.0))
                })
                .collect(),
            Quantiles::Windowed(_, columns) => columns
                .par_iter_mut()
                .map(|v| {
                    let at = v
                        .at_ranks(&ranks.all)
                        .expect("the engine keeps every value where a window misses a rank");
                    ranks.read(|i| (at[i], 0.0))
                })
                .collect(),
            Quantiles::Sketch(sketches) => {
                let found: Vec<_> = sketches
                    .par_iter()
                    .map(|s| {
                        let at = s.at_ranks(&ranks.all);
                        let error = ranks.band.iter().map(|&i| at[i].1).fold(0.0, f64::max);
                        (ranks.read(|i| at[i]), error)
                    })
                    .collect();
                found
                    .into_iter()
                    .map(|(q, error)| {
                        quantile_error = quantile_error.max(error);
                        q
                    })
                    .collect()
            }
        };
        let bands = (0..COLUMNS)
            .map(|c| {
                let (metric, year) = column(c);
                let q = &percentiles[c];
                Band {
                    metric,
                    year,
                    runs: self.runs,
                    mean: moments[c].mean(),
                    std: moments[c].std(),
                    p05: q[0].0,
                    p10: q[1].0,
                    p25: q[2].0,
                    p50: q[3].0,
                    p75: q[4].0,
                    p90: q[5].0,
                    p95: q[6].0,
                    percentile_intervals: std::array::from_fn(|k| q[k].1),
                    mean_interval: (self.runs > 1)
                        .then(|| mean_interval(moments[c].mean(), moments[c].std(), self.runs)),
                }
            })
            .collect();
        let histograms = HISTOGRAMS
            .iter()
            .enumerate()
            .map(|(i, &(metric, year, threshold))| {
                let histogram = match self.histograms.get(i) {
                    Some(counted) => counted.clone(),
                    None => self.histogram_at_end(column_of(metric, year), threshold),
                };
                HistogramOf {
                    metric,
                    year,
                    threshold,
                    histogram,
                }
            })
            .collect();
        let claims = claims
            .iter()
            .zip(&self.hits)
            .map(|(claim, &hits)| {
                let p = hits as f64 / self.runs as f64;
                ClaimResult {
                    claim: claim.clone(),
                    hits,
                    runs: self.runs,
                    interval: Some(wilson_interval(hits, self.runs)),
                    std_error: (p * (1.0 - p) / self.runs as f64).sqrt(),
                    from_replicates: false,
                }
            })
            .collect();
        Summary {
            bands,
            claims,
            histograms,
            quantile_error,
            replicates: 1,
        }
    }

    /// The histogram of column `c` over its P1 to P99 (and `threshold`),
    /// from the kept values or the sketch's buckets.
    fn histogram_at_end(&mut self, c: usize, threshold: f64) -> Histogram {
        let (p1, p99) = match &mut self.quantiles {
            // Selecting reorders the kept values, which is harmless here.
            Quantiles::Exact(columns) => {
                let q = exact_quantiles(&mut columns[c], &[Percentile(1), Percentile(99)]);
                (q[0], q[1])
            }
            // The histogram columns' windows keep every value.
            Quantiles::Windowed(_, columns) => {
                let ranks = [
                    rank(Percentile(1), self.runs),
                    rank(Percentile(99), self.runs),
                ];
                let q = columns[c]
                    .at_ranks(&ranks)
                    .expect("a histogram column keeps every value");
                (q[0], q[1])
            }
            Quantiles::Sketch(s) => (s[c].quantile(Percentile(1)), s[c].quantile(Percentile(99))),
        };
        let (lo, hi) = histogram_range(p1, p99, threshold);
        let mut h = Histogram::new(lo, hi, HISTOGRAM_BINS);
        match &self.quantiles {
            Quantiles::Exact(columns) => columns[c].iter().for_each(|&x| h.add(x, 1)),
            Quantiles::Windowed(_, columns) => {
                let mut seen = 0;
                columns[c].values().for_each(|(x, n)| {
                    h.add(x, n);
                    seen += n;
                });
                assert_eq!(seen, self.runs, "a histogram column keeps every value");
            }
            Quantiles::Sketch(s) => s[c].values().for_each(|(x, n)| h.add(x, n)),
        }
        h
    }
}

/// A percentile and its 95 % interval, if the runs allow one.
type Estimate = (f64, Option<(f64, f64)>);

/// The ranks a summary of `n` runs reads in every column: each band
/// percentile's, and the two of its 95 % interval where `n` allows one.
struct Ranks {
    /// Every rank, ascending, without repeats.
    all: Vec<u64>,
    /// Per band percentile, the index in `all` of its rank.
    band: [usize; 7],
    /// Per band percentile, the indices in `all` of its interval's ranks.
    interval: [Option<(usize, usize)>; 7],
}

impl Ranks {
    fn of(n: u64) -> Ranks {
        let band_ranks = Percentile::BANDS.map(|p| rank(p, n));
        let interval_ranks = Percentile::BANDS.map(|p| quantile_ranks(p, n));
        let mut all: Vec<u64> = band_ranks.to_vec();
        all.extend(interval_ranks.iter().flatten().flat_map(|&(l, u)| [l, u]));
        all.sort_unstable();
        all.dedup();
        let index = |r: u64| all.binary_search(&r).expect("a listed rank");
        let band = band_ranks.map(index);
        let interval = interval_ranks.map(|lu| lu.map(|(l, u)| (index(l), index(u))));
        Ranks {
            all,
            band,
            interval,
        }
    }

    /// Per band percentile, its value and interval from `at(i)`, the value
    /// of rank `all[i]` and its bound on relative error (the bound widens
    /// the interval, so that the sketch's error is inside it).
    fn read(&self, at: impl Fn(usize) -> (f64, f64)) -> Vec<Estimate> {
        (0..7)
            .map(|k| {
                let interval = self.interval[k].map(|(l, u)| {
                    let ((lo, lo_error), (hi, hi_error)) = (at(l), at(u));
                    (lo - lo_error * lo.abs(), hi + hi_error * hi.abs())
                });
                (at(self.band[k]).0, interval)
            })
            .collect()
    }
}

/// The columns of [`HISTOGRAMS`], whose every value an exact run keeps.
fn histogram_columns() -> [usize; HISTOGRAMS.len()] {
    HISTOGRAMS.map(|(metric, year, _)| column_of(metric, year))
}

/// The column of (metric, year), which must be a band metric.
fn column_of(metric: Metric, year: i32) -> usize {
    let m = BAND_METRICS
        .iter()
        .position(|&b| b == metric)
        .expect("a band metric");
    m * YEARS + (year - crate::model::FIRST_YEAR) as usize
}

/// The histogram range of an output with percentiles `p1` and `p99` and a
/// claim `threshold`: [min(P1, threshold), max(P99, threshold)] widened by
/// 5 % on each side, and made non-empty.
fn histogram_range(p1: f64, p99: f64, threshold: f64) -> (f64, f64) {
    let (lo, hi) = (p1.min(threshold), p99.max(threshold));
    let pad = if hi > lo {
        0.05 * (hi - lo)
    } else {
        0.5 * lo.abs().max(1e-9)
    };
    (lo - pad, hi + pad)
}

/// The histogram of one output, and the threshold of its claim.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramOf {
    /// The metric.
    pub metric: Metric,
    /// The year.
    pub year: i32,
    /// The claim threshold shown with it.
    pub threshold: f64,
    /// Counts over the central 98 % of runs (and the threshold), 5 % margin.
    pub histogram: Histogram,
}

/// The result of a run: one band per (metric, year), one result per claim.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// [`BAND_METRICS`] x years, metric-major.
    pub bands: Vec<Band>,
    /// In claim order: the default set, then the scenario's own.
    pub claims: Vec<ClaimResult>,
    /// The 2035 GDP share and the 2035 NPV, each with its claim threshold.
    pub histograms: Vec<HistogramOf>,
    /// Bound on the relative error of every band percentile: 0 for exact
    /// quantiles; for a sketch, [`LogSketch::FINE_RELATIVE_ERROR`] when
    /// every band percentile fell in a refined range.
    pub quantile_error: f64,
    /// The independent randomisations the intervals were read from (see
    /// [`crate::stats::replicate_interval`]); 1 when they come from
    /// formulas for iid draws, valid for Monte Carlo draws only; 0 or 1 in
    /// a shard of a replicated run that holds runs of fewer than two
    /// replicates, whose intervals are not stated.
    pub replicates: u64,
}

impl Summary {
    /// The band of one metric in one year, if it is a band metric.
    pub fn band(&self, metric: Metric, year: i32) -> Option<&Band> {
        self.bands
            .iter()
            .find(|b| b.metric == metric && b.year == year)
    }

    /// The result of the claim with this name.
    pub fn claim(&self, name: &str) -> Option<&ClaimResult> {
        self.claims.iter().find(|c| c.claim.name == name)
    }
}

/// Distribution of one metric in one year over the runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    /// The metric.
    pub metric: Metric,
    /// The calendar year.
    pub year: i32,
    /// Runs it was computed from.
    pub runs: u64,
    /// Mean over runs.
    pub mean: f64,
    /// Sample standard deviation over runs.
    pub std: f64,
    /// 5th percentile.
    pub p05: f64,
    /// 10th percentile.
    pub p10: f64,
    /// 25th percentile.
    pub p25: f64,
    /// The median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Per percentile (P5 to P95), its 95 % interval from order
    /// statistics, widened by the sketch's error bound
    /// ([`crate::stats::quantile_ranks`]); `None` when the runs are too
    /// few. Valid for iid draws only, or read from the replicates' spread
    /// (see [`Summary::replicates`]).
    pub percentile_intervals: [Option<(f64, f64)>; 7],
    /// The 95 % interval of the mean: normal (valid for iid draws only) or
    /// read from the replicates' spread; `None` from a single run, or a
    /// shard that holds runs of fewer than two replicates.
    pub mean_interval: Option<(f64, f64)>,
}

impl Band {
    /// The percentiles in [`Percentile::BANDS`] order (P5 to P95).
    pub fn percentiles(&self) -> [f64; 7] {
        [
            self.p05, self.p10, self.p25, self.p50, self.p75, self.p90, self.p95,
        ]
    }
}

/// How often a claim held.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimResult {
    /// The claim.
    pub claim: Claim,
    /// Runs in which it held.
    pub hits: u64,
    /// Runs in all.
    pub runs: u64,
    /// The 95 % interval of the probability.
    interval: Option<(f64, f64)>,
    /// The Monte Carlo standard error of the probability.
    std_error: f64,
    /// Whether `interval` and `std_error` were read from replicates.
    from_replicates: bool,
}

impl ClaimResult {
    /// The share of runs in which the claim held.
    pub fn probability(&self) -> f64 {
        self.hits as f64 / self.runs as f64
    }

    /// The 95 % interval of [`Self::probability`]: Wilson's for iid draws
    /// (never empty, even at 0 or all hits), or read from the replicates'
    /// spread (see [`Summary::replicates`] and [`Self::from_replicates`];
    /// `None` in a shard that holds runs of fewer than two replicates).
    pub fn interval(&self) -> Option<(f64, f64)> {
        self.interval
    }

    /// Monte Carlo standard error of [`Self::probability`]:
    /// `sqrt(p (1 - p) / n)` for iid draws, or `s / sqrt(R)` from the
    /// spread of `R` replicates.
    pub fn std_error(&self) -> f64 {
        self.std_error
    }

    /// Whether [`Self::interval`] and [`Self::std_error`] were read from
    /// the spread of replicates. In a replicated run a claim that held (or
    /// failed) in fewer than 10 runs a replicate keeps the formulas of iid
    /// draws: so few hits make each replicate's estimate far from normal,
    /// and Student's t too narrow.
    pub fn from_replicates(&self) -> bool {
        self.from_replicates
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Claim;
    use crate::engine::Shard;
    use proptest::prelude::*;

    /// Shifts of the test accumulators: a different one per column.
    fn shifts() -> Vec<f64> {
        (0..COLUMNS).map(|c| c as f64 * 0.3 - 7.0).collect()
    }

    /// An accumulator over `rows` runs whose column c, row r holds
    /// `values[(c + r) % len]` scaled by the column, so columns differ.
    fn chunk(method: QuantileMethod, values: &[f64], hits: &[u64]) -> Accumulator {
        let claims = Claim::default_set().len();
        let mut acc = Accumulator::new(method, claims, &shifts());
        let rows = values.len();
        let tile: Vec<f64> = (0..COLUMNS * rows)
            .map(|i| {
                let (c, r) = (i / rows, i % rows);
                values[(c + r) % rows] * (1.0 + c as f64 / 7.0)
            })
            .collect();
        acc.add_tile(&tile, rows, rows).unwrap();
        // A claim holds in at most every run of the chunk.
        for (h, &x) in acc.hits_mut().iter_mut().zip(hits.iter().cycle()) {
            *h = x.min(rows as u64);
        }
        acc
    }

    /// An accumulator read from a damaged file is refused with the reason.
    #[test]
    fn check_finds_what_a_damaged_state_gets_wrong() {
        let claims = Claim::default_set().len();
        for method in [QuantileMethod::Exact, QuantileMethod::Sketch] {
            let plan = RunPlan {
                quantiles: method,
                ..RunPlan::new(3)
            };
            let good = chunk(method, &[1.0, -2.0, 3.5], &[1]);
            assert_eq!(good.check(claims, &plan), Ok(()));
            let fails = |acc: &Accumulator, plan: &RunPlan, expect: &str| {
                let err = acc.check(claims, plan).unwrap_err();
                assert!(err.contains(expect), "{expect}: {err}");
            };
            assert!(good
                .check(claims + 1, &plan)
                .unwrap_err()
                .contains("claim counters"));
            let mut short = good.clone();
            short.moments.pop();
            fails(&short, &plan, "columns");
            let mut miscounted = good.clone();
            miscounted.runs += 1;
            fails(&miscounted, &plan, "4 runs where shard 0/1 has 3");
            let mut nan = good.clone();
            nan.moments[7] = ExactMoments::new(f64::NAN);
            fails(&nan, &plan, "not finite");
            let mut too_many_hits = good.clone();
            too_many_hits.hits[0] = 4;
            fails(&too_many_hits, &plan, "held in 4 of 3 runs");
            let other_shard = RunPlan {
                shard: Shard { index: 1, count: 2 },
                ..RunPlan::new(2856)
            };
            fails(&good, &other_shard, "3 runs where shard 1/2 has 808");
            let wrong_method = RunPlan {
                quantiles: match method {
                    QuantileMethod::Exact => QuantileMethod::Sketch,
                    QuantileMethod::Sketch => QuantileMethod::Exact,
                },
                ..plan
            };
            fails(&good, &wrong_method, "quantile method");
        }
    }

    fn parts() -> impl Strategy<Value = Vec<(Vec<f64>, Vec<u64>)>> {
        prop::collection::vec(
            (
                prop::collection::vec(-1e6f64..1e6, 1..20),
                prop::collection::vec(0u64..20, 1..4),
            ),
            2..6,
        )
    }

    #[test]
    fn a_non_finite_output_is_reported_with_its_row_and_column() {
        let mut acc = Accumulator::new(QuantileMethod::Sketch, 0, &shifts());
        let mut tile = vec![1.0; COLUMNS * 4];
        tile[5 * 4 + 2] = f64::NAN;
        let bad = acc.add_tile(&tile, 4, 4).unwrap_err();
        assert_eq!((bad.row, bad.column), (2, 5));
        assert!(bad.value.is_nan());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Any order and any grouping of merges gives the same summary, to
        /// the bit: counts, sketches and the exact sums behind the moments
        /// all add exactly.
        #[test]
        fn merge_is_associative_and_commutative(parts in parts(), seed in any::<u64>(), exact in any::<bool>()) {
            let method = if exact { QuantileMethod::Exact } else { QuantileMethod::Sketch };
            let chunks: Vec<Accumulator> = parts
                .iter()
                .map(|(v, h)| chunk(method, v, h))
                .collect();
            let claims = Claim::default_set();

            let mut in_order = Accumulator::new(method, claims.len(), &shifts());
            chunks.iter().for_each(|c| in_order.merge(c));

            // A shuffled order, merged as a right-leaning tree.
            let mut order: Vec<usize> = (0..chunks.len()).collect();
            let mut state = seed | 1;
            for i in (1..order.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                order.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let mut tree = chunks[order[order.len() - 1]].clone();
            for &i in order.iter().rev().skip(1) {
                let mut left = chunks[i].clone();
                left.merge(&tree);
                tree = left;
            }
            prop_assert_eq!(in_order.runs(), tree.runs());
            prop_assert_eq!(in_order.summary(&claims), tree.summary(&claims));
        }
    }
}
