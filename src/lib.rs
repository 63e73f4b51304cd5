//! caremap: find care providers and home-medical clinics near a place or inside a district.
//!
//! Dependencies point one way: `http` → `import`/`export` → `catalog`/`store` → `domain`/`index`.

pub mod accounts; // the `caremap user` commands
pub mod address; // 住所: normalization, the gazetteer (geocode, reverse)
pub mod auth; // staff roles and API tokens (random, stored as SHA-256)
pub mod catalog; // providers by id + spatial index, published as immutable snapshots
pub mod cli; // the command line
pub mod config; // typed settings with CAREMAP_* fallbacks
pub mod coverage; // per grid square: nearest provider, count within reach, E2SFCA access
pub mod crs; // proj at the edges: Japanese CRSs in, OGC crs= out
pub mod csv_out; // providers as CSV for Excel (BOM, Japanese headers)
pub mod domain; // validated domain types: positions, areas, providers, services, districts
pub mod edits; // staff writes: commit to the store, then publish to the catalog, in order
pub mod export; // the whole dataset as GeoJSON or CSV, in a chosen CRS
pub mod features; // providers as GeoJSON Features, in and out
pub mod geodesy; // ECEF positions and fast geodesic distances for the index
pub mod http; // axum routes, problem+json errors, static files
pub mod import; // MHLW, 医療情報ネット, 厚生局 and GeoJSON files into the store
pub mod index; // rstar R-trees: geodesic nearest/radius, bbox/polygon
pub mod mesh; // JIS X 0410 grid squares (地域メッシュ): code <-> cell on latitude/longitude
pub mod process; // warnings about the process: root, a database others may read
pub mod sample; // the bundled Nagareyama sample (generated, labelled as sample)
pub mod startup; // open store, seed, load catalog, bind, serve
pub mod store; // the durable store (SQLite) behind a trait
pub mod synthetic; // synthetic national providers for benchmarks
