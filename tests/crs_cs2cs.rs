//! The CRS conversions agree with PROJ's own command-line tool, `cs2cs` (Debian's proj-bin,
//! installed by `make test`), within 1 mm in metres and 1e-8° in degrees.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cs2cs;

use caremap::spatial::crs::{Crs, convert};
use cs2cs::cs2cs;

const PLACES: [(f64, f64); 4] =
    [(139.902861, 35.856306), (139.8745, 35.8275), (139.9578, 35.9199), (140.1233, 35.6051)];

#[test]
fn wgs84_to_plane_rectangular_ix_matches_cs2cs_within_a_millimetre() {
    let input: Vec<[f64; 2]> = PLACES.iter().map(|&p| Crs::Epsg4326.to_axis_order(p)).collect();
    let expected = cs2cs("EPSG:4326", "EPSG:6677", &input);
    let mut ours = PLACES.to_vec();
    convert(Crs::Crs84, Crs::Epsg6677, &mut ours).unwrap();
    for (o, e) in ours.iter().zip(&expected) {
        let o = Crs::Epsg6677.to_axis_order(*o);
        assert!((o[0] - e[0]).abs() < 1e-3 && (o[1] - e[1]).abs() < 1e-3, "{o:?} vs {e:?}");
    }
}

#[test]
fn plane_rectangular_ix_to_wgs84_matches_cs2cs() {
    let input = [[-15_710.0, 9_150.0], [-19_000.5, 6_650.25]]; // northing, easting
    let expected = cs2cs("EPSG:6677", "EPSG:4326", &input);
    for (i, e) in input.iter().zip(&expected) {
        let mut p = [Crs::Epsg6677.from_axis_order(*i)];
        convert(Crs::Epsg6677, Crs::Crs84, &mut p).unwrap();
        let o = Crs::Epsg4326.to_axis_order(p[0]);
        assert!((o[0] - e[0]).abs() < 1e-8 && (o[1] - e[1]).abs() < 1e-8, "{o:?} vs {e:?}");
    }
}
