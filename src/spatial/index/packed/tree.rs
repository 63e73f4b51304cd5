//! The box hierarchy of a packed tree, with each node's children stored side by side.
//!
//! A node's children are the [`NODE`] consecutive boxes of the level below, so the level keeps
//! them as one [`Siblings`] group per parent: each corner coordinate of the sixteen boxes in an
//! array of its own. The k-NN and radius walks measure all the children of a node at once in
//! one loop over the sixteen lanes, which the compiler turns into vector instructions.

use std::ops::Range;

use rstar::AABB;

/// Children per node: boxes per inner node, positions per node of level 0.
pub(super) const NODE: usize = 16;

/// A box as its `[min, max]` corners, rounded outward from the `f64` positions it holds.
pub(super) type Bounds<const D: usize> = [[f32; D]; 2];

/// The largest `f32` not above `x`.
pub(super) fn down(x: f64) -> f32 {
    let r = x as f32;
    if f64::from(r) > x { r.next_down() } else { r }
}

/// The smallest `f32` not below `x`.
pub(super) fn up(x: f64) -> f32 {
    let r = x as f32;
    if f64::from(r) < x { r.next_up() } else { r }
}

/// The boxes of up to [`NODE`] siblings, one array per corner coordinate. A lane past the
/// last sibling holds the empty box (`+∞` below, `−∞` above), which meets nothing and is
/// infinitely far from every point; callers still look only at the lanes of real children.
#[derive(Debug, Clone)]
pub(super) struct Siblings<const D: usize> {
    lo: [[f32; NODE]; D],
    hi: [[f32; NODE]; D],
}

impl<const D: usize> Siblings<D> {
    /// The group of `boxes` (at most [`NODE`]), in lanes `0..boxes.len()`.
    pub(super) fn new(boxes: &[Bounds<D>]) -> Self {
        debug_assert!(boxes.len() <= NODE);
        let mut group = Self { lo: [[f32::INFINITY; NODE]; D], hi: [[f32::NEG_INFINITY; NODE]; D] };
        for (lane, [lo, hi]) in boxes.iter().enumerate() {
            for d in 0..D {
                group.lo[d][lane] = lo[d];
                group.hi[d][lane] = hi[d];
            }
        }
        group
    }

    /// The box in `lane`.
    pub(super) fn get(&self, lane: usize) -> Bounds<D> {
        [std::array::from_fn(|d| self.lo[d][lane]), std::array::from_fn(|d| self.hi[d][lane])]
    }
}

/// `a` or `b`, whichever is larger, for numbers that are never NaN: the comparison compiles
/// to one vector `max`, where `f64::max` adds the NaN handling it does not need.
#[inline(always)]
fn larger(a: f64, b: f64) -> f64 {
    if a > b { a } else { b }
}

impl Siblings<3> {
    /// The squared distance from `p` to each box, lane by lane, never above the squared chord
    /// from `p` to a point in that box: each gap `lo − x` is computed like the chord's `q − x`
    /// with `lo ≤ q`, and rounding is monotonic. The same value, bit for bit, as measuring each
    /// box alone (the tests' `distance2`).
    #[inline]
    pub(super) fn distances2(&self, p: &[f64; 3]) -> [f64; NODE] {
        let mut sum = [0.0; NODE];
        for ((lo, hi), &x) in self.lo.iter().zip(&self.hi).zip(p) {
            for lane in 0..NODE {
                let gap = larger(larger(f64::from(lo[lane]) - x, x - f64::from(hi[lane])), 0.0);
                sum[lane] += gap * gap;
            }
        }
        sum
    }
}

/// Squared distance from `p` to one box, as the walks measured it before the boxes were
/// grouped: the reference [`Siblings::distances2`] is tested against.
#[cfg(test)]
pub(super) fn distance2(b: &Bounds<3>, p: &[f64; 3]) -> f64 {
    let mut sum = 0.0;
    for ((lo, hi), x) in b[0].iter().zip(&b[1]).zip(p) {
        let gap = (f64::from(*lo) - x).max(x - f64::from(*hi)).max(0.0);
        sum += gap * gap;
    }
    sum
}

