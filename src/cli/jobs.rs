//! Plumbing shared by the long-running commands: worker threads, progress,
//! interrupts and the flags that set them.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use nexus_mc::limits;
use nexus_mc::table::number;
use nexus_mc::Progress;

pub(super) fn parse_runs(text: &str) -> std::result::Result<u64, String> {
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

pub(super) fn parse_seed(text: &str) -> std::result::Result<u64, String> {
    text.parse::<u64>().map_err(|_| {
        format!(
            "`{text}` is not a seed: give a whole number from 0 to {}",
            u64::MAX
        )
    })
}

pub(super) fn parse_threads(text: &str) -> std::result::Result<usize, String> {
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

/// Set by Ctrl-C; every command stops within about a second.
pub(super) fn interrupt_flag() -> &'static AtomicBool {
    static FLAG: OnceLock<&'static AtomicBool> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
        // Without a handler Ctrl-C still stops the process, and no output
        // file is complete before the end, so failing here is harmless.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
        flag
    })
}

/// A bar on stderr counting model runs, when stderr is a terminal and not
/// `--quiet`; hidden otherwise. Its length is the total the command
/// announces.
pub(super) struct Bar(ProgressBar);

impl Bar {
    pub(super) fn new(quiet: bool) -> Bar {
        if quiet || !std::io::stderr().is_terminal() {
            return Bar(ProgressBar::hidden());
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {human_pos}/{human_len} runs, {rate} runs/s, ETA {eta}",
            )
            .expect("valid template")
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&number(state.per_sec(), 0));
                },
            )
            .progress_chars("=> "),
        );
        Bar(bar)
    }

    pub(super) fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
        self.0.reset();
    }
    fn advance(&self, done: u64) {
        self.0.inc(done);
    }
}
