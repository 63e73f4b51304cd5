//! Property tests: every index query equals a brute-force scan that uses the WGS84 geodesic
//! distance, for random points anywhere on Earth — including near the antimeridian, near the
//! poles and far outside Japan.
#![allow(clippy::unwrap_used)]

use caremap::domain::{Bbox, LonLat, SERVICE_TYPES, ServiceSet};
use caremap::spatial::index::{IndexEntry, SpatialIndex};
use geo::{Distance, Geodesic, Intersects, LineString, MultiPolygon, Point, Polygon};
use proptest::prelude::*;

fn geodesic_m(a: LonLat, b: LonLat) -> f64 {
    Geodesic.distance(Point::new(a.lon(), a.lat()), Point::new(b.lon(), b.lat()))
}

/// Positions from several regimes: anywhere, near the antimeridian, near a pole, in Japan.
fn position() -> impl Strategy<Value = LonLat> {
    prop_oneof![
        (-180.0..=180.0f64, -90.0..=90.0f64),
        (prop_oneof![179.0..=180.0f64, -180.0..=-179.0f64], -60.0..=60.0f64),
        (-180.0..=180.0f64, prop_oneof![88.0..=90.0f64, -90.0..=-88.0f64]),
        (139.0..=141.0f64, 35.0..=36.5f64),
    ]
    .prop_map(|(lon, lat)| LonLat::new(lon, lat).unwrap())
}

fn index_of(points: &[LonLat]) -> SpatialIndex {
    SpatialIndex::bulk_load(points.iter().enumerate().map(|(i, p)| IndexEntry {
        slot: i as u32,
        location: *p,
        services: services_of(i as u32),
    }))
}

/// A deterministic service set per slot: one or two of the first five codes.
fn services_of(slot: u32) -> ServiceSet {
    let code = |i: u32| SERVICE_TYPES[(i % 5) as usize].code;
    if slot.is_multiple_of(3) {
        ServiceSet::parse([code(slot), code(slot / 3)]).unwrap()
    } else {
        ServiceSet::parse([code(slot)]).unwrap()
    }
}

