//! Coordinate reference systems at the edges: imports given in Japanese CRSs and OGC API
//! responses requested in another CRS. Inside caremap everything is WGS84 lon/lat.
//!
//! Conversions use PROJ (the `proj` crate, PROJ built from source with proj.db embedded).
//! A PROJ object is not thread-safe, so each thread keeps its own cache of transformations.
//! Coordinates passed to [`convert`] are in "visualisation" order — (lon, lat) for
//! geographic CRSs, (easting, northing) for projected ones; [`Crs::to_axis_order`] and
//! [`Crs::from_axis_order`] translate to and from each CRS's authority axis order.

use std::cell::RefCell;
use std::collections::HashMap;

use proj::{Area, Proj};

use crate::domain::JAPAN_EXTENT;

/// A CRS caremap supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// OGC CRS84: WGS84 with lon/lat axis order (the GeoJSON and OGC API default).
    Crs84,
    /// EPSG:4326: WGS84 with lat/lon axis order.
    Epsg4326,
    /// EPSG:6668: JGD2011 geographic (lat/lon).
    Epsg6668,
    /// EPSG:6677: JGD2011 / Japan Plane Rectangular CS IX (Chiba, Tokyo …), metres,
    /// axis order northing (X), easting (Y).
    Epsg6677,
    /// EPSG:4612: JGD2000 geographic (lat/lon).
    Epsg4612,
    /// EPSG:4301: Tokyo Datum geographic (lat/lon), found in old data. Converted with a
    /// Helmert shift, accurate to about 10 m.
    Epsg4301,
}

/// Why a conversion failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrsError {
    /// A CRS identifier caremap does not support.
    #[error("unsupported CRS '{0}'; supported: {supported}", supported = Crs::ALL.map(|c| c.uri()).join(", "))]
    Unsupported(String),
    /// PROJ could not build the transformation.
    #[error("cannot build a transformation from {from} to {to}: {reason}")]
    Create {
        /// Source CRS.
        from: &'static str,
        /// Target CRS.
        to: &'static str,
        /// What PROJ said.
        reason: String,
    },
    /// PROJ could not convert a coordinate (outside the CRS's domain).
    #[error("cannot convert ({0}, {1}) from {2}: {3}")]
    Convert(f64, f64, &'static str, String),
}

impl Crs {
    /// Every supported CRS.
    pub const ALL: [Crs; 6] = [Crs::Crs84, Crs::Epsg4326, Crs::Epsg6668, Crs::Epsg6677, Crs::Epsg4612, Crs::Epsg4301];

    /// The OGC URI, e.g. `http://www.opengis.net/def/crs/EPSG/0/6677`.
    pub fn uri(self) -> &'static str {
        match self {
            Crs::Crs84 => "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            Crs::Epsg4326 => "http://www.opengis.net/def/crs/EPSG/0/4326",
            Crs::Epsg6668 => "http://www.opengis.net/def/crs/EPSG/0/6668",
            Crs::Epsg6677 => "http://www.opengis.net/def/crs/EPSG/0/6677",
            Crs::Epsg4612 => "http://www.opengis.net/def/crs/EPSG/0/4612",
            Crs::Epsg4301 => "http://www.opengis.net/def/crs/EPSG/0/4301",
        }
    }

    /// The identifier PROJ understands, e.g. `EPSG:6677`.
    pub fn proj_id(self) -> &'static str {
        match self {
            Crs::Crs84 => "OGC:CRS84",
            Crs::Epsg4326 => "EPSG:4326",
            Crs::Epsg6668 => "EPSG:6668",
            Crs::Epsg6677 => "EPSG:6677",
            Crs::Epsg4612 => "EPSG:4612",
            Crs::Epsg4301 => "EPSG:4301",
        }
    }

    /// Parses `EPSG:6677`, `6677`, `CRS84`, `OGC:CRS84`, an OGC URI, a `urn:ogc:def:crs:…`
    /// URN or a `[EPSG:6677]`-style safe CURIE.
    ///
    /// # Errors
    /// [`CrsError::Unsupported`] for anything else.
    pub fn parse(s: &str) -> Result<Crs, CrsError> {
        let t = s.trim().trim_start_matches('[').trim_end_matches(']');
        let upper = t.to_ascii_uppercase();
        let code = upper
            .rsplit(['/', ':'])
            .next()
            .filter(|_| {
                upper.starts_with("HTTP://WWW.OPENGIS.NET/DEF/CRS/")
                    || upper.starts_with("HTTPS://WWW.OPENGIS.NET/DEF/CRS/")
                    || upper.starts_with("URN:OGC:DEF:CRS:")
                    || upper.starts_with("EPSG:")
                    || upper.starts_with("OGC:")
                    || !upper.contains([':', '/'])
            })
            .unwrap_or("");
        match code {
            "CRS84" => Ok(Crs::Crs84),
            "4326" => Ok(Crs::Epsg4326),
            "6668" => Ok(Crs::Epsg6668),
            "6677" => Ok(Crs::Epsg6677),
            "4612" => Ok(Crs::Epsg4612),
            "4301" => Ok(Crs::Epsg4301),
            _ => Err(CrsError::Unsupported(s.to_owned())),
        }
    }

    /// Whether the authority axis order is swapped relative to (x = lon/easting,
    /// y = lat/northing): true for the EPSG geographic CRSs (lat, lon) and for EPSG:6677
    /// (northing, easting).
    pub fn swaps_axes(self) -> bool {
        !matches!(self, Crs::Crs84)
    }

    /// Whether coordinates are degrees (geographic) rather than metres.
    pub fn is_geographic(self) -> bool {
        !matches!(self, Crs::Epsg6677)
    }

    /// A visualisation-order pair in this CRS's authority axis order.
    pub fn to_axis_order(self, (x, y): (f64, f64)) -> [f64; 2] {
        if self.swaps_axes() { [y, x] } else { [x, y] }
    }

    /// An authority-order pair in visualisation order (x = lon/easting, y = lat/northing).
    pub fn from_axis_order(self, [a, b]: [f64; 2]) -> (f64, f64) {
        if self.swaps_axes() { (b, a) } else { (a, b) }
    }

    /// Whether two CRSs share a datum so conversion is the identity (CRS84 and EPSG:4326 differ
    /// only in axis order, which callers handle).
    fn same_datum(self, other: Crs) -> bool {
        self == other || matches!((self, other), (Crs::Crs84, Crs::Epsg4326) | (Crs::Epsg4326, Crs::Crs84))
    }
}

