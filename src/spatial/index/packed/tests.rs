//! The packed layout against brute force and against the rstar layout, on random points
//! anywhere on Earth: empty and one-point indexes, duplicates, the antimeridian, the poles,
//! k larger than the count, trees of several levels.

use geo::{Intersects, LineString, MultiPolygon, Point, Polygon};
use proptest::prelude::*;

use super::hilbert;
use super::tree::{NODE, Siblings, distance2, down, up};
use crate::domain::{Bbox, LonLat, SERVICE_TYPES, ServiceSet};
use crate::spatial::index::{Hit, IndexEntry, SpatialIndex};

fn ll(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).unwrap()
}

/// One or two of the first five service codes, by slot.
fn services_of(slot: u32) -> ServiceSet {
    let code = |i: u32| SERVICE_TYPES[(i % 5) as usize].code;
    if slot.is_multiple_of(3) {
        ServiceSet::parse([code(slot), code(slot / 3)])
    } else {
        ServiceSet::parse([code(slot)])
    }
    .unwrap()
}

fn entries(points: &[LonLat]) -> Vec<IndexEntry> {
    let slot = |i: usize| u32::try_from(i).unwrap();
    points
        .iter()
        .enumerate()
        .map(|(i, p)| IndexEntry { slot: slot(i), location: *p, services: services_of(slot(i)) })
        .collect()
}

/// The same points packed, and inserted one by one into rstar trees.
fn both(points: &[LonLat]) -> (SpatialIndex, SpatialIndex) {
    let packed = SpatialIndex::bulk_load(entries(points));
    let mut trees = SpatialIndex::default();
    for e in entries(points) {
        trees.insert(e);
    }
    (packed, trees)
}

/// Positions from several regimes, the edges of the valid range included.
fn position() -> impl Strategy<Value = LonLat> {
    prop_oneof![
        (-180.0..=180.0f64, -90.0..=90.0f64),
        (prop_oneof![179.99..=180.0f64, -180.0..=-179.99, Just(180.0), Just(-180.0)], -60.0..=60.0f64),
        (-180.0..=180.0f64, prop_oneof![89.99..=90.0f64, -90.0..=-89.99, Just(90.0), Just(-90.0)]),
        (139.8..=140.0f64, 35.8..=36.0f64),
    ]
    .prop_map(|(lon, lat)| ll(lon, lat))
}

/// Up to 600 points (three levels of boxes), some of them repeated.
fn points() -> impl Strategy<Value = Vec<LonLat>> {
    (prop::collection::vec(position(), 0..600), prop::collection::vec(any::<prop::sample::Index>(), 0..40)).prop_map(
        |(mut points, repeats)| {
            if !points.is_empty() {
                let copies: Vec<LonLat> = repeats.iter().map(|i| points[i.index(points.len())]).collect();
                points.extend(copies);
            }
            points
        },
    )
}

/// A star-shaped polygon around `centre`, clamped to valid coordinates.
fn star(centre: LonLat, radii: &[f64]) -> Polygon<f64> {
    let n = radii.len() as f64;
    let mut ring: Vec<(f64, f64)> = radii
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let t = i as f64 / n * std::f64::consts::TAU;
            ((centre.lon() + r * t.cos()).clamp(-180.0, 180.0), (centre.lat() + r * t.sin()).clamp(-90.0, 90.0))
        })
        .collect();
    ring.push(ring[0]);
    Polygon::new(LineString::from(ring), vec![])
}

#[test]
fn the_hilbert_curve_steps_from_each_cell_to_a_neighbour() {
    // The first 4^k cells of the curve fill the 2^k × 2^k square at the origin.
    let mut cells: Vec<(u32, (i64, i64))> =
        (0..16u32).flat_map(|x| (0..16u32).map(move |y| (hilbert(x, y), (i64::from(x), i64::from(y))))).collect();
    cells.sort_unstable();
    assert_eq!(cells.iter().map(|c| c.0).collect::<Vec<_>>(), (0..256).collect::<Vec<_>>());
    for pair in cells.windows(2) {
        let ((_, (x0, y0)), (_, (x1, y1))) = (pair[0], pair[1]);
        assert_eq!((x0 - x1).abs() + (y0 - y1).abs(), 1, "{pair:?}");
    }
}

