//! Builds the application from its settings: open the store, load the bundled data into an
//! empty database, load the catalog, bind the listener, serve until a shutdown signal.
//! Tests use this exact path on port 0.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;

use crate::catalog::Catalog;
use crate::config::ServeConfig;
use crate::domain::{District, Provider, district_of, parse_districts};
use crate::features::provider_from_feature;
use crate::http::{AppState, SiteInfo, router};
use crate::store::{SqliteStore, Store, StoreError};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database failed to open or load.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bundled data file is missing or malformed.
    #[error("data file {path}: {reason}")]
    Data {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The address could not be bound (in use, not local, malformed).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// A server bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

fn data_error(path: &Path, reason: impl ToString) -> StartupError {
    StartupError::Data { path: path.to_owned(), reason: reason.to_string() }
}

/// Reads a provider FeatureCollection file (the bundled sample format). Returns the providers
/// and whether the file marks itself as sample data (`"sample": true`).
///
/// # Errors
/// [`StartupError::Data`] naming the file and, for a bad feature, its index and fields.
pub fn read_providers_file(path: &Path, districts: &[District]) -> Result<(Vec<Provider>, bool), StartupError> {
    let text = std::fs::read_to_string(path).map_err(|e| data_error(path, e))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| data_error(path, e))?;
    let is_sample = value.get("sample").and_then(serde_json::Value::as_bool).unwrap_or(false);
    let fc = serde_json::from_value::<geojson::FeatureCollection>(value).map_err(|e| data_error(path, e))?;
    let mut providers = Vec::with_capacity(fc.features.len());
    for (i, f) in fc.features.iter().enumerate() {
        let updated_at = f.property("updated_at").and_then(|v| v.as_str()).unwrap_or("1970-01-01T00:00:00Z");
        let mut p = provider_from_feature(f, updated_at, "data").map_err(|errors| {
            let fields: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.name, e.reason)).collect();
            data_error(path, format!("feature {i}: {}", fields.join("; ")))
        })?;
        p.district = district_of(districts, p.location).map(|d| d.id.clone());
        providers.push(p);
    }
    Ok((providers, is_sample))
}

/// Brings an empty store up to the bundled data: districts if it has none, providers if it
/// has none (then labels the dataset). Returns the dataset label.
///
/// # Errors
/// On a store failure or a missing/malformed data file.
pub fn seed_store(store: &dyn Store, data_dir: &Path) -> Result<Option<String>, StartupError> {
    if store.load_districts()?.is_empty() {
        let path = data_dir.join("districts.geojson");
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|e| data_error(&path, e))?;
            let districts = parse_districts(&text).map_err(|e| data_error(&path, e))?;
            store.replace_districts(&districts)?;
        }
    }
    if store.count_providers()? == 0 {
        let path = data_dir.join("providers.geojson");
        let districts = store.load_districts()?;
        let (providers, is_sample) = read_providers_file(&path, &districts)?;
        store.insert_providers(&providers, "load-data")?;
        let label = if is_sample { crate::sample::SAMPLE_DATASET } else { "data" };
        store.set_meta("dataset", label)?;
        tracing::info!(count = providers.len(), file = %path.display(), dataset = label, "loaded bundled data");
    }
    Ok(store.meta("dataset")?)
}

impl Application {
    /// Opens the store, seeds it when empty, loads the catalog and binds the address.
    ///
    /// # Errors
    /// [`StartupError`] with the path or address involved.
    pub async fn build(config: &ServeConfig) -> Result<Self, StartupError> {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&config.db)?);
        let dataset = seed_store(store.as_ref(), &config.data)?;
        let started = std::time::Instant::now();
        let providers = store.load_providers()?;
        let districts = store.load_districts()?;
        let catalog = Arc::new(Catalog::new(providers, districts));
        tracing::info!(
            providers = catalog.snapshot().len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "catalog loaded"
        );
        let site = Arc::new(SiteInfo { dataset, tiles: config.tile_layers() });
        let router = router(AppState::new(catalog, store, site), config.web.clone());
        let listener = TcpListener::bind(&config.addr)
            .await
            .map_err(|source| StartupError::Bind { addr: config.addr.clone(), source })?;
        Ok(Self { listener, router })
    }

    /// The address actually bound (useful with port 0).
    ///
    /// # Panics
    /// Never in practice: a bound TCP listener always has a local address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then drains in-flight requests.
    ///
    /// # Errors
    /// When the server fails while running.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        // Connection info gives the staff sign-in limiter each client's address.
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await
    }

    /// Serves until Ctrl-C or SIGTERM.
    ///
    /// # Errors
    /// When the server fails while running.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
    tracing::info!("shutdown signal received; draining requests");
}