/// The box hierarchy over a run of `leaves` positions.
#[derive(Debug, Clone, Default)]
pub(super) struct Tree<const D: usize> {
    leaves: usize,
    /// `levels[0]` bounds positions `i·NODE..`, `levels[l]` nodes `i·NODE..` of level
    /// `l − 1`; the last level holds the root alone. No levels when the run is empty.
    levels: Vec<Level<D>>,
}

/// The boxes of one level: box `i` is lane `i % NODE` of group `i / NODE`, so group `n`
/// holds the children of node `n` of the level above.
#[derive(Debug, Clone)]
struct Level<const D: usize> {
    len: usize,
    groups: Vec<Siblings<D>>,
}

impl<const D: usize> Level<D> {
    fn new(boxes: &[Bounds<D>]) -> Self {
        Self { len: boxes.len(), groups: boxes.chunks(NODE).map(Siblings::new).collect() }
    }
}

impl<const D: usize> Tree<D> {
    /// Boxes over positions `0..leaves`, position `j` being at `point(j)`.
    pub(super) fn build(leaves: usize, point: impl Fn(usize) -> [f64; D]) -> Self {
        let mut levels = Vec::new();
        if leaves == 0 {
            return Self { leaves, levels };
        }
        let mut level: Vec<Bounds<D>> = (0..leaves.div_ceil(NODE))
            .map(|node| {
                let (mut lo, mut hi) = ([f64::INFINITY; D], [f64::NEG_INFINITY; D]);
                for j in node * NODE..((node + 1) * NODE).min(leaves) {
                    for ((lo, hi), x) in lo.iter_mut().zip(&mut hi).zip(point(j)) {
                        *lo = lo.min(x);
                        *hi = hi.max(x);
                    }
                }
                [lo.map(down), hi.map(up)]
            })
            .collect();
        while level.len() > 1 {
            let parents: Vec<Bounds<D>> = level.chunks(NODE).map(union).collect();
            levels.push(Level::new(&level));
            level = parents;
        }
        levels.push(Level::new(&level));
        Self { leaves, levels }
    }

    /// The root as `(level, node)`, none when the run is empty.
    pub(super) fn root(&self) -> Option<(usize, usize)> {
        self.levels.len().checked_sub(1).map(|top| (top, 0))
    }

    /// The children of a node: node numbers on the level below, or positions on level 0.
    pub(super) fn children(&self, level: usize, node: usize) -> Range<usize> {
        let below = if level == 0 { self.leaves } else { self.levels[level - 1].len };
        node * NODE..((node + 1) * NODE).min(below)
    }

    /// The boxes of the children of inner node `node` on `level` (≥ 1): child `c` (of
    /// [`Tree::children`]) is lane `c − node·NODE`.
    pub(super) fn children_boxes(&self, level: usize, node: usize) -> &Siblings<D> {
        &self.levels[level - 1].groups[node]
    }

    /// The box of node `node` on `level`.
    pub(super) fn bounds(&self, level: usize, node: usize) -> Bounds<D> {
        self.levels[level].groups[node / NODE].get(node % NODE)
    }
}

fn union<const D: usize>(boxes: &[Bounds<D>]) -> Bounds<D> {
    let mut out = [[f32::INFINITY; D], [f32::NEG_INFINITY; D]];
    for [lo, hi] in boxes {
        for (o, x) in out[0].iter_mut().zip(lo) {
            *o = o.min(*x);
        }
        for (o, x) in out[1].iter_mut().zip(hi) {
            *o = o.max(*x);
        }
    }
    out
}

/// A 2-D box as rstar's envelope.
pub(super) fn envelope(b: &Bounds<2>) -> AABB<[f64; 2]> {
    AABB::from_corners(b[0].map(f64::from), b[1].map(f64::from))
}
