//! The real router over a temporary database seeded with the bundled sample, called in-process
//! (`oneshot`, no socket), so property tests can send thousands of requests in seconds. Shared
//! by the fuzzing tests (hostile_input, import_fuzz).
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use caremap::access::Role;
use caremap::app::startup::seed_store;
use caremap::catalog::Catalog;
use caremap::http::{AppState, HttpConfig, SiteInfo, router};
use caremap::store::{SqliteStore, Store};
use tower::ServiceExt;

/// The router with its store and catalog, a staff token, and a runtime to drive requests.
pub struct App {
    pub router: Router,
    pub store: Arc<dyn Store>,
    pub catalog: Arc<Catalog>,
    /// A token of a staff user with the role given to [`app`].
    pub token: String,
    pub runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

/// A fresh app whose staff user `fuzz` has `role`.
pub fn app(role: Role) -> App {
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let store = SqliteStore::open(&dir.path().join("fuzz.db")).unwrap();
    seed_store(&store, &repo.join("data")).unwrap();
    let (token, hash) = caremap::access::generate_token().unwrap();
    store.add_user("fuzz", role, &hash).unwrap();
    let catalog = Arc::new(Catalog::new(store.load_providers().unwrap(), store.load_districts().unwrap()));
    let store: Arc<dyn Store> = Arc::new(store);
    let site = Arc::new(SiteInfo { dataset: Some("sample".into()), tiles: vec![] });
    let config = HttpConfig::new(repo.join("web"));
    let router = router(AppState::new(catalog.clone(), store.clone(), site, &config), &config);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    App { router, store, catalog, token, runtime, _dir: dir }
}

impl App {
    /// Sends `request` through the router: the status, the Content-Type and the whole body.
    pub fn send(&self, request: Request<Body>) -> (StatusCode, String, Bytes) {
        self.runtime.block_on(async {
            let response = self.router.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let content_type =
                response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            (status, content_type, body)
        })
    }
}
