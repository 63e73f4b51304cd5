//! kill -9 during an import, against the real binary: whatever the moment — while the file is
//! uploaded, after it was parsed, while the transaction's pages are written, just after the
//! commit — the database opens cleanly and holds either none or all of the imported rows,
//! never a part; a restarted server serves exactly what the database holds. The same for a
//! `caremap import` process killed while it writes its pages into the database file (it holds
//! the database alone and writes with a rollback journal).
//!
//! The moments are found from the server's own log lines (`import files read`, `import
//! planned`, `import transaction committed`) and from the write-ahead log growing, not from
//! timings.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::fixtures::{Enc, many_offices, mhlw_csv};
use crate::support::process::{Server, add_user, caremap, metric, serve_command};
use crate::support::repo_path;

/// Rows per import: enough that writing the transaction takes a while.
const ROWS: usize = 50_000;

/// When the process is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    /// Half the upload sent.
    Upload,
    /// The files are parsed; the diff and the write have not started.
    Parsed,
    /// The write-ahead log is growing with the import's pages.
    Writing,
    /// The transaction has committed (the answer is not sent yet).
    Committed,
}

/// What the database holds after the kill.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Nothing,
    Everything,
}

/// An MHLW file of `ROWS` offices whose codes no other batch uses, and their provider ids.
fn batch(n: usize) -> (Vec<u8>, BTreeSet<String>) {
    let offices: Vec<_> = many_offices(ROWS)
        .into_iter()
        .enumerate()
        .map(|(i, mut o)| {
            o.code = format!("{}", 1_300_000_000 + n * 1_000_000 + i);
            o
        })
        .collect();
    let ids = offices.iter().map(|o| format!("care-{}", o.code)).collect();
    (mhlw_csv(&offices, Enc::Utf8Bom, true), ids)
}

/// What the database file says, read directly (no server running).
#[derive(Debug)]
struct Stored {
    live: BTreeSet<String>,
    history: i64,
    last_import: Option<String>,
}

fn stored(db: &Path) -> Stored {
    let conn = rusqlite::Connection::open(db).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok", "{}", db.display());
    let mut stmt = conn.prepare("SELECT id FROM providers WHERE deleted_at IS NULL").unwrap();
    let live = stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
    let history = conn.query_row("SELECT COUNT(*) FROM provider_history", [], |r| r.get(0)).unwrap();
    let last_import = conn.query_row("SELECT value FROM meta WHERE key = 'last_import_at'", [], |r| r.get(0)).ok();
    Stored { live, history, last_import }
}

/// Asserts that `after` is `before` with none or all of `ids`, and says which.
fn outcome(before: &Stored, after: &Stored, ids: &BTreeSet<String>) -> Outcome {
    if after.live == before.live {
        assert_eq!(after.history, before.history, "no provider changed, so no history was written");
        assert_eq!(after.last_import, before.last_import, "nor the import time");
        return Outcome::Nothing;
    }
    let all: BTreeSet<String> = before.live.union(ids).cloned().collect();
    let missing = all.difference(&after.live).count();
    let extra = after.live.difference(&all).count();
    assert!(
        missing == 0 && extra == 0,
        "a partial import: {} live providers, {missing} of the expected {} missing, {extra} unexpected",
        after.live.len(),
        all.len()
    );
    assert_eq!(after.history, before.history + ROWS as i64, "one history entry per imported row");
    assert!(after.last_import.is_some() && after.last_import != before.last_import, "{after:?}");
    Outcome::Everything
}

fn wal(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}-wal", db.display()))
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Polls `done` until it holds; a minute without it fails the test with `what`.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "waited a minute for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Until `file` is a MiB longer than when called (the import's pages are being written into
/// it: a server's write-ahead log, or the database itself for `caremap import`, which holds
/// it and writes with a rollback journal), or `committed` says the transaction is done.
fn wait_for_growth(file: &Path, mut committed: impl FnMut() -> bool) {
    let start = file_len(file);
    let what = format!("the import's pages in {}", file.display());
    wait_for(&what, || file_len(file) > start + (1 << 20) || committed());
}

