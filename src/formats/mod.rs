//! Providers written and read as files: GeoJSON Features, CSV for Excel, and the
//! whole-dataset export in a chosen CRS.

pub mod csv; // providers as CSV for Excel (BOM, Japanese headers)
pub mod export; // the whole dataset as GeoJSON or CSV, in a chosen CRS
pub mod geojson; // providers as GeoJSON Features, in and out
pub mod mvt; // providers and districts as Mapbox Vector Tiles
