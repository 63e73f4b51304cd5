//! Staff writes and their history on PostgreSQL: create, update (the expected version checked
//! inside the transaction on the row locked `FOR UPDATE`), soft delete, restore, and reading
//! the history back. Each write takes the feed lock first, writes the row and its history
//! entry, and notifies the listeners, in one transaction.

use postgres::{Client, Row, Transaction};

use super::rows::{lock_feed, notify, read_record, write_history, write_providers};
use crate::domain::{Provider, Stamp, action};
use crate::store::codec::{HISTORY_ENTRY_SELECT, previous_from_history, provider_from_history};
use crate::store::{AuditQuery, HistoryEntry, ProviderRecord, Result, SeqRange, StoreError, Written};

/// Writes `p` as a new provider (version 1) with its `create` entry and commits.
fn insert_created(mut tx: Transaction<'_>, next: i64, p: Provider, stamp: &Stamp) -> Result<Written> {
    let p = stamp.apply(p, 1);
    write_providers(&mut tx, &[&p], false)?;
    let seqs = write_history(&mut tx, next, &[(&p, action::CREATE)])?;
    notify(&mut tx, seqs)?;
    tx.commit()?;
    Ok(Written { record: ProviderRecord { provider: p, deleted_at: None }, seq: seqs.map(|s| s.last) })
}

pub(super) fn create_provider(c: &mut Client, p: &Provider, stamp: &Stamp) -> Result<Written> {
    let mut tx = c.transaction()?;
    let next = lock_feed(&mut tx)?;
    if read_record(&mut tx, &p.id, true)?.is_some() {
        return Err(StoreError::Duplicate { id: p.id.clone() });
    }
    insert_created(tx, next, p.clone(), stamp)
}

/// Creates `p` under `<prefix><n>`, n one more than the largest number after `prefix` in any
/// stored id (soft-deleted ones included), read under the feed lock so two creates cannot
/// pick the same number.
pub(super) fn create_provider_with_new_id(
    c: &mut Client,
    p: &Provider,
    prefix: &str,
    stamp: &Stamp,
) -> Result<Written> {
    let mut tx = c.transaction()?;
    let next = lock_feed(&mut tx)?;
    // As SQLite's `CAST(substr(id, …) AS INTEGER)`: the digits right after the prefix.
    let largest: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(substring(substr(id, char_length($1) + 1) FROM '^[0-9]{1,18}')::BIGINT), 0) \
             FROM providers WHERE starts_with(id, $1) AND substr(id, char_length($1) + 1) ~ '^[0-9]'",
            &[&prefix],
        )?
        .get(0);
    let id = format!("{prefix}{}", largest.saturating_add(1));
    if read_record(&mut tx, &id, true)?.is_some() {
        return Err(StoreError::Duplicate { id });
    }
    insert_created(tx, next, Provider { id, ..p.clone() }, stamp)
}

/// The current record, locked, if its version is expected; the error the caller should see
/// otherwise.
fn expect_version(tx: &mut Transaction<'_>, id: &str, expected: &[i64]) -> Result<ProviderRecord> {
    let current = read_record(tx, id, true)?.ok_or_else(|| StoreError::NotFound { id: id.to_owned() })?;
    if !expected.contains(&current.provider.version) {
        return Err(StoreError::VersionMismatch { current: Box::new(current) });
    }
    Ok(current)
}

pub(super) fn update_provider(
    c: &mut Client,
    p: &Provider,
    expected: &[i64],
    stamp: &Stamp,
    action_done: &str,
) -> Result<Written> {
    let mut tx = c.transaction()?;
    let next_seq = lock_feed(&mut tx)?;
    let current = expect_version(&mut tx, &p.id, expected)?;
    if current.deleted_at.is_some() {
        return Err(StoreError::Deleted { id: p.id.clone() });
    }
    let old = &current.provider;
    let unchanged = Stamp { at: old.updated_at.clone(), by: old.updated_by.clone() }.apply(p.clone(), old.version);
    if action_done == action::UPDATE && unchanged == *old {
        return Ok(Written { record: current, seq: None });
    }
    let next = stamp.apply(p.clone(), old.version + 1);
    write_providers(&mut tx, &[&next], true)?;
    let seqs = write_history(&mut tx, next_seq, &[(&next, action_done)])?;
    notify(&mut tx, seqs)?;
    tx.commit()?;
    Ok(Written { record: ProviderRecord { provider: next, deleted_at: None }, seq: seqs.map(|s| s.last) })
}

