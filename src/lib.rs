//! caremap: find care providers and home-medical clinics near a place or inside a district.
//!
//! Dependencies point one way: `app` → `http` → `write` → `import`/`catalog`/`store`, `formats`
//! → `spatial`/`domain`.

pub mod access; // staff roles and API tokens (random, stored as SHA-256)
pub mod address; // 住所: normalization, the gazetteer (geocode, reverse)
pub mod app; // the binary's commands: cli, config, startup (serve), import, export, gen, user
pub mod catalog; // providers by id + spatial index, published as immutable snapshots
pub mod coverage; // per grid square: nearest provider, count within reach, E2SFCA access
pub mod cql; // CQL2 filters (OGC API – Features Part 3): parse cql2-text/-json, evaluate on providers
pub mod domain; // validated domain types: positions, areas, providers, services, districts, times
pub mod formats; // providers as GeoJSON and CSV, and the whole-dataset export
pub mod generate; // data caremap makes itself: the Nagareyama sample, synthetic providers
pub mod http; // axum: error, plumbing (extractors, layers), resources (one file each)
pub mod import; // MHLW, 医療情報ネット, 厚生局, e-Stat and GeoJSON files into the store
mod ordered; // batches converted on several threads while read, taken back in read order
pub mod spatial; // R-tree index, geodesy, CRS conversion (proj), JIS grid squares
pub mod store; // the durable store behind a trait; SQLite in store/sqlite
pub mod write; // the one write door: derive, commit (numbered change feed), publish to the catalog
