//! `caremap backup` and `caremap restore` against the real binary: a backup taken while a
//! server acknowledges a stream of writes holds every write acknowledged before the backup
//! started, restores into a new file, and a server started on that file serves them. Restore
//! refuses a database a server holds and a non-empty one without --force; a PostgreSQL URL is
//! pointed at pg_dump and `caremap migrate`.

use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};

use crate::support::process::{Server, add_user, caremap, serve_command};
use serde_json::{Value, json};

fn provider(id: &str, n: usize) -> Value {
    let lon = 139.88 + (n % 50) as f64 * 0.001;
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, 35.86]},
           "properties": {"kind": "care", "name": format!("バックアップ{n}"), "services": ["130"]}})
}

fn run(args: &[&str], paths: &[(&str, &Path)]) -> Output {
    let mut command = caremap();
    command.args(args);
    for (flag, path) in paths {
        command.arg(flag).arg(path);
    }
    command.output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Creates providers one after another until `stop`, recording each id once it is answered 201.
async fn writer(base: String, auth: String, acked: Arc<Mutex<Vec<String>>>, stop: Arc<tokio::sync::Notify>) {
    let http = reqwest::Client::new();
    for n in 0.. {
        let id = format!("stream-{n}");
        let send = http
            .post(format!("{base}/api/admin/providers"))
            .header("authorization", &auth)
            .json(&provider(&id, n))
            .send();
        let response = tokio::select! {
            r = send => r.unwrap(),
            () = stop.notified() => return,
        };
        assert_eq!(response.status(), 201, "{:?}", response.text().await);
        acked.lock().unwrap().push(id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_writes_restores_every_write_acknowledged_before_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let backup = dir.path().join("backup.db");
    let restored = dir.path().join("restored.db");
    let auth = format!("Bearer {}", add_user(&db, "backup", "editor"));
    let server = Server::start(serve_command(&db, &[]));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(tokio::sync::Notify::new());
    let writing = tokio::spawn(writer(server.base.clone(), auth, acked.clone(), stop.clone()));
    while acked.lock().unwrap().len() < 30 {
        assert!(!writing.is_finished(), "the writer stopped");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    let before: Vec<String> = acked.lock().unwrap().clone();
    let (db_arg, out_arg) = (db.clone(), backup.clone());
    let out =
        tokio::task::spawn_blocking(move || run(&["backup"], &[("--db", &db_arg), ("--out", &out_arg)])).await.unwrap();
    stop.notify_one();
    writing.await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("integrity check: ok"), "{}", text(&out));
    for leftover in ["backup.db-wal", "backup.db-shm"] {
        assert!(!dir.path().join(leftover).exists(), "the backup is one file: {leftover}");
    }

    // A server holds the live database: restoring into it is refused.
    let refused = run(&["restore"], &[("--from", &backup), ("--db", &db)]);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("in use"), "{}", text(&refused));

    let out = run(&["restore"], &[("--from", &backup), ("--db", &restored)]);
    assert!(out.status.success(), "{}", text(&out));
    let restored_server = Server::start(serve_command(&restored, &[]));
    let http = reqwest::Client::new();
    for id in &before {
        let reply = http.get(restored_server.url(&format!("/api/providers/{id}"))).send().await.unwrap();
        assert_eq!(reply.status(), 200, "acknowledged before the backup started: {id}");
    }
    drop(restored_server);

    // The restored database is not empty now: a second restore needs --force.
    let refused = run(&["restore"], &[("--from", &backup), ("--db", &restored)]);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("--force"), "{}", text(&refused));
    let forced = run(&["restore", "--force"], &[("--from", &backup), ("--db", &restored)]);
    assert!(forced.status.success(), "{}", text(&forced));
}

#[test]
fn a_damaged_backup_is_not_restored_and_the_target_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let damaged = dir.path().join("damaged.db");
    std::fs::write(&damaged, vec![b'x'; 8192]).unwrap();
    let target = dir.path().join("new.db");
    let out = run(&["restore"], &[("--from", &damaged), ("--db", &target)]);
    assert!(!out.status.success());
    assert!(text(&out).contains("damaged.db"), "{}", text(&out));
    assert!(!target.exists(), "nothing was written");
}

#[test]
fn a_postgres_database_is_pointed_at_pg_dump_and_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let out = caremap()
        .args(["backup", "--db", "postgres://caremap@localhost/caremap", "--out"])
        .arg(dir.path().join("x.db"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = text(&out);
    assert!(said.contains("pg_dump") && said.contains("caremap migrate"), "{said}");
}
