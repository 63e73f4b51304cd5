//! The HTTP layer (axum): one state struct, one router merged from each resource's routes,
//! static files from `web/`, and problem+json for every error. Only this module knows axum.
//!
//! [`error`] is the one error type; [`plumbing`] holds what every request passes through
//! (extractors, layers, output formats, the server loop); [`resources`] holds one file per
//! resource, each starting with its routes.

pub mod error;
pub mod plumbing;
pub mod resources;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::IntoResponse;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::catalog::Catalog;
use crate::store::Store;
use crate::write::Door;
use crate::write::follow::Feed;

use plumbing::{authenticate, headers, integrity, load_shedding, metrics, observe};
use resources::{
    accounts, address, api_doc, center_edits, changes, community_centers, coverage, districts, history, imports, meta,
    ogc, provider_accounts, providers, staff, static_files, vacancy,
};

pub use error::ApiError;
pub use plumbing::body::MAX_BODY_BYTES;
pub use plumbing::client::IpNet;
pub use plumbing::headers::CorsOrigins;
pub use plumbing::metrics::MetricsExposure;
pub use resources::imports::MAX_IMPORT_BYTES;
pub use resources::meta::TileLayer;
pub use resources::ogc::PublicUrl;
pub use resources::providers::{DEFAULT_LIMIT, MAX_K, MAX_LIMIT, MAX_RADIUS_M};

/// Facts about this deployment that the page shows.
#[derive(Debug, Clone)]
pub struct SiteInfo {
    /// The dataset label stored with the data (`sample` for the bundled sample).
    pub dataset: Option<String>,
    /// Base-map layers, the first being the default.
    pub tiles: Vec<TileLayer>,
}

/// How the HTTP layer protects itself and talks to browsers.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Folder with the web page.
    pub web_dir: PathBuf,
    /// Most requests handled at once before load shedding.
    pub max_concurrent_requests: usize,
    /// Longest time a request may take.
    pub request_timeout: Duration,
    /// Longest time a request's body may take to arrive (within the request timeout).
    pub body_timeout: Duration,
    /// Most heavy read queries (lists, polygon searches) running at once.
    pub heavy_queries: usize,
    /// Origins allowed to read the public API cross-origin.
    pub cors: CorsOrigins,
    /// Whether to send `Strict-Transport-Security`.
    pub hsts: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Whether `/metrics` is served on this router (to anyone).
    pub public_metrics: bool,
    /// The public URL the OGC links are built under; `None`: the request's host.
    pub public_url: Option<PublicUrl>,
    /// Days after which a vacancy confirmation is stale (`accepting_stale`).
    pub stale_after_days: u32,
    /// `/readyz` fails when the catalog was not seen caught up with the store for longer.
    pub ready_max_lag: Duration,
}

impl HttpConfig {
    /// Defaults (512 requests at once, 30 s per request, 10 s per body, one heavy query per
    /// core, CORS for any origin, no HSTS, no trusted proxy, no `/metrics`, links from the
    /// request's host, ready while caught up within 10 s) over the page in `web_dir`.
    pub fn new(web_dir: PathBuf) -> Self {
        Self {
            web_dir,
            max_concurrent_requests: 512,
            request_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(10),
            heavy_queries: std::thread::available_parallelism().map_or(1, usize::from),
            cors: CorsOrigins::Any,
            hsts: false,
            trusted_proxies: Vec::new(),
            public_metrics: false,
            public_url: None,
            stale_after_days: crate::domain::vacancy::DEFAULT_STALE_AFTER_DAYS,
            ready_max_lag: Duration::from_secs(crate::write::follow::DEFAULT_READY_MAX_LAG_S),
        }
    }
}

/// Shared state of every handler. Axum clones the state for every request, so it is one
/// pointer: one reference count to touch instead of one per field.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl std::ops::Deref for AppState {
    type Target = SharedState;
    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// What [`AppState`] points to.
