//! `GET /metrics` in the Prometheus text format (OpenMetrics 1.0, which Prometheus scrapes
//! natively), kept with the `prometheus-client` crate (the Prometheus project's own Rust
//! client): request counts and latency histograms by route template (bounded cardinality),
//! requests in flight, shed and timed out, providers loaded, the change-feed seq the catalog
//! has applied, the store's last seq and the lag behind it (changes and seconds), changes
//! applied, the store listener's reconnects, last import time, process start time and
//! resident memory.

use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::catalog::Snapshot;
use crate::domain::{ProviderFields, VacancyClock};
use crate::http::AppState;
use crate::http::error::ApiError;

/// Media type of the answer.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the latency buckets, seconds.
const LATENCY_BUCKETS_S: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FilterLabels {
    lang: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS_S)
}

/// The metrics of one server.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
    shed: Counter,
    timed_out: Counter,
    filters: Family<FilterLabels, Counter>,
    providers: Gauge,
    vacancy_stale: Gauge,
    vacancy_never_confirmed: Gauge,
    last_import: Gauge<f64, AtomicU64>,
    /// Serialises the compare-and-set of `last_import`.
    last_import_writer: std::sync::Mutex<()>,
    applied_seq: Gauge,
    feed_last_seq: Gauge,
    feed_lag_changes: Gauge,
    feed_lag_seconds: Gauge<f64, AtomicU64>,
    changes_applied: Counter,
    store_reconnects: Counter,
    /// Serialises bringing the two counters above up to the values they mirror.
    mirror_writer: std::sync::Mutex<()>,
    resident_memory: Gauge,
}

