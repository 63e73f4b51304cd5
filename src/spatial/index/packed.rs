//! The layout of a bulk-built segment, which is never written: packed R-trees in flat arrays.
//!
//! Positions are sorted once along a Hilbert curve over lon/lat and kept in that order in
//! three parallel arrays: slot, lon/lat and ECEF (44 bytes a position). Each tree is a
//! hierarchy of boxes with a fixed fan-out of [`NODE`] over a run of those positions, one
//! array of boxes a level, the root alone on the last level; the children of node `i` are the
//! nodes (or, on level 0, the positions) `i·NODE .. (i+1)·NODE` of the level below, and their
//! boxes lie side by side, coordinate by coordinate (see [`tree`]). No node is allocated on
//! its own and nothing points anywhere.
//!
//! - `all`: ECEF boxes over every position, for nearest and radius;
//! - `planar`: lon/lat boxes over the same run, for bbox and polygon;
//! - `by_service[i]`: the positions offering `SERVICE_TYPES[i]` (indices into the run, still in
//!   curve order) with their own ECEF boxes, and a copy of their ECEF metres and slots in
//!   member order, so a walk reads a leaf's members side by side.
//!
//! Exactness: boxes are `f32` rounded outward, so each holds the exact `f64` positions under
//! it, and its squared distance to a query point is computed so that it never exceeds the
//! squared chord to any of them; positions stay `f64`. The walks therefore prune exactly as
//! the rstar trees do and give the same answers. One order serves the 3-D and the lon/lat
//! trees because a box is computed from whatever it holds: the order decides how tight boxes
//! are, never what a query finds (at the antimeridian and the poles, where lon/lat neighbours
//! are not curve neighbours, a query merely opens more nodes).

use super::walk::{Checkpoint, Parts, Queue, TopK};
use super::{Cores, Hit, IndexEntry, Stopped};
use crate::domain::{Bbox, LonLat, SERVICE_TYPES, ServiceSet};
use crate::spatial::geodesy::{Ecef, SHORT_LINE_M};

#[cfg(test)]
mod tests;
mod tree;

use tree::{NODE, Tree, envelope};

/// The positions offering one service, with their boxes.
#[derive(Debug, Clone, Default)]
struct ServiceTree {
    /// Positions in the run, ascending (so in curve order).
    members: Vec<u32>,
    /// The members' ECEF metres and slots, in member order. A rare service's members lie
    /// about a hundred positions apart in the run, so reading them there cost a cache miss a
    /// candidate; copied here a leaf's sixteen lie side by side (28 bytes a membership).
    xyz: Vec<[f64; 3]>,
    slots: Vec<u32>,
    tree: Tree<3>,
}

impl ServiceTree {
    fn run(&self) -> Run<'_> {
        Run { tree: &self.tree, xyz: &self.xyz, slots: &self.slots, members: Some(&self.members) }
    }
}

/// A tree to walk, with the ECEF metres and slot of each of its leaves (leaf `j` is `xyz[j]`),
/// and the positions its leaves stand for (`None`: leaf `j` is position `j`).
#[derive(Clone, Copy)]
struct Run<'a> {
    tree: &'a Tree<3>,
    xyz: &'a [[f64; 3]],
    slots: &'a [u32],
    members: Option<&'a [u32]>,
}

impl Run<'_> {
    fn position(&self, leaf: usize) -> usize {
        self.members.map_or(leaf, |m| m[leaf] as usize)
    }
}

/// The level of a queued `(level, node)` that is an accepted position (`node` is its place in
/// the run) waiting to be measured.
const POSITION: usize = usize::MAX;

/// The packed trees over every indexed position.
#[derive(Debug, Clone)]
pub(super) struct PackedIndex {
    slots: Vec<u32>,
    lonlat: Vec<LonLat>,
    /// ECEF metres of each position, for the chord bound and the short-line series.
    xyz: Vec<[f64; 3]>,
    all: Tree<3>,
    planar: Tree<2>,
    /// `by_service[i]` holds the positions offering `SERVICE_TYPES[i]`.
    by_service: Vec<ServiceTree>,
}

