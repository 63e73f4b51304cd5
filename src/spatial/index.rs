//! The spatial index: trees over provider positions, addressed by slot number.
//!
//! - Nearest and radius queries walk trees of Earth-centred Cartesian points on the WGS84
//!   ellipsoid ([`crate::spatial::geodesy::Ecef`]). The straight-line distance between two such points
//!   is a strict lower bound of the geodesic distance between them, and within c³/(24ρ²) of it
//!   (13 cm at 50 km, 1 µm at 1 km). The k-NN search visits tree nodes by that lower bound and
//!   stops only when no node or point left can beat the k-th geodesic distance found, so the
//!   result is exact anywhere on Earth — no zones, nothing special at the antimeridian or the
//!   poles. Distances are WGS84 geodesic metres (see [`crate::spatial::geodesy`]).
//! - Besides the tree of all positions there is one tree per service code, so "nearest 10 that
//!   offer 訪問入浴" searches only the offices that offer it instead of skipping past thousands
//!   that do not.
//! - Bbox and polygon queries use a tree of lon/lat points, then an exact `geo` predicate. A
//!   polygon query walks the tree once for the whole MultiPolygon, descending only into nodes
//!   that touch a part's bounding box, and tests each point once against the parts whose box
//!   holds it: the cost follows the area covered, not the number of parts times the answer.
//! - Queries whose answer can be large (bbox, radius, polygon) take a [`Stop`] and give up
//!   with [`Stopped`] once it says so (a deadline passed, or the caller went away).
//!
//! Two layouts give the same answers: a bulk-built index is packed into flat arrays
//! ([`packed`]: about 50 bytes a provider instead of about 250 in rstar nodes) and never
//! written; an index that takes writes (the catalog's delta, or a packed one on its first
//! write) keeps rstar trees ([`rtree`]).
//!
//! No HTTP, no SQL: callers pass the service codes they want and a filter closure over slots.

mod packed; // the bulk-built layout: Hilbert-sorted positions, boxes level by level
mod rtree; // the layout that takes writes: rstar trees
mod walk; // checkpoint, k best, polygon parts: shared by both layouts

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::time::Instant;

use geo::MultiPolygon;

use crate::domain::{Bbox, LonLat, ServiceSet};
use packed::PackedIndex;
use rtree::RTreeIndex;
use walk::{Checkpoint, Parts, TopK};

/// A query hit: a slot and its geodesic distance in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The provider's slot in the catalog.
    pub slot: u32,
    /// WGS84 geodesic distance from the query point, metres.
    pub distance_m: f64,
}

/// When a long query must give up: at a deadline, or once a flag is raised (its caller went
/// away). Checked every [`Stop::EVERY`] candidates, so a query stops within microseconds.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    deadline: Option<Instant>,
    cancelled: Option<Arc<AtomicBool>>,
}

/// A query that gave up because its [`Stop`] said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the query was stopped before it finished")]
pub struct Stopped;

impl Stop {
    /// How many candidates a walk looks at between two checks.
    pub const EVERY: u32 = 1024;

    /// Never stops.
    pub fn never() -> Self {
        Self::default()
    }

    /// Stops at `deadline`, or as soon as `cancelled` is set.
    pub fn new(deadline: Instant, cancelled: Arc<AtomicBool>) -> Self {
        Self { deadline: Some(deadline), cancelled: Some(cancelled) }
    }

    /// Whether the query should give up now.
    pub fn now(&self) -> bool {
        self.cancelled.as_ref().is_some_and(|c| c.load(AtomicOrdering::Relaxed))
            || self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// How many cores a bulk load may use: all of them when nothing else waits (the catalog load
/// at start-up), one while the server answers requests (a rebuild after a large import), so
/// readers keep the other cores and their latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cores {
    /// Every core.
    All,
    /// The calling thread only.
    One,
}

/// What the index needs to know about one provider.
#[derive(Debug, Clone, Copy)]
pub struct IndexEntry {
    /// The provider's slot.
    pub slot: u32,
    /// Where it is.
    pub location: LonLat,
    /// The services it offers (one tree per service).
    pub services: ServiceSet,
}

/// The trees over all indexed positions. Immutable once published in a catalog snapshot.
#[derive(Debug, Clone)]
pub struct SpatialIndex {
    layout: Layout,
}

#[derive(Debug, Clone)]
enum Layout {
    /// Bulk-built and not written since.
    Packed(PackedIndex),
    /// Written to.
    Trees(RTreeIndex),
}

/// An empty index, ready for writes (the catalog's delta starts so).
impl Default for SpatialIndex {
    fn default() -> Self {
        Self { layout: Layout::Trees(RTreeIndex::default()) }
    }
}

impl SpatialIndex {
    /// Builds the packed index in one pass, on all cores.
    pub fn bulk_load(entries: impl IntoIterator<Item = IndexEntry>) -> Self {
        Self::bulk_load_with(entries, Cores::All)
    }

