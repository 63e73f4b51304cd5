//! A validated WGS84 position in GeoJSON order (longitude, latitude), in degrees.

use serde::{Deserialize, Serialize};

/// Why a pair of numbers is not a usable position.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LonLatError {
    /// NaN or infinite.
    #[error("coordinates must be finite numbers")]
    NotFinite,
    /// Longitude outside [-180, 180].
    #[error("longitude {0} is outside -180..180")]
    LonOutOfRange(f64),
    /// Latitude outside [-90, 90].
    #[error("latitude {0} is outside -90..90")]
    LatOutOfRange(f64),
    /// `0,0`: official files use it for "no coordinates registered", never for a real place.
    #[error("0,0 means 'not registered', not a place")]
    NotRegistered,
}

/// A WGS84 longitude/latitude in degrees. Always valid once constructed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "[f64; 2]", into = "[f64; 2]")]
pub struct LonLat {
    lon: f64,
    lat: f64,
}

impl LonLat {
    /// Tokyo Station (139.767125, 35.681236): a known valid point for examples and stand-ins.
    pub const TOKYO_STATION: LonLat = LonLat { lon: 139.767125, lat: 35.681236 };

    /// Validates `lon` in [-180, 180] and `lat` in [-90, 90], both finite.
    ///
    /// # Errors
    /// [`LonLatError`] naming the first problem.
    pub fn new(lon: f64, lat: f64) -> Result<Self, LonLatError> {
        if !lon.is_finite() || !lat.is_finite() {
            return Err(LonLatError::NotFinite);
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(LonLatError::LonOutOfRange(lon));
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(LonLatError::LatOutOfRange(lat));
        }
        Ok(Self { lon, lat })
    }

    /// Like [`LonLat::new`], but also refuses `0,0`, which data files use for "not registered".
    ///
    /// # Errors
    /// [`LonLatError::NotRegistered`] for `0,0`, otherwise as [`LonLat::new`].
    pub fn registered(lon: f64, lat: f64) -> Result<Self, LonLatError> {
        if lon == 0.0 && lat == 0.0 {
            return Err(LonLatError::NotRegistered);
        }
        Self::new(lon, lat)
    }

    /// Whether the point lies in [`JAPAN_EXTENT`], the check that catches swapped or mistyped
    /// coordinates in staff edits and imports.
    pub fn is_in_japan_extent(self) -> bool {
        JAPAN_EXTENT.contains(self.lon, self.lat)
    }

    /// Longitude in degrees.
    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Latitude in degrees.
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// The point as a `geo` point (x = lon, y = lat).
    pub fn to_point(self) -> geo::Point<f64> {
        geo::Point::new(self.lon, self.lat)
    }

    /// Geodesic distance on the WGS84 ellipsoid, in metres.
    pub fn geodesic_distance_m(self, other: LonLat) -> f64 {
        use geo::Distance;
        geo::Geodesic.distance(self.to_point(), other.to_point())
    }
}

impl TryFrom<[f64; 2]> for LonLat {
    type Error = LonLatError;
    fn try_from(v: [f64; 2]) -> Result<Self, Self::Error> {
        Self::new(v[0], v[1])
    }
}

impl From<LonLat> for [f64; 2] {
    fn from(p: LonLat) -> Self {
        [p.lon, p.lat]
    }
}

/// The rough extent of Japan and its islands in WGS84 degrees (lon 122–154, lat 20–46): imported
/// and edited positions must lie in it, synthetic ones are kept in it, and PROJ picks the
/// transformations valid in it.
pub const JAPAN_EXTENT: Extent = Extent { min_lon: 122.0, min_lat: 20.0, max_lon: 154.0, max_lat: 46.0 };

/// A lon/lat rectangle by its bounds in degrees (WGS84), bounds included. Unlike
/// [`crate::domain::Bbox`] it can be a constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    /// Western bound.
    pub min_lon: f64,
    /// Southern bound.
    pub min_lat: f64,
    /// Eastern bound.
    pub max_lon: f64,
    /// Northern bound.
    pub max_lat: f64,
}

impl Extent {
    /// Whether `lon`, `lat` (degrees) lie inside, bounds included.
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        (self.min_lon..=self.max_lon).contains(&lon) && (self.min_lat..=self.max_lat).contains(&lat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_corners_of_the_world() {
        assert!(LonLat::new(-180.0, -90.0).is_ok());
        assert!(LonLat::new(180.0, 90.0).is_ok());
    }

    #[test]
    fn rejects_out_of_range_and_non_finite_values() {
        assert_eq!(LonLat::new(180.1, 0.0), Err(LonLatError::LonOutOfRange(180.1)));
        assert_eq!(LonLat::new(0.0, -90.5), Err(LonLatError::LatOutOfRange(-90.5)));
        assert_eq!(LonLat::new(f64::NAN, 0.0), Err(LonLatError::NotFinite));
        assert_eq!(LonLat::new(0.0, f64::INFINITY), Err(LonLatError::NotFinite));
    }

    #[test]
    fn zero_zero_is_not_a_registered_place() {
        assert_eq!(LonLat::registered(0.0, 0.0), Err(LonLatError::NotRegistered));
        assert!(LonLat::new(0.0, 0.0).is_ok());
    }

    #[test]
    fn geodesic_distance_matches_a_known_value() {
        // Nagareyama city hall to Tokyo Station: about 22.6 km.
        let city_hall = LonLat::new(139.902861, 35.856306).unwrap();
        let tokyo = LonLat::new(139.767125, 35.681236).unwrap();
        let d = city_hall.geodesic_distance_m(tokyo);
        assert!((22_000.0..23_500.0).contains(&d), "{d}");
    }
}
