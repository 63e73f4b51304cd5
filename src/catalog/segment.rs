//! A segment: providers in slots, an id map and the spatial index over them. A snapshot is a
//! large bulk-loaded base segment (shared between snapshots) plus a small delta segment of
//! recent writes, so one write copies only the delta, never the whole catalog.

use std::collections::HashMap;
use std::sync::Arc;

use super::record::Record;
use crate::domain::{Provider, ProviderFields};
use crate::spatial::index::{Cores, SpatialIndex};

#[derive(Debug, Default, Clone)]
pub(super) struct Segment {
    pub(super) slots: Vec<Option<Arc<Record>>>,
    /// Slot by id, for a segment written to one provider at a time (the delta). A bulk-built
    /// segment (the base) leaves it empty and finds ids by binary search over its slots, which
    /// are in id order: a map of a million ids costs about 70 MB and a copy of every id.
    by_id: HashMap<String, u32>,
    /// Whether slots are in id order with none empty (bulk-built, never written to).
    sorted: bool,
    pub(super) index: SpatialIndex,
}

pub(super) fn slot_u32(i: usize) -> u32 {
    u32::try_from(i).expect("more than u32::MAX providers")
}

impl Segment {
    /// Builds a segment in one bulk load on `cores` from entries in id order, which may be
    /// shared with other segments (a rebuild reuses the entries of unchanged providers instead
    /// of copying them). Id order breaks distance ties by id, lets a rebuild merge instead of
    /// sort, and lets the segment find ids by binary search.
    pub(super) fn from_entries(entries: Vec<Arc<Record>>, cores: Cores) -> Self {
        debug_assert!(entries.is_sorted_by(|a, b| a.id() < b.id()), "entries in id order, ids unique");
        let index =
            SpatialIndex::bulk_load_with(entries.iter().enumerate().map(|(i, e)| e.index_entry(slot_u32(i))), cores);
        Self { slots: entries.into_iter().map(Some).collect(), by_id: HashMap::new(), sorted: true, index }
    }

    /// The slot of a provider by id.
    pub(super) fn slot_of(&self, id: &str) -> Option<u32> {
        if self.sorted {
            let found = self.slots.binary_search_by(|e| e.as_ref().map_or("", |e| e.id()).cmp(id));
            found.ok().map(slot_u32)
        } else {
            self.by_id.get(id).copied()
        }
    }

    pub(super) fn entry(&self, slot: u32) -> Option<&Record> {
        self.slots.get(slot as usize).and_then(|e| e.as_deref())
    }

    pub(super) fn len(&self) -> usize {
        if self.sorted { self.slots.len() } else { self.by_id.len() }
    }

    /// Inserts or replaces (by id). Only for a segment that is not bulk-built.
    pub(super) fn upsert(&mut self, provider: Provider) {
        debug_assert!(!self.sorted, "a bulk-built segment is never written to");
        if let Some(slot) = self.by_id.get(&provider.id).copied() {
            if let Some(old) = self.slots[slot as usize].take() {
                self.index.remove(old.index_entry(slot));
            }
            let entry = Record::new(&provider);
            self.index.insert(entry.index_entry(slot));
            self.slots[slot as usize] = Some(Arc::new(entry));
        } else {
            let slot = slot_u32(self.slots.len());
            let entry = Record::new(&provider);
            self.index.insert(entry.index_entry(slot));
            self.by_id.insert(provider.id, slot);
            self.slots.push(Some(Arc::new(entry)));
        }
    }

    /// Removes by id; returns whether it was there.
    pub(super) fn remove(&mut self, id: &str) -> bool {
        debug_assert!(!self.sorted, "a bulk-built segment is never written to");
        let Some(slot) = self.by_id.remove(id) else { return false };
        if let Some(old) = self.slots[slot as usize].take() {
            self.index.remove(old.index_entry(slot));
        }
        true
    }
}
