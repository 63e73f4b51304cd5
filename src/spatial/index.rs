//! The spatial index: R-trees over provider positions, addressed by slot number.
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
//! No HTTP, no SQL: callers pass the service codes they want and a filter closure over slots.

use std::cell::Cell;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::time::Instant;

use geo::{BoundingRect, Intersects, MultiPolygon, Point, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{
    AABB, ParentNode, PointDistance, RStarInsertionStrategy, RTree, RTreeNode, RTreeObject, RTreeParams,
    SelectionFunction,
};

use crate::domain::{Bbox, LonLat, SERVICE_TYPES, ServiceSet};
use crate::spatial::geodesy::Ecef;

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

/// Counts candidates and asks the [`Stop`] every [`Stop::EVERY`] of them.
struct Checkpoint<'s> {
    stop: &'s Stop,
    seen: Cell<u32>,
    stopped: Cell<bool>,
}

impl<'s> Checkpoint<'s> {
    fn new(stop: &'s Stop) -> Self {
        Self { stop, seen: Cell::new(0), stopped: Cell::new(false) }
    }

    /// Counts one candidate; whether the walk must stop.
    fn tick(&self) -> bool {
        let seen = self.seen.get().wrapping_add(1);
        self.seen.set(seen);
        if seen.is_multiple_of(Stop::EVERY) && !self.stopped.get() && self.stop.now() {
            self.stopped.set(true);
        }
        self.stopped.get()
    }

    fn result<T>(&self, value: T) -> Result<T, Stopped> {
        if self.stopped.get() { Err(Stopped) } else { Ok(value) }
    }
}

/// The parts of a MultiPolygon with an R-tree of their bounding boxes.
struct Parts<'a> {
    polygons: Vec<&'a Polygon<f64>>,
    boxes: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

impl<'a> Parts<'a> {
    fn new(area: &'a MultiPolygon<f64>) -> Self {
        let mut polygons = Vec::with_capacity(area.0.len());
        let mut boxes = Vec::with_capacity(area.0.len());
        for polygon in &area.0 {
            let Some(rect) = polygon.bounding_rect() else { continue };
            let corners = Rectangle::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
            boxes.push(GeomWithData::new(corners, polygons.len()));
            polygons.push(polygon);
        }
        Self { polygons, boxes: RTree::bulk_load(boxes) }
    }

    /// Whether the point is in some part (boundary included); only parts whose box holds it
    /// are tested.
    fn contain(&self, [x, y]: [f64; 2]) -> bool {
        let point = Point::new(x, y);
        self.boxes
            .locate_in_envelope_intersecting(AABB::from_point([x, y]))
            .any(|b| self.polygons[b.data].intersects(&point))
    }
}

/// The walk of a polygon query: into nodes that touch a part's box, to points inside a part.
struct InParts<'p, 'a, 's> {
    parts: &'p Parts<'a>,
    checkpoint: &'p Checkpoint<'s>,
}

impl SelectionFunction<PlanarPoint> for InParts<'_, '_, '_> {
    fn should_unpack_parent(&self, envelope: &AABB<[f64; 2]>) -> bool {
        !self.checkpoint.tick() && self.parts.boxes.locate_in_envelope_intersecting(*envelope).next().is_some()
    }

    fn should_unpack_leaf(&self, leaf: &PlanarPoint) -> bool {
        !self.checkpoint.tick() && self.parts.contain(*leaf.geom())
    }
}

/// A provider position in Earth-centred Cartesian metres, with its lon/lat kept for long lines.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CartesianPoint {
    xyz: [f64; 3],
    lonlat: LonLat,
    slot: u32,
}