/// Positions 0..n of `entries` sorted along a Hilbert curve over their lon/lat extent.
fn hilbert_order(entries: &[IndexEntry]) -> Vec<u32> {
    let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for e in entries {
        let p = [e.location.lon(), e.location.lat()];
        for d in 0..2 {
            min[d] = min[d].min(p[d]);
            max[d] = max[d].max(p[d]);
        }
    }
    let cell = |x: f64, d: usize| {
        let span = max[d] - min[d];
        // In 0..=65535 by construction; `as` saturates anyway.
        if span > 0.0 { ((x - min[d]) / span * f64::from(u16::MAX)).round() as u32 } else { 0 }
    };
    let mut keyed: Vec<(u32, u32)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let i = u32::try_from(i).expect("more than u32::MAX positions");
            (hilbert(cell(e.location.lon(), 0), cell(e.location.lat(), 1)), i)
        })
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// The distance along the Hilbert curve of cell `(x, y)` of a 65536 × 65536 grid.
fn hilbert(mut x: u32, mut y: u32) -> u32 {
    const N: u32 = 1 << 16;
    let mut d = 0;
    let mut s = N / 2;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        // Rotate the quadrant so the curve inside it starts and ends where it must.
        if ry == 0 {
            if rx == 1 {
                x = N - 1 - x;
                y = N - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

impl PackedIndex {
    /// Sorts the positions and builds every tree, on `cores`.
    pub(super) fn bulk_load_with(entries: Vec<IndexEntry>, cores: Cores) -> Self {
        let order = hilbert_order(&entries);
        // Sized first: growing a million-entry list by doubling copies and faults it in twice.
        let mut sizes = vec![0usize; SERVICE_TYPES.len()];
        for e in &entries {
            e.services.indices().for_each(|s| sizes[s] += 1);
        }
        let mut members: Vec<Vec<u32>> = sizes.into_iter().map(Vec::with_capacity).collect();
        let (mut slots, mut lonlat) = (Vec::with_capacity(order.len()), Vec::with_capacity(order.len()));
        // One pass in curve order: each entry is a cache miss, taken once for all three lists.
        for (p, &i) in order.iter().enumerate() {
            let e = &entries[i as usize];
            slots.push(e.slot);
            lonlat.push(e.location);
            for s in e.services.indices() {
                members[s].push(u32::try_from(p).expect("more than u32::MAX positions"));
            }
        }
        drop((entries, order));
        let planar = || Tree::build(lonlat.len(), |j| [lonlat[j].lon(), lonlat[j].lat()]);
        let xyz = || lonlat.iter().map(|p| Ecef::new(*p).xyz).collect::<Vec<_>>();
        let services = |xyz: &[[f64; 3]]| -> Vec<ServiceTree> {
            members
                .into_iter()
                .map(|members| {
                    let own: Vec<[f64; 3]> = members.iter().map(|&p| xyz[p as usize]).collect();
                    let slots = members.iter().map(|&p| slots[p as usize]).collect();
                    let tree = Tree::build(own.len(), |j| own[j]);
                    ServiceTree { members, xyz: own, slots, tree }
                })
                .collect()
        };
        let (xyz, all, planar, by_service) = if cores == Cores::One {
            let xyz = xyz();
            let all = Tree::build(xyz.len(), |j| xyz[j]);
            let by_service = services(&xyz);
            (xyz, all, planar(), by_service)
        } else {
            // The lon/lat tree, the service trees and the tree of all are independent.
            std::thread::scope(|scope| {
                let planar = scope.spawn(planar);
                let xyz = xyz();
                let (all, by_service) = std::thread::scope(|inner| {
                    let by_service = inner.spawn(|| services(&xyz));
                    let all = Tree::build(xyz.len(), |j| xyz[j]);
                    (all, by_service.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                });
                (xyz, all, planar.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), by_service)
            })
        };
        Self { slots, lonlat, xyz, all, planar, by_service }
    }

    /// Number of indexed positions.
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Every position as the entry it was built from (the services from the service trees).
    pub(super) fn entries(&self) -> Vec<IndexEntry> {
        let mut codes: Vec<Vec<&str>> = vec![Vec::new(); self.len()];
        for (service, tree) in SERVICE_TYPES.iter().zip(&self.by_service) {
            for &p in &tree.members {
                codes[p as usize].push(service.code);
            }
        }
        let services = codes.into_iter().map(|c| ServiceSet::parse(c).unwrap_or_default());
        let located = self.slots.iter().zip(&self.lonlat);
        located.zip(services).map(|((&slot, &location), services)| IndexEntry { slot, location, services }).collect()
    }

    /// The trees to walk for providers offering any of `services` (all when empty).
    fn runs(&self, services: ServiceSet) -> Vec<Run<'_>> {
        if services.is_empty() {
            vec![Run { tree: &self.all, xyz: &self.xyz, slots: &self.slots, members: None }]
        } else {
            services.indices().filter_map(|i| self.by_service.get(i)).map(ServiceTree::run).collect()
        }
    }

    /// Offers the nearest accepted positions offering one of `services` to `best`.
    pub(super) fn nearest(
        &self,
        from: LonLat,
        services: ServiceSet,
        accept: &mut impl FnMut(u32) -> bool,
        best: &mut TopK,
    ) {
        let origin = Ecef::new(from);
        for run in self.runs(services) {
            self.search(run, from, &origin, accept, best);
        }
    }

    /// Best-first k-NN over one tree, sharing `best` (and so its pruning bound) across trees.
    ///
    /// A position whose chord is too long for the series (Karney's algorithm, about a
    /// microsecond) waits in the queue by its chord like a node, so it is measured only if
    /// nothing nearer fills the k places first. A sparse service tree's first leaves may
    /// span hundreds of kilometres, and measuring all their positions at once cost more than
    /// the rest of the walk.
    fn search(&self, run: Run<'_>, from: LonLat, origin: &Ecef, accept: &mut impl FnMut(u32) -> bool, best: &mut TopK) {
        let tree = run.tree;
        let Some((level, node)) = tree.root() else { return };
        let mut queue: Queue<(usize, usize)> = Queue::with_capacity(64);
        queue.push(0.0, (level, node));
        while let Some((lower2, (level, node))) = queue.pop() {
            if lower2 > best.bound2() {
                break;
            }
            if level == POSITION {
                let (xyz, slot) = (&self.xyz[node], self.slots[node]);
                best.offer(Hit { slot, distance_m: origin.distance_m(from, xyz, self.lonlat[node]) });
                continue;
            }
            if level == 0 {
                for leaf in tree.children(0, node) {
                    let (xyz, slot) = (&run.xyz[leaf], run.slots[leaf]);
                    let chord2 = origin.chord2(xyz);
                    if chord2 > best.bound2() || !accept(slot) {
                        continue;
                    }
                    if chord2 < SHORT_LINE_M * SHORT_LINE_M {
                        // The series needs no lon/lat: only a long line's Karney distance reads it.
                        best.offer(Hit { slot, distance_m: origin.short_distance_m(xyz, chord2) });
                    } else {
                        queue.push(chord2, (POSITION, run.position(leaf)));
                    }
                }
                continue;
            }
            let lower2 = tree.children_boxes(level, node).distances2(&origin.xyz);
            for child in tree.children(level, node) {
                let lower2 = lower2[child - node * NODE];
                if lower2 <= best.bound2() {
                    queue.push(lower2, (level - 1, child));
                }
            }
        }
    }

    /// Pushes every accepted position within `radius_m` (geodesic) of `center` offering one of
    /// `services` onto `hits`, in no order, once per tree holding it.
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
        // Every point within radius_m along the surface is within radius_m in a straight line.
        let radius2 = radius_m * radius_m;
        for run in self.runs(services) {
            let tree = run.tree;
            let mut stack: Vec<(usize, usize)> = tree.root().into_iter().collect();
            while let Some((level, node)) = stack.pop() {
                if level > 0 {
                    let lower2 = tree.children_boxes(level, node).distances2(&origin.xyz);
                    let near = tree.children(level, node).filter(|&c| lower2[c - node * NODE] <= radius2);
                    stack.extend(near.map(|c| (level - 1, c)));
                    continue;
                }
                for leaf in tree.children(0, node) {
                    let (xyz, slot) = (&run.xyz[leaf], run.slots[leaf]);
                    let chord2 = origin.chord2(xyz);
                    if chord2 > radius2 {
                        continue;
                    }
                    if checkpoint.tick() {
                        return Err(Stopped);
                    }
                    if accept(slot) {
                        let karney = || center.geodesic_distance_m(self.lonlat[run.position(leaf)]);
                        let distance_m = origin.distance_by_chord2_m(xyz, chord2, karney);
                        if distance_m <= radius_m {
                            hits.push(Hit { slot, distance_m });
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Pushes every accepted position inside the box (edges included) onto `slots`, in no
    /// order.
    pub(super) fn in_bbox(
        &self,
        bbox: &Bbox,
        accept: &mut impl FnMut(u32) -> bool,
        checkpoint: &Checkpoint<'_>,
        slots: &mut Vec<u32>,
    ) -> Result<(), Stopped> {
        let tree = &self.planar;
        for (lo, hi) in bbox.rectangles() {
            let meets = |b: [[f32; 2]; 2]| (0..2).all(|d| f64::from(b[0][d]) <= hi[d] && f64::from(b[1][d]) >= lo[d]);
            let mut stack: Vec<(usize, usize)> = tree.root().into_iter().collect();
            while let Some((level, node)) = stack.pop() {
                if level > 0 {
                    let below = tree.children_boxes(level, node);
                    let near = tree.children(level, node).filter(|&c| meets(below.get(c - node * NODE)));
                    stack.extend(near.map(|c| (level - 1, c)));
                    continue;
                }
                for p in tree.children(0, node) {
                    let (lon, lat) = (self.lonlat[p].lon(), self.lonlat[p].lat());
                    if !(lo[0] <= lon && lon <= hi[0] && lo[1] <= lat && lat <= hi[1]) {
                        continue;
                    }
                    if checkpoint.tick() {
                        return Err(Stopped);
                    }
                    if accept(self.slots[p]) {
                        slots.push(self.slots[p]);
                    }
                }
            }
        }
        Ok(())
    }

    /// Pushes every accepted position inside one of `parts` (boundary included) onto
    /// `slots`, each once, in no order: one walk for all parts, into nodes whose box touches
    /// a part's box.
    pub(super) fn in_polygon(
        &self,
        parts: &Parts<'_>,
        accept: &mut impl FnMut(u32) -> bool,
        checkpoint: &Checkpoint<'_>,
        slots: &mut Vec<u32>,
    ) -> Result<(), Stopped> {
        let tree = &self.planar;
        let mut stack: Vec<(usize, usize)> = Vec::new();
        if let Some((level, node)) = tree.root() {
            if checkpoint.tick() {
                return Err(Stopped);
            }
            if parts.touch(&envelope(&tree.bounds(level, node))) {
                stack.push((level, node));
            }
        }
        while let Some((level, node)) = stack.pop() {
            if level > 0 {
                for child in tree.children(level, node) {
                    if checkpoint.tick() {
                        return Err(Stopped);
                    }
                    if parts.touch(&envelope(&tree.bounds(level - 1, child))) {
                        stack.push((level - 1, child));
                    }
                }
                continue;
            }
            for p in tree.children(0, node) {
                if checkpoint.tick() {
                    return Err(Stopped);
                }
                if parts.contain([self.lonlat[p].lon(), self.lonlat[p].lat()]) && accept(self.slots[p]) {
                    slots.push(self.slots[p]);
                }
            }
        }
        Ok(())
    }
}
