//! The real binary on a private PostgreSQL cluster: `serve --db postgres://…` seeds the
//! sample, takes a staff write (token from `user add --db postgres://…`) and still has it
//! after a restart, never logging the URL's password; `migrate` copies SQLite → PostgreSQL →
//! SQLite with equal contents, and a server on each copy answers as on the original.

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
