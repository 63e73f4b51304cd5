//! Limits that keep the server answering under load:
//! - a cap on requests handled at once, with load shedding (503 + `Retry-After` at once,
//!   never an unbounded queue), and a deadline per request (503);
//! - request bodies read in full *before* a request takes its place among those handled, under
//!   a short deadline of their own (`--body-timeout-s`) and with a separate budget of the same
//!   size: clients that trickle their bodies can fill only that budget, never the places of the
//!   requests that are ready to be answered;
//! - heavy read queries (lists, polygon searches) run on the blocking pool, at most
//!   `--heavy-queries` at once, and are ended at the deadline by a [`Stop`] checked inside the
//!   index walk, so the work really stops instead of running on unseen.
//!
//! Body size limits are per route ([`axum::extract::DefaultBodyLimit`], 1 MiB by default,
//! larger on the import route); query length, polygon vertices and parts are capped where they
//! are parsed ([`crate::http::plumbing::params::MAX_QUERY_BYTES`], [`crate::domain::MAX_POLYGON_VERTICES`],
//! [`crate::domain::MAX_POLYGON_PARTS`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tokio::sync::Semaphore;

use crate::domain::FieldError;
use crate::spatial::index::{Stop, Stopped};

use crate::http::error::ApiError;
use crate::http::plumbing::body::MAX_BODY_BYTES;
use crate::http::plumbing::metrics::Metrics;

/// Paths that are never shed or timed out: an orchestrator must be able to tell an
/// overloaded server from a dead one.
pub const EXEMPT_PATHS: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Imports of national files legitimately run for minutes (a 1 M-row CSV takes about 40 s on
/// two cores), so their route gets this deadline instead of the general request timeout. Its
/// body is read by the handler after the bearer token is checked (an upload may take minutes;
/// a client without a token is answered 401 before any of it is read).
pub const IMPORT_PATH: &str = "/api/admin/imports";
/// Deadline of an import request.
pub const IMPORT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Seconds a shed client is asked to wait (`Retry-After`).
pub const SHED_RETRY_AFTER_S: u64 = 1;

/// The load limits of a running server, shared by every request.
#[derive(Debug)]
pub struct Limits {
    permits: Arc<Semaphore>,
    body_reads: Arc<Semaphore>,
    heavy: Arc<Semaphore>,
    max_concurrent: usize,
    request_timeout: Duration,
    body_timeout: Duration,
    metrics: Arc<Metrics>,
}

impl Limits {
    /// At most `max_concurrent` requests in handlers at once (at least 1), each given
    /// `request_timeout`; as many bodies being read, each within `body_timeout` (and the
    /// request timeout); `heavy_queries` heavy queries at once (at least 1). Sheds and
    /// timeouts are counted in `metrics`.
    pub fn new(
        max_concurrent: usize,
        request_timeout: Duration,
        body_timeout: Duration,
        heavy_queries: usize,
        metrics: Arc<Metrics>,
    ) -> Self {
        let max_concurrent = max_concurrent.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent)),
            body_reads: Arc::new(Semaphore::new(max_concurrent)),
            heavy: Arc::new(Semaphore::new(heavy_queries.clamp(1, Semaphore::MAX_PERMITS))),
            max_concurrent,
            request_timeout,
            body_timeout: body_timeout.min(request_timeout),
            metrics,
        }
    }

    /// The configured cap.
    pub fn max_concurrent(&self) -> usize {
        self.max_concurrent
    }

    /// Requests being handled or having their bodies read now (exempt paths not counted).
    pub fn in_flight(&self) -> usize {
        2 * self.max_concurrent - self.permits.available_permits() - self.body_reads.available_permits()
    }

    /// Whether every place for a request is taken, so the API sheds whatever comes next
    /// (readiness reports this).
    pub fn saturated(&self) -> bool {
        self.permits.available_permits() == 0
    }

    /// Runs a heavy read query on the blocking pool, at most `--heavy-queries` at once (a
    /// query waits for its turn within the request's deadline). `work` gets a [`Stop`] that
    /// fires at the deadline or when the request is dropped (the client went away, or the
    /// request timed out), and should give up with [`Stopped`] then.
    ///
    /// # Errors
    /// [`ApiError::Timeout`] when the deadline passed first; [`ApiError::Internal`] when the
    /// work panicked.
    pub async fn run_heavy<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Stop) -> Result<T, Stopped> + Send + 'static,
    ) -> Result<T, ApiError> {
        let deadline = Instant::now() + self.request_timeout;
        let timed_out = || {
            self.metrics.record_timeout();
            ApiError::Timeout { after_s: self.request_timeout.as_secs() }
        };
        let permit = match tokio::time::timeout_at(deadline.into(), self.heavy.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(closed)) => return Err(ApiError::Internal(closed.to_string())),
            Err(_) => return Err(timed_out()),
        };
        let cancelled = Arc::new(AtomicBool::new(false));
        let _cancel_on_drop = CancelOnDrop(cancelled.clone());
        let stop = Stop::new(deadline, cancelled);
        let done = tokio::task::spawn_blocking(move || {
            // The permit goes with the work: it is free again only when the work has stopped.
            let _permit = permit;
            work(&stop)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("query task: {e}")))?;
        done.map_err(|Stopped| timed_out())
    }
}

