//! Size limits, checked before anything is allocated.
//!
//! Unattended jobs must be refused with a clear message, not killed by the
//! allocator or left running for days. Every size a user can ask for has a
//! documented ceiling here, and commands estimate the memory a request needs
//! and compare it with what the machine has ([`available_memory`]) before
//! they start.

use std::ops::RangeInclusive;

use crate::table::number;

/// A limit's range as messages write it: "1,000 to 2,000,000".
pub(crate) fn span<T: Copy + TryInto<u64>>(range: &RangeInclusive<T>) -> String {
    let n = |x: T| number(x.try_into().map_or(f64::INFINITY, |x: u64| x as f64), 0);
    format!("{} to {}", n(*range.start()), n(*range.end()))
}

crate::error::input_error! {
    /// A request that would need more memory than this machine can give.
    TooLarge
}

/// Most bytes a scenario file may hold (the shipped ones hold under 30 kB).
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// Most bytes a `manifest.json` may hold (a manifest lists at most a few
/// dozen files).
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// Most bytes an output table read back (by `report`) may hold: far past
/// any table nexus-mc writes.
pub const MAX_TABLE_BYTES: u64 = 1 << 30;

/// Most bytes a shard's `shard-state.bin` may hold: the exact quantiles of
/// the most runs exact mode takes, 1,600 bytes a run, with room to spare.
pub const MAX_STATE_BYTES: u64 = 4 << 30;

/// Coverages a confidence interval may be asked for: past 0.9999 the
/// interval rests on a quantile too far in the tail of a few replicates
/// to mean anything, and as the coverage nears 1 the bound becomes
/// infinite.
pub const CONFIDENCE: RangeInclusive<f64> = 0.5..=0.9999;

/// Most model runs one `run` may ask for (all shards together): 10^12, a
/// week of this engine on a 2-core machine, and far past where the Monte
/// Carlo error of any band stops mattering.
pub const MAX_RUNS: u64 = 1_000_000_000_000;

/// Most worker threads: more threads than cores do not make a run faster.
pub const MAX_THREADS: usize = 1024;

/// Most runs with exact quantiles, which keep every value (1,600 bytes a
/// run): 2,000,000 runs, 3.2 GB. Sketches have no such ceiling.
pub const MAX_EXACT_RUNS: u64 = 2_000_000;

/// `bridge`: runs every subset of steps is evaluated on. Fewer give batches
/// too small for a standard error; more are better spent on more orders.
pub(crate) const BRIDGE_RUNS: RangeInclusive<u64> = 1_000..=2_000_000;

/// `bridge`: sampled orders of the steps (beyond 10 steps).
pub(crate) const BRIDGE_ORDERS: RangeInclusive<usize> = 20..=100_000;

/// `sensitivity`: the Sobol base sample N. Below 256 the S1 and ST of a
/// model with a dozen inputs err by more than about 0.06 (one over the
/// square root of N), the size of the effects worth telling apart; 2^24 is
/// as far as the Sobol sequence goes here.
pub const SOBOL_BASE_RUNS: RangeInclusive<u64> = 256..=(1 << 24);

/// `sensitivity`: independent scrambles behind the Sobol intervals. Fewer
/// leave the interval's standard error resting on a handful of values,
/// more add nothing.
pub(crate) const SOBOL_REPLICATES: RangeInclusive<usize> = 8..=64;

/// `sensitivity`: fewest Sobol points in each scramble.
pub(crate) const MIN_POINTS_PER_REPLICATE: u64 = 16;

/// `sensitivity`: Morris trajectories. With fewer than 10 the spread
/// (sigma) of the elementary effects rests on a handful of values
/// (Saltelli et al. 2008, ch. 3, use 10 to 20).
pub(crate) const MORRIS_TRAJECTORIES: RangeInclusive<usize> = 10..=1_000_000;

/// `sensitivity`: permutations for Shapley effects; fewer than 100 leave
/// each effect's standard error above about 0.05.
pub(crate) const SHAPLEY_PERMUTATIONS: RangeInclusive<usize> = 100..=1_000_000;

/// Share of the available memory a command may plan to use.
const MEMORY_SHARE: f64 = 0.8;

