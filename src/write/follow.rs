//! Following the store's change feed: the task `serve` runs beside the HTTP server so that
//! changes committed by *other* writers of the same store (other servers on one PostgreSQL,
//! a command writing the SQLite file) reach this server's catalog.
//!
//! It is woken by [`Feed::wake`] (a listener calls `notify_one` on each notification; none
//! exists on SQLite) and polls every `--feed-poll-ms` anyway, because notifications sent
//! while a listener is disconnected are lost. Each round asks the store for its last seq and
//! catches up through the write door ([`Door::catch_up`]), whose lock also serialises the
//! door's own publishing, so no seq is applied twice or out of order. A store failure is
//! logged (the first, then at most once a minute while it lasts, and the recovery) and the
//! round is tried again at the next tick; reads go on answering from memory meanwhile.
//!
//! [`Feed`] keeps what `/readyz` and `/metrics` report: the store's last seq as last seen,
//! when the catalog was last seen caught up, the age of the oldest change not yet applied,
//! and the listener's reconnects.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::Notify;

use super::Door;
use crate::catalog::Catalog;
use crate::store::{Store, StoreError};

/// Default of `--feed-poll-ms`.
pub const DEFAULT_POLL_MS: u64 = 2000;
/// Default of `--ready-max-lag-s`.
pub const DEFAULT_READY_MAX_LAG_S: u64 = 10;
/// While the store keeps failing, its failure is logged at most this often.
const FAILURE_LOG_EVERY: Duration = Duration::from_secs(60);

/// What the follower knows about the feed, shared with the HTTP layer.
#[derive(Debug)]
pub struct Feed {
    /// Wakes the follower at once (a notification of a new seq); a wake while it is busy is
    /// kept for its next wait.
    pub wake: Arc<Notify>,
    /// Reconnections of the store's notification listener (0 on SQLite, which has none).
    pub reconnects: Arc<AtomicU64>,
    seen: Mutex<Seen>,
}

#[derive(Debug)]
struct Seen {
    /// The store's last seq, as last read.
    store_last_seq: i64,
    /// When the catalog was last seen holding every change the store had.
    caught_up_at: Instant,
    /// When the oldest change not yet applied was committed (`changed_at`), when known.
    oldest_unapplied_at: Option<SystemTime>,
    /// The store failure of the last round, while rounds fail.
    failure: Option<String>,
}

/// The feed as reported at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedStatus {
    /// The store's last seq as last seen (at least the applied seq).
    pub last_seq: i64,
    /// The seq the catalog has applied.
    pub applied_seq: i64,
    /// Changes committed to the store and not yet applied (as last seen).
    pub lag_changes: i64,
    /// Age of the oldest change not yet applied, seconds; 0 when none is missing.
    pub lag_seconds: f64,
    /// Time since the catalog was last seen caught up with the store.
    pub since_caught_up: Duration,
    /// The store failure of the last round, while rounds fail.
    pub failure: Option<String>,
}

impl Feed {
    /// The feed of a catalog just loaded from a snapshot at `loaded_seq` (the store's last
    /// then, so it is caught up now).
    pub fn new(loaded_seq: i64) -> Self {
        Self {
            wake: Arc::new(Notify::new()),
            reconnects: Arc::new(AtomicU64::new(0)),
            seen: Mutex::new(Seen {
                store_last_seq: loaded_seq,
                caught_up_at: Instant::now(),
                oldest_unapplied_at: None,
                failure: None,
            }),
        }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The feed now, for a catalog at `applied_seq`.
    pub fn status(&self, applied_seq: i64) -> FeedStatus {
        let seen = self.seen();
        let last_seq = seen.store_last_seq.max(applied_seq);
        let lag_changes = last_seq - applied_seq;
        let since_caught_up = seen.caught_up_at.elapsed();
        let lag_seconds = if lag_changes == 0 {
            0.0
        } else {
            // Every change committed before the catalog was last caught up is applied, so
            // that time bounds the age of the oldest missing one when its own is unknown.
            seen.oldest_unapplied_at
                .and_then(|at| SystemTime::now().duration_since(at).ok())
                .map_or(since_caught_up, |age| age.min(since_caught_up))
                .as_secs_f64()
        };
        FeedStatus { last_seq, applied_seq, lag_changes, lag_seconds, since_caught_up, failure: seen.failure.clone() }
    }

    /// Whether a catalog at `applied_seq` counts as ready: it was seen holding the store's
    /// last seq within `max_lag`, or the store cannot be reached now and the catalog holds
    /// every change it last saw there. The error is the reason, in a sentence.
    ///
    /// Why an unreachable store alone does not make a server unready: it is unreachable for
    /// every server at once, and reads must keep answering from memory meanwhile (writes get
    /// 503). A load balancer that obeys `/readyz` would otherwise take every server out and
    /// stop the reads too. A server known to miss changes is still unready past the bound.
    ///
    /// # Errors
    /// The reason it is not ready.
    pub fn ready(&self, applied_seq: i64, max_lag: Duration) -> Result<(), String> {
        let status = self.status(applied_seq);
        if status.since_caught_up <= max_lag || (status.failure.is_some() && status.lag_changes == 0) {
            return Ok(());
        }
        Err(format!(
            "the catalog has not been seen caught up with the store for {} s (bound {} s): applied seq {}, \
             store's last seq seen {}{}",
            status.since_caught_up.as_secs(),
            max_lag.as_secs(),
            status.applied_seq,
            status.last_seq,
            status.failure.map(|f| format!("; the store fails: {f}")).unwrap_or_default()
        ))
    }

    /// Reconnections of the store's notification listener so far.
    pub fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }

