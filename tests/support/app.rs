//! The application started in-process through `startup::Application` (the path `serve`
//! runs) on port 0: `spawn_app()` and a `TestApp` with typed request helpers that print
//! status, headers and body when an expectation fails.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use caremap::access::Role;
use caremap::app::config::ServeConfig;
use caremap::app::startup::{Application, CheckHold, StartupError};
use caremap::http::plumbing::server::Stopped;
use caremap::store::{SqliteStore, Store};
use reqwest::StatusCode;
use serde_json::Value;
use tempfile::TempDir;

use super::repo_path;

/// A running server with its own temporary database.
pub struct TestApp {
    pub addr: SocketAddr,
    /// The metrics listener's address, with `--metrics HOST:PORT`.
    pub metrics_addr: Option<SocketAddr>,
    pub db: PathBuf,
    pub client: reqwest::Client,
    pub _dir: TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// A response read to the end.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self}"))
    }

    /// Asserts the status, printing the whole reply when it differs.
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status.as_u16(), status, "unexpected reply: {self}");
        self
    }

    /// Asserts a problem+json reply with `status` whose `invalid_params` (or detail) names `field`.
    pub fn expect_problem(self, status: u16, field: &str) -> Value {
        let reply = self.expect(status);
        assert_eq!(reply.content_type, "application/problem+json", "{reply}");
        let body = reply.json();
        assert_eq!(body["status"], status, "{reply}");
        assert!(body["title"].is_string() && body["type"].is_string(), "{reply}");
        let named = body["invalid_params"].as_array().is_some_and(|a| a.iter().any(|p| p["name"] == field));
        assert!(named || body["detail"].as_str().unwrap_or("").contains(field), "field '{field}' not named: {reply}");
        body
    }

    /// The `ETag` header.
    pub fn etag(&self) -> String {
        self.headers.get("etag").unwrap_or_else(|| panic!("no ETag: {self}")).to_str().unwrap().to_owned()
    }

    /// The features of a FeatureCollection reply.
    pub fn features(&self) -> Vec<Value> {
        let body = self.json();
        assert_eq!(body["type"], "FeatureCollection", "{self}");
        body["features"].as_array().cloned().unwrap_or_default()
    }
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let body = self.text();
        let shown: String = body.chars().take(2000).collect();
        write!(f, "{} {:?}\n{shown}", self.status, self.headers)
    }
}

/// Starts the server on the bundled sample.
pub async fn spawn_app() -> TestApp {
    spawn_app_with_data(&repo_path("data")).await
}

/// Starts the server on the data folder `data`.
pub async fn spawn_app_with_data(data: &Path) -> TestApp {
    spawn_app_configured(data, |_| {}).await
}

/// Starts the server on the bundled sample with settings changed by `configure` (which may
/// also prepare the database at `config.db` before the server opens it).
pub async fn spawn_app_with(configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
    spawn_app_configured(&repo_path("data"), configure).await
}

async fn spawn_app_configured(data: &Path, configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
    start(data, configure, false).await.0
}

/// A server started as [`spawn_app_with`] would, over a database that `prepare` fills first
/// (so its integrity check runs beside serving, not before seeding), with the check's result
/// held until the returned [`CheckHold`] is released: writes wait and `/readyz` says
/// `checking` until then. Also returns the server's task, which ends with what `run_until`
/// returns (the check's failure, if it fails).
pub async fn spawn_app_with_check_held(
    prepare: impl FnOnce(&Path),
) -> (TestApp, CheckHold, tokio::task::JoinHandle<Result<Stopped, StartupError>>) {
    let (app, hold, running) = start(&repo_path("data"), |config| prepare(&config.db), true).await;
    (app, hold.expect("a hold was asked for"), running)
}

/// Fills the database at `db` with the bundled sample (as a first start would), so that the
/// next start finds providers in it.
pub fn seed_sample(db: &Path) {
    let store = SqliteStore::open(db).unwrap();
    caremap::app::startup::seed_store(&store, &repo_path("data")).unwrap();
}

