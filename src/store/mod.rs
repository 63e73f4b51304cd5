//! The durable store of record. All SQL lives below this module, behind [`Store`], so another
//! backend (PostgreSQL/PostGIS for multi-replica deployments) can be added without touching
//! the HTTP layer or the catalog.

mod migrations;
mod sqlite;

pub use sqlite::SqliteStore;

use crate::domain::{District, Provider};

/// Errors from the store. Messages carry the path or the value involved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened (bad path, permissions, not a database).
    #[error("cannot open database {path}: {source}")]
    Open {
        /// The path given.
        path: String,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The database was written by a newer caremap.
    #[error("database schema version {found} is newer than this caremap supports ({supported})")]
    SchemaTooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this binary knows.
        supported: i64,
    },
    /// A stored row could not be read back into a provider.
    #[error("stored provider {id} is unreadable: {reason}")]
    Corrupt {
        /// The provider id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// An insert met an id that is already stored.
    #[error("provider id '{id}' already exists")]
    Duplicate {
        /// The id.
        id: String,
    },
    /// Any other SQLite failure.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Result alias for the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What a store keeps: providers (with their history), districts and a few settings.
pub trait Store: Send + Sync {
    /// Every provider that is not deleted, ordered by id.
    ///
    /// # Errors
    /// On a database failure or an unreadable row.
    fn load_providers(&self) -> Result<Vec<Provider>>;

    /// Number of providers that are not deleted.
    ///
    /// # Errors
    /// On a database failure.
    fn count_providers(&self) -> Result<u64>;

    /// Inserts new providers in one transaction (all or none), each with a history entry
    /// made by `actor` with `action` (e.g. `"sample"`, `"gen"`).
    ///
    /// # Errors
    /// On a database failure (including a duplicate id); nothing is written then.
    fn insert_providers(&self, providers: &[Provider], action: &str) -> Result<()>;

    /// The stored districts, in their defined order.
    ///
    /// # Errors
    /// On a database failure or an unreadable geometry.
    fn load_districts(&self) -> Result<Vec<District>>;

    /// Replaces all districts in one transaction.
    ///
    /// # Errors
    /// On a database failure; nothing is written then.
    fn replace_districts(&self, districts: &[District]) -> Result<()>;

    /// A setting, e.g. `dataset`.
    ///
    /// # Errors
    /// On a database failure.
    fn meta(&self, key: &str) -> Result<Option<String>>;

    /// Sets a setting.
    ///
    /// # Errors
    /// On a database failure.
    fn set_meta(&self, key: &str, value: &str) -> Result<()>;
}
