//! What the processor offers beyond the portable build.
//!
//! The hottest loops, [`Model::evaluate`](crate::model::Model::evaluate),
//! [`LogSketch::insert_all`](crate::stats::LogSketch::insert_all) and the
//! sums behind the moments, are compiled twice: once portable, once for
//! AVX-512, chosen at run time with [`has_avx512`]. Both copies give the same
//! bits: Rust neither fuses nor reorders floating-point operations, whatever
//! the instruction set. Writing outputs into the engine's tiles has an
//! AVX-512 path of its own (8 x 8 transposes), which moves the same values,
//! and so have the tabulated beta draws in bulk
//! ([`BetaTable::draw_into`](crate::distribution::BetaTable::draw_into),
//! eight at a time with gathers), in the same order of operations as one draw.

/// Whether this processor runs code compiled with AVX-512 F and VL enabled.
pub(crate) fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
