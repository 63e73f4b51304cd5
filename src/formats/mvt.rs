//! Providers and districts as Mapbox Vector Tiles (MVT 2.1, encoded with the `mvt` crate):
//! one layer per tile, positions in tile units (extent 4096), polygons clipped to the tile plus
//! a buffer. Provider features carry `id`, `name`, `kind`, `district`, `accepting` and
//! `services` (comma list); district features `id`, `name` and `provider_count`.

use geo::orient::{Direction, Orient};
use mvt::{GeomEncoder, GeomType, Tile};
use pointy::BBox;

use crate::domain::{District, ProviderFields};
use crate::spatial::web_mercator::TileId;

/// Tile units per tile side.
pub const EXTENT: u32 = 4096;
/// Tile units drawn beyond each edge, so lines and fills join across tiles.
const BUFFER: f64 = 64.0;

/// Media type of a Mapbox Vector Tile.
pub const MVT: &str = "application/vnd.mapbox-vector-tile";

fn extent() -> f64 {
    f64::from(EXTENT)
}

/// A tile with one layer named `layer` holding the providers (those outside the tile are left
/// out).
///
/// # Errors
/// When the encoder refuses a geometry.
pub fn providers_tile<P: ProviderFields>(tile: TileId, layer: &str, providers: &[&P]) -> Result<Vec<u8>, mvt::Error> {
    let mut out = Tile::new(EXTENT);
    let mut l = out.create_layer(layer);
    for p in providers {
        let at = p.location();
        let (x, y) = tile.to_tile(at.lon(), at.lat(), extent());
        if !(0.0..=extent()).contains(&x) || !(0.0..=extent()).contains(&y) {
            continue;
        }
        let geometry = GeomEncoder::new(GeomType::Point).point(x, y)?.encode()?;
        let mut f = l.into_feature(geometry);
        f.add_tag_string("id", p.id());
        f.add_tag_string("name", p.name());
        f.add_tag_string("kind", p.kind().as_str());
        if let Some(d) = p.district() {
            f.add_tag_string("district", d);
        }
        if let Some(a) = p.accepting() {
            f.add_tag_string("accepting", a.as_str());
        }
        f.add_tag_string("services", &p.codes().collect::<Vec<_>>().join(","));
        l = f.into_layer();
    }
    out.add_layer(l)?;
    out.to_bytes()
}

/// A tile with one layer named `layer` holding the districts that reach into it, each with
/// its provider count.
///
/// # Errors
/// When the encoder refuses a geometry.
pub fn districts_tile(tile: TileId, layer: &str, districts: &[(&District, usize)]) -> Result<Vec<u8>, mvt::Error> {
    let mut out = Tile::new(EXTENT);
    let mut l = out.create_layer(layer);
    let clip = BBox::new([(-BUFFER, -BUFFER), (extent() + BUFFER, extent() + BUFFER)]);
    for (d, count) in districts {
        // Exterior rings counter-clockwise in lon/lat (y up) are clockwise in tile units (y
        // down), as MVT wants them; holes the other way.
        let area = d.area.orient(Direction::Default);
        let mut g = GeomEncoder::new(GeomType::Polygon).bbox(clip);
        for polygon in &area.0 {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                // MVT closes rings itself: the repeated last position is left out.
                let open = &ring.0[..ring.0.len().saturating_sub(1)];
                for c in open {
                    let (x, y) = tile.to_tile(c.x, c.y, extent());
                    g.add_point(x, y)?;
                }
                g.complete_geom()?;
            }
        }
        let mut f = l.into_feature(g.encode()?);
        f.add_tag_string("id", &d.id);
        f.add_tag_string("name", &d.name);
        f.add_tag_uint("provider_count", u64::try_from(*count).unwrap_or(u64::MAX));
        l = f.into_layer();
    }
    out.add_layer(l)?;
    out.to_bytes()
}
