//! The SQLite store: WAL journal, `synchronous=FULL` (an acknowledged write survives power
//! loss), migrations embedded in the binary, every statement parameterised.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OpenFlags, params};

mod address;
pub mod backup;
mod dump;
mod feed;
mod imports;
mod journal;
mod lock;
mod migrations;
mod population;
mod providers;
mod rows;
mod users;

pub use imports::{ImportRemoval, ImportUpsert, ImportWrite, UpsertBase};
pub use lock::{DbLock, lock_path};

use crate::access::TokenHash;
use crate::domain::{District, Provider, Stamp, polygon_from_geojson};
use crate::store::row_view::ProviderRows;
use crate::store::{
    AccountEvent, AuditQuery, FeedEntry, HistoryEntry, NewUser, PopulationColumn, ProviderRecord, Result, SeqRange,
    Store, StoreError, User, Written,
};
use migrations::MIGRATIONS;
use rows::{insert_provider, write_districts, write_history};

/// A provider store in one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: String,
    /// The file the connection opened (device and inode), to tell when the path no longer
    /// leads to it; `None` where that cannot be known.
    file: Option<FileId>,
    /// How imports are journaled: with a rollback journal when this process holds the
    /// database's lock ([`DbLock`], no server reading it), else through the WAL.
    import_journal: journal::Journal,
}

/// Device and inode of a file.
type FileId = (u64, u64);

/// The device and inode the path leads to now.
fn file_id(path: &Path) -> std::io::Result<Option<FileId>> {
    let meta = std::fs::metadata(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok(Some((meta.dev(), meta.ino())))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Ok(None)
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    ///
    /// # Errors
    /// [`StoreError::Open`] when the file cannot be opened or is not a database;
    /// [`StoreError::SchemaTooNew`] when a newer caremap wrote it.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, journal::Journal::Wal)
    }

    /// [`SqliteStore::open`] by a process holding the database's `lock`: imports are then
    /// written with a rollback journal instead of the WAL, which writes their pages once
    /// instead of twice (a 1 M-row import 4–5 s faster; see [`journal::Journal`]).
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn open_held(path: &Path, lock: &DbLock) -> Result<Self> {
        debug_assert_eq!(lock.path(), lock_path(path), "the lock of another database");
        Self::open_with(path, journal::Journal::Rollback)
    }

    fn open_with(path: &Path, import_journal: journal::Journal) -> Result<Self> {
        let open_err = |source| StoreError::Open { path: path.display().to_string(), source };
        create_private(path);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(open_err)?;
        // journal_mode answers with a row, so it is read with query_row; it is also the first
        // statement that touches the file, so "not a database" surfaces here.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(open_err)?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;").map_err(open_err)?;
        let file = file_id(path).map_err(|e| StoreError::Unavailable(format!("{}: {e}", path.display())))?;
        let store = Self { conn: Mutex::new(conn), path: path.display().to_string(), file, import_journal };
        store.migrate()?;
        Ok(store)
    }

    /// Runs SQLite's `PRAGMA quick_check` over the whole file (every page and record, without
    /// the index-to-table cross check of `integrity_check`), so damage is refused at start-up
    /// instead of failing a write later.
    ///
    /// # Errors
    /// [`StoreError::Damaged`] with SQLite's first findings; SQLite errors (a file too damaged
    /// to be read at all).
    pub fn quick_check(&self) -> Result<()> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare("PRAGMA quick_check(5)")?;
        let findings: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        if findings.len() == 1 && findings[0] == "ok" {
            Ok(())
        } else {
            Err(StoreError::Damaged { path: self.path.clone(), detail: findings.join("; ").replace('\n', "; ") })
        }
    }

    /// [`SqliteStore::quick_check`] of the database at `path` on a connection and thread of
    /// its own, so it can run while the store is used (start-up serves a large database while
    /// it is checked).
    ///
    /// # Errors
    /// As [`SqliteStore::quick_check`].
    pub fn quick_check_concurrently(path: &Path) -> std::thread::JoinHandle<Result<()>> {
        let path = path.display().to_string();
        std::thread::spawn(move || {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = Connection::open_with_flags(&path, flags)
                .map_err(|source| StoreError::Open { path: path.clone(), source })?;
            Self { conn: Mutex::new(conn), path, file: None, import_journal: journal::Journal::Wal }.quick_check()
        })
    }

    /// The connection, once the database's path is seen to still lead to the file it opened.
    ///
    /// An open connection keeps working on its file after the file (or its folder) is moved,
    /// deleted or replaced, so SQLite would go on committing into a file nobody will open
    /// again: a write acknowledged then would be lost at the next start. One `stat` per store
    /// call tells that apart, and the call is refused as [`StoreError::Unavailable`] (nothing
    /// is written) until the file is back where it was.
    fn conn(&self) -> Result<MutexGuard<'_, Connection>> {
        if let Some(opened) = self.file {
            let unreachable = |why: String| StoreError::Unavailable(format!("the database file {} {why}", self.path));
            match file_id(Path::new(&self.path)) {
                Ok(Some(now)) if now == opened => {}
                Ok(_) => return Err(unreachable("is another file than the one opened (replaced)".into())),
                Err(e) => return Err(unreachable(format!("cannot be reached ({e})"))),
            }
        }
        Ok(self.conn.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn migrate(&self) -> Result<()> {
        let mut conn = self.conn()?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let supported = MIGRATIONS.len() as i64;
        if version > supported {
            return Err(StoreError::SchemaTooNew { found: version, supported });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    }
}

/// Creates `path` as an empty file readable and writable by its owner only (0600), if it does
/// not exist: SQLite would create it 0644 (less the umask), and it holds staff token hashes
/// and the edit history. SQLite gives the `-wal` and `-shm` files the database file's
/// permissions, so they follow. Any failure (no such folder, an existing file) is left for
/// SQLite's open to report.
fn create_private(path: &Path) {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let _ = options.open(path);
}

/// The stored districts, in their defined order.
fn load_districts_from(conn: &Connection) -> Result<Vec<District>> {
    let mut stmt = conn.prepare("SELECT id, name, description, geometry FROM districts ORDER BY position")?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, String>(3)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, description, geometry) = row?;
        let corrupt = |reason: String| StoreError::Corrupt { id: format!("district {id}"), reason };
        let geometry: geojson::Geometry = geometry.parse().map_err(|e: geojson::Error| corrupt(e.to_string()))?;
        let area = polygon_from_geojson(&geometry.value).map_err(|e| corrupt(e.to_string()))?;
        out.push(District { id, name, description, area });
    }
    Ok(out)
}

