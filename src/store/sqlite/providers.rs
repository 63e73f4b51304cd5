//! Staff writes and their history: create, update (with the expected version), soft delete,
//! restore, and reading the history back. Each write is one IMMEDIATE transaction (the write
//! lock is taken before the version is read, so the check and the write cannot be split by
//! another connection) that changes the row and appends a history entry.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::rows::{insert_provider, read_record, update_provider_row, write_history};
use crate::domain::{Provider, Stamp, action};
use crate::store::codec::{HISTORY_ENTRY_SELECT, previous_from_history, provider_from_history};
use crate::store::{AuditQuery, HistoryEntry, ProviderRecord, Result, StoreError, Written};

/// Writes `p` as a new provider (version 1) with its `create` entry and commits.
fn insert_created(tx: rusqlite::Transaction<'_>, p: Provider, stamp: &Stamp) -> Result<Written> {
    let p = stamp.apply(p, 1);
    insert_provider(&tx, &p)?;
    let seq = write_history(&tx, &p, action::CREATE)?;
    tx.commit()?;
    Ok(Written { record: ProviderRecord { provider: p, deleted_at: None }, seq: Some(seq) })
}

pub(super) fn create_provider(conn: &mut Connection, p: &Provider, stamp: &Stamp) -> Result<Written> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if read_record(&tx, &p.id)?.is_some() {
        return Err(StoreError::Duplicate { id: p.id.clone() });
    }
    insert_created(tx, p.clone(), stamp)
}

/// Creates `p` under the id `<prefix><n>`, n one more than the largest number after `prefix`
/// in any stored id (soft-deleted ones included, so an id is never given twice). The number is
/// read inside the write transaction, so two creates cannot pick the same one.
pub(super) fn create_provider_with_new_id(
    conn: &mut Connection,
    p: &Provider,
    prefix: &str,
    stamp: &Stamp,
) -> Result<Written> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let pattern = format!("{}[0-9]*", prefix.replace(['[', ']', '*', '?'], ""));
    let largest: i64 = tx.query_row(
        "SELECT COALESCE(MAX(CAST(substr(id, length(?1) + 1) AS INTEGER)), 0) FROM providers WHERE id GLOB ?2",
        params![prefix, pattern],
        |row| row.get(0),
    )?;
    let id = format!("{prefix}{}", largest.saturating_add(1));
    if read_record(&tx, &id)?.is_some() {
        return Err(StoreError::Duplicate { id });
    }
    insert_created(tx, Provider { id, ..p.clone() }, stamp)
}

/// The current record if its version is expected; the error the caller should see otherwise.
fn expect_version(conn: &Connection, id: &str, expected: &[i64]) -> Result<ProviderRecord> {
    let current = read_record(conn, id)?.ok_or_else(|| StoreError::NotFound { id: id.to_owned() })?;
    if !expected.contains(&current.provider.version) {
        return Err(StoreError::VersionMismatch { current: Box::new(current) });
    }
    Ok(current)
}

pub(super) fn update_provider(
    conn: &mut Connection,
    p: &Provider,
    expected: &[i64],
    stamp: &Stamp,
    action_done: &str,
) -> Result<Written> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current = expect_version(&tx, &p.id, expected)?;
    if current.deleted_at.is_some() {
        return Err(StoreError::Deleted { id: p.id.clone() });
    }
    let old = &current.provider;
    let unchanged = Stamp { at: old.updated_at.clone(), by: old.updated_by.clone() }.apply(p.clone(), old.version);
    if action_done == action::UPDATE && unchanged == *old {
        return Ok(Written { record: current, seq: None });
    }
    let next = stamp.apply(p.clone(), old.version + 1);
    update_provider_row(&tx, &next)?;
    let seq = write_history(&tx, &next, action_done)?;
    tx.commit()?;
    Ok(Written { record: ProviderRecord { provider: next, deleted_at: None }, seq: Some(seq) })
}

pub(super) fn set_deleted(
    conn: &mut Connection,
    id: &str,
    deleted: bool,
    expected: &[i64],
    stamp: &Stamp,
) -> Result<Written> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current = expect_version(&tx, id, expected)?;
    match (deleted, current.deleted_at.is_some()) {
        (true, true) => return Err(StoreError::Deleted { id: id.to_owned() }),
        (false, false) => return Err(StoreError::NotDeleted { id: id.to_owned() }),
        _ => {}
    }
    let next = stamp.apply(current.provider.clone(), current.provider.version + 1);
    let deleted_at = deleted.then(|| stamp.at.clone());
    tx.prepare_cached(
        "UPDATE providers SET version = ?2, updated_at = ?3, updated_by = ?4, deleted_at = ?5 WHERE id = ?1",
    )?
    .execute(params![id, next.version, next.updated_at, next.updated_by, deleted_at])?;
    let seq = write_history(&tx, &next, if deleted { action::DELETE } else { action::RESTORE })?;
    tx.commit()?;
    Ok(Written { record: ProviderRecord { provider: next, deleted_at }, seq: Some(seq) })
}

