//! The one write door: every change to providers — staff create, update (受入可否 too),
//! delete, restore, revert, imports, and the bulk loads of an empty database — passes here.
//! The door validates what the store cannot (a revert's target version), derives what every
//! write derives (the district from the catalog's districts, the version, the time and the
//! author: [`crate::domain::revision`]), commits through the [`Store`], which gives each
//! provider change its seq in the change feed in the same transaction, and publishes the
//! change to the catalog before it returns (read-your-writes).
//!
//! The catalog applies the feed in seq order and knows the last seq it applied. The door
//! publishes its own commit directly when it follows that seq; when the catalog is behind
//! (something committed without publishing: a crash between the two, another writer of the
//! same store), the door catches up from the store first ([`Door::catch_up`]), which is also
//! how a server that loaded a snapshot at seq N follows the store.
//!
//! Every method is blocking (SQLite commits with `synchronous=FULL`); the HTTP layer runs
//! them with `spawn_blocking`, so a client that disconnects cannot stop one between the
//! commit and the publish. One lock spans commit and publish, so the catalog receives the
//! door's writes in commit (seq) order.

pub mod follow;
mod import;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::catalog::{Catalog, Change};
use crate::domain::vacancy::{stamp_checked, vacancy_differs};
use crate::domain::{District, Provider, Stamp, VacancyChange, action, place_in_district};
use crate::store::{FeedEntry, ProviderRecord, Result, SeqRange, Store, StoreError, Written};

/// Prefix of the ids the server assigns to providers staff create without one. Imported ids
/// start with `care-` or `med-` (from official codes), so the two never meet.
pub const NEW_ID_PREFIX: &str = "staff-";

/// Feed entries read from the store per step of a catch-up.
const CATCH_UP_BATCH: usize = 4096;

/// The write door over a store, publishing to the catalog that serves it (if any).
pub struct Door {
    store: Arc<dyn Store>,
    catalog: Option<Arc<Catalog>>,
    lock: Mutex<()>,
}

impl std::fmt::Debug for Door {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Door").field("serving", &self.catalog.is_some()).finish_non_exhaustive()
    }
}

/// The catalog change that brings a provider to its state after a feed entry.
fn change_of_entry(entry: FeedEntry) -> Change {
    if entry.deleted { Change::Remove(entry.provider_id) } else { Change::Upsert(Box::new(entry.provider)) }
}

/// The catalog change that brings a provider to a stored record.
fn change_of_record(record: &ProviderRecord) -> Change {
    if record.deleted_at.is_some() {
        Change::Remove(record.provider.id.clone())
    } else {
        Change::Upsert(Box::new(record.provider.clone()))
    }
}

impl Door {
    /// The door of a server: writes to `store`, publishes to `catalog`.
    pub fn new(store: Arc<dyn Store>, catalog: Arc<Catalog>) -> Self {
        Self { store, catalog: Some(catalog), lock: Mutex::new(()) }
    }

    /// The door of a command that writes a database no server is serving (`caremap import`):
    /// it commits, and there is no catalog to publish to; districts come from the store.
    pub fn offline(store: Arc<dyn Store>) -> Self {
        Self { store, catalog: None, lock: Mutex::new(()) }
    }

