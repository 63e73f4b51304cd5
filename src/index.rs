//! The spatial index: two rstar R-trees over provider positions, addressed by slot number.
//!
//! - Nearest and radius queries walk a tree of Earth-centred Cartesian points on the WGS84
//!   ellipsoid ([`crate::geodesy::Ecef`]). The straight-line distance between two such points
//!   is a strict lower bound of the geodesic distance between them, and within c³/(24ρ²) of it
//!   (13 cm at 50 km, 1 µm at 1 km). The walk visits candidates by that lower bound and stops
//!   only when the next bound exceeds the k-th geodesic distance found, so the result is exact
//!   anywhere on Earth — no zones, nothing special at the antimeridian or the poles.
//!   Distances are WGS84 geodesic metres (see [`crate::geodesy`]).
//! - Bbox and polygon queries use a tree of lon/lat points, then an exact `geo` predicate.
//!
//! No HTTP, no SQL: callers pass a filter closure over slots.

use geo::{BoundingRect, Intersects, MultiPolygon, Point};
use rstar::primitives::GeomWithData;
use rstar::{AABB, PointDistance, RTree, RTreeObject};

use crate::domain::{Bbox, LonLat};
use crate::geodesy::Ecef;

/// A query hit: a slot and its geodesic distance in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The provider's slot in the catalog.
    pub slot: u32,
    /// WGS84 geodesic distance from the query point, metres.
    pub distance_m: f64,
}

/// A provider position in Earth-centred Cartesian metres, with its lon/lat kept for long lines.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CartesianPoint {
    xyz: [f64; 3],
    lonlat: LonLat,
    slot: u32,
}

impl RTreeObject for CartesianPoint {
    type Envelope = AABB<[f64; 3]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.xyz)
    }
}

impl PointDistance for CartesianPoint {
    fn distance_2(&self, p: &[f64; 3]) -> f64 {
        let d = [self.xyz[0] - p[0], self.xyz[1] - p[1], self.xyz[2] - p[2]];
        d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
    }
}

type PlanarPoint = GeomWithData<[f64; 2], u32>;

/// The R-trees over all indexed positions. Cheap to clone relative to a rebuild, immutable
/// once published in a catalog snapshot.
#[derive(Debug, Clone, Default)]
pub struct SpatialIndex {
    ecef: RTree<CartesianPoint>,
    planar: RTree<PlanarPoint>,
}

impl SpatialIndex {
    /// Builds the index in one pass (rstar bulk load) from `(slot, position)` pairs.
    pub fn bulk_load(entries: impl IntoIterator<Item = (u32, LonLat)>) -> Self {
        let (ecef, planar): (Vec<_>, Vec<_>) = entries
            .into_iter()
            .map(|(slot, p)| {
                (CartesianPoint { xyz: Ecef::new(p).xyz, lonlat: p, slot }, PlanarPoint::new([p.lon(), p.lat()], slot))
            })
            .unzip();
        Self { ecef: RTree::bulk_load(ecef), planar: RTree::bulk_load(planar) }
    }

