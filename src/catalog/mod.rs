//! The catalog: every live provider by id plus the spatial index, published as immutable
//! snapshots. Readers take the current snapshot (one atomic load) and never wait for a
//! writer; a writer builds the next snapshot beside it and swaps it in.
//!
//! A snapshot is a large base segment, bulk-loaded and shared by every snapshot until the next
//! compaction, plus a small delta segment holding recent writes and the set of base slots they
//! hide. A write copies only the delta (bounded by [`Snapshot::delta_limit`]), so its cost does
//! not grow with the catalog; when the delta is full, the writer rebuilds the base in one bulk
//! load. Queries ask both segments and merge the answers.

mod filter;
mod intern;
mod load;
mod rebuilder;
pub mod reclaim;
mod record;
mod segment;
mod sort;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use geo::MultiPolygon;

use crate::cql::IndexHint;
use crate::domain::{Bbox, District, LonLat, Provider, ProviderFields, district_of};
use crate::spatial::index::{Cores, Hit, Stop, Stopped};

pub use crate::domain::normalize_text;
pub use filter::Filter;
use filter::Matcher;
pub use record::Record;
use segment::{Base, Delta, slot_u32};
pub use sort::{SORTABLE, SortBy};

/// A provider found by a query, with its geodesic distance where the query had a point.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// The provider, read in place (see [`ProviderFields`]; `to_provider()` for an owned copy).
    pub provider: &'a Record,
    /// WGS84 geodesic distance from the query point, metres.
    pub distance_m: Option<f64>,
}

/// One immutable state of the catalog.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    base: Arc<Base>,
    delta: Delta,
    /// Base slots replaced or removed by the delta.
    hidden: HashSet<u32>,
    districts: Arc<Vec<District>>,
    /// The seq of the last change of the feed this snapshot holds (0: none).
    seq: i64,
}

impl Snapshot {
    /// Builds a snapshot from records (sorted here unless already in id order).
    fn from_entries(mut entries: Vec<Record>, districts: Arc<Vec<District>>) -> Self {
        if !entries.is_sorted_by(|a, b| a.id() <= b.id()) {
            entries.sort_unstable_by(|a, b| a.id().cmp(b.id()));
        }
        let base = Arc::new(Base::from_records(entries, Cores::All));
        Self { base, delta: Delta::default(), hidden: HashSet::new(), districts, seq: 0 }
    }

    /// The seq of the last change of the feed this snapshot holds: every committed change up
    /// to it, none after it.
    pub fn applied_seq(&self) -> i64 {
        self.seq
    }

    /// How many changed providers the delta may hold before the base is rebuilt: small enough
    /// that copying the delta on each write stays cheap, large enough that rebuilds are rare.
    pub fn delta_limit(&self) -> usize {
        (self.base.len() / 8).clamp(64, 4096)
    }

    /// Number of live providers.
    pub fn len(&self) -> usize {
        self.base.len() - self.hidden.len() + self.delta.len()
    }

    /// Whether there are no providers.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The districts, in the order they were defined.
    pub fn districts(&self) -> &[District] {
        &self.districts
    }

    /// A district by id.
    pub fn district(&self, id: &str) -> Option<&District> {
        self.districts.iter().find(|d| d.id == id)
    }

    /// The district containing a position, if any.
    pub fn district_of(&self, p: LonLat) -> Option<&District> {
        district_of(&self.districts, p)
    }

    /// A provider by id.
    pub fn get(&self, id: &str) -> Option<&Record> {
        if let Some(slot) = self.delta.slot_of(id) {
            return self.delta.entry(slot);
        }
        let slot = self.base.slot_of(id)?;
        if self.hidden.contains(&slot) { None } else { self.base.entry(slot) }
    }