    fn saw_store_at(&self, last_seq: i64, oldest_unapplied_at: Option<SystemTime>) {
        let mut seen = self.seen();
        seen.store_last_seq = seen.store_last_seq.max(last_seq);
        if oldest_unapplied_at.is_some() {
            seen.oldest_unapplied_at = oldest_unapplied_at;
        }
    }

    fn caught_up(&self, seq: i64) {
        let mut seen = self.seen();
        seen.store_last_seq = seen.store_last_seq.max(seq);
        seen.caught_up_at = Instant::now();
        seen.oldest_unapplied_at = None;
        seen.failure = None;
    }

    fn failed(&self, e: &StoreError) {
        self.seen().failure = Some(e.to_string());
    }
}

/// The follower of one server: what it reads, where it publishes, how often it polls.
pub struct Follower {
    /// The store whose feed is followed.
    pub store: Arc<dyn Store>,
    /// The server's write door (catches the catalog up, under the lock its writes take).
    pub door: Arc<Door>,
    /// The catalog being served.
    pub catalog: Arc<Catalog>,
    /// What the follower reports.
    pub feed: Arc<Feed>,
    /// Time between polls when no wake comes.
    pub poll: Duration,
}

impl Follower {
    /// One round: read the store's last seq; when the catalog lacks changes, note when the
    /// oldest missing one was made and catch the catalog up. Blocking.
    ///
    /// A catalog holding the last seq is caught up without taking the door's lock, so a long
    /// import of this server (which holds the lock from its diff to its publish) does not
    /// make it look behind.
    fn round(&self) -> Result<i64, StoreError> {
        let last = self.store.last_seq()?;
        let applied = self.catalog.applied_seq();
        if applied >= last {
            self.feed.caught_up(applied);
            return Ok(applied);
        }
        let oldest = self.store.changes_since(applied, 1)?.first().and_then(|e| parse_time(&e.changed_at));
        self.feed.saw_store_at(last, oldest);
        let now = self.door.catch_up()?;
        self.feed.caught_up(now);
        Ok(now)
    }

    /// Follows the feed until the task is dropped: a round now, then one after each wake or
    /// poll interval, whichever comes first.
    pub async fn run(self) {
        let this = Arc::new(self);
        let mut failures = FailureLog::default();
        loop {
            let round = this.clone();
            match tokio::task::spawn_blocking(move || round.round()).await {
                Ok(Ok(seq)) => failures.recovered(seq),
                Ok(Err(e)) => {
                    this.feed.failed(&e);
                    failures.failed(&e);
                }
                Err(e) => tracing::error!(error = %e, "a round of following the change feed panicked"),
            }
            tokio::select! {
                () = this.feed.wake.notified() => {}
                () = tokio::time::sleep(this.poll) => {}
            }
        }
    }
}

/// Logs store failures of the follower without flooding: the first, then at most one a
/// [`FAILURE_LOG_EVERY`] with the count, then the recovery.
#[derive(Debug, Default)]
struct FailureLog {
    failures: u64,
    logged_at: Option<Instant>,
}

impl FailureLog {
    fn failed(&mut self, e: &StoreError) {
        self.failures += 1;
        if self.logged_at.is_none_or(|at| at.elapsed() >= FAILURE_LOG_EVERY) {
            tracing::warn!(
                error = %e,
                failures = self.failures,
                "cannot follow the store's change feed; reads answer from memory; retrying at each poll"
            );
            self.logged_at = Some(Instant::now());
        }
    }

    fn recovered(&mut self, seq: i64) {
        if self.failures > 0 {
            tracing::info!(failures = self.failures, seq, "the store answers again; the catalog has caught up");
            *self = Self::default();
        }
    }
}

/// An RFC 3339 time as the store keeps it.
fn parse_time(s: &str) -> Option<SystemTime> {
    let at = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    Some(SystemTime::from(at))
}

#[cfg(test)]
mod tests;
