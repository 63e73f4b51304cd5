//! Imports: reading every stored provider (live or deleted) for the diff, and writing a
//! planned import in one IMMEDIATE transaction. Each write checks that the provider is still
//! at the version the plan saw, so a staff edit made while the files were parsed is never
//! overwritten silently: the whole import fails and nothing is written. The time of the
//! import is recorded (meta `last_import_at`) in the same transaction, so it changes exactly
//! when the data does.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::journal::{self, Journal};
use super::rows::{PROVIDER_COLUMNS, RowWriter, col, provider_from_row, read_record, write_districts};
use crate::domain::{District, Provider};
use crate::store::{LAST_IMPORT_META, ProviderRecord, Result, SeqRange, StoreError};

/// How a provider an import adds, changes or restores is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpsertBase {
    /// The stored version the plan saw; `None` for an id that was not stored.
    pub base_version: Option<i64>,
    /// The history action.
    pub action: &'static str,
}

/// A provider an import adds, changes or restores, as [`ImportWrite::upserts`] lists it.
#[derive(Debug, Clone, Copy)]
pub struct ImportUpsert<'a> {
    /// The provider as it will be stored (version, `updated_at`, `updated_by` set).
    pub provider: &'a Provider,
    /// The stored version the plan saw; `None` for an id that was not stored.
    pub base_version: Option<i64>,
    /// The history action.
    pub action: &'static str,
}

/// A provider an import soft-deletes.
#[derive(Debug, Clone)]
pub struct ImportRemoval {
    /// The provider as it will be stored (next version, `updated_at` = the deletion time).
    pub provider: Provider,
    /// The stored version the plan saw.
    pub base_version: i64,
    /// The history action.
    pub action: &'static str,
}

/// Everything one import writes.
///
/// The providers written and how each is written are two lists of the same length, so that
/// the plan can turn the providers it read into those it writes in place: a million read
/// providers are ~530 MB, and a second list of them was that much more memory to fault in.
#[derive(Debug, Clone, Default)]
pub struct ImportWrite {
    upserted: Vec<Provider>,
    bases: Vec<UpsertBase>,
    /// Providers soft-deleted.
    pub removals: Vec<ImportRemoval>,
    /// RFC 3339 UTC time of the import, recorded as the last import time ([`LAST_IMPORT_META`])
    /// in the same transaction; `None` leaves the recorded time as it is.
    pub imported_at: Option<String>,
}

impl ImportWrite {
    /// The write of `upserted`, each written as the base at the same position says.
    ///
    /// # Panics
    /// If the two lists differ in length (a bug in the caller).
    pub fn planned(upserted: Vec<Provider>, bases: Vec<UpsertBase>) -> Self {
        assert_eq!(upserted.len(), bases.len(), "one base per provider written");
        Self { upserted, bases, ..Self::default() }
    }

    /// A write of no provider yet, recording `imported_at` as the last import time.
    pub fn new(imported_at: Option<String>) -> Self {
        Self { imported_at, ..Self::default() }
    }

    /// Adds a provider to add, change or restore.
    pub fn push_upsert(&mut self, provider: Provider, base: UpsertBase) {
        self.upserted.push(provider);
        self.bases.push(base);
    }

    /// `self` with a provider to add, change or restore.
    #[must_use]
    pub fn with_upsert(mut self, provider: Provider, base_version: Option<i64>, action: &'static str) -> Self {
        self.push_upsert(provider, UpsertBase { base_version, action });
        self
    }

    /// `self` with a provider to soft-delete.
    #[must_use]
    pub fn with_removal(mut self, removal: ImportRemoval) -> Self {
        self.removals.push(removal);
        self
    }

    /// The providers added, changed or restored, in the order they are written.
    pub fn upserts(&self) -> impl ExactSizeIterator<Item = ImportUpsert<'_>> + '_ {
        self.upserted.iter().zip(&self.bases).map(|(provider, base)| ImportUpsert {
            provider,
            base_version: base.base_version,
            action: base.action,
        })
    }

    /// How many providers the import writes (upserts and removals).
    pub fn len(&self) -> usize {
        self.upserted.len() + self.removals.len()
    }

    /// Whether the import writes no provider (it still records its time).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The providers added, changed or restored, and those soft-deleted.
    pub fn into_parts(self) -> (Vec<Provider>, Vec<ImportRemoval>) {
        (self.upserted, self.removals)
    }
}

pub(super) fn load_provider_records(conn: &Connection) -> Result<Vec<ProviderRecord>> {
    records(conn, "", [])
}

