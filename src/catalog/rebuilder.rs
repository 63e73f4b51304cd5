//! The one thread that builds every rebuilt base and drops every replaced snapshot. A base
//! is a million small text blocks; an allocator such as mimalloc gives a page back only once
//! the thread that allocated its blocks has seen them all freed. When each rebuild ran on the
//! writing request's thread and the old base was dropped on another, the old blocks waited on
//! idle threads' lists and the server held two bases after an import. On one thread, the base
//! it drops is one it allocated, so its pages are freed as a whole at once.

use std::sync::mpsc::{SendError, Sender, channel};
use std::sync::{Mutex, OnceLock, PoisonError};

type Job = Box<dyn FnOnce() + Send>;

static JOBS: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();

/// Runs `job` on the rebuild thread and returns its result (the caller waits); on the
/// caller's thread if the rebuild thread could not be started.
///
/// # Panics
/// When `job` panics (its message is printed by the rebuild thread).
pub(super) fn run<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = channel();
    let job: Job = Box::new(move || {
        let _ = done.send(job());
    });
    match sender() {
        Some(jobs) => {
            if let Err(SendError(job)) = jobs.lock().unwrap_or_else(PoisonError::into_inner).send(job) {
                job();
            }
        }
        None => job(),
    }
    result.recv().expect("the catalog's rebuild job panicked")
}

/// Drops `value` on the rebuild thread, without waiting.
pub(super) fn drop_there<T: Send + 'static>(value: T) {
    let boxed: Job = Box::new(move || drop(value));
    if let Some(jobs) = sender() {
        // If the thread has gone, the job (and the value) is dropped here instead.
        let _ = jobs.lock().unwrap_or_else(PoisonError::into_inner).send(boxed);
    }
}

fn sender() -> Option<&'static Mutex<Sender<Job>>> {
    if let Some(jobs) = JOBS.get() {
        return Some(jobs);
    }
    let (jobs, incoming) = channel::<Job>();
    let started = std::thread::Builder::new().name("catalog-rebuild".into()).spawn(move || {
        for job in incoming {
            // A panicking job must not take the thread (and every later rebuild) with it.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        }
    });
    started.ok()?;
    Some(JOBS.get_or_init(|| Mutex::new(jobs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread_name() -> Option<String> {
        std::thread::current().name().map(str::to_owned)
    }

    #[test]
    fn jobs_run_on_the_one_rebuild_thread_which_outlives_a_panicking_job() {
        assert_eq!(run(thread_name).as_deref(), Some("catalog-rebuild"));
        let failed = std::panic::catch_unwind(|| run(|| panic!("a job that fails")));
        assert!(failed.is_err(), "the caller sees the job's panic");
        assert_eq!(run(|| (thread_name(), 6 * 7)), (Some("catalog-rebuild".to_owned()), 42), "and the next job runs");
        let (tx, rx) = channel();
        struct Told(Sender<Option<String>>);
        impl Drop for Told {
            fn drop(&mut self) {
                let _ = self.0.send(thread_name());
            }
        }
        drop_there(Told(tx));
        assert_eq!(rx.recv().unwrap().as_deref(), Some("catalog-rebuild"), "dropped there");
    }
}
