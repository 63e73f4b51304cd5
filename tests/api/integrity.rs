//! The start-up integrity check beside serving: a server over a database with providers is
//! ready once its catalog is loaded and answers reads while `PRAGMA quick_check` still runs;
//! every request that could write answers 503 problem+json with `Retry-After: 1` (and writes
//! nothing) until the check has passed; `/readyz` says where the check stands; a failed check
//! stops the server with the damage naming the database. The check's result is held by the
//! test (`Application::hold_integrity_check`), so "while it runs" needs no timing.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use caremap::access::Role;
use caremap::app::config::ServeConfig;
use caremap::app::startup::{StartupError, build_router};
use caremap::http::plumbing::integrity::Integrity;
use caremap::store::{SqliteStore, StoreError};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::app::{TestApp, seed_sample, spawn_app, spawn_app_with_check_held};
use crate::support::damage::fail_the_quick_check;
use crate::support::repo_path;

/// A square around the middle of the sample city, as a polygon search body.
fn search_polygon() -> Value {
    json!({"type": "Polygon", "coordinates": [[[139.88,35.84],[139.94,35.84],[139.94,35.90],[139.88,35.90],[139.88,35.84]]]})
}

fn feature(id: &str) -> Value {
    json!({
        "type": "Feature",
        "id": id,
        "geometry": {"type": "Point", "coordinates": [139.90, 35.85]},
        "properties": {"kind": "care", "name": "検査中の新規", "services": ["130"]}
    })
}

/// Polls `path` until `done` holds for its reply (a loop on state, not a timing assertion).
async fn wait_for(app: &TestApp, path: &str, done: impl Fn(&crate::support::app::Reply) -> bool) {
    for _ in 0..600 {
        if done(&app.get(path).await) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} never reached the expected state: {}", app.get(path).await);
}

/// The state the server's writes would change: the feed seq, the users, the centre layer.
async fn written_state(app: &TestApp, auth: &str) -> (Value, usize, Value) {
    let seq = app.get("/readyz").await.expect(200).json()["applied_seq"].clone();
    let users = app.send("GET", "/api/admin/users", &[("authorization", auth)], None).await.expect(200).json();
    let centers = app.get("/api/community-centers").await.expect(200).json();
    (seq, users.as_array().map_or(0, Vec::len), centers)
}

/// Asserts the 503 a write gets while the check runs.
fn assert_waits_for_the_check(reply: &crate::support::app::Reply, what: &str) {
    assert_eq!(reply.status.as_u16(), 503, "{what}: {reply}");
    assert_eq!(reply.content_type, "application/problem+json", "{what}: {reply}");
    assert_eq!(reply.headers.get("retry-after").map(|v| v.to_str().unwrap()), Some("1"), "{what}: {reply}");
    let problem = reply.json();
    assert_eq!(problem["type"], "/problems/integrity-check-running", "{what}: {reply}");
    assert_eq!(problem["status"], 503, "{what}: {reply}");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("整合性") && detail.contains("何も保存されていません"), "{what}: {detail}");
}

#[tokio::test]
async fn while_the_check_runs_every_write_route_answers_503_with_retry_after_and_writes_nothing() {
    let (app, _hold, _running) = spawn_app_with_check_held(seed_sample).await;
    let auth = format!("Bearer {}", app.add_user("kanri", Role::Admin));
    let before = written_state(&app, &auth).await;
    let id = app.all_providers().await[0]["id"].as_str().unwrap().to_owned();
    let doc = app.get("/api/openapi").await.expect(200).json();

    let mut refused = Vec::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys().filter(|m| *m != "get") {
            let url = path.replace("{id}", &id).replace("{name}", "kanri");
            let body = if path == "/api/providers/search" { search_polygon() } else { feature("new-while-checking") };
            let headers = [("authorization", auth.as_str()), ("if-match", "\"1\"")];
            let reply = app.send(&method.to_uppercase(), &url, &headers, Some(&body)).await;
            if path == "/api/providers/search" {
                // The one documented POST that only reads: answered from the catalog.
                assert_eq!(reply.status.as_u16(), 200, "{reply}");
                continue;
            }
            assert_waits_for_the_check(&reply, &format!("{method} {path}"));
            refused.push(format!("{method} {path}"));
        }
    }

    assert!(refused.len() >= 12, "every write route was tried: {refused:?}");
    for write in ["post /api/admin/providers", "patch /api/admin/providers/{id}/vacancy", "post /api/admin/imports"] {
        assert!(refused.iter().any(|r| r == write), "{write} not among {refused:?}");
    }
    assert_eq!(written_state(&app, &auth).await, before, "nothing was written");
}

