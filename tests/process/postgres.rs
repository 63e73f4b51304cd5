//! The real binary on a private PostgreSQL cluster: `serve --db postgres://…` seeds the
//! sample, takes a staff write (token from `user add --db postgres://…`) and still has it
//! after a restart, never logging the URL's password; `migrate` copies SQLite → PostgreSQL →
//! SQLite with equal contents, and a server on each copy answers as on the original. Several
//! servers on one database: a write on one reaches the other through LISTEN/NOTIFY (their
//! polls are a minute apart; the delay is printed, not asserted), of two concurrent If-Match
//! updates through two servers exactly one wins, a server started later answers as the
//! others, and every write acknowledged before a kill -9 is on the other server and in
//! PostgreSQL. PostgreSQL stopped under one server, and under two that serve at once: reads
//! answer from memory, writes get 503 problem+json with Retry-After and change nothing,
//! `/readyz` stays 200 with `"store":"unreachable"` (past its lag bound too), and once it is
//! back both take writes, see each other's, and their listeners have reconnected.

use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::postgres::database;
use crate::support::process::{Server, add_user, caremap, serve_command};

/// A password that trust authentication ignores, to see it never reaches the logs.
const PASSWORD: &str = "s3cret-in-url";

fn with_password(url: &str) -> String {
    format!("{url}&password={PASSWORD}")
}

/// Starts a server on `db` (a path or URL) with the sample and info logging.
fn serve(db: &str) -> Server {
    let mut command = serve_command(Path::new(db), &[]);
    command.env("CAREMAP_LOG", "info");
    Server::start(command)
}

async fn get(server: &Server, path: &str) -> (StatusCode, Value) {
    let reply = reqwest::get(server.url(path)).await.unwrap();
    (reply.status(), reply.json().await.unwrap())
}

fn feature(id: &str, name: &str) -> Value {
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [139.9, 35.86]},
           "properties": {"kind": "care", "name": name, "services": ["130"]}})
}

