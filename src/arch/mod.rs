//! Instruction sets: which builds of the hot loops this processor runs, and
//! the choice of one for the whole process.
//!
//! Every hot loop has one source, compiled for each [`Isa`] and chosen at run
//! time. Loops that are the same code compiled again go through
//! a `multiversion!` macro; the few that need
//! hand-written intrinsics live in `arch::x86_64`'s `avx2` and `avx512`
//! modules, each beside the other. All paths give the same bits: Rust never
//! fuses or reorders floating-point operations, whatever the instruction
//! set, and the intrinsic kernels do the operations of the portable code in
//! the same order (tests compare every path bit for bit).
//!
//! The environment variable [`ISA_VAR`] (`NEXUS_MC_ISA=portable|avx2|avx512`)
//! forces a path; asking for one the processor lacks is an error.
//!
//! ```
//! use nexus_mc::arch::Isa;
//!
//! // The portable path runs everywhere.
//! assert!(Isa::Portable.is_available());
//! assert!(Isa::best() >= Isa::Portable);
//! assert_eq!("avx2".parse::<Isa>(), Ok(Isa::Avx2));
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

#[cfg(target_arch = "x86_64")]
pub(crate) mod x86_64;

/// The environment variable that forces an instruction set.
pub const ISA_VAR: &str = "NEXUS_MC_ISA";

/// A build of the hot loops, from the portable baseline up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// The target's baseline (SSE2 on x86-64); the only path elsewhere.
    Portable,
    /// x86-64 with AVX2 and FMA (Haswell, Zen and later).
    Avx2,
    /// x86-64 with AVX-512 F, VL and DQ (and AVX2 and FMA): every processor
    /// with AVX-512 since 2017 but the Xeon Phi.
    Avx512,
}

impl Isa {
    /// Every path, portable first.
    pub const ALL: [Isa; 3] = [Isa::Portable, Isa::Avx2, Isa::Avx512];

    /// The name used by [`ISA_VAR`] and in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// Whether this processor runs the path.
    pub fn is_available(self) -> bool {
        match self {
            Isa::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                Isa::Avx2.is_available()
                    && std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                    && std::arch::is_x86_feature_detected!("avx512dq")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx2 | Isa::Avx512 => false,
        }
    }

    /// The fastest path this processor runs.
    pub fn best() -> Isa {
        Isa::best_of(Isa::is_available)
    }

    /// The widest path `available` admits (portable at least).
    fn best_of(available: impl Fn(Isa) -> bool) -> Isa {
        Isa::ALL
            .into_iter()
            .rev()
            .find(|&isa| available(isa))
            .unwrap_or(Isa::Portable)
    }

    /// The path this process uses: [`ISA_VAR`] where set (and not empty),
    /// [`Isa::best`] otherwise. Read once; an error if the variable names no path or one
    /// this processor lacks.
    pub fn selected() -> Result<Isa, IsaError> {
        static SELECTED: OnceLock<Result<Isa, IsaError>> = OnceLock::new();
        SELECTED
            .get_or_init(|| match std::env::var(ISA_VAR) {
                Err(std::env::VarError::NotPresent) => Ok(Isa::best()),
                Ok(name) if name.is_empty() => Ok(Isa::best()),
                Err(std::env::VarError::NotUnicode(_)) => {
                    Err(IsaError::Unknown("(not UTF-8)".into()))
                }
                Ok(name) => Isa::choose(&name, Isa::is_available),
            })
            .clone()
    }

    /// The path `name` asks for, if `available` says the processor has it.
    fn choose(name: &str, available: impl Fn(Isa) -> bool) -> Result<Isa, IsaError> {
        let asked: Isa = name.parse()?;
        if available(asked) {
            Ok(asked)
        } else {
            Err(IsaError::Unavailable {
                asked,
                best: Isa::best_of(available),
            })
        }
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Isa {
    type Err = IsaError;
    fn from_str(s: &str) -> Result<Isa, IsaError> {
        Isa::ALL
            .into_iter()
            .find(|isa| isa.name() == s)
            .ok_or_else(|| IsaError::Unknown(s.into()))
    }
}

/// Why [`ISA_VAR`] was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IsaError {
    /// The variable names no path.
    #[error("{ISA_VAR}={0} names no instruction set: use portable, avx2 or avx512, or unset it")]
    Unknown(String),
    /// The processor lacks the path asked for.
    #[error(
        "{ISA_VAR}={asked}: this processor does not have {asked}; the most it runs is {best} \
         (set {ISA_VAR}={best} or lower, or unset it)"
    )]
    Unavailable {
        /// The path asked for.
        asked: Isa,
        /// The best path this processor has.
        best: Isa,
    },
}

/// A path this processor is known to run: the only way to reach a
/// multiversioned kernel, so that no kernel runs instructions the processor
/// lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Supported(Isa);

impl Supported {
    /// `isa`, if this processor runs it.
    pub(crate) fn new(isa: Isa) -> Option<Supported> {
        isa.is_available().then_some(Supported(isa))
    }

