//! Fast, exact-enough geodesic distances for the index.
//!
//! Points are kept as Earth-centred Cartesian coordinates on the WGS84 ellipsoid (metres). The
//! straight-line distance `c` between two such points is a strict lower bound of the geodesic
//! distance `s` between them (no path on the surface is shorter than the straight line), and for
//! short lines `s = c + c³/(24ρ²) + O(c⁵/ρ⁴)`, where ρ is the radius of curvature of the
//! ellipsoid's normal section along the line (Euler: 1/ρ = cos²α/M + sin²α/N). Below
//! [`SHORT_LINE_M`] that series is within a millimetre of Karney's geodesic (checked by tests
//! against `geo::Geodesic`), at a few nanoseconds instead of a microsecond; longer lines use
//! Karney's algorithm.

use crate::domain::LonLat;

/// WGS84 semi-major axis, metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// First eccentricity squared.
const E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// Chord length below which the series is used instead of Karney's algorithm, metres.
pub const SHORT_LINE_M: f64 = 50_000.0;

/// A position on the WGS84 ellipsoid with what distance computations need, precomputed once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ecef {
    /// Earth-centred Cartesian coordinates, metres.
    pub xyz: [f64; 3],
    /// Unit vector pointing north at this position (tangent to the meridian).
    north: [f64; 3],
    /// 1/M and 1/N: inverse meridional and prime-vertical radii of curvature here, 1/metres.
    inv_m: f64,
    inv_n: f64,
}

impl Ecef {
    /// The ECEF position of a lon/lat at height 0.
    pub fn new(p: LonLat) -> Self {
        let (lon, lat) = (p.lon().to_radians(), p.lat().to_radians());
        let (sin_lat, cos_lat) = lat.sin_cos();
        let (sin_lon, cos_lon) = lon.sin_cos();
        let w2 = 1.0 - E2 * sin_lat * sin_lat;
        let n = WGS84_A / w2.sqrt();
        let xyz = [n * cos_lat * cos_lon, n * cos_lat * sin_lon, n * (1.0 - E2) * sin_lat];
        let north = [-sin_lat * cos_lon, -sin_lat * sin_lon, cos_lat];
        let m = WGS84_A * (1.0 - E2) / (w2 * w2.sqrt());
        Self { xyz, north, inv_m: 1.0 / m, inv_n: 1.0 / n }
    }

    /// Squared straight-line distance to `other`, square metres.
    #[inline]
    pub fn chord2(&self, other: &[f64; 3]) -> f64 {
        let d = [other[0] - self.xyz[0], other[1] - self.xyz[1], other[2] - self.xyz[2]];
        d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
    }

    /// Geodesic distance in metres from this position (`self_ll`) to `other` (`other_ll`):
    /// the chord series below [`SHORT_LINE_M`], Karney's algorithm beyond.
    pub fn distance_m(&self, self_ll: LonLat, other: &[f64; 3], other_ll: LonLat) -> f64 {
        self.distance_by_chord2_m(other, self.chord2(other), || self_ll.geodesic_distance_m(other_ll))
    }

    /// [`Ecef::distance_m`] to `other` when its squared chord `c2` is already known; `karney`
    /// gives the distance of a line too long for the series, and is called only then (so a
    /// walk reads a position's lon/lat only for such a line).
    #[inline]
    pub fn distance_by_chord2_m(&self, other: &[f64; 3], c2: f64, karney: impl FnOnce() -> f64) -> f64 {
        if c2 >= SHORT_LINE_M * SHORT_LINE_M { karney() } else { self.short_distance_m(other, c2) }
    }

    /// The series' geodesic distance in metres to `other`, whose squared chord `c2` the
    /// caller has found below [`SHORT_LINE_M`]².
    #[inline]
    pub fn short_distance_m(&self, other: &[f64; 3], c2: f64) -> f64 {
        debug_assert!(c2 < SHORT_LINE_M * SHORT_LINE_M, "a chord of {} m is too long for the series", c2.sqrt());
        let d = [other[0] - self.xyz[0], other[1] - self.xyz[1], other[2] - self.xyz[2]];
        // cos²α from the northward component of the chord (the vertical part is O(c²/R), the
        // frame's change along the line O(c/R): both vanish in the c³ term to this precision).
        let along_north = d[0] * self.north[0] + d[1] * self.north[1] + d[2] * self.north[2];
        let cos2 = if c2 > 0.0 { (along_north * along_north / c2).min(1.0) } else { 0.0 };
        let curvature = cos2 * self.inv_m + (1.0 - cos2) * self.inv_n;
        let c = c2.sqrt();
        c + c * c2 * curvature * curvature / 24.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    #[test]
    fn the_chord_is_a_lower_bound_and_the_series_is_within_a_millimetre() {
        let a = ll(139.902861, 35.856306);
        let b = ll(139.767125, 35.681236);
        let (ea, eb) = (Ecef::new(a), Ecef::new(b));
        let karney = a.geodesic_distance_m(b);
        assert!(ea.chord2(&eb.xyz).sqrt() < karney);
        assert!((ea.distance_m(a, &eb.xyz, b) - karney).abs() < 1e-3);
    }

    proptest! {
        #[test]
        fn the_series_matches_karney_for_short_lines_anywhere(
            lon in -180.0..180.0f64, lat in -90.0..=90.0f64,
            dlon in -0.6..0.6f64, dlat in -0.45..0.45f64,
        ) {
            let a = ll(lon, lat);
            let b_lon = if lon + dlon > 180.0 { lon + dlon - 360.0 } else if lon + dlon < -180.0 { lon + dlon + 360.0 } else { lon + dlon };
            let b = ll(b_lon, (lat + dlat).clamp(-90.0, 90.0));
            let (ea, eb) = (Ecef::new(a), Ecef::new(b));
            let karney = a.geodesic_distance_m(b);
            let fast = ea.distance_m(a, &eb.xyz, b);
            prop_assert!((fast - karney).abs() < 1e-4, "fast {fast} karney {karney}");
            prop_assert!(ea.chord2(&eb.xyz).sqrt() <= karney + 1e-6);
        }

        #[test]
        fn the_chord_never_exceeds_the_geodesic(a_lon in -180.0..180.0f64, a_lat in -90.0..=90.0f64, b_lon in -180.0..180.0f64, b_lat in -90.0..=90.0f64) {
            let (a, b) = (ll(a_lon, a_lat), ll(b_lon, b_lat));
            let c = Ecef::new(a).chord2(&Ecef::new(b).xyz).sqrt();
            prop_assert!(c <= a.geodesic_distance_m(b) + 1e-6);
        }
    }
}