/// The change feed's numbers at one moment, for [`Metrics::encode`].
#[derive(Debug, Clone, Copy, Default)]
pub struct FeedNumbers {
    /// The seq the catalog has applied.
    pub applied_seq: i64,
    /// The store's last seq as last seen.
    pub last_seq: i64,
    /// Changes committed and not applied yet.
    pub lag_changes: i64,
    /// Age of the oldest change not applied yet, seconds (0: none).
    pub lag_seconds: f64,
    /// Feed changes the catalog has applied since start.
    pub changes_applied: u64,
    /// Reconnections of the store's notification listener.
    pub reconnects: u64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Empty metrics, with the process start time set to now.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "caremap_http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let durations = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "caremap_http_request_duration_seconds",
            "Time from request to response head, by method and route template",
            durations.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "caremap_http_requests_in_flight",
            "Requests being handled now (health checks and metrics not counted)",
            in_flight.clone(),
        );
        let shed = Counter::default();
        registry.register(
            "caremap_http_requests_shed",
            "Requests refused with 503 because --max-concurrent-requests were in flight",
            shed.clone(),
        );
        let timed_out = Counter::default();
        registry.register(
            "caremap_http_requests_timed_out",
            "Requests answered 503 because they took longer than --request-timeout-s",
            timed_out.clone(),
        );
        let filters = Family::<FilterLabels, Counter>::default();
        registry.register(
            "caremap_ogc_filters",
            "OGC API items requests answered with a CQL2 filter, by filter-lang",
            filters.clone(),
        );
        let providers = Gauge::default();
        registry.register("caremap_providers_loaded", "Providers in the catalog being served", providers.clone());
        let vacancy_stale = Gauge::default();
        registry.register(
            "caremap_providers_vacancy_stale",
            "Providers whose 空き状況 was never confirmed or not within --stale-after-days",
            vacancy_stale.clone(),
        );
        let vacancy_never_confirmed = Gauge::default();
        registry.register(
            "caremap_providers_vacancy_never_confirmed",
            "Providers whose 空き状況 was never confirmed",
            vacancy_never_confirmed.clone(),
        );
        let last_import = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "caremap_last_import_timestamp_seconds",
            "Unix time of the last committed import (0: none since the database was made)",
            last_import.clone(),
        );
        let applied_seq = Gauge::default();
        registry.register(
            "caremap_catalog_applied_seq",
            "Seq of the last change of the feed the catalog being served has applied (GET /api/admin/changes)",
            applied_seq.clone(),
        );
        let feed_last_seq = Gauge::default();
        registry.register(
            "caremap_feed_last_seq",
            "Seq of the last change in the store's change feed, as last seen by this server",
            feed_last_seq.clone(),
        );
        let feed_lag_changes = Gauge::default();
        registry.register(
            "caremap_feed_lag_changes",
            "Changes committed to the store that the catalog being served has not applied yet",
            feed_lag_changes.clone(),
        );
        let feed_lag_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "caremap_feed_lag_seconds",
            "Age of the oldest change of the feed not applied yet (0: none)",
            feed_lag_seconds.clone(),
        );
        let changes_applied = Counter::default();
        registry.register(
            "caremap_catalog_changes_applied",
            "Changes of the feed the catalog has applied since start (this server's writes and followed ones)",
            changes_applied.clone(),
        );
        let store_reconnects = Counter::default();
        registry.register(
            "caremap_store_reconnects",
            "Reconnections of the store's change notification listener (none on SQLite)",
            store_reconnects.clone(),
        );
        let start_time = Gauge::<f64, AtomicU64>::default();
        start_time.set(unix_seconds(SystemTime::now()));
        registry.register("process_start_time_seconds", "Unix time the process started", start_time);
        let resident_memory = Gauge::default();
        registry.register("process_resident_memory_bytes", "Resident memory of the process", resident_memory.clone());
        Self {
            registry,
            requests,
            durations,
            in_flight,
            shed,
            timed_out,
            filters,
            providers,
            vacancy_stale,
            vacancy_never_confirmed,
            last_import,
            last_import_writer: std::sync::Mutex::new(()),
            applied_seq,
            feed_last_seq,
            feed_lag_changes,
            feed_lag_seconds,
            changes_applied,
            store_reconnects,
            mirror_writer: std::sync::Mutex::new(()),
            resident_memory,
        }
    }

    /// Counts an answered request under its route template (e.g. `/api/providers/{id}`, so
    /// ids do not multiply the series).
    pub fn record_request(&self, method: &'static str, route: &str, status: u16, latency: Duration) {
        self.requests.get_or_create(&RequestLabels { method, route: route.to_owned(), status }).inc();
        self.durations.get_or_create(&RouteLabels { method, route: route.to_owned() }).observe(latency.as_secs_f64());
    }

    /// Counts a request refused by load shedding.
    pub fn record_shed(&self) {
        self.shed.inc();
    }

    /// Counts an items request answered with a CQL2 filter in `lang` (`cql2-text`, `cql2-json`).
    pub fn record_filter(&self, lang: &'static str) {
        self.filters.get_or_create(&FilterLabels { lang }).inc();
    }

    /// Counts a request that timed out.
    pub fn record_timeout(&self) {
        self.timed_out.inc();
    }

    /// Records the time of a committed import (also at start, from the store). An earlier
    /// time than the one recorded is ignored: two imports that finish together may report in
    /// either order, and the gauge keeps the later.
    pub fn set_last_import(&self, at: SystemTime) {
        let _guard = self.last_import_writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let at = unix_seconds(at);
        if at > self.last_import.get() {
            self.last_import.set(at);
        }
    }

    /// Counts the providers whose vacancy is stale at `clock` and those never confirmed, for the
    /// next [`Metrics::encode`] (one pass over the snapshot per scrape).
    pub fn set_vacancy(&self, providers: &Snapshot, clock: &VacancyClock) {
        let (stale, never) = providers.providers().fold((0usize, 0usize), |(stale, never), p| {
            (stale + usize::from(clock.is_stale(p)), never + usize::from(p.accepting_checked_at().is_none()))
        });
        self.vacancy_stale.set(i64::try_from(stale).unwrap_or(i64::MAX));
        self.vacancy_never_confirmed.set(i64::try_from(never).unwrap_or(i64::MAX));
    }

    /// The metrics as OpenMetrics text, with the gauges read at this moment: the catalog's
    /// providers, the change feed's numbers, the requests in flight.
    ///
    /// # Errors
    /// Only if formatting fails (it writes to a `String`).
    pub fn encode(&self, providers: usize, feed: &FeedNumbers, in_flight: usize) -> Result<String, std::fmt::Error> {
        self.providers.set(i64::try_from(providers).unwrap_or(i64::MAX));
        self.applied_seq.set(feed.applied_seq);
        self.feed_last_seq.set(feed.last_seq);
        self.feed_lag_changes.set(feed.lag_changes);
        self.feed_lag_seconds.set(feed.lag_seconds);
        {
            // The counters mirror counts kept elsewhere (they only grow): bring them up to them.
            let _guard = self.mirror_writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            self.changes_applied.inc_by(feed.changes_applied.saturating_sub(self.changes_applied.get()));
            self.store_reconnects.inc_by(feed.reconnects.saturating_sub(self.store_reconnects.get()));
        }
        self.in_flight.set(i64::try_from(in_flight).unwrap_or(i64::MAX));
        if let Some(bytes) = resident_memory_bytes() {
            self.resident_memory.set(i64::try_from(bytes).unwrap_or(i64::MAX));
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// An RFC 3339 time (as the store keeps the last import time) as a [`SystemTime`].
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let at = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    Some(SystemTime::from(at))
}

fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Resident set size (`VmRSS` of `/proc/self/status`, Linux); `None` elsewhere.
pub fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The method as a bounded label value.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Where `/metrics` is served (`--metrics`). The numbers tell an outsider the load, the
/// data size, the import schedule and the process's uptime, so they are not public unless
/// asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsExposure {
    /// Not served.
    Off,
    /// On the main listener, to anyone (as the public API).
    Public,
    /// On a listener of its own at this `HOST:PORT` (port 0 picks one), and not on the main one.
    Listen(String),
}

impl MetricsExposure {
    /// Parses `off`, `public` or `HOST:PORT`.
    ///
    /// # Errors
    /// A sentence naming the accepted values.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "off" => Ok(Self::Off),
            "public" => Ok(Self::Public),
            addr if addr
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok()) =>
            {
                Ok(Self::Listen(addr.to_owned()))
            }
            other => Err(format!("'{other}' is not off, public or HOST:PORT (such as 127.0.0.1:9464)")),
        }
    }
}

