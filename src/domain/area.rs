//! Query areas: bounding boxes and polygons, validated from user input.

use geo::{LineString, MultiPolygon, Polygon};
use geojson::GeometryValue;

use super::lonlat::{LonLat, LonLatError};

/// Most vertices a query polygon may have (all rings together).
pub const MAX_POLYGON_VERTICES: usize = 10_000;

/// A lon/lat bounding box. `min_lon > max_lon` means it crosses the antimeridian (RFC 7946 §5.2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    /// South-west corner.
    pub min: LonLat,
    /// North-east corner.
    pub max: LonLat,
}

/// Why a bbox or polygon is not usable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AreaError {
    /// Not four comma-separated numbers.
    #[error("must be four numbers: minLon,minLat,maxLon,maxLat")]
    BboxShape,
    /// A corner is not a valid position.
    #[error("corner {0}: {1}")]
    BboxCorner(&'static str, LonLatError),
    /// South edge north of the north edge.
    #[error("minLat {0} is greater than maxLat {1}")]
    BboxLatOrder(f64, f64),
    /// A geometry other than Polygon or MultiPolygon.
    #[error("geometry must be a Polygon or MultiPolygon, not {0}")]
    NotAPolygon(String),
    /// A ring with fewer than four positions.
    #[error("ring {0} has {1} positions; a ring needs at least 4")]
    RingTooShort(usize, usize),
    /// A ring whose last position differs from the first.
    #[error("ring {0} is not closed: its last position must equal its first")]
    RingNotClosed(usize),
    /// A position that is not a valid lon/lat.
    #[error("ring {0}, position {1}: {2}")]
    BadPosition(usize, usize, String),
    /// More vertices than [`MAX_POLYGON_VERTICES`].
    #[error("polygon has {0} vertices; at most {MAX_POLYGON_VERTICES} are allowed")]
    TooManyVertices(usize),
    /// A polygon with no rings.
    #[error("polygon has no rings")]
    Empty,
}

impl Bbox {
    /// Parses `minLon,minLat,maxLon,maxLat`.
    ///
    /// # Errors
    /// [`AreaError`] naming what is wrong.
    pub fn parse(s: &str) -> Result<Self, AreaError> {
        let numbers: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| AreaError::BboxShape)?;
        let [min_lon, min_lat, max_lon, max_lat] = numbers[..] else {
            return Err(AreaError::BboxShape);
        };
        let min = LonLat::new(min_lon, min_lat).map_err(|e| AreaError::BboxCorner("minLon,minLat", e))?;
        let max = LonLat::new(max_lon, max_lat).map_err(|e| AreaError::BboxCorner("maxLon,maxLat", e))?;
        if min_lat > max_lat {
            return Err(AreaError::BboxLatOrder(min_lat, max_lat));
        }
        Ok(Self { min, max })
    }

    /// The box as one or two plain lon/lat rectangles `([min_lon, min_lat], [max_lon, max_lat])`:
    /// two when it crosses the antimeridian.
    pub fn rectangles(&self) -> Vec<([f64; 2], [f64; 2])> {
        let (a, b) = (self.min, self.max);
        if a.lon() <= b.lon() {
            vec![([a.lon(), a.lat()], [b.lon(), b.lat()])]
        } else {
            vec![([a.lon(), a.lat()], [180.0, b.lat()]), ([-180.0, a.lat()], [b.lon(), b.lat()])]
        }
    }

    /// Whether the box contains the position (edges included).
    pub fn contains(&self, p: LonLat) -> bool {
        self.rectangles()
            .iter()
            .any(|(lo, hi)| (lo[0]..=hi[0]).contains(&p.lon()) && (lo[1]..=hi[1]).contains(&p.lat()))
    }
}

