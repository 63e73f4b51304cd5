//! The other layers on PostgreSQL: districts, population per grid square, address points, the
//! 地域包括支援センター, and the settings. Each replacement is one transaction; bulk rows go in
//! as arrays (`UNNEST`), many thousand per statement.

use std::sync::mpsc::SyncSender;

use postgres::{Client, GenericClient, Transaction};

use crate::address::centers::CommunityCenter;
use crate::address::{AddressPoint, Level, SAMPLE_SOURCE, source_name};
use crate::domain::{District, LonLat, now_utc, polygon_from_geojson};
use crate::spatial::mesh::{MeshCell, MeshLevel};
use crate::store::{PopulationColumn, Result, StoreError};

/// Rows per bulk statement of the layers.
const BULK_ROWS: usize = 20_000;

pub(super) fn set_meta(c: &mut impl GenericClient, key: &str, value: &str) -> Result<()> {
    c.execute(
        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        &[&key, &value],
    )?;
    Ok(())
}

pub(super) fn load_districts(c: &mut impl GenericClient) -> Result<Vec<District>> {
    let rows = c.query("SELECT id, name, description, geometry FROM districts ORDER BY position", &[])?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get(0)?;
        let corrupt = |reason: String| StoreError::Corrupt { id: format!("district {id}"), reason };
        let geometry: geojson::Geometry =
            r.try_get::<_, &str>(3)?.parse().map_err(|e: geojson::Error| corrupt(e.to_string()))?;
        let area = polygon_from_geojson(&geometry.value).map_err(|e| corrupt(e.to_string()))?;
        out.push(District { name: r.try_get(1)?, description: r.try_get(2)?, area, id });
    }
    Ok(out)
}

/// Replaces every district inside the caller's transaction.
pub(super) fn write_districts(tx: &mut Transaction<'_>, districts: &[District]) -> Result<()> {
    tx.execute("DELETE FROM districts", &[])?;
    for (i, d) in districts.iter().enumerate() {
        let geometry = geojson::Geometry::from(&d.area).to_string();
        tx.execute(
            "INSERT INTO districts (id, position, name, description, geometry) VALUES ($1, $2, $3, $4, $5)",
            &[&d.id, &(i as i64), &d.name, &d.description, &geometry],
        )?;
    }
    Ok(())
}

/// Inserts a population column's squares inside the caller's transaction.
pub(super) fn insert_population(tx: &mut Transaction<'_>, column: &PopulationColumn, imported_at: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO population_columns (code, label, mesh_level, source, imported_at) VALUES ($1, $2, $3, $4, $5)",
        &[&column.code, &column.label, &column.level.name(), &column.source, &imported_at],
    )?;
    for batch in column.counts.chunks(BULK_ROWS) {
        let codes: Vec<String> = batch.iter().map(|(cell, _)| cell.code()).collect();
        let values: Vec<Option<f64>> = batch.iter().map(|(_, v)| *v).collect();
        tx.execute(
            "INSERT INTO population (column_code, mesh_code, value) \
             SELECT $1, m, v FROM UNNEST($2::text[], $3::float8[]) AS u (m, v)",
            &[&column.code, &codes, &values],
        )?;
    }
    Ok(())
}

