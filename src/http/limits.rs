//! Limits that keep the server answering under load: a cap on requests handled at once with
//! load shedding (503 + `Retry-After` at once, never an unbounded queue), and a deadline per
//! request (503). Body size limits are per route ([`axum::extract::DefaultBodyLimit`], 1 MiB
//! by default, larger on the import route); query length and polygon vertices are capped
//! where they are parsed ([`super::params::MAX_QUERY_BYTES`], [`crate::domain::MAX_POLYGON_VERTICES`]).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::error::ApiError;
use super::metrics::Metrics;

/// Paths that are never shed or timed out: an orchestrator must be able to tell an
/// overloaded server from a dead one.
pub const EXEMPT_PATHS: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Imports of national files legitimately run for minutes (a 1 M-row CSV takes about 40 s on
/// two cores), so their route gets this deadline instead of the general request timeout.
pub const IMPORT_PATH: &str = "/api/admin/imports";
/// Deadline of an import request.
pub const IMPORT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Seconds a shed client is asked to wait (`Retry-After`).
pub const SHED_RETRY_AFTER_S: u64 = 1;

/// The load limits of a running server, shared by every request.
#[derive(Debug)]
pub struct Limits {
    permits: Arc<Semaphore>,
    max_concurrent: usize,
    request_timeout: Duration,
    metrics: Arc<Metrics>,
}

impl Limits {
    /// At most `max_concurrent` requests in handlers at once (at least 1), each given
    /// `request_timeout`; sheds and timeouts are counted in `metrics`.
    pub fn new(max_concurrent: usize, request_timeout: Duration, metrics: Arc<Metrics>) -> Self {
        let max_concurrent = max_concurrent.clamp(1, Semaphore::MAX_PERMITS);
        Self { permits: Arc::new(Semaphore::new(max_concurrent)), max_concurrent, request_timeout, metrics }
    }

    /// The configured cap.
    pub fn max_concurrent(&self) -> usize {
        self.max_concurrent
    }

    /// Requests being handled now (exempt paths not counted).
    pub fn in_flight(&self) -> usize {
        self.max_concurrent - self.permits.available_permits()
    }
}

/// Middleware: takes a permit for the request or answers 503 at once, then runs the request
/// under the deadline. The permit is held until the handler has produced its response (the
/// body of every response is built in memory, so that is when the work is done).
pub async fn limit(State(limits): State<Arc<Limits>>, request: Request, next: Next) -> Response {
    if EXEMPT_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let Ok(_permit) = limits.permits.clone().try_acquire_owned() else {
        limits.metrics.record_shed();
        return ApiError::Overloaded { retry_after_s: SHED_RETRY_AFTER_S }.into_response();
    };
    let deadline = if request.uri().path() == IMPORT_PATH {
        limits.request_timeout.max(IMPORT_TIMEOUT)
    } else {
        limits.request_timeout
    };
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

    #[test]
    fn in_flight_counts_taken_permits() {
        let limits = Limits::new(3, Duration::from_secs(1), Arc::new(Metrics::new()));
        let a = limits.permits.clone().try_acquire_owned().unwrap();
        assert_eq!(limits.in_flight(), 1);
        drop(a);
        assert_eq!(limits.in_flight(), 0);
        assert_eq!(Limits::new(0, Duration::from_secs(1), Arc::new(Metrics::new())).max_concurrent(), 1);
    }
}