    /// The filter over base slots. Without conditions and hidden slots it accepts without
    /// touching the entries, which saves a cache miss per candidate on large catalogs.
    fn base_accept<'s>(&'s self, m: &'s Matcher<'_>) -> impl Fn(u32) -> bool + 's {
        let everything = m.accepts_all() && self.hidden.is_empty();
        move |slot| everything || (!self.hidden.contains(&slot) && self.base.entry(slot).is_some_and(|e| m.matches(e)))
    }

    fn delta_accept<'s>(&'s self, m: &'s Matcher<'_>) -> impl Fn(u32) -> bool + 's {
        move |slot| self.delta.entry(slot).is_some_and(|e| m.matches(e))
    }

    /// Both segments' hits as providers, nearest first (ties by id), at most `k`.
    fn merge_hits(&self, base: Vec<Hit>, delta: Vec<Hit>, k: usize) -> Vec<Found<'_>> {
        let mut all: Vec<(&Record, f64)> =
            base.into_iter().filter_map(|h| self.base.entry(h.slot).map(|e| (e, h.distance_m))).collect();
        if !delta.is_empty() {
            all.extend(delta.into_iter().filter_map(|h| self.delta.entry(h.slot).map(|e| (e, h.distance_m))));
            all.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.id().cmp(b.0.id())));
        }
        all.truncate(k);
        all.into_iter().map(|(provider, d)| Found { provider, distance_m: Some(d) }).collect()
    }

    /// Both segments' slots as providers, ordered by id.
    fn merge_slots(&self, base: Vec<u32>, delta: Vec<u32>) -> Vec<Found<'_>> {
        let mut found: Vec<Found<'_>> = base
            .into_iter()
            .filter_map(|s| self.base.entry(s))
            .chain(delta.into_iter().filter_map(|s| self.delta.entry(s)))
            .map(|e| Found { provider: e, distance_m: None })
            .collect();
        found.sort_unstable_by(|a, b| a.provider.id().cmp(b.provider.id()));
        found
    }

    /// The `k` nearest matching providers by geodesic distance, nearest first.
    pub fn nearest(&self, from: LonLat, k: usize, max_distance_m: Option<f64>, filter: &Filter) -> Vec<Found<'_>> {
        let m = Matcher::new(filter);
        let base = self.base.index.nearest(from, k, max_distance_m, filter.services, self.base_accept(&m));
        let delta = self.delta.index.nearest(from, k, max_distance_m, filter.services, self.delta_accept(&m));
        self.merge_hits(base, delta, k)
    }

    /// Matching providers within `radius_m` (geodesic) of `center`, nearest first.
    pub fn within_radius(&self, center: LonLat, radius_m: f64, filter: &Filter) -> Vec<Found<'_>> {
        self.within_radius_until(center, radius_m, filter, &Stop::never()).unwrap_or_default()
    }

    /// [`Snapshot::within_radius`], giving up when `stop` says so.
    ///
    /// # Errors
    /// [`Stopped`] when `stop` said so before the query finished.
    pub fn within_radius_until(
        &self,
        center: LonLat,
        radius_m: f64,
        filter: &Filter,
        stop: &Stop,
    ) -> Result<Vec<Found<'_>>, Stopped> {
        let m = Matcher::new(filter);
        let base =
            self.base.index.within_radius_until(center, radius_m, filter.services, self.base_accept(&m), stop)?;
        let delta =
            self.delta.index.within_radius_until(center, radius_m, filter.services, self.delta_accept(&m), stop)?;
        Ok(self.merge_hits(base, delta, usize::MAX))
    }

    /// Matching providers inside the box, by id.
    pub fn in_bbox(&self, bbox: &Bbox, filter: &Filter) -> Vec<Found<'_>> {
        self.in_bbox_until(bbox, filter, &Stop::never()).unwrap_or_default()
    }

    /// [`Snapshot::in_bbox`], giving up when `stop` says so.
    ///
    /// # Errors
    /// [`Stopped`] when `stop` said so before the query finished.
    pub fn in_bbox_until(&self, bbox: &Bbox, filter: &Filter, stop: &Stop) -> Result<Vec<Found<'_>>, Stopped> {
        let m = Matcher::new(filter);
        let base = self.base.index.in_bbox_until(bbox, self.base_accept(&m), stop)?;
        let delta = self.delta.index.in_bbox_until(bbox, self.delta_accept(&m), stop)?;
        Ok(self.merge_slots(base, delta))
    }

    /// Matching providers inside the area (boundary included), by id.
    pub fn in_area(&self, area: &MultiPolygon<f64>, filter: &Filter) -> Vec<Found<'_>> {
        self.in_area_until(area, filter, &Stop::never()).unwrap_or_default()
    }

    /// [`Snapshot::in_area`], giving up when `stop` says so.
    ///
    /// # Errors
    /// [`Stopped`] when `stop` said so before the query finished.
    pub fn in_area_until(
        &self,
        area: &MultiPolygon<f64>,
        filter: &Filter,
        stop: &Stop,
    ) -> Result<Vec<Found<'_>>, Stopped> {
        let m = Matcher::new(filter);
        let base = self.base.index.in_polygon_until(area, self.base_accept(&m), stop)?;
        let delta = self.delta.index.in_polygon_until(area, self.delta_accept(&m), stop)?;
        Ok(self.merge_slots(base, delta))
    }

    /// Every matching provider, by id.
    pub fn all(&self, filter: &Filter) -> Vec<Found<'_>> {
        self.all_until(filter, &Stop::never()).unwrap_or_default()
    }

    /// [`Snapshot::all`], giving up when `stop` says so.
    ///
    /// # Errors
    /// [`Stopped`] when `stop` said so before the query finished.
    pub fn all_until(&self, filter: &Filter, stop: &Stop) -> Result<Vec<Found<'_>>, Stopped> {
        let m = Matcher::new(filter);
        let (base_ok, delta_ok) = (self.base_accept(&m), self.delta_accept(&m));
        let (mut base, mut start, end) = (Vec::new(), 0, slot_u32(self.base.len()));
        while start < end {
            if stop.now() {
                return Err(Stopped);
            }
            let next = start.saturating_add(Stop::EVERY).min(end);
            base.extend((start..next).filter(|s| base_ok(*s)));
            start = next;
        }
        let delta = (0..self.delta.slots.len()).map(slot_u32).filter(|s| delta_ok(*s)).collect();
        Ok(self.merge_slots(base, delta))
    }

    /// Every matching provider, by id. When the filter's CQL expression has a spatial condition
    /// that every match meets ([`crate::cql::Expr::index_hint`]), the candidates come from the
    /// index (box, area or radius) and the expression decides on each; otherwise every entry
    /// is tested.
    ///
    /// # Errors
    /// [`Stopped`] when `stop` said so before the query finished.
    pub fn matching_until(&self, filter: &Filter, stop: &Stop) -> Result<Vec<Found<'_>>, Stopped> {
        match filter.cql.as_ref().and_then(|e| e.index_hint()) {
            Some(IndexHint::Bbox(b)) => self.in_bbox_until(&b, filter, stop),
            Some(IndexHint::Area(area)) => self.in_area_until(&area, filter, stop),
            Some(IndexHint::Radius(center, radius_m)) => {
                // The walk measures with the index's own formula (within 0.1 mm of Karney's);
                // a metre of margin leaves the boundary cases to the expression, which decides.
                let mut found = self.within_radius_until(center, radius_m + 1.0, filter, stop)?;
                found.sort_unstable_by(|a, b| a.provider.id().cmp(b.provider.id()));
                Ok(found.into_iter().map(|f| Found { distance_m: None, ..f }).collect())
            }
            None => self.all_until(filter, stop),
        }
    }

    /// Every live provider, in no particular order.
    pub fn providers(&self) -> impl Iterator<Item = &Record> {
        let base = self.base.records.iter().enumerate().filter(|(i, _)| !self.hidden.contains(&slot_u32(*i)));
        base.map(|(_, e)| e).chain(self.delta.slots.iter().flatten().map(|e| &**e))
    }

    fn upsert(&mut self, provider: Provider) {
        if let Some(slot) = self.base.slot_of(&provider.id) {
            self.hidden.insert(slot);
        }
        self.delta.upsert(provider);
    }

    fn remove(&mut self, id: &str) {
        if let Some(slot) = self.base.slot_of(id) {
            self.hidden.insert(slot);
        }
        self.delta.remove(id);
    }

    /// The same providers with everything in one freshly bulk-loaded base, after `changes`
    /// (applied in order). Unchanged providers' records are copied into the new base (one
    /// allocation and copy of the text block each, cheap beside the bulk load), so the old
    /// base shares nothing with the new one and is freed as a whole once no reader holds it.
    fn rebuilt(&self, changes: Vec<Change>) -> Self {
        let mut changed: HashMap<String, Option<Provider>> = HashMap::with_capacity(changes.len());
        for change in changes {
            match change {
                Change::Upsert(p) => changed.insert(p.id.clone(), Some(*p)),
                Change::Remove(id) => changed.insert(id, None),
            };
        }
        let by_id = |a: &Record, b: &Record| a.id().cmp(b.id());
        // Base slots are in id order already; only the (smaller) rest needs sorting. The base's
        // records are copied as the merge takes them, straight into the new base's vector.
        let base = (self.base.records.iter().enumerate())
            .filter(|(i, e)| !self.hidden.contains(&slot_u32(*i)) && !changed.contains_key(e.id()))
            .map(|(_, e)| e.clone());
        let mut rest: Vec<Record> = (self.delta.slots.iter().flatten())
            .filter(|e| !changed.contains_key(e.id()))
            .map(|e| Record::clone(e))
            .collect();
        rest.extend(changed.values().flatten().map(Record::new));
        rest.sort_unstable_by(by_id);
        let entries = merge_sorted(base, self.base.len() + rest.len(), rest, by_id);
        let base = Arc::new(Base::from_records(entries, Cores::One));
        Self { base, delta: Delta::default(), hidden: HashSet::new(), districts: self.districts.clone(), seq: self.seq }
    }
}