    /// Builds the packed index in one pass on `cores`.
    pub fn bulk_load_with(entries: impl IntoIterator<Item = IndexEntry>, cores: Cores) -> Self {
        Self { layout: Layout::Packed(PackedIndex::bulk_load_with(entries.into_iter().collect(), cores)) }
    }

    /// Number of indexed positions.
    pub fn len(&self) -> usize {
        match &self.layout {
            Layout::Packed(packed) => packed.len(),
            Layout::Trees(trees) => trees.len(),
        }
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rstar trees to write to; a packed index is rebuilt into them on its first write
    /// (a copy of every position: the catalog never writes to a bulk-built segment).
    fn trees(&mut self) -> &mut RTreeIndex {
        if let Layout::Packed(packed) = &self.layout {
            self.layout = Layout::Trees(RTreeIndex::bulk_load_with(packed.entries(), Cores::One));
        }
        match &mut self.layout {
            Layout::Trees(trees) => trees,
            Layout::Packed(_) => unreachable!("rebuilt into rstar trees just above"),
        }
    }

    /// Adds an entry.
    pub fn insert(&mut self, e: IndexEntry) {
        self.trees().insert(e);
    }

    /// Removes an entry (which must be the one inserted). Returns whether it was there.
    pub fn remove(&mut self, e: IndexEntry) -> bool {
        self.trees().remove(e)
    }

    /// The `k` nearest accepted slots to `from` by WGS84 geodesic distance, nearest first
    /// (ties by slot), only those within `max_distance_m` when given, and only those offering
    /// one of `services` when it is not empty. Exact (see the module doc).
    pub fn nearest(
        &self,
        from: LonLat,
        k: usize,
        max_distance_m: Option<f64>,
        services: ServiceSet,
        mut accept: impl FnMut(u32) -> bool,
    ) -> Vec<Hit> {
        if k == 0 {
            return Vec::new();
        }
        let mut best = TopK::new(k, max_distance_m.unwrap_or(f64::INFINITY));
        match &self.layout {
            Layout::Packed(packed) => packed.nearest(from, services, &mut accept, &mut best),
            Layout::Trees(trees) => trees.nearest(from, services, &mut accept, &mut best),
        }
        best.hits
    }

    /// Every accepted slot within `radius_m` metres (geodesic) of `center` offering one of
    /// `services` (any when empty), nearest first.
    pub fn within_radius(
        &self,
        center: LonLat,
        radius_m: f64,
        services: ServiceSet,
        accept: impl FnMut(u32) -> bool,
    ) -> Vec<Hit> {
        self.within_radius_until(center, radius_m, services, accept, &Stop::never()).unwrap_or_default()
    }

    /// [`SpatialIndex::within_radius`], giving up when `stop` says so.
    ///
    /// # Errors
    /// [`Stopped`] when `stop` said so before the walk finished.
    pub fn within_radius_until(
        &self,
        center: LonLat,
        radius_m: f64,
        services: ServiceSet,
        mut accept: impl FnMut(u32) -> bool,
        stop: &Stop,
    ) -> Result<Vec<Hit>, Stopped> {
        let mut hits: Vec<Hit> = Vec::new();
        let checkpoint = Checkpoint::new(stop);
        match &self.layout {
            Layout::Packed(packed) => {
                packed.within_radius(center, radius_m, services, &mut accept, &checkpoint, &mut hits)?;
            }
            Layout::Trees(trees) => {
                trees.within_radius(center, radius_m, services, &mut accept, &checkpoint, &mut hits)?;
            }
        }
        hits.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.slot.cmp(&b.slot)));
        hits.dedup_by_key(|h| h.slot);
        Ok(hits)
    }

    /// Every accepted slot inside the box (edges included), in ascending slot order.
    pub fn in_bbox(&self, bbox: &Bbox, accept: impl FnMut(u32) -> bool) -> Vec<u32> {
        self.in_bbox_until(bbox, accept, &Stop::never()).unwrap_or_default()
    }

