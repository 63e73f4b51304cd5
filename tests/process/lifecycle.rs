//! The life of the real binary: SIGTERM and Ctrl-C (SIGINT) drain in-flight requests and exit
//! 0 within 10 s, a drain that cannot finish is cut at the deadline, start-up refuses bad
//! settings at once with a message naming the problem, and the logs are structured and never
//! hold a token. `caremap import` refuses a database a server is running on.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::support::process::{Server, add_user, caremap, metric, run_to_exit, serve_command};
use crate::support::repo_path;
use serde_json::Value;

/// The polygon search body: a square around the middle of the sample city.
const SEARCH: &str = r#"{"type":"Polygon","coordinates":[[[139.88,35.84],[139.94,35.84],[139.94,35.90],[139.88,35.90],[139.88,35.84]]]}"#;

/// Sends a search request with only the first half of its body; the handler is then in flight.
fn half_sent_search(server: &Server) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    let head = format!(
        "POST /api/providers/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        SEARCH.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&SEARCH.as_bytes()[..SEARCH.len() / 2]).unwrap();
    stream
}

fn get(server: &Server, path: &str) -> String {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

fn wait_for_in_flight(server: &Server, n: f64) {
    for _ in 0..2000 {
        if metric(&get(server, "/metrics"), "caremap_http_requests_in_flight") == Some(n) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("never {n} requests in flight");
}

/// After the signal the listener closes; polls until a new connection is refused.
fn wait_until_refused(server: &Server) {
    for _ in 0..2000 {
        if TcpStream::connect(server.addr).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the server still accepts connections after the signal");
}

fn drains_and_exits_0_on(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(serve_command(&dir.path().join("c.db"), &[]));
    let mut in_flight = half_sent_search(&server);
    wait_for_in_flight(&server, 1.0);

    server.signal(signal);
    wait_until_refused(&server);
    in_flight.write_all(&SEARCH.as_bytes()[SEARCH.len() / 2..]).unwrap();
    let mut response = String::new();
    in_flight.read_to_string(&mut response).unwrap();

    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"FeatureCollection\""), "{response}");
    let status = server.wait_for_exit(Duration::from_secs(10)).expect("exits within 10 s of the signal");
    assert!(status.success(), "{status:?}\n{}", server.stderr());
}

#[test]
fn sigterm_lets_the_in_flight_request_finish_and_exits_0() {
    drains_and_exits_0_on("TERM");
}

#[test]
fn ctrl_c_lets_the_in_flight_request_finish_and_exits_0() {
    drains_and_exits_0_on("INT");
}

#[test]
fn a_drain_that_cannot_finish_is_cut_at_the_deadline_and_the_process_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(serve_command(&dir.path().join("c.db"), &["--shutdown-timeout-s", "1"]));
    let mut stuck = half_sent_search(&server);
    wait_for_in_flight(&server, 1.0);

    server.signal("TERM");
    let status = server.wait_for_exit(Duration::from_secs(10)).expect("exits within 10 s of the signal");

    assert!(status.success(), "{status:?}\n{}", server.stderr());
    let mut rest = Vec::new();
    let _ = stuck.read_to_end(&mut rest);
    assert!(rest.is_empty(), "the stuck request got no answer, its connection was closed");
}

fn assert_refused(command: std::process::Command, expected: &[&str]) -> String {
    let (status, stderr) = run_to_exit(command);
    assert!(!status.success(), "start-up should fail: {stderr}");
    for text in expected {
        assert!(stderr.contains(text), "'{text}' not in the message:\n{stderr}");
    }
    stderr
}

#[test]
fn start_up_names_a_database_folder_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("no-such-folder/c.db");
    assert_refused(serve_command(&db, &[]), &["no-such-folder", "does not exist"]);
}

#[test]
fn start_up_refuses_a_database_another_caremap_is_serving() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let first = Server::start(serve_command(&db, &[]));
    let message = assert_refused(serve_command(&db, &[]), &["c.db", "in use by another caremap process"]);
    assert!(message.contains(&format!("pid {}", first.pid())), "{message}");
    let generated = assert_refused(
        {
            let mut c = caremap();
            c.args(["gen", "--count", "10", "--db"]).arg(&db);
            c
        },
        &["in use"],
    );
    assert!(!generated.is_empty());
    get(&first, "/healthz");
}

fn import_command(db: &std::path::Path, file: &std::path::Path, extra: &[&str]) -> std::process::Command {
    let mut command = caremap();
    command.args(["import", "--source", "mhlw-care", "--data"]).arg(repo_path("data")).arg("--db").arg(db);
    command.args(extra).arg(file);
    command
}