    /// The path of this process ([`Isa::selected`]; [`Isa::best`] if the
    /// variable was refused, which every command checks first).
    pub(crate) fn current() -> Supported {
        static CURRENT: OnceLock<Supported> = OnceLock::new();
        *CURRENT.get_or_init(|| {
            let isa = Isa::selected().unwrap_or_else(|_| Isa::best());
            Supported::new(isa).unwrap_or(Supported(Isa::Portable))
        })
    }

    /// The instruction set.
    pub(crate) fn isa(self) -> Isa {
        self.0
    }
}

/// Defines `fn $name(isa: Supported, args..) -> R`, which runs `$body` (an
/// `#[inline(always)]` function taking `args..`) compiled for `isa`: the
/// body is inlined into one copy per instruction set.
macro_rules! multiversion {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?
        = $body:path;) => {
        $(#[$attr])*
        #[inline]
        $vis fn $name(isa: $crate::arch::Supported, $($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            match isa.isa() {
                $crate::arch::Isa::Avx512 => {
                    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx2,fma")]
                    fn avx512($($arg: $ty),*) $(-> $ret)? {
                        $body($($arg),*)
                    }
                    // SAFETY: a `Supported` is made only for a path the
                    // processor runs, here AVX-512 F, VL and DQ, AVX2 and FMA.
                    return unsafe { avx512($($arg),*) };
                }
                $crate::arch::Isa::Avx2 => {
                    #[target_feature(enable = "avx2,fma")]
                    fn avx2($($arg: $ty),*) $(-> $ret)? {
                        $body($($arg),*)
                    }
                    // SAFETY: a `Supported` is made only for a path the
                    // processor runs, here AVX2 and FMA.
                    return unsafe { avx2($($arg),*) };
                }
                $crate::arch::Isa::Portable => {}
            }
            #[cfg(not(target_arch = "x86_64"))]
            let _ = isa;
            $body($($arg),*)
        }
    };
}
pub(crate) use multiversion;

/// Asks the processor to bring the first [`PREFETCH_BYTES`] of `data` into
/// its caches, so that a loop about to touch them at random does not wait
/// for each line in turn. A hint only: no effect on any result, and nothing
/// at all on targets without the instruction.
#[inline]
pub(crate) fn prefetch<T>(data: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let bytes = std::mem::size_of_val(data).min(PREFETCH_BYTES);
        let start = data.as_ptr().cast::<i8>();
        for offset in (0..bytes).step_by(64) {
            // SAFETY: `offset` is inside `data`, and a prefetch neither
            // faults nor changes memory.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.add(offset)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// The most [`prefetch`] asks for at once: a quarter of a typical
/// first-level data cache.
pub(crate) const PREFETCH_BYTES: usize = 8 << 10;

/// Every path this processor runs, for tests that compare them bit for bit;
/// the paths it lacks are said on stderr (outside the test harness's
/// capture, so they show in `cargo test`'s output).
#[cfg(test)]
pub(crate) fn testable(test: &str) -> Vec<Supported> {
    use std::io::Write;
    let missing: Vec<&str> = Isa::ALL
        .into_iter()
        .filter(|isa| !isa.is_available())
        .map(Isa::name)
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            std::io::stderr(),
            "note: {test}: not compared on this processor, which lacks them: {}",
            missing.join(", ")
        );
    }
    Isa::ALL.into_iter().filter_map(Supported::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order_by_width() {
        for isa in Isa::ALL {
            assert_eq!(isa.name().parse::<Isa>(), Ok(isa));
        }
        assert!(Isa::Portable < Isa::Avx2 && Isa::Avx2 < Isa::Avx512);
        assert!(matches!("sse2".parse::<Isa>(), Err(IsaError::Unknown(_))));
        // A processor with AVX-512 has AVX2.
        if Isa::Avx512.is_available() {
            assert!(Isa::Avx2.is_available());
        }
        assert!(Isa::best().is_available());
    }

    /// A path the processor lacks is refused, naming the best it has; a
    /// name that is no path is refused, listing the names.
    #[test]
    fn choosing_refuses_what_the_processor_lacks() {
        let avx2_only = |isa: Isa| isa != Isa::Avx512;
        assert_eq!(Isa::choose("avx2", avx2_only), Ok(Isa::Avx2));
        assert_eq!(Isa::choose("portable", avx2_only), Ok(Isa::Portable));
        let refused = Isa::choose("avx512", avx2_only).unwrap_err();
        assert_eq!(
            refused,
            IsaError::Unavailable {
                asked: Isa::Avx512,
                best: Isa::Avx2
            }
        );
        let message = refused.to_string();
        assert!(message.contains("does not have avx512") && message.contains("NEXUS_MC_ISA=avx2"));
        let unknown = Isa::choose("AVX2", |_| true).unwrap_err().to_string();
        assert!(
            unknown.contains("use portable, avx2 or avx512"),
            "{unknown}"
        );
    }

    #[test]
    fn supported_only_for_available_paths() {
        for isa in Isa::ALL {
            assert_eq!(Supported::new(isa).is_some(), isa.is_available());
        }
    }
}
