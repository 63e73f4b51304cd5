//! The catalog: every live provider by id plus the spatial index, published as immutable
//! snapshots. Readers take the current snapshot (one atomic load) and never wait for a
//! writer; a writer builds the next snapshot beside it and swaps it in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use geo::MultiPolygon;
use unicode_normalization::UnicodeNormalization;

use crate::domain::{Bbox, District, Kind, LonLat, Provider, ServiceSet, district_of};
use crate::index::{Hit, SpatialIndex};

/// Which providers a query wants. Every condition must hold; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Any of these kinds.
    pub kinds: Option<Vec<Kind>>,
    /// Offers at least one of these services (empty: any).
    pub services: ServiceSet,
    /// In this district (id).
    pub district: Option<String>,
    /// Takes new clients (`Some(true)`), or explicitly does not (`Some(false)`).
    pub accepting: Option<bool>,
    /// Does home medical care (在宅医療: a 在宅療養支援 class, 往診 or 訪問診療).
    pub home_care: Option<bool>,
    /// Offers 24-hour home medical care.
    pub available_24h: Option<bool>,
    /// Text that must appear in the name, kana or address (normalised, kana-insensitive).
    pub text: Option<String>,
}

/// A provider with what caremap derives from it for fast filtering.
#[derive(Debug)]
pub struct Entry {
    /// The provider as stored.
    pub provider: Provider,
    services: ServiceSet,
    search_key: String,
}

impl Entry {
    fn new(provider: Provider) -> Self {
        let services = provider.service_set();
        let search_key = search_key(
            [Some(&provider.name), provider.name_kana.as_ref(), provider.address.as_ref()].into_iter().flatten(),
        );
        Self { provider, services, search_key }
    }
}

/// Folds text for search: NFKC (full-width to half-width), lower case, hiragana to katakana,
/// and no spaces, so 「さくら」 finds 「サクラ」 and 「１丁目」 finds 「1丁目」.
pub fn normalize_text(s: &str) -> String {
    s.nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

fn search_key<'a>(parts: impl Iterator<Item = &'a String>) -> String {
    parts.map(|s| normalize_text(s)).collect::<Vec<_>>().join("\u{1f}")
}

/// A compiled [`Filter`] for the index walk.
struct Matcher<'f> {
    filter: &'f Filter,
    text: Option<String>,
}

impl<'f> Matcher<'f> {
    fn new(filter: &'f Filter) -> Self {
        let text = filter.text.as_deref().map(normalize_text).filter(|t| !t.is_empty());
        Self { filter, text }
    }

    fn matches(&self, e: &Entry) -> bool {
        let f = self.filter;
        let p = &e.provider;
        let home = p.home_care.unwrap_or_default();
        f.kinds.as_ref().is_none_or(|ks| ks.contains(&p.kind))
            && (f.services.is_empty() || e.services.intersects(f.services))
            && f.district.as_ref().is_none_or(|d| p.district.as_ref() == Some(d))
            && f.accepting.is_none_or(|a| p.accepting == Some(a))
            && f.home_care.is_none_or(|h| home.any() == h)
            && f.available_24h.is_none_or(|h| home.available_24h == h)
            && self.text.as_ref().is_none_or(|t| e.search_key.contains(t.as_str()))
    }
}

/// A provider found by a query, with its geodesic distance where the query had a point.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// The provider.
    pub provider: &'a Provider,
    /// WGS84 geodesic distance from the query point, metres.
    pub distance_m: Option<f64>,
}

/// One immutable state of the catalog.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    slots: Vec<Option<Arc<Entry>>>,
    by_id: HashMap<String, u32>,
    index: SpatialIndex,
    districts: Arc<Vec<District>>,
}

