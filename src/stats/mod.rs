//! Mergeable statistics: moments, exact quantiles, a bounded-memory
//! quantile sketch, and the confidence intervals of what they estimate.
//!
//! Every accumulator merges: two halves of a sample merged give the same
//! result as the whole, exactly, in any order: counts, sketches and exact
//! quantiles are integers or sets, and [`ExactMoments`] sums in fixed point
//! wide enough for any `f64`.
//!
//! Quantiles follow one definition everywhere: the `q` quantile of `n` values
//! is the value of rank `ceil(q * n)` (at least 1) in ascending order, the
//! inverse of the empirical distribution function (Hyndman and Fan type 1).
//! The sketch returns that same order statistic within its relative error.

mod exact;
mod histogram;
mod interval;
mod quantile;
mod sketch;
mod window;

pub(crate) use exact::MOMENT_LANES;
pub use exact::{ExactMoments, ExactSum};
pub use histogram::Histogram;
pub use interval::{
    mean_interval, quantile_ranks, replicate_interval, replicate_std_error, wilson_interval, LEVEL,
    Z,
};
pub(crate) use quantile::exact_at_ranks;
pub use quantile::{exact_quantiles, rank, Percentile};
pub use sketch::{Bucket, LogSketch};
pub(crate) use window::{RankWindow, WindowedColumn, BOUNDS as SIFT_BOUNDS};
