//! What every layout of the index walks with: the stop checkpoint, the k best hits so far, and
//! the parts of a MultiPolygon with a tree of their boxes.

use std::cell::Cell;

use geo::{BoundingRect, Intersects, MultiPolygon, Point, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, Envelope, RTree};

use super::{Hit, Stop, Stopped};

/// Counts candidates and asks the [`Stop`] every [`Stop::EVERY`] of them.
pub(super) struct Checkpoint<'s> {
    stop: &'s Stop,
    seen: Cell<u32>,
    stopped: Cell<bool>,
}

impl<'s> Checkpoint<'s> {
    pub(super) fn new(stop: &'s Stop) -> Self {
        Self { stop, seen: Cell::new(0), stopped: Cell::new(false) }
    }

    /// Counts one candidate; whether the walk must stop.
    pub(super) fn tick(&self) -> bool {
        let seen = self.seen.get().wrapping_add(1);
        self.seen.set(seen);
        if seen.is_multiple_of(Stop::EVERY) && !self.stopped.get() && self.stop.now() {
            self.stopped.set(true);
        }
        self.stopped.get()
    }

    pub(super) fn result<T>(&self, value: T) -> Result<T, Stopped> {
        if self.stopped.get() { Err(Stopped) } else { Ok(value) }
    }
}

/// The k best hits so far, nearest first, ties by slot; k is small (≤ 100), so a sorted Vec
/// beats a heap.
pub(super) struct TopK {
    k: usize,
    max_m: f64,
    pub(super) hits: Vec<Hit>,
}

impl TopK {
    /// Room for `k` hits no farther than `max_m` metres.
    pub(super) fn new(k: usize, max_m: f64) -> Self {
        Self { k, max_m, hits: Vec::with_capacity(k + 1) }
    }

    /// Distance a candidate must not exceed to matter.
    pub(super) fn bound(&self) -> f64 {
        if self.hits.len() == self.k { self.hits[self.k - 1].distance_m } else { self.max_m }
    }

    /// The square of [`TopK::bound`], what squared chords and box distances compare with.
    pub(super) fn bound2(&self) -> f64 {
        let bound = self.bound();
        bound * bound
    }

    pub(super) fn offer(&mut self, hit: Hit) {
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

/// The parts of a MultiPolygon with an R-tree of their bounding boxes.
pub(super) struct Parts<'a> {
    polygons: Vec<&'a Polygon<f64>>,
    boxes: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    /// The box around every part: most nodes and points a walk meets fall outside it, and
    /// two comparisons settle them without a query of `boxes`.
    extent: AABB<[f64; 2]>,
}

impl<'a> Parts<'a> {
    pub(super) fn new(area: &'a MultiPolygon<f64>) -> Self {
        let mut polygons = Vec::with_capacity(area.0.len());
        let mut boxes = Vec::with_capacity(area.0.len());
        for polygon in &area.0 {
            let Some(rect) = polygon.bounding_rect() else { continue };
            let corners = Rectangle::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
            boxes.push(GeomWithData::new(corners, polygons.len()));
            polygons.push(polygon);
        }
        let boxes = RTree::bulk_load(boxes);
        let extent = boxes.root().envelope();
        Self { polygons, boxes, extent }
    }

    /// Whether some part's box touches the lon/lat box `envelope`: a tree node worth entering.
    pub(super) fn touch(&self, envelope: &AABB<[f64; 2]>) -> bool {
        self.extent.intersects(envelope) && self.boxes.locate_in_envelope_intersecting(*envelope).next().is_some()
    }

    /// Whether the point is in some part (boundary included); only parts whose box holds it
    /// are tested.
    pub(super) fn contain(&self, [x, y]: [f64; 2]) -> bool {
        if !self.extent.contains_point(&[x, y]) {
            return false;
        }
        let point = Point::new(x, y);
        self.boxes
            .locate_in_envelope_intersecting(AABB::from_point([x, y]))
            .any(|b| self.polygons[b.data].intersects(&point))
    }
}
