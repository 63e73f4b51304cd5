//! The start-up integrity check of a SQLite database with providers, started once the catalog
//! is loaded and run beside serving: SQLite's `PRAGMA quick_check` on a connection and thread of
//! its own, its result published to the [`IntegrityGate`] that writes and `/readyz` read (and
//! whose failure stops the server), and the hold through which tests see the server while the
//! check runs.

use std::path::Path;
use std::sync::Arc;

use crate::http::plumbing::integrity::{Integrity, IntegrityGate};
use crate::store::{SqliteStore, StoreError};

/// The integrity check of a SQLite database running on its own thread beside serving, with the
/// database it checks and when it started.
pub(crate) struct PendingCheck {
    thread: std::thread::JoinHandle<Result<(), StoreError>>,
    db: String,
    started: std::time::Instant,
}

impl PendingCheck {
    /// Starts `PRAGMA quick_check` of the SQLite database at `path` on a connection and thread
    /// of its own.
    pub(crate) fn start(path: &Path) -> Self {
        Self {
            thread: SqliteStore::quick_check_concurrently(path),
            db: path.display().to_string(),
            started: std::time::Instant::now(),
        }
    }

    /// Waits for the check on this thread (start-up that failed anyway).
    pub(crate) fn join(self) -> Result<(), StoreError> {
        self.thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    /// Waits for the check off the async threads, holds its result while a test holds it,
    /// then publishes it to `gate`: writes open, or stay refused and the server stops (the
    /// failure logged naming the database and SQLite's findings, and returned).
    pub(crate) async fn publish(
        self,
        hold: Option<tokio::sync::oneshot::Receiver<()>>,
        gate: Arc<IntegrityGate>,
    ) -> Result<(), StoreError> {
        let Self { thread, db, started } = self;
        let joined = tokio::task::spawn_blocking(move || thread.join()).await;
        if let Some(hold) = hold {
            let _ = hold.await;
        }
        match joined {
            Ok(Ok(Ok(()))) => {
                gate.set(Integrity::Passed);
                // From the check's start to writes opening: at least until the server listens,
                // since the result is taken only then.
                let writes_open_after_ms = started.elapsed().as_millis() as u64;
                tracing::info!(db = %db, writes_open_after_ms, "integrity check passed (PRAGMA quick_check); writes open");
                Ok(())
            }
            Ok(Ok(Err(e))) => {
                tracing::error!(
                    db = %db,
                    error = %e,
                    "integrity check failed: writes stay refused; the server stops"
                );
                gate.set(Integrity::Failed(e.to_string()));
                Err(e)
            }
            Ok(Err(panic)) => {
                gate.set(Integrity::Failed("the integrity check panicked".into()));
                std::panic::resume_unwind(panic)
            }
            Err(e) => {
                gate.set(Integrity::Failed("the integrity check panicked".into()));
                std::panic::resume_unwind(e.into_panic())
            }
        }
    }
}

/// Keeps the result of the start-up integrity check from being published (writes stay
/// refused, `/readyz` says `checking`) until it is released or dropped: an in-process seam for
/// tests, which must see the server "while the check runs" without racing a fast check.
#[derive(Debug)]
pub struct CheckHold(tokio::sync::oneshot::Sender<()>);

impl CheckHold {
    /// A hold and the receiving end the check's publication waits on.
    pub(crate) fn new() -> (Self, tokio::sync::oneshot::Receiver<()>) {
        let (release, held) = tokio::sync::oneshot::channel();
        (Self(release), held)
    }

    /// Lets the check's result through (as soon as the check has finished).
    pub fn release(self) {
        let _ = self.0.send(());
    }
}
