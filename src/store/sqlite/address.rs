//! Address points (町字, 街区, 住居): an import replaces, in one transaction, the rows of its
//! source for the cities its files cover, and the sample's rows of those cities. And the
//! 地域包括支援センター, replaced as a whole.

use rusqlite::{Connection, OptionalExtension, params};

use crate::address::centers::{CenterFieldChange, CommunityCenter, changes};
use crate::address::{AddressPoint, Level, SAMPLE_SOURCE, source_name};
use crate::domain::LonLat;
use crate::store::{CenterEvent, CenterWrite, Result, StoreError};

/// Rows per `INSERT` statement (11 parameters each, far below SQLite's limit of 32 766).
const BATCH_ROWS: usize = 100;
/// From this many points on, an import is bulk: the page cache is enlarged for it and the
/// secondary index is built once after the rows instead of row by row.
const BULK_POINTS: usize = 100_000;
/// The page cache of a bulk import, KiB (SQLite's `cache_size` takes negative KiB).
const BULK_CACHE_KIB: i64 = 128 * 1024;

/// `INSERT OR REPLACE` of `rows` points in one statement.
fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT OR REPLACE INTO address_points \
         (city_code, town, block, residence, level, pref, city, lon, lat, source, town_code) VALUES ",
    );
    for i in 0..rows {
        sql.push_str(if i == 0 { "(?,?,?,?,?,?,?,?,?,?,?)" } else { ",(?,?,?,?,?,?,?,?,?,?,?)" });
    }
    sql
}

/// Binds and runs one prepared multi-row insert over `points` (as many as it has rows).
fn insert_batch(stmt: &mut rusqlite::Statement<'_>, points: &[AddressPoint]) -> Result<()> {
    for (i, p) in points.iter().enumerate() {
        let at = i * 11;
        stmt.raw_bind_parameter(at + 1, &p.city_code)?;
        stmt.raw_bind_parameter(at + 2, &p.town)?;
        stmt.raw_bind_parameter(at + 3, &p.block)?;
        stmt.raw_bind_parameter(at + 4, &p.residence)?;
        stmt.raw_bind_parameter(at + 5, p.level as i64)?;
        stmt.raw_bind_parameter(at + 6, &p.pref)?;
        stmt.raw_bind_parameter(at + 7, &p.city)?;
        stmt.raw_bind_parameter(at + 8, p.location.lon())?;
        stmt.raw_bind_parameter(at + 9, p.location.lat())?;
        stmt.raw_bind_parameter(at + 10, p.source)?;
        stmt.raw_bind_parameter(at + 11, &p.town_code)?;
    }
    stmt.raw_execute()?;
    Ok(())
}

/// Replaces the rows of `source` (and of the sample) in `cities` with `points`, in one
/// transaction. A point of another source at the same place in the address is replaced too.
///
/// Fast at a prefecture's scale (2 M points): one prepared statement inserting
/// [`BATCH_ROWS`] rows at a time with parameters bound in place (no allocation per row), and
/// for a bulk import a larger page cache for this connection while it runs and the
/// `(source, city_code)` index dropped and rebuilt inside the same transaction (one sort
/// instead of two million index inserts; a failure rolls the index back with the rows).
pub(super) fn replace(conn: &mut Connection, source: &str, cities: &[String], points: &[AddressPoint]) -> Result<()> {
    let bulk = points.len() >= BULK_POINTS;
    let cache_kib: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    if bulk {
        conn.pragma_update(None, "cache_size", -BULK_CACHE_KIB)?;
    }
    let written = replace_in_transaction(conn, source, cities, points, bulk);
    if bulk {
        conn.pragma_update(None, "cache_size", cache_kib)?;
    }
    written
}

fn replace_in_transaction(
    conn: &mut Connection,
    source: &str,
    cities: &[String],
    points: &[AddressPoint],
    bulk: bool,
) -> Result<()> {
    let tx = conn.transaction()?;
    for city in cities {
        tx.execute(
            "DELETE FROM address_points WHERE city_code = ?1 AND source IN (?2, ?3)",
            params![city, source, SAMPLE_SOURCE],
        )?;
    }
    if bulk {
        tx.execute("DROP INDEX IF EXISTS address_points_by_source", [])?;
    }
    insert_points(&tx, points)?;
    if bulk {
        tx.execute("CREATE INDEX address_points_by_source ON address_points (source, city_code)", [])?;
    }
    tx.commit()?;
    Ok(())
}

