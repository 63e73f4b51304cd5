//! Staff edits as one step: derive the district, commit to the store, publish to the catalog.
//!
//! Every method is blocking (SQLite commits with `synchronous=FULL`); the HTTP layer runs it
//! with `spawn_blocking`, so a client that disconnects cannot stop it between the commit and
//! the catalog update (a dropped future would leave a committed write invisible until the next
//! start). One lock spans commit and publish, so the catalog receives writes in commit order
//! and never goes back to an older version of a provider.

use std::sync::{Arc, Mutex, PoisonError};

use crate::catalog::{Catalog, Change};
use crate::domain::{Provider, action};
use crate::store::{ProviderRecord, Result, Store, StoreError};

/// Prefix of the ids the server assigns to providers staff create without one. Imported ids
/// start with `care-` or `med-` (from official codes), so the two never meet.
pub const NEW_ID_PREFIX: &str = "staff-";

/// The write path shared by every staff endpoint (and later imports).
pub struct Edits {
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    lock: Mutex<()>,
}

impl std::fmt::Debug for Edits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edits").finish_non_exhaustive()
    }
}

impl Edits {
    /// Edits that write to `store` and publish to `catalog`.
    pub fn new(store: Arc<dyn Store>, catalog: Arc<Catalog>) -> Self {
        Self { store, catalog, lock: Mutex::new(()) }
    }

    fn locked<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        f()
    }

    /// Runs `f` with the store and the catalog while no other write runs. Imports use it so
    /// that their diff, commit and publish are one step, in order with staff edits (a staff
    /// edit waits for the import instead of making its diff stale).
    pub fn exclusive<T>(&self, f: impl FnOnce(&dyn Store, &Catalog) -> T) -> T {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        f(self.store.as_ref(), &self.catalog)
    }

    fn with_district(&self, mut p: Provider) -> Provider {
        p.district = self.catalog.snapshot().district_of(p.location).map(|d| d.id.clone());
        p
    }

    fn publish(&self, record: &ProviderRecord) {
        let change = if record.deleted_at.is_some() {
            Change::Remove(record.provider.id.clone())
        } else {
            Change::Upsert(Box::new(record.provider.clone()))
        };
        self.catalog.apply(vec![change]);
    }

    /// Creates a provider (version 1) by `actor`.
    ///
    /// # Errors
    /// As [`Store::create_provider`]; nothing is published then.
    pub fn create(&self, provider: Provider, actor: &str) -> Result<ProviderRecord> {
        self.locked(|| {
            let record = self.store.create_provider(&self.with_district(provider), actor)?;
            self.publish(&record);
            Ok(record)
        })
    }

    /// Creates a provider (version 1) by `actor` under a new id the store assigns,
    /// [`NEW_ID_PREFIX`] and a number (`staff-1`, `staff-2` …); the id of `provider` is ignored.
    ///
    /// # Errors
    /// As [`Store::create_provider_with_new_id`]; nothing is published then.
    pub fn create_with_new_id(&self, provider: Provider, actor: &str) -> Result<ProviderRecord> {
        self.locked(|| {
            let record = self.store.create_provider_with_new_id(&self.with_district(provider), NEW_ID_PREFIX, actor)?;
            self.publish(&record);
            Ok(record)
        })
    }

    /// Replaces a provider's fields if its version is one of `expected`; a move recomputes
    /// the district.
    ///
    /// # Errors
    /// As [`Store::update_provider`].
    pub fn update(&self, provider: Provider, expected: &[i64], actor: &str) -> Result<ProviderRecord> {
        self.locked(|| {
            let record = self.store.update_provider(&self.with_district(provider), expected, actor, action::UPDATE)?;
            self.publish(&record);
            Ok(record)
        })
    }

    /// Soft-deletes (`deleted = true`) or restores a provider whose version is one of `expected`.
    ///
    /// # Errors
    /// As [`Store::set_deleted`].
    pub fn set_deleted(&self, id: &str, deleted: bool, expected: &[i64], actor: &str) -> Result<ProviderRecord> {
        self.locked(|| {
            let record = self.store.set_deleted(id, deleted, expected, actor)?;
            self.publish(&record);
            Ok(record)
        })
    }

    /// Copies the fields of `to_version` as the next version (action `revert`), if the current
    /// version is one of `expected`. The district is derived again from today's districts.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::UnknownVersion`], then as [`Store::update_provider`].
    pub fn revert(&self, id: &str, to_version: i64, expected: &[i64], actor: &str) -> Result<ProviderRecord> {
        self.locked(|| {
            if self.store.provider_record(id)?.is_none() {
                return Err(StoreError::NotFound { id: id.to_owned() });
            }
            let old = self.store.provider_version(id, to_version)?;
            let record = self.store.update_provider(&self.with_district(old), expected, actor, action::REVERT)?;
            self.publish(&record);
            Ok(record)
        })
    }
}
