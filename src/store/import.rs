//! Imports: reading every stored provider (live or deleted) for the diff, and writing a
//! planned import in one IMMEDIATE transaction. Each write checks that the provider is still
//! at the version the plan saw, so a staff edit made while the files were parsed is never
//! overwritten silently: the whole import fails and nothing is written.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::sqlite::{PROVIDER_COLUMNS, provider_from_row, write_districts, write_history, write_provider};
use super::writes::read_record;
use super::{ProviderRecord, Result, StoreError};
use crate::domain::{District, Provider};

/// A provider an import adds, changes or restores.
#[derive(Debug, Clone)]
pub struct ImportUpsert {
    /// The provider as it will be stored (version, `updated_at`, `updated_by` set).
    pub provider: Provider,
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
#[derive(Debug, Clone, Default)]
pub struct ImportWrite {
    /// Providers added, changed or restored.
    pub upserts: Vec<ImportUpsert>,
    /// Providers soft-deleted.
    pub removals: Vec<ImportRemoval>,
}

pub(super) fn load_provider_records(conn: &Connection) -> Result<Vec<ProviderRecord>> {
    let mut stmt = conn.prepare(&format!("SELECT {PROVIDER_COLUMNS}, deleted_at FROM providers ORDER BY id"))?;
    let rows = stmt.query_map([], |row| Ok((provider_from_row(row)?, row.get::<_, Option<String>>("deleted_at")?)))?;
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
) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(districts) = seed_districts {
        write_districts(&tx, districts)?;
    }
    for u in &write.upserts {
        let current: Option<i64> = tx
            .prepare_cached("SELECT version FROM providers WHERE id = ?1")?
            .query_row([&u.provider.id], |r| r.get(0))
            .optional()?;
        match (u.base_version, current) {
            (None, None) => {}
            (None, Some(_)) => return Err(StoreError::Duplicate { id: u.provider.id.clone() }),
            (Some(base), Some(now)) if base == now => {}
            (Some(_), _) => return Err(changed_under_us(&tx, &u.provider.id)),
        }
        write_provider(&tx, &u.provider)?;
        write_history(&tx, &u.provider, u.action)?;
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
        write_history(&tx, p, r.action)?;
    }
    tx.commit()?;
    Ok(())
}
