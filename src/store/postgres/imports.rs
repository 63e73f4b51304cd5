//! Bulk writes on PostgreSQL, each in one transaction under the feed lock: loading providers
//! as they are (`insert_providers`) and a planned import (each provider still at the version
//! the plan saw, checked on rows locked `FOR UPDATE`). Rows go in many per statement.

use std::collections::HashMap;

use postgres::{Client, Transaction};

use super::layers::{set_meta, write_districts};
use super::rows::{
    is_unique_violation, lock_feed, notify, read_record, record_from_row, select_records, write_history,
    write_providers,
};
use crate::domain::{District, Provider};
use crate::store::{ImportWrite, LAST_IMPORT_META, ProviderRecord, Result, SeqRange, StoreError};

pub(super) fn insert_providers(c: &mut Client, providers: &[Provider], action: &str) -> Result<Option<SeqRange>> {
    let mut tx = c.transaction()?;
    let next = lock_feed(&mut tx)?;
    let rows: Vec<&Provider> = providers.iter().collect();
    if let Err(e) = write_providers(&mut tx, &rows, false) {
        return Err(duplicate_of(e, providers));
    }
    let entries: Vec<(&Provider, &str)> = providers.iter().map(|p| (p, action)).collect();
    let seqs = write_history(&mut tx, next, &entries)?;
    notify(&mut tx, seqs)?;
    tx.commit()?;
    Ok(seqs)
}

/// A unique violation as [`StoreError::Duplicate`] naming an id that was already stored (or
/// given twice); other errors as they are. The transaction is aborted either way.
fn duplicate_of(e: StoreError, providers: &[Provider]) -> StoreError {
    if !is_unique_violation(&e) {
        return e;
    }
    let detail = match &e {
        StoreError::Postgres(pg) => pg.as_db_error().and_then(|d| d.detail().map(str::to_owned)),
        _ => None,
    };
    // "Key (id)=(a) already exists."
    let id = detail
        .as_deref()
        .and_then(|d| d.split_once("=(")?.1.rsplit_once(") already exists").map(|(id, _)| id.to_owned()))
        .or_else(|| providers.first().map(|p| p.id.clone()))
        .unwrap_or_default();
    StoreError::Duplicate { id }
}

pub(super) fn load_provider_records(c: &mut Client) -> Result<Vec<ProviderRecord>> {
    let rows = c.query(&format!("{} ORDER BY id COLLATE \"C\"", select_records()), &[])?;
    rows.iter().map(record_from_row).collect()
}

/// The records of `ids`, the ids bound as one text array.
pub(super) fn load_provider_records_of(c: &mut Client, ids: &[&str]) -> Result<Vec<ProviderRecord>> {
    let rows = c.query(&format!("{} WHERE id = ANY($1) ORDER BY id COLLATE \"C\"", select_records()), &[&ids])?;
    rows.iter().map(record_from_row).collect()
}

/// The error for a provider that is no longer at the planned version.
fn changed_under_us(tx: &mut Transaction<'_>, id: &str) -> StoreError {
    match read_record(tx, id, false) {
        Ok(Some(current)) => StoreError::VersionMismatch { current: Box::new(current) },
        Ok(None) => StoreError::NotFound { id: id.to_owned() },
        Err(e) => e,
    }
}

pub(super) fn apply_import(
    c: &mut Client,
    write: &ImportWrite,
    seed_districts: Option<&[District]>,
) -> Result<Option<SeqRange>> {
    let mut tx = c.transaction()?;
    let next = lock_feed(&mut tx)?;
    if let Some(districts) = seed_districts {
        write_districts(&mut tx, districts)?;
    }
    // The stored versions (and deleted states) of every id the import touches, locked.
    let ids: Vec<&str> = write
        .upserts()
        .map(|u| u.provider.id.as_str())
        .chain(write.removals.iter().map(|r| r.provider.id.as_str()))
        .collect();
    let mut stored: HashMap<String, (i64, bool)> = HashMap::with_capacity(ids.len());
    for batch in ids.chunks(10_000) {
        let batch: Vec<&str> = batch.to_vec();
        for row in tx.query(
            "SELECT id, version, deleted_at IS NOT NULL FROM providers WHERE id = ANY($1) FOR UPDATE",
            &[&batch],
        )? {
            stored.insert(row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?));
        }
    }
    for u in write.upserts() {
        let current = stored.get(&u.provider.id).map(|(v, _)| *v);
        match u.base_version {
            None if current.is_some() => return Err(StoreError::Duplicate { id: u.provider.id.clone() }),
            Some(base) if current != Some(base) => return Err(changed_under_us(&mut tx, &u.provider.id)),
            _ => {}
        }
    }
    for r in &write.removals {
        if stored.get(&r.provider.id) != Some(&(r.base_version, false)) {
            return Err(changed_under_us(&mut tx, &r.provider.id));
        }
    }
    let upserts: Vec<&Provider> = write.upserts().map(|u| u.provider).collect();
    write_providers(&mut tx, &upserts, true)?;
    for batch in write.removals.chunks(super::rows::ROWS_PER_STATEMENT) {
        let ids: Vec<&str> = batch.iter().map(|r| r.provider.id.as_str()).collect();
        let versions: Vec<i64> = batch.iter().map(|r| r.provider.version).collect();
        let at: Vec<&str> = batch.iter().map(|r| r.provider.updated_at.as_str()).collect();
        let by: Vec<&str> = batch.iter().map(|r| r.provider.updated_by.as_str()).collect();
        tx.execute(
            "UPDATE providers AS p SET version = v.version, updated_at = v.at, updated_by = v.by, deleted_at = v.at \
             FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::text[]) AS v (id, version, at, by) \
             WHERE p.id = v.id",
            &[&ids, &versions, &at, &by],
        )?;
    }
    let entries: Vec<(&Provider, &str)> = write
        .upserts()
        .map(|u| (u.provider, u.action))
        .chain(write.removals.iter().map(|r| (&r.provider, r.action)))
        .collect();
    let seqs = write_history(&mut tx, next, &entries)?;
    if let Some(at) = &write.imported_at {
        set_meta(&mut tx, LAST_IMPORT_META, at)?;
    }
    notify(&mut tx, seqs)?;
    let written = std::time::Instant::now();
    tx.commit()?;
    tracing::info!(commit_ms = written.elapsed().as_millis() as u64, "import transaction committed");
    Ok(seqs)
}
