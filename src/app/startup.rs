//! Builds the application from its settings: lock the database, bind the listener, open the
//! store and start its integrity check, load the bundled data into an empty database, load the
//! catalog, serve (and follow the store's change feed) until a shutdown signal, drain. Tests
//! use this exact path on port 0, and [`build_router`] (the same router and state, no socket)
//! to call the application in-process.
//!
//! The integrity check of a SQLite database with providers starts once the catalog is loaded
//! and runs on its own connection and thread *beside serving*: the server is ready once the
//! catalog is loaded, and only writes wait for the check ([`crate::http::plumbing::integrity`]). A failed
//! check stops the server, which then exits with the same error a damaged database gave at
//! start-up before.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use crate::app::config::ServeConfig;
pub use crate::app::integrity_check::CheckHold;
use crate::app::integrity_check::PendingCheck;
use crate::catalog::{Catalog, Record};
use crate::domain::{Provider, parse_districts};
use crate::formats::geojson::provider_from_feature;
use crate::http::plumbing::integrity::{Integrity, IntegrityGate};
use crate::http::plumbing::metrics::metrics_router;
use crate::http::plumbing::server::{ServerOptions, Stopped, serve};
use crate::http::{AppState, HttpConfig, MetricsExposure, SiteInfo, router};
use crate::store::{DbLocation, DbLock, LAST_IMPORT_META, PgStore, ProviderRows, SqliteStore, Store, StoreError};
use crate::write::follow::Follower;

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
    /// The page folder lacks the page or the vendor files it loads (`web/node_modules`).
    #[error("web folder: {0}")]
    Web(String),
    /// Settings that contradict each other.
    #[error("{0}")]
    Config(String),
    /// The address could not be bound (in use, not local, malformed).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// A server bound to its port, holding its database's lock, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    /// The listener and router of `--metrics HOST:PORT`.
    metrics: Option<(TcpListener, Router)>,
    options: ServerOptions,
    /// Keeps the catalog caught up with the store's feed while the server runs.
    follower: Follower,
    /// On PostgreSQL: the URL whose `LISTEN caremap_feed` wakes the follower at each write
    /// another server commits (none on SQLite, where this server is the only writer).
    listen: Option<String>,
    /// The SQLite database's lock (none on PostgreSQL, where servers share the store).
    _lock: Option<DbLock>,
    /// The integrity check still running when the server starts listening (none when there is
    /// none, or it ran before anything was seeded into an empty database).
    check: Option<PendingCheck>,
    /// Where the check stands, as writes and `/readyz` see it.
    integrity: Arc<IntegrityGate>,
    /// A test's hold on the check's result (see [`Application::hold_integrity_check`]).
    hold: Option<tokio::sync::oneshot::Receiver<()>>,
}

fn data_error(path: &Path, reason: impl ToString) -> StartupError {
    StartupError::Data { path: path.to_owned(), reason: reason.to_string() }
}

/// Reads a provider FeatureCollection file (the bundled sample format). Returns the providers
/// (not yet placed in districts: the write door does that) and whether the file marks itself
/// as sample data (`"sample": true`).
///
/// # Errors
/// [`StartupError::Data`] naming the file and, for a bad feature, its index and fields.
pub fn read_providers_file(path: &Path) -> Result<(Vec<Provider>, bool), StartupError> {
    let text = std::fs::read_to_string(path).map_err(|e| data_error(path, e))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| data_error(path, e))?;
    let is_sample = value.get("sample").and_then(serde_json::Value::as_bool).unwrap_or(false);
    let fc = serde_json::from_value::<geojson::FeatureCollection>(value).map_err(|e| data_error(path, e))?;
    let mut providers = Vec::with_capacity(fc.features.len());
    for (i, f) in fc.features.iter().enumerate() {
        let updated_at = f.property("updated_at").and_then(|v| v.as_str()).unwrap_or("1970-01-01T00:00:00Z");
        let p = provider_from_feature(f, updated_at, "data").map_err(|errors| {
            let fields: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.name, e.reason)).collect();
            data_error(path, format!("feature {i}: {}", fields.join("; ")))
        })?;
        providers.push(p);
    }
    Ok((providers, is_sample))
}

