//! Load limits: requests beyond the concurrency cap are shed at once with 503 + Retry-After
//! (health checks still answer, readiness says the API is overloaded), slow requests time out
//! with 503, slow bodies fill only their own budget, slow or idle connections are closed.

use caremap::access::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, read_response, spawn_app_with};

/// A search whose body is announced but only partly sent: its handler waits for the rest,
/// holding its place among the requests in flight.
const HALF_SENT_SEARCH: &str = "POST /api/providers/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                                Content-Length: 1000\r\n\r\n{\"type\":";

async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app.get("/metrics").await.expect(200).text();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("{name} missing from {text}"))
}

/// Polls `/metrics` (never shed) until `in_flight` requests are being handled.
async fn wait_for_in_flight(app: &TestApp, in_flight: f64) {
    for _ in 0..2000 {
        if metric(app, "caremap_http_requests_in_flight ").await == in_flight {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("never {in_flight} requests in flight");
}

/// Starts an authenticated import whose upload is announced but only partly sent: the import
/// handler (which reads its own body, after the token) holds its place while it waits.
async fn half_sent_import(app: &TestApp, token: &str) -> TcpStream {
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/admin/imports?source=geojson HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/geo+json\r\nContent-Length: 1000\r\n\r\n{{\"type\":"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test]
async fn beyond_the_cap_a_request_is_shed_at_once_with_503_and_retry_after_while_health_checks_answer() {
    let app = spawn_app_with(|c| c.max_concurrent_requests = 2).await;
    let token = app.add_user("uploader", Role::Editor);
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(half_sent_import(&app, &token).await);
    }
    wait_for_in_flight(&app, 2.0).await;

    let shed = app.get("/api/providers?limit=1").await;
    let problem = shed.expect_problem(503, "try again");
    assert_eq!(problem["type"], "/problems/overloaded");
    assert_eq!(app.get("/api/providers?limit=1").await.headers["retry-after"], "1");
    assert_eq!(app.get("/healthz").await.expect(200).json()["status"], "ok");
    let ready = app.get("/readyz").await.expect(503).json();
    assert_eq!(ready["status"], "overloaded", "readiness says the API sheds everything: {ready}");
    assert_eq!(metric(&app, "caremap_http_requests_shed_total ").await, 2.0);

    drop(held);
    wait_for_in_flight(&app, 0.0).await;
    app.get("/api/providers?limit=1").await.expect(200);
    assert_eq!(app.get("/readyz").await.expect(200).json()["status"], "ready");
}

#[tokio::test]
async fn slow_bodies_fill_only_their_own_budget_and_other_requests_are_answered() {
    let app = spawn_app_with(|c| c.max_concurrent_requests = 8).await;
    // 60 clients announce a search body and send it a byte at a time.
    let mut slow = Vec::new();
    for _ in 0..60 {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        stream.write_all(HALF_SENT_SEARCH.as_bytes()).await.unwrap();
        slow.push(stream);
    }
    let trickle = tokio::spawn(async move {
        loop {
            for stream in &mut slow {
                let _ = stream.write_all(b" ").await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    });
    wait_for_in_flight(&app, 8.0).await;

    for _ in 0..5 {
        let near = app.get("/api/providers/nearest?lon=139.9029&lat=35.8563&k=3").await.expect(200);
        assert_eq!(near.features().len(), 3);
    }
    app.get("/api/providers?bbox=139.89,35.84,139.92,35.87").await.expect(200);
    assert_eq!(app.get("/readyz").await.expect(200).json()["status"], "ready");
    // A whole body sent at once while the body budget is full is shed, not queued.
    let polygon = serde_json::json!({"type": "Polygon", "coordinates": [[[139.89, 35.85], [139.93, 35.85], [139.93, 35.88], [139.89, 35.85]]]});
    app.post_json("/api/providers/search", &polygon).await.expect_problem(503, "try again");
    trickle.abort();
    wait_for_in_flight(&app, 0.0).await;
    app.post_json("/api/providers/search", &polygon).await.expect(200);
}

#[tokio::test]
async fn a_body_that_does_not_arrive_within_the_body_timeout_is_answered_503() {
    let app = spawn_app_with(|c| c.body_timeout_s = 1).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(HALF_SENT_SEARCH.as_bytes()).await.unwrap();
    let reply = read_response(&mut stream).await.expect("a response");
    assert_eq!(reply.status, 503, "{reply:?}");
    assert!(reply.body.contains("/problems/timeout") && reply.body.contains("1 s"), "{reply:?}");
    wait_for_in_flight(&app, 0.0).await;
}

#[tokio::test]
async fn a_request_that_outlasts_the_timeout_is_answered_503_problem_json() {
    let app = spawn_app_with(|c| c.request_timeout_s = 1).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(HALF_SENT_SEARCH.as_bytes()).await.unwrap();
    let reply = read_response(&mut stream).await.expect("a response");
    assert_eq!(reply.status, 503, "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("application/problem+json"), "{reply:?}");
    assert!(reply.body.contains("/problems/timeout") && reply.body.contains("1 s"), "{reply:?}");
    assert!(reply.header("retry-after").is_some(), "{reply:?}");
    assert_eq!(metric(&app, "caremap_http_requests_timed_out_total ").await, 1.0);
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    let app = spawn_app_with(|c| c.idle_timeout_s = 1).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(b"GET /api/providers HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let mut rest = Vec::new();
    // The server closes the connection (read_to_end returns); it never answers the request.
    let _ = stream.read_to_end(&mut rest).await;
    assert!(!String::from_utf8_lossy(&rest).contains(" 200 "), "{}", String::from_utf8_lossy(&rest));
    app.get("/healthz").await.expect(200);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let app = spawn_app_with(|c| c.idle_timeout_s = 1).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    assert_eq!(read_response(&mut stream).await.expect("a response").status, 200);
    let mut rest = Vec::new();
    let n = stream.read_to_end(&mut rest).await.unwrap_or(0);
    assert_eq!(n, 0, "nothing more is sent before the close");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_413_before_it_is_read_whole() {
    let app = spawn_app_with(|_| {}).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    // Announces 50 MB and sends only the start: the server answers from the announced length.
    let head = "POST /api/providers/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                Content-Length: 50000000\r\n\r\n{\"type\":\"Polygon\"";
    stream.write_all(head.as_bytes()).await.unwrap();
    let reply = read_response(&mut stream).await.expect("a response");
    assert_eq!(reply.status, 413, "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("application/problem+json"));
    assert!(reply.body.contains("1048576"), "{reply:?}");
}
