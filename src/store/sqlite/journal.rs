//! How an import's transaction is journaled: through the store's write-ahead log, or, by a
//! process holding the database's lock, with a rollback journal that writes the import's
//! pages once.

use rusqlite::Connection;

use crate::store::Result;

/// How an import's transaction is journaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Journal {
    /// Through the write-ahead log, as every other write: readers go on reading the last
    /// committed state meanwhile. Each page is written twice, into the log and then by the
    /// checkpoint into the database (a 1 M-row import's ~900 MB, its commit 2–5 s).
    Wal,
    /// With a rollback journal (`journal_mode = DELETE`) for this transaction, then back to
    /// the WAL. The pages the database did not have (most of a large import's) are written
    /// into it once; only the pages the import changes are first copied into the journal.
    /// Writing the pages locks readers out, so only a process holding the database's lock
    /// uses it (`caremap import`, no server reading), and only when no other connection has
    /// the database open (SQLite leaves WAL mode only then); otherwise the WAL is used. The
    /// commit is `synchronous = EXTRA`: the journal's deletion, which is the commit, is
    /// synced with its folder, so the import survives a power loss as a WAL commit does.
    Rollback,
}

/// Runs `write` (one transaction) journaled as `journal` says, and returns to the store's
/// WAL afterwards whatever `write` returned.
pub(super) fn with<T>(
    conn: &mut Connection,
    journal: Journal,
    write: impl FnOnce(&mut Connection) -> Result<T>,
) -> Result<T> {
    let rollback = journal == Journal::Rollback && rollback_journal(conn)?;
    let result = write(conn);
    if rollback {
        back_to_wal(conn);
    }
    result
}

/// Leaves WAL mode for a rollback journal synced as [`Journal::Rollback`] says; whether
/// SQLite could (not while another connection has the database open: it is busy then).
fn rollback_journal(conn: &Connection) -> Result<bool> {
    conn.pragma_update(None, "synchronous", "EXTRA")?;
    match conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get::<_, String>(0)) {
        Ok(mode) if mode == "delete" => {
            tracing::info!("import written with a rollback journal (this process holds the database)");
            Ok(true)
        }
        other => {
            conn.pragma_update(None, "synchronous", "FULL")?;
            // SQLite answers SQLITE_BUSY at once while another connection has the database
            // open in WAL mode.
            let mode = match other {
                Ok(mode) => mode,
                Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => "wal (busy)".to_owned(),
                Err(e) => return Err(e.into()),
            };
            tracing::info!(journal_mode = %mode, "another connection has the database open: the import is written through the WAL");
            Ok(false)
        }
    }
}