    /// [`SpatialIndex::in_bbox`], giving up when `stop` says so.
    ///
    /// # Errors
    /// [`Stopped`] when `stop` said so before the walk finished.
    pub fn in_bbox_until(
        &self,
        bbox: &Bbox,
        mut accept: impl FnMut(u32) -> bool,
        stop: &Stop,
    ) -> Result<Vec<u32>, Stopped> {
        let mut slots: Vec<u32> = Vec::new();
        let checkpoint = Checkpoint::new(stop);
        match &self.layout {
            Layout::Packed(packed) => packed.in_bbox(bbox, &mut accept, &checkpoint, &mut slots)?,
            Layout::Trees(trees) => trees.in_bbox(bbox, &mut accept, &checkpoint, &mut slots)?,
        }
        slots.sort_unstable();
        slots.dedup();
        Ok(slots)
    }

    /// Every accepted slot inside the area (boundary included), in ascending slot order.
    pub fn in_polygon(&self, area: &MultiPolygon<f64>, accept: impl FnMut(u32) -> bool) -> Vec<u32> {
        self.in_polygon_until(area, accept, &Stop::never()).unwrap_or_default()
    }

    /// [`SpatialIndex::in_polygon`], giving up when `stop` says so. One walk of the tree for
    /// the whole MultiPolygon: each point is tested once, however many parts overlap there.
    ///
    /// # Errors
    /// [`Stopped`] when `stop` said so before the walk finished.
    pub fn in_polygon_until(
        &self,
        area: &MultiPolygon<f64>,
        mut accept: impl FnMut(u32) -> bool,
        stop: &Stop,
    ) -> Result<Vec<u32>, Stopped> {
        let parts = Parts::new(area);
        let checkpoint = Checkpoint::new(stop);
        let mut slots: Vec<u32> = Vec::new();
        match &self.layout {
            Layout::Packed(packed) => packed.in_polygon(&parts, &mut accept, &checkpoint, &mut slots)?,
            Layout::Trees(trees) => trees.in_polygon(&parts, &mut accept, &checkpoint, &mut slots),
        }
        slots.sort_unstable();
        checkpoint.result(slots)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    fn entry(slot: u32, location: LonLat) -> IndexEntry {
        IndexEntry { slot, location, services: ServiceSet::EMPTY }
    }

    /// The entries in both layouts: bulk-loaded (packed) and inserted one by one (rstar).
    fn layouts(entries: impl IntoIterator<Item = IndexEntry>) -> [SpatialIndex; 2] {
        let entries: Vec<IndexEntry> = entries.into_iter().collect();
        let mut trees = SpatialIndex::default();
        for e in &entries {
            trees.insert(*e);
        }
        [SpatialIndex::bulk_load(entries), trees]
    }

    fn load(points: impl IntoIterator<Item = (u32, LonLat)>) -> [SpatialIndex; 2] {
        layouts(points.into_iter().map(|(s, p)| entry(s, p)))
    }

    fn nagareyama() -> [SpatialIndex; 2] {
        // Three places: city hall, Minami-Nagareyama station, Otakanomori station.
        load([(0, ll(139.902861, 35.856306)), (1, ll(139.9064, 35.8379)), (2, ll(139.9507, 35.8718))])
    }

    #[test]
    fn nearest_returns_the_closest_first_with_geodesic_metres() {
        for index in nagareyama() {
            let hits = index.nearest(ll(139.905, 35.84), 2, None, ServiceSet::EMPTY, |_| true);
            assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [1, 0]);
            let expected = ll(139.905, 35.84).geodesic_distance_m(ll(139.9064, 35.8379));
            assert!((hits[0].distance_m - expected).abs() < 1e-6);
        }
    }

