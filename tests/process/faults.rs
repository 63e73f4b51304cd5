//! Faults against the real binary: the disk refusing writes while the server runs (clear 503,
//! nothing half-written, writes resume when space returns) for staff writes and imports, and
//! a thousand connections at once (all answered, health checks answer meanwhile).
//!
//! A full disk is made with the server's file-size limit (RLIMIT_FSIZE, set from outside with
//! prlimit(2)): the kernel then refuses the server's writes to the database files as it would
//! on a full disk (EFBIG or a short write instead of ENOSPC; SQLite reports either as a failed
//! write and rolls the transaction back). It needs no privileges and no loop-mounted file
//! system, and "space returns" is raising the limit again.

use std::time::Duration;

use crate::support::process::{Server, add_user, metric, serve_command};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn provider(id: &str, name: &str) -> Value {
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [139.9, 35.86]},
           "properties": {"kind": "care", "name": name, "services": ["130"]}})
}

/// Sets the server's file-size limit (soft; the hard limit stays unlimited).
fn set_file_size_limit(server: &Server, bytes: u64) {
    let pid = i32::try_from(server.pid()).unwrap();
    rlimit::prlimit(pid, rlimit::Resource::FSIZE, Some((bytes, rlimit::INFINITY)), None).unwrap();
}

#[tokio::test]
async fn a_full_disk_gives_503_keeps_the_database_intact_and_writes_resume_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let auth = format!("Bearer {}", add_user(&db, "faults", "editor"));
    let mut server = Server::start(serve_command(&db, &[]));
    let http = reqwest::Client::new();
    let create = |id: &str, name: &str| {
        http.post(server.url("/api/admin/providers")).header("authorization", &auth).json(&provider(id, name)).send()
    };
    assert_eq!(create("before-full", "満杯前").await.unwrap().status(), 201);

    set_file_size_limit(&server, 0);
    let refused = create("during-full", "満杯中").await.unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    assert!(refused.headers().contains_key("retry-after"));
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/storage-unavailable", "{problem}");
    let update = http
        .put(server.url("/api/admin/providers/before-full"))
        .header("authorization", &auth)
        .header("if-match", "\"1\"")
        .json(&provider("before-full", "満杯中の変更"))
        .send()
        .await
        .unwrap();
    assert_eq!(update.status(), 503);
    // Reads do not need the disk: the catalog answers, without the refused writes.
    let kept: Value = http.get(server.url("/api/providers/before-full")).send().await.unwrap().json().await.unwrap();
    assert_eq!(kept["properties"]["name"], "満杯前");
    assert_eq!(http.get(server.url("/api/providers/during-full")).send().await.unwrap().status(), 404);

    set_file_size_limit(&server, rlimit::INFINITY);
    assert_eq!(create("during-full", "空き回復後").await.unwrap().status(), 201);
    let update = http
        .put(server.url("/api/admin/providers/before-full"))
        .header("authorization", &auth)
        .header("if-match", "\"1\"")
        .json(&provider("before-full", "空き回復後の変更"))
        .send()
        .await
        .unwrap();
    assert_eq!(update.status(), 200);

    server.signal("TERM");
    assert!(server.wait_for_exit(Duration::from_secs(10)).expect("exits").success());
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let history: Vec<(String, i64, String)> = conn
        .prepare("SELECT provider_id, version, action FROM provider_history WHERE provider_id IN ('before-full', 'during-full') ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        history,
        [
            ("before-full".to_owned(), 1, "create".to_owned()),
            ("during-full".to_owned(), 1, "create".to_owned()),
            ("before-full".to_owned(), 2, "update".to_owned()),
        ],
        "exactly the acknowledged writes"
    );
}

