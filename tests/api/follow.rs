//! Following the store's change feed: a server serves what another writer commits into its
//! SQLite file (the way another server on a shared store would), applies every seq once and
//! in order beside its own writes, and reports the feed in /metrics and /readyz; while its
//! database is unreachable, writes answer 503 with Retry-After, reads keep answering, and it
//! catches up once the database is back.
//!
//! The other writer opens the same file through a second `SqliteStore` handle and writes
//! through a `Door::offline`, as `caremap import` does: the single-server lock file is taken
//! by `serve` only (startup), not by opening a store, so no test-only path is needed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use caremap::access::Role;
use caremap::app::config::ServeConfig;
use caremap::app::startup::Application;
use caremap::domain::{Kind, LonLat, Provider};
use caremap::store::{SqliteStore, Store};
use caremap::write::Door;
use serde_json::{Value, json};

use crate::support::app::{TestApp, spawn_app_with};
use crate::support::process::metric;
use crate::support::repo_path;

/// A server polling the feed every 50 ms, ready while caught up within `max_lag_s`.
async fn following_app(max_lag_s: u64) -> TestApp {
    spawn_app_with(|c| {
        c.feed_poll_ms = 50;
        c.ready_max_lag_s = max_lag_s;
    })
    .await
}

/// Another writer of the server's database file.
fn other_server(db: &std::path::Path) -> (Arc<dyn Store>, Door) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db).unwrap());
    (store.clone(), Door::offline(store))
}

fn provider(id: &str, name: &str) -> Provider {
    Provider {
        services: vec!["130".into()],
        ..Provider::new(id.into(), Kind::Care, name.into(), LonLat::new(139.905, 35.862).unwrap())
    }
}

fn feature(id: &str, name: &str) -> Value {
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [139.9, 35.86]},
           "properties": {"kind": "care", "name": name, "services": ["130"]}})
}

async fn metrics(app: &TestApp) -> String {
    app.get("/metrics").await.expect(200).text()
}