fn last_import_at(db: &std::path::Path) -> Option<String> {
    use caremap::store::{LAST_IMPORT_META, SqliteStore, Store};
    SqliteStore::open(db).unwrap().meta(LAST_IMPORT_META).unwrap()
}

#[test]
fn an_address_or_centre_import_from_the_command_line_is_refused_while_a_server_runs() {
    use crate::support::fixtures::{Enc, address::isj_oaza_csv};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let oaza = dir.path().join("oaza.csv");
    std::fs::write(&oaza, isj_oaza_csv(Enc::ShiftJis, true)).unwrap();
    let centers = repo_path("docs/import-examples/community_centers.csv");
    let server = Server::start(serve_command(&db, &[]));
    let sample = get(&server, "/api/community-centers");
    for (source, file) in [("isj-oaza", &oaza), ("community-centers", &centers)] {
        let mut command = caremap();
        command.args(["import", "--source", source, "--db"]).arg(&db).arg(file);
        assert_refused(command, &["in use by a running caremap server", "POST /api/admin/imports"]);
    }
    // The server still answers from the layers it holds: the sample's.
    let body = |reply: &str| reply.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    assert_eq!(body(&get(&server, "/api/community-centers")), body(&sample));
    assert!(get(&server, "/api/geocode?q=%E5%8D%97%E6%B5%81%E5%B1%B1").contains("\"source\":\"sample\""));
}

#[test]
fn an_import_is_refused_while_a_server_runs_on_the_database_and_recorded_once_it_stopped() {
    use crate::support::fixtures::{Enc, Office, mhlw_csv};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let file = dir.path().join("jigyosho_110.csv");
    let offices = [Office::new("1270000001", "さくら"), Office::new("1270000002", "もみじ")];
    std::fs::write(&file, mhlw_csv(&offices, Enc::Utf8Bom, true)).unwrap();
    let mut server = Server::start(serve_command(&db, &[]));
    let served = || metric(&get(&server, "/metrics"), "caremap_providers_loaded").unwrap();
    let before = served();

    let message = assert_refused(
        import_command(&db, &file, &[]),
        &["c.db", "in use by a running caremap server", "staff page", "POST /api/admin/imports", "stop the server"],
    );
    assert!(message.contains(&format!("pid {}", server.pid())), "{message}");
    let (status, stderr) = run_to_exit(import_command(&db, &file, &["--dry-run"]));
    assert!(status.success(), "a dry run only reads, so it may run beside the server: {stderr}");
    assert_eq!(last_import_at(&db), None, "nothing was imported");
    assert_eq!(served(), before);

    server.signal("TERM");
    assert!(server.wait_for_exit(Duration::from_secs(10)).expect("exits").success());
    let (status, stderr) = run_to_exit(import_command(&db, &file, &[]));
    assert!(status.success(), "{stderr}");
    let at = last_import_at(&db).expect("the import recorded its time");
    let server = Server::start(serve_command(&db, &[]));
    let text = get(&server, "/metrics");
    assert_eq!(metric(&text, "caremap_providers_loaded"), Some(before + 2.0), "{text}");
    let at = time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(metric(&text, "caremap_last_import_timestamp_seconds"), Some(at.unix_timestamp() as f64), "{text}");
}

#[test]
fn start_up_names_an_address_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut command = caremap();
    command.args(["serve", "--addr", &addr, "--db"]).arg(dir.path().join("c.db")).arg("--data").arg(repo_path("data"));
    assert_refused(command, &[&addr, "cannot listen"]);
}

#[test]
fn start_up_names_a_malformed_data_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::copy(repo_path("data/districts.geojson"), data.join("districts.geojson")).unwrap();
    std::fs::write(data.join("providers.geojson"), r#"{"type":"FeatureCollection","features":[{"type":"Feat"#).unwrap();
    let mut command = caremap();
    command.args(["serve", "--addr", "127.0.0.1:0", "--db"]).arg(dir.path().join("c.db")).arg("--data").arg(&data);
    assert_refused(command, &["providers.geojson"]);
}

#[test]
fn start_up_refuses_a_file_that_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    std::fs::write(&db, vec![b'x'; 8192]).unwrap();
    assert_refused(serve_command(&db, &[]), &["c.db", "not a database"]);
}

