//! One structured log event and one metrics sample per request, tied together by a request
//! id: taken from the client's `X-Request-Id` when it is a short token, generated otherwise,
//! and echoed in the response. Every log written while the request runs carries it (span
//! `request{id=…}`), and, on staff requests, the account name (`request{id=… account=…}`).
//!
//! What is never logged: request headers (so `Authorization` never is), bodies, and query
//! strings at the default level (they can hold a resident's location); at `debug` the query
//! is logged for public routes only, never for `/api/admin`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::access::TOKEN_PREFIX;
use crate::http::plumbing::metrics::{Metrics, method_label};

/// The request id header.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest accepted client request id, bytes.
pub const MAX_REQUEST_ID_BYTES: usize = 64;

/// The route label of requests no route matched (static files, unknown paths).
pub const UNMATCHED_ROUTE: &str = "static";

/// The client's request id if it is 1 to [`MAX_REQUEST_ID_BYTES`] of `A-Z a-z 0-9 - _ . :`
/// (anything else could forge log lines) and does not hold a staff token (it is logged),
/// else a new random one (16 hex digits).
pub fn request_id(given: Option<&HeaderValue>) -> HeaderValue {
    let acceptable = |v: &&HeaderValue| {
        let b = v.as_bytes();
        !b.is_empty()
            && b.len() <= MAX_REQUEST_ID_BYTES
            && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':'))
            && !b.windows(TOKEN_PREFIX.len()).any(|w| w.eq_ignore_ascii_case(TOKEN_PREFIX.as_bytes()))
    };
    given.filter(acceptable).cloned().unwrap_or_else(|| {
        let id = format!("{:016x}", rand::random::<u64>());
        HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("0"))
    })
}

/// Middleware: request id in, request id out, one log event and one metrics sample.
pub async fn observe(State(metrics): State<Arc<Metrics>>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(request.headers().get(&X_REQUEST_ID));
    request.headers_mut().insert(X_REQUEST_ID.clone(), id.clone());
    let method = method_label(request.method());
    let path = request.uri().path().to_owned();
    let query = if path.starts_with("/api/admin") { None } else { request.uri().query().map(str::to_owned) };
    let route = request.extensions().get::<MatchedPath>().map_or(UNMATCHED_ROUTE.to_owned(), |m| m.as_str().to_owned());
    // `account` is filled in by the staff sign-in (the name, never the token).
    let span = tracing::info_span!("request", id = id.to_str().unwrap_or(""), account = tracing::field::Empty);

    let mut response = next.run(request).instrument(span.clone()).await;

    let latency = started.elapsed();
    let status = response.status().as_u16();
    response.headers_mut().insert(X_REQUEST_ID.clone(), id);
    metrics.record_request(method, &route, status, latency);
    let latency_ms = latency.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if tracing::enabled!(tracing::Level::DEBUG) {
            tracing::debug!(method, path, query, route, status, latency_ms, "request");
        } else {
            tracing::info!(method, path, route, status, latency_ms, "request");
        }
    });
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_token_from_the_client_is_kept_and_anything_else_replaced() {
        let given = HeaderValue::from_static("abc-123_x.y:z");
        assert_eq!(request_id(Some(&given)), given);
        for bad in ["", "a b", "x\"y", "<script>", "cmk_0123abcd"] {
            let replaced = request_id(Some(&HeaderValue::from_str(bad).unwrap()));
            assert_eq!(replaced.len(), 16, "{bad}");
        }
        let long = HeaderValue::from_str(&"a".repeat(MAX_REQUEST_ID_BYTES + 1)).unwrap();
        assert_ne!(request_id(Some(&long)), long);
        assert_ne!(request_id(None), request_id(None));
    }
}
