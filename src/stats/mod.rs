//! Mergeable statistics: moments, exact quantiles and a bounded-memory
//! quantile sketch.
//!
//! Every accumulator merges: two halves of a sample merged give the same
//! result as the whole (exactly for counts, sketches and exact quantiles; to
//! floating-point rounding for moments, which is why the engine always merges
//! moments in chunk order).
//!
//! Quantiles follow one definition everywhere: the `q` quantile of `n` values
//! is the value of rank `ceil(q * n)` (at least 1) in ascending order, the
//! inverse of the empirical distribution function (Hyndman and Fan type 1).
//! The sketch returns that same order statistic within its relative error.

mod histogram;
mod moments;
mod quantile;
mod sketch;

pub use histogram::Histogram;
pub use moments::Moments;
pub use quantile::{exact_quantiles, rank, Percentile};
pub use sketch::LogSketch;