/// The records of `ids` in one statement: the ids go in as one JSON array, which
/// `json_each` unnests (a bound parameter however many ids there are, no SQL built from them).
/// An empty table is answered without it: writing and unnesting the million ids of a first
/// national import took half a second to find nothing.
pub(super) fn load_provider_records_of(conn: &Connection, ids: &[&str]) -> Result<Vec<ProviderRecord>> {
    let any: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM providers)", [], |r| r.get(0))?;
    if !any || ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::to_string(ids).unwrap_or_default();
    records(conn, "WHERE id IN (SELECT value FROM json_each(?1))", [ids])
}

/// The stored providers `filter` (a `WHERE` clause, or nothing) keeps, live or soft-deleted,
/// in id order.
fn records(conn: &Connection, filter: &str, params: impl rusqlite::Params) -> Result<Vec<ProviderRecord>> {
    let mut stmt =
        conn.prepare(&format!("SELECT {PROVIDER_COLUMNS}, deleted_at FROM providers {filter} ORDER BY id"))?;
    let rows = stmt.query_map(params, |row| Ok((provider_from_row(row)?, row.get::<_, Option<String>>(col::NEXT)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (provider, deleted_at) = row?;
        out.push(ProviderRecord { provider: provider?, deleted_at });
    }
    Ok(out)
}

/// The error for a provider that is no longer at `expected`.
fn changed_under_us(conn: &Connection, id: &str) -> StoreError {
    match read_record(conn, id) {
        Ok(Some(current)) => StoreError::VersionMismatch { current: Box::new(current) },
        Ok(None) => StoreError::NotFound { id: id.to_owned() },
        Err(e) => e,
    }
}

pub(super) fn apply_import(
    conn: &mut Connection,
    write: &ImportWrite,
    seed_districts: Option<&[District]>,
    journal: Journal,
) -> Result<Option<SeqRange>> {
    // A large import touches far more pages than SQLite's default 2 MB cache holds; a bigger
    // cache for the duration of the import keeps the index pages in memory.
    let cache_size: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    conn.pragma_update(None, "cache_size", IMPORT_CACHE_KIB)?;
    let result = journal::with(conn, journal, |conn| write_import(conn, write, seed_districts));
    conn.pragma_update(None, "cache_size", cache_size)?;
    result
}

/// Page cache during an import, KiB (the negative `cache_size` form). SQLite allocates it with
/// the C library's `malloc`, which keeps what the cache used after the import: in a running
/// server 256 MB held ~140 MiB for good, while 64 MB imports a 1 M-row file into a new
/// database as fast (20.4 s against 21.3 s) and 100 k rows into 1 M as fast (3.7–4.4 s).
const IMPORT_CACHE_KIB: i64 = -64 * 1024;

fn write_import(
    conn: &mut Connection,
    write: &ImportWrite,
    seed_districts: Option<&[District]>,
) -> Result<Option<SeqRange>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut seqs: Option<SeqRange> = None;
    let mut note_seq = |seq: i64| seqs = Some(seqs.map_or(SeqRange::one(seq), |r| SeqRange { last: seq, ..r }));
    if let Some(districts) = seed_districts {
        write_districts(&tx, districts)?;
    }
    let mut rows = RowWriter::new(&tx)?;
    let mut current_version = tx.prepare_cached("SELECT version FROM providers WHERE id = ?1")?;
    for u in write.upserts() {
        match u.base_version {
            // A plain INSERT: the primary key refuses an id that appeared since the plan.
            None => rows.insert(u.provider).map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Duplicate { id: u.provider.id.clone() },
                _ => StoreError::Sqlite(e),
            })?,
            Some(base) => {
                let current: Option<i64> = current_version.query_row([&u.provider.id], |r| r.get(0)).optional()?;
                if current != Some(base) {
                    return Err(changed_under_us(&tx, &u.provider.id));
                }
                rows.update(u.provider)?;
            }
        }
        note_seq(rows.history(u.provider, u.action)?);
    }
    for r in &write.removals {
        let p = &r.provider;
        let updated = tx
            .prepare_cached(
                "UPDATE providers SET version = ?2, updated_at = ?3, updated_by = ?4, deleted_at = ?3 \
                 WHERE id = ?1 AND version = ?5 AND deleted_at IS NULL",
            )?
            .execute(params![p.id, p.version, p.updated_at, p.updated_by, r.base_version])?;
        if updated != 1 {
            return Err(changed_under_us(&tx, &p.id));
        }
        note_seq(rows.history(p, r.action)?);
    }
    drop((rows, current_version));
    if let Some(at) = &write.imported_at {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![LAST_IMPORT_META, at],
        )?;
    }
    let written = std::time::Instant::now();
    tx.commit()?;
    tracing::info!(commit_ms = written.elapsed().as_millis() as u64, "import transaction committed");
    Ok(seqs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Kind, LonLat, action};
    use crate::store::{SqliteStore, Store};

    fn provider(id: &str, name: &str, version: i64) -> Provider {
        Provider {
            services: vec!["110".into()],
            version,
            updated_at: "2026-11-01T00:00:00Z".into(),
            updated_by: "import".into(),
            ..Provider::new(id.into(), Kind::Care, name.into(), LonLat::new(139.9, 35.85).unwrap())
        }
    }

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        store.insert_providers(&[provider("a", "あ", 1), provider("b", "い", 1)], "test").unwrap();
        (dir, store)
    }

    fn history(store: &SqliteStore, id: &str) -> Vec<String> {
        store.provider_history(id).unwrap().into_iter().map(|e| e.action).collect()
    }

    #[test]
    fn a_write_planned_against_an_older_version_is_refused_and_writes_nothing() {
        let (_dir, store) = store();
        let write = ImportWrite::new(Some("2026-11-02T00:00:00Z".into()))
            .with_upsert(provider("c", "う", 1), None, "import")
            .with_upsert(provider("a", "あ2", 2), Some(1), "import");
        // A staff edit lands between the diff and the commit.
        let staff = crate::domain::Stamp::now("staff");
        store.update_provider(&provider("a", "あ（修正）", 1), &[1], &staff, action::UPDATE).unwrap();
        let err = store.apply_import(&write, None).unwrap_err();
        assert!(matches!(err, StoreError::VersionMismatch { .. }), "{err}");
        let names: Vec<String> = store.load_providers().unwrap().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["あ（修正）", "い"], "nothing of the import was written");
        assert_eq!(store.meta(LAST_IMPORT_META).unwrap(), None, "nor its time");
    }

    #[test]
    fn a_removal_soft_deletes_and_an_upsert_brings_a_deleted_provider_back() {
        let (_dir, store) = store();
        let remove = ImportWrite::default().with_removal(ImportRemoval {
            provider: provider("b", "い", 2),
            base_version: 1,
            action: "import-delete",
        });
        store.apply_import(&remove, None).unwrap();
        assert_eq!(store.count_providers().unwrap(), 1);
        let record = store.provider_record("b").unwrap().unwrap();
        assert_eq!((record.provider.version, record.deleted_at.as_deref()), (2, Some("2026-11-01T00:00:00Z")));
        let restore = ImportWrite::default().with_upsert(provider("b", "い", 3), Some(2), "import-restore");
        store.apply_import(&restore, None).unwrap();
        assert_eq!(store.provider_record("b").unwrap().unwrap().deleted_at, None);
        assert_eq!(history(&store, "b"), ["import-restore", "import-delete", "test"]);
        assert_eq!(store.load_provider_records().unwrap().len(), 2);
    }

    #[test]
    fn a_new_id_that_appeared_meanwhile_is_a_duplicate() {
        let (_dir, store) = store();
        let write = ImportWrite::default().with_upsert(provider("a", "x", 1), None, "import");
        assert!(matches!(store.apply_import(&write, None), Err(StoreError::Duplicate { .. })));
    }

    #[test]
    fn a_committed_import_records_its_time_and_one_without_a_time_keeps_the_last() {
        let (_dir, store) = store();
        let write = |at: Option<&str>, name: &str, version: i64| {
            ImportWrite::new(at.map(str::to_owned)).with_upsert(
                provider("a", name, version),
                Some(version - 1),
                "import",
            )
        };
        store.apply_import(&write(Some("2026-11-02T09:00:00Z"), "あ2", 2), None).unwrap();
        assert_eq!(store.meta(LAST_IMPORT_META).unwrap().as_deref(), Some("2026-11-02T09:00:00Z"));
        store.apply_import(&write(None, "あ3", 3), None).unwrap();
        assert_eq!(store.meta(LAST_IMPORT_META).unwrap().as_deref(), Some("2026-11-02T09:00:00Z"));
        let empty = ImportWrite::new(Some("2026-11-03T09:00:00Z".into()));
        store.apply_import(&empty, None).unwrap();
        assert_eq!(
            store.meta(LAST_IMPORT_META).unwrap().as_deref(),
            Some("2026-11-03T09:00:00Z"),
            "an import that changed no provider still happened"
        );
    }
}
