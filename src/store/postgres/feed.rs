//! The change feed on PostgreSQL: `provider_history` numbered by seq (allocated in commit
//! order under the feed lock, see [`super::rows::lock_feed`]), read after a seq; and the
//! consistent snapshot a catalog is loaded from (one REPEATABLE READ transaction, read
//! through a cursor in chunks, so a million providers never sit in memory as rows).

use std::sync::mpsc::SyncSender;

use postgres::Client;

use crate::domain::leaves_deleted;
use crate::store::codec::{PROVIDER_COLUMN_COUNT, PROVIDER_COLUMNS, provider_from_history};
use crate::store::row_view::{ChunkBuffers, ProviderRows, SqlRef};
use crate::store::{FeedEntry, Result};

/// The seq of the last committed change (0 before the first).
pub(super) fn last_seq(c: &mut impl postgres::GenericClient) -> Result<i64> {
    Ok(c.query_one("SELECT COALESCE(MAX(seq), 0) FROM provider_history", &[])?.get(0))
}

/// The live providers in id order, sent in chunks, and the last seq, read in one snapshot.
pub(super) fn load_snapshot(c: &mut Client, chunk: usize, out: &SyncSender<ProviderRows>) -> Result<i64> {
    let mut tx =
        c.build_transaction().isolation_level(postgres::IsolationLevel::RepeatableRead).read_only(true).start()?;
    let seq = last_seq(&mut tx)?;
    let portal = tx.bind(
        &format!("SELECT {PROVIDER_COLUMNS} FROM providers WHERE deleted_at IS NULL ORDER BY id COLLATE \"C\""),
        &[],
    )?;
    let chunk = i32::try_from(chunk.max(1)).unwrap_or(i32::MAX);
    let buffers = std::sync::Arc::new(ChunkBuffers::default());
    loop {
        let rows = tx.query_portal(&portal, chunk)?;
        if rows.is_empty() {
            break;
        }
        let mut batch = ProviderRows::reusing_buffers(&buffers, rows.len());
        for row in &rows {
            let values: Vec<SqlRef<'_>> =
                (0..PROVIDER_COLUMN_COUNT).map(|i| row.try_get(i)).collect::<std::result::Result<_, _>>()?;
            batch.push_row(values);
        }
        if out.send(batch).is_err() {
            // The receiver stopped (its callback failed); it reports why.
            break;
        }
    }
    tx.commit()?;
    Ok(seq)
}

/// The changes after `after`, in seq order, at most `limit`.
pub(super) fn changes_since(c: &mut Client, after: i64, limit: usize) -> Result<Vec<FeedEntry>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = c.query(
        "SELECT seq, provider_id, version, action, data, changed_at, changed_by FROM provider_history \
         WHERE seq > $1 ORDER BY seq LIMIT $2",
        &[&after, &limit],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let seq: i64 = r.try_get(0)?;
        let provider_id: String = r.try_get(1)?;
        let action: String = r.try_get(3)?;
        let version: i64 = r.try_get(2)?;
        let changed_at: String = r.try_get(5)?;
        let changed_by: String = r.try_get(6)?;
        let provider = provider_from_history(seq, &provider_id, version, &changed_at, &changed_by, r.try_get(4)?)?;
        out.push(FeedEntry {
            seq,
            version,
            deleted: leaves_deleted(&action),
            action,
            changed_at,
            changed_by,
            provider_id,
            provider,
        });
    }
    Ok(out)
}
