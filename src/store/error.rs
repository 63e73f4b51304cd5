//! Errors of the store: what went wrong, with the path or value involved, and which failures
//! are outside caremap and can pass.

use super::ProviderRecord;

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
    /// The folder of the database file does not exist (SQLite would only say "unable to open").
    #[error("cannot open database {path}: the folder {folder} does not exist")]
    NoFolder {
        /// The database path given.
        path: String,
        /// Its folder.
        folder: String,
    },
    /// Another process (a running `caremap serve`) holds the database's lock.
    #[error(
        "database {path} is in use by another caremap process{}; stop it first (one server per SQLite \
         database; several servers share a PostgreSQL database)",
        holder.as_ref().map(|pid| format!(" (pid {pid})")).unwrap_or_default()
    )]
    Locked {
        /// The database path.
        path: String,
        /// The process id written in the lock file, if readable.
        holder: Option<String>,
    },
    /// The lock file could not be created or locked.
    #[error("cannot lock {path}: {source}")]
    Lock {
        /// The lock file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// SQLite's integrity check found damage in the file.
    #[error("database {path} is damaged (PRAGMA quick_check: {detail}); restore it from a backup")]
    Damaged {
        /// The database path.
        path: String,
        /// The first problems SQLite reported.
        detail: String,
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
    /// No provider has this id (live or deleted).
    #[error("provider '{id}' not found")]
    NotFound {
        /// The id.
        id: String,
    },
    /// The caller's expected version is not the current one (someone else changed it).
    #[error("provider '{}' is at version {}", current.provider.id, current.provider.version)]
    VersionMismatch {
        /// The provider as it is now.
        current: Box<ProviderRecord>,
    },
    /// The provider is soft-deleted, so it cannot be changed until it is restored.
    #[error("provider '{id}' is deleted; restore it first")]
    Deleted {
        /// The id.
        id: String,
    },
    /// A restore of a provider that is not deleted.
    #[error("provider '{id}' is not deleted")]
    NotDeleted {
        /// The id.
        id: String,
    },
    /// A version the provider never had.
    #[error("provider '{id}' has no version {version}")]
    UnknownVersion {
        /// The id.
        id: String,
        /// The version asked for.
        version: i64,
    },
    /// A write to a whole layer (the 地域包括支援センター) named another layer version than the
    /// current one (someone else changed the layer).
    #[error("the layer is at version {current}")]
    LayerVersion {
        /// The current version.
        current: i64,
    },
    /// A user name that is taken by an active user.
    #[error("user '{name}' already exists")]
    UserExists {
        /// The name.
        name: String,
    },
    /// No user has this name.
    #[error("no user named '{name}'")]
    UnknownUser {
        /// The name.
        name: String,
    },
    /// The change feed skips a seq: after `after` the store holds `found`, not `after + 1`.
    #[error("the change feed jumps from seq {after} to {found}; the changes between are missing")]
    FeedGap {
        /// The last seq applied.
        after: i64,
        /// The next seq the store gave.
        found: i64,
    },
    /// The database cannot be reached now; the request may be retried.
    #[error("database unreachable: {0}")]
    Unavailable(String),
    /// Any other SQLite failure.
    #[error("database error: {0}")]
    Sqlite(#[source] rusqlite::Error),
    /// Any other PostgreSQL failure (a refused statement; connection failures are
    /// [`StoreError::Unavailable`]).
    #[error("database error: {0}")]
    Postgres(postgres::Error),
    /// The operation is not offered by this store (or refused on the given database).
    #[error("{0}")]
    Unsupported(String),
}

impl From<postgres::Error> for StoreError {
    /// A lost or refused connection (no server, a server shutting down or restarting, too
    /// many clients, a read-only standby) is [`StoreError::Unavailable`]: nothing was
    /// committed by the failing statement and the request may be retried.
    fn from(e: postgres::Error) -> Self {
        let io = std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
        let text = e.to_string();
        let unavailable = e.is_closed()
            || io
            || text.starts_with("error connecting to server")
            || text.starts_with("timeout")
            || e.code().is_some_and(|c| {
                let code = c.code();
                // 08: connection exception; 57P01-3: shutdown, crash, cannot connect now;
                // 53: insufficient resources (disk full, too many connections); 25006: a
                // read-only transaction (a standby promoted away from).
                code.starts_with("08") || code.starts_with("57P") || code.starts_with("53") || code == "25006"
            });
        if unavailable { StoreError::Unavailable(e.to_string()) } else { StoreError::Postgres(e) }
    }
}

impl From<rusqlite::Error> for StoreError {
    /// SQLite's "cannot open" (`SQLITE_CANTOPEN`: the file, its folder or its `-wal`/`-shm`
    /// companions are not there or not accessible) means the database cannot be reached:
    /// [`StoreError::Unavailable`]. Every other failure stays [`StoreError::Sqlite`].
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::CannotOpen => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

impl StoreError {
    /// Whether the database refused the operation for a reason outside caremap that can pass
    /// (an unreachable database, [`StoreError::Unavailable`], is told apart from these):
    /// a full disk or file-size limit (`SQLITE_FULL`, or the `SQLITE_IOERR` a refused write
    /// gives), a read-only file, a lock held too long. Nothing was written then (SQLite rolls
    /// the transaction back), and reads from the catalog still work.
    pub fn is_unavailable(&self) -> bool {
        use rusqlite::ErrorCode;
        if matches!(self, StoreError::Unavailable(_)) {
            return true;
        }
        let StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) = self else { return false };
        matches!(
            e.code,
            ErrorCode::DiskFull
                | ErrorCode::SystemIoFailure
                | ErrorCode::ReadOnly
                | ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
        )
    }
}

/// Result alias for the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::StoreError;

    fn sqlite_failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn a_database_that_cannot_be_opened_is_unreachable_and_a_full_disk_is_not() {
        let cannot_open = StoreError::from(sqlite_failure(rusqlite::ffi::SQLITE_CANTOPEN));
        assert!(matches!(cannot_open, StoreError::Unavailable(_)), "{cannot_open:?}");
        let full = StoreError::from(sqlite_failure(rusqlite::ffi::SQLITE_FULL));
        assert!(matches!(full, StoreError::Sqlite(_)) && full.is_unavailable(), "{full:?}");
        let busy = StoreError::from(sqlite_failure(rusqlite::ffi::SQLITE_BUSY));
        assert!(matches!(busy, StoreError::Sqlite(_)), "busy keeps its own mapping: {busy:?}");
    }
}
