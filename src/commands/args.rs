//! The values the commands take, checked as the command line checks its
//! flags, with the same messages: the binary's flag parsers and the Python
//! package both call these.

use crate::limits;
use crate::table::number;

/// A number of runs as the command line takes it: `1000000`,
/// `1_000_000` or `1e6`, from 1 to [`limits::MAX_RUNS`].
///
/// ```
/// use nexus_mc::commands::parse_runs;
/// assert_eq!(parse_runs("1e6"), Ok(1_000_000));
/// assert!(parse_runs("0").is_err() && parse_runs("-5").is_err());
/// ```
pub fn parse_runs(text: &str) -> std::result::Result<u64, String> {
    // Underscores group digits (1_000_000), nothing else.
    if text.starts_with('_') || text.ends_with('_') || text.contains("__") {
        return Err(format!(
            "`{text}` is not a whole number of runs; underscores go between digits, as in 1_000"
        ));
    }
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    let runs = match clean.parse::<u64>() {
        Ok(n) => n,
        Err(_) => match clean.parse::<f64>() {
            Ok(x) if x < 0.0 => {
                return Err(format!(
                    "`{text}` is negative; give a number of runs of at least 1"
                ))
            }
            Ok(x) if x.fract() == 0.0 && x <= limits::MAX_RUNS as f64 => x as u64,
            Ok(x) if x > limits::MAX_RUNS as f64 => u64::MAX,
            _ => {
                return Err(format!(
                    "`{text}` is not a whole number of runs; write it as 1000, 1_000 or 1e3"
                ))
            }
        },
    };
    if runs == 0 {
        return Err("the number of runs must be at least 1".into());
    }
    if runs > limits::MAX_RUNS {
        return Err(format!(
            "`{text}` runs is more than the {} a run may have; split a long study into \
             several seeds or ask for fewer runs",
            number(limits::MAX_RUNS as f64, 0)
        ));
    }
    Ok(runs)
}

/// A seed: a whole number from 0 to `u64::MAX`.
pub fn parse_seed(text: &str) -> std::result::Result<u64, String> {
    text.parse::<u64>().map_err(|_| {
        format!(
            "`{text}` is not a seed: give a whole number from 0 to {}",
            u64::MAX
        )
    })
}

/// Worker threads: 1 to [`limits::MAX_THREADS`].
pub fn parse_threads(text: &str) -> std::result::Result<usize, String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match text.parse::<usize>() {
        Ok(0) => Err("at least 1 thread is needed (leave --threads out to use every core)".into()),
        Ok(n) if n > limits::MAX_THREADS => Err(format!(
            "{n} threads is more than the {} allowed; this machine has {cores} cores, and \
             more threads than cores do not make a run faster (leave --threads out to use \
             every core)",
            limits::MAX_THREADS
        )),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a number of threads")),
    }
}

/// Replicates of an lhs or sobol run: 1 (none) to
/// [`MAX_REPLICATES`](crate::engine::MAX_REPLICATES).
pub fn parse_replicates(text: &str) -> std::result::Result<u64, String> {
    let max = crate::engine::MAX_REPLICATES;
    match text.trim().parse::<u64>() {
        Ok(r) if (1..=max).contains(&r) => Ok(r),
        _ => Err(format!(
            "'{text}' is not a number of replicates: give a whole number from 1 to {max} \
             (16 is usual; 1 means none)"
        )),
    }
}