pub(super) fn set_deleted(c: &mut Client, id: &str, deleted: bool, expected: &[i64], stamp: &Stamp) -> Result<Written> {
    let mut tx = c.transaction()?;
    let next_seq = lock_feed(&mut tx)?;
    let current = expect_version(&mut tx, id, expected)?;
    match (deleted, current.deleted_at.is_some()) {
        (true, true) => return Err(StoreError::Deleted { id: id.to_owned() }),
        (false, false) => return Err(StoreError::NotDeleted { id: id.to_owned() }),
        _ => {}
    }
    let next = stamp.apply(current.provider.clone(), current.provider.version + 1);
    let deleted_at = deleted.then(|| stamp.at.clone());
    tx.execute(
        "UPDATE providers SET version = $2, updated_at = $3, updated_by = $4, deleted_at = $5 WHERE id = $1",
        &[&id, &next.version, &next.updated_at, &next.updated_by, &deleted_at],
    )?;
    let done = if deleted { action::DELETE } else { action::RESTORE };
    let seqs = write_history(&mut tx, next_seq, &[(&next, done)])?;
    notify(&mut tx, seqs)?;
    tx.commit()?;
    Ok(Written { record: ProviderRecord { provider: next, deleted_at }, seq: seqs.map(|s: SeqRange| s.last) })
}

pub(super) fn provider_version(c: &mut Client, id: &str, version: i64) -> Result<Provider> {
    let found = c.query_opt(
        "SELECT seq, data, changed_at, changed_by FROM provider_history WHERE provider_id = $1 AND version = $2 \
         ORDER BY seq DESC LIMIT 1",
        &[&id, &version],
    )?;
    let row = found.ok_or_else(|| StoreError::UnknownVersion { id: id.to_owned(), version })?;
    provider_from_history(row.try_get(0)?, id, version, row.try_get(2)?, row.try_get(3)?, row.try_get(1)?)
}

fn entry(r: &Row) -> Result<HistoryEntry> {
    let provider_id: String = r.try_get(1)?;
    let version: i64 = r.try_get(2)?;
    let changed_at: String = r.try_get(5)?;
    let changed_by: String = r.try_get(6)?;
    let seq: i64 = r.try_get(0)?;
    let after = provider_from_history(seq, &provider_id, version, &changed_at, &changed_by, r.try_get(4)?)?;
    let before = previous_from_history(
        r.try_get(7)?,
        &provider_id,
        r.try_get(8)?,
        r.try_get(10)?,
        r.try_get(11)?,
        r.try_get(9)?,
    )?;
    Ok(HistoryEntry { seq, version, action: r.try_get(3)?, changed_at, changed_by, provider_id, after, before })
}

pub(super) fn provider_history(c: &mut Client, id: &str) -> Result<Vec<HistoryEntry>> {
    let rows = c.query(&format!("{HISTORY_ENTRY_SELECT} WHERE h.provider_id = $1 ORDER BY h.seq DESC"), &[&id])?;
    rows.iter().map(entry).collect()
}

pub(super) fn audit_log(c: &mut Client, q: &AuditQuery) -> Result<Vec<HistoryEntry>> {
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    let rows = c.query(
        &format!("{HISTORY_ENTRY_SELECT} WHERE h.changed_at >= $1 AND h.seq > $2 ORDER BY h.seq LIMIT $3"),
        &[&q.since.as_deref().unwrap_or(""), &q.after_seq.unwrap_or(0), &limit],
    )?;
    rows.iter().map(entry).collect()
}