impl Snapshot {
    /// Builds a snapshot from scratch (one bulk load of the index).
    pub fn build(providers: Vec<Provider>, districts: Arc<Vec<District>>) -> Self {
        let slots: Vec<Option<Arc<Entry>>> = providers.into_iter().map(|p| Some(Arc::new(Entry::new(p)))).collect();
        let by_id = slots
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| (e.provider.id.clone(), slot_u32(i))))
            .collect();
        let index = SpatialIndex::bulk_load(
            slots.iter().enumerate().filter_map(|(i, e)| e.as_ref().map(|e| (slot_u32(i), e.provider.location))),
        );
        Self { slots, by_id, index, districts }
    }

    /// Number of live providers.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are no providers.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
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
    pub fn get(&self, id: &str) -> Option<&Provider> {
        self.by_id.get(id).and_then(|&s| self.entry(s)).map(|e| &e.provider)
    }

    fn entry(&self, slot: u32) -> Option<&Entry> {
        self.slots.get(slot as usize).and_then(|e| e.as_deref())
    }

    fn accept<'s>(&'s self, m: &'s Matcher<'_>) -> impl Fn(u32) -> bool + 's {
        move |slot| self.entry(slot).is_some_and(|e| m.matches(e))
    }

    fn found_hits(&self, hits: Vec<Hit>) -> Vec<Found<'_>> {
        hits.into_iter()
            .filter_map(|h| self.entry(h.slot).map(|e| Found { provider: &e.provider, distance_m: Some(h.distance_m) }))
            .collect()
    }

    fn found_slots(&self, slots: Vec<u32>) -> Vec<Found<'_>> {
        let mut found: Vec<Found<'_>> = slots
            .into_iter()
            .filter_map(|s| self.entry(s).map(|e| Found { provider: &e.provider, distance_m: None }))
            .collect();
        found.sort_unstable_by(|a, b| a.provider.id.cmp(&b.provider.id));
        found
    }

    /// The `k` nearest matching providers by geodesic distance, nearest first.
    pub fn nearest(&self, from: LonLat, k: usize, max_distance_m: Option<f64>, filter: &Filter) -> Vec<Found<'_>> {
        let m = Matcher::new(filter);
        self.found_hits(self.index.nearest(from, k, max_distance_m, self.accept(&m)))
    }

    /// Matching providers within `radius_m` (geodesic) of `center`, nearest first.
    pub fn within_radius(&self, center: LonLat, radius_m: f64, filter: &Filter) -> Vec<Found<'_>> {
        let m = Matcher::new(filter);
        self.found_hits(self.index.within_radius(center, radius_m, self.accept(&m)))
    }

    /// Matching providers inside the box, by id.
    pub fn in_bbox(&self, bbox: &Bbox, filter: &Filter) -> Vec<Found<'_>> {
        let m = Matcher::new(filter);
        self.found_slots(self.index.in_bbox(bbox, self.accept(&m)))
    }

    /// Matching providers inside the area (boundary included), by id.
    pub fn in_area(&self, area: &MultiPolygon<f64>, filter: &Filter) -> Vec<Found<'_>> {
        let m = Matcher::new(filter);
        self.found_slots(self.index.in_polygon(area, self.accept(&m)))
    }

    /// Every matching provider, by id.
    pub fn all(&self, filter: &Filter) -> Vec<Found<'_>> {
        let m = Matcher::new(filter);
        let slots = self.slots.iter().enumerate().filter(|(_, e)| e.as_ref().is_some_and(|e| m.matches(e)));
        self.found_slots(slots.map(|(i, _)| slot_u32(i)).collect())
    }

    /// Every live provider, in no particular order.
    pub fn providers(&self) -> impl Iterator<Item = &Provider> {
        self.slots.iter().flatten().map(|e| &e.provider)
    }

    fn upsert(&mut self, provider: Provider) {
        if let Some(slot) = self.by_id.get(&provider.id).copied() {
            if let Some(old) = self.slots[slot as usize].take() {
                self.index.remove(slot, old.provider.location);
            }
            self.index.insert(slot, provider.location);
            self.slots[slot as usize] = Some(Arc::new(Entry::new(provider)));
        } else {
            let slot = slot_u32(self.slots.len());
            self.index.insert(slot, provider.location);
            self.by_id.insert(provider.id.clone(), slot);
            self.slots.push(Some(Arc::new(Entry::new(provider))));
        }
    }

    fn remove(&mut self, id: &str) {
        if let Some(slot) = self.by_id.remove(id)
            && let Some(old) = self.slots[slot as usize].take()
        {
            self.index.remove(slot, old.provider.location);
        }
    }
}