impl Store for SqliteStore {
    fn load_snapshot_chunked(&self, chunk: usize, each: &mut dyn FnMut(ProviderRows) -> Result<()>) -> Result<i64> {
        feed::load_snapshot(&mut *self.conn()?, chunk, each)
    }

    fn last_seq(&self) -> Result<i64> {
        feed::last_seq(&*self.conn()?)
    }

    fn changes_since(&self, after: i64, limit: usize) -> Result<Vec<FeedEntry>> {
        feed::changes_since(&*self.conn()?, after, limit)
    }

    fn count_providers(&self) -> Result<u64> {
        let n: i64 =
            self.conn()?.query_row("SELECT COUNT(*) FROM providers WHERE deleted_at IS NULL", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn has_providers(&self) -> Result<bool> {
        let sql = "SELECT EXISTS (SELECT 1 FROM providers WHERE deleted_at IS NULL)";
        Ok(self.conn()?.query_row(sql, [], |r| r.get(0))?)
    }

    fn insert_providers(&self, providers: &[Provider], action: &str) -> Result<Option<SeqRange>> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let mut seqs: Option<SeqRange> = None;
        for p in providers {
            let exists: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM providers WHERE id = ?1)")?
                .query_row([&p.id], |r| r.get(0))?;
            if exists {
                return Err(StoreError::Duplicate { id: p.id.clone() });
            }
            insert_provider(&tx, p)?;
            let seq = write_history(&tx, p, action)?;
            seqs = Some(seqs.map_or(SeqRange::one(seq), |r| SeqRange { last: seq, ..r }));
        }
        tx.commit()?;
        Ok(seqs)
    }

    fn load_districts(&self) -> Result<Vec<District>> {
        load_districts_from(&*self.conn()?)
    }

