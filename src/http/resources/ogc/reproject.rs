//! OGC API – Features Part 2 at the edge: the `crs` and `bbox-crs` parameters, boxes given in
//! another CRS, and output coordinates in the requested CRS's own axis order (EPSG:4326 and
//! EPSG:6668 are lat/lon; EPSG:6677 is northing, easting), converted with PROJ.
//!
//! A box in a CRS other than CRS84/EPSG:4326 is answered in two steps: its outline (corners and
//! points along the edges) is converted to CRS84 and its envelope, padded, queries the index;
//! then each candidate is converted into the box's CRS and kept only if it really lies in (or,
//! for districts, intersects) the box. So the result is exact, not the envelope's.

use geo::{Intersects, MapCoords, MultiPolygon, Rect, coord};
use serde_json::Value;

use crate::domain::{Bbox, LonLat};
use crate::spatial::crs::{Crs, CrsError, convert};

use crate::http::plumbing::params::Params;

/// The CRSs offered for `crs` and `bbox-crs`, CRS84 (the default) first.
pub const OFFERED: [Crs; 4] = [Crs::Crs84, Crs::Epsg4326, Crs::Epsg6668, Crs::Epsg6677];

/// The URIs of [`OFFERED`], as listed in collection metadata.
pub fn offered_uris() -> Vec<&'static str> {
    OFFERED.iter().map(|c| c.uri()).collect()
}

/// Reads a CRS parameter (`crs` or `bbox-crs`); records an error naming it when the value is not
/// one of [`OFFERED`]. Accepts URIs, `EPSG:6677` and `[EPSG:6677]` spellings.
pub fn crs_param(params: &mut Params, name: &str) -> Option<Crs> {
    let raw = params.raw(name)?;
    match Crs::parse(&raw) {
        Ok(crs) if OFFERED.contains(&crs) => Some(crs),
        _ => {
            params.error(name, format!("unsupported CRS '{raw}'; offered: {}", offered_uris().join(", ")));
            None
        }
    }
}

/// Points per edge sampled when converting a box outline to CRS84.
const EDGE_SAMPLES: usize = 16;

/// A `bbox` query, possibly in another CRS.
#[derive(Debug, Clone, PartialEq)]
pub struct BboxQuery {
    /// The CRS the box was given in.
    pub crs: Crs,
    /// A CRS84 box containing the whole requested box (the box itself for CRS84/EPSG:4326).
    pub envelope: Bbox,
    /// The requested box in visualisation order (x = lon/easting) when candidates must be
    /// checked in `crs`; `None` when `envelope` is exact.
    exact: Option<Rect<f64>>,
}

