//! Address points (町字, 街区, 住居): an import replaces, in one transaction, the rows of its
//! source for the cities its files cover, and the sample's rows of those cities. And the
//! 地域包括支援センター, replaced as a whole.

use rusqlite::{Connection, params};

use crate::address::centers::CommunityCenter;
use crate::address::{AddressPoint, Level, SAMPLE_SOURCE, source_name};
use crate::domain::LonLat;
use crate::store::{Result, StoreError};

/// Replaces the rows of `source` (and of the sample) in `cities` with `points`, in one
/// transaction. A point of another source at the same place in the address is replaced too.
pub(super) fn replace(conn: &mut Connection, source: &str, cities: &[String], points: &[AddressPoint]) -> Result<()> {
    let tx = conn.transaction()?;
    for city in cities {
        tx.execute(
            "DELETE FROM address_points WHERE city_code = ?1 AND source IN (?2, ?3)",
            params![city, source, SAMPLE_SOURCE],
        )?;
    }
    insert_points(&tx, points)?;
    tx.commit()?;
    Ok(())
}

/// Inserts (or replaces, by place in the address) points inside the caller's transaction.
pub(super) fn insert_points(tx: &rusqlite::Transaction<'_>, points: &[AddressPoint]) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT OR REPLACE INTO address_points (city_code, town, block, residence, level, pref, city, lon, lat, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for p in points {
        insert.execute(params![
            p.city_code,
            p.town,
            p.block,
            p.residence,
            p.level as i64,
            p.pref,
            p.city,
            p.location.lon(),
            p.location.lat(),
            p.source
        ])?;
    }
    Ok(())
}

/// Calls `each` with every stored point (one buffer, reused: a prefecture's millions of 住居
/// are never all in memory as rows).
pub(super) fn for_each(conn: &Connection, each: &mut dyn FnMut(&AddressPoint)) -> Result<()> {
    let mut stmt = conn
        .prepare("SELECT city_code, town, block, residence, level, pref, city, lon, lat, source FROM address_points")?;
    let mut rows = stmt.query([])?;
    let mut p = AddressPoint {
        level: Level::Town,
        city_code: String::new(),
        pref: String::new(),
        city: String::new(),
        town: String::new(),
        block: String::new(),
        residence: String::new(),
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

/// Replaces every 地域包括支援センター, in one transaction.
pub(super) fn replace_centers(conn: &mut Connection, centers: &[CommunityCenter]) -> Result<()> {
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM community_centers", [])?;
    insert_centers(&tx, centers)?;
    tx.commit()?;
    Ok(())
}

/// Inserts the 地域包括支援センター in their order inside the caller's transaction.
pub(super) fn insert_centers(tx: &rusqlite::Transaction<'_>, centers: &[CommunityCenter]) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO community_centers (id, position, name, address, phone, lon, lat, areas, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for (i, c) in centers.iter().enumerate() {
        insert.execute(params![
            c.id,
            i as i64,
            c.name,
            c.address,
            c.phone,
            c.location.lon(),
            c.location.lat(),
            c.areas.join("\n"),
            c.source
        ])?;
    }
    Ok(())
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
