//! The spatial index: two rstar R-trees over provider positions, addressed by slot number.
//!
//! - Nearest and radius queries walk a tree of 3-D unit vectors. Chord length between unit
//!   vectors is monotonic in great-circle distance, so the walk visits points in true spherical
//!   order anywhere on Earth (no zones, no antimeridian or pole special cases). Reported
//!   distances are ellipsoidal (WGS84 geodesic, metres); because spherical and ellipsoidal
//!   distances differ by less than [`SPHERE_ERROR_BOUND`], the walk continues until no further
//!   point can beat the k-th ellipsoidal distance, which makes the result exact.
//! - Bbox and polygon queries use a tree of lon/lat points, then an exact `geo` predicate.
//!
//! No HTTP, no SQL: callers pass a filter closure over slots.

use geo::{BoundingRect, Intersects, MultiPolygon, Point};
use rstar::primitives::GeomWithData;
use rstar::{AABB, PointDistance, RTree, RTreeObject};

use crate::domain::{Bbox, LonLat};

/// Mean Earth radius (IUGG), metres: converts angles on the unit sphere to metres.
pub const EARTH_MEAN_RADIUS_M: f64 = 6_371_008.8;

/// Upper bound on the relative difference between the spherical distance (on the mean-radius
/// sphere, with geodetic latitude used as spherical latitude) and the WGS84 geodesic distance.
/// The true worst case is about 0.6 % (north–south at the equator and at the poles); 1 % is a
/// safe margin that costs only a few extra candidates.
pub const SPHERE_ERROR_BOUND: f64 = 0.01;

/// A query hit: a slot and its geodesic distance in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The provider's slot in the catalog.
    pub slot: u32,
    /// WGS84 geodesic distance from the query point, metres.
    pub distance_m: f64,
}

/// A provider position on the unit sphere, with its lon/lat kept for the exact distance.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SpherePoint {
    xyz: [f64; 3],
    lonlat: LonLat,
    slot: u32,
}

impl RTreeObject for SpherePoint {
    type Envelope = AABB<[f64; 3]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.xyz)
    }
}

impl PointDistance for SpherePoint {
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
    sphere: RTree<SpherePoint>,
    planar: RTree<PlanarPoint>,
}

/// Spherical distance in metres for a squared chord length between unit vectors.
fn chord2_to_sphere_m(chord2: f64) -> f64 {
    let half = (chord2.max(0.0).sqrt() / 2.0).min(1.0);
    2.0 * half.asin() * EARTH_MEAN_RADIUS_M
}

/// Squared chord length that bounds every point whose geodesic distance is at most
/// `distance_m`, or `None` when that covers the whole sphere.
fn sphere_chord2_bound(distance_m: f64) -> Option<f64> {
    let angle = distance_m / (EARTH_MEAN_RADIUS_M * (1.0 - SPHERE_ERROR_BOUND));
    if angle >= std::f64::consts::PI {
        return None;
    }
    let chord = 2.0 * (angle / 2.0).sin();
    Some(chord * chord)
}

impl SpatialIndex {
    /// Builds the index in one pass (rstar bulk load) from `(slot, position)` pairs.
    pub fn bulk_load(entries: impl IntoIterator<Item = (u32, LonLat)>) -> Self {
        let (sphere, planar): (Vec<_>, Vec<_>) = entries
            .into_iter()
            .map(|(slot, p)| {
                (SpherePoint { xyz: p.to_unit_vector(), lonlat: p, slot }, PlanarPoint::new([p.lon(), p.lat()], slot))
            })
            .unzip();
        Self { sphere: RTree::bulk_load(sphere), planar: RTree::bulk_load(planar) }
    }

    /// Number of indexed positions.
    pub fn len(&self) -> usize {
        self.sphere.size()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a position for `slot`.
    pub fn insert(&mut self, slot: u32, p: LonLat) {
        self.sphere.insert(SpherePoint { xyz: p.to_unit_vector(), lonlat: p, slot });
        self.planar.insert(PlanarPoint::new([p.lon(), p.lat()], slot));
    }

    /// Removes the position of `slot` (which must be the one it was inserted with).
    /// Returns whether it was there.
    pub fn remove(&mut self, slot: u32, p: LonLat) -> bool {
        let a = self.sphere.remove(&SpherePoint { xyz: p.to_unit_vector(), lonlat: p, slot }).is_some();
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
        let origin = from.to_unit_vector();
        let max_m = max_distance_m.unwrap_or(f64::INFINITY);
        // Kept sorted by distance; k is small (≤ 100), so insertion into a Vec beats a heap.
        let mut best: Vec<Hit> = Vec::with_capacity(k + 1);
        for (candidate, chord2) in self.sphere.nearest_neighbor_iter_with_distance_2(origin) {
            let lower_bound_m = chord2_to_sphere_m(chord2) * (1.0 - SPHERE_ERROR_BOUND);
            if lower_bound_m > max_m {
                break;
            }
            if best.len() == k && lower_bound_m > best[k - 1].distance_m {
                break;
            }
            if !accept(candidate.slot) {
                continue;
            }
            let distance_m = from.geodesic_distance_m(candidate.lonlat);
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
        let origin = center.to_unit_vector();
        let mut hits: Vec<Hit> = Vec::new();
        let mut consider = |p: &SpherePoint| {
            if accept(p.slot) {
                let distance_m = center.geodesic_distance_m(p.lonlat);
                if distance_m <= radius_m {
                    hits.push(Hit { slot: p.slot, distance_m });
                }
            }
        };
        match sphere_chord2_bound(radius_m) {
            Some(chord2) => self.sphere.locate_within_distance(origin, chord2).for_each(&mut consider),
            None => self.sphere.iter().for_each(&mut consider),
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