impl CartesianPoint {
    fn new(slot: u32, p: LonLat) -> Self {
        Self { xyz: Ecef::new(p).xyz, lonlat: p, slot }
    }
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

/// Node sizes of the 3-D trees. Wider nodes than rstar's default (6) mean fewer levels and
/// fewer heap operations per query; measured in benches/index.rs.
#[derive(Debug, Clone, Copy)]
pub struct NodeParams;

impl RTreeParams for NodeParams {
    const MIN_SIZE: usize = 5;
    const MAX_SIZE: usize = 16;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

type PointTree = RTree<CartesianPoint, NodeParams>;
type PlanarPoint = GeomWithData<[f64; 2], u32>;

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

/// The R-trees over all indexed positions. Immutable once published in a catalog snapshot.
#[derive(Debug, Clone)]
pub struct SpatialIndex {
    all: PointTree,
    /// `by_service[i]` holds the providers offering `SERVICE_TYPES[i]`.
    by_service: Vec<PointTree>,
    planar: RTree<PlanarPoint>,
}

impl Default for SpatialIndex {
    fn default() -> Self {
        Self::bulk_load(std::iter::empty())
    }
}

/// The k best hits so far, nearest first; k is small (≤ 100), so a sorted Vec beats a heap.
struct TopK {
    k: usize,
    max_m: f64,
    hits: Vec<Hit>,
}

impl TopK {
    /// Distance a candidate must not exceed to matter.
    fn bound(&self) -> f64 {
        if self.hits.len() == self.k { self.hits[self.k - 1].distance_m } else { self.max_m }
    }

    fn offer(&mut self, hit: Hit) {
        if hit.distance_m > self.max_m || self.hits.iter().any(|h| h.slot == hit.slot) {
            return;
        }
        let at = self.hits.partition_point(|h| (h.distance_m, h.slot) < (hit.distance_m, hit.slot));
        if at < self.k {
            self.hits.insert(at, hit);
            self.hits.truncate(self.k);
        }
    }
}

/// A tree node waiting in the search queue, ordered by its squared lower-bound distance.
struct Pending<'t>(f64, &'t ParentNode<CartesianPoint>);

impl PartialEq for Pending<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0) == Ordering::Equal
    }
}
impl Eq for Pending<'_> {}
impl PartialOrd for Pending<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Best-first k-NN over one tree, sharing `best` (and so its pruning bound) across trees.
fn search(tree: &PointTree, from: LonLat, origin: &Ecef, accept: &mut impl FnMut(u32) -> bool, best: &mut TopK) {
    // Room for the nodes a nearest-10 walk usually queues, so the heap is allocated once
    // instead of growing 4 → 8 → … → 64 (a tenth of the query time at 1 M providers).
    let mut queue: BinaryHeap<Reverse<Pending<'_>>> = BinaryHeap::with_capacity(64);
    queue.push(Reverse(Pending(0.0, tree.root())));
    while let Some(Reverse(Pending(lower2, node))) = queue.pop() {
        let bound = best.bound();
        if lower2 > bound * bound {
            break;
        }
        for child in node.children() {
            match child {
                RTreeNode::Leaf(p) => {
                    let bound = best.bound();
                    if origin.chord2(&p.xyz) > bound * bound || !accept(p.slot) {
                        continue;
                    }
                    best.offer(Hit { slot: p.slot, distance_m: origin.distance_m(from, &p.xyz, p.lonlat) });
                }
                RTreeNode::Parent(parent) => {
                    let lower2 = parent.envelope().distance_2(&origin.xyz);
                    let bound = best.bound();
                    if lower2 <= bound * bound {
                        queue.push(Reverse(Pending(lower2, parent)));
                    }
                }
            }
        }
    }
}

impl SpatialIndex {
    /// Builds the index in one pass (rstar bulk load), on all cores.
    pub fn bulk_load(entries: impl IntoIterator<Item = IndexEntry>) -> Self {
        Self::bulk_load_with(entries, Cores::All)
    }

