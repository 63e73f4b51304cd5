//! OGC API – Features Part 3 filtering on `/items`: `filter` in cql2-text or cql2-json
//! (`filter-lang`), geometry literals in `filter-crs` (converted to CRS84 with PROJ), parsed by
//! [`crate::cql`] into an expression the catalog evaluates on each provider.
//!
//! `filter-lang=cql-text` (the draft's name, which GDAL 3.6 and earlier send) is read as
//! cql2-text.

use geo::{LineString, Polygon};

use crate::cql::{self, CqlError, Expr, PositionsIn, Shape};
use crate::domain::{Bbox, LonLat};
use crate::spatial::crs::{Crs, convert};

use super::reproject::crs_param;
use crate::http::plumbing::params::Params;

/// The `filter-lang` values accepted, the default first.
pub const FILTER_LANGS: [&str; 3] = ["cql2-text", "cql2-json", "cql-text"];

/// Points per edge when a `BBOX` in a projected `filter-crs` becomes a CRS84 polygon.
const EDGE_SAMPLES: usize = 16;

/// Geometry positions in a `filter-crs`, in its axis order.
struct FilterCrs(Crs);

impl FilterCrs {
    /// A position in visualisation order (x = lon or easting) as CRS84 lon/lat.
    fn to_crs84(&self, x: f64, y: f64) -> Result<(f64, f64), String> {
        if matches!(self.0, Crs::Crs84 | Crs::Epsg4326) {
            return Ok((x, y));
        }
        let mut pt = [(x, y)];
        convert(self.0, Crs::Crs84, &mut pt).map_err(|e| e.to_string())?;
        Ok(pt[0])
    }
}

impl PositionsIn for FilterCrs {
    fn position(&self, a: f64, b: f64) -> Result<LonLat, String> {
        let (x, y) = self.0.from_axis_order([a, b]);
        let (lon, lat) = self.to_crs84(x, y)?;
        LonLat::new(lon, lat).map_err(|e| e.to_string())
    }

    fn bbox(&self, [a, b, c, d]: [f64; 4]) -> Result<Shape, String> {
        let (lo, hi) = (self.0.from_axis_order([a, b]), self.0.from_axis_order([c, d]));
        if self.0.is_geographic() {
            let (lo, hi) = (self.to_crs84(lo.0, lo.1)?, self.to_crs84(hi.0, hi.1)?);
            return Bbox::parse(&format!("{},{},{},{}", lo.0, lo.1, hi.0, hi.1))
                .map(Shape::Bbox)
                .map_err(|e| e.to_string());
        }
        if lo.0 > hi.0 || lo.1 > hi.1 {
            return Err("the lower corner must not exceed the upper corner on either axis".into());
        }
        // The box's edges are straight in the projected plane, curves in lon/lat: sample them.
        let mut ring = Vec::with_capacity(4 * EDGE_SAMPLES + 1);
        for i in 0..EDGE_SAMPLES {
            let t = i as f64 / EDGE_SAMPLES as f64;
            ring.push((lo.0 + t * (hi.0 - lo.0), lo.1));
        }
        for i in 0..EDGE_SAMPLES {
            let t = i as f64 / EDGE_SAMPLES as f64;
            ring.push((hi.0, lo.1 + t * (hi.1 - lo.1)));
        }
        for i in 0..EDGE_SAMPLES {
            let t = i as f64 / EDGE_SAMPLES as f64;
            ring.push((hi.0 - t * (hi.0 - lo.0), hi.1));
        }
        for i in 0..EDGE_SAMPLES {
            let t = i as f64 / EDGE_SAMPLES as f64;
            ring.push((lo.0, hi.1 - t * (hi.1 - lo.1)));
        }
        ring.push(ring[0]);
        let ring = ring.into_iter().map(|(x, y)| self.to_crs84(x, y)).collect::<Result<Vec<_>, _>>()?;
        Ok(Shape::Geometry(Polygon::new(LineString::from(ring), vec![]).into()))
    }
}

/// Reads `filter`, `filter-lang` and `filter-crs`: the parsed expression and its language, or
/// `None` (with an error recorded naming the parameter) when absent or unusable.
pub fn filter_param(params: &mut Params) -> Option<(Expr, &'static str)> {
    let lang = params.raw("filter-lang");
    let crs_given = params.has("filter-crs");
    let crs = crs_param(params, "filter-crs");
    let Some(raw) = params.raw("filter") else {
        if lang.is_some() {
            params.error("filter-lang", "is given without filter");
        }
        if crs_given {
            params.error("filter-crs", "is given without filter");
        }
        return None;
    };
    let lang = match lang.as_deref().map(str::trim) {
        None | Some("cql2-text" | "cql-text") => "cql2-text",
        Some("cql2-json") => "cql2-json",
        Some(other) => {
            params.error("filter-lang", format!("must be cql2-text or cql2-json, not '{other}'"));
            return None;
        }
    };
    if crs_given && crs.is_none() {
        return None;
    }
    let positions = FilterCrs(crs.unwrap_or(Crs::Crs84));
    let parsed: Result<Expr, CqlError> = match lang {
        "cql2-json" => cql::json::parse(&raw, &positions),
        _ => cql::text::parse(&raw, &positions),
    };
    match parsed {
        Ok(expr) => Some((expr.judging_staleness(&params.staleness_clock()), lang)),
        Err(e) => {
            params.error("filter", format!("{lang} {e}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cql::Expr;

    const CITY_HALL: (f64, f64) = (139.902861, 35.856306);

    fn parsed(query: &str) -> Result<Expr, String> {
        let mut params = Params::parse(Some(query)).map_err(|e| format!("{e:?}"))?;
        let got = filter_param(&mut params);
        params.finish().map_err(|e| format!("{e:?}"))?;
        got.map(|(e, _)| e).ok_or_else(|| "no filter".into())
    }

    #[test]
    fn geometries_in_another_filter_crs_are_converted_to_crs84() {
        let here = LonLat::new(CITY_HALL.0, CITY_HALL.1).unwrap();
        let [n, e] = super::super::reproject::position_out(here, Crs::Epsg6677).unwrap();
        let q = format!(
            "filter=S_INTERSECTS(geometry,BBOX({},{},{},{}))&filter-crs=EPSG:6677",
            n - 1.0,
            e - 1.0,
            n + 1.0,
            e + 1.0
        );
        let Expr::Intersects(shape) = parsed(&q.replace(' ', "%20")).unwrap() else { panic!() };
        assert!(shape.intersects(here));
        assert!(!shape.intersects(LonLat::new(CITY_HALL.0 + 0.0001, CITY_HALL.1).unwrap()), "9 m east");
        let q = format!("filter=S_DWITHIN(geometry,POINT({} {}),5)&filter-crs=EPSG:4326", CITY_HALL.1, CITY_HALL.0);
        assert_eq!(parsed(&q.replace(' ', "%20")).unwrap(), Expr::DWithin(here, 5.0));
    }

    #[test]
    fn bad_languages_crss_and_expressions_name_their_parameter() {
        assert!(parsed("filter=name%3D'x'&filter-lang=cql3").unwrap_err().contains("filter-lang"));
        assert!(parsed("filter=name%3D'x'&filter-crs=EPSG:3857").unwrap_err().contains("filter-crs"));
        assert!(parsed("filter-lang=cql2-text").unwrap_err().contains("filter-lang"));
        let e = parsed("filter=name%3D").unwrap_err();
        assert!(e.contains("\"filter\"") && e.contains("byte 5"), "{e}");
    }
}