#[test]
fn start_up_refuses_a_damaged_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let out = caremap().args(["gen", "--count", "3000", "--db"]).arg(&db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Overwrite pages in the middle of the file (tables and indexes; the header stays intact).
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 64 * 4096, "{}", bytes.len());
    for b in &mut bytes[20 * 4096..40 * 4096] {
        *b = 0x5a;
    }
    std::fs::write(&db, bytes).unwrap();
    let message = assert_refused(serve_command(&db, &[]), &["c.db"]);
    assert!(message.contains("damaged") || message.contains("malformed"), "{message}");
}

#[test]
fn damage_the_check_finds_after_the_server_listens_stops_it_non_zero_naming_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let out = caremap().args(["gen", "--count", "3000", "--db"]).arg(&db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The catalog loads from this file; only the integrity check, which runs beside serving, fails.
    crate::support::damage::fail_the_quick_check(&db);

    let mut server = Server::start(serve_command(&db, &[]));
    let status = server.wait_for_exit(Duration::from_secs(30)).expect("the server stops by itself");

    assert!(!status.success(), "{status:?}");
    let stderr = server.stderr();
    let exit_message = stderr.lines().find(|l| l.starts_with("caremap: ")).unwrap_or_else(|| panic!("{stderr}"));
    for text in ["c.db", "is damaged (PRAGMA quick_check: NULL value in damage_probe.v)", "restore it from a backup"] {
        assert!(exit_message.contains(text), "'{text}' not in: {exit_message}");
    }
    assert!(stderr.contains("integrity check failed"), "logged as an error first:\n{stderr}");
}

#[test]
fn request_logs_are_structured_and_never_contain_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let token = add_user(&db, "logcheck", "admin");
    let mut command = serve_command(&db, &[]);
    command.env("CAREMAP_LOG", "trace").env("CAREMAP_LOG_FORMAT", "json");
    let mut server = Server::start(command);
    let (wrong, _) = caremap::access::generate_token().unwrap();
    let exchange = |path: &str, headers: &str| {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n").unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        text
    };
    assert!(exchange("/api/admin/me", &format!("Authorization: Bearer {token}\r\n")).starts_with("HTTP/1.1 200"));
    assert!(exchange("/api/admin/me", &format!("Authorization: Bearer {wrong}\r\n")).starts_with("HTTP/1.1 401"));
    exchange(&format!("/api/admin/me?access_token={token}"), "");
    exchange("/api/admin/users", &format!("Authorization: Bearer {token}\r\nX-Request-Id: {token}\r\n"));
    exchange("/api/providers?limit=1", "X-Request-Id: log-test-1\r\n");

    server.signal("TERM");
    assert!(server.wait_for_exit(Duration::from_secs(10)).expect("exits").success());
    let logs = server.stderr();

    for secret in [token.as_str(), &token["cmk_".len()..], wrong.as_str(), &wrong["cmk_".len()..]] {
        assert!(!logs.contains(secret), "a token is in the logs:\n{logs}");
    }
    let requests: Vec<Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "request")
        .collect();
    assert_eq!(requests.len(), 5, "one event per request:\n{logs}");
    let public = requests.iter().find(|r| r["span"]["id"] == "log-test-1").unwrap_or_else(|| panic!("{logs}"));
    assert_eq!(public["fields"]["method"], "GET");
    assert_eq!(public["fields"]["path"], "/api/providers");
    assert_eq!(public["fields"]["route"], "/api/providers");
    assert_eq!(public["fields"]["status"], 200);
    assert!(public["fields"]["latency_ms"].as_f64().is_some(), "{public}");
    assert!(requests.iter().all(|r| r["span"]["id"].as_str().is_some_and(|id| !id.is_empty())), "{logs}");
    let staff = requests.iter().find(|r| r["fields"]["path"] == "/api/admin/users").unwrap_or_else(|| panic!("{logs}"));
    assert_eq!(staff["span"]["account"], "logcheck", "staff requests name the account: {staff}");
    assert!(public["span"].get("account").is_none(), "{public}");
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn database_files_are_created_readable_by_their_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let by_user_add = dir.path().join("users.db");
    add_user(&by_user_add, "yamada", "editor");
    assert_eq!(mode(&by_user_add), 0o600);

    let by_serve = dir.path().join("served.db");
    let mut server = Server::start(serve_command(&by_serve, &[]));
    for file in ["served.db", "served.db-wal", "served.db-shm"] {
        assert_eq!(mode(&dir.path().join(file)), 0o600, "{file}");
    }
    server.signal("TERM");
    assert!(server.wait_for_exit(Duration::from_secs(10)).expect("exits").success());

    use crate::support::fixtures::{Enc, Office, mhlw_csv};
    let file = dir.path().join("jigyosho_110.csv");
    std::fs::write(&file, mhlw_csv(&[Office::new("1270000001", "さくら")], Enc::Utf8Bom, true)).unwrap();
    let by_import = dir.path().join("imported.db");
    let (status, stderr) = run_to_exit(import_command(&by_import, &file, &[]));
    assert!(status.success(), "{stderr}");
    assert_eq!(mode(&by_import), 0o600);
}

