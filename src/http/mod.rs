//! The HTTP layer (axum): one state struct, one router merged from each resource's routes,
//! static files from `web/`, and problem+json for every error. Only this module knows axum.

pub mod auth;
mod body;
mod districts;
pub mod error;
mod history;
mod imports;
mod meta;
mod ogc;
pub mod output;
pub mod params;
mod preconditions;
mod providers;
mod staff;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::IntoResponse;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::catalog::Catalog;
use crate::edits::Edits;
use crate::store::Store;

pub use body::MAX_BODY_BYTES;
pub use error::ApiError;
pub use imports::MAX_IMPORT_BYTES;
pub use meta::TileLayer;
pub use providers::{DEFAULT_LIMIT, MAX_K, MAX_LIMIT, MAX_RADIUS_M};

/// Facts about this deployment that the page shows.
#[derive(Debug, Clone)]
pub struct SiteInfo {
    /// The dataset label stored with the data (`sample` for the bundled sample).
    pub dataset: Option<String>,
    /// Base-map layers, the first being the default.
    pub tiles: Vec<TileLayer>,
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The in-memory catalog every read is answered from.
    pub catalog: Arc<Catalog>,
    /// The store of record every write goes to first.
    pub store: Arc<dyn Store>,
    /// Deployment facts for the page.
    pub site: Arc<SiteInfo>,
    /// The staff write path (store commit, then catalog publish).
    pub edits: Arc<Edits>,
    /// Failed staff sign-ins per client.
    pub auth_failures: Arc<auth::FailureLimiter>,
}

impl AppState {
    /// The state of a server over `catalog` and `store`, with the staff write path over both.
    pub fn new(catalog: Arc<Catalog>, store: Arc<dyn Store>, site: Arc<SiteInfo>) -> Self {
        let edits = Arc::new(Edits::new(store.clone(), catalog.clone()));
        Self { catalog, store, site, edits, auth_failures: Arc::new(auth::FailureLimiter::default()) }
    }
}

/// The Content-Security-Policy of every response: no inline script or style, images only
/// from here and the configured tile hosts.
fn content_security_policy(tiles: &[TileLayer]) -> String {
    let mut img = vec!["'self'".to_owned(), "data:".to_owned()];
    img.extend(tiles.iter().filter_map(|t| origin(&t.url)).map(str::to_owned));
    img.dedup();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src {}; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        img.join(" ")
    )
}

/// `https://host:port` of a URL, if it has one.
fn origin(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")? + 3;
    let host_end = url[scheme_end..].find('/').map_or(url.len(), |i| scheme_end + i);
    Some(&url[..host_end])
}

/// Builds the application router: the API, the OGC API, health checks, and the page from
/// `web_dir`.
pub fn router(state: AppState, web_dir: PathBuf) -> Router {
    let csp = HeaderValue::from_str(&content_security_policy(&state.site.tiles))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    let api_not_found = || async { ApiError::NotFound("this API path".into()).into_response() };
    Router::new()
        .merge(providers::router())
        .merge(districts::router())
        .merge(meta::router())
        .merge(ogc::router())
        .merge(
            Router::new()
                .merge(staff::router())
                .merge(history::router())
                .merge(auth::router())
                .merge(imports::router())
                .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))),
        )
        .route("/staff", axum::routing::get(|| async { axum::response::Redirect::permanent("/staff.html") }))
        .route("/api", axum::routing::any(api_not_found))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed.into_response() })
        .with_state(state)
        .fallback_service(ServeDir::new(web_dir))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, csp))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(CatchPanicLayer::custom(|_| ApiError::Internal("a handler panicked".into()).into_response()))
        .layer(TraceLayer::new_for_http())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_images_from_the_tile_hosts_only() {
        let tiles = vec![TileLayer {
            id: "gsi".into(),
            name: "x".into(),
            url: "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png".into(),
            attribution: String::new(),
            max_zoom: 18,
        }];
        let csp = content_security_policy(&tiles);
        assert!(csp.contains("img-src 'self' data: https://cyberjapandata.gsi.go.jp;"), "{csp}");
        assert!(!csp.contains("unsafe-inline"));
    }
}