async fn create(server: &Server, token: &str, id: &str, name: &str) -> Value {
    let reply = reqwest::Client::new()
        .post(server.url("/api/admin/providers"))
        .header("authorization", format!("Bearer {token}"))
        .json(&feature(id, name))
        .send()
        .await
        .unwrap();
    let status = reply.status();
    let body: Value = reply.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

fn run_ok(mut command: Command) -> String {
    let out = command.output().unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains(PASSWORD), "the password was printed: {text}");
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_on_postgres_serves_the_sample_keeps_a_staff_write_across_a_restart_and_hides_the_password() {
    let db = database();
    let url = with_password(&db.url);
    let token = add_user(Path::new(&url), "yamada", "editor");

    let mut first = serve(&url);
    let (status, list) = get(&first, "/api/providers?limit=10000").await;
    assert_eq!(status, StatusCode::OK);
    let sample = list["numberMatched"].as_u64().unwrap();
    assert!(sample > 100, "the sample was loaded into PostgreSQL: {sample}");
    let created = create(&first, &token, "pg-1", "ぽすぐれ訪問看護").await;
    assert_eq!(created["properties"]["version"], 1);
    first.signal("TERM");
    let exit = first.wait_for_exit(std::time::Duration::from_secs(10));
    let log = first.stderr();
    assert!(exit.is_some_and(|s| s.success()), "{exit:?}: {log}");
    assert!(log.contains("password=***"), "the URL is logged with its password hidden: {log}");
    assert!(!log.contains(PASSWORD), "the password was logged: {log}");
    assert!(!Path::new(&format!("{url}.lock")).exists(), "no lock file for PostgreSQL");

    let second = serve(&url);
    let (status, body) = get(&second, "/api/providers/pg-1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["properties"]["name"], "ぽすぐれ訪問看護");
    let (_, list) = get(&second, "/api/providers?limit=10000").await;
    assert_eq!(list["numberMatched"].as_u64().unwrap(), sample + 1, "the sample was not loaded twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_copies_sqlite_to_postgres_and_back_and_servers_on_the_copies_answer_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("original.db");
    let back = dir.path().join("back.db");
    let original_text = original.to_str().unwrap().to_owned();
    let token = add_user(&original, "yamada", "editor");
    {
        let server = serve(&original_text);
        create(&server, &token, "moved-1", "お引っ越し").await;
    }
    let pg = database();
    let url = with_password(&pg.url);

    let mut there = caremap();
    there.args(["migrate", "--from"]).arg(&original).args(["--to", &url]);
    let report = run_ok(there);
    assert!(report.contains("password=***"), "{report}");
    let mut home = caremap();
    home.args(["migrate", "--from", &url, "--to"]).arg(&back);
    let report_back = run_ok(home);
    let counts = |r: &str| r.lines().skip(1).map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(counts(&report), counts(&report_back), "{report}\n{report_back}");
    assert!(report.lines().any(|l| l.starts_with("users") && l.ends_with(" 1")), "{report}");

    let mut again = caremap();
    again.args(["migrate", "--from"]).arg(&original).args(["--to", &url]);
    let out = again.output().unwrap();
    let refusal = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && refusal.contains("not empty"), "a copy into a filled database: {refusal}");

    let paths = ["/api/providers?limit=10000", "/api/providers/moved-1", "/api/districts", "/api/about"];
    let mut answers = Vec::new();
    for db in [original_text.as_str(), url.as_str(), back.to_str().unwrap()] {
        let server = serve(db);
        let mut bodies = Vec::new();
        for path in paths {
            let (status, body) = get(&server, path).await;
            assert_eq!(status, StatusCode::OK, "{db} {path}: {body}");
            bodies.push(body);
        }
        let history = reqwest::Client::new()
            .get(server.url("/api/admin/providers/moved-1/history"))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(history.status(), StatusCode::OK, "the token works on the copy");
        bodies.push(history.json().await.unwrap());
        answers.push(bodies);
    }
    assert_eq!(answers[0], answers[1], "PostgreSQL copy answers as the original");
    assert_eq!(answers[0], answers[2], "the copy back answers as the original");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgres_is_down_reads_answer_and_writes_get_503_and_writes_work_again_after() {
    let db = crate::support::postgres::private_database();
    let token = add_user(Path::new(&db.url), "yamada", "editor");
    let server = serve(&db.url);
    create(&server, &token, "before", "停止前").await;
    db.cluster.stop();

    let (status, _) = get(&server, "/api/providers/before").await;
    assert_eq!(status, StatusCode::OK, "reads are answered from memory");
    let reply = reqwest::Client::new()
        .post(server.url("/api/admin/providers"))
        .header("authorization", format!("Bearer {token}"))
        .json(&feature("during", "停止中"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(reply.headers().contains_key("retry-after"));
    assert_eq!(reply.headers()["content-type"], "application/problem+json");

    db.cluster.restart();
    create(&server, &token, "after", "再開後").await;
    let (status, _) = get(&server, "/api/providers/during").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the refused write was not saved");
}

/// Servers that poll the feed only once a minute: a write on another server reaches them
/// within the tests' deadlines only through LISTEN/NOTIFY.
fn serve_listening(db: &str) -> Server {
    Server::start(serve_command(Path::new(db), &["--feed-poll-ms", "60000", "--ready-max-lag-s", "120"]))
}

/// Polls `server` until `GET /api/providers/{id}` answers 200 with `version` (deadline 20 s,
/// a third of the poll interval); how long it took.
async fn wait_for_version(server: &Server, id: &str, version: u64) -> std::time::Duration {
    let started = std::time::Instant::now();
    let deadline = started + std::time::Duration::from_secs(20);
    loop {
        let (status, body) = get(server, &format!("/api/providers/{id}")).await;
        if status == StatusCode::OK && body["properties"]["version"] == version {
            return started.elapsed();
        }
        assert!(std::time::Instant::now() < deadline, "{id} v{version} never reached {}: {status} {body}", server.base);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

async fn put(server: &Server, token: &str, id: &str, name: &str, version: u64) -> StatusCode {
    reqwest::Client::new()
        .put(server.url(&format!("/api/admin/providers/{id}")))
        .header("authorization", format!("Bearer {token}"))
        .header("if-match", format!("\"{version}\""))
        .json(&feature(id, name))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_see_each_others_writes_and_exactly_one_of_two_concurrent_updates_wins() {
    let db = database();
    let token = add_user(Path::new(&db.url), "yamada", "editor");
    let (a, b) = (serve_listening(&db.url), serve_listening(&db.url));

    // (a) A write answered by A is on B, woken by the notification (B polls once a minute).
    let mut delays = Vec::new();
    for i in 0..5 {
        let id = format!("ab-{i}");
        create(&a, &token, &id, "二台構成の事業所").await;
        delays.push(wait_for_version(&b, &id, 1).await);
    }
    eprintln!("write on A visible on B after: {delays:?}");

    // (b) Both servers take an update of the same version at once: one 200, one 412. (Each
    // name is new, so neither is an update that changes nothing.)
    for round in 1..=4u64 {
        let (name_a, name_b) = (format!("Aの更新{round}"), format!("Bの更新{round}"));
        let (on_a, on_b) =
            tokio::join!(put(&a, &token, "ab-0", &name_a, round), put(&b, &token, "ab-0", &name_b, round));
        let mut statuses = [on_a.as_u16(), on_b.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 412], "round {round}: A {on_a}, B {on_b}");
        wait_for_version(&a, "ab-0", round + 1).await;
        wait_for_version(&b, "ab-0", round + 1).await;
    }
    let (_, last) = get(&b, "/api/providers/ab-0").await;
    let name = last["properties"]["name"].as_str().unwrap();
    assert!(name == "Aの更新4" || name == "Bの更新4", "the last round's winner: {last}");

    // (c) A server started later loads snapshot + feed and answers as A (and B).
    let c = serve_listening(&db.url);
    let list = "/api/providers?limit=10000";
    let (_, on_a) = get(&a, list).await;
    let (_, on_b) = get(&b, list).await;
    let (_, on_c) = get(&c, list).await;
    assert_eq!(on_c, on_a, "the later server answers as A");
    assert_eq!(on_b, on_a, "B answers as A");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_a_server_acknowledged_before_its_kill_9_is_on_the_other_server_and_in_postgres() {
    let db = database();
    let token = add_user(Path::new(&db.url), "yamada", "editor");
    let (mut a, b) = (serve_listening(&db.url), serve_listening(&db.url));
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let writer = {
        let (acked, base, token) = (acked.clone(), a.base.clone(), token.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            for i in 0.. {
                let id = format!("kill-{i}");
                let sent = client
                    .post(format!("{base}/api/admin/providers"))
                    .header("authorization", format!("Bearer {token}"))
                    .json(&feature(&id, "停止試験"))
                    .send()
                    .await;
                match sent {
                    Ok(reply) if reply.status() == StatusCode::CREATED => acked.lock().unwrap().push(id),
                    _ => break,
                }
            }
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while acked.lock().unwrap().len() < 30 {
        assert!(std::time::Instant::now() < deadline, "A acknowledged too few writes");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    a.signal("KILL");
    assert!(a.wait_for_exit(std::time::Duration::from_secs(10)).is_some());
    writer.await.unwrap();
    let acked = acked.lock().unwrap().clone();
    eprintln!("A acknowledged {} writes before kill -9", acked.len());
    for id in &acked {
        wait_for_version(&b, id, 1).await;
    }
    let later = serve_listening(&db.url);
    for id in &acked {
        let (status, body) = get(&later, &format!("/api/providers/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{id} is in PostgreSQL: {body}");
    }
    let (_, on_b) = get(&b, "/api/providers?limit=10000").await;
    let (_, on_later) = get(&later, "/api/providers?limit=10000").await;
    assert_eq!(on_b, on_later, "B holds what PostgreSQL holds");
}

/// A server polling the feed every 200 ms with a one-second readiness bound: a poll round
/// finds the store gone soon after it stops, and a `/readyz` that stays 200 past the bound
/// does so because the store is unreachable, not because the catalog was caught up lately.
fn serve_polling(db: &str) -> Server {
    Server::start(serve_command(Path::new(db), &["--feed-poll-ms", "200", "--ready-max-lag-s", "1"]))
}

/// `GET /readyz`: its status and the `store` it reports (`null` when the body has none).
async fn readiness(server: &Server) -> (StatusCode, Value) {
    let reply = reqwest::get(server.url("/readyz")).await.unwrap();
    let status = reply.status();
    let body: Value = reply.json().await.unwrap();
    (status, body["store"].clone())
}

/// Polls `/readyz` until it answers 200 with `"store": store` (deadline 30 s).
async fn wait_for_store(server: &Server, store: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (status, seen) = readiness(server).await;
        if status == StatusCode::OK && seen == store {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{} never said store {store}: {status} {seen}", server.base);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The value of the counter `caremap_store_reconnects` in `/metrics`.
async fn reconnects(server: &Server) -> u64 {
    let text = reqwest::get(server.url("/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .find(|l| l.starts_with("caremap_store_reconnects"))
        .and_then(|l| l.split_whitespace().last()?.parse().ok())
        .unwrap_or_else(|| panic!("no caremap_store_reconnects in /metrics: {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_postgres_stopped_under_two_servers_both_read_refuse_writes_stay_ready_and_both_catch_up_after() {
    let db = crate::support::postgres::private_database();
    let token = add_user(Path::new(&db.url), "yamada", "editor");
    let (a, b) = (serve_polling(&db.url), serve_polling(&db.url));
    create(&a, &token, "before", "停止前").await;
    wait_for_version(&b, "before", 1).await;
    for server in [&a, &b] {
        wait_for_store(server, "ok").await;
        assert_eq!(reconnects(server).await, 0, "{}: the listener has not lost its connection yet", server.base);
    }
    db.cluster.stop();

    // Both notice at their next poll, and keep answering reads and readiness meanwhile.
    for server in [&a, &b] {
        wait_for_store(server, "unreachable").await;
    }
    // Past the readiness bound (1 s) without a round that reached the store: still ready,
    // because the store is unreachable for every server alike and the catalog lacks nothing.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    for (server, id) in [(&a, "during-a"), (&b, "during-b")] {
        assert_eq!(readiness(server).await, (StatusCode::OK, json!("unreachable")), "{}", server.base);
        let (status, body) = get(server, "/api/providers/before").await;
        assert_eq!(status, StatusCode::OK, "{}: reads are answered from memory: {body}", server.base);
        assert_eq!(body["properties"]["name"], "停止前");
        let (status, list) = get(server, "/api/providers/nearest?lon=139.9&lat=35.86&k=3").await;
        assert_eq!(status, StatusCode::OK, "{}: {list}", server.base);
        assert_eq!(list["features"].as_array().unwrap().len(), 3);

        let reply = reqwest::Client::new()
            .post(server.url("/api/admin/providers"))
            .header("authorization", format!("Bearer {token}"))
            .json(&feature(id, "停止中"))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::SERVICE_UNAVAILABLE, "{}", server.base);
        assert!(reply.headers().contains_key("retry-after"), "{}: {:?}", server.base, reply.headers());
        assert_eq!(reply.headers()["content-type"], "application/problem+json");
        let problem: Value = reply.json().await.unwrap();
        assert_eq!(problem["status"], 503, "{problem}");
        // An update of an existing provider is refused the same way.
        assert_eq!(put(server, &token, "before", "停止中の更新", 1).await, StatusCode::SERVICE_UNAVAILABLE);
    }

    db.cluster.restart();
    // A write through A is answered and reaches B; one through B reaches A.
    create(&a, &token, "after-a", "再開後A").await;
    wait_for_version(&b, "after-a", 1).await;
    assert_eq!(put(&b, &token, "before", "再開後の更新", 1).await, StatusCode::OK);
    wait_for_version(&a, "before", 2).await;
    for server in [&a, &b] {
        wait_for_store(server, "ok").await;
        assert!(reconnects(server).await >= 1, "{}: the listener reconnected", server.base);
        for id in ["during-a", "during-b"] {
            let (status, _) = get(server, &format!("/api/providers/{id}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{}: the refused write {id} was not saved", server.base);
        }
    }
    let list = "/api/providers?limit=10000";
    let (_, on_a) = get(&a, list).await;
    let (_, on_b) = get(&b, list).await;
    assert_eq!(on_a, on_b, "A and B hold the same catalog after the outage");
}