/// Brings an empty store up to the bundled data: districts if it has none, providers if it
/// has none (through the write door's [`crate::write::seed`], then labels the dataset).
/// Returns the dataset label.
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
    if !store.has_providers()? {
        let path = data_dir.join("providers.geojson");
        let (providers, is_sample) = read_providers_file(&path)?;
        let count = providers.len();
        crate::write::seed(store, providers, "load-data")?;
        let label = if is_sample { crate::generate::sample::SAMPLE_DATASET } else { "data" };
        store.set_meta("dataset", label)?;
        tracing::info!(count, file = %path.display(), dataset = label, "loaded bundled data");
    }
    if !store.has_population()? {
        seed_population(store, data_dir)?;
    }
    if !store.has_addresses()? {
        seed_addresses(store, data_dir)?;
    }
    if store.load_community_centers()?.is_empty() {
        seed_community_centers(store, data_dir)?;
    }
    Ok(store.meta("dataset")?)
}

/// Stores the bundled population layer (e-Stat layout) when the data folder has one.
fn seed_population(store: &dyn Store, data_dir: &Path) -> Result<(), StartupError> {
    use crate::generate::sample::population;
    let path = data_dir.join(population::FILE);
    if !path.exists() {
        return Ok(());
    }
    let bytes = std::fs::read(&path).map_err(|e| data_error(&path, e))?;
    let file = crate::import::InputFile { name: population::FILE.into(), bytes };
    let wanted: Vec<String> = population::COLUMNS.iter().map(ToString::to_string).collect();
    let (mut columns, _) =
        crate::import::population::read(&[file], &wanted, false).map_err(|e| data_error(&path, e))?;
    for column in &mut columns {
        column.source = population::SOURCE.into();
    }
    store.replace_population(&columns)?;
    tracing::info!(columns = columns.len(), file = %path.display(), "loaded bundled population layer");
    Ok(())
}

/// Stores the bundled sample's invented 地域包括支援センター when the data folder has them.
fn seed_community_centers(store: &dyn Store, data_dir: &Path) -> Result<(), StartupError> {
    use crate::generate::sample::community_centers::{FILE, SOURCE};
    let path = data_dir.join(FILE);
    if !path.exists() {
        return Ok(());
    }
    let bytes = std::fs::read(&path).map_err(|e| data_error(&path, e))?;
    let file = crate::import::InputFile { name: FILE.into(), bytes };
    let centers =
        crate::import::community_centers::read(&file, SOURCE, &|_| Ok(None)).map_err(|e| data_error(&path, e))?;
    store.replace_community_centers(&centers, SOURCE)?;
    tracing::info!(centers = centers.len(), "loaded bundled sample 地域包括支援センター");
    Ok(())
}

/// Stores the bundled sample's approximate address points (位置参照情報 layouts) when the data
/// folder has them.
fn seed_addresses(store: &dyn Store, data_dir: &Path) -> Result<(), StartupError> {
    use crate::generate::sample::address::{GAIKU_FILE, OAZA_FILE};
    use crate::import::address::{AddressOptions, AddressSource, read};
    let mut points = Vec::new();
    let mut known = std::collections::HashMap::new();
    for (name, source) in [(OAZA_FILE, AddressSource::IsjOaza), (GAIKU_FILE, AddressSource::IsjGaiku)] {
        let path = data_dir.join(name);
        if !path.exists() {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| data_error(&path, e))?;
        let options = AddressOptions { source, dry_run: false, city: None, crs: None };
        let file = crate::import::InputFile { name: name.into(), bytes };
        let (read, _) = read(&options, &[file], &known).map_err(|e| data_error(&path, e))?;
        for p in &read {
            known.entry((p.pref.clone(), p.city.clone())).or_insert_with(|| p.city_code.clone());
        }
        points.extend(read);
    }
    if points.is_empty() {
        return Ok(());
    }
    for p in &mut points {
        p.source = crate::address::SAMPLE_SOURCE;
    }
    let mut cities: Vec<String> = points.iter().map(|p| p.city_code.clone()).collect();
    cities.sort();
    cities.dedup();
    store.replace_addresses(crate::address::SAMPLE_SOURCE, &cities, &points)?;
    tracing::info!(points = points.len(), "loaded bundled approximate address points");
    Ok(())
}

