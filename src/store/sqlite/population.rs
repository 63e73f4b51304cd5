//! Population per grid square: each column (e.g. the census's 75歳以上人口 at 500 m) is
//! replaced as a whole in one transaction, so a failed import leaves the old column intact.

use rusqlite::{Connection, params};

use crate::domain::now_utc;
use crate::spatial::mesh::{MeshCell, MeshLevel};
use crate::store::{PopulationColumn, Result, StoreError};

/// Replaces every column in `columns` (rows and description) in one transaction.
pub(super) fn replace(conn: &mut Connection, columns: &[PopulationColumn]) -> Result<()> {
    let tx = conn.transaction()?;
    let at = now_utc();
    for column in columns {
        tx.execute("DELETE FROM population_columns WHERE code = ?1", [&column.code])?;
        tx.execute(
            "INSERT INTO population_columns (code, label, mesh_level, source, imported_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![column.code, column.label, column.level.name(), column.source, at],
        )?;
        let mut insert =
            tx.prepare_cached("INSERT INTO population (column_code, mesh_code, value) VALUES (?1, ?2, ?3)")?;
        for (cell, value) in &column.counts {
            insert.execute(params![column.code, cell.code(), value])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Every column with its squares, ordered by code.
pub(super) fn load(conn: &Connection) -> Result<Vec<PopulationColumn>> {
    let mut columns = Vec::new();
    let mut stmt =
        conn.prepare("SELECT code, label, mesh_level, source, imported_at FROM population_columns ORDER BY code")?;
    let heads = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?)))?
        .collect::<rusqlite::Result<Vec<(String, String, String, String, String)>>>()?;
    let mut rows = conn.prepare("SELECT mesh_code, value FROM population WHERE column_code = ?1")?;
    for (code, label, level, source, imported_at) in heads {
        let corrupt = |reason: String| StoreError::Corrupt { id: format!("population column {code}"), reason };
        let level = MeshLevel::from_name(&level).ok_or_else(|| corrupt(format!("unknown level {level}")))?;
        let mut counts = Vec::new();
        let mut cursor = rows.query([&code])?;
        while let Some(row) = cursor.next()? {
            let mesh: String = row.get(0)?;
            let cell = MeshCell::parse(&mesh).map_err(|e| corrupt(format!("{mesh}: {e}")))?;
            counts.push((cell, row.get::<_, Option<f64>>(1)?));
        }
        columns.push(PopulationColumn { code, label, level, source, imported_at: Some(imported_at), counts });
    }
    Ok(columns)
}
