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

/// The k-NN walk's queue: items by their squared lower bound, smallest first.
///
/// A binary min-heap, like `BinaryHeap<Reverse<…>>`, but sifting with the item held in
/// registers: std's heap writes a pushed item, then reads it back 16 bytes at a time across
/// two of its 8-byte writes, which the CPU cannot forward from the stores (perf put 14 % of a
/// nearest-10 walk on that read). Keys are finite (distances from finite coordinates), so
/// `<` orders them totally.
pub(super) struct Queue<T> {
    items: Vec<(f64, T)>,
}

impl<T: Copy> Queue<T> {
    /// An empty queue with room for `capacity` items.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Self { items: Vec::with_capacity(capacity) }
    }

    /// Adds `item` with key `lower2`.
    #[inline]
    pub(super) fn push(&mut self, lower2: f64, item: T) {
        let mut at = self.items.len();
        self.items.push((lower2, item));
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.items[parent].0 <= lower2 {
                break;
            }
            self.items[at] = self.items[parent];
            at = parent;
        }
        self.items[at] = (lower2, item);
    }

    /// Removes and returns the item with the smallest key.
    #[inline]
    pub(super) fn pop(&mut self) -> Option<(f64, T)> {
        let last = self.items.pop()?;
        let Some(&top) = self.items.first() else { return Some(last) };
        // Sift the last item down from the root, moving the smaller child up each step.
        let (len, mut at) = (self.items.len(), 0);
        loop {
            let left = 2 * at + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && self.items[right].0 < self.items[left].0 { right } else { left };
            if last.0 <= self.items[child].0 {
                break;
            }
            self.items[at] = self.items[child];
            at = child;
        }
        self.items[at] = last;
        Some(top)
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

#[cfg(test)]
mod tests {
    use super::Queue;
    use proptest::prelude::*;

    proptest! {
        /// Pops come out smallest key first whatever the pushes and pops in between (the same
        /// keys as a sorted list that took the same pushes and pops), each with the item it
        /// was pushed with, and every pushed item comes out once.
        #[test]
        fn the_queue_pops_the_smallest_key_first(ops in prop::collection::vec(prop::option::of(0u16..500), 0..300)) {
            let mut queue = Queue::with_capacity(4);
            let (mut model, mut pushed, mut popped) = (Vec::new(), Vec::new(), Vec::new());
            let mut check = |popped_now: Option<(f64, usize)>, model: &mut Vec<u16>, pushed: &[(usize, u16)]| {
                model.sort_unstable_by(|a, b| b.cmp(a));
                let expected = model.pop().map(f64::from);
                prop_assert_eq!(popped_now.map(|(key, _)| key), expected);
                if let Some((key, item)) = popped_now {
                    let with = pushed.iter().find(|(i, _)| *i == item).map(|(_, k)| f64::from(*k));
                    prop_assert_eq!(with, Some(key), "item {} came out with another key", item);
                    popped.push(item);
                }
                Ok(())
            };
            for (i, op) in ops.into_iter().enumerate() {
                match op {
                    Some(key) => {
                        queue.push(f64::from(key), i);
                        model.push(key);
                        pushed.push((i, key));
                    }
                    None => check(queue.pop(), &mut model, &pushed)?,
                }
            }
            while !model.is_empty() {
                check(queue.pop(), &mut model, &pushed)?;
            }
            prop_assert!(queue.pop().is_none());
            popped.sort_unstable();
            prop_assert_eq!(popped, pushed.iter().map(|(i, _)| *i).collect::<Vec<_>>());
        }
    }
}