/// Seeds an empty store from `data`, then reads every provider and district into a catalog:
/// a consistent snapshot of the store with the feed seq it is at, so the write door knows
/// which changes the catalog holds.
fn load_catalog(store: &dyn Store, data: &Path) -> Result<(Option<String>, Arc<Catalog>), StartupError> {
    let dataset = seed_store(store, data)?;
    let started = std::time::Instant::now();
    let districts = store.load_districts()?;
    let (mut read_ms, mut seq) = (0, 0_i64);
    let catalog = Catalog::load_with(
        districts,
        |each| {
            let read = store.load_snapshot_chunked(8192, each);
            read_ms = started.elapsed().as_millis() as u64;
            seq = read?;
            Ok::<(), StoreError>(())
        },
        records_of_rows,
        ProviderRows::read_rows_hint,
    )?;
    let catalog = Arc::new(catalog.at_seq(seq));
    // read_ms: SQLite read (entries built meanwhile); index_ms: the rest, mostly the trees.
    tracing::info!(read_ms, index_ms = started.elapsed().as_millis() as u64 - read_ms, seq, "catalog built");
    Ok((dataset, catalog))
}

/// The catalog's records of a chunk of the store's rows, built in place from each row
/// ([`Catalog::load_with`]'s `records` at start-up).
///
/// # Errors
/// The first row that cannot be read ([`StoreError::Corrupt`]).
pub(crate) fn records_of_rows(rows: ProviderRows, out: &mut dyn FnMut(Record)) -> Result<(), StoreError> {
    for view in rows.views() {
        out(Record::new(&view?));
    }
    Ok(())
}

/// The router `serve` runs and the state behind it, over `store` (seeded from `config.data`
/// when empty) with `config`'s limits and site facts, without a socket or the database lock:
/// for calling the application in-process (`oneshot`), as the fuzzing tests do. The store is
/// not integrity-checked here ([`Application::build`] does that; writes are open at once, and
/// `/readyz` has no `integrity`), and no follower runs: the
/// catalog sees only the writes made through this router, and `/readyz` turns 503 once
/// `--ready-max-lag-s` has passed since it was built.
///
/// # Errors
/// On a store failure or a missing/malformed data file.
pub fn build_router(config: &ServeConfig, store: Arc<dyn Store>) -> Result<(Router, AppState), StartupError> {
    let (dataset, catalog) = load_catalog(store.as_ref(), &config.data)?;
    assemble(config, store, dataset, catalog)
}

/// The state over a loaded catalog, with `config`'s HTTP settings, and the router on it.
fn assemble(
    config: &ServeConfig,
    store: Arc<dyn Store>,
    dataset: Option<String>,
    catalog: Arc<Catalog>,
) -> Result<(Router, AppState), StartupError> {
    let last_import = store.meta(LAST_IMPORT_META)?;
    let site = Arc::new(SiteInfo { dataset, tiles: config.tile_layers() });
    let http = HttpConfig {
        web_dir: config.web.clone(),
        max_concurrent_requests: usize::try_from(config.max_concurrent_requests).unwrap_or(usize::MAX),
        request_timeout: Duration::from_secs(config.request_timeout_s),
        body_timeout: Duration::from_secs(config.body_timeout_s),
        heavy_queries: config.heavy_queries(),
        cors: config.cors_origins.clone(),
        hsts: config.hsts,
        trusted_proxies: config.trusted_proxies.clone(),
        public_metrics: config.metrics == MetricsExposure::Public,
        public_url: config.public_url.clone(),
        stale_after_days: config.stale_after_days,
        ready_max_lag: Duration::from_secs(config.ready_max_lag_s),
    };
    let state = AppState::new(catalog, store, site, &http);
    if let Some(at) = last_import.as_deref().and_then(crate::http::plumbing::metrics::parse_rfc3339) {
        state.metrics.set_last_import(at);
    }
    let router = router(state.clone(), &http);
    Ok((router, state))
}

/// Opens the SQLite database at `path` (warning about risky permissions) and says whether it
/// still needs its integrity check: an empty one is checked here, before anything is seeded
/// into it; a database with providers is checked once the catalog is loaded, on a second
/// connection while the server serves (the check reads the whole file, about 2 s of CPU at
/// 1 M providers: beside the load it took one of two cores from it).
fn open_sqlite(path: &Path) -> Result<(Arc<dyn Store>, bool), StartupError> {
    crate::app::process::warn_about_risks(path);
    let sqlite = SqliteStore::open(path)?;
    let check_later = match sqlite.has_providers() {
        Ok(true) => true,
        Ok(false) => {
            sqlite.quick_check()?;
            false
        }
        Err(e) => {
            sqlite.quick_check()?;
            return Err(e.into());
        }
    };
    Ok((Arc::new(sqlite), check_later))
}