#[test]
fn an_empty_index_answers_every_query_with_nothing() {
    let index = SpatialIndex::bulk_load([]);
    let from = ll(139.9, 35.85);
    assert!(index.is_empty());
    assert_eq!(index.nearest(from, 10, None, ServiceSet::EMPTY, |_| true), Vec::new());
    assert_eq!(index.within_radius(from, 1e7, ServiceSet::EMPTY, |_| true), Vec::new());
    assert_eq!(index.in_bbox(&Bbox::parse("-180,-90,180,90").unwrap(), |_| true), Vec::<u32>::new());
    let everywhere = MultiPolygon(vec![star(from, &[100.0; 8])]);
    assert_eq!(index.in_polygon(&everywhere, |_| true), Vec::<u32>::new());
}

#[test]
fn duplicates_come_back_in_slot_order_and_k_beyond_the_count_returns_all() {
    // Forty providers in one building, given to the index in scrambled slot order.
    let at = ll(139.902861, 35.856306);
    let scrambled = (0..40u32).map(|i| IndexEntry { slot: (i * 17) % 40, location: at, services: ServiceSet::EMPTY });
    let index = SpatialIndex::bulk_load(scrambled);
    let hits = index.nearest(ll(139.9, 35.85), 5, None, ServiceSet::EMPTY, |_| true);
    assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert!(hits.windows(2).all(|w| w[0].distance_m == w[1].distance_m));
    let all = index.nearest(ll(139.9, 35.85), 100, None, ServiceSet::EMPTY, |_| true);
    assert_eq!(all.iter().map(|h| h.slot).collect::<Vec<_>>(), (0..40).collect::<Vec<_>>());
}