/// Merges two sorted lists into one sorted list, reserving `capacity` (an upper bound of the
/// length, so the list is never moved while it grows).
fn merge_sorted<T>(
    a: impl Iterator<Item = T>,
    capacity: usize,
    b: Vec<T>,
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> Vec<T> {
    let mut out = Vec::with_capacity(capacity);
    let (mut a, mut b) = (a.peekable(), b.into_iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        let next = if cmp(x, y).is_le() { a.next() } else { b.next() };
        out.extend(next);
    }
    out.extend(a);
    out.extend(b);
    out
}

/// A change to apply to the catalog after it was committed to the store.
#[derive(Debug, Clone)]
pub enum Change {
    /// Insert or replace the provider with this id.
    Upsert(Box<Provider>),
    /// Remove the provider with this id (soft-deleted or purged in the store).
    Remove(String),
}

/// The live catalog: the current snapshot, and a lock that serialises writers only.
#[derive(Debug, Default)]
pub struct Catalog {
    current: ArcSwap<Snapshot>,
    writer: Mutex<()>,
    /// Feed changes applied since the catalog was made (see [`Catalog::changes_applied`]).
    changes_applied: std::sync::atomic::AtomicU64,
}

impl Catalog {
    /// A catalog holding `providers` and `districts`.
    pub fn new(providers: Vec<Provider>, districts: Vec<District>) -> Self {
        let entries = providers.iter().map(Record::new).collect();
        Self {
            current: ArcSwap::from_pointee(Snapshot::from_entries(entries, Arc::new(districts))),
            writer: Mutex::new(()),
            changes_applied: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// A catalog of the providers `read` hands over in chunks, in id order, and `districts`.
    /// The entries are built on a second thread while `read` goes on (at start-up: while
    /// SQLite decodes the next rows), so the providers are never all held twice.
    ///
    /// # Errors
    /// What `read` returns; the catalog is not built then.
    pub fn load<E: Send>(
        districts: Vec<District>,
        read: impl FnOnce(&mut dyn FnMut(Vec<Provider>) -> Result<(), E>) -> Result<(), E>,
    ) -> Result<Self, E> {
        Self::load_with(
            districts,
            read,
            |chunk: Vec<Provider>, out| {
                chunk.iter().for_each(|p| out(Record::new(p)));
                Ok(())
            },
            |_| 0,
        )
    }

    /// A catalog of the providers in the chunks `read` hands over, in id order, each turned
    /// into records by `records` on other threads while `read` goes on: at start-up the
    /// store copies rows into a chunk while the records of the previous chunks are built from
    /// them in place, so no `Provider` is made and the providers are never all held twice.
    /// `rows_hint` tells from a chunk how many providers the whole read may hold (0: unknown).
    ///
    /// # Errors
    /// What `read` or `records` returns first; the catalog is not built then.
    pub fn load_with<C: Send, E: Send>(
        districts: Vec<District>,
        read: impl FnOnce(&mut dyn FnMut(C) -> Result<(), E>) -> Result<(), E>,
        records: impl Fn(C, &mut dyn FnMut(Record)) -> Result<(), E> + Sync,
        rows_hint: impl Fn(&C) -> usize + Sync,
    ) -> Result<Self, E> {
        let entries = load::records_in_order(read, records, rows_hint)?;
        let snapshot = Snapshot::from_entries(entries, Arc::new(districts));
        // The chunks, the builder thread's leftovers and the index's temporaries are freed.
        reclaim::now();
        Ok(Self {
            current: ArcSwap::from_pointee(snapshot),
            writer: Mutex::new(()),
            changes_applied: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The current snapshot. Cheap; never blocks.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The catalog as loaded from a store snapshot taken at feed seq `seq`.
    #[must_use]
    pub fn at_seq(self, seq: i64) -> Self {
        let mut snapshot = (*self.current.load_full()).clone();
        snapshot.seq = seq;
        self.current.store(Arc::new(snapshot));
        self
    }

    /// The seq of the last change of the feed applied (see [`Snapshot::applied_seq`]).
    pub fn applied_seq(&self) -> i64 {
        self.current.load().seq
    }

    /// How many feed changes [`Catalog::apply`] has applied since the catalog was made. Each
    /// seq is one change, so from a load at seq k this is `applied_seq() - k` exactly when no
    /// seq was applied twice or skipped.
    pub fn changes_applied(&self) -> u64 {
        self.changes_applied.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Applies the committed changes of the feed after [`Catalog::applied_seq`] up to and
    /// including `through_seq`, in seq order, and publishes the result. Readers keep the
    /// snapshot they hold; new readers see all of `changes` or none of them. Returns `false`
    /// (and changes nothing) when `through_seq` is applied already, so a change is never
    /// applied twice or after a later one. A batch larger than the delta limit, or one that
    /// fills the delta, leads to a rebuild of the base in one bulk load, after which the
    /// [`reclaim`] hook runs on this thread.
    ///
    /// The caller (the write door) guarantees that `changes` are exactly the feed's changes
    /// after the applied seq: it applies its own commit only when it directly follows, and
    /// otherwise catches up from the store.
    pub fn apply(&self, through_seq: i64, changes: Vec<Change>) -> bool {
        let guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.current.load_full();
        if through_seq <= current.seq {
            return false;
        }
        let limit = current.delta_limit();
        self.changes_applied.fetch_add(changes.len() as u64, std::sync::atomic::Ordering::Relaxed);
        let rebuild = current.delta.slots.len() + current.hidden.len() + changes.len() > limit;
        let next = if rebuild {
            let started = std::time::Instant::now();
            let base = current.clone();
            let next = rebuilder::run(move || base.rebuilt(changes));
            let rebuild_ms = started.elapsed().as_millis() as u64;
            tracing::info!(providers = next.len(), rebuild_ms, "catalog base rebuilt");
            next
        } else {
            let mut next = (*current).clone();
            for change in changes {
                match change {
                    Change::Upsert(p) => next.upsert(*p),
                    Change::Remove(id) => next.remove(&id),
                }
            }
            next
        };
        self.current.store(Arc::new(Snapshot { seq: through_seq, ..next }));
        drop(guard);
        if rebuild {
            // Freed there (unless a reader still holds it), where its base was built; the
            // hook's purge comes after its delay, by when the drop is long done.
            rebuilder::drop_there(current);
            reclaim::now();
        }
        true
    }

    /// Replaces the districts. Callers re-derive provider districts through [`Catalog::apply`].
    pub fn set_districts(&self, districts: Vec<District>) {
        let _guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = (*self.current.load_full()).clone();
        next.districts = Arc::new(districts);
        self.current.store(Arc::new(next));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{HomeCare, Kind, ServiceSet};
    use proptest::prelude::*;

    fn provider(id: &str, kind: Kind, lon: f64, lat: f64, services: &[&str]) -> Provider {
        Provider {
            services: services.iter().map(|s| s.to_string()).collect(),
            home_care: (kind != Kind::Care).then(|| HomeCare {
                available_24h: true,
                home_visits: true,
                ..HomeCare::default()
            }),
            address: Some("千葉県流山市平和台１丁目".into()),
            accepting: Some(crate::domain::Accepting::from_bool(id != "b")),
            district: Some(if lat > 35.86 { "north" } else { "south" }.into()),
            updated_at: "2026-01-01T00:00:00Z".into(),
            updated_by: "test".into(),
            ..Provider::new(id.into(), kind, format!("さくら{id}"), LonLat::new(lon, lat).unwrap())
        }
    }

    fn next_seq(catalog: &Catalog) -> i64 {
        catalog.applied_seq() + 1
    }

    fn catalog() -> Catalog {
        Catalog::new(
            vec![
                provider("a", Kind::Care, 139.90, 35.85, &["130"]),
                provider("b", Kind::Care, 139.91, 35.86, &["110", "430"]),
                provider("c", Kind::Clinic, 139.92, 35.87, &[]),
            ],
            vec![],
        )
    }

    #[test]
    fn filters_apply_during_the_walk_so_k_matches_come_back() {
        let snap = catalog().snapshot();
        let only_care = Filter { kinds: Some(vec![Kind::Care]), ..Filter::default() };
        let ids: Vec<_> = snap
            .nearest(LonLat::new(139.92, 35.87).unwrap(), 2, None, &only_care)
            .iter()
            .map(|f| f.provider.id().to_owned())
            .collect();
        assert_eq!(ids, ["b", "a"]);
    }

    #[test]
    fn each_filter_condition_narrows_the_result() {
        let snap = catalog().snapshot();
        let ids = |f: Filter| snap.all(&f).iter().map(|x| x.provider.id().to_owned()).collect::<Vec<_>>();
        assert_eq!(ids(Filter { services: ServiceSet::parse(["430"]).unwrap(), ..Filter::default() }), ["b"]);
        assert_eq!(ids(Filter { accepting: crate::domain::AcceptingSet::parse("no"), ..Filter::default() }), ["b"]);
        assert_eq!(ids(Filter { district: Some("north".into()), ..Filter::default() }), ["c"]);
        assert_eq!(ids(Filter { available_24h: Some(true), ..Filter::default() }), ["c"]);
        assert_eq!(ids(Filter { home_care: Some(true), ..Filter::default() }), ["c"]);
    }

    #[test]
    fn text_search_ignores_width_and_kana_type() {
        let snap = catalog().snapshot();
        let f = Filter { text: Some("サクラb".into()), ..Filter::default() };
        assert_eq!(snap.all(&f).len(), 1);
        let f = Filter { text: Some("平和台1丁目".into()), ..Filter::default() };
        assert_eq!(snap.all(&f).len(), 3);
    }

    #[test]
    fn a_catalog_loaded_in_chunks_answers_like_one_built_at_once() {
        let providers: Vec<Provider> = (0..50)
            .map(|i| provider(&format!("p{i:02}"), Kind::Care, 139.9 + f64::from(i) * 1e-3, 35.85, &["130"]))
            .collect();
        let chunks: Vec<Vec<Provider>> = providers.chunks(7).map(<[Provider]>::to_vec).collect();
        let loaded = Catalog::load(vec![], |each| chunks.into_iter().try_for_each(each)).unwrap_or_else(|()| panic!());
        let built = Catalog::new(providers, vec![]);
        let ids = |c: &Catalog, from: LonLat| -> Vec<String> {
            c.snapshot()
                .nearest(from, 10, None, &Filter::default())
                .iter()
                .map(|f| f.provider.id().to_owned())
                .collect()
        };
        let from = LonLat::new(139.92, 35.85).unwrap();
        assert_eq!(ids(&loaded, from), ids(&built, from));
        assert_eq!(loaded.snapshot().len(), 50);
        assert!(loaded.snapshot().get("p33").is_some());
    }

    #[test]
    fn a_failed_read_builds_no_catalog() {
        let result = Catalog::load(vec![], |each| {
            each(vec![provider("a", Kind::Care, 139.9, 35.85, &[])])?;
            Err("the disk went away")
        });
        assert_eq!(result.err(), Some("the disk went away"));
    }

    #[test]
    fn a_reader_keeps_its_snapshot_while_a_writer_publishes_the_next() {
        let catalog = catalog();
        let before = catalog.snapshot();
        catalog.apply(
            next_seq(&catalog),
            vec![Change::Remove("a".into()), Change::Upsert(Box::new(provider("d", Kind::Care, 139.93, 35.88, &[])))],
        );
        let after = catalog.snapshot();
        assert!(before.get("a").is_some() && before.get("d").is_none());
        assert!(after.get("a").is_none() && after.get("d").is_some());
        assert_eq!(after.nearest(LonLat::new(139.90, 35.85).unwrap(), 10, None, &Filter::default()).len(), 3);
    }

    #[test]
    fn a_batch_at_or_below_the_applied_seq_is_not_applied_again() {
        let catalog = catalog().at_seq(5);
        assert!(!catalog.apply(5, vec![Change::Remove("a".into())]));
        assert!(catalog.snapshot().get("a").is_some(), "seq 5 is applied already");
        assert!(catalog.apply(6, vec![Change::Remove("a".into())]));
        assert_eq!((catalog.applied_seq(), catalog.snapshot().get("a").is_none()), (6, true));
    }

    #[test]
    fn moving_a_provider_moves_it_in_the_index() {
        let catalog = catalog();
        catalog.apply(
            next_seq(&catalog),
            vec![Change::Upsert(Box::new(provider("a", Kind::Care, 139.95, 35.90, &["130"])))],
        );
        let snap = catalog.snapshot();
        let near = snap.nearest(LonLat::new(139.95, 35.90).unwrap(), 1, None, &Filter::default());
        assert_eq!(near[0].provider.id(), "a");
        assert!(near[0].distance_m.unwrap() < 0.01);
    }

    thread_local! {
        /// Runs of the reclaim hook on this thread (the catalog runs it on the caller's).
        static RECLAIMED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }

    fn count_reclaim() {
        RECLAIMED.with(|n| n.set(n.get() + 1));
    }

    #[test]
    fn the_load_and_each_rebuild_run_the_reclaim_hook_and_a_delta_write_does_not() {
        reclaim::install(count_reclaim);
        let reclaimed = || RECLAIMED.with(std::cell::Cell::get);
        let before = reclaimed();
        let seed = (0..10).map(|i| provider(&format!("p{i}"), Kind::Care, 139.9, 35.85, &[])).collect();
        let catalog = Catalog::load(vec![], |each| each(seed)).unwrap_or_else(|()| panic!());
        assert_eq!(reclaimed(), before + 1, "after the load");
        catalog.apply(next_seq(&catalog), vec![Change::Remove("p0".into())]);
        assert_eq!(reclaimed(), before + 1, "a write into the delta frees no base");
        let batch =
            (0..100).map(|i| Change::Upsert(Box::new(provider(&format!("q{i}"), Kind::Care, 139.9, 35.86, &[]))));
        catalog.apply(next_seq(&catalog), batch.collect());
        assert_eq!(reclaimed(), before + 2, "a batch over the delta limit rebuilds the base");
        let snap = catalog.snapshot();
        assert_eq!((snap.len(), snap.delta.len(), snap.base.len()), (109, 0, 109));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Upsert(u8, f64, f64),
        Remove(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u8..120, 139.80..140.0f64, 35.80..35.95f64).prop_map(|(i, lon, lat)| Op::Upsert(i, lon, lat)),
            1 => (0u8..120).prop_map(Op::Remove),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Through many single writes — across delta compactions — the catalog answers like a
        /// plain map of id → provider.
        #[test]
        fn single_writes_keep_the_catalog_equal_to_a_plain_model(ops in prop::collection::vec(op(), 1..400)) {
            let seed: Vec<Provider> = (0..20).map(|i| provider(&format!("p{i}"), Kind::Care, 139.9, 35.85 + f64::from(i) * 1e-3, &[])).collect();
            let mut model: std::collections::BTreeMap<String, Provider> = seed.iter().map(|p| (p.id.clone(), p.clone())).collect();
            let catalog = Catalog::new(seed, vec![]);
            for op in ops {
                match op {
                    Op::Upsert(i, lon, lat) => {
                        let p = provider(&format!("p{i}"), Kind::Care, lon, lat, &[]);
                        model.insert(p.id.clone(), p.clone());
                        catalog.apply(next_seq(&catalog), vec![Change::Upsert(Box::new(p))]);
                    }
                    Op::Remove(i) => {
                        model.remove(&format!("p{i}"));
                        catalog.apply(next_seq(&catalog), vec![Change::Remove(format!("p{i}"))]);
                    }
                }
                answers_like(&catalog.snapshot(), &model)?;
            }
        }

        /// Batches of writes, many larger than the delta limit (64 here) and naming one id more
        /// than once, rebuild the base in one go and still leave the catalog equal to the model
        /// with each batch's writes applied in order.
        #[test]
        fn batched_writes_keep_the_catalog_equal_to_a_plain_model(
            batches in prop::collection::vec(prop::collection::vec(op(), 1..200), 1..6)
        ) {
            let seed: Vec<Provider> = (0..20).map(|i| provider(&format!("p{i}"), Kind::Care, 139.9, 35.85 + f64::from(i) * 1e-3, &[])).collect();
            let mut model: std::collections::BTreeMap<String, Provider> = seed.iter().map(|p| (p.id.clone(), p.clone())).collect();
            let catalog = Catalog::new(seed, vec![]);
            for batch in batches {
                let mut changes = Vec::new();
                for op in batch {
                    match op {
                        Op::Upsert(i, lon, lat) => {
                            let p = provider(&format!("p{i}"), Kind::Care, lon, lat, &[]);
                            model.insert(p.id.clone(), p.clone());
                            changes.push(Change::Upsert(Box::new(p)));
                        }
                        Op::Remove(i) => {
                            model.remove(&format!("p{i}"));
                            changes.push(Change::Remove(format!("p{i}")));
                        }
                    }
                }
                catalog.apply(next_seq(&catalog), changes);
                answers_like(&catalog.snapshot(), &model)?;
            }
        }
    }

    /// The snapshot holds exactly the model's providers: count, listing, nearest, lookups.
    fn answers_like(
        snap: &Snapshot,
        model: &std::collections::BTreeMap<String, Provider>,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        prop_assert_eq!(snap.len(), model.len());
        let all: Vec<&str> = snap.all(&Filter::default()).iter().map(|f| f.provider.id()).collect();
        prop_assert_eq!(all, model.keys().map(String::as_str).collect::<Vec<_>>());
        let from = LonLat::new(139.9, 35.87).unwrap();
        let mut brute: Vec<(f64, &str)> =
            model.values().map(|p| (from.geodesic_distance_m(p.location), p.id.as_str())).collect();
        brute.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
        let near: Vec<&str> = snap.nearest(from, 5, None, &Filter::default()).iter().map(|f| f.provider.id()).collect();
        prop_assert_eq!(near, brute.iter().take(5).map(|b| b.1).collect::<Vec<_>>());
        for (id, p) in model {
            prop_assert_eq!(snap.get(id).map(Record::to_provider), Some(p.clone()));
        }
        Ok(())
    }
}