#[tokio::test]
async fn while_the_check_runs_the_server_is_ready_and_reads_answer_from_the_catalog() {
    let (app, _hold, _running) = spawn_app_with_check_held(seed_sample).await;
    let auth = format!("Bearer {}", app.add_user("yomi", Role::Editor));

    let ready = app.get("/readyz").await.expect(200).json();
    assert_eq!((ready["status"].as_str(), ready["integrity"].as_str()), (Some("ready"), Some("checking")), "{ready}");
    assert_eq!(ready["providers"], 368);
    assert_eq!(app.get("/api/providers/nearest?lon=139.9&lat=35.86&k=3").await.expect(200).features().len(), 3);
    app.send("GET", "/api/admin/me", &[("authorization", &auth)], None).await.expect(200);
    let id = app.all_providers().await[0]["id"].as_str().unwrap().to_owned();
    app.send("GET", &format!("/api/admin/providers/{id}"), &[("authorization", &auth)], None).await.expect(200);
}

#[tokio::test]
async fn once_the_check_passed_writes_are_accepted_and_readyz_says_integrity_ok() {
    let (app, hold, _running) = spawn_app_with_check_held(seed_sample).await;
    let auth = format!("Bearer {}", app.add_user("yamada", Role::Editor));
    let (headers, body) = ([("authorization", auth.as_str())], feature("after-1"));
    let create = || app.send("POST", "/api/admin/providers", &headers, Some(&body));
    assert_waits_for_the_check(&create().await, "create while checking");

    hold.release();
    wait_for(&app, "/readyz", |r| r.status == 200 && r.json()["integrity"] == "ok").await;

    create().await.expect(201);
    assert_eq!(app.get("/api/providers/after-1").await.expect(200).json()["properties"]["name"], "検査中の新規");
}

#[tokio::test]
async fn an_empty_database_is_checked_before_it_is_seeded_so_the_server_starts_with_integrity_ok() {
    let app = spawn_app().await;
    let ready = app.get("/readyz").await.expect(200).json();
    assert_eq!(ready["integrity"], "ok", "{ready}");
}

#[tokio::test]
async fn a_failed_check_keeps_writes_refused_and_stops_the_server_with_the_damage_naming_the_database() {
    let (app, hold, running) = spawn_app_with_check_held(|db| {
        seed_sample(db);
        fail_the_quick_check(db);
    })
    .await;
    let auth = format!("Bearer {}", app.add_user("yamada", Role::Editor));
    let ready = app.get("/readyz").await.expect(200).json();
    assert_eq!(ready["integrity"], "checking", "the catalog loaded: {ready}");
    let create = app.send("POST", "/api/admin/providers", &[("authorization", &auth)], Some(&feature("x"))).await;
    assert_waits_for_the_check(&create, "create before the failure");

    hold.release();
    let stopped = tokio::time::timeout(Duration::from_secs(30), running).await.expect("the server stops").unwrap();

    let err = stopped.expect_err("a failed check is the server's error");
    assert!(matches!(err, StartupError::Store(StoreError::Damaged { .. })), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("test.db") && message.contains("damage_probe"), "{message}");
    assert!(app.client.get(app.url("/healthz")).send().await.is_err(), "the listener is closed");
    let seq = caremap::store::Store::last_seq(&SqliteStore::open(&app.db).unwrap()).unwrap();
    assert_eq!(Some(seq), ready["applied_seq"].as_i64(), "nothing was written");
}

#[tokio::test]
async fn after_a_failed_check_readyz_is_503_and_writes_stay_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServeConfig::for_paths(dir.path().join("t.db"), repo_path("data"), repo_path("web"));
    let (router, state) = build_router(&config, Arc::new(SqliteStore::open(&config.db).unwrap())).unwrap();
    state.integrity.set(Integrity::Failed("database t.db is damaged".into()));
    let call = |method: &str, path: &str| {
        let request = Request::builder().method(method).uri(path).body(Body::empty()).unwrap();
        router.clone().oneshot(request)
    };

    let ready = call("GET", "/readyz").await.unwrap();
    let write = call("DELETE", "/api/admin/providers/x").await.unwrap();

    for (what, response) in [("readyz", ready), ("write", write)] {
        assert_eq!(response.status(), 503, "{what}");
        assert_eq!(response.headers()["content-type"], "application/problem+json", "{what}");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let problem: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["type"], "/problems/not-ready", "{what}: {problem}");
        assert!(!problem["detail"].as_str().unwrap().contains("t.db"), "findings are logged, not sent: {problem}");
    }
}
