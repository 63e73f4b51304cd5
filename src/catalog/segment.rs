//! The two segments of a snapshot: a large bulk-loaded base (shared between snapshots, never
//! written) and a small delta of recent writes, each with the spatial index over its slots. One
//! write copies only the delta, never the whole catalog.

use std::collections::HashMap;
use std::sync::Arc;

use super::record::Record;
use crate::domain::{Provider, ProviderFields};
use crate::spatial::index::{Cores, SpatialIndex};

/// The bulk-built segment: its records side by side in one vector, in id order, with none
/// missing. No pointer or allocation per record beyond its text block, and a rebuild makes a
/// new vector (copying the unchanged records), so an old base is freed as a whole: its blocks
/// were allocated together and leave whole allocator pages free instead of holes between the
/// next base's records.
#[derive(Debug, Default)]
pub(super) struct Base {
    pub(super) records: Vec<Record>,
    pub(super) index: SpatialIndex,
}

/// The segment written to one provider at a time. Its records sit behind `Arc`s so that the
/// copy each write makes of the delta copies pointers, not records.
#[derive(Debug, Default, Clone)]
pub(super) struct Delta {
    pub(super) slots: Vec<Option<Arc<Record>>>,
    /// Slot by id (the base finds ids by binary search instead: a map of a million ids costs
    /// about 70 MB and a copy of every id).
    by_id: HashMap<String, u32>,
    pub(super) index: SpatialIndex,
}

pub(super) fn slot_u32(i: usize) -> u32 {
    u32::try_from(i).expect("more than u32::MAX providers")
}

impl Base {
    /// Builds the base in one bulk load on `cores` from records in id order, ids unique. Id
    /// order breaks distance ties by id, lets a rebuild merge instead of sort, and lets the
    /// base find ids by binary search.
    pub(super) fn from_records(records: Vec<Record>, cores: Cores) -> Self {
        debug_assert!(records.is_sorted_by(|a, b| a.id() < b.id()), "records in id order, ids unique");
        let index =
            SpatialIndex::bulk_load_with(records.iter().enumerate().map(|(i, e)| e.index_entry(slot_u32(i))), cores);
        Self { records, index }
    }

    /// The slot of a provider by id.
    pub(super) fn slot_of(&self, id: &str) -> Option<u32> {
        self.records.binary_search_by(|e| e.id().cmp(id)).ok().map(slot_u32)
    }

    pub(super) fn entry(&self, slot: u32) -> Option<&Record> {
        self.records.get(slot as usize)
    }

    pub(super) fn len(&self) -> usize {
        self.records.len()
    }
}

impl Delta {
    /// The slot of a provider by id.
    pub(super) fn slot_of(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }

    pub(super) fn entry(&self, slot: u32) -> Option<&Record> {
        self.slots.get(slot as usize).and_then(|e| e.as_deref())
    }

    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Inserts or replaces (by id).
    pub(super) fn upsert(&mut self, provider: Provider) {
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
        let Some(slot) = self.by_id.remove(id) else { return false };
        if let Some(old) = self.slots[slot as usize].take() {
            self.index.remove(old.index_entry(slot));
        }
        true
    }
}
