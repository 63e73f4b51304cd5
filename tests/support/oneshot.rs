//! The router `serve` runs, built by `startup::build_router` over a temporary database seeded
//! with the bundled sample, called in-process (`oneshot`, no socket) so property tests can send
//! thousands of requests in seconds.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use caremap::access::Role;
use caremap::app::config::ServeConfig;
use caremap::app::startup::build_router;
use caremap::catalog::Catalog;
use caremap::store::{SqliteStore, Store};
use tower::ServiceExt;

use super::repo_path;

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

/// A fresh app on the bundled sample whose staff user `fuzz` has `role`.
pub fn app(role: Role) -> App {
    let dir = tempfile::tempdir().unwrap();
    let config = ServeConfig::for_paths(dir.path().join("fuzz.db"), repo_path("data"), repo_path("web"));
    let store = SqliteStore::open(&config.db).unwrap();
    let (token, hash) = caremap::access::generate_token().unwrap();
    store.add_user("fuzz", role, &hash).unwrap();
    let (router, state) = build_router(&config, Arc::new(store)).expect("the app builds");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    App { router, store: state.store.clone(), catalog: state.catalog.clone(), token, runtime, _dir: dir }
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