/// Raises the flag when dropped: the request future was dropped before the work ended.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Whether a request says it has a body.
fn has_body(request: &Request) -> bool {
    let headers = request.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().parse::<u64>().map_or(true, |n| n > 0))
}

/// Reads the whole body (at most [`MAX_BODY_BYTES`]) within `deadline`, and hands the request
/// on with the body in memory.
async fn read_body(limits: &Limits, request: Request) -> Result<Request, ApiError> {
    let announced = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
    }
    let (parts, body) = request.into_parts();
    let read = Limited::new(body, MAX_BODY_BYTES).collect();
    match tokio::time::timeout(limits.body_timeout, read).await {
        Ok(Ok(collected)) => Ok(Request::from_parts(parts, Body::from(collected.to_bytes()))),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES)),
        Ok(Err(e)) => Err(ApiError::InvalidBody {
            status: StatusCode::BAD_REQUEST,
            errors: vec![FieldError::new("body", format!("the body could not be read: {e}"))],
        }),
        Err(_) => {
            limits.metrics.record_timeout();
            Err(ApiError::Timeout { after_s: limits.body_timeout.as_secs() })
        }
    }
}

fn shed(limits: &Limits) -> Response {
    limits.metrics.record_shed();
    ApiError::Overloaded { retry_after_s: SHED_RETRY_AFTER_S }.into_response()
}

/// Middleware: reads the body first (within the body deadline, in the body budget, shed at
/// once when that is full), then takes a permit for the request or answers 503 at once, then
/// runs the request under the deadline. The permit is held until the handler has produced its
/// response (the body of every response is built in memory, so that is when the work is done).
pub async fn limit(State(limits): State<Arc<Limits>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if EXEMPT_PATHS.contains(&path) {
        return next.run(request).await;
    }
    let is_import = path == IMPORT_PATH;
    let request = if !is_import && has_body(&request) {
        let Ok(_reading) = limits.body_reads.clone().try_acquire_owned() else {
            return shed(&limits);
        };
        match read_body(&limits, request).await {
            Ok(request) => request,
            Err(e) => return e.into_response(),
        }
    } else {
        request
    };
    let Ok(_permit) = limits.permits.clone().try_acquire_owned() else {
        return shed(&limits);
    };
    let deadline = if is_import { limits.request_timeout.max(IMPORT_TIMEOUT) } else { limits.request_timeout };
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            limits.metrics.record_timeout();
            ApiError::Timeout { after_s: deadline.as_secs() }.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max: usize) -> Limits {
        Limits::new(max, Duration::from_secs(1), Duration::from_secs(1), 1, Arc::new(Metrics::new()))
    }

    #[test]
    fn in_flight_counts_taken_permits_and_bodies_being_read() {
        let limits = limits(3);
        let a = limits.permits.clone().try_acquire_owned().unwrap();
        assert_eq!(limits.in_flight(), 1);
        let b = limits.body_reads.clone().try_acquire_owned().unwrap();
        assert_eq!(limits.in_flight(), 2);
        drop((a, b));
        assert_eq!(limits.in_flight(), 0);
        assert_eq!(
            Limits::new(0, Duration::from_secs(1), Duration::from_secs(1), 0, Arc::new(Metrics::new()))
                .max_concurrent(),
            1
        );
    }

    #[test]
    fn the_api_is_saturated_when_every_permit_is_taken() {
        let limits = limits(1);
        assert!(!limits.saturated());
        let _held = limits.permits.clone().try_acquire_owned().unwrap();
        assert!(limits.saturated());
    }

    #[tokio::test]
    async fn a_heavy_query_past_its_deadline_is_stopped_and_answered_503() {
        let limits = limits(1);
        let stopped = limits
            .run_heavy(|stop| {
                // Works until told to stop, as an index walk does.
                while !stop.now() {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err::<(), _>(Stopped)
            })
            .await;
        assert!(matches!(stopped, Err(ApiError::Timeout { after_s: 1 })), "{stopped:?}");
        assert_eq!(limits.run_heavy(|_| Ok(7)).await.ok(), Some(7), "the permit came back");
    }
}