thread_local! {
    static TRANSFORMS: RefCell<HashMap<(Crs, Crs), Proj>> = RefCell::new(HashMap::new());
}

/// Japan and its seas: lets PROJ choose the transformation valid here (e.g. the Tokyo Datum
/// Helmert parameters for Japan).
fn japan() -> Area {
    Area::new(JAPAN_EXTENT.min_lon, JAPAN_EXTENT.min_lat, JAPAN_EXTENT.max_lon, JAPAN_EXTENT.max_lat)
}

/// Converts points in place from `from` to `to`, both in visualisation order (see the module
/// doc).
///
/// # Errors
/// [`CrsError`] when PROJ cannot build the transformation or convert a point.
pub fn convert(from: Crs, to: Crs, points: &mut [(f64, f64)]) -> Result<(), CrsError> {
    if from.same_datum(to) {
        return Ok(());
    }
    TRANSFORMS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let proj =
            match cache.entry((from, to)) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(Proj::new_known_crs(from.proj_id(), to.proj_id(), Some(japan())).map_err(|e| {
                        CrsError::Create { from: from.proj_id(), to: to.proj_id(), reason: e.to_string() }
                    })?)
                }
            };
        for p in points.iter_mut() {
            let out = proj.convert(*p).map_err(|e| CrsError::Convert(p.0, p.1, from.proj_id(), e.to_string()))?;
            if !out.0.is_finite() || !out.1.is_finite() {
                return Err(CrsError::Convert(p.0, p.1, from.proj_id(), "result is not finite".into()));
            }
            *p = out;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_common_spellings() {
        for s in [
            "EPSG:6677",
            "6677",
            "http://www.opengis.net/def/crs/EPSG/0/6677",
            "urn:ogc:def:crs:EPSG::6677",
            "[EPSG:6677]",
        ] {
            assert_eq!(Crs::parse(s), Ok(Crs::Epsg6677), "{s}");
        }
        assert_eq!(Crs::parse("http://www.opengis.net/def/crs/OGC/1.3/CRS84"), Ok(Crs::Crs84));
        assert_eq!(Crs::parse("OGC:CRS84"), Ok(Crs::Crs84));
        assert!(Crs::parse("EPSG:3857").is_err());
        assert!(Crs::parse("http://example.com/6677").is_err());
    }

    #[test]
    fn plane_rectangular_ix_has_its_origin_at_36n_139_50e() {
        // Zone IX's origin is 36°N 139°50'E; there X (northing) = Y (easting) = 0.
        let mut p = [(139.0 + 50.0 / 60.0, 36.0)];
        convert(Crs::Crs84, Crs::Epsg6677, &mut p).unwrap();
        assert!(p[0].0.abs() < 1e-3 && p[0].1.abs() < 1e-3, "{p:?}");
    }

    #[test]
    fn a_round_trip_through_zone_ix_returns_within_a_millimetre() {
        let start = (139.902861, 35.856306);
        let mut p = [start];
        convert(Crs::Crs84, Crs::Epsg6677, &mut p).unwrap();
        convert(Crs::Epsg6677, Crs::Crs84, &mut p).unwrap();
        assert!((p[0].0 - start.0).abs() < 1e-8 && (p[0].1 - start.1).abs() < 1e-8, "{p:?}");
    }

    #[test]
    fn tokyo_datum_shifts_by_a_few_hundred_metres_in_japan() {
        let mut p = [(139.902861, 35.856306)];
        convert(Crs::Epsg4301, Crs::Crs84, &mut p).unwrap();
        let (dlon, dlat) = (p[0].0 - 139.902861, p[0].1 - 35.856306);
        // The known shift near Tokyo is about −12″ in longitude and +12″ in latitude.
        assert!((-0.0040..-0.0025).contains(&dlon) && (0.0025..0.0040).contains(&dlat), "{dlon} {dlat}");
    }

    #[test]
    fn axis_order_follows_the_authority() {
        assert_eq!(Crs::Epsg4326.to_axis_order((139.9, 35.8)), [35.8, 139.9]);
        assert_eq!(Crs::Crs84.to_axis_order((139.9, 35.8)), [139.9, 35.8]);
        assert_eq!(Crs::Epsg6677.from_axis_order([-15000.0, 5000.0]), (5000.0, -15000.0));
    }
}
