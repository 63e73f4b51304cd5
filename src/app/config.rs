//! Typed settings for `caremap serve`: command-line flags with `CAREMAP_*` environment
//! fallbacks.

use std::path::PathBuf;

use clap::Args;

use crate::http::{CorsOrigins, IpNet, MetricsExposure, PublicUrl, TileLayer};

/// Default base map: 地理院タイル 標準地図 (GSI standard map).
pub const GSI_TILE_URL: &str = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png";
/// Attribution the GSI terms require, linking to the tile list.
pub const GSI_ATTRIBUTION: &str =
    "<a href=\"https://maps.gsi.go.jp/development/ichiran.html\" target=\"_blank\" rel=\"noopener\">地理院タイル</a>";
/// The alternative base map: OpenStreetMap standard tiles.
pub const OSM_TILE_URL: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
/// Attribution the OSM tile policy requires.
pub const OSM_ATTRIBUTION: &str = "&copy; <a href=\"https://www.openstreetmap.org/copyright\" target=\"_blank\" rel=\"noopener\">OpenStreetMap</a> contributors";

/// Settings of the HTTP server.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on (HOST:PORT; port 0 picks a free port).
    #[arg(long, env = "CAREMAP_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Database: a SQLite file (created if missing), or a PostgreSQL database as a
    /// postgres:// or postgresql:// URL (several servers may share it).
    #[arg(long, env = "CAREMAP_DB", default_value = "caremap.db")]
    pub db: PathBuf,
    /// Folder with providers.geojson and districts.geojson, loaded into an empty database.
    #[arg(long, env = "CAREMAP_DATA", default_value = "data")]
    pub data: PathBuf,
    /// Folder with the web page.
    #[arg(long, env = "CAREMAP_WEB", default_value = "web")]
    pub web: PathBuf,
    /// Default base-map tile URL template.
    #[arg(long, env = "CAREMAP_TILE_URL", default_value = GSI_TILE_URL)]
    pub tile_url: String,
    /// Attribution (HTML) for the default tiles.
    #[arg(long, env = "CAREMAP_TILE_ATTRIBUTION", default_value = GSI_ATTRIBUTION)]
    pub tile_attribution: String,
    /// Most requests handled at once; beyond it a request is answered 503 with `Retry-After`
    /// at once (load shedding, no queue). /healthz, /readyz and /metrics are not counted.
    #[arg(long, env = "CAREMAP_MAX_CONCURRENT_REQUESTS", default_value_t = DEFAULT_MAX_CONCURRENT_REQUESTS,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_concurrent_requests: u32,
    /// Seconds a request may take (reading its body included) before it is answered 503.
    #[arg(long, env = "CAREMAP_REQUEST_TIMEOUT_S", default_value_t = DEFAULT_REQUEST_TIMEOUT_S,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout_s: u64,
    /// Seconds a request's body may take to arrive (within the request timeout). Bodies are
    /// read before a request is counted against `--max-concurrent-requests`, in a budget of the
    /// same size, so clients that send slowly cannot take the places of other requests.
    #[arg(long, env = "CAREMAP_BODY_TIMEOUT_S", default_value_t = DEFAULT_BODY_TIMEOUT_S,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout_s: u64,
    /// Most heavy read queries (lists, polygon searches, CSV) running at once, off the async
    /// workers; others wait for their turn within the request timeout. 0: one per CPU core.
    #[arg(long, env = "CAREMAP_HEAVY_QUERIES", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=1024))]
    pub heavy_queries: u32,
    /// Seconds a connection may take to send a request's headers, and may stay idle between
    /// requests, before it is closed.
    #[arg(long, env = "CAREMAP_IDLE_TIMEOUT_S", default_value_t = DEFAULT_IDLE_TIMEOUT_S,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout_s: u64,
    /// Seconds to let in-flight requests finish after SIGTERM or Ctrl-C; connections still
    /// open then are closed and the process exits 0.
    #[arg(long, env = "CAREMAP_SHUTDOWN_TIMEOUT_S", default_value_t = DEFAULT_SHUTDOWN_TIMEOUT_S,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_timeout_s: u64,
    /// Origins allowed to call the public read API from a browser (CORS): `*` for any, a
    /// comma-separated list of origins (`https://a.example,https://b.example`), or `none`.
    /// The staff API (/api/admin) never answers cross-origin requests.
    #[arg(long, env = "CAREMAP_CORS_ORIGINS", default_value = "*", value_parser = CorsOrigins::parse)]
    pub cors_origins: CorsOrigins,
    /// Send `Strict-Transport-Security` (HSTS, one year). Only behind HTTPS.
    #[arg(long, env = "CAREMAP_HSTS")]
    pub hsts: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client (IP addresses or CIDR
    /// networks; repeat the flag or separate with commas). From any other peer the header is
    /// ignored, and the peer address is the client.
    #[arg(long = "trusted-proxy", env = "CAREMAP_TRUSTED_PROXY", value_delimiter = ',', value_parser = parse_net)]
    pub trusted_proxies: Vec<IpNet>,
    /// Where `/metrics` is served: `off`, `public` (on --addr, to anyone), or HOST:PORT for a
    /// listener of its own (e.g. 127.0.0.1:9464, for Prometheus on the same host).
    #[arg(long, env = "CAREMAP_METRICS", default_value = "off", value_parser = MetricsExposure::parse)]
    pub metrics: MetricsExposure,
    /// The public URL of this server (https://caremap.example.jp/), used for the absolute
    /// links of the OGC API instead of the request's `Host` header.
    #[arg(long, env = "CAREMAP_PUBLIC_URL", value_parser = PublicUrl::parse)]
    pub public_url: Option<PublicUrl>,
    /// Days after its last confirmation that a provider's 空き状況 counts as stale
    /// (`accepting_stale`; never confirmed is stale too).
    #[arg(long, env = "CAREMAP_STALE_AFTER_DAYS", default_value_t = crate::domain::vacancy::DEFAULT_STALE_AFTER_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub stale_after_days: u32,
    /// Milliseconds between two looks at the store's change feed for changes other writers
    /// committed (another server on the same store, a command writing the file); a
    /// notification from the store (PostgreSQL) looks at once.
    #[arg(long, env = "CAREMAP_FEED_POLL_MS", default_value_t = crate::write::follow::DEFAULT_POLL_MS,
          value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub feed_poll_ms: u64,
    /// /readyz answers 503 when the catalog has not been seen caught up with the store's
    /// change feed for longer than this many seconds (e.g. the store is unreachable). Must be
    /// longer than the poll interval.
    #[arg(long, env = "CAREMAP_READY_MAX_LAG_S", default_value_t = crate::write::follow::DEFAULT_READY_MAX_LAG_S,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub ready_max_lag_s: u64,
}