/// A provider's latest entry at a version: its seq, data and stamp.
const VERSION_SELECT: &str = "SELECT seq, data, changed_at, changed_by FROM provider_history \
     WHERE provider_id = ?1 AND version = ?2 ORDER BY seq DESC LIMIT 1";

pub(super) fn provider_version(conn: &Connection, id: &str, version: i64) -> Result<Provider> {
    let found: Option<(i64, String, String, String)> = conn
        .prepare_cached(VERSION_SELECT)?
        .query_row(params![id, version], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let (seq, data, at, by) = found.ok_or_else(|| StoreError::UnknownVersion { id: id.to_owned(), version })?;
    provider_from_history(seq, id, version, &at, &by, &data)
}

/// An entry's seq, provider id, version, action, data and stamp.
type RawAfter = (i64, String, i64, String, String, String, String);
/// The previous entry's seq, version, data and stamp.
type RawBefore = (Option<i64>, Option<i64>, Option<String>, Option<String>, Option<String>);

fn raw_entry(r: &Row<'_>) -> rusqlite::Result<(RawAfter, RawBefore)> {
    Ok((
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?),
        (r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?),
    ))
}

fn entry((after, before): (RawAfter, RawBefore)) -> Result<HistoryEntry> {
    let (seq, provider_id, version, action, data, changed_at, changed_by) = after;
    let after = provider_from_history(seq, &provider_id, version, &changed_at, &changed_by, &data)?;
    let (b_seq, b_version, b_data, b_at, b_by) = before;
    let before =
        previous_from_history(b_seq, &provider_id, b_version, b_at.as_deref(), b_by.as_deref(), b_data.as_deref())?;
    Ok(HistoryEntry { seq, provider_id, version, action, changed_at, changed_by, after, before })
}

pub(super) fn provider_history(conn: &Connection, id: &str) -> Result<Vec<HistoryEntry>> {
    let mut stmt =
        conn.prepare_cached(&format!("{HISTORY_ENTRY_SELECT} WHERE h.provider_id = ?1 ORDER BY h.seq DESC"))?;
    let rows = stmt.query_map([id], raw_entry)?;
    rows.map(|r| entry(r?)).collect()
}