fn slot_u32(i: usize) -> u32 {
    u32::try_from(i).expect("more than u32::MAX providers")
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
}

impl Catalog {
    /// A catalog holding `providers` and `districts`.
    pub fn new(providers: Vec<Provider>, districts: Vec<District>) -> Self {
        Self { current: ArcSwap::from_pointee(Snapshot::build(providers, Arc::new(districts))), writer: Mutex::new(()) }
    }

    /// The current snapshot. Cheap; never blocks.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Applies committed changes and publishes the result. Readers keep the snapshot they
    /// hold; new readers see all of `changes` or none of them. Large batches rebuild the
    /// index in one bulk load instead of inserting one by one.
    pub fn apply(&self, changes: Vec<Change>) {
        let _guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.current.load_full();
        let next = if changes.len() > 1_000 && changes.len() > current.len() / 4 {
            let mut by_id: HashMap<String, Provider> = current.providers().map(|p| (p.id.clone(), p.clone())).collect();
            for change in changes {
                match change {
                    Change::Upsert(p) => by_id.insert(p.id.clone(), *p),
                    Change::Remove(id) => by_id.remove(&id),
                };
            }
            let mut providers: Vec<Provider> = by_id.into_values().collect();
            providers.sort_unstable_by(|a, b| a.id.cmp(&b.id));
            Snapshot::build(providers, current.districts.clone())
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
        self.current.store(Arc::new(next));
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
    use crate::domain::HomeCare;

    fn provider(id: &str, kind: Kind, lon: f64, lat: f64, services: &[&str]) -> Provider {
        Provider {
            id: id.into(),
            kind,
            official_code: None,
            name: format!("さくら{id}"),
            name_kana: None,
            services: services.iter().map(|s| s.to_string()).collect(),
            home_care: (kind != Kind::Care).then(|| HomeCare {
                available_24h: true,
                home_visits: true,
                ..HomeCare::default()
            }),
            address: Some("千葉県流山市平和台１丁目".into()),
            phone: None,
            fax: None,
            url: None,
            corporation: None,
            corporate_number: None,
            capacity: None,
            open_days: None,
            notes: None,
            accepting: Some(id != "b"),
            accepting_updated_at: None,
            location: LonLat::new(lon, lat).unwrap(),
            district: Some(if lat > 35.86 { "north" } else { "south" }.into()),
            version: 1,
            updated_at: "2026-01-01T00:00:00Z".into(),
            updated_by: "test".into(),
        }
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
            .map(|f| f.provider.id.clone())
            .collect();
        assert_eq!(ids, ["b", "a"]);
    }

    #[test]
    fn each_filter_condition_narrows_the_result() {
        let snap = catalog().snapshot();
        let ids = |f: Filter| snap.all(&f).iter().map(|x| x.provider.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(Filter { services: ServiceSet::parse(["430"]).unwrap(), ..Filter::default() }), ["b"]);
        assert_eq!(ids(Filter { accepting: Some(false), ..Filter::default() }), ["b"]);
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
    fn a_reader_keeps_its_snapshot_while_a_writer_publishes_the_next() {
        let catalog = catalog();
        let before = catalog.snapshot();
        catalog.apply(vec![
            Change::Remove("a".into()),
            Change::Upsert(Box::new(provider("d", Kind::Care, 139.93, 35.88, &[]))),
        ]);
        let after = catalog.snapshot();
        assert!(before.get("a").is_some() && before.get("d").is_none());
        assert!(after.get("a").is_none() && after.get("d").is_some());
        assert_eq!(after.nearest(LonLat::new(139.90, 35.85).unwrap(), 10, None, &Filter::default()).len(), 3);
    }

    #[test]
    fn moving_a_provider_moves_it_in_the_index() {
        let catalog = catalog();
        catalog.apply(vec![Change::Upsert(Box::new(provider("a", Kind::Care, 139.95, 35.90, &["130"])))]);
        let snap = catalog.snapshot();
        let near = snap.nearest(LonLat::new(139.95, 35.90).unwrap(), 1, None, &Filter::default());
        assert_eq!(near[0].provider.id, "a");
        assert!(near[0].distance_m.unwrap() < 0.01);
    }
}