/// Inserts (or replaces, by place in the address) points inside the caller's transaction.
pub(super) fn insert_points(tx: &rusqlite::Transaction<'_>, points: &[AddressPoint]) -> Result<()> {
    let mut full = tx.prepare(&insert_sql(BATCH_ROWS))?;
    let mut chunks = points.chunks_exact(BATCH_ROWS);
    for chunk in &mut chunks {
        insert_batch(&mut full, chunk)?;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        insert_batch(&mut tx.prepare(&insert_sql(rest.len()))?, rest)?;
    }
    Ok(())
}

/// Calls `each` with every stored point (one buffer, reused: a prefecture's millions of 住居
/// are never all in memory as rows).
pub(super) fn for_each(conn: &Connection, each: &mut dyn FnMut(&AddressPoint)) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT city_code, town, block, residence, level, pref, city, lon, lat, source, town_code FROM address_points",
    )?;
    let mut rows = stmt.query([])?;
    let mut p = AddressPoint {
        level: Level::Town,
        city_code: String::new(),
        pref: String::new(),
        city: String::new(),
        town: String::new(),
        block: String::new(),
        residence: String::new(),
        town_code: String::new(),
        location: LonLat::TOKYO_STATION,
        source: SAMPLE_SOURCE,
    };
    while let Some(row) = rows.next()? {
        let text = |i: usize, into: &mut String| -> Result<()> {
            into.clear();
            into.push_str(row.get_ref(i)?.as_str().map_err(rusqlite::Error::from)?);
            Ok(())
        };
        text(0, &mut p.city_code)?;
        text(1, &mut p.town)?;
        text(2, &mut p.block)?;
        text(3, &mut p.residence)?;
        text(5, &mut p.pref)?;
        text(6, &mut p.city)?;
        text(10, &mut p.town_code)?;
        let corrupt = |reason: String| StoreError::Corrupt { id: format!("address point {}", p.town), reason };
        let level: i64 = row.get(4)?;
        p.level = Level::from_stored(level).ok_or_else(|| corrupt(format!("unknown level {level}")))?;
        p.location = LonLat::new(row.get(7)?, row.get(8)?).map_err(|e| corrupt(e.to_string()))?;
        let source = row.get_ref(9)?.as_str().map_err(rusqlite::Error::from)?;
        p.source = source_name(source).ok_or_else(|| corrupt(format!("unknown source {source}")))?;
        each(&p);
    }
    Ok(())
}

/// The `meta` key of the centres' layer version.
const VERSION_KEY: &str = "community_centers_version";

/// The centres' layer version (1 before any change).
pub(super) fn layer_version(conn: &Connection) -> Result<i64> {
    let value: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [VERSION_KEY], |r| r.get(0)).optional()?;
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or(1))
}

/// Advances the layer version inside `tx` and returns the new one.
fn next_version(tx: &Connection) -> Result<i64> {
    let version = layer_version(tx)? + 1;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![VERSION_KEY, version.to_string()],
    )?;
    Ok(version)
}

/// Appends one entry to the centres' log.
fn log_event(
    tx: &Connection,
    (center_id, action, version): (&str, &str, i64),
    changed_at: &str,
    changed_by: &str,
    fields: &[CenterFieldChange],
) -> Result<()> {
    let json = serde_json::to_string(fields).unwrap_or_else(|_| "[]".into());
    tx.execute(
        "INSERT INTO community_center_events (center_id, action, layer_version, changed_at, changed_by, changes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![center_id, action, version, changed_at, changed_by, json],
    )?;
    Ok(())
}

fn insert_center(tx: &Connection, c: &CommunityCenter, position: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO community_centers (id, position, name, address, phone, lon, lat, areas, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        c.id,
        position,
        c.name,
        c.address,
        c.phone,
        c.location.lon(),
        c.location.lat(),
        c.areas.join("\n"),
        c.source
    ])?;
    Ok(())
}