fn parse_net(s: &str) -> Result<IpNet, String> {
    s.parse()
}

/// Default of `--max-concurrent-requests`.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: u32 = 512;
/// Default of `--request-timeout-s`.
pub const DEFAULT_REQUEST_TIMEOUT_S: u64 = 30;
/// Default of `--body-timeout-s`.
pub const DEFAULT_BODY_TIMEOUT_S: u64 = 10;
/// Default of `--idle-timeout-s`.
pub const DEFAULT_IDLE_TIMEOUT_S: u64 = 30;
/// Default of `--shutdown-timeout-s`: drained or closed within it, the process exits within 10 s.
pub const DEFAULT_SHUTDOWN_TIMEOUT_S: u64 = 8;

impl ServeConfig {
    /// `--heavy-queries`, with 0 read as one per CPU core.
    pub fn heavy_queries(&self) -> usize {
        match self.heavy_queries {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => usize::try_from(n).unwrap_or(1),
        }
    }

    /// Settings for a test or an embedding program: the given database and folders, port 0.
    pub fn for_paths(db: PathBuf, data: PathBuf, web: PathBuf) -> Self {
        Self {
            addr: "127.0.0.1:0".into(),
            db,
            data,
            web,
            tile_url: GSI_TILE_URL.into(),
            tile_attribution: GSI_ATTRIBUTION.into(),
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            request_timeout_s: DEFAULT_REQUEST_TIMEOUT_S,
            idle_timeout_s: DEFAULT_IDLE_TIMEOUT_S,
            body_timeout_s: DEFAULT_BODY_TIMEOUT_S,
            heavy_queries: 0,
            shutdown_timeout_s: DEFAULT_SHUTDOWN_TIMEOUT_S,
            cors_origins: CorsOrigins::Any,
            hsts: false,
            trusted_proxies: Vec::new(),
            metrics: MetricsExposure::Off,
            public_url: None,
            stale_after_days: crate::domain::vacancy::DEFAULT_STALE_AFTER_DAYS,
            feed_poll_ms: crate::write::follow::DEFAULT_POLL_MS,
            ready_max_lag_s: crate::write::follow::DEFAULT_READY_MAX_LAG_S,
        }
    }

    /// The tile layers offered to the page: the configured default, then OpenStreetMap.
    pub fn tile_layers(&self) -> Vec<TileLayer> {
        let mut layers = vec![TileLayer {
            id: "default".into(),
            name: if self.tile_url == GSI_TILE_URL { "地理院地図（標準）".into() } else { "地図".into() },
            url: self.tile_url.clone(),
            attribution: self.tile_attribution.clone(),
            max_zoom: 18,
        }];
        if self.tile_url != OSM_TILE_URL {
            layers.push(TileLayer {
                id: "osm".into(),
                name: "OpenStreetMap".into(),
                url: OSM_TILE_URL.into(),
                attribution: OSM_ATTRIBUTION.into(),
                max_zoom: 19,
            });
        }
        layers
    }
}
