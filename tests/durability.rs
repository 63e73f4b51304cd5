//! Durability of acknowledged writes, against the real binary: several clients create and
//! update providers, the server is killed with SIGKILL while they are still writing, and after
//! a restart on the same database every write that was answered 2xx is there with its version.
//! Also: the database files never hold a token in plain text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use support::{Server, serve_command};

const CLIENTS: usize = 6;
/// Acknowledged writes to wait for before the kill (the clients keep writing past it).
const ACKS_BEFORE_KILL: usize = 150;

fn provider(id: &str, name: &str, n: usize) -> Value {
    let lon = 139.88 + (n % 50) as f64 * 0.001;
    let lat = 35.83 + (n / 50 % 50) as f64 * 0.001;
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, lat]},
           "properties": {"kind": "care", "name": name, "services": ["130"]}})
}

/// What a client was told: provider id → (version, name) of its last acknowledged write.
type Acked = HashMap<String, (i64, String)>;

/// Creates a provider, then updates it twice, and again, until the server goes away.
/// Any answer other than 2xx is a failure; a transport error ends the client.
async fn client(n: usize, base: String, auth: String, acks: Arc<AtomicUsize>) -> Acked {
    let http = reqwest::Client::new();
    let mut acked = Acked::new();
    let mut current: Option<(String, i64)> = None;
    for step in 0.. {
        let name = format!("client{n}-step{step}");
        let request = match &current {
            Some((id, version)) if step % 3 != 0 => http
                .put(format!("{base}/api/admin/providers/{id}"))
                .header("if-match", format!("\"{version}\""))
                .json(&provider(id, &name, n * 1000 + step)),
            _ => {
                let id = format!("durable-{n}-{step}");
                http.post(format!("{base}/api/admin/providers")).json(&provider(&id, &name, n * 1000 + step))
            }
        };
        let Ok(response) = request.header("authorization", &auth).send().await else { break };
        let status = response.status();
        let Ok(body) = response.json::<Value>().await else { break };
        assert!(status.is_success(), "client {n} step {step}: {status} {body}");
        let id = body["id"].as_str().unwrap().to_owned();
        let version = body["properties"]["version"].as_i64().unwrap();
        acked.insert(id.clone(), (version, name));
        current = Some((id, version));
        acks.fetch_add(1, Ordering::SeqCst);
    }
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_write_survives_a_sigkill_mid_stream() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("caremap.db");
    let token = support::add_user(&db, "durability", "editor");
    let auth = format!("Bearer {token}");
    let server = Server::start(serve_command(&db, &[]));

    let acks = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> =
        (0..CLIENTS).map(|n| tokio::spawn(client(n, server.base.clone(), auth.clone(), acks.clone()))).collect();
    // Until enough writes are acknowledged, or every client has stopped (a failed client
    // ends its task; joining it below reports the failure).
    while acks.load(Ordering::SeqCst) < ACKS_BEFORE_KILL && !clients.iter().all(|c| c.is_finished()) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill();
    let mut acked = Acked::new();
    for c in clients {
        acked.extend(c.await.unwrap());
    }
    assert!(acks.load(Ordering::SeqCst) >= ACKS_BEFORE_KILL);
    assert_intact(&db);

    let server = Server::start(serve_command(&db, &[]));
    let http = reqwest::Client::new();
    let mut unanswered = 0;
    for (id, (version, name)) in &acked {
        let stored: Value = http
            .get(format!("{}/api/admin/providers/{id}", server.base))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let now = stored["properties"]["version"].as_i64().unwrap_or_else(|| panic!("{id} lost: {stored}"));
        // Each client waits for an answer before its next write, so at most one write per
        // provider can have been committed without being acknowledged.
        assert!(now == *version || now == version + 1, "{id}: acknowledged version {version}, stored {now}");
        if now == *version {
            assert_eq!(stored["properties"]["name"], name.as_str(), "{id}");
        } else {
            unanswered += 1;
        }
        let history: Value = http
            .get(format!("{}/api/admin/providers/{id}/history", server.base))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let entry = history["versions"].as_array().unwrap().iter().find(|v| v["version"] == *version);
        let named = entry.is_some_and(|e| {
            e["changes"].as_array().unwrap().iter().any(|c| c["field"] == "name" && c["to"] == name.as_str())
        });
        assert!(named, "{id}: version {version} with name {name} missing from {history}");
        let public = http.get(format!("{}/api/providers/{id}", server.base)).send().await.unwrap();
        assert_eq!(public.status(), 200, "{id} is served after the restart");
    }
    let all: Value = http
        .get(format!("{}/api/providers?q=client&limit=10000", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created_unanswered = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"].as_str().is_some_and(|id| id.starts_with("durable-") && !acked.contains_key(id)))
        .count();
    eprintln!(
        "{} writes acknowledged before SIGKILL, all found; committed but unanswered: {unanswered} updates, \
         {created_unanswered} creates",
        acks.load(Ordering::SeqCst)
    );
    server.kill();
}

/// The database opens after the kill (SQLite replays or discards the WAL) and passes SQLite's
/// full integrity check.
fn assert_intact(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok", "{}", db.display());
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every file of the database (main, -wal, -shm) that exists.
fn database_bytes(db: &Path) -> Vec<(String, Vec<u8>)> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .filter_map(|suffix| {
            let path = PathBuf::from(format!("{}{suffix}", db.display()));
            std::fs::read(&path).ok().map(|bytes| (path.display().to_string(), bytes))
        })
        .collect()
}

fn assert_no_token(db: &Path, tokens: &[&str]) {
    let files = database_bytes(db);
    assert!(files.iter().any(|(name, _)| name.ends_with("-wal")), "the WAL is checked too: {:?}", files.len());
    for (name, bytes) in &files {
        for token in tokens {
            // The whole token, and its random part alone.
            assert!(!contains(bytes, token.as_bytes()), "{name} contains a token");
            assert!(!contains(bytes, &token.as_bytes()["cmk_".len()..]), "{name} contains a token's random part");
        }
    }
}

#[tokio::test]
async fn the_database_files_never_contain_a_token_in_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("caremap.db");
    let first = support::add_user(&db, "yamada", "editor");
    let second = support::add_user(&db, "suzuki", "editor");
    let server = Server::start(serve_command(&db, &[]));
    let http = reqwest::Client::new();
    let (wrong, _) = caremap::access::generate_token().unwrap();
    for token in [&first, &second, &wrong] {
        http.get(format!("{}/api/admin/me", server.base)).bearer_auth(token).send().await.unwrap();
    }
    let created = http
        .post(format!("{}/api/admin/providers", server.base))
        .bearer_auth(&first)
        .json(&provider("secret-check", "トークン確認", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_no_token(&db, &[&first, &second, &wrong]);
    server.kill();
    assert_no_token(&db, &[&first, &second, &wrong]);
}