/// The head of a raw-body `POST /api/admin/imports` with `dry_run=false`.
fn request_head(auth: &str, length: usize) -> String {
    format!(
        "POST /api/admin/imports?source=mhlw-care&dry_run=false&name=jigyosho_110.csv HTTP/1.1\r\nHost: x\r\n\
         Authorization: {auth}\r\nContent-Type: text/csv\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )
}

/// Sends an import to `server` and kills the server at `moment`. Returns the length of the
/// write-ahead log at the kill.
fn kill_server_during_import(server: &mut Server, auth: &str, file: Vec<u8>, moment: Moment, db: &Path) -> u64 {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.write_all(request_head(auth, file.len()).as_bytes()).unwrap();
    let sender = if moment == Moment::Upload {
        // A blocking write of half the body returns once the server has read most of it.
        stream.write_all(&file[..file.len() / 2]).unwrap();
        None
    } else {
        Some(std::thread::spawn(move || {
            // The kill ends the exchange; its errors are expected.
            let _ = stream.write_all(&file);
            let _ = stream.read_to_end(&mut Vec::new());
        }))
    };
    let mut logged = |line: &str| server.stderr().contains(line);
    match moment {
        Moment::Upload => {}
        Moment::Parsed => wait_for("the files to be read", || logged("import files read")),
        Moment::Writing => {
            wait_for("the import to be planned", || logged("import planned"));
            wait_for_growth(&wal(db), || logged("import transaction committed"));
        }
        Moment::Committed => wait_for("the commit", || logged("import transaction committed")),
    }
    server.signal("KILL");
    let wal_at_kill = file_len(&wal(db));
    server.wait_for_exit(Duration::from_secs(10)).expect("SIGKILL ends the process");
    if let Some(sender) = sender {
        sender.join().unwrap();
    }
    wal_at_kill
}

fn start(db: &Path) -> Server {
    let mut command = serve_command(db, &[]);
    command.env("CAREMAP_LOG", "info");
    let server = Server::start(command);
    server.wait_until_writable();
    server
}

fn served(server: &Server) -> usize {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    write!(stream, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    metric(&text, "caremap_providers_loaded").unwrap_or_else(|| panic!("{text}")) as usize
}

#[test]
fn a_server_killed_at_any_moment_of_an_import_keeps_none_or_all_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let auth = format!("Bearer {}", add_user(&db, "importer", "editor"));
    let mut server = start(&db);
    let mut seen = Vec::new();
    for (n, moment) in [Moment::Upload, Moment::Parsed, Moment::Writing, Moment::Committed].into_iter().enumerate() {
        let (file, ids) = batch(n);
        let before = {
            // The server holds no transaction open between requests, so the file is readable.
            let s = stored(&db);
            assert_eq!(s.live.len(), served(&server), "the server serves what the database holds");
            s
        };
        let wal_bytes = kill_server_during_import(&mut server, &auth, file, moment, &db);
        let after = stored(&db);
        let outcome = outcome(&before, &after, &ids);
        match moment {
            Moment::Upload => assert_eq!(outcome, Outcome::Nothing, "the body never arrived whole"),
            // Unless the test was held up for the whole diff and write (the log then says so).
            Moment::Parsed if !server.stderr().contains("import transaction committed") => {
                assert_eq!(outcome, Outcome::Nothing, "killed before the write began");
            }
            Moment::Parsed => {}
            Moment::Committed => assert_eq!(outcome, Outcome::Everything, "{moment:?}: a commit is durable"),
            Moment::Writing => {}
        }
        seen.push((moment, outcome, wal_bytes));
        server = start(&db);
        assert_eq!(served(&server), after.live.len(), "after {moment:?}, the restarted server serves the database");
    }
    eprintln!("(moment, outcome, write-ahead log bytes at the kill): {seen:?}");
}

#[test]
fn an_import_command_killed_while_it_writes_keeps_none_or_all_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    {
        let store = caremap::store::SqliteStore::open(&db).unwrap();
        caremap::app::startup::seed_store(&store, &repo_path("data")).unwrap();
    }
    let (bytes, ids) = batch(0);
    let file = dir.path().join("jigyosho_110.csv");
    std::fs::write(&file, bytes).unwrap();
    let before = stored(&db);
    assert!(!before.live.is_empty());

    let mut child = caremap()
        .args(["import", "--source", "mhlw-care", "--data"])
        .arg(repo_path("data"))
        .arg("--db")
        .arg(&db)
        .arg(&file)
        .env("CAREMAP_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let reader = {
        let (mut pipe, log) = (child.stderr.take().unwrap(), log.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                log.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let logged = |line: &str| log.lock().unwrap().contains(line);
    let kill = |child: &mut std::process::Child| {
        let _ = child.kill();
        child.wait().unwrap()
    };
    let exited = |child: &mut std::process::Child| child.try_wait().unwrap().is_some();
    wait_for("the import to be planned", || logged("import planned") || exited(&mut child));
    wait_for_growth(&db, || logged("import transaction committed") || exited(&mut child));
    let status = kill(&mut child);
    reader.join().unwrap();
    assert!(logged("import written with a rollback journal"), "{}", log.lock().unwrap());
    // A rollback journal left by the kill is hot: the next connection rolls it back.
    let outcome = outcome(&before, &stored(&db), &ids);
    let store = caremap::store::SqliteStore::open(&db).unwrap();
    let mode: String =
        rusqlite::Connection::open(&db).unwrap().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal", "the store's next open returns the database to WAL mode");
    drop(store);
    // Finishing first is possible (the write is quick), but then it must have succeeded.
    assert!(status.code().is_none() || status.success(), "{status:?}: {}", log.lock().unwrap());
    eprintln!("outcome: {outcome:?} ({status:?})");
}