async fn start(
    data: &Path,
    configure: impl FnOnce(&mut ServeConfig),
    hold: bool,
) -> (TestApp, Option<CheckHold>, tokio::task::JoinHandle<Result<Stopped, StartupError>>) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServeConfig::for_paths(dir.path().join("test.db"), data.to_owned(), repo_path("web"));
    // The tests read /metrics on the main address (the default is off); `configure` may change it.
    config.metrics = caremap::http::MetricsExposure::Public;
    configure(&mut config);
    let mut app = Application::build(&config).await.expect("the app starts");
    let hold = hold.then(|| app.hold_integrity_check());
    let integrity = app.integrity();
    let addr = app.local_addr();
    let metrics_addr = app.metrics_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    if hold.is_none() {
        // A test that writes at once on a database it filled must not meet the check's 503s.
        integrity.settled().await;
    }
    let app = TestApp {
        addr,
        metrics_addr,
        db: dir.path().join("test.db"),
        client: reqwest::Client::new(),
        _dir: dir,
        _shutdown: tx,
    };
    (app, hold, running)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn read(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let content_type =
            headers.get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let body = response.bytes().await.expect("a body").to_vec();
        Reply { status, content_type, headers, body }
    }

    pub async fn get(&self, path: &str) -> Reply {
        Self::read(self.client.get(self.url(path)).send().await.expect("request sent")).await
    }

    pub async fn post(&self, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> Reply {
        let request = self.client.post(self.url(path)).header("content-type", content_type).body(body);
        Self::read(request.send().await.expect("request sent")).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.post(path, "application/json", body.to_string()).await
    }

    /// Any request: `headers` as (name, value) pairs, a JSON body if given.
    pub async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&Value>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/geo+json").body(body.to_string());
        }
        Self::read(request.send().await.expect("request sent")).await
    }

    /// A POST with a raw body and extra headers.
    pub async fn post_bytes(&self, path: &str, headers: &[(&str, &str)], content_type: &str, body: Vec<u8>) -> Reply {
        let mut request = self.client.post(self.url(path)).header("content-type", content_type).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::read(request.send().await.expect("request sent")).await
    }

    /// A `multipart/form-data` POST with one file part per (file name, bytes).
    pub async fn post_files(&self, path: &str, headers: &[(&str, &str)], files: &[(&str, Vec<u8>)]) -> Reply {
        let boundary = "caremap-test-boundary-7f3a9c";
        let mut body = Vec::new();
        for (name, bytes) in files {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n").as_bytes(),
            );
            body.extend_from_slice(b"Content-Type: application/octet-stream\r\n\r\n");
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        self.post_bytes(path, headers, &content_type, body).await
    }

    /// Creates a staff user in the server's database (as `caremap user add` does) and
    /// returns its token.
    pub fn add_user(&self, name: &str, role: Role) -> String {
        let (token, hash) = caremap::access::generate_token().unwrap();
        SqliteStore::open(&self.db).unwrap().add_user(name, role, &hash).unwrap();
        token
    }

    /// Revokes a user's token in the server's database.
    pub fn revoke_user(&self, name: &str) {
        assert!(SqliteStore::open(&self.db).unwrap().revoke_user(name).unwrap());
    }

    /// Every provider of the catalog, through the public API.
    pub async fn all_providers(&self) -> Vec<Value> {
        self.get("/api/providers?limit=10000").await.expect(200).features()
    }
}

/// A response read off a raw connection.
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    /// The status line and headers, as sent (header names lowercased for lookups).
    pub head: String,
    pub body: String,
}

impl RawReply {
    /// The value of header `name` (lowercase), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Reads one HTTP/1.1 response with a `Content-Length` body off `stream`; `None` when the
/// server closes the connection before a complete response head.
pub async fn read_response(stream: &mut tokio::net::TcpStream) -> Option<RawReply> {
    use tokio::io::AsyncReadExt;
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        bytes.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let mut reply = RawReply { status, head, body: String::new() };
    let length: usize = reply.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while bytes.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
    reply.body = String::from_utf8_lossy(&bytes[head_end..]).into_owned();
    Some(reply)
}

/// `[lon, lat]` of a feature.
pub fn lon_lat(feature: &Value) -> (f64, f64) {
    let c = &feature["geometry"]["coordinates"];
    (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
}

/// WGS84 geodesic distance in metres, computed independently of the server.
pub fn geodesic_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    use geo::Distance;
    geo::Geodesic.distance(geo::Point::new(a.0, a.1), geo::Point::new(b.0, b.1))
}

pub fn ids(features: &[Value]) -> Vec<String> {
    features.iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}