/// Four numbers of a `bbox` value.
fn four_numbers(raw: &str) -> Result<[f64; 4], String> {
    let numbers: Vec<f64> = raw
        .split(',')
        .map(|p| p.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect::<Option<_>>()
        .ok_or("must be four comma-separated numbers")?;
    match numbers[..] {
        [a, b, c, d] => Ok([a, b, c, d]),
        [_, _, _, _, _, _] => Err("3-D boxes (6 numbers) are not supported: give 4 numbers".into()),
        _ => Err(format!("must be four numbers, not {}", numbers.len())),
    }
}

impl BboxQuery {
    /// Parses `bbox` given in `crs`'s axis order: lower corner then upper corner, e.g.
    /// `minLon,minLat,maxLon,maxLat` in CRS84, `minLat,minLon,maxLat,maxLon` in EPSG:4326,
    /// `minNorthing,minEasting,maxNorthing,maxEasting` in EPSG:6677. In CRS84 and EPSG:4326 a
    /// box may cross the antimeridian (west edge greater than east edge).
    ///
    /// # Errors
    /// A reason for the `bbox` parameter.
    pub fn parse(raw: &str, crs: Crs) -> Result<Self, String> {
        let [a, b, c, d] = four_numbers(raw)?;
        let (lower, upper) = (crs.from_axis_order([a, b]), crs.from_axis_order([c, d]));
        if matches!(crs, Crs::Crs84 | Crs::Epsg4326) {
            let envelope =
                Bbox::parse(&format!("{},{},{},{}", lower.0, lower.1, upper.0, upper.1)).map_err(|e| e.to_string())?;
            return Ok(Self { crs, envelope, exact: None });
        }
        if lower.0 > upper.0 || lower.1 > upper.1 {
            return Err("the lower corner must not exceed the upper corner on either axis".into());
        }
        let rect = Rect::new(coord! { x: lower.0, y: lower.1 }, coord! { x: upper.0, y: upper.1 });
        let envelope = outline_envelope(rect, crs).map_err(|e| format!("cannot convert the box to CRS84: {e}"))?;
        Ok(Self { crs, envelope, exact: Some(rect) })
    }

    /// Whether a position lies in the box (edges included). Call only for candidates inside
    /// [`BboxQuery::envelope`].
    ///
    /// # Errors
    /// When PROJ cannot convert the position into the box's CRS.
    pub fn contains(&self, p: LonLat) -> Result<bool, CrsError> {
        let Some(rect) = self.exact else { return Ok(true) };
        let mut pt = [(p.lon(), p.lat())];
        convert(Crs::Crs84, self.crs, &mut pt)?;
        let (x, y) = pt[0];
        Ok(rect.min().x <= x && x <= rect.max().x && rect.min().y <= y && y <= rect.max().y)
    }

    /// Whether an area (lon/lat) intersects the box.
    ///
    /// # Errors
    /// When PROJ cannot convert the area into the box's CRS.
    pub fn intersects(&self, area: &MultiPolygon<f64>) -> Result<bool, CrsError> {
        let in_envelope =
            self.envelope.rectangles().iter().any(|(lo, hi)| {
                area.intersects(&Rect::new(coord! { x: lo[0], y: lo[1] }, coord! { x: hi[0], y: hi[1] }))
            });
        let Some(rect) = self.exact else { return Ok(in_envelope) };
        if !in_envelope {
            return Ok(false);
        }
        let converted = area.try_map_coords(|c| {
            let mut pt = [(c.x, c.y)];
            convert(Crs::Crs84, self.crs, &mut pt)?;
            Ok::<_, CrsError>(coord! { x: pt[0].0, y: pt[0].1 })
        })?;
        Ok(converted.intersects(&rect))
    }
}

/// The CRS84 envelope of a box's outline in `crs`, padded so it contains the whole box.
fn outline_envelope(rect: Rect<f64>, crs: Crs) -> Result<Bbox, CrsError> {
    let (min, max) = (rect.min(), rect.max());
    let mut points = Vec::with_capacity(4 * EDGE_SAMPLES);
    for i in 0..EDGE_SAMPLES {
        let t = i as f64 / EDGE_SAMPLES as f64;
        let x = min.x + t * (max.x - min.x);
        let y = min.y + t * (max.y - min.y);
        points.extend([(x, min.y), (max.x, y), (max.x + min.x - x, max.y), (min.x, max.y + min.y - y)]);
    }
    convert(crs, Crs::Crs84, &mut points)?;
    let (mut lo, mut hi) = ((f64::INFINITY, f64::INFINITY), (f64::NEG_INFINITY, f64::NEG_INFINITY));
    for (x, y) in points {
        lo = (lo.0.min(x), lo.1.min(y));
        hi = (hi.0.max(x), hi.1.max(y));
    }
    // Edges of a projected box are curves in lon/lat; the margin covers their bulge between
    // samples. Candidates are then checked exactly, so a generous margin costs only time.
    let pad = (1e-7_f64).max(0.01 * (hi.0 - lo.0).max(hi.1 - lo.1));
    let min = LonLat::new((lo.0 - pad).max(-180.0), (lo.1 - pad).max(-90.0));
    let max = LonLat::new((hi.0 + pad).min(180.0), (hi.1 + pad).min(90.0));
    match (min, max) {
        (Ok(min), Ok(max)) => Ok(Bbox { min, max }),
        _ => Err(CrsError::Convert(rect.min().x, rect.min().y, crs.proj_id(), "outside the world".into())),
    }
}

/// A position in `crs`, in that CRS's axis order.
///
/// # Errors
/// When PROJ cannot convert it.
pub fn position_out(p: LonLat, crs: Crs) -> Result<[f64; 2], CrsError> {
    let mut pt = [(p.lon(), p.lat())];
    convert(Crs::Crs84, crs, &mut pt)?;
    Ok(crs.to_axis_order(pt[0]))
}

/// Converts every position of a GeoJSON geometry (`coordinates` nested at any depth) to
/// `crs` in its axis order, and rewrites a feature's `bbox` to match.
///
/// # Errors
/// When PROJ cannot convert a position.
pub fn feature_value_out(feature: &mut Value, crs: Crs) -> Result<(), CrsError> {
    if crs == Crs::Crs84 {
        return Ok(());
    }
    let mut lo = [f64::INFINITY; 2];
    let mut hi = [f64::NEG_INFINITY; 2];
    if let Some(coordinates) = feature.pointer_mut("/geometry/coordinates") {
        positions_out(coordinates, crs, &mut |p| {
            lo = [lo[0].min(p[0]), lo[1].min(p[1])];
            hi = [hi[0].max(p[0]), hi[1].max(p[1])];
        })?;
    }
    if let Some(bbox) = feature.get_mut("bbox").filter(|b| !b.is_null()) {
        *bbox = if lo[0].is_finite() { serde_json::json!([lo[0], lo[1], hi[0], hi[1]]) } else { Value::Null };
    }
    Ok(())
}

fn positions_out(value: &mut Value, crs: Crs, seen: &mut impl FnMut([f64; 2])) -> Result<(), CrsError> {
    let Value::Array(items) = value else { return Ok(()) };
    if let [Value::Number(x), Value::Number(y), ..] = &items[..] {
        let (Some(lon), Some(lat)) = (x.as_f64(), y.as_f64()) else { return Ok(()) };
        let mut pt = [(lon, lat)];
        convert(Crs::Crs84, crs, &mut pt)?;
        let out = crs.to_axis_order(pt[0]);
        seen(out);
        items[0] = serde_json::json!(out[0]);
        items[1] = serde_json::json!(out[1]);
        return Ok(());
    }
    items.iter_mut().try_for_each(|item| positions_out(item, crs, seen))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CITY_HALL: (f64, f64) = (139.902861, 35.856306);

    #[test]
    fn a_4326_box_is_lat_lon() {
        let q = BboxQuery::parse("35.8,139.8,35.9,139.95", Crs::Epsg4326).unwrap();
        assert_eq!(q.envelope, Bbox::parse("139.8,35.8,139.95,35.9").unwrap());
        assert!(BboxQuery::parse("139.8,35.8,139.95,35.9", Crs::Epsg4326).is_err(), "lat 139.8 is out of range");
    }

    #[test]
    fn a_6677_box_is_exact_around_a_projected_point() {
        let here = LonLat::new(CITY_HALL.0, CITY_HALL.1).unwrap();
        let [n, e] = position_out(here, Crs::Epsg6677).unwrap();
        let inside =
            BboxQuery::parse(&format!("{},{},{},{}", n - 1.0, e - 1.0, n + 1.0, e + 1.0), Crs::Epsg6677).unwrap();
        assert!(inside.envelope.contains(here) && inside.contains(here).unwrap());
        let beside =
            BboxQuery::parse(&format!("{},{},{},{}", n + 0.5, e - 1.0, n + 2.0, e + 1.0), Crs::Epsg6677).unwrap();
        assert!(!beside.contains(here).unwrap(), "half a metre south of the box");
    }

    #[test]
    fn three_d_and_reversed_boxes_are_refused() {
        assert!(BboxQuery::parse("1,2,3,4,5,6", Crs::Crs84).unwrap_err().contains("3-D"));
        assert!(BboxQuery::parse("10,10,0,0", Crs::Epsg6677).is_err());
        assert!(BboxQuery::parse("1,2,3", Crs::Crs84).is_err());
        assert!(BboxQuery::parse("1,2,NaN,4", Crs::Crs84).is_err());
    }

    #[test]
    fn geometry_positions_are_converted_in_axis_order() {
        let mut f = serde_json::json!({
            "type": "Feature", "bbox": [139.9, 35.8, 139.95, 35.9],
            "geometry": { "type": "Polygon", "coordinates": [[[139.9, 35.8], [139.95, 35.8], [139.95, 35.9], [139.9, 35.8]]] },
        });
        feature_value_out(&mut f, Crs::Epsg4326).unwrap();
        assert_eq!(f["geometry"]["coordinates"][0][1], serde_json::json!([35.8, 139.95]));
        assert_eq!(f["bbox"], serde_json::json!([35.8, 139.9, 35.9, 139.95]));
    }
}