    fn locked(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` with the districts providers are placed in: the served catalog's, or the
    /// store's when no catalog serves it.
    fn with_districts<T>(&self, f: impl FnOnce(&[District]) -> T) -> Result<T> {
        match &self.catalog {
            Some(catalog) => Ok(f(catalog.snapshot().districts())),
            None => Ok(f(&self.store.load_districts()?)),
        }
    }

    fn placed(&self, mut p: Provider) -> Result<Provider> {
        self.with_districts(|districts| place_in_district(&mut p, districts))?;
        Ok(p)
    }

    /// Publishes the committed changes `seqs` to the catalog: `changes` themselves when they
    /// directly follow what it applied, else everything it lacks from the store. Call with
    /// the lock held.
    fn publish(&self, seqs: SeqRange, changes: impl FnOnce() -> Vec<Change>) -> Result<()> {
        let Some(catalog) = &self.catalog else { return Ok(()) };
        let applied = catalog.applied_seq();
        if applied >= seqs.last {
            return Ok(());
        }
        if applied == seqs.first - 1 {
            catalog.apply(seqs.last, changes());
            return Ok(());
        }
        tracing::warn!(applied, first = seqs.first, "the catalog lacks earlier changes of the feed; catching up");
        Self::catch_up_from(self.store.as_ref(), catalog).map(|_| ())
    }

    /// Applies the feed after the catalog's seq. The feed has no gaps (each commit takes the
    /// next seq in its transaction), so a hole means a change that is not visible yet or was
    /// lost: the changes before it are applied, and the hole is an error rather than skipped
    /// (a skipped change would never be applied).
    fn catch_up_from(store: &dyn Store, catalog: &Catalog) -> Result<i64> {
        loop {
            let after = catalog.applied_seq();
            let mut entries = store.changes_since(after, CATCH_UP_BATCH)?;
            let hole = entries.iter().zip(after + 1..).position(|(e, expected)| e.seq != expected);
            let found = hole.map(|i| entries[i].seq);
            if let Some(i) = hole {
                entries.truncate(i);
            }
            if let Some(last) = entries.last().map(|e| e.seq) {
                catalog.apply(last, entries.into_iter().map(change_of_entry).collect());
            }
            match found {
                Some(found) => return Err(StoreError::FeedGap { after: catalog.applied_seq(), found }),
                None if catalog.applied_seq() == after => return Ok(after),
                None => {}
            }
        }
    }

    /// Applies every committed change the catalog lacks, from the store, in seq order.
    /// Returns the seq applied now (the store's last).
    ///
    /// # Errors
    /// On a store failure; the catalog keeps what it applied before the failure.
    pub fn catch_up(&self) -> Result<i64> {
        let _guard = self.locked();
        match &self.catalog {
            Some(catalog) => Self::catch_up_from(self.store.as_ref(), catalog),
            None => self.store.last_seq(),
        }
    }

    /// Commits one staff write and publishes it.
    fn commit(&self, write: impl FnOnce(&dyn Store) -> Result<Written>) -> Result<Written> {
        let _guard = self.locked();
        let written = write(self.store.as_ref())?;
        if let Some(seq) = written.seq {
            self.publish(SeqRange::one(seq), || vec![change_of_record(&written.record)])?;
        }
        Ok(written)
    }

    /// Creates a provider (version 1) by `actor`.
    ///
    /// # Errors
    /// As [`Store::create_provider`]; nothing is published then.
    pub fn create(&self, provider: Provider, actor: &str) -> Result<Written> {
        let stamp = Stamp::now(actor);
        let provider = stamped_vacancy(self.placed(provider)?, None, &stamp);
        self.commit(|store| store.create_provider(&provider, &stamp))
    }

    /// Creates a provider (version 1) by `actor` under a new id the store assigns,
    /// [`NEW_ID_PREFIX`] and a number (`staff-1`, `staff-2` …); the id of `provider` is ignored.
    ///
    /// # Errors
    /// As [`Store::create_provider_with_new_id`]; nothing is published then.
    pub fn create_with_new_id(&self, provider: Provider, actor: &str) -> Result<Written> {
        let stamp = Stamp::now(actor);
        let provider = stamped_vacancy(self.placed(provider)?, None, &stamp);
        self.commit(|store| store.create_provider_with_new_id(&provider, NEW_ID_PREFIX, &stamp))
    }

    /// Replaces a provider's fields (受入可否 included) if its version is one of `expected`; a
    /// move places it in its district again. A change of the vacancy (state, note, places)
    /// stamps `accepting_checked_at`; otherwise it keeps its stored value (only the server sets it).
    ///
    /// # Errors
    /// As [`Store::update_provider`].
    pub fn update(&self, provider: Provider, expected: &[i64], actor: &str) -> Result<Written> {
        let provider = self.placed(provider)?;
        self.commit(|store| {
            let stamp = Stamp::now(actor);
            let stored = store.provider_record(&provider.id)?;
            let provider = stamped_vacancy(provider, stored.as_ref().map(|r| &r.provider), &stamp);
            store.update_provider(&provider, expected, &stamp, action::UPDATE)
        })
    }

    /// Sets or confirms a provider's vacancy (空き状況) if its version is one of `expected`:
    /// the fields `change` gives, and `accepting_checked_at` (with `accepting_updated_at`, its
    /// day in Japan) now. Recorded as `vacancy`, or `vacancy-confirm` when `change` sets nothing.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Deleted`], then as [`Store::update_provider`].
    pub fn vacancy(&self, id: &str, change: &VacancyChange, expected: &[i64], actor: &str) -> Result<Written> {
        self.commit(|store| {
            let record = store.provider_record(id)?.ok_or_else(|| StoreError::NotFound { id: id.to_owned() })?;
            if record.deleted_at.is_some() {
                return Err(StoreError::Deleted { id: id.to_owned() });
            }
            let stamp = Stamp::now(actor);
            let next = change.apply(record.provider, &stamp.at);
            let done = if change.is_confirmation() { action::VACANCY_CONFIRM } else { action::VACANCY };
            store.update_provider(&next, expected, &stamp, done)
        })
    }

