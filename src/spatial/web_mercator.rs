//! The WebMercatorQuad tile matrix set (OGC 17-083r4 Annex D, EPSG:3857): 256-pixel tiles, tile
//! matrix `z` has 2^z × 2^z tiles, row 0 at the top (north). Positions within a tile are given
//! in tile units (0..extent, y down), as Mapbox Vector Tiles use them.

use std::f64::consts::PI;

use crate::domain::{Bbox, LonLat};

/// Highest tile matrix (zoom level) served.
pub const MAX_ZOOM: u8 = 22;
/// Half the width of the projected world, metres (EPSG:3857).
pub const HALF_WORLD_M: f64 = 20_037_508.342_789_244;
/// The latitude where the square world ends, degrees.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;
/// URI of the tile matrix set.
pub const URI: &str = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";

/// One tile of WebMercatorQuad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileId {
    /// Tile matrix (zoom level), 0..=[`MAX_ZOOM`].
    pub z: u8,
    /// Row, 0 at the top.
    pub row: u32,
    /// Column, 0 at the antimeridian (west).
    pub col: u32,
}

/// Longitude to the world's x in 0..1.
fn world_x(lon: f64) -> f64 {
    (lon + 180.0) / 360.0
}

/// Latitude to the world's y in 0..1 (0 at the top), clamped to the square world.
fn world_y(lat: f64) -> f64 {
    let phi = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    (1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / PI) / 2.0
}

fn lat_of(world_y: f64) -> f64 {
    (PI * (1.0 - 2.0 * world_y)).sinh().atan().to_degrees()
}

impl TileId {
    /// A tile, checked against the matrix sizes.
    ///
    /// # Errors
    /// Which of `z`, `row`, `col` is out of range.
    pub fn new(z: u32, row: u32, col: u32) -> Result<Self, String> {
        let z =
            u8::try_from(z).ok().filter(|z| *z <= MAX_ZOOM).ok_or(format!("tile matrix must be 0 to {MAX_ZOOM}"))?;
        let n = 1u32 << z;
        if row >= n {
            return Err(format!("tile row must be below {n} at tile matrix {z}"));
        }
        if col >= n {
            return Err(format!("tile column must be below {n} at tile matrix {z}"));
        }
        Ok(Self { z, row, col })
    }

    fn size(self) -> f64 {
        f64::from(1u32 << self.z)
    }

    /// The tile's extent in lon/lat.
    pub fn bbox(self) -> Bbox {
        let n = self.size();
        let lon = |c: f64| c / n * 360.0 - 180.0;
        let at = |lon: f64, lat: f64| LonLat::new(lon.clamp(-180.0, 180.0), lat.clamp(-90.0, 90.0));
        let min = at(lon(f64::from(self.col)), lat_of((f64::from(self.row) + 1.0) / n));
        let max = at(lon(f64::from(self.col) + 1.0), lat_of(f64::from(self.row) / n));
        match (min, max) {
            (Ok(min), Ok(max)) => Bbox { min, max },
            _ => Bbox { min: LonLat::TOKYO_STATION, max: LonLat::TOKYO_STATION },
        }
    }

    /// A lon/lat position in tile units: (0, 0) at the tile's top-left corner, `extent` at its
    /// bottom-right; outside the tile below 0 or above `extent`.
    pub fn to_tile(self, lon: f64, lat: f64, extent: f64) -> (f64, f64) {
        let n = self.size();
        ((world_x(lon) * n - f64::from(self.col)) * extent, (world_y(lat) * n - f64::from(self.row)) * extent)
    }

    /// The scale denominator of a tile matrix (0.28 mm pixels, as the standard defines it).
    pub fn scale_denominator(z: u8) -> f64 {
        Self::cell_size_m(z) / 0.000_28
    }

    /// Metres per pixel at the equator of a tile matrix.
    pub fn cell_size_m(z: u8) -> f64 {
        2.0 * HALF_WORLD_M / 256.0 / f64::from(1u32 << z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_corners_map_to_tile_units_and_back() {
        // Nagareyama city hall lies in tile 14/6451/14555.
        let (lon, lat) = (139.902861, 35.856306);
        let n = f64::from(1u32 << 14);
        let (col, row) = ((world_x(lon) * n).floor() as u32, (world_y(lat) * n).floor() as u32);
        let tile = TileId::new(14, row, col).unwrap();
        assert!(tile.bbox().contains(LonLat::new(lon, lat).unwrap()));
        let (x, y) = tile.to_tile(lon, lat, 4096.0);
        assert!((0.0..4096.0).contains(&x) && (0.0..4096.0).contains(&y), "{x} {y}");
        let b = tile.bbox();
        let (x0, y0) = tile.to_tile(b.min.lon(), b.max.lat(), 4096.0);
        assert!(x0.abs() < 1e-6 && y0.abs() < 1e-6, "top-left corner is 0,0: {x0} {y0}");
    }

    #[test]
    fn out_of_range_tiles_are_refused() {
        assert!(TileId::new(23, 0, 0).is_err());
        assert!(TileId::new(1, 2, 0).unwrap_err().contains("row"));
        assert!(TileId::new(1, 0, 2).unwrap_err().contains("column"));
        assert!((TileId::scale_denominator(0) - 559_082_264.028_717_2).abs() < 1e-3);
    }
}
