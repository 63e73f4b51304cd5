//! Geometry on the Earth: the spatial index the catalog answers from, the geodesy it measures
//! with, coordinate reference systems at the edges, and JIS grid squares.

pub mod crs; // proj at the edges: Japanese CRSs in, OGC crs= out
pub mod geodesy; // ECEF positions and fast geodesic distances for the index
pub mod index; // rstar R-trees: geodesic nearest/radius, bbox/polygon
pub mod mesh;
pub mod web_mercator; // WebMercatorQuad tiles: tile ids, bounds, tile units // JIS X 0410 grid squares (地域メッシュ): code <-> cell on latitude/longitude