pub struct SharedState {
    /// The in-memory catalog every read is answered from.
    pub catalog: Arc<Catalog>,
    /// The store of record every write goes to first.
    pub store: Arc<dyn Store>,
    /// Deployment facts for the page.
    pub site: Arc<SiteInfo>,
    /// The one write door (derive, commit, publish to the catalog).
    pub door: Arc<Door>,
    /// Failed staff sign-ins per client.
    pub auth_failures: Arc<authenticate::FailureLimiter>,
    /// Request counts, latencies and gauges for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// The concurrency cap and request deadline.
    pub limits: Arc<load_shedding::Limits>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (see [`plumbing::client`]).
    pub trusted_proxies: Vec<IpNet>,
    /// The public URL the OGC links are built under.
    pub public_url: Option<PublicUrl>,
    /// Population per grid square, for coverage (loaded at start; replaced whole when staff
    /// import a population layer, so a request keeps the layers it started with).
    pub population: Arc<arc_swap::ArcSwap<crate::coverage::PopulationLayers>>,
    /// Address points for geocoding (loaded at start; rebuilt and swapped whole after a staff
    /// import, so a request keeps the gazetteer it started with).
    pub addresses: Arc<arc_swap::ArcSwap<crate::address::Gazetteer>>,
    /// 地域包括支援センター and their 担当区域 (loaded at start; swapped whole after a staff
    /// import or edit).
    pub community_centers: Arc<arc_swap::ArcSwap<crate::address::centers::Centers>>,
    /// Days after which a vacancy confirmation is stale.
    pub stale_after_days: u32,
    /// The change feed as the follower sees it, and its wake-up (see [`crate::write::follow`]).
    pub feed: Arc<Feed>,
    /// `/readyz` fails when the catalog was not seen caught up with the store for longer.
    pub ready_max_lag: Duration,
    /// The database's start-up integrity check: writes wait for it (none: open at once; start-up
    /// sets it while a check runs beside serving).
    pub integrity: Arc<integrity::IntegrityGate>,
}

impl AppState {
    /// The state of a server over `catalog` and `store`, with the write door over both, the
    /// feed's report (caught up now: the catalog was just loaded), fresh metrics, and the
    /// load limits of `config`.
    pub fn new(catalog: Arc<Catalog>, store: Arc<dyn Store>, site: Arc<SiteInfo>, config: &HttpConfig) -> Self {
        let door = Arc::new(Door::new(store.clone(), catalog.clone()));
        let feed = Arc::new(Feed::new(catalog.applied_seq()));
        let metrics = Arc::new(metrics::Metrics::new());
        let limits = Arc::new(load_shedding::Limits::new(
            config.max_concurrent_requests,
            config.request_timeout,
            config.body_timeout,
            config.heavy_queries,
            metrics.clone(),
        ));
        let auth_failures = Arc::new(authenticate::FailureLimiter::default());
        let (trusted_proxies, public_url) = (config.trusted_proxies.clone(), config.public_url.clone());
        let population = Arc::new(arc_swap::ArcSwap::from_pointee(crate::coverage::PopulationLayers::new(
            store.load_population().unwrap_or_else(|e| {
                tracing::error!(error = %e, "population layer not loaded; coverage answers without it");
                Vec::new()
            }),
        )));
        let addresses = Arc::new(arc_swap::ArcSwap::from_pointee(load_gazetteer(store.as_ref()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "address points not loaded; address search answers nothing");
            crate::address::Gazetteer::default()
        })));
        let community_centers = Arc::new(arc_swap::ArcSwap::from_pointee(crate::address::centers::Centers::new(
            store.load_community_centers().unwrap_or_else(|e| {
                tracing::error!(error = %e, "地域包括支援センター not loaded; /api/community-centers answers none");
                Vec::new()
            }),
        )));
        Self(Arc::new(SharedState {
            catalog,
            store,
            site,
            door,
            auth_failures,
            metrics,
            limits,
            trusted_proxies,
            public_url,
            population,
            addresses,
            community_centers,
            stale_after_days: config.stale_after_days,
            feed,
            ready_max_lag: config.ready_max_lag,
            integrity: Arc::default(),
        }))
    }

    /// Freshness of vacancies now, by the configured rule (one per answer).
    pub fn vacancy_clock(&self) -> crate::domain::VacancyClock {
        crate::domain::VacancyClock::now(self.stale_after_days)
    }
}

impl SharedState {
    /// Rebuilds the gazetteer from the stored address points and swaps it in (after an address
    /// import): requests that started before keep the old one, later ones see the new one.
    ///
    /// # Errors
    /// When the store cannot be read; the served gazetteer is then unchanged.
    pub fn reload_addresses(&self) -> Result<(), crate::store::StoreError> {
        let gazetteer = load_gazetteer(self.store.as_ref())?;
        self.addresses.store(Arc::new(gazetteer));
        Ok(())
    }