    /// Number of indexed positions.
    pub fn len(&self) -> usize {
        self.ecef.size()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a position for `slot`.
    pub fn insert(&mut self, slot: u32, p: LonLat) {
        self.ecef.insert(CartesianPoint { xyz: Ecef::new(p).xyz, lonlat: p, slot });
        self.planar.insert(PlanarPoint::new([p.lon(), p.lat()], slot));
    }

    /// Removes the position of `slot` (which must be the one it was inserted with).
    /// Returns whether it was there.
    pub fn remove(&mut self, slot: u32, p: LonLat) -> bool {
        let a = self.ecef.remove(&CartesianPoint { xyz: Ecef::new(p).xyz, lonlat: p, slot }).is_some();
        let b = self.planar.remove(&PlanarPoint::new([p.lon(), p.lat()], slot)).is_some();
        a && b
    }

    /// The `k` nearest accepted slots to `from` by WGS84 geodesic distance, nearest first,
    /// only those within `max_distance_m` when given. Exact (see the module doc).
    pub fn nearest(
        &self,
        from: LonLat,
        k: usize,
        max_distance_m: Option<f64>,
        mut accept: impl FnMut(u32) -> bool,
    ) -> Vec<Hit> {
        if k == 0 {
            return Vec::new();
        }
        let origin = Ecef::new(from);
        let max_m = max_distance_m.unwrap_or(f64::INFINITY);
        // Kept sorted by distance; k is small (≤ 100), so insertion into a Vec beats a heap.
        let mut best: Vec<Hit> = Vec::with_capacity(k + 1);
        for (candidate, chord2) in self.ecef.nearest_neighbor_iter_with_distance_2(origin.xyz) {
            let lower_bound_m = chord2.sqrt();
            if lower_bound_m > max_m || (best.len() == k && lower_bound_m > best[k - 1].distance_m) {
                break;
            }
            if !accept(candidate.slot) {
                continue;
            }
            let distance_m = origin.distance_m(from, &candidate.xyz, candidate.lonlat);
            if distance_m > max_m {
                continue;
            }
            let hit = Hit { slot: candidate.slot, distance_m };
            let at = best.partition_point(|h| (h.distance_m, h.slot) < (distance_m, hit.slot));
            if at < k {
                best.insert(at, hit);
                best.truncate(k);
            }
        }
        best
    }

    /// Every accepted slot within `radius_m` metres (geodesic) of `center`, nearest first.
    pub fn within_radius(&self, center: LonLat, radius_m: f64, mut accept: impl FnMut(u32) -> bool) -> Vec<Hit> {
        let origin = Ecef::new(center);
        let mut hits: Vec<Hit> = Vec::new();
        // Every point within radius_m along the surface is within radius_m in a straight line.
        for p in self.ecef.locate_within_distance(origin.xyz, radius_m * radius_m) {
            if accept(p.slot) {
                let distance_m = origin.distance_m(center, &p.xyz, p.lonlat);
                if distance_m <= radius_m {
                    hits.push(Hit { slot: p.slot, distance_m });
                }
            }
        }
        hits.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.slot.cmp(&b.slot)));
        hits
    }

    /// Every accepted slot inside the box (edges included), in ascending slot order.
    pub fn in_bbox(&self, bbox: &Bbox, mut accept: impl FnMut(u32) -> bool) -> Vec<u32> {
        let mut slots: Vec<u32> = Vec::new();
        for (lo, hi) in bbox.rectangles() {
            let envelope = AABB::from_corners(lo, hi);
            slots.extend(self.planar.locate_in_envelope_intersecting(envelope).map(|p| p.data).filter(|s| accept(*s)));
        }
        slots.sort_unstable();
        slots.dedup();
        slots
    }

    /// Every accepted slot inside the area (boundary included), in ascending slot order.
    pub fn in_polygon(&self, area: &MultiPolygon<f64>, mut accept: impl FnMut(u32) -> bool) -> Vec<u32> {
        let mut slots: Vec<u32> = Vec::new();
        for polygon in &area.0 {
            let Some(rect) = polygon.bounding_rect() else { continue };
            let envelope = AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
            for p in self.planar.locate_in_envelope_intersecting(envelope) {
                let [x, y] = *p.geom();
                if polygon.intersects(&Point::new(x, y)) && accept(p.data) {
                    slots.push(p.data);
                }
            }
        }
        slots.sort_unstable();
        slots.dedup();
        slots
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    fn nagareyama() -> SpatialIndex {
        // Three places: city hall, Minami-Nagareyama station, Otakanomori station.
        SpatialIndex::bulk_load([
            (0, ll(139.902861, 35.856306)),
            (1, ll(139.9064, 35.8379)),
            (2, ll(139.9507, 35.8718)),
        ])
    }

    #[test]
    fn nearest_returns_the_closest_first_with_geodesic_metres() {
        let hits = nagareyama().nearest(ll(139.905, 35.84), 2, None, |_| true);
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [1, 0]);
        let expected = ll(139.905, 35.84).geodesic_distance_m(ll(139.9064, 35.8379));
        assert!((hits[0].distance_m - expected).abs() < 1e-6);
    }

    #[test]
    fn nearest_skips_rejected_slots_and_still_returns_k() {
        let hits = nagareyama().nearest(ll(139.905, 35.84), 2, None, |s| s != 1);
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [0, 2]);
    }

    #[test]
    fn nearest_respects_max_distance() {
        let hits = nagareyama().nearest(ll(139.905, 35.84), 3, Some(1_000.0), |_| true);
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn nearest_works_across_the_antimeridian() {
        let index = SpatialIndex::bulk_load([(0, ll(179.99, 0.0)), (1, ll(-179.0, 0.0)), (2, ll(170.0, 0.0))]);
        let hits = index.nearest(ll(-179.99, 0.0), 3, None, |_| true);
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn radius_covers_the_whole_earth_when_larger_than_half_the_circumference() {
        let index = SpatialIndex::bulk_load([(0, ll(0.0, 0.0)), (1, ll(180.0, 0.0))]);
        assert_eq!(index.within_radius(ll(0.0, 0.0), 30_000_000.0, |_| true).len(), 2);
    }

    #[test]
    fn insert_and_remove_keep_both_trees_in_step() {
        let mut index = nagareyama();
        index.insert(9, ll(139.91, 35.86));
        assert_eq!(index.nearest(ll(139.91, 35.86), 1, None, |_| true)[0].slot, 9);
        assert!(index.remove(9, ll(139.91, 35.86)));
        assert_eq!(index.len(), 3);
        assert!(index.in_bbox(&Bbox::parse("139.90,35.85,139.92,35.87").unwrap(), |_| true) == vec![0]);
    }
}