    /// Soft-deletes (`deleted = true`) or restores a provider whose version is one of `expected`.
    ///
    /// # Errors
    /// As [`Store::set_deleted`].
    pub fn set_deleted(&self, id: &str, deleted: bool, expected: &[i64], actor: &str) -> Result<Written> {
        self.commit(|store| store.set_deleted(id, deleted, expected, &Stamp::now(actor)))
    }

    /// Copies the fields of `to_version` as the next version (action `revert`), if the current
    /// version is one of `expected`. The district is derived again from today's districts.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::UnknownVersion`], then as [`Store::update_provider`].
    pub fn revert(&self, id: &str, to_version: i64, expected: &[i64], actor: &str) -> Result<Written> {
        self.commit(|store| {
            if store.provider_record(id)?.is_none() {
                return Err(StoreError::NotFound { id: id.to_owned() });
            }
            let old = self.placed(store.provider_version(id, to_version)?)?;
            store.update_provider(&old, expected, &Stamp::now(actor), action::REVERT)
        })
    }
}

/// `p` as a staff write leaves it: `accepting_checked_at` is the server's, so it is taken from
/// `stored` (none for a new provider), and stamped with the write's time when the vacancy
/// differs from `stored` (for a new provider: when it has any).
fn stamped_vacancy(mut p: Provider, stored: Option<&Provider>, stamp: &Stamp) -> Provider {
    p.accepting_checked_at = stored.and_then(|s| s.accepting_checked_at.clone());
    let changed = match stored {
        Some(s) => vacancy_differs(s, &p),
        None => p.accepting.is_some() || p.accepting_note.is_some() || p.accepting_places.is_some(),
    };
    if changed {
        stamp_checked(&mut p, &stamp.at);
    }
    p
}

/// Bulk-loads new providers as they are (versions and times kept, e.g. the bundled sample's)
/// into a store no catalog serves yet — the first start's seeding of an empty database (the
/// catalog is loaded from the store after it), `caremap gen` — each placed in the store's
/// districts, with history entries (feed changes) labelled `action_done`.
///
/// # Errors
/// As [`Store::insert_providers`]: nothing is written then.
pub fn seed(store: &dyn Store, mut providers: Vec<Provider>, action_done: &str) -> Result<Option<SeqRange>> {
    let districts = store.load_districts()?;
    for p in &mut providers {
        place_in_district(p, &districts);
    }
    store.insert_providers(&providers, action_done)
}

#[cfg(test)]
mod tests;
