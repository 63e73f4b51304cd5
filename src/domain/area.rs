//! Query areas: bounding boxes and polygons, validated from user input. A search area sent
//! by a client is parsed by [`search_area_from_json`], which counts vertices and parts while
//! it reads the JSON, so an oversized geometry is refused before it is built.

use std::cell::Cell;

use geo::{LineString, MultiPolygon, Polygon};
use geojson::GeometryValue;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::lonlat::{LonLat, LonLatError};

/// Most vertices a query polygon may have (all rings together).
pub const MAX_POLYGON_VERTICES: usize = 10_000;
/// Most polygons a query MultiPolygon may have. An area drawn on the map is one polygon and a
/// district a few; thousands of tiny parts only multiply the work of a search.
pub const MAX_POLYGON_PARTS: usize = 500;

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
    /// More polygons than [`MAX_POLYGON_PARTS`].
    #[error("multipolygon has {0} polygons; at most {MAX_POLYGON_PARTS} are allowed")]
    TooManyParts(usize),
    /// A polygon with no rings.
    #[error("polygon has no rings")]
    Empty,
    /// JSON that is not a GeoJSON geometry (or Feature) of the right shape.
    #[error("not a GeoJSON geometry: {0}")]
    NotGeoJson(String),
    /// Bytes that are not JSON at all.
    #[error("not valid JSON: {0}")]
    Syntax(String),
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
            converted.push(ring_from(ring_no, ring.iter().map(geojson::Position::as_slice))?);
            ring_no += 1;
        }
        let exterior = converted.remove(0);
        out.push(Polygon::new(exterior, converted));
    }
    Ok(MultiPolygon(out))
}

