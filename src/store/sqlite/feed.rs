//! The change feed: `provider_history` is the numbered log of every committed provider change
//! (its `seq` is `INTEGER PRIMARY KEY AUTOINCREMENT`, assigned in the write's transaction,
//! with the provider as it was after the change), so the feed reads it rather than keeping a
//! second table of the same rows. Also the consistent snapshot a catalog is loaded from.

use rusqlite::{Connection, params};

use super::rows::{PROVIDER_COLUMNS, provider_from_row};
use crate::domain::{Provider, leaves_deleted};
use crate::store::{FeedEntry, Result, StoreError};

/// The seq of the last committed change (0 before the first).
pub(super) fn last_seq(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM provider_history", [], |r| r.get(0))?)
}

/// The live providers in id order, handed to `each` in chunks, and the last seq, read in one
/// read transaction (in WAL mode it sees one committed state throughout).
pub(super) fn load_snapshot(
    conn: &mut Connection,
    chunk: usize,
    each: &mut dyn FnMut(Vec<Provider>) -> Result<()>,
) -> Result<i64> {
    let tx = conn.transaction()?;
    let seq = last_seq(&tx)?;
    {
        let mut stmt =
            tx.prepare(&format!("SELECT {PROVIDER_COLUMNS} FROM providers WHERE deleted_at IS NULL ORDER BY id"))?;
        let mut rows = stmt.query_map([], provider_from_row)?;
        loop {
            let mut batch = Vec::with_capacity(chunk);
            for row in rows.by_ref().take(chunk.max(1)) {
                batch.push(row??);
            }
            if batch.is_empty() {
                break;
            }
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
        let provider: Provider = serde_json::from_str(&data).map_err(|e| StoreError::Corrupt {
            id: provider_id.clone(),
            reason: format!("history entry {seq}: {e}"),
        })?;
        let deleted = leaves_deleted(&action);
        out.push(FeedEntry { seq, provider_id, version, action, changed_at, changed_by, provider, deleted });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::domain::{Kind, LonLat, Provider, Stamp, action};
    use crate::store::{ImportRemoval, ImportUpsert, ImportWrite, SeqRange, SqliteStore, Store};

    fn provider(id: &str, name: &str) -> Provider {
        Provider::new(id.into(), Kind::Care, name.into(), LonLat::new(139.9, 35.85).unwrap())
    }

    #[test]
    fn every_committed_change_gets_the_next_seq_and_the_feed_holds_the_state_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        assert_eq!(store.last_seq().unwrap(), 0);
        let by = Stamp::now("yamada");
        assert_eq!(
            store.insert_providers(&[provider("a", "あ"), provider("b", "い")], "test").unwrap(),
            Some(SeqRange { first: 1, last: 2 })
        );
        assert_eq!(store.create_provider(&provider("c", "う"), &by).unwrap().seq, Some(3));
        let same = store.update_provider(&provider("c", "う"), &[1], &by, action::UPDATE).unwrap();
        assert_eq!(same.seq, None, "a write that changes nothing takes no seq");
        assert!(store.update_provider(&provider("c", "x"), &[9], &by, action::UPDATE).is_err());
        assert_eq!(
            store.update_provider(&provider("c", "え"), &[1], &by, action::UPDATE).unwrap().seq,
            Some(4),
            "a refused write leaves no gap"
        );
        assert_eq!(store.set_deleted("a", true, &[1], &by).unwrap().seq, Some(5));
        let import = ImportWrite {
            upserts: vec![ImportUpsert {
                provider: by.apply(provider("d", "お"), 1),
                base_version: None,
                action: action::IMPORT,
            }],
            removals: vec![ImportRemoval {
                provider: by.apply(provider("b", "い"), 2),
                base_version: 1,
                action: action::IMPORT_DELETE,
            }],
            imported_at: None,
        };
        assert_eq!(store.apply_import(&import, None).unwrap(), Some(SeqRange { first: 6, last: 7 }));
        assert_eq!(store.last_seq().unwrap(), 7);

        let feed = store.changes_since(3, 10).unwrap();
        let summary: Vec<(i64, &str, i64, bool, &str)> = feed
            .iter()
            .map(|e| (e.seq, e.provider_id.as_str(), e.version, e.deleted, e.provider.name.as_str()))
            .collect();
        assert_eq!(
            summary,
            [(4, "c", 2, false, "え"), (5, "a", 2, true, "あ"), (6, "d", 1, false, "お"), (7, "b", 2, true, "い")]
        );
        assert_eq!(store.changes_since(0, 2).unwrap().iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
        assert!(store.changes_since(7, 10).unwrap().is_empty());
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
                ids.extend(chunk.into_iter().map(|p| p.id));
                Ok(())
            })
            .unwrap();
        assert_eq!((ids, seq), (vec!["b".to_owned()], 3));
    }
}
