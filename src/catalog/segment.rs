//! A segment: providers in slots, an id map and the spatial index over them. A snapshot is a
//! large bulk-loaded base segment (shared between snapshots) plus a small delta segment of
//! recent writes, so one write copies only the delta, never the whole catalog.

use std::collections::HashMap;
use std::sync::Arc;

use super::filter::Entry;
use crate::domain::Provider;
use crate::index::SpatialIndex;

#[derive(Debug, Default, Clone)]
pub(super) struct Segment {
    pub(super) slots: Vec<Option<Arc<Entry>>>,
    pub(super) by_id: HashMap<String, u32>,
    pub(super) index: SpatialIndex,
}

pub(super) fn slot_u32(i: usize) -> u32 {
    u32::try_from(i).expect("more than u32::MAX providers")
}

impl Segment {
    /// Builds a segment in one bulk load.
    pub(super) fn build(providers: Vec<Provider>) -> Self {
        let slots: Vec<Option<Arc<Entry>>> = providers.into_iter().map(|p| Some(Arc::new(Entry::new(p)))).collect();
        let by_id = slots
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| (e.provider.id.clone(), slot_u32(i))))
            .collect();
        let index = SpatialIndex::bulk_load(
            slots.iter().enumerate().filter_map(|(i, e)| e.as_ref().map(|e| e.index_entry(slot_u32(i)))),
        );
        Self { slots, by_id, index }
    }

    pub(super) fn entry(&self, slot: u32) -> Option<&Entry> {
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
            let entry = Entry::new(provider);
            self.index.insert(entry.index_entry(slot));
            self.slots[slot as usize] = Some(Arc::new(entry));
        } else {
            let slot = slot_u32(self.slots.len());
            let entry = Entry::new(provider);
            self.index.insert(entry.index_entry(slot));
            self.by_id.insert(entry.provider.id.clone(), slot);
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
