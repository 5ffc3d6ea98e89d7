//! The kernels that need hand-written intrinsics, one module per
//! instruction set, each kernel in both: [`avx2`] four lanes at a time,
//! [`avx512`] eight. Each does the portable code's operations in the same
//! order, so every path gives the same bits; the portable code stays beside
//! the data it works on (the tile writer in `engine::tile`, the table
//! draws in `distribution::beta_table`, the moment lanes in `stats::exact`),
//! which dispatches here.
//!
//! Every kernel is a safe `#[target_feature]` function: calling it needs
//! `unsafe` and a [`Supported`](crate::arch::Supported) path that has the
//! features.

pub(crate) mod avx2;
pub(crate) mod avx512;

/// What the table-draw kernels need of a [`BetaTable`](crate::distribution::BetaTable):
/// the nodes of both tails, laid out as (quantile, derivative) pairs, the
/// same number in each.
pub(crate) struct BetaNodes<'a> {
    /// The lower tail's nodes.
    pub lower: &'a [[f64; 2]],
    /// The upper tail's nodes (the lower tail of the mirrored beta).
    pub upper: &'a [[f64; 2]],
}