pub(super) fn audit_log(conn: &Connection, q: &AuditQuery) -> Result<Vec<HistoryEntry>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{HISTORY_ENTRY_SELECT} WHERE h.changed_at >= ?1 AND h.seq > ?2 ORDER BY h.seq LIMIT ?3"
    ))?;
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![q.since.as_deref().unwrap_or(""), q.after_seq.unwrap_or(0), limit], raw_entry)?;
    rows.map(|r| entry(r?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Role, hash_token};
    use crate::domain::{Kind, LonLat};
    use crate::store::{SqliteStore, Store};

    fn provider(id: &str) -> Provider {
        Provider {
            services: vec!["130".into()],
            version: 99,
            ..Provider::new(id.into(), Kind::Care, "さくら訪問看護".into(), LonLat::new(139.9, 35.85).unwrap())
        }
    }

    fn by(name: &str) -> Stamp {
        Stamp::now(name)
    }

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn each_write_is_the_next_version_by_its_actor() {
        let (_dir, store) = store();
        let created = store.create_provider(&provider("a"), &by("yamada")).unwrap();
        assert_eq!((created.record.provider.version, created.record.provider.updated_by.as_str()), (1, "yamada"));
        let edit = Provider { name: "さくら".into(), ..provider("a") };
        let updated = store.update_provider(&edit, &[1], &by("suzuki"), action::UPDATE).unwrap();
        assert_eq!((updated.record.provider.version, updated.record.provider.updated_by.as_str()), (2, "suzuki"));
        assert_eq!(store.provider_record("a").unwrap().unwrap(), updated.record);
    }

    #[test]
    fn a_stale_version_is_refused_with_the_current_record_and_writes_nothing() {
        let (_dir, store) = store();
        store.create_provider(&provider("a"), &by("yamada")).unwrap();
        store.update_provider(&Provider { name: "x".into(), ..provider("a") }, &[1], &by("a"), action::UPDATE).unwrap();
        let err =
            store.update_provider(&Provider { name: "y".into(), ..provider("a") }, &[1], &by("b"), action::UPDATE);
        let Err(StoreError::VersionMismatch { current }) = err else { panic!("{err:?}") };
        assert_eq!((current.provider.version, current.provider.name.as_str()), (2, "x"));
        assert_eq!(store.provider_history("a").unwrap().len(), 2);
    }

    #[test]
    fn an_update_that_changes_nothing_makes_no_version() {
        let (_dir, store) = store();
        store.create_provider(&provider("a"), &by("yamada")).unwrap();
        let same = store.update_provider(&provider("a"), &[1], &by("suzuki"), action::UPDATE).unwrap();
        assert_eq!((same.record.provider.version, same.record.provider.updated_by.as_str()), (1, "yamada"));
    }

    #[test]
    fn soft_delete_hides_the_provider_and_restore_brings_it_back() {
        let (_dir, store) = store();
        store.create_provider(&provider("a"), &by("yamada")).unwrap();
        let deleted = store.set_deleted("a", true, &[1], &by("yamada")).unwrap();
        assert!(deleted.record.deleted_at.is_some());
        assert_eq!(store.count_providers().unwrap(), 0);
        assert!(matches!(store.set_deleted("a", true, &[2], &by("y")), Err(StoreError::Deleted { .. })));
        let edit = Provider { name: "x".into(), ..provider("a") };
        assert!(matches!(
            store.update_provider(&edit, &[2], &by("y"), action::UPDATE),
            Err(StoreError::Deleted { .. })
        ));
        let restored = store.set_deleted("a", false, &[2], &by("yamada")).unwrap();
        assert_eq!((restored.record.provider.version, restored.record.deleted_at), (3, None));
        assert_eq!(store.load_providers().unwrap().len(), 1);
        assert!(matches!(store.set_deleted("a", false, &[3], &by("y")), Err(StoreError::NotDeleted { .. })));
    }

    /// A version is looked up through the (provider_id, seq) index, never by reading the whole
    /// history (the index on (provider_id, version) is gone since migration 9).
    #[test]
    fn a_version_is_found_through_the_provider_and_seq_index() {
        let (_dir, store) = store();
        store.create_provider(&provider("a"), &by("yamada")).unwrap();
        let conn = store.conn().unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {VERSION_SELECT}"))
            .unwrap()
            .query_map(params!["a", 1], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(plan.iter().any(|step| step.contains("provider_history_by_seq_provider")), "{plan:?}");
        assert_eq!(provider_version(&conn, "a", 1).unwrap().id, "a");
    }

    #[test]
    fn history_is_newest_first_with_the_previous_version_for_the_diff() {
        let (_dir, store) = store();
        store.create_provider(&provider("a"), &by("yamada")).unwrap();
        store.create_provider(&provider("b"), &by("yamada")).unwrap();
        store
            .update_provider(&Provider { name: "x".into(), ..provider("a") }, &[1], &by("suzuki"), action::UPDATE)
            .unwrap();
        let history = store.provider_history("a").unwrap();
        assert_eq!(history.iter().map(|h| h.version).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(history[0].before.as_ref().map(|p| p.name.as_str()), Some("さくら訪問看護"));
        assert_eq!(history[0].after.name, "x");
        assert_eq!(history[1].before, None);
        assert_eq!(store.provider_version("a", 1).unwrap().name, "さくら訪問看護");
        assert!(matches!(store.provider_version("a", 9), Err(StoreError::UnknownVersion { .. })));
    }

    #[test]
    fn the_audit_log_pages_through_every_change_in_commit_order() {
        let (_dir, store) = store();
        for id in ["a", "b", "c"] {
            store.create_provider(&provider(id), &by("yamada")).unwrap();
        }
        let first = store.audit_log(&AuditQuery { limit: 2, ..AuditQuery::default() }).unwrap();
        assert_eq!(first.iter().map(|e| e.provider_id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        let next = AuditQuery { after_seq: Some(first[1].seq), limit: 2, ..AuditQuery::default() };
        assert_eq!(store.audit_log(&next).unwrap().iter().map(|e| e.provider_id.as_str()).collect::<Vec<_>>(), ["c"]);
        let future = AuditQuery { since: Some("2999-01-01T00:00:00Z".into()), limit: 10, ..AuditQuery::default() };
        assert!(store.audit_log(&future).unwrap().is_empty());
    }

    #[test]
    fn users_are_found_by_token_hash_and_revocation_is_kept() {
        let (_dir, store) = store();
        let hash = hash_token("cmk_secret");
        store.add_user("yamada", Role::Editor, &hash).unwrap();
        assert!(matches!(store.add_user("yamada", Role::Admin, &hash_token("x")), Err(StoreError::UserExists { .. })));
        assert_eq!(store.user_by_token_hash(&hash).unwrap().unwrap().name, "yamada");
        assert_eq!(store.user_by_token_hash(&hash_token("cmk_other")).unwrap(), None);
        assert!(store.revoke_user("yamada").unwrap());
        assert!(!store.revoke_user("yamada").unwrap());
        assert!(store.user_by_token_hash(&hash).unwrap().unwrap().revoked_at.is_some());
        assert!(matches!(store.revoke_user("nobody"), Err(StoreError::UnknownUser { .. })));
        let reissued = hash_token("cmk_new");
        store.add_user("yamada", Role::Admin, &reissued).unwrap();
        assert_eq!(store.user_by_token_hash(&hash).unwrap(), None);
        assert_eq!(store.users().unwrap()[0].role, Role::Admin);
    }
}