    /// Reads the stored 地域包括支援センター and swaps them in (after an import or an edit).
    ///
    /// # Errors
    /// When the store cannot be read; the served centres are then unchanged.
    pub fn reload_community_centers(&self) -> Result<(), crate::store::StoreError> {
        let centers = self.store.load_community_centers()?;
        self.community_centers.store(Arc::new(crate::address::centers::Centers::new(centers)));
        Ok(())
    }
}

/// Every stored address point in a gazetteer.
fn load_gazetteer(store: &dyn Store) -> Result<crate::address::Gazetteer, crate::store::StoreError> {
    let started = std::time::Instant::now();
    let mut builder = crate::address::GazetteerBuilder::default();
    store.for_each_address(&mut |p| {
        builder.add_point(p);
    })?;
    let gazetteer = builder.build();
    let counts = gazetteer.counts();
    tracing::info!(
        towns = counts.towns,
        blocks = counts.blocks,
        residences = counts.residences,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "address gazetteer built"
    );
    Ok(gazetteer)
}

/// Builds the application router: the API, the OGC API, health checks, metrics, and the page
/// from `config.web_dir` ([`static_files`]), wrapped (outermost first) in request observation,
/// compression, security headers, load limits, panic recovery and the default body limit.
pub fn router(state: AppState, config: &HttpConfig) -> Router {
    let csp = HeaderValue::from_str(&headers::content_security_policy(&state.site.tiles))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    let api_not_found = || async { ApiError::NotFound("this API path".into()).into_response() };
    let not_allowed = || async { ApiError::MethodNotAllowed.into_response() };
    let cors = config.cors.layer();
    // Public reads may be called from other sites' pages; the staff routes are merged
    // without the CORS layer, so a preflight to /api/admin gets no Access-Control headers.
    let public = Router::new()
        .merge(providers::router())
        .merge(coverage::router())
        .merge(address::router())
        .merge(community_centers::router())
        .merge(districts::router())
        .merge(meta::router())
        .merge(api_doc::router())
        .merge(ogc::router());
    let public =
        if config.public_metrics { public.route("/metrics", axum::routing::get(metrics::metrics_get)) } else { public };
    let public = public
        // Set before the CORS layer so that layer also answers preflights (OPTIONS) to paths
        // that have no OPTIONS route; the later call below leaves these fallbacks alone.
        .method_not_allowed_fallback(not_allowed);
    let public = match cors {
        Some(cors) => public.layer(cors),
        None => public,
    };
    let router = Router::new()
        .merge(public)
        .merge(
            Router::new()
                .merge(staff::router())
                .merge(history::router())
                .merge(changes::router())
                .merge(accounts::router())
                .merge(provider_accounts::router())
                .merge(vacancy::router())
                .merge(imports::router())
                .merge(center_edits::router())
                // Every write is a staff route (a test holds the API description to that), so
                // this one layer keeps all of them waiting for the integrity check.
                .layer(axum::middleware::from_fn_with_state(state.integrity.clone(), integrity::writes_wait_for_check))
                .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))),
        )
        .route("/staff", axum::routing::get(|| async { axum::response::Redirect::permanent("/staff.html") }))
        .route("/api", axum::routing::any(api_not_found))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .method_not_allowed_fallback(not_allowed)
        .with_state(state.clone())
        .fallback({
            let files = static_files::StaticFiles::new(&config.web_dir);
            move |request: axum::extract::Request| files.clone().serve(request)
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(|_| ApiError::Internal("a handler panicked".into()).into_response()))
        .layer(axum::middleware::from_fn_with_state(state.limits.clone(), load_shedding::limit))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, csp))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            headers::PERMISSIONS_POLICY_HEADER.clone(),
            HeaderValue::from_static(headers::PERMISSIONS_POLICY),
        ));
    let router = if config.hsts {
        router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(headers::HSTS),
        ))
    } else {
        router
    };
    router
        // gzip or brotli as the client accepts (JSON, GeoJSON, CSV, HTML, scripts, styles; not
        // images or tiny bodies). Level 4: most of the gain of the best levels at a fraction of
        // their CPU (brotli's default, 11, takes ~100x longer on a 275 KB GeoJSON list).
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(axum::middleware::from_fn_with_state(state.metrics.clone(), observe::observe))
        // A second net outside the observation layer: a panic there must not drop the connection.
        .layer(CatchPanicLayer::custom(|_| ApiError::Internal("a middleware panicked".into()).into_response()))
}
