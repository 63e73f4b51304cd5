//! The 地域包括支援センター layer's version and log on PostgreSQL, as the SQLite store keeps
//! them: the version in `meta` (key `community_centers_version`, 1 before any change), one log
//! entry per centre created, replaced, deleted or changed by an import. Every write of the
//! layer takes one transaction-level advisory lock first, so the If-Match check, the write and
//! the new version cannot be split by a writer on another server.

use postgres::{Client, GenericClient, Transaction};

use super::layers::{insert_centers, load_centers, set_meta};
use crate::address::centers::{CenterFieldChange, CommunityCenter, changes};
use crate::store::{CenterEvent, CenterWrite, Result, StoreError};

/// The `meta` key of the centres' layer version.
const VERSION_KEY: &str = "community_centers_version";
/// The advisory lock key of the centres' layer (an arbitrary constant: "caremap" + 3).
const CENTER_LOCK: i64 = 0x6361_7265_6d61_7003;

/// The centres' layer version (1 before any change).
pub(super) fn layer_version(c: &mut impl GenericClient) -> Result<i64> {
    let value: Option<String> =
        c.query_opt("SELECT value FROM meta WHERE key = $1", &[&VERSION_KEY])?.map(|r| r.get(0));
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or(1))
}

/// Takes the layer's lock for the rest of `tx` and returns its current version.
fn lock_layer(tx: &mut Transaction<'_>) -> Result<i64> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CENTER_LOCK])?;
    layer_version(tx)
}

/// Stores `version` as the layer's version inside `tx`.
fn set_version(tx: &mut Transaction<'_>, version: i64) -> Result<()> {
    set_meta(tx, VERSION_KEY, &version.to_string())
}

/// Appends one entry to the centres' log.
fn log_event(
    tx: &mut Transaction<'_>,
    (center_id, action, version): (&str, &str, i64),
    changed_at: &str,
    changed_by: &str,
    fields: &[CenterFieldChange],
) -> Result<()> {
    let json = serde_json::to_string(fields).unwrap_or_else(|_| "[]".into());
    tx.execute(
        "INSERT INTO community_center_events (center_id, action, layer_version, changed_at, changed_by, changes) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[&center_id, &action, &version, &changed_at, &changed_by, &json],
    )?;
    Ok(())
}

/// Replaces every 地域包括支援センター in one transaction, logging each centre added, changed
/// or removed as an `import` by `actor`.
pub(super) fn replace_centers(c: &mut Client, centers: &[CommunityCenter], actor: &str) -> Result<()> {
    let mut tx = c.transaction()?;
    let version = lock_layer(&mut tx)? + 1;
    let before = load_centers(&mut tx)?;
    tx.execute("DELETE FROM community_centers", &[])?;
    insert_centers(&mut tx, centers)?;
    set_version(&mut tx, version)?;
    let at = crate::domain::now_utc();
    for c in centers {
        let fields = changes(before.iter().find(|b| b.id == c.id), Some(c));
        if !fields.is_empty() {
            log_event(&mut tx, (&c.id, "import", version), &at, actor, &fields)?;
        }
    }
    for old in before.iter().filter(|b| !centers.iter().any(|c| c.id == b.id)) {
        log_event(&mut tx, (&old.id, "import", version), &at, actor, &changes(Some(old), None))?;
    }
    tx.commit()?;
    Ok(())
}

/// Creates, replaces or deletes one centre with its log entry; the layer's new version.
pub(super) fn write_center(c: &mut Client, write: &CenterWrite<'_>) -> Result<i64> {
    let mut tx = c.transaction()?;
    let current = lock_layer(&mut tx)?;
    if !write.expected.contains(&current) {
        return Err(StoreError::LayerVersion { current });
    }
    let before = load_centers(&mut tx)?.into_iter().find(|c| c.id == write.id);
    let action = match (&before, write.after, write.create) {
        (Some(_), _, true) => return Err(StoreError::Duplicate { id: write.id.to_owned() }),
        (None, _, false) | (None, None, true) => return Err(StoreError::NotFound { id: write.id.to_owned() }),
        (None, Some(c), true) => {
            tx.execute(
                "INSERT INTO community_centers (id, position, name, address, phone, lon, lat, areas, source) \
                 SELECT $1, COALESCE(MAX(position), -1) + 1, $2, $3, $4, $5, $6, $7, $8 FROM community_centers",
                &[
                    &c.id,
                    &c.name,
                    &c.address,
                    &c.phone,
                    &c.location.lon(),
                    &c.location.lat(),
                    &c.areas.join("\n"),
                    &c.source,
                ],
            )?;
            "create"
        }
        (Some(_), Some(c), false) => {
            tx.execute(
                "UPDATE community_centers SET name = $2, address = $3, phone = $4, lon = $5, lat = $6, areas = $7 \
                 WHERE id = $1",
                &[&write.id, &c.name, &c.address, &c.phone, &c.location.lon(), &c.location.lat(), &c.areas.join("\n")],
            )?;
            "update"
        }
        (Some(_), None, false) => {
            tx.execute("DELETE FROM community_centers WHERE id = $1", &[&write.id])?;
            "delete"
        }
    };
    let version = current + 1;
    set_version(&mut tx, version)?;
    let fields = changes(before.as_ref(), write.after);
    log_event(&mut tx, (write.id, action, version), write.changed_at, write.changed_by, &fields)?;
    tx.commit()?;
    Ok(version)
}

/// The newest `limit` log entries, newest first.
pub(super) fn center_events(c: &mut impl GenericClient, limit: usize) -> Result<Vec<CenterEvent>> {
    let rows = c.query(
        "SELECT seq, center_id, action, layer_version, changed_at, changed_by, changes \
         FROM community_center_events ORDER BY seq DESC LIMIT $1",
        &[&i64::try_from(limit).unwrap_or(i64::MAX)],
    )?;
    rows.iter()
        .map(|r| {
            let seq: i64 = r.try_get(0)?;
            let json: &str = r.try_get(6)?;
            let changes = serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
                id: format!("community center event {seq}"),
                reason: e.to_string(),
            })?;
            Ok(CenterEvent {
                seq,
                center_id: r.try_get(1)?,
                action: r.try_get(2)?,
                layer_version: r.try_get(3)?,
                changed_at: r.try_get(4)?,
                changed_by: r.try_get(5)?,
                changes,
            })
        })
        .collect()
}

/// Inserts log entries with their seqs inside the caller's transaction (a restored copy), and
/// moves the log's sequence past them.
pub(super) fn insert_center_events(tx: &mut Transaction<'_>, events: &[CenterEvent]) -> Result<()> {
    for e in events {
        let json = serde_json::to_string(&e.changes).unwrap_or_else(|_| "[]".into());
        tx.execute(
            "INSERT INTO community_center_events (seq, center_id, action, layer_version, changed_at, changed_by, changes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&e.seq, &e.center_id, &e.action, &e.layer_version, &e.changed_at, &e.changed_by, &json],
        )?;
    }
    if let Some(last) = events.iter().map(|e| e.seq).max() {
        tx.execute("SELECT setval(pg_get_serial_sequence('community_center_events', 'seq'), $1)", &[&last])?;
    }
    Ok(())
}