/// Back to the store's WAL and `synchronous = FULL` after [`rollback_journal`]. The import
/// has committed or rolled back by then, so a failure here is only logged: every open of the
/// store sets the WAL again.
fn back_to_wal(conn: &Connection) {
    let restored = conn
        .pragma_update(None, "synchronous", "FULL")
        .and_then(|()| conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)));
    match restored {
        Ok(mode) if mode == "wal" => {}
        Ok(mode) => tracing::warn!(journal_mode = %mode, "the database stays out of WAL mode until it is opened again"),
        Err(e) => tracing::warn!(error = %e, "the database stays out of WAL mode until it is opened again"),
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use crate::domain::{Kind, LonLat, Provider, Stamp};
    use crate::store::{DbLock, ImportWrite, SqliteStore, Store, StoreError};

    /// New providers enough that their pages (~4 MB) outgrow the WAL's automatic checkpoint,
    /// so a WAL that took them keeps that length.
    const ROWS: u64 = 5_000;

    fn provider(id: &str) -> Provider {
        Provider {
            version: 1,
            updated_at: "2026-12-01T00:00:00Z".into(),
            updated_by: "import".into(),
            address: Some("千葉県流山市おおたかの森北一丁目".into()),
            ..Provider::new(id.into(), Kind::Care, "訪問看護ステーション".into(), LonLat::new(139.9, 35.85).unwrap())
        }
    }

    fn new_providers(prefix: &str) -> ImportWrite {
        (0..ROWS).fold(ImportWrite::new(Some("2026-12-01T00:00:00Z".into())), |w, i| {
            w.with_upsert(provider(&format!("{prefix}{i:05}")), None, "import")
        })
    }

    fn wal_len(db: &Path) -> u64 {
        std::fs::metadata(format!("{}-wal", db.display())).map_or(0, |m| m.len())
    }

    /// The journal mode the database file records, as a new connection finds it.
    fn journal_mode(db: &Path) -> String {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap()
    }

    fn no_rollback_journal_left(db: &Path) -> bool {
        !Path::new(&format!("{}-journal", db.display())).exists()
    }

    /// A store at `name` in `dir`, opened under the database's lock (held as long as the
    /// store is used: it is returned beside it).
    fn held_store(dir: &Path, name: &str) -> (PathBuf, DbLock, SqliteStore) {
        let db = dir.join(name);
        let lock = DbLock::acquire(&db).unwrap();
        let store = SqliteStore::open_held(&db, &lock).unwrap();
        (db, lock, store)
    }

    #[test]
    fn a_store_opened_under_the_lock_writes_an_import_past_the_wal_and_returns_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let (db, _lock, store) = held_store(dir.path(), "held.db");
        store.apply_import(&new_providers("care-"), None).unwrap();
        assert_eq!(store.count_providers().unwrap(), ROWS);
        assert!(wal_len(&db) < 64 * 1024, "the import's pages went into the WAL: {} bytes", wal_len(&db));
        assert_eq!(journal_mode(&db), "wal");
        assert!(no_rollback_journal_left(&db));
        // Every other write goes through the WAL again.
        store.create_provider(&provider("staff-1"), &Stamp::now("staff")).unwrap();
        assert!(wal_len(&db) > 0);
        drop(store);
        let reopened = SqliteStore::open(&db).unwrap();
        assert_eq!(reopened.count_providers().unwrap(), ROWS + 1);
        assert_eq!(reopened.provider_history("care-04999").unwrap().len(), 1);
    }

    #[test]
    fn without_the_lock_or_beside_another_connection_an_import_goes_through_the_wal() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("shared.db");
        let unlocked = SqliteStore::open(&db).unwrap();
        unlocked.apply_import(&new_providers("a-"), None).unwrap();
        assert!(wal_len(&db) > 1 << 20, "{} bytes", wal_len(&db));

        let (other, _lock, store) = held_store(dir.path(), "other.db");
        let reader = rusqlite::Connection::open(&other).unwrap();
        let _: i64 = reader.query_row("SELECT COUNT(*) FROM providers", [], |r| r.get(0)).unwrap();
        store.apply_import(&new_providers("b-"), None).unwrap();
        assert_eq!(store.count_providers().unwrap(), ROWS);
        assert!(wal_len(&other) > 1 << 20, "written through the WAL: {} bytes", wal_len(&other));
        let seen: i64 = reader.query_row("SELECT COUNT(*) FROM providers", [], |r| r.get(0)).unwrap();
        assert_eq!(seen, ROWS as i64, "the reader sees the committed import");
        assert_eq!(journal_mode(&other), "wal");
    }

    #[test]
    fn a_refused_import_under_the_lock_writes_nothing_and_returns_to_the_wal() {
        let dir = tempfile::tempdir().unwrap();
        let (db, _lock, store) = held_store(dir.path(), "held.db");
        store.create_provider(&provider("care-02500"), &Stamp::now("staff")).unwrap();
        // Half the rows are written before the id that exists stops the transaction.
        let err = store.apply_import(&new_providers("care-"), None).unwrap_err();
        assert!(matches!(err, StoreError::Duplicate { ref id } if id == "care-02500"), "{err}");
        assert_eq!(store.count_providers().unwrap(), 1);
        assert_eq!(store.meta(crate::store::LAST_IMPORT_META).unwrap(), None);
        assert_eq!(journal_mode(&db), "wal");
        assert!(no_rollback_journal_left(&db));
        drop(store);
        assert_eq!(SqliteStore::open(&db).unwrap().count_providers().unwrap(), 1);
    }
}
