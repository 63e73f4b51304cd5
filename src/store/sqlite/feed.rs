//! The change feed: `provider_history` is the numbered log of every committed provider change
//! (its `seq` is `INTEGER PRIMARY KEY AUTOINCREMENT`, assigned in the write's transaction,
//! with the provider as it was after the change), so the feed reads it rather than keeping a
//! second table of the same rows. Also the consistent snapshot a catalog is loaded from.

use std::sync::Arc;

use rusqlite::{Connection, params};

use super::rows::{PROVIDER_COLUMNS, sql_ref};
use crate::domain::leaves_deleted;
use crate::store::codec::{PROVIDER_COLUMN_COUNT, provider_from_history};

use crate::store::row_view::{ChunkBuffers, ProviderRows, SqlRef};
use crate::store::{FeedEntry, Result, StoreError};

/// The seq of the last committed change (0 before the first).
pub(super) fn last_seq(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM provider_history", [], |r| r.get(0))?)
}

/// The live providers in id order, handed to `each` in chunks of rows, and the last seq, read
/// in one read transaction (in WAL mode it sees one committed state throughout). Rows are
/// copied into the chunk's one text buffer as SQLite steps, not decoded here: the receiver
/// decodes them on its own thread.
pub(super) fn load_snapshot(
    conn: &mut Connection,
    chunk: usize,
    each: &mut dyn FnMut(ProviderRows) -> Result<()>,
) -> Result<i64> {
    let tx = conn.transaction()?;
    let seq = last_seq(&tx)?;
    // Every row, deleted ones too: SQLite counts them from the smallest index (~20 ms at 1 M),
    // where counting only the live ones would read the whole table.
    let hint: i64 = tx.query_row("SELECT COUNT(*) FROM providers", [], |r| r.get(0))?;
    let hint = usize::try_from(hint).unwrap_or(0);
    {
        let mut stmt =
            tx.prepare(&format!("SELECT {PROVIDER_COLUMNS} FROM providers WHERE deleted_at IS NULL ORDER BY id"))?;
        let mut rows = stmt.query([])?;
        let buffers = Arc::new(ChunkBuffers::default());
        let mut batch = ProviderRows::reusing_buffers(&buffers, chunk.max(1)).with_read_rows_hint(hint);
        while let Some(row) = rows.next()? {
            let mut unreadable = None;
            batch.push_row((0..PROVIDER_COLUMN_COUNT).map(|i| {
                let value =
                    row.get_ref(i).map_err(|e| e.to_string()).and_then(|v| sql_ref(v).map_err(|e| e.to_string()));
                value.unwrap_or_else(|e| {
                    unreadable.get_or_insert_with(|| format!("column {i}: {e}"));
                    SqlRef::Null
                })
            }));
            if let Some(reason) = unreadable {
                let id = row.get_ref(0).ok().and_then(|v| v.as_str().ok()).unwrap_or_default().to_owned();
                return Err(StoreError::Corrupt { id, reason });
            }
            if batch.len() >= chunk.max(1) {
                let next = ProviderRows::reusing_buffers(&buffers, chunk.max(1)).with_read_rows_hint(hint);
                each(std::mem::replace(&mut batch, next))?;
            }
        }
        if !batch.is_empty() {
            each(batch)?;
        }
    }
    tx.commit()?;
    Ok(seq)
}

/// The changes after `after`, in seq order, at most `limit`.
pub(super) fn changes_since(conn: &Connection, after: i64, limit: usize) -> Result<Vec<FeedEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, provider_id, version, action, data, changed_at, changed_by FROM provider_history \
         WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![after, limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, provider_id, version, action, data, changed_at, changed_by) = row?;
        let provider = provider_from_history(seq, &provider_id, version, &changed_at, &changed_by, &data)?;
        let deleted = leaves_deleted(&action);
        out.push(FeedEntry { seq, provider_id, version, action, changed_at, changed_by, provider, deleted });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::domain::{Kind, LonLat, Provider, Stamp};
    use crate::store::{SqliteStore, Store};

    fn provider(id: &str, name: &str) -> Provider {
        Provider::new(id.into(), Kind::Care, name.into(), LonLat::new(139.9, 35.85).unwrap())
    }

    #[test]
    fn a_snapshot_is_the_live_providers_with_the_seq_they_are_at() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        store.insert_providers(&[provider("a", "あ"), provider("b", "い")], "test").unwrap();
        store.set_deleted("a", true, &[1], &Stamp::now("yamada")).unwrap();
        let mut ids = Vec::new();
        let seq = store
            .load_snapshot_chunked(1, &mut |chunk| {
                ids.extend(chunk.providers()?.into_iter().map(|p| p.id));
                Ok(())
            })
            .unwrap();
        assert_eq!((ids, seq), (vec!["b".to_owned()], 3));
    }
}