    /// Builds the index in one pass (rstar bulk load) on `cores`.
    pub fn bulk_load_with(entries: impl IntoIterator<Item = IndexEntry>, cores: Cores) -> Self {
        let mut all = Vec::new();
        let mut by_service: Vec<Vec<CartesianPoint>> = vec![Vec::new(); SERVICE_TYPES.len()];
        let mut planar = Vec::new();
        for e in entries {
            let point = CartesianPoint::new(e.slot, e.location);
            for i in e.services.indices() {
                by_service[i].push(point);
            }
            all.push(point);
            planar.push(PlanarPoint::new([e.location.lon(), e.location.lat()], e.slot));
        }
        if cores == Cores::One {
            return Self {
                all: RTree::bulk_load_with_params(all),
                by_service: by_service.into_iter().map(RTree::bulk_load_with_params).collect(),
                planar: RTree::bulk_load(planar),
            };
        }
        // The three kinds of tree are independent: build them on separate threads.
        std::thread::scope(|scope| {
            let services = scope.spawn(|| by_service.into_iter().map(RTree::bulk_load_with_params).collect());
            let planar = scope.spawn(|| RTree::bulk_load(planar));
            let all = RTree::bulk_load_with_params(all);
            let by_service = services.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            Self { all, by_service, planar: planar.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)) }
        })
    }

    /// Number of indexed positions.
    pub fn len(&self) -> usize {
        self.all.size()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds an entry.
    pub fn insert(&mut self, e: IndexEntry) {
        let point = CartesianPoint::new(e.slot, e.location);
        for i in e.services.indices() {
            self.by_service[i].insert(point);
        }
        self.all.insert(point);
        self.planar.insert(PlanarPoint::new([e.location.lon(), e.location.lat()], e.slot));
    }

    /// Removes an entry (which must be the one inserted). Returns whether it was there.
    pub fn remove(&mut self, e: IndexEntry) -> bool {
        let point = CartesianPoint::new(e.slot, e.location);
        for i in e.services.indices() {
            self.by_service[i].remove(&point);
        }
        let a = self.all.remove(&point).is_some();
        let b = self.planar.remove(&PlanarPoint::new([e.location.lon(), e.location.lat()], e.slot)).is_some();
        a && b
    }

    /// The trees to search for providers offering any of `services` (all when empty).
    fn trees(&self, services: ServiceSet) -> Vec<&PointTree> {
        if services.is_empty() { vec![&self.all] } else { services.indices().map(|i| &self.by_service[i]).collect() }
    }

    /// The `k` nearest accepted slots to `from` by WGS84 geodesic distance, nearest first,
    /// only those within `max_distance_m` when given, and only those offering one of
    /// `services` when it is not empty. Exact (see the module doc).
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
        let origin = Ecef::new(from);
        let mut best = TopK { k, max_m: max_distance_m.unwrap_or(f64::INFINITY), hits: Vec::with_capacity(k + 1) };
        for tree in self.trees(services) {
            search(tree, from, &origin, &mut accept, &mut best);
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
        let origin = Ecef::new(center);
        let mut hits: Vec<Hit> = Vec::new();
        let checkpoint = Checkpoint::new(stop);
        for tree in self.trees(services) {
            // Every point within radius_m along the surface is within radius_m in a straight line.
            for p in tree.locate_within_distance(origin.xyz, radius_m * radius_m) {
                if checkpoint.tick() {
                    return Err(Stopped);
                }
                if accept(p.slot) {
                    let distance_m = origin.distance_m(center, &p.xyz, p.lonlat);
                    if distance_m <= radius_m {
                        hits.push(Hit { slot: p.slot, distance_m });
                    }
                }
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
        for (lo, hi) in bbox.rectangles() {
            let envelope = AABB::from_corners(lo, hi);
            for p in self.planar.locate_in_envelope_intersecting(envelope) {
                if checkpoint.tick() {
                    return Err(Stopped);
                }
                if accept(p.data) {
                    slots.push(p.data);
                }
            }
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
        let walk = InParts { parts: &parts, checkpoint: &checkpoint };
        let mut slots: Vec<u32> =
            self.planar.locate_with_selection_function(walk).map(|p| p.data).filter(|s| accept(*s)).collect();
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

    fn load(points: impl IntoIterator<Item = (u32, LonLat)>) -> SpatialIndex {
        SpatialIndex::bulk_load(points.into_iter().map(|(s, p)| entry(s, p)))
    }

    fn nagareyama() -> SpatialIndex {
        // Three places: city hall, Minami-Nagareyama station, Otakanomori station.
        load([(0, ll(139.902861, 35.856306)), (1, ll(139.9064, 35.8379)), (2, ll(139.9507, 35.8718))])
    }

    #[test]
    fn nearest_returns_the_closest_first_with_geodesic_metres() {
        let hits = nagareyama().nearest(ll(139.905, 35.84), 2, None, ServiceSet::EMPTY, |_| true);
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [1, 0]);
        let expected = ll(139.905, 35.84).geodesic_distance_m(ll(139.9064, 35.8379));
        assert!((hits[0].distance_m - expected).abs() < 1e-6);
    }

    #[test]
    fn nearest_skips_rejected_slots_and_still_returns_k() {
        let hits = nagareyama().nearest(ll(139.905, 35.84), 2, None, ServiceSet::EMPTY, |s| s != 1);
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [0, 2]);
    }

    #[test]
    fn nearest_respects_max_distance() {
        let hits = nagareyama().nearest(ll(139.905, 35.84), 3, Some(1_000.0), ServiceSet::EMPTY, |_| true);
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn nearest_works_across_the_antimeridian() {
        let index = load([(0, ll(179.99, 0.0)), (1, ll(-179.0, 0.0)), (2, ll(170.0, 0.0))]);
        let hits = index.nearest(ll(-179.99, 0.0), 3, None, ServiceSet::EMPTY, |_| true);
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn radius_covers_the_whole_earth_when_larger_than_half_the_circumference() {
        let index = load([(0, ll(0.0, 0.0)), (1, ll(180.0, 0.0))]);
        assert_eq!(index.within_radius(ll(0.0, 0.0), 30_000_000.0, ServiceSet::EMPTY, |_| true).len(), 2);
    }

    #[test]
    fn insert_and_remove_keep_both_trees_in_step() {
        let mut index = nagareyama();
        index.insert(entry(9, ll(139.91, 35.86)));
        assert_eq!(index.nearest(ll(139.91, 35.86), 1, None, ServiceSet::EMPTY, |_| true)[0].slot, 9);
        assert!(index.remove(entry(9, ll(139.91, 35.86))));
        assert_eq!(index.len(), 3);
        assert!(index.in_bbox(&Bbox::parse("139.90,35.85,139.92,35.87").unwrap(), |_| true) == vec![0]);
    }

    #[test]
    fn a_service_search_looks_only_at_offices_offering_it() {
        let nursing = ServiceSet::parse(["130"]).unwrap();
        let index = SpatialIndex::bulk_load([
            entry(0, ll(139.90, 35.85)),
            IndexEntry { slot: 1, location: ll(139.95, 35.90), services: nursing },
            IndexEntry { slot: 2, location: ll(139.99, 35.95), services: ServiceSet::parse(["130", "430"]).unwrap() },
        ]);
        let hits = index.nearest(ll(139.90, 35.85), 5, None, nursing, |_| true);
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [1, 2]);
        let either = ServiceSet::parse(["130", "430"]).unwrap();
        let hits = index.nearest(ll(139.90, 35.85), 5, None, either, |_| true);
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [1, 2], "no duplicates across trees");
        assert_eq!(index.within_radius(ll(139.95, 35.90), 10_000.0, either, |_| true).len(), 2);
    }

    fn square(lon: f64, lat: f64, side: f64) -> Polygon<f64> {
        let ring = vec![(lon, lat), (lon + side, lat), (lon + side, lat + side), (lon, lat + side), (lon, lat)];
        Polygon::new(geo::LineString::from(ring), vec![])
    }

    #[test]
    fn overlapping_parts_find_each_point_once() {
        let index = nagareyama();
        let area =
            MultiPolygon(vec![square(139.89, 35.83, 0.1), square(139.895, 35.835, 0.1), square(139.9, 35.85, 0.01)]);
        assert_eq!(index.in_polygon(&area, |_| true), vec![0, 1, 2]);
        assert_eq!(index.in_polygon(&MultiPolygon(vec![square(139.9, 35.85, 0.01)]), |_| true), vec![0]);
        assert_eq!(index.in_polygon(&MultiPolygon(vec![]), |_| true), Vec::<u32>::new());
    }

    #[test]
    fn a_walk_gives_up_when_its_stop_says_so() {
        let points = (0..5000u32).map(|i| (i, ll(139.0 + f64::from(i % 100) * 1e-3, 35.0 + f64::from(i / 100) * 1e-3)));
        let index = load(points);
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