    #[test]
    fn nearest_skips_rejected_slots_and_still_returns_k() {
        for index in nagareyama() {
            let hits = index.nearest(ll(139.905, 35.84), 2, None, ServiceSet::EMPTY, |s| s != 1);
            assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [0, 2]);
        }
    }

    #[test]
    fn nearest_respects_max_distance() {
        for index in nagareyama() {
            let hits = index.nearest(ll(139.905, 35.84), 3, Some(1_000.0), ServiceSet::EMPTY, |_| true);
            assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [1]);
        }
    }

    #[test]
    fn nearest_works_across_the_antimeridian() {
        for index in load([(0, ll(179.99, 0.0)), (1, ll(-179.0, 0.0)), (2, ll(170.0, 0.0))]) {
            let hits = index.nearest(ll(-179.99, 0.0), 3, None, ServiceSet::EMPTY, |_| true);
            assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [0, 1, 2]);
        }
    }

    #[test]
    fn radius_covers_the_whole_earth_when_larger_than_half_the_circumference() {
        for index in load([(0, ll(0.0, 0.0)), (1, ll(180.0, 0.0))]) {
            assert_eq!(index.within_radius(ll(0.0, 0.0), 30_000_000.0, ServiceSet::EMPTY, |_| true).len(), 2);
        }
    }

    #[test]
    fn insert_and_remove_keep_both_trees_in_step() {
        // The packed layout turns into rstar trees on its first write.
        for mut index in nagareyama() {
            index.insert(entry(9, ll(139.91, 35.86)));
            assert_eq!(index.nearest(ll(139.91, 35.86), 1, None, ServiceSet::EMPTY, |_| true)[0].slot, 9);
            assert!(index.remove(entry(9, ll(139.91, 35.86))));
            assert_eq!(index.len(), 3);
            assert!(index.in_bbox(&Bbox::parse("139.90,35.85,139.92,35.87").unwrap(), |_| true) == vec![0]);
        }
    }

    #[test]
    fn a_service_search_looks_only_at_offices_offering_it() {
        let nursing = ServiceSet::parse(["130"]).unwrap();
        let indexes = layouts([
            entry(0, ll(139.90, 35.85)),
            IndexEntry { slot: 1, location: ll(139.95, 35.90), services: nursing },
            IndexEntry { slot: 2, location: ll(139.99, 35.95), services: ServiceSet::parse(["130", "430"]).unwrap() },
        ]);
        for index in indexes {
            let hits = index.nearest(ll(139.90, 35.85), 5, None, nursing, |_| true);
            assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [1, 2]);
            let either = ServiceSet::parse(["130", "430"]).unwrap();
            let hits = index.nearest(ll(139.90, 35.85), 5, None, either, |_| true);
            assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [1, 2], "no duplicates across trees");
            assert_eq!(index.within_radius(ll(139.95, 35.90), 10_000.0, either, |_| true).len(), 2);
        }
    }

    fn square(lon: f64, lat: f64, side: f64) -> geo::Polygon<f64> {
        let ring = vec![(lon, lat), (lon + side, lat), (lon + side, lat + side), (lon, lat + side), (lon, lat)];
        geo::Polygon::new(geo::LineString::from(ring), vec![])
    }

    #[test]
    fn overlapping_parts_find_each_point_once() {
        for index in nagareyama() {
            let area = MultiPolygon(vec![
                square(139.89, 35.83, 0.1),
                square(139.895, 35.835, 0.1),
                square(139.9, 35.85, 0.01),
            ]);
            assert_eq!(index.in_polygon(&area, |_| true), vec![0, 1, 2]);
            assert_eq!(index.in_polygon(&MultiPolygon(vec![square(139.9, 35.85, 0.01)]), |_| true), vec![0]);
            assert_eq!(index.in_polygon(&MultiPolygon(vec![]), |_| true), Vec::<u32>::new());
        }
    }

    #[test]
    fn a_walk_gives_up_when_its_stop_says_so() {
        let points = (0..5000u32).map(|i| (i, ll(139.0 + f64::from(i % 100) * 1e-3, 35.0 + f64::from(i / 100) * 1e-3)));
        for index in load(points) {
            let area = MultiPolygon(vec![square(138.9, 34.9, 1.0)]);
            let cancelled = Arc::new(AtomicBool::new(true));
            let stop = Stop::new(Instant::now() + std::time::Duration::from_secs(3600), cancelled.clone());
            assert_eq!(index.in_polygon_until(&area, |_| true, &stop), Err(Stopped));
            let bbox = Bbox::parse("138,34,141,37").unwrap();
            assert_eq!(index.in_bbox_until(&bbox, |_| true, &stop), Err(Stopped));
            let from = ll(139.05, 35.02);
            assert_eq!(index.within_radius_until(from, 1e6, ServiceSet::EMPTY, |_| true, &stop), Err(Stopped));
            let expired = Stop::new(Instant::now(), Arc::new(AtomicBool::new(false)));
            assert_eq!(index.in_polygon_until(&area, |_| true, &expired), Err(Stopped));
            cancelled.store(false, AtomicOrdering::Relaxed);
            assert_eq!(index.in_polygon_until(&area, |_| true, &Stop::never()).map(|s| s.len()), Ok(5000));
        }
    }
}