fn number(text: &str, name: &str) -> f64 {
    metric(text, name).unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

/// Waits (at most 20 s, polling) until `done` holds for the reply to GET `path`.
async fn wait_for(app: &TestApp, path: &str, done: impl Fn(&crate::support::app::Reply) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = app.get(path).await;
        if done(&reply) {
            return;
        }
        assert!(Instant::now() < deadline, "still not so after 20 s: {reply}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn changes_another_writer_commits_are_served_after_the_next_poll_and_every_seq_is_applied_once() {
    let app = following_app(10).await;
    let auth = format!("Bearer {}", app.add_user("yamada", Role::Editor));
    let start = metrics(&app).await;
    let loaded_seq = number(&start, "caremap_catalog_applied_seq");
    let (store, other) = other_server(&app.db);

    // Interleaved: two writes of the other server, one of this server, two more of the other.
    other.create(provider("other-1", "他サーバー作成"), "other-server").unwrap();
    other.create(provider("other-2", "他サーバー作成2"), "other-server").unwrap();
    app.send("POST", "/api/admin/providers", &[("authorization", &auth)], Some(&feature("here-1", "本サーバー")))
        .await
        .expect(201);
    other.update(provider("other-1", "他サーバー更新"), &[1], "other-server").unwrap();
    other.set_deleted("other-2", true, &[1], "other-server").unwrap();

    wait_for(&app, "/api/providers/other-1", |r| r.status == 200 && r.json()["properties"]["name"] == "他サーバー更新")
        .await;
    wait_for(&app, "/api/providers/other-2", |r| r.status == 404).await;
    let here = app.get("/api/providers/here-1").await.expect(200).json();
    assert_eq!(here["properties"]["name"], "本サーバー");

    let last = store.last_seq().unwrap();
    assert_eq!(last as f64, loaded_seq + 5.0);
    let text = metrics(&app).await;
    assert_eq!(number(&text, "caremap_catalog_applied_seq"), last as f64, "{text}");
    assert_eq!(number(&text, "caremap_feed_last_seq"), last as f64, "{text}");
    assert_eq!(number(&text, "caremap_feed_lag_changes"), 0.0, "{text}");
    assert_eq!(number(&text, "caremap_feed_lag_seconds"), 0.0, "{text}");
    assert_eq!(number(&text, "caremap_store_reconnects_total"), 0.0, "SQLite has no listener: {text}");
    assert_eq!(
        number(&text, "caremap_catalog_changes_applied_total"),
        last as f64 - loaded_seq,
        "each seq after the snapshot applied once, none skipped: {text}"
    );
    let ready = app.get("/readyz").await.expect(200).json();
    assert_eq!((ready["status"].as_str(), ready["applied_seq"].as_i64()), (Some("ready"), Some(last)));
}

/// Moves the folder holding the server's database away (the file, its log and its lock
/// file with it) and back.
struct Away {
    home: std::path::PathBuf,
    away: std::path::PathBuf,
}

impl Away {
    fn take(app: &TestApp) -> Self {
        let home = app.db.parent().unwrap().to_owned();
        let mut away = home.clone().into_os_string();
        away.push("-away");
        let away = std::path::PathBuf::from(away);
        std::fs::rename(&home, &away).unwrap();
        Self { home, away }
    }

    fn db(&self, app: &TestApp) -> std::path::PathBuf {
        self.away.join(app.db.file_name().unwrap())
    }

    fn bring_back(self) {
        std::fs::rename(&self.away, &self.home).unwrap();
    }
}

#[tokio::test]
async fn while_the_database_is_unreachable_writes_get_503_reads_answer_and_the_server_catches_up_after() {
    let app = following_app(1).await;
    let auth = format!("Bearer {}", app.add_user("yamada", Role::Editor));
    let post = |id: &'static str, name: &'static str| {
        let auth = auth.clone();
        let app = &app;
        async move { app.send("POST", "/api/admin/providers", &[("authorization", &auth)], Some(&feature(id, name))).await }
    };
    post("before", "到達不能の前").await.expect(201);

    let away = Away::take(&app);
    let refused = post("during", "到達不能の間").await;
    assert!(refused.headers.contains_key("retry-after"), "{refused}");
    let problem = refused.expect_problem(503, "the database is unreachable; nothing was written");
    assert_eq!(problem["type"], "/problems/database-unreachable", "{problem}");
    let update = app
        .send(
            "PUT",
            "/api/admin/providers/before",
            &[("authorization", &auth), ("if-match", "\"1\"")],
            Some(&feature("before", "変更")),
        )
        .await;
    update.expect_problem(503, "unreachable");
    // Reads are answered from memory.
    let kept = app.get("/api/providers/before").await.expect(200).json();
    assert_eq!(kept["properties"]["name"], "到達不能の前");
    app.get("/api/providers/nearest?lon=139.9&lat=35.86&k=3").await.expect(200);
    // Past the readiness bound the server stays ready and says the store is unreachable: every
    // server is cut off alike, and a load balancer must keep sending it reads.
    wait_for(&app, "/readyz", |r| r.status == 200 && r.json()["store"] == "unreachable").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ready = app.get("/readyz").await.expect(200).json();
    assert_eq!((ready["status"].as_str(), ready["store"].as_str()), (Some("ready"), Some("unreachable")));
    // Meanwhile another writer that can reach the file commits a change.
    {
        let (_store, other) = other_server(&away.db(&app));
        other.create(provider("meanwhile", "その間に他で作成"), "other-server").unwrap();
    }

    away.bring_back();
    wait_for(&app, "/api/providers/meanwhile", |r| r.status == 200).await;
    wait_for(&app, "/readyz", |r| r.status == 200).await;
    post("during", "到達回復後").await.expect(201);
    assert_eq!(app.get("/api/providers/during").await.expect(200).json()["properties"]["name"], "到達回復後");
    let text = metrics(&app).await;
    assert_eq!(number(&text, "caremap_feed_lag_changes"), 0.0, "{text}");
}

#[tokio::test]
async fn a_poll_interval_as_long_as_the_readiness_bound_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServeConfig::for_paths(dir.path().join("t.db"), repo_path("data"), repo_path("web"));
    config.feed_poll_ms = 10_000;
    config.ready_max_lag_s = 10;
    let err = Application::build(&config).await.err().expect("refused").to_string();
    assert!(err.contains("--feed-poll-ms") && err.contains("--ready-max-lag-s"), "{err}");
}
