//! The C library's maths functions, defined in the program so that every
//! processor and system computes them alike.
//!
//! `f64::exp`, `ln`, `log10`, `ln_1p`, `powf`, `sin` and `cos` call the C
//! library's `exp`, `log`, `log10`, `log1p`, `pow`, `sin` and `cos`, and so
//! do the crates the engine builds on (statrs, for the beta tables' nodes,
//! normal quantiles and intervals). glibc chooses its implementation of
//! several of these by processor when the program loads: one for processors
//! with FMA and another for those without, which differ in the last bit for
//! some arguments. Other C libraries (musl, macOS) differ again. Those last
//! bits reached `bands.csv`: with glibc's functions for processors without
//! FMA, 11 of the 15 output sets pinned by `tests/cli/isa.rs` changed.
//!
//! Defined here, the symbols take every call in the program, its
//! dependencies' included, to the `libm` crate (a Rust port of musl's
//! maths library, pinned in Cargo.toml), which gives the same bits
//! wherever it runs. An executable binds its own definitions first. A
//! shared library (the Python extension) would look them up in the C
//! library loaded before it, so `python/build.rs` links it with
//! `-Bsymbolic-functions`. `.ci/run` checks that the release binary imports
//! none of these functions.

/// `e^x`.
#[no_mangle]
pub extern "C" fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// The natural logarithm.
#[no_mangle]
pub extern "C" fn log(x: f64) -> f64 {
    libm::log(x)
}

/// The base-10 logarithm.
#[no_mangle]
pub extern "C" fn log10(x: f64) -> f64 {
    libm::log10(x)
}

/// `ln(1 + x)`.
#[no_mangle]
pub extern "C" fn log1p(x: f64) -> f64 {
    libm::log1p(x)
}

/// `x^y`.
#[no_mangle]
pub extern "C" fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

/// The sine.
#[no_mangle]
pub extern "C" fn sin(x: f64) -> f64 {
    libm::sin(x)
}

/// The cosine.
#[no_mangle]
pub extern "C" fn cos(x: f64) -> f64 {
    libm::cos(x)
}