pub(super) fn replace_population(c: &mut Client, columns: &[PopulationColumn]) -> Result<()> {
    let mut tx = c.transaction()?;
    let at = now_utc();
    for column in columns {
        tx.execute("DELETE FROM population_columns WHERE code = $1", &[&column.code])?;
        insert_population(&mut tx, column, &at)?;
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn load_population(c: &mut impl GenericClient) -> Result<Vec<PopulationColumn>> {
    let heads = c.query(
        "SELECT code, label, mesh_level, source, imported_at FROM population_columns ORDER BY code COLLATE \"C\"",
        &[],
    )?;
    let mut columns = Vec::with_capacity(heads.len());
    for h in heads {
        let code: String = h.try_get(0)?;
        let corrupt = |reason: String| StoreError::Corrupt { id: format!("population column {code}"), reason };
        let level: String = h.try_get(2)?;
        let level = MeshLevel::from_name(&level).ok_or_else(|| corrupt(format!("unknown level {level}")))?;
        let mut counts = Vec::new();
        for r in c.query("SELECT mesh_code, value FROM population WHERE column_code = $1", &[&code])? {
            let mesh: &str = r.try_get(0)?;
            let cell = MeshCell::parse(mesh).map_err(|e| corrupt(format!("{mesh}: {e}")))?;
            counts.push((cell, r.try_get::<_, Option<f64>>(1)?));
        }
        columns.push(PopulationColumn {
            label: h.try_get(1)?,
            level,
            source: h.try_get(3)?,
            imported_at: Some(h.try_get(4)?),
            counts,
            code,
        });
    }
    Ok(columns)
}

/// Inserts (or replaces, by place in the address) address points inside the caller's
/// transaction.
pub(super) fn insert_addresses(tx: &mut Transaction<'_>, points: &[AddressPoint]) -> Result<()> {
    for batch in points.chunks(BULK_ROWS) {
        let col = |f: fn(&AddressPoint) -> &str| batch.iter().map(f).collect::<Vec<&str>>();
        let levels: Vec<i64> = batch.iter().map(|p| p.level as i64).collect();
        let lons: Vec<f64> = batch.iter().map(|p| p.location.lon()).collect();
        let lats: Vec<f64> = batch.iter().map(|p| p.location.lat()).collect();
        tx.execute(
            "INSERT INTO address_points \
               (city_code, town, block, residence, level, pref, city, lon, lat, source, town_code) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], \
                                  $7::text[], $8::float8[], $9::float8[], $10::text[], $11::text[]) \
             ON CONFLICT (city_code, town, block, residence) DO UPDATE SET level = EXCLUDED.level, \
               pref = EXCLUDED.pref, city = EXCLUDED.city, lon = EXCLUDED.lon, lat = EXCLUDED.lat, \
               source = EXCLUDED.source, town_code = EXCLUDED.town_code",
            &[
                &col(|p| &p.city_code),
                &col(|p| &p.town),
                &col(|p| &p.block),
                &col(|p| &p.residence),
                &levels,
                &col(|p| &p.pref),
                &col(|p| &p.city),
                &lons,
                &lats,
                &col(|p| p.source),
                &col(|p| &p.town_code),
            ],
        )?;
    }
    Ok(())
}

pub(super) fn replace_addresses(
    c: &mut Client,
    source: &str,
    cities: &[String],
    points: &[AddressPoint],
) -> Result<()> {
    let mut tx = c.transaction()?;
    tx.execute(
        "DELETE FROM address_points WHERE city_code = ANY($1) AND source IN ($2, $3)",
        &[&cities, &source, &SAMPLE_SOURCE],
    )?;
    // A point given twice in one file: the last one wins, as SQLite's INSERT OR REPLACE.
    let mut last: std::collections::HashMap<(&str, &str, &str, &str), usize> = std::collections::HashMap::new();
    for (i, p) in points.iter().enumerate() {
        last.insert((&p.city_code, &p.town, &p.block, &p.residence), i);
    }
    if last.len() == points.len() {
        insert_addresses(&mut tx, points)?;
    } else {
        let mut keep: Vec<usize> = last.into_values().collect();
        keep.sort_unstable();
        let unique: Vec<AddressPoint> = keep.into_iter().map(|i| points[i].clone()).collect();
        insert_addresses(&mut tx, &unique)?;
    }
    tx.commit()?;
    Ok(())
}

/// Sends every stored point in batches (ordered by place in the address).
pub(super) fn read_addresses(c: &mut Client, out: &SyncSender<Vec<AddressPoint>>) -> Result<()> {
    let mut tx = c.build_transaction().read_only(true).start()?;
    let portal = tx.bind(
        "SELECT city_code, town, block, residence, level, pref, city, lon, lat, source, town_code FROM address_points \
         ORDER BY city_code COLLATE \"C\", town COLLATE \"C\", block COLLATE \"C\", residence COLLATE \"C\"",
        &[],
    )?;
    loop {
        let rows = tx.query_portal(&portal, 10_000)?;
        if rows.is_empty() {
            break;
        }
        let mut batch = Vec::with_capacity(rows.len());
        for r in rows {
            let town: String = r.try_get(1)?;
            let corrupt = |reason: String| StoreError::Corrupt { id: format!("address point {town}"), reason };
            let level: i64 = r.try_get(4)?;
            let level = Level::from_stored(level).ok_or_else(|| corrupt(format!("unknown level {level}")))?;
            let location = LonLat::new(r.try_get(7)?, r.try_get(8)?).map_err(|e| corrupt(e.to_string()))?;
            let source: &str = r.try_get(9)?;
            let source = source_name(source).ok_or_else(|| corrupt(format!("unknown source {source}")))?;
            batch.push(AddressPoint {
                level,
                city_code: r.try_get(0)?,
                pref: r.try_get(5)?,
                city: r.try_get(6)?,
                block: r.try_get(2)?,
                residence: r.try_get(3)?,
                town_code: r.try_get(10)?,
                location,
                source,
                town,
            });
        }
        if out.send(batch).is_err() {
            break;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Inserts the 地域包括支援センター in their order inside the caller's transaction.
pub(super) fn insert_centers(tx: &mut Transaction<'_>, centers: &[CommunityCenter]) -> Result<()> {
    for (i, c) in centers.iter().enumerate() {
        tx.execute(
            "INSERT INTO community_centers (id, position, name, address, phone, lon, lat, areas, source) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &c.id,
                &(i as i64),
                &c.name,
                &c.address,
                &c.phone,
                &c.location.lon(),
                &c.location.lat(),
                &c.areas.join("\n"),
                &c.source,
            ],
        )?;
    }
    Ok(())
}

pub(super) fn load_centers(c: &mut impl GenericClient) -> Result<Vec<CommunityCenter>> {
    let rows = c.query(
        "SELECT id, name, address, phone, lon, lat, areas, source FROM community_centers ORDER BY position",
        &[],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get(0)?;
        let location = LonLat::new(r.try_get(4)?, r.try_get(5)?)
            .map_err(|e| StoreError::Corrupt { id: format!("community center {id}"), reason: e.to_string() })?;
        let areas = r.try_get::<_, &str>(6)?.lines().filter(|a| !a.is_empty()).map(str::to_owned).collect();
        out.push(CommunityCenter {
            name: r.try_get(1)?,
            address: r.try_get(2)?,
            phone: r.try_get(3)?,
            location,
            areas,
            source: r.try_get(7)?,
            id,
        });
    }
    Ok(out)
}