impl Application {
    /// Takes the database's lock, binds the address (both fail fast, before the slow part),
    /// opens the store and starts its integrity check (an empty SQLite database is checked
    /// here, before it is seeded), seeds it when empty, loads the catalog. The check of a
    /// database with providers goes on while the server runs ([`Application::run_until`]).
    ///
    /// # Errors
    /// [`StartupError`] with the path or address involved: a missing database folder, a
    /// database another caremap holds, an address in use, a page folder without its vendor
    /// files (`make web-deps`), a damaged database (found before serving: an empty one, or one
    /// whose catalog could not be loaded), a malformed data file.
    pub async fn build(config: &ServeConfig) -> Result<Self, StartupError> {
        crate::http::resources::static_files::check_web_dir(&config.web).map_err(StartupError::Web)?;
        if config.feed_poll_ms >= config.ready_max_lag_s.saturating_mul(1000) {
            return Err(StartupError::Config(format!(
                "--feed-poll-ms ({} ms) must be shorter than --ready-max-lag-s ({} s), or /readyz would fail \
                 between two polls",
                config.feed_poll_ms, config.ready_max_lag_s
            )));
        }
        let location = DbLocation::of(&config.db);
        let lock = match location {
            DbLocation::Sqlite(path) => Some(DbLock::acquire(path)?),
            DbLocation::Postgres(_) => None,
        };
        let listener = TcpListener::bind(&config.addr)
            .await
            .map_err(|source| StartupError::Bind { addr: config.addr.clone(), source })?;
        let metrics_listener = match &config.metrics {
            MetricsExposure::Listen(addr) => Some(
                TcpListener::bind(addr).await.map_err(|source| StartupError::Bind { addr: addr.clone(), source })?,
            ),
            MetricsExposure::Off | MetricsExposure::Public => None,
        };
        let started = std::time::Instant::now();
        let (store, check_later) = match location {
            DbLocation::Sqlite(path) => open_sqlite(path)?,
            DbLocation::Postgres(url) => (Arc::new(PgStore::open(url)?) as Arc<dyn Store>, false),
        };
        let integrity = match (&location, check_later) {
            (DbLocation::Postgres(_), _) => Integrity::NotChecked,
            (DbLocation::Sqlite(_), true) => Integrity::Checking,
            (DbLocation::Sqlite(_), false) => Integrity::Passed,
        };
        let (dataset, catalog) = match load_catalog(store.as_ref(), &config.data) {
            Ok(loaded) => loaded,
            // A load that fails on a damaged file is reported as the damage the check finds.
            Err(e) => {
                if let (DbLocation::Sqlite(path), true) = (location, check_later) {
                    PendingCheck::start(path).join()?;
                }
                return Err(e);
            }
        };
        let check = match location {
            DbLocation::Sqlite(path) if check_later => Some(PendingCheck::start(path)),
            _ => None,
        };
        tracing::info!(
            providers = catalog.snapshot().len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            db = %location.shown(),
            integrity = integrity.label().unwrap_or("none"),
            "catalog loaded"
        );
        let (router, state) = assemble(config, store, dataset, catalog)?;
        state.integrity.set(integrity);
        let follower = Follower {
            store: state.store.clone(),
            door: state.door.clone(),
            catalog: state.catalog.clone(),
            feed: state.feed.clone(),
            poll: Duration::from_millis(config.feed_poll_ms),
        };
        let listen = match location {
            DbLocation::Postgres(url) => Some(url.to_owned()),
            DbLocation::Sqlite(_) => None,
        };
        let integrity = state.integrity.clone();
        let metrics = metrics_listener.map(|l| (l, metrics_router(state)));
        let options = ServerOptions {
            idle_timeout: Duration::from_secs(config.idle_timeout_s),
            shutdown_timeout: Duration::from_secs(config.shutdown_timeout_s),
        };
        Ok(Self { listener, router, metrics, options, follower, listen, _lock: lock, check, integrity, hold: None })
    }