#[test]
fn a_packed_index_keeps_its_services_when_it_is_first_written_to() {
    let points = [ll(139.90, 35.85), ll(139.95, 35.90), ll(139.99, 35.95), ll(140.0, 36.0)];
    let mut index = SpatialIndex::bulk_load(entries(&points));
    let extra = IndexEntry { slot: 9, location: ll(139.91, 35.86), services: services_of(0) };
    index.insert(extra);
    for service in &SERVICE_TYPES[..5] {
        let wanted = ServiceSet::parse([service.code]).unwrap();
        let got: Vec<u32> =
            index.nearest(ll(139.9, 35.85), 10, None, wanted, |_| true).iter().map(|h| h.slot).collect();
        let mut expected: Vec<u32> = (0..4).filter(|&s| services_of(s).intersects(wanted)).collect();
        if extra.services.intersects(wanted) {
            expected.push(9);
        }
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, expected, "service {}", service.code);
    }
    assert!(index.remove(extra));
    assert_eq!(index.len(), 4);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn boxes_round_outward(x in -7.0e6..7.0e6f64) {
        prop_assert!(f64::from(down(x)) <= x && x <= f64::from(up(x)));
        prop_assert!(up(x) == down(x) || up(x) == down(x).next_up());
    }

    #[test]
    fn nearest_equals_brute_force_and_the_rstar_layout(
        points in points(), from in position(), k in 1usize..40, filtered in any::<bool>(), service in 0usize..6,
    ) {
        let (packed, trees) = both(&points);
        let wanted = if service == 5 { ServiceSet::EMPTY } else { ServiceSet::parse([SERVICE_TYPES[service].code]).unwrap() };
        let accept = |s: u32| !filtered || s % 3 != 1;
        let hits = packed.nearest(from, k, None, wanted, accept);
        prop_assert_eq!(&hits, &trees.nearest(from, k, None, wanted, accept));
        let mut expected: Vec<(f64, u32)> = entries(&points)
            .iter()
            .filter(|e| accept(e.slot) && (wanted.is_empty() || e.services.intersects(wanted)))
            .map(|e| (from.geodesic_distance_m(e.location), e.slot))
            .collect();
        expected.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        prop_assert_eq!(hits.len(), k.min(expected.len()));
        for (hit, (d, _)) in hits.iter().zip(&expected) {
            prop_assert!((hit.distance_m - d).abs() <= 1e-3, "{} vs {}", hit.distance_m, d);
        }
    }

    #[test]
    fn radius_equals_brute_force_and_the_rstar_layout(
        points in points(), from in position(), radius_m in prop_oneof![1.0f64..50_000.0, 50_000.0f64..21_000_000.0],
    ) {
        let (packed, trees) = both(&points);
        let hits: Vec<Hit> = packed.within_radius(from, radius_m, ServiceSet::EMPTY, |_| true);
        prop_assert_eq!(&hits, &trees.within_radius(from, radius_m, ServiceSet::EMPTY, |_| true));
        let mut got: Vec<u32> = hits.iter().map(|h| h.slot).collect();
        got.sort_unstable();
        let expected: Vec<u32> = entries(&points)
            .iter()
            .filter(|e| {
                // Points within a millimetre of the circle may fall either side (series vs Karney).
                let d = from.geodesic_distance_m(e.location);
                let near_the_circle = (radius_m - d).abs() <= 1e-3;
                if near_the_circle { got.contains(&e.slot) } else { d <= radius_m }
            })
            .map(|e| e.slot)
            .collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn bbox_equals_brute_force_and_the_rstar_layout(points in points(), a in position(), b in position()) {
        let (packed, trees) = both(&points);
        let (min_lat, max_lat) = if a.lat() <= b.lat() { (a.lat(), b.lat()) } else { (b.lat(), a.lat()) };
        // a.lon > b.lon makes a box across the antimeridian.
        let bbox = Bbox::parse(&format!("{},{},{},{}", a.lon(), min_lat, b.lon(), max_lat)).unwrap();
        let got = packed.in_bbox(&bbox, |s| s % 4 != 2);
        prop_assert_eq!(&got, &trees.in_bbox(&bbox, |s| s % 4 != 2));
        let expected: Vec<u32> = entries(&points)
            .iter()
            .filter(|e| bbox.contains(e.location) && e.slot % 4 != 2)
            .map(|e| e.slot)
            .collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn polygons_equal_brute_force_and_the_rstar_layout(
        points in points(),
        parts in prop::collection::vec((position(), prop::collection::vec(0.001f64..8.0, 3..9)), 1..4),
    ) {
        let (packed, trees) = both(&points);
        let area = MultiPolygon(parts.iter().map(|(centre, radii)| star(*centre, radii)).collect());
        let got = packed.in_polygon(&area, |_| true);
        prop_assert_eq!(&got, &trees.in_polygon(&area, |_| true));
        let expected: Vec<u32> = entries(&points)
            .iter()
            .filter(|e| area.intersects(&Point::new(e.location.lon(), e.location.lat())))
            .map(|e| e.slot)
            .collect();
        prop_assert_eq!(got, expected);
    }
}

proptest! {
    /// The box distance prunes exactly: never above the squared distance to any point the box
    /// was made from (so no nearer point is skipped), 0 for a query inside the box. Held for
    /// the one-box reference and for the walks' own grouped distance.
    #[test]
    fn the_box_distance_never_exceeds_the_distance_to_a_point_inside(
        points in prop::collection::vec(prop::array::uniform3(-6.4e6..6.4e6f64), 1..20),
        query in prop::array::uniform3(-6.4e6..6.4e6f64),
        inside in any::<prop::sample::Index>(),
    ) {
        let mut bounds = [[f32::INFINITY; 3], [f32::NEG_INFINITY; 3]];
        for p in &points {
            for d in 0..3 {
                bounds[0][d] = bounds[0][d].min(down(p[d]));
                bounds[1][d] = bounds[1][d].max(up(p[d]));
            }
        }
        let grouped = Siblings::new(&[bounds]);
        for p in &points {
            let chord2: f64 = (0..3).map(|d| (p[d] - query[d]) * (p[d] - query[d])).sum();
            prop_assert!(distance2(&bounds, &query) <= chord2);
            prop_assert!(grouped.distances2(&query)[0] <= chord2);
        }
        let at = inside.get(&points);
        prop_assert_eq!(distance2(&bounds, at), 0.0);
        prop_assert_eq!(grouped.distances2(at)[0], 0.0);
    }

    /// The sixteen children measured together give, lane by lane, exactly the one-box
    /// distance above (so the walks prune as they did box by box), and a lane past the last
    /// child is infinitely far.
    #[test]
    fn siblings_measured_together_match_each_box_alone(
        boxes in prop::collection::vec(
            (prop::array::uniform3(-6.4e6..6.4e6f64), prop::array::uniform3(0.0..2.0e5f64)), 1..=NODE),
        query in prop::array::uniform3(-6.4e6..6.4e6f64),
    ) {
        let boxes: Vec<[[f32; 3]; 2]> = boxes
            .iter()
            .map(|(lo, size)| [lo.map(down), std::array::from_fn(|d| up(lo[d] + size[d]))])
            .collect();
        let together = Siblings::new(&boxes).distances2(&query);
        for (lane, b) in boxes.iter().enumerate() {
            prop_assert_eq!(together[lane].to_bits(), distance2(b, &query).to_bits());
        }
        for far in &together[boxes.len()..] {
            prop_assert_eq!(*far, f64::INFINITY);
        }
    }
}