/// The router of a metrics-only listener: `GET /metrics`, and 404 for anything else.
pub fn metrics_router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(metrics_get))
        .fallback(|| async { ApiError::NotFound("this path (only /metrics is served here)".into()).into_response() })
        .with_state(state)
}

/// `GET /metrics`.
pub async fn metrics_get(State(state): State<AppState>) -> Response {
    let snapshot = state.catalog.snapshot();
    let status = state.feed.status(snapshot.applied_seq());
    let feed = FeedNumbers {
        applied_seq: status.applied_seq,
        last_seq: status.last_seq,
        lag_changes: status.lag_changes,
        lag_seconds: status.lag_seconds,
        changes_applied: state.catalog.changes_applied(),
        reconnects: state.feed.reconnects(),
    };
    state.metrics.set_vacancy(&snapshot, &state.vacancy_clock());
    match state.metrics.encode(snapshot.len(), &feed, state.limits.in_flight()) {
        Ok(text) => ([(header::CONTENT_TYPE, HeaderValue::from_static(OPENMETRICS))], text).into_response(),
        Err(e) => ApiError::Internal(format!("encoding metrics: {e}")).into_response(),
    }
}

/// Reads a gauge written by [`Metrics::set_last_import`] back, for tests.
#[cfg(test)]
fn last_import_value(m: &Metrics) -> f64 {
    m.last_import.get()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_template_and_status() {
        let m = Metrics::new();
        m.record_request("GET", "/api/providers/{id}", 200, Duration::from_millis(3));
        m.record_request("GET", "/api/providers/{id}", 200, Duration::from_millis(4));
        m.record_request("GET", "/api/providers/{id}", 404, Duration::from_millis(1));
        let feed = FeedNumbers {
            applied_seq: 42,
            last_seq: 45,
            lag_changes: 3,
            lag_seconds: 1.5,
            changes_applied: 12,
            reconnects: 2,
        };
        let now = crate::domain::vacancy::parse_utc("2026-11-30T00:00:00Z").unwrap();
        let providers: Vec<crate::domain::Provider> = crate::generate::synthetic::providers(7, 3)
            .into_iter()
            .enumerate()
            .map(|(i, p)| crate::domain::Provider {
                accepting_checked_at: match i {
                    0 | 1 => None,
                    2 => Some("2026-10-01T00:00:00Z".into()),
                    _ => Some("2026-11-29T00:00:00Z".into()),
                },
                ..p
            })
            .collect();
        let catalog = crate::catalog::Catalog::new(providers, Vec::new()).at_seq(42);
        m.set_vacancy(&catalog.snapshot(), &VacancyClock::at(now, 30));
        let text = m.encode(7, &feed, 0).unwrap();
        assert!(text.contains("caremap_providers_vacancy_stale 3"), "{text}");
        assert!(text.contains("caremap_providers_vacancy_never_confirmed 2"), "{text}");
        assert!(
            text.contains(r#"caremap_http_requests_total{method="GET",route="/api/providers/{id}",status="200"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"caremap_http_request_duration_seconds_count{method="GET",route="/api/providers/{id}"} 3"#)
        );
        assert!(text.contains("caremap_providers_loaded 7"), "{text}");
        assert!(text.contains("caremap_catalog_applied_seq 42"), "{text}");
        for line in [
            "caremap_feed_last_seq 45",
            "caremap_feed_lag_changes 3",
            "caremap_feed_lag_seconds 1.5",
            "caremap_catalog_changes_applied_total 12",
            "caremap_store_reconnects_total 2",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}: {text}");
        }
        let later = FeedNumbers { changes_applied: 15, reconnects: 2, ..feed };
        let text = m.encode(7, &later, 0).unwrap();
        assert!(text.lines().any(|l| l == "caremap_catalog_changes_applied_total 15"), "mirrors the count: {text}");
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn the_exposure_is_off_public_or_an_address() {
        assert_eq!(MetricsExposure::parse("off"), Ok(MetricsExposure::Off));
        assert_eq!(MetricsExposure::parse("public"), Ok(MetricsExposure::Public));
        assert_eq!(MetricsExposure::parse("127.0.0.1:9464"), Ok(MetricsExposure::Listen("127.0.0.1:9464".into())));
        assert_eq!(MetricsExposure::parse("[::1]:0"), Ok(MetricsExposure::Listen("[::1]:0".into())));
        for bad in ["", "on", "9464", ":9464", "localhost:x"] {
            assert!(MetricsExposure::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_last_import_time_is_kept_in_unix_seconds() {
        let m = Metrics::new();
        m.set_last_import(UNIX_EPOCH + Duration::from_secs(1_800_000_000));
        assert_eq!(last_import_value(&m), 1_800_000_000.0);
        m.set_last_import(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        assert_eq!(last_import_value(&m), 1_800_000_000.0, "an earlier time does not go back");
    }
}