    /// Holds the result of the integrity check still running (writes stay refused and
    /// `/readyz` says `"integrity":"checking"` until the returned hold is released or dropped
    /// and the check has finished): the seam through which tests observe the server while its
    /// check runs. Without a running check (an empty or PostgreSQL database) it holds nothing.
    pub fn hold_integrity_check(&mut self) -> CheckHold {
        let (hold, held) = CheckHold::new();
        self.hold = Some(held);
        hold
    }

    /// Where the database's integrity check stands (what writes and `/readyz` see).
    pub fn integrity(&self) -> Arc<IntegrityGate> {
        self.integrity.clone()
    }

    /// The address actually bound (useful with port 0).
    ///
    /// # Panics
    /// Never in practice: a bound TCP listener always has a local address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The address of the metrics listener (`--metrics HOST:PORT`), if there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|(l, _)| l.local_addr().ok())
    }

    /// Serves, and follows the store's change feed (on PostgreSQL woken by LISTEN/NOTIFY
    /// beside its polls), until `shutdown` completes or the integrity check still running at
    /// start fails, then drains in-flight requests for at most the shutdown timeout. The
    /// follower and the listener stop then; the database lock is released when this returns.
    ///
    /// # Errors
    /// The integrity check's failure ([`StoreError::Damaged`] naming the database and SQLite's
    /// findings), after the drain: the server stopped because of it.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<Stopped, StartupError> {
        let Self { listener, router, metrics, options, follower, listen, _lock, check, integrity, hold } = self;
        let listening = listen.map(|url| {
            let (wake, reconnects) = (follower.feed.wake.clone(), follower.feed.reconnects.clone());
            AbortOnDrop(tokio::spawn(crate::store::postgres::listen_for_changes(url, wake, reconnects)))
        });
        let following = AbortOnDrop(tokio::spawn(follower.run()));
        let mut checking = check.map(|check| AbortOnDrop(tokio::spawn(check.publish(hold, integrity.clone()))));
        let failed = integrity.failed();
        let shutdown = async move {
            tokio::select! {
                () = shutdown => {}
                () = failed => {}
            }
        };
        let stopped = Self::serve_all(listener, router, metrics, options, shutdown).await;
        drop(following);
        drop(listening);
        match checking.as_mut() {
            // The check failed: its task has published the failure and ends with it.
            Some(task) if matches!(integrity.state(), Integrity::Failed(_)) => match (&mut task.0).await {
                Ok(result) => result?,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => {}
            },
            _ => {}
        }
        Ok(stopped)
    }

    async fn serve_all(
        listener: TcpListener,
        router: Router,
        metrics: Option<(TcpListener, Router)>,
        options: ServerOptions,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Stopped {
        let Some((metrics_listener, metrics_router)) = metrics else {
            return serve(listener, router, options, shutdown).await;
        };
        // One shutdown for both listeners: the signal is broadcast to each.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let metrics = tokio::spawn(serve(metrics_listener, metrics_router, options, wait(stopped.clone())));
        let main = serve(listener, router, options, wait(stopped)).await;
        let _ = metrics.await;
        main
    }

    /// Serves until Ctrl-C or SIGTERM, then drains. The signal handlers are installed by
    /// this call, before the returned future runs.
    pub fn run_until_stopped(self) -> impl Future<Output = Result<Stopped, StartupError>> + Send {
        self.run_until(shutdown_signal())
    }
}

/// Stops a task when dropped (also when the future holding it is dropped unfinished).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A future that completes on SIGTERM or Ctrl-C (SIGINT). The handlers are installed when
/// this is called, not when the future is first polled, so a signal that arrives as soon as
/// the server is listening is not lost (or, worse, left to its default action: exit). Must be
/// called inside a Tokio runtime.
#[cfg(unix)]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    let install = |kind: SignalKind, name: &str| match signal(kind) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(signal = name, error = %e, "cannot handle the signal; it will stop the process at once");
            None
        }
    };
    async fn next(signal: Option<Signal>) {
        match signal {
            Some(mut s) => {
                s.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    let (terminate, interrupt) =
        (install(SignalKind::terminate(), "SIGTERM"), install(SignalKind::interrupt(), "SIGINT"));
    async move {
        let name = tokio::select! { () = next(terminate) => "SIGTERM", () = next(interrupt) => "SIGINT" };
        tracing::info!(signal = name, "shutdown signal received; draining requests");
    }
}

/// A future that completes on Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown signal received; draining requests");
    }
}
