//! The layout that takes writes: rstar R-trees (points in ECEF for nearest and radius, one
//! tree per service code, lon/lat points for bbox and polygon) with insert and remove. The
//! catalog's small delta segment uses it; a bulk-built base uses [`super::packed`].

use rstar::primitives::GeomWithData;
use rstar::{
    AABB, ParentNode, PointDistance, RStarInsertionStrategy, RTree, RTreeNode, RTreeObject, RTreeParams,
    SelectionFunction,
};

use super::walk::{Checkpoint, Parts, Queue, TopK};
use super::{Cores, Hit, IndexEntry, Stopped};
use crate::domain::{Bbox, LonLat, SERVICE_TYPES, ServiceSet};
use crate::spatial::geodesy::Ecef;

/// The walk of a polygon query: into nodes that touch a part's box, to points inside a part.
struct InParts<'p, 'a, 's> {
    parts: &'p Parts<'a>,
    checkpoint: &'p Checkpoint<'s>,
}

impl SelectionFunction<PlanarPoint> for InParts<'_, '_, '_> {
    fn should_unpack_parent(&self, envelope: &AABB<[f64; 2]>) -> bool {
        !self.checkpoint.tick() && self.parts.touch(envelope)
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
struct NodeParams;

impl RTreeParams for NodeParams {
    const MIN_SIZE: usize = 5;
    const MAX_SIZE: usize = 16;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

type PointTree = RTree<CartesianPoint, NodeParams>;
type PlanarPoint = GeomWithData<[f64; 2], u32>;

/// The rstar trees over all indexed positions.
#[derive(Debug, Clone)]
pub(super) struct RTreeIndex {
    all: PointTree,
    /// `by_service[i]` holds the providers offering `SERVICE_TYPES[i]`.
    by_service: Vec<PointTree>,
    planar: RTree<PlanarPoint>,
}

/// Best-first k-NN over one tree, sharing `best` (and so its pruning bound) across trees.
fn search(tree: &PointTree, from: LonLat, origin: &Ecef, accept: &mut impl FnMut(u32) -> bool, best: &mut TopK) {
    // Room for the nodes a nearest-10 walk usually queues, so the heap is allocated once
    // instead of growing 4 → 8 → … → 64 (a tenth of the query time at 1 M providers).
    let mut queue: Queue<&ParentNode<CartesianPoint>> = Queue::with_capacity(64);
    queue.push(0.0, tree.root());
    while let Some((lower2, node)) = queue.pop() {
        if lower2 > best.bound2() {
            break;
        }
        for child in node.children() {
            match child {
                RTreeNode::Leaf(p) => {
                    let chord2 = origin.chord2(&p.xyz);
                    if chord2 > best.bound2() || !accept(p.slot) {
                        continue;
                    }
                    let distance_m = origin.distance_by_chord2_m(&p.xyz, chord2, || from.geodesic_distance_m(p.lonlat));
                    best.offer(Hit { slot: p.slot, distance_m });
                }
                RTreeNode::Parent(parent) => {
                    let lower2 = parent.envelope().distance_2(&origin.xyz);
                    if lower2 <= best.bound2() {
                        queue.push(lower2, parent);
                    }
                }
            }
        }
    }
}

impl Default for RTreeIndex {
    fn default() -> Self {
        Self::bulk_load_with(Vec::new(), Cores::One)
    }
}

impl RTreeIndex {
    /// Builds the trees in one pass (rstar bulk load) on `cores`.
    pub(super) fn bulk_load_with(entries: Vec<IndexEntry>, cores: Cores) -> Self {
        let mut all = Vec::with_capacity(entries.len());
        let mut by_service: Vec<Vec<CartesianPoint>> = vec![Vec::new(); SERVICE_TYPES.len()];
        let mut planar = Vec::with_capacity(entries.len());
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

    pub(super) fn len(&self) -> usize {
        self.all.size()
    }

    pub(super) fn insert(&mut self, e: IndexEntry) {
        let point = CartesianPoint::new(e.slot, e.location);
        for i in e.services.indices() {
            self.by_service[i].insert(point);
        }
        self.all.insert(point);
        self.planar.insert(PlanarPoint::new([e.location.lon(), e.location.lat()], e.slot));
    }

    pub(super) fn remove(&mut self, e: IndexEntry) -> bool {
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

    pub(super) fn nearest(
        &self,
        from: LonLat,
        services: ServiceSet,
        accept: &mut impl FnMut(u32) -> bool,
        best: &mut TopK,
    ) {
        let origin = Ecef::new(from);
        for tree in self.trees(services) {
            search(tree, from, &origin, accept, best);
        }
    }

    pub(super) fn within_radius(
        &self,
        center: LonLat,
        radius_m: f64,
        services: ServiceSet,
        accept: &mut impl FnMut(u32) -> bool,
        checkpoint: &Checkpoint<'_>,
        hits: &mut Vec<Hit>,
    ) -> Result<(), Stopped> {
        let origin = Ecef::new(center);
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
        Ok(())
    }

    pub(super) fn in_bbox(
        &self,
        bbox: &Bbox,
        accept: &mut impl FnMut(u32) -> bool,
        checkpoint: &Checkpoint<'_>,
        slots: &mut Vec<u32>,
    ) -> Result<(), Stopped> {
        for (lo, hi) in bbox.rectangles() {
            for p in self.planar.locate_in_envelope_intersecting(AABB::from_corners(lo, hi)) {
                if checkpoint.tick() {
                    return Err(Stopped);
                }
                if accept(p.data) {
                    slots.push(p.data);
                }
            }
        }
        Ok(())
    }

    pub(super) fn in_polygon(
        &self,
        parts: &Parts<'_>,
        accept: &mut impl FnMut(u32) -> bool,
        checkpoint: &Checkpoint<'_>,
        slots: &mut Vec<u32>,
    ) {
        let walk = InParts { parts, checkpoint };
        slots.extend(self.planar.locate_with_selection_function(walk).map(|p| p.data).filter(|s| accept(*s)));
    }
}