/// Replaces every 地域包括支援センター, in one transaction, logging each centre added, changed
/// or removed as an `import` by `actor`.
pub(super) fn replace_centers(conn: &mut Connection, centers: &[CommunityCenter], actor: &str) -> Result<()> {
    let tx = conn.transaction()?;
    let before = load_centers(&tx)?;
    tx.execute("DELETE FROM community_centers", [])?;
    insert_centers(&tx, centers)?;
    let version = next_version(&tx)?;
    let at = crate::domain::now_utc();
    for c in centers {
        let old = before.iter().find(|b| b.id == c.id);
        let fields = changes(old, Some(c));
        if !fields.is_empty() {
            log_event(&tx, (&c.id, "import", version), &at, actor, &fields)?;
        }
    }
    for old in before.iter().filter(|b| !centers.iter().any(|c| c.id == b.id)) {
        log_event(&tx, (&old.id, "import", version), &at, actor, &changes(Some(old), None))?;
    }
    tx.commit()?;
    Ok(())
}

/// Inserts the 地域包括支援センター in their order inside the caller's transaction.
pub(super) fn insert_centers(tx: &rusqlite::Transaction<'_>, centers: &[CommunityCenter]) -> Result<()> {
    for (i, c) in centers.iter().enumerate() {
        insert_center(tx, c, i as i64)?;
    }
    Ok(())
}

/// Creates, replaces or deletes one centre with its log entry; the layer's new version.
pub(super) fn write_center(conn: &mut Connection, write: &CenterWrite<'_>) -> Result<i64> {
    let tx = conn.transaction()?;
    let current = layer_version(&tx)?;
    if !write.expected.contains(&current) {
        return Err(StoreError::LayerVersion { current });
    }
    let before = load_centers(&tx)?.into_iter().find(|c| c.id == write.id);
    let action = match (&before, write.after, write.create) {
        (Some(_), _, true) => return Err(StoreError::Duplicate { id: write.id.to_owned() }),
        (None, _, false) => return Err(StoreError::NotFound { id: write.id.to_owned() }),
        (None, None, true) => return Err(StoreError::NotFound { id: write.id.to_owned() }),
        (None, Some(c), true) => {
            let position: i64 =
                tx.query_row("SELECT COALESCE(MAX(position), -1) + 1 FROM community_centers", [], |r| r.get(0))?;
            insert_center(&tx, c, position)?;
            "create"
        }
        (Some(_), Some(c), false) => {
            tx.execute(
                "UPDATE community_centers SET name = ?2, address = ?3, phone = ?4, lon = ?5, lat = ?6, areas = ?7
                 WHERE id = ?1",
                params![write.id, c.name, c.address, c.phone, c.location.lon(), c.location.lat(), c.areas.join("\n")],
            )?;
            "update"
        }
        (Some(_), None, false) => {
            tx.execute("DELETE FROM community_centers WHERE id = ?1", [write.id])?;
            "delete"
        }
    };
    let version = next_version(&tx)?;
    let fields = changes(before.as_ref(), write.after);
    log_event(&tx, (write.id, action, version), write.changed_at, write.changed_by, &fields)?;
    tx.commit()?;
    Ok(version)
}

/// Inserts log entries with their seqs inside the caller's transaction (a restored copy).
pub(super) fn insert_center_events(tx: &rusqlite::Transaction<'_>, events: &[CenterEvent]) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO community_center_events (seq, center_id, action, layer_version, changed_at, changed_by, changes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for e in events {
        let json = serde_json::to_string(&e.changes).unwrap_or_else(|_| "[]".into());
        insert.execute(params![e.seq, e.center_id, e.action, e.layer_version, e.changed_at, e.changed_by, json])?;
    }
    Ok(())
}

