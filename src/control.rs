//! What a caller controls while a command works: cancellation, progress
//! and worker threads, shared by every entry in [`crate::commands`] and by
//! [`crate::Engine::run`].

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// Receives progress: the amount of work once, then what finishes, from any
/// thread. Units are model runs (for `bridge`, subsets of steps valued;
/// for `merge`, shard directories read).
///
/// Any `Fn(u64) + Sync` closure is a `Progress` that counts what finishes.
pub trait Progress: Sync {
    /// The work about to be done, before any of it is.
    fn start(&self, _total: u64) {}
    /// `done` more units finished.
    fn advance(&self, done: u64);
}

impl<F: Fn(u64) + Sync> Progress for F {
    fn advance(&self, done: u64) {
        self(done)
    }
}

/// Hooks a caller may give a command.
///
/// ```
/// use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
/// use nexus_mc::{Control, Engine, RunPlan, Scenario};
///
/// let cancel = AtomicBool::new(false);
/// let done = AtomicU64::new(0);
/// let count = |n: u64| {
///     done.fetch_add(n, Ordering::Relaxed);
/// };
/// let control = Control { cancel: Some(&cancel), progress: Some(&count), threads: None };
/// let scenario = Scenario::load("central").unwrap();
/// let engine = Engine::new(&scenario, RunPlan::new(5_000)).unwrap();
/// engine.run(&control).unwrap();
/// assert_eq!(done.load(Ordering::Relaxed), 5_000);
/// ```
#[derive(Clone, Copy, Default)]
pub struct Control<'a> {
    /// When set to true, the command stops within about a second and
    /// returns [`Error::Interrupted`] (the engine's own error says
    /// `Interrupted` too), writing nothing.
    pub cancel: Option<&'a AtomicBool>,
    /// Told the amount of work, then what finishes.
    pub progress: Option<&'a dyn Progress>,
    /// Worker threads for the command entries [default: one per core]. The
    /// engine itself runs on the rayon pool it is called from. Results
    /// never depend on it.
    pub threads: Option<usize>,
}

/// The payload a cancelled computation unwinds with, out of code that
/// returns no error (the sensitivity methods), up to [`Control::guard`].
struct Cancelled;

impl Control<'_> {
    /// Whether the caller asked to stop.
    pub fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// Announces `total` units of work.
    pub(crate) fn start(&self, total: u64) {
        if let Some(p) = self.progress {
            p.start(total);
        }
    }

    /// Reports `done` units finished.
    pub(crate) fn advance(&self, done: u64) {
        if let Some(p) = self.progress {
            p.advance(done);
        }
    }

    /// Reports `done` units finished and, if the caller asked to stop,
    /// abandons the computation: it unwinds (silently, no panic message)
    /// to the enclosing [`Control::guard`], which returns
    /// [`Error::Interrupted`]. Only for code inside `guard`.
    pub(crate) fn tick(&self, done: u64) {
        self.advance(done);
        if self.cancelled() {
            std::panic::resume_unwind(Box::new(Cancelled));
        }
    }

    /// An error if the caller asked to stop.
    pub fn check(&self) -> Result<()> {
        if self.cancelled() {
            Err(Error::Interrupted)
        } else {
            Ok(())
        }
    }

    /// Runs `f` on a pool of [`Control::threads`] workers, turning a
    /// cancellation by [`Control::tick`] into [`Error::Interrupted`] and a
    /// panic in any worker into [`Error::Failed`] instead of a crash.
    pub(crate) fn guard<T: Send>(&self, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
        let mut builder = rayon::ThreadPoolBuilder::new();
        if let Some(n) = self.threads {
            builder = builder.num_threads(n);
        }
        let pool = builder
            .build()
            .map_err(|e| Error::Failed(format!("cannot start worker threads: {e}")))?;
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| pool.install(f)));
        match outcome {
            Ok(result) => {
                self.check()?;
                result
            }
            Err(payload) if payload.is::<Cancelled>() => Err(Error::Interrupted),
            Err(payload) => {
                let why = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown cause".into());
                Err(Error::Failed(format!(
                    "a worker thread failed ({why}); no outputs were written"
                )))
            }
        }
    }

    /// The worker threads [`Control::guard`] runs on.
    pub(crate) fn thread_count(&self) -> usize {
        self.threads.unwrap_or_else(rayon::current_num_threads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_after_cancelling_unwinds_to_the_guard_as_interrupted() {
        let cancel = AtomicBool::new(false);
        let control = Control {
            cancel: Some(&cancel),
            threads: Some(2),
            ..Control::default()
        };
        let finished = control.guard(|| {
            use rayon::prelude::*;
            (0..1000u64).into_par_iter().for_each(|i| {
                if i == 10 {
                    cancel.store(true, Ordering::Relaxed);
                }
                control.tick(1);
            });
            Ok(())
        });
        assert!(matches!(finished, Err(Error::Interrupted)));
    }

    #[test]
    fn a_worker_panic_becomes_a_failure_with_its_message() {
        let control = Control::default();
        let r: Result<()> = control.guard(|| panic!("boom"));
        assert!(matches!(r, Err(Error::Failed(why)) if why.contains("boom")));
    }

    #[test]
    fn progress_hears_the_total_then_the_work() {
        use std::sync::atomic::AtomicU64;
        struct Count(AtomicU64, AtomicU64);
        impl Progress for Count {
            fn start(&self, total: u64) {
                self.0.store(total, Ordering::Relaxed);
            }
            fn advance(&self, done: u64) {
                self.1.fetch_add(done, Ordering::Relaxed);
            }
        }
        let count = Count(AtomicU64::new(0), AtomicU64::new(0));
        let control = Control {
            progress: Some(&count),
            ..Control::default()
        };
        control.start(7);
        control.advance(3);
        control.advance(4);
        assert_eq!(count.0.load(Ordering::Relaxed), 7);
        assert_eq!(count.1.load(Ordering::Relaxed), 7);
    }
}
