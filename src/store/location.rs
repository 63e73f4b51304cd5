//! What a `--db` value names: a SQLite file (a path) or a PostgreSQL database (a
//! `postgres://` or `postgresql://` URL), how to open it, and how to show it without its
//! password.

use std::path::Path;
use std::sync::Arc;

use super::postgres::{is_postgres_url, redact_url};
use super::{PgStore, Result, SqliteStore, Store};

/// The store a `--db` value names.
#[derive(Debug, Clone, Copy)]
pub enum DbLocation<'a> {
    /// A SQLite database file.
    Sqlite(&'a Path),
    /// A PostgreSQL connection URL.
    Postgres(&'a str),
}

impl<'a> DbLocation<'a> {
    /// Reads a `--db` value (`CAREMAP_DB`): a URL starting `postgres://` or `postgresql://`
    /// names PostgreSQL, anything else a SQLite file.
    pub fn of(db: &'a Path) -> Self {
        match db.to_str() {
            Some(url) if is_postgres_url(url) => DbLocation::Postgres(url),
            _ => DbLocation::Sqlite(db),
        }
    }

    /// The value as it may be logged or printed: a URL with its password replaced by `***`.
    pub fn shown(&self) -> String {
        match self {
            DbLocation::Sqlite(path) => path.display().to_string(),
            DbLocation::Postgres(url) => redact_url(url),
        }
    }

    /// Opens the store (creating a SQLite file, or the schema, if needed).
    ///
    /// # Errors
    /// As [`SqliteStore::open`] or [`PgStore::open`].
    pub fn open(&self) -> Result<Arc<dyn Store>> {
        Ok(match self {
            DbLocation::Sqlite(path) => Arc::new(SqliteStore::open(path)?),
            DbLocation::Postgres(url) => Arc::new(PgStore::open(url)?),
        })
    }
}

/// Opens the store a `--db` value names for a process holding its `lock`: on SQLite,
/// [`SqliteStore::open_held`] (imports written with a rollback journal); PostgreSQL has no
/// lock, so the lock is for a SQLite database.
///
/// # Errors
/// As [`DbLocation::open`].
pub fn open_store_held(db: &Path, lock: &super::DbLock) -> Result<Arc<dyn Store>> {
    Ok(match DbLocation::of(db) {
        DbLocation::Sqlite(path) => Arc::new(SqliteStore::open_held(path, lock)?),
        postgres => postgres.open()?,
    })
}

/// Opens the store a `--db` value names (see [`DbLocation::of`]).
///
/// # Errors
/// As [`DbLocation::open`].
pub fn open_store(db: &Path) -> Result<Arc<dyn Store>> {
    DbLocation::of(db).open()
}

/// `db` as it may be shown (see [`DbLocation::shown`]).
pub fn shown_db(db: &Path) -> String {
    DbLocation::of(db).shown()
}