/// The newest `limit` log entries, newest first.
pub(super) fn center_events(conn: &Connection, limit: usize) -> Result<Vec<CenterEvent>> {
    let mut stmt = conn.prepare(
        "SELECT seq, center_id, action, layer_version, changed_at, changed_by, changes
         FROM community_center_events ORDER BY seq DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
        Ok((
            CenterEvent {
                seq: r.get(0)?,
                center_id: r.get(1)?,
                action: r.get(2)?,
                layer_version: r.get(3)?,
                changed_at: r.get(4)?,
                changed_by: r.get(5)?,
                changes: Vec::new(),
            },
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (mut event, json) = row?;
        event.changes = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
            id: format!("community center event {}", event.seq),
            reason: e.to_string(),
        })?;
        out.push(event);
    }
    Ok(out)
}

/// Every 地域包括支援センター, in the order they were given.
pub(super) fn load_centers(conn: &Connection) -> Result<Vec<CommunityCenter>> {
    let mut stmt = conn
        .prepare("SELECT id, name, address, phone, lon, lat, areas, source FROM community_centers ORDER BY position")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, f64>(4)?,
            r.get::<_, f64>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, String>(7)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, address, phone, lon, lat, areas, source) = row?;
        let location = LonLat::new(lon, lat)
            .map_err(|e| StoreError::Corrupt { id: format!("community center {id}"), reason: e.to_string() })?;
        let areas = areas.lines().filter(|a| !a.is_empty()).map(str::to_owned).collect();
        out.push(CommunityCenter { id, name, address, phone, location, areas, source });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{SqliteStore, Store};

    /// A CHECK over a list of more than two values (`level IN (3, 7, 8)`) is coded as a
    /// temporary B-tree built for every row written (migration 11 rewrote it).
    #[test]
    fn writing_points_builds_no_temporary_tree() {
        let opcodes = super::super::migrations::program::opcodes(&insert_sql(2));
        assert!(opcodes.iter().any(|op| op == "MakeRecord"), "the program is listed: {opcodes:?}");
        assert!(!opcodes.iter().any(|op| op == "OpenEphemeral"), "a temporary tree: {opcodes:?}");
    }

    fn points(n: usize, city_code: &str) -> Vec<AddressPoint> {
        (0..n)
            .map(|i| AddressPoint {
                level: Level::Residence,
                city_code: city_code.into(),
                pref: "千葉県".into(),
                city: "流山市".into(),
                town: format!("南流山{}丁目", i / 10_000 + 1),
                block: (i / 100 % 100).to_string(),
                residence: (i % 100).to_string(),
                town_code: String::new(),
                location: LonLat::new(139.9 + i as f64 * 1e-7, 35.8).unwrap(),
                source: "abr",
            })
            .collect()
    }

    fn stored(store: &SqliteStore) -> usize {
        let mut n = 0;
        store.for_each_address(&mut |_| n += 1).unwrap();
        n
    }

    fn has_source_index(store: &SqliteStore) -> bool {
        let conn = store.conn().unwrap();
        conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'address_points_by_source')",
            [],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn small_and_bulk_imports_store_every_point_and_keep_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        let cities = ["12220".to_owned()];
        store.replace_addresses("abr", &cities, &points(BATCH_ROWS * 2 + 7, "12220")).unwrap();
        assert_eq!(stored(&store), BATCH_ROWS * 2 + 7);
        store.replace_addresses("abr", &cities, &points(BULK_POINTS + 3, "12220")).unwrap();
        assert_eq!(stored(&store), BULK_POINTS + 3, "the city's points of the source were replaced");
        assert!(has_source_index(&store), "the index is rebuilt after a bulk import");
        let cache: i64 = store.conn().unwrap().query_row("PRAGMA cache_size", [], |r| r.get(0)).unwrap();
        assert_ne!(cache, -BULK_CACHE_KIB, "the bulk page cache ends with the import");
    }

    #[test]
    fn a_bulk_import_that_fails_midway_leaves_the_rows_and_the_index_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        let cities = ["12220".to_owned()];
        store.replace_addresses("abr", &cities, &points(50, "12220")).unwrap();
        let mut bad = points(BULK_POINTS, "12220");
        bad[BULK_POINTS / 2].city_code = "122".into(); // refused by the table's CHECK
        assert!(store.replace_addresses("abr", &cities, &bad).is_err());
        assert_eq!(stored(&store), 50);
        assert!(has_source_index(&store));
    }
}