fn ring_from<'a>(ring_no: usize, ring: impl ExactSizeIterator<Item = &'a [f64]>) -> Result<LineString<f64>, AreaError> {
    if ring.len() < 4 {
        return Err(AreaError::RingTooShort(ring_no, ring.len()));
    }
    let mut coords = Vec::with_capacity(ring.len());
    for (i, p) in ring.enumerate() {
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

/// Parses a search area: a GeoJSON Polygon or MultiPolygon, bare or as a Feature's geometry,
/// into a validated `geo` MultiPolygon (checked as [`polygon_from_geojson`] does).
///
/// The coordinates are counted while the JSON is read: past [`MAX_POLYGON_VERTICES`]
/// positions (or as many arrays of arrays) reading stops, so a hostile body never becomes a
/// large structure in memory. A MultiPolygon may have at most [`MAX_POLYGON_PARTS`] polygons.
/// Members other than `type`, `coordinates` and a Feature's `geometry` are skipped unread.
///
/// # Errors
/// [`AreaError::Syntax`] for bytes that are not JSON, [`AreaError::NotGeoJson`] for JSON of
/// another shape, and the other [`AreaError`]s as [`polygon_from_geojson`] gives them.
pub fn search_area_from_json(bytes: &[u8]) -> Result<MultiPolygon<f64>, AreaError> {
    let budget = Budget::default();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = MemberSeed { budget: &budget, in_feature: false }.deserialize(&mut de).and_then(|m| {
        de.end()?;
        Ok(m)
    });
    let top = match parsed {
        Ok(top) => top,
        Err(e) => {
            return Err(match budget.failure.take() {
                Some(limit) => limit,
                None if e.is_syntax() || e.is_eof() => AreaError::Syntax(e.to_string()),
                None => AreaError::NotGeoJson(e.to_string()),
            });
        }
    };
    let top = match top.kind.as_deref() {
        Some("Feature") => *top.geometry.ok_or_else(|| AreaError::NotGeoJson("the Feature has no geometry".into()))?,
        _ => top,
    };
    let kind = top.kind.ok_or_else(|| AreaError::NotGeoJson("missing member 'type'".into()))?;
    let coordinates = top.coordinates.ok_or_else(|| AreaError::NotGeoJson("missing member 'coordinates'".into()))?;
    let polygons: Vec<Nest> = match kind.as_str() {
        "Polygon" => vec![coordinates],
        "MultiPolygon" => coordinates.into_list("coordinates of a MultiPolygon must be an array of polygons")?,
        other => return Err(AreaError::NotAPolygon(other.to_owned())),
    };
    if polygons.len() > MAX_POLYGON_PARTS {
        return Err(AreaError::TooManyParts(polygons.len()));
    }
    let mut ring_no = 0;
    let mut out = Vec::with_capacity(polygons.len());
    for polygon in polygons {
        let rings = polygon.into_list("a polygon must be an array of rings")?;
        let mut converted = Vec::with_capacity(rings.len());
        for ring in rings {
            let positions = ring.into_list("a ring must be an array of positions")?;
            let numbers: Vec<Vec<f64>> = positions
                .into_iter()
                .enumerate()
                .map(|(i, p)| {
                    p.into_numbers().ok_or_else(|| AreaError::BadPosition(ring_no, i, "not a position".into()))
                })
                .collect::<Result<_, _>>()?;
            converted.push(ring_from(ring_no, numbers.iter().map(Vec::as_slice))?);
            ring_no += 1;
        }
        if converted.is_empty() {
            return Err(AreaError::Empty);
        }
        let exterior = converted.remove(0);
        out.push(Polygon::new(exterior, converted));
    }
    if out.is_empty() {
        return Err(AreaError::Empty);
    }
    Ok(MultiPolygon(out))
}

/// What has been read so far, and the limit that stopped reading.
#[derive(Default)]
struct Budget {
    positions: Cell<usize>,
    lists: Cell<usize>,
    failure: Cell<Option<AreaError>>,
}

impl Budget {
    fn fail<E: serde::de::Error>(&self, failure: AreaError) -> E {
        let message = failure.to_string();
        self.failure.set(Some(failure));
        E::custom(message)
    }
}

/// Nested coordinate arrays as read: a number, or an array.
enum Nest {
    Number(f64),
    List(Vec<Nest>),
}

impl Nest {
    fn into_list(self, expected: &str) -> Result<Vec<Nest>, AreaError> {
        match self {
            Nest::List(items) => Ok(items),
            Nest::Number(_) => Err(AreaError::NotGeoJson(expected.to_owned())),
        }
    }

    fn into_numbers(self) -> Option<Vec<f64>> {
        let Nest::List(items) = self else { return None };
        items.into_iter().map(|n| if let Nest::Number(x) = n { Some(x) } else { None }).collect()
    }
}

/// Arrays nest at most this deep in a MultiPolygon's coordinates (polygons, rings, positions).
const MAX_NESTING: usize = 4;

struct NestSeed<'b> {
    budget: &'b Budget,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for NestSeed<'_> {
    type Value = Nest;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Nest, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NestSeed<'_> {
    type Value = Nest;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("nested arrays of numbers")
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Nest, E> {
        Ok(Nest::Number(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Nest, E> {
        Ok(Nest::Number(v as f64))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Nest, E> {
        Ok(Nest::Number(v as f64))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Nest, A::Error> {
        let budget = self.budget;
        if self.depth >= MAX_NESTING {
            return Err(serde::de::Error::custom("coordinates nest deeper than a MultiPolygon's"));
        }
        let mut items = Vec::new();
        let mut numbers = 0;
        while let Some(item) = seq.next_element_seed(NestSeed { budget, depth: self.depth + 1 })? {
            if matches!(item, Nest::Number(_)) {
                numbers += 1;
                if numbers > 3 {
                    return Err(serde::de::Error::custom("a position has 2 or 3 numbers"));
                }
            }
            items.push(item);
        }
        if numbers > 0 {
            if numbers != items.len() {
                return Err(serde::de::Error::custom("an array mixes numbers and arrays"));
            }
            budget.positions.set(budget.positions.get() + 1);
            if budget.positions.get() > MAX_POLYGON_VERTICES {
                return Err(budget.fail(AreaError::TooManyVertices(budget.positions.get())));
            }
        } else {
            // Rings and polygons (and empty arrays) are bounded too: each valid one holds
            // positions, so there cannot be more of them than positions allowed.
            budget.lists.set(budget.lists.get() + 1);
            if budget.lists.get() > MAX_POLYGON_VERTICES {
                return Err(budget.fail(AreaError::TooManyVertices(budget.lists.get())));
            }
        }
        Ok(Nest::List(items))
    }
}

/// The members of a geometry (or of a Feature, whose `geometry` is read the same way once).
#[derive(Default)]
struct Members {
    kind: Option<String>,
    coordinates: Option<Nest>,
    geometry: Option<Box<Members>>,
}

struct MemberSeed<'b> {
    budget: &'b Budget,
    in_feature: bool,
}

impl<'de> DeserializeSeed<'de> for MemberSeed<'_> {
    type Value = Members;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Members, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MemberSeed<'_> {
    type Value = Members;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a GeoJSON Polygon, MultiPolygon or Feature object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
        let mut members = Members::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "type" => members.kind = Some(map.next_value()?),
                "coordinates" => {
                    members.coordinates = Some(map.next_value_seed(NestSeed { budget: self.budget, depth: 0 })?);
                }
                "geometry" if !self.in_feature => {
                    let seed = MemberSeed { budget: self.budget, in_feature: true };
                    members.geometry = Some(Box::new(map.next_value_seed(OptionalMembers(seed))?));
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(members)
    }
}

/// A Feature's `geometry`, which may be `null` (then there is no area).
struct OptionalMembers<'b>(MemberSeed<'b>);

impl<'de> DeserializeSeed<'de> for OptionalMembers<'_> {
    type Value = Members;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Members, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for OptionalMembers<'_> {
    type Value = Members;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a geometry object or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Members, E> {
        Ok(Members::default())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Members, E> {
        Ok(Members::default())
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Members, D::Error> {
        self.0.deserialize(d)
    }
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

    fn ring_json(n: usize) -> String {
        let mut ring: Vec<String> =
            (0..n).map(|i| format!("[{},{}]", 139.0 + i as f64 * 1e-5, 35.0 + (i % 2) as f64 * 1e-3)).collect();
        ring.push(ring[0].clone());
        format!("[{}]", ring.join(","))
    }

    #[test]
    fn a_search_area_is_read_bare_or_from_a_feature() {
        let polygon = r#"{"type":"Polygon","coordinates":[[[139,35],[140,35],[140,36],[139,35]]],"bbox":[1,2,3,4]}"#;
        assert_eq!(search_area_from_json(polygon.as_bytes()).unwrap().0.len(), 1);
        let feature = format!(r#"{{"properties":{{"x":[1,[2]]}},"geometry":{polygon},"type":"Feature"}}"#);
        assert_eq!(search_area_from_json(feature.as_bytes()).unwrap().0.len(), 1);
        let multi = r#"{"coordinates":[[[[139,35],[140,35],[140,36],[139,35]]],[[[141,35],[142,35],[142,36],[141,35]]]],"type":"MultiPolygon"}"#;
        assert_eq!(search_area_from_json(multi.as_bytes()).unwrap().0.len(), 2);
    }

    #[test]
    fn a_search_area_names_what_is_wrong() {
        let err = |json: &str| search_area_from_json(json.as_bytes()).unwrap_err();
        assert!(matches!(err("{not json"), AreaError::Syntax(_)));
        assert!(matches!(err(r#"{"type":"Point","coordinates":[1,2]}"#), AreaError::NotAPolygon(_)));
        assert!(matches!(err(r#"{"type":"Polygon","coordinates":"nope"}"#), AreaError::NotGeoJson(_)));
        assert!(matches!(err(r#"{"type":"Feature","geometry":null}"#), AreaError::NotGeoJson(_)));
        assert!(matches!(err(r#"{"type":"Polygon","coordinates":[[[1,2,3,4]]]}"#), AreaError::NotGeoJson(_)));
        assert!(matches!(err(r#"{"type":"Polygon","coordinates":[[[[[1]]]]]}"#), AreaError::NotGeoJson(_)));
        assert_eq!(err(r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#), AreaError::RingNotClosed(0));
        assert_eq!(err(r#"{"type":"MultiPolygon","coordinates":[]}"#), AreaError::Empty);
    }

    #[test]
    fn a_search_area_over_the_vertex_cap_is_refused_while_it_is_read() {
        let big = format!(r#"{{"type":"Polygon","coordinates":[{}]}}"#, ring_json(MAX_POLYGON_VERTICES + 5));
        assert!(
            matches!(search_area_from_json(big.as_bytes()), Err(AreaError::TooManyVertices(n)) if n == MAX_POLYGON_VERTICES + 1)
        );
        let empties =
            format!(r#"{{"type":"Polygon","coordinates":[{}]}}"#, vec!["[]"; MAX_POLYGON_VERTICES + 1].join(","));
        assert!(matches!(search_area_from_json(empties.as_bytes()), Err(AreaError::TooManyVertices(_))));
    }

    #[test]
    fn a_multipolygon_over_the_part_cap_is_refused() {
        let part = r"[[[139,35],[139.001,35],[139.001,35.001],[139,35]]]";
        let parts = vec![part; MAX_POLYGON_PARTS + 1].join(",");
        let json = format!(r#"{{"type":"MultiPolygon","coordinates":[{parts}]}}"#);
        assert_eq!(search_area_from_json(json.as_bytes()), Err(AreaError::TooManyParts(MAX_POLYGON_PARTS + 1)));
        let parts = vec![part; MAX_POLYGON_PARTS].join(",");
        let json = format!(r#"{{"type":"MultiPolygon","coordinates":[{parts}]}}"#);
        assert_eq!(search_area_from_json(json.as_bytes()).unwrap().0.len(), MAX_POLYGON_PARTS);
    }
}