/// Converts a GeoJSON Polygon or MultiPolygon into a validated `geo` MultiPolygon.
///
/// Checks that every ring is closed and has at least four positions, that every position is a
/// valid WGS84 lon/lat, and that there are at most [`MAX_POLYGON_VERTICES`] vertices.
///
/// # Errors
/// [`AreaError`] naming the first problem (ring and position numbers count from 0).
pub fn polygon_from_geojson(value: &GeometryValue) -> Result<MultiPolygon<f64>, AreaError> {
    let polygons: Vec<&Vec<Vec<geojson::Position>>> = match value {
        GeometryValue::Polygon { coordinates } => vec![coordinates],
        GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
        other => return Err(AreaError::NotAPolygon(other.type_name().to_owned())),
    };
    let vertices: usize = polygons.iter().flat_map(|p| p.iter()).map(Vec::len).sum();
    if vertices > MAX_POLYGON_VERTICES {
        return Err(AreaError::TooManyVertices(vertices));
    }
    if polygons.is_empty() || polygons.iter().any(|p| p.is_empty()) {
        return Err(AreaError::Empty);
    }
    let mut ring_no = 0;
    let mut out = Vec::with_capacity(polygons.len());
    for rings in polygons {
        let mut converted = Vec::with_capacity(rings.len());
        for ring in rings {
            converted.push(ring_from_positions(ring_no, ring)?);
            ring_no += 1;
        }
        let exterior = converted.remove(0);
        out.push(Polygon::new(exterior, converted));
    }
    Ok(MultiPolygon(out))
}

fn ring_from_positions(ring_no: usize, ring: &[geojson::Position]) -> Result<LineString<f64>, AreaError> {
    if ring.len() < 4 {
        return Err(AreaError::RingTooShort(ring_no, ring.len()));
    }
    let mut coords = Vec::with_capacity(ring.len());
    for (i, pos) in ring.iter().enumerate() {
        let p = pos.as_slice();
        if !(2..=3).contains(&p.len()) {
            return Err(AreaError::BadPosition(ring_no, i, "a position needs 2 or 3 numbers".into()));
        }
        let ll = LonLat::new(p[0], p[1]).map_err(|e| AreaError::BadPosition(ring_no, i, e.to_string()))?;
        coords.push(geo::coord! { x: ll.lon(), y: ll.lat() });
    }
    if coords.first() != coords.last() {
        return Err(AreaError::RingNotClosed(ring_no));
    }
    Ok(LineString::new(coords))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(closed: bool) -> GeometryValue {
        let mut ring = vec![[139.0, 35.0], [140.0, 35.0], [140.0, 36.0], [139.0, 36.0]];
        if closed {
            ring.push([139.0, 35.0]);
        }
        GeometryValue::Polygon { coordinates: vec![ring.into_iter().map(geojson::Position::from).collect()] }
    }

    #[test]
    fn parses_a_bbox() {
        let b = Bbox::parse("139.87,35.82,139.96,35.92").unwrap();
        assert!(b.contains(LonLat::new(139.9, 35.85).unwrap()));
        assert!(!b.contains(LonLat::new(140.0, 35.85).unwrap()));
    }

    #[test]
    fn a_bbox_across_the_antimeridian_is_two_rectangles() {
        let b = Bbox::parse("179,-10,-179,10").unwrap();
        assert_eq!(b.rectangles().len(), 2);
        assert!(b.contains(LonLat::new(179.5, 0.0).unwrap()));
        assert!(b.contains(LonLat::new(-179.5, 0.0).unwrap()));
        assert!(!b.contains(LonLat::new(0.0, 0.0).unwrap()));
    }

    #[test]
    fn rejects_malformed_bboxes() {
        assert_eq!(Bbox::parse("1,2,3"), Err(AreaError::BboxShape));
        assert_eq!(Bbox::parse("a,2,3,4"), Err(AreaError::BboxShape));
        assert_eq!(Bbox::parse("0,10,1,5"), Err(AreaError::BboxLatOrder(10.0, 5.0)));
        assert!(matches!(Bbox::parse("0,0,1,95"), Err(AreaError::BboxCorner(..))));
    }

    #[test]
    fn accepts_a_closed_polygon_and_refuses_an_open_one() {
        assert_eq!(polygon_from_geojson(&square(true)).unwrap().0.len(), 1);
        assert_eq!(polygon_from_geojson(&square(false)), Err(AreaError::RingNotClosed(0)));
    }

    #[test]
    fn refuses_points_and_too_many_vertices() {
        let point = GeometryValue::Point { coordinates: geojson::Position::from([1.0, 2.0]) };
        assert!(matches!(polygon_from_geojson(&point), Err(AreaError::NotAPolygon(_))));
        let mut ring: Vec<geojson::Position> =
            (0..MAX_POLYGON_VERTICES).map(|i| geojson::Position::from([i as f64 * 1e-5, 0.0])).collect();
        ring.push(ring[0].clone());
        let big = GeometryValue::Polygon { coordinates: vec![ring] };
        assert!(matches!(polygon_from_geojson(&big), Err(AreaError::TooManyVertices(_))));
    }
}