async fn metrics_text(http: &reqwest::Client, server: &Server) -> String {
    http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn an_import_on_a_full_disk_gives_503_changes_nothing_and_commits_when_space_returns() {
    use crate::support::fixtures::{Enc, Office, mhlw_csv};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let auth = format!("Bearer {}", add_user(&db, "faults", "editor"));
    let server = Server::start(serve_command(&db, &[]));
    let http = reqwest::Client::new();
    let file =
        mhlw_csv(&[Office::new("1270000001", "さくら"), Office::new("1270000002", "もみじ")], Enc::Utf8Bom, true);
    let import = || {
        http.post(server.url("/api/admin/imports?source=mhlw-care&dry_run=false&name=jigyosho_110.csv"))
            .header("authorization", &auth)
            .header("content-type", "text/csv")
            .body(file.clone())
            .send()
    };
    let metrics = || metrics_text(&http, &server);
    let loaded = metric(&metrics().await, "caremap_providers_loaded").unwrap();

    set_file_size_limit(&server, 0);
    let refused = import().await.unwrap();
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/storage-unavailable", "{problem}");
    let text = metrics().await;
    assert_eq!(metric(&text, "caremap_providers_loaded"), Some(loaded), "nothing was published");
    assert_eq!(metric(&text, "caremap_last_import_timestamp_seconds"), Some(0.0), "nor recorded");

    set_file_size_limit(&server, rlimit::INFINITY);
    let done = import().await.unwrap();
    assert_eq!(done.status(), 200);
    let text = metrics().await;
    assert_eq!(metric(&text, "caremap_providers_loaded"), Some(loaded + 2.0), "{text}");
    assert!(metric(&text, "caremap_last_import_timestamp_seconds").unwrap() > 0.0, "{text}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
}

const CONNECTIONS: usize = 1000;

async fn exchange(mut stream: tokio::net::TcpStream, path: &str) -> std::io::Result<String> {
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

async fn status_of(addr: std::net::SocketAddr, path: &str) -> String {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let response = exchange(stream, path).await.unwrap();
    response.split(' ').nth(1).unwrap_or("").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_connections_are_all_answered_and_health_checks_answer_meanwhile() {
    // Each connection is a file descriptor here (the server raises its own limit).
    rlimit::increase_nofile_limit(4 * CONNECTIONS as u64).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(serve_command(&dir.path().join("c.db"), &[]));
    let addr = server.addr;

    let mut connecting = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        connecting.spawn(tokio::net::TcpStream::connect(addr));
    }
    let mut streams = Vec::with_capacity(CONNECTIONS);
    while let Some(stream) = connecting.join_next().await {
        streams.push(stream.unwrap().expect("every connection is accepted"));
    }
    assert_eq!(status_of(addr, "/healthz").await, "200", "answers with 1000 connections open");

    let start = std::sync::Arc::new(tokio::sync::Barrier::new(CONNECTIONS));
    let mut requests = tokio::task::JoinSet::new();
    for (i, stream) in streams.into_iter().enumerate() {
        let start = start.clone();
        let path = match i % 3 {
            0 => format!("/api/providers/nearest?lon={}&lat=35.86&k=10", 139.88 + (i % 50) as f64 * 0.001),
            1 => "/api/providers?bbox=139.87,35.82,139.96,35.92&limit=50".to_owned(),
            _ => format!("/api/districts/{}", ["north", "central", "east", "south"][i % 4]),
        };
        requests.spawn(async move {
            start.wait().await;
            exchange(stream, &path).await
        });
    }
    let mut health = Vec::new();
    while !requests.is_empty() {
        tokio::select! {
            Some(done) = requests.join_next() => {
                let response = done.unwrap().expect("a response");
                let status = response.split(' ').nth(1).unwrap_or("");
                assert_eq!(status, "200", "{response}");
                assert!(!response.contains("/problems/overloaded"), "{response}");
            }
            status = status_of(addr, "/healthz") => health.push(status),
        }
    }

    assert!(health.iter().all(|s| s == "200"), "{health:?}");
    let metrics = {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        exchange(stream, "/metrics").await.unwrap()
    };
    assert_eq!(metric(&metrics, "caremap_http_requests_shed_total"), Some(0.0), "{metrics}");
    let five_hundreds =
        metrics.lines().filter(|l| l.starts_with("caremap_http_requests_total") && l.contains("status=\"5")).count();
    assert_eq!(five_hundreds, 0, "{metrics}");
}