#[test]
fn user_rotate_replaces_the_token_and_the_account_log_names_who_ran_each_command() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let user = |args: &[&str]| {
        let out = caremap().arg("user").args(args).arg("--db").arg(&db).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let last_line = |text: String| text.lines().last().unwrap().to_owned();
    let admin = last_line(user(&["add", "--role", "admin", "--actor", "setup", "suzuki"]));
    let old = last_line(user(&["add", "--role", "editor", "--expires-in-days", "30", "yamada"]));
    let new = last_line(user(&["rotate", "--actor", "kanri", "yamada"]));
    assert!(new.starts_with("cmk_") && new != old, "{new}");
    let list = user(&["list"]);
    let yamada = list.lines().find(|l| l.starts_with("yamada")).unwrap_or_else(|| panic!("{list}"));
    assert!(yamada.contains("never") && yamada.ends_with("active"), "rotated without expiry: {list}");
    user(&["revoke", "--actor", "kanri", "yamada"]);
    let mut bad = caremap();
    bad.args(["user", "add", "--role", "editor", "--expires-in-days", "0", "--db"]).arg(&db).arg("x");
    let (status, stderr) = run_to_exit(bad);
    assert!(!status.success() && stderr.contains("days"), "{stderr}");

    let server = Server::start(serve_command(&db, &[]));
    let exchange = |token: &str, path: &str| {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n")
            .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        text
    };
    assert!(exchange(&old, "/api/admin/me").starts_with("HTTP/1.1 401"), "the old token no longer works");
    assert!(exchange(&new, "/api/admin/me").starts_with("HTTP/1.1 401"), "revoked");
    let reply = exchange(&admin, "/api/admin/audit?log=accounts");
    let body: Value =
        serde_json::from_str(reply.split("\r\n\r\n").nth(1).unwrap()).unwrap_or_else(|e| panic!("{e}: {reply}"));
    let entries: Vec<_> = body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e["user"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["changed_by"].as_str().unwrap()
            )
        })
        .collect();
    let login = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).ok();
    assert_eq!(entries[0], "suzuki user_add setup");
    assert!(entries[1].starts_with("yamada user_add cli:"), "{entries:?}");
    if let Some(login) = login {
        assert_eq!(entries[1], format!("yamada user_add cli:{login}"));
    }
    assert_eq!(entries[2..], ["yamada user_rotate kanri", "yamada user_revoke kanri"]);
    assert!(body["entries"][1]["expires_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{body}");
    assert!(!reply.contains(&old[4..]) && !reply.contains(&new[4..]), "{reply}");
}

#[test]
fn user_add_binds_a_provider_account_to_existing_providers_and_names_an_unknown_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let generated = caremap().args(["gen", "--count", "3", "--seed", "1", "--db"]).arg(&db).output().unwrap();
    assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));
    let add = |providers: &str, name: &str| {
        caremap()
            .args(["user", "add", "--role", "provider", "--provider", providers, "--db"])
            .arg(&db)
            .arg(name)
            .output()
            .unwrap()
    };
    let refused = add("gen-00000000,no-such-office", "さくら");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && stderr.contains("no-such-office"), "{stderr}");
    let list = caremap().args(["user", "list", "--db"]).arg(&db).output().unwrap();
    assert!(!String::from_utf8_lossy(&list.stdout).contains("さくら"), "nothing was created");

    let added = add("gen-00000000,gen-00000001", "さくら");
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let token = String::from_utf8(added.stdout).unwrap().lines().last().unwrap().to_owned();
    assert!(token.starts_with("cmk_") && token.len() == 68, "the token alone on the last line: {token}");
    let store = caremap::store::SqliteStore::open(&db).unwrap();
    let user =
        caremap::store::Store::user_by_token_hash(&store, &caremap::access::hash_token(&token)).unwrap().unwrap();
    assert_eq!(user.providers, ["gen-00000000", "gen-00000001"]);
    let list = caremap().args(["user", "list", "--db"]).arg(&db).output().unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(list.contains("provider") && list.contains("(providers: gen-00000000,gen-00000001)"), "{list}");
}