    fn replace_districts(&self, districts: &[District]) -> Result<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        write_districts(&tx, districts)?;
        tx.commit()?;
        Ok(())
    }

    fn load_population(&self) -> Result<Vec<PopulationColumn>> {
        population::load(&*self.conn()?)
    }

    fn has_population(&self) -> Result<bool> {
        Ok(self.conn()?.query_row("SELECT EXISTS (SELECT 1 FROM population_columns)", [], |r| r.get(0))?)
    }

    fn replace_population(&self, columns: &[PopulationColumn]) -> Result<()> {
        population::replace(&mut *self.conn()?, columns)
    }

    fn for_each_address(&self, each: &mut dyn FnMut(&crate::address::AddressPoint)) -> Result<()> {
        address::for_each(&*self.conn()?, each)
    }

    fn has_addresses(&self) -> Result<bool> {
        Ok(self.conn()?.query_row("SELECT EXISTS (SELECT 1 FROM address_points)", [], |r| r.get(0))?)
    }

    fn replace_addresses(
        &self,
        source: &str,
        cities: &[String],
        points: &[crate::address::AddressPoint],
    ) -> Result<()> {
        address::replace(&mut *self.conn()?, source, cities, points)
    }

    fn load_community_centers(&self) -> Result<Vec<crate::address::centers::CommunityCenter>> {
        address::load_centers(&*self.conn()?)
    }

    fn replace_community_centers(
        &self,
        centers: &[crate::address::centers::CommunityCenter],
        actor: &str,
    ) -> Result<()> {
        address::replace_centers(&mut *self.conn()?, centers, actor)
    }

    fn community_centers_version(&self) -> Result<i64> {
        address::layer_version(&*self.conn()?)
    }

    fn write_community_center(&self, write: &crate::store::CenterWrite<'_>) -> Result<i64> {
        address::write_center(&mut *self.conn()?, write)
    }

    fn community_center_events(&self, limit: usize) -> Result<Vec<crate::store::CenterEvent>> {
        address::center_events(&*self.conn()?, limit)
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?;
        let mut rows = stmt.query([key])?;
        Ok(match rows.next()? {
            Some(row) => Some(row.get(0)?),
            None => None,
        })
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    fn provider_record(&self, id: &str) -> Result<Option<ProviderRecord>> {
        rows::read_record(&*self.conn()?, id)
    }

    fn create_provider(&self, provider: &Provider, stamp: &Stamp) -> Result<Written> {
        providers::create_provider(&mut *self.conn()?, provider, stamp)
    }

    fn create_provider_with_new_id(&self, provider: &Provider, prefix: &str, stamp: &Stamp) -> Result<Written> {
        providers::create_provider_with_new_id(&mut *self.conn()?, provider, prefix, stamp)
    }

    fn update_provider(&self, provider: &Provider, expected: &[i64], stamp: &Stamp, action: &str) -> Result<Written> {
        providers::update_provider(&mut *self.conn()?, provider, expected, stamp, action)
    }

    fn set_deleted(&self, id: &str, deleted: bool, expected: &[i64], stamp: &Stamp) -> Result<Written> {
        providers::set_deleted(&mut *self.conn()?, id, deleted, expected, stamp)
    }

    fn provider_version(&self, id: &str, version: i64) -> Result<Provider> {
        providers::provider_version(&*self.conn()?, id, version)
    }

    fn provider_history(&self, id: &str) -> Result<Vec<HistoryEntry>> {
        providers::provider_history(&*self.conn()?, id)
    }

    fn audit_log(&self, query: &AuditQuery) -> Result<Vec<HistoryEntry>> {
        providers::audit_log(&*self.conn()?, query)
    }

    fn create_user(&self, new: &NewUser<'_>) -> Result<User> {
        users::add_user(&mut *self.conn()?, new)
    }

    fn rotate_user(&self, name: &str, token_hash: &TokenHash, expires_at: Option<String>, actor: &str) -> Result<User> {
        users::rotate_user(&mut *self.conn()?, name, token_hash, expires_at, actor)
    }

    fn account_events(&self, query: &AuditQuery) -> Result<Vec<AccountEvent>> {
        users::account_events(&*self.conn()?, query)
    }

    fn users(&self) -> Result<Vec<User>> {
        users::users(&*self.conn()?)
    }

    fn revoke_user_by(&self, name: &str, actor: &str) -> Result<bool> {
        users::revoke_user(&mut *self.conn()?, name, actor)
    }

    fn user_by_token_hash(&self, token_hash: &TokenHash) -> Result<Option<User>> {
        users::user_by_token_hash(&*self.conn()?, token_hash)
    }

    fn load_provider_records(&self) -> Result<Vec<ProviderRecord>> {
        imports::load_provider_records(&*self.conn()?)
    }

    fn load_provider_records_of(&self, ids: &[&str]) -> Result<Vec<ProviderRecord>> {
        imports::load_provider_records_of(&*self.conn()?, ids)
    }

    fn apply_import(&self, write: &ImportWrite, seed_districts: Option<&[District]>) -> Result<Option<SeqRange>> {
        imports::apply_import(&mut *self.conn()?, write, seed_districts, self.import_journal)
    }

    fn dump(&self) -> Result<crate::store::Dump> {
        dump::dump(&mut *self.conn()?)
    }

    fn restore_dump(&self, dump: &crate::store::Dump) -> Result<()> {
        dump::restore(&mut *self.conn()?, dump)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{HomeCare, Kind, LonLat, parse_districts};

    fn provider(id: &str) -> Provider {
        Provider {
            id: id.into(),
            kind: Kind::Clinic,
            official_code: Some("0012345678".into()),
            name: "テスト診療所".into(),
            name_kana: Some("テストシンリョウジョ".into()),
            services: vec!["130".into(), "140".into()],
            home_care: Some(HomeCare { available_24h: true, ..HomeCare::default() }),
            address: Some("千葉県流山市平和台1-1-1".into()),
            phone: Some("04-0000-0000".into()),
            fax: None,
            url: None,
            corporation: None,
            corporate_number: None,
            capacity: Some(19),
            open_days: Some("平日,土曜日".into()),
            notes: Some("'; DROP TABLE providers; --".into()),
            accepting: Some(crate::domain::Accepting::Consult),
            accepting_note: Some("火・木の午後なら可".into()),
            accepting_places: Some(1),
            accepting_checked_at: Some("2026-11-01T00:00:00Z".into()),
            accepting_updated_at: Some("2026-11-01".into()),
            location: LonLat::new(139.9, 35.85).unwrap(),
            district: Some("central".into()),
            version: 1,
            updated_at: "2026-11-01T00:00:00Z".into(),
            updated_by: "test".into(),
        }
    }

    #[test]
    fn providers_round_trip_through_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        SqliteStore::open(&path).unwrap().insert_providers(&[provider("b"), provider("a")], "test").unwrap();
        let loaded = SqliteStore::open(&path).unwrap().load_providers().unwrap();
        assert_eq!(loaded, vec![provider("a"), provider("b")]);
    }

    #[test]
    fn chunked_loading_hands_over_every_live_provider_in_id_order_in_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        let ids = ["e", "b", "d", "a", "c"];
        store.insert_providers(&ids.map(provider), "test").unwrap();
        let mut chunks: Vec<Vec<String>> = Vec::new();
        store
            .load_providers_chunked(2, &mut |chunk| {
                chunks.push(chunk.into_iter().map(|p| p.id).collect());
                Ok(())
            })
            .unwrap();
        assert_eq!(chunks, [vec!["a", "b"], vec!["c", "d"], vec!["e"]]);
        let stop = store.load_providers_chunked(2, &mut |_| Err(StoreError::Duplicate { id: "x".into() }));
        assert!(matches!(stop, Err(StoreError::Duplicate { .. })), "the callback's error ends the load: {stop:?}");
    }

    #[test]
    fn a_failed_batch_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        store.insert_providers(&[provider("a")], "test").unwrap();
        assert!(store.insert_providers(&[provider("b"), provider("a")], "test").is_err());
        assert_eq!(store.count_providers().unwrap(), 1);
    }

    #[test]
    fn districts_and_settings_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        let d = parse_districts(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"n","name":"北部"},
            "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}"#,
        )
        .unwrap();
        store.replace_districts(&d).unwrap();
        assert_eq!(store.load_districts().unwrap(), d);
        store.set_meta("dataset", "sample").unwrap();
        assert_eq!(store.meta("dataset").unwrap().as_deref(), Some("sample"));
        assert_eq!(store.meta("missing").unwrap(), None);
    }

    #[test]
    fn a_database_file_moved_or_replaced_under_an_open_store_is_unreachable_until_it_is_back() {
        let dir = tempfile::tempdir().unwrap();
        let (home, aside) = (dir.path().join("home"), dir.path().join("aside"));
        std::fs::create_dir(&home).unwrap();
        let path = home.join("t.db");
        let store = SqliteStore::open(&path).unwrap();
        store.insert_providers(&[provider("a")], "test").unwrap();
        // The folder moves with the file and its -wal and -shm.
        std::fs::rename(&home, &aside).unwrap();
        let err = store.insert_providers(&[provider("b")], "test").unwrap_err();
        assert!(matches!(&err, StoreError::Unavailable(m) if m.contains("t.db")), "{err:?}");
        std::fs::create_dir(&home).unwrap();
        drop(SqliteStore::open(&path).unwrap());
        let err = store.count_providers().unwrap_err();
        assert!(matches!(&err, StoreError::Unavailable(m) if m.contains("replaced")), "{err:?}");
        std::fs::remove_dir_all(&home).unwrap();
        std::fs::rename(&aside, &home).unwrap();
        store.insert_providers(&[provider("b")], "test").unwrap();
        assert_eq!(SqliteStore::open(&path).unwrap().count_providers().unwrap(), 2, "written into the file in place");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not.db");
        std::fs::write(&path, vec![b'x'; 4096]).unwrap();
        let err = SqliteStore::open(&path).unwrap_err().to_string();
        assert!(err.contains("not.db"), "{err}");
    }
}