/// The brute-force answer: (distance, slot) of every accepted point, nearest first.
fn brute(points: &[LonLat], from: LonLat, accept: impl Fn(u32) -> bool) -> Vec<(f64, u32)> {
    let mut all: Vec<(f64, u32)> = points
        .iter()
        .enumerate()
        .filter(|(i, _)| accept(*i as u32))
        .map(|(i, p)| (geodesic_m(from, *p), i as u32))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn nearest_k_equals_brute_force(points in prop::collection::vec(position(), 1..150), from in position(), k in 1usize..30) {
        let hits = index_of(&points).nearest(from, k, None, ServiceSet::EMPTY, |_| true);
        let expected = brute(&points, from, |_| true);
        prop_assert_eq!(hits.len(), k.min(points.len()));
        for (hit, (d, _)) in hits.iter().zip(&expected) {
            // Same distances in the same order (ties may swap slots, never distances).
            prop_assert!((hit.distance_m - d).abs() <= 0.5, "{} vs {}", hit.distance_m, d);
            prop_assert!((hit.distance_m - geodesic_m(from, points[hit.slot as usize])).abs() <= 0.5);
        }
    }

    #[test]
    fn filtered_nearest_k_equals_brute_force(points in prop::collection::vec(position(), 1..150), from in position(), k in 1usize..20, modulus in 2u32..7) {
        let accept = |s: u32| s.is_multiple_of(modulus);
        let hits = index_of(&points).nearest(from, k, None, ServiceSet::EMPTY, accept);
        let expected = brute(&points, from, accept);
        prop_assert_eq!(hits.len(), k.min(expected.len()));
        prop_assert!(hits.iter().all(|h| accept(h.slot)));
        for (hit, (d, _)) in hits.iter().zip(&expected) {
            prop_assert!((hit.distance_m - d).abs() <= 0.5);
        }
    }

    #[test]
    fn nearest_k_by_service_equals_brute_force(points in prop::collection::vec(position(), 1..150), from in position(), k in 1usize..20, a in 0usize..5, b in 0usize..5) {
        let wanted = ServiceSet::parse([SERVICE_TYPES[a].code, SERVICE_TYPES[b].code]).unwrap();
        let offers = |s: u32| services_of(s).intersects(wanted);
        let hits = index_of(&points).nearest(from, k, None, wanted, |_| true);
        let expected = brute(&points, from, offers);
        prop_assert_eq!(hits.len(), k.min(expected.len()));
        let mut slots: Vec<u32> = hits.iter().map(|h| h.slot).collect();
        slots.sort_unstable();
        slots.dedup();
        prop_assert_eq!(slots.len(), hits.len(), "a provider in two requested services appears once");
        for (hit, (d, _)) in hits.iter().zip(&expected) {
            prop_assert!(offers(hit.slot));
            prop_assert!((hit.distance_m - d).abs() <= 0.5);
        }
    }

    #[test]
    fn radius_equals_brute_force(points in prop::collection::vec(position(), 1..150), from in position(), radius_m in 1.0f64..5_000_000.0) {
        let mut got: Vec<u32> = index_of(&points).within_radius(from, radius_m, ServiceSet::EMPTY, |_| true).iter().map(|h| h.slot).collect();
        let mut expected: Vec<u32> = brute(&points, from, |_| true).into_iter().filter(|(d, _)| *d <= radius_m).map(|(_, s)| s).collect();
        got.sort_unstable();
        expected.sort_unstable();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn bbox_equals_brute_force(points in prop::collection::vec(position(), 1..150), a in position(), b in position()) {
        let (min_lat, max_lat) = if a.lat() <= b.lat() { (a.lat(), b.lat()) } else { (b.lat(), a.lat()) };
        // a.lon > b.lon makes a box that crosses the antimeridian.
        let bbox = Bbox::parse(&format!("{},{},{},{}", a.lon(), min_lat, b.lon(), max_lat)).unwrap();
        let got = index_of(&points).in_bbox(&bbox, |_| true);
        let expected: Vec<u32> = (0..points.len() as u32).filter(|&i| bbox.contains(points[i as usize])).collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn polygon_equals_brute_force(points in prop::collection::vec(position(), 1..150), centre in position(), radii in prop::collection::vec(0.01f64..5.0, 3..12)) {
        // A star-shaped polygon around the centre, clamped to valid coordinates.
        let n = radii.len();
        let mut ring: Vec<(f64, f64)> = radii.iter().enumerate().map(|(i, r)| {
            let t = i as f64 / n as f64 * std::f64::consts::TAU;
            ((centre.lon() + r * t.cos()).clamp(-180.0, 180.0), (centre.lat() + r * t.sin()).clamp(-90.0, 90.0))
        }).collect();
        ring.push(ring[0]);
        let area = MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])]);
        let got = index_of(&points).in_polygon(&area, |_| true);
        let expected: Vec<u32> = (0..points.len() as u32)
            .filter(|&i| area.intersects(&Point::new(points[i as usize].lon(), points[i as usize].lat())))
            .collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn multipolygon_with_overlapping_parts_equals_brute_force_without_duplicates(
        points in prop::collection::vec(position(), 1..150),
        parts in prop::collection::vec((position(), prop::collection::vec(0.01f64..5.0, 3..8)), 1..6),
        copies in 1usize..3,
    ) {
        // Star-shaped parts, some repeated (fully overlapping) and some crossing each other.
        let mut polygons = Vec::new();
        for (centre, radii) in &parts {
            let n = radii.len();
            let mut ring: Vec<(f64, f64)> = radii.iter().enumerate().map(|(i, r)| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                ((centre.lon() + r * t.cos()).clamp(-180.0, 180.0), (centre.lat() + r * t.sin()).clamp(-90.0, 90.0))
            }).collect();
            ring.push(ring[0]);
            for _ in 0..copies {
                polygons.push(Polygon::new(LineString::from(ring.clone()), vec![]));
            }
        }
        let area = MultiPolygon(polygons);
        let got = index_of(&points).in_polygon(&area, |_| true);
        let expected: Vec<u32> = (0..points.len() as u32)
            .filter(|&i| area.intersects(&Point::new(points[i as usize].lon(), points[i as usize].lat())))
            .collect();
        prop_assert_eq!(got, expected);
    }
}