/// Memory this process may still use, in bytes: the smallest of the
/// system's available memory (`MemAvailable` in /proc/meminfo), the room
/// left under a cgroup limit and the room left under an address-space limit
/// (`ulimit -v`). `None` where none can be read.
pub fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map(|kb| kb * 1024)
        });
    let cgroup = || -> Option<u64> {
        let read = |f: &str| std::fs::read_to_string(format!("/sys/fs/cgroup/{f}")).ok();
        let max: u64 = read("memory.max")?.trim().parse().ok()?;
        let used: u64 = read("memory.current")?.trim().parse().ok()?;
        Some(max.saturating_sub(used))
    };
    [meminfo, cgroup(), address_space_left()]
        .into_iter()
        .flatten()
        .min()
}

/// The address-space limit of this process in bytes (`ulimit -v`,
/// `RLIMIT_AS`), if it has one.
pub fn address_space_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes the struct it is given, which lives
        // on this stack frame.
        let failed = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } != 0;
        (!failed && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
    }
    #[cfg(not(unix))]
    None
}

/// What is left of the address-space limit (`ulimit -v`, `RLIMIT_AS`, as
/// batch schedulers set it), if there is one: the limit less the process's
/// present virtual size.
fn address_space_left() -> Option<u64> {
    let limit = address_space_limit()?;
    #[cfg(unix)]
    {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let used_kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmSize:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(limit.saturating_sub(used_kb * 1024))
    }
    #[cfg(not(unix))]
    None
}

/// Bytes for people: "3.2 GB", "79 MB".
pub(crate) fn bytes(n: f64) -> String {
    const UNITS: [&str; 6] = ["bytes", "kB", "MB", "GB", "TB", "PB"];
    let mut x = n;
    let mut unit = 0;
    while x >= 1000.0 && unit + 1 < UNITS.len() {
        x /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{} bytes", number(x, 0))
    } else {
        format!(
            "{} {}",
            number(x, if x < 10.0 { 1 } else { 0 }),
            UNITS[unit]
        )
    }
}

/// Checks that `need` bytes fit in the memory this machine has left.
/// `what` names the request ("`run -n 1e11`") and `instead` says what to do
/// otherwise; both go into the message.
/// True when `need` bytes fit the memory this process may use.
pub(crate) fn fits(need: f64) -> bool {
    check_memory_against(need, available_memory(), "", "").is_ok()
}

pub(crate) fn check_memory(need: f64, what: &str, instead: &str) -> Result<(), TooLarge> {
    check_memory_against(need, available_memory(), what, instead).map_err(TooLarge)
}

fn check_memory_against(
    need: f64,
    available: Option<u64>,
    what: &str,
    instead: &str,
) -> Result<(), String> {
    match available {
        Some(have) if need > MEMORY_SHARE * have as f64 => Err(format!(
            "{what} would need about {} of memory, more than the {:.0} % of the {} this \
             process may use (free memory, and any cgroup or `ulimit -v` limit) that a \
             command plans to take; {instead}",
            bytes(need),
            MEMORY_SHARE * 100.0,
            bytes(have as f64)
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_check_refuses_past_the_share_and_says_what_to_do() {
        let gb = 1_000_000_000;
        assert!(check_memory_against(1e9, Some(2 * gb), "x", "y").is_ok());
        let err = check_memory_against(3e9, Some(2 * gb), "`run -n 9`", "use shards").unwrap_err();
        assert!(err.contains("`run -n 9` would need about 3.0 GB"), "{err}");
        assert!(
            err.contains("more than the 80 % of the 2.0 GB this process may use")
                && err.ends_with("; use shards"),
            "{err}"
        );
        // Unknown memory: only the documented ceilings apply.
        assert!(check_memory_against(1e30, None, "x", "y").is_ok());
    }

    #[test]
    fn this_machine_reports_some_memory() {
        if cfg!(target_os = "linux") {
            assert!(available_memory().is_some_and(|m| m > 0));
        }
    }

    #[test]
    fn bytes_read_naturally() {
        assert_eq!(bytes(512.0), "512 bytes");
        assert_eq!(bytes(79e6), "79 MB");
        assert_eq!(bytes(3.2e9), "3.2 GB");
    }
}
