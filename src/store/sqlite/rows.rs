//! The providers, history and districts tables' rows: the column list, reading a provider
//! from a row and writing one inside a transaction. Shared by the store's other files, which
//! import from here and never the other way.

use std::sync::OnceLock;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{CachedStatement, Connection, OptionalExtension, Row, ToSql, params, params_from_iter};

use crate::domain::ProviderFields;
use crate::domain::{District, Provider};
use crate::store::codec::{PROVIDER_COLUMN_COUNT, SqlValue};
use crate::store::row_view::{RowView, SqlRef};
use crate::store::{ProviderRecord, Result, StoreError};

pub(super) use crate::store::codec::PROVIDER_COLUMNS;

/// Positions in a row that starts with the [`PROVIDER_COLUMNS`].
pub(super) mod col {
    /// The first column a query selects after them.
    pub const NEXT: usize = super::PROVIDER_COLUMN_COUNT;
}

impl ToSql for SqlValue<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            SqlValue::Null => ValueRef::Null,
            SqlValue::Integer(n) => ValueRef::Integer(*n),
            SqlValue::Real(x) => ValueRef::Real(*x),
            SqlValue::Text(s) => ValueRef::Text(s.as_bytes()),
        }))
    }
}

/// SQLite's value as the backend-neutral one, borrowed (a blob, which no provider column
/// holds, reads as text so the codec names the column).
pub(super) fn sql_ref(value: ValueRef<'_>) -> std::result::Result<SqlRef<'_>, std::str::Utf8Error> {
    Ok(match value {
        ValueRef::Null => SqlRef::Null,
        ValueRef::Integer(n) => SqlRef::Integer(n),
        ValueRef::Real(x) => SqlRef::Real(x),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => SqlRef::Text(std::str::from_utf8(bytes)?),
    })
}

/// A provider with its deleted state, live or not.
pub(super) fn read_record(conn: &Connection, id: &str) -> Result<Option<ProviderRecord>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {PROVIDER_COLUMNS}, deleted_at FROM providers WHERE id = ?1"))?;
    let row = stmt
        .query_row([id], |row| Ok((provider_from_row(row)?, row.get::<_, Option<String>>(col::NEXT)?)))
        .optional()?;
    match row {
        None => Ok(None),
        Some((provider, deleted_at)) => Ok(Some(ProviderRecord { provider: provider?, deleted_at })),
    }
}

/// Reads the [`PROVIDER_COLUMNS`] of a row (by position: a scan of the column names per value
/// took a fifth of the start-up time of a million-provider catalog). The outer error is
/// SQLite's, the inner one an unreadable value.
pub(super) fn provider_from_row(row: &Row<'_>) -> rusqlite::Result<std::result::Result<Provider, StoreError>> {
    let mut values = Vec::with_capacity(PROVIDER_COLUMN_COUNT);
    for i in 0..PROVIDER_COLUMN_COUNT {
        let value = sql_ref(row.get_ref(i)?)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))?;
        values.push(value);
    }
    Ok(RowView::decode(values).map(|view| view.to_provider()))
}

/// Writes providers and their history entries inside the caller's transaction, with its
/// statements prepared once for however many rows it writes: an import writes a million of
/// each, and finding a cached statement by its text (the provider `INSERT` is ~500
/// characters) for every row was ~1.5 % of the writing phase's perf samples. A single staff
/// write uses the functions below, which prepare only the statement they run.
pub(super) struct RowWriter<'c> {
    insert: CachedStatement<'c>,
    update: CachedStatement<'c>,
    history: CachedStatement<'c>,
    /// A history entry's JSON, written into the same buffer for each entry.
    json: Vec<u8>,
}

impl<'c> RowWriter<'c> {
    pub(super) fn new(conn: &'c Connection) -> rusqlite::Result<Self> {
        Ok(Self {
            insert: conn.prepare_cached(insert_sql())?,
            update: conn.prepare_cached(update_sql())?,
            history: conn.prepare_cached(HISTORY_SQL)?,
            json: Vec::new(),
        })
    }

    /// See [`insert_provider`].
    pub(super) fn insert(&mut self, p: &Provider) -> rusqlite::Result<()> {
        execute_row(&mut self.insert, p)
    }

    /// See [`update_provider_row`].
    pub(super) fn update(&mut self, p: &Provider) -> rusqlite::Result<()> {
        execute_row(&mut self.update, p)
    }

    /// See [`write_history`].
    pub(super) fn history(&mut self, p: &Provider, action: &str) -> rusqlite::Result<i64> {
        insert_history(&mut self.history, &mut self.json, p, action)
    }
}

/// Inserts a provider whose id must be new (a constraint error otherwise) inside the caller's
/// transaction.
pub(super) fn insert_provider(tx: &Connection, p: &Provider) -> rusqlite::Result<()> {
    execute_row(&mut tx.prepare_cached(insert_sql())?, p)
}

/// Replaces every column of a stored provider's row and makes it live (`deleted_at`
/// cleared) inside the caller's transaction, which has read the row. An `UPDATE`, not
/// `INSERT OR REPLACE`: the row keeps its place and the indexes of unchanged columns are not
/// touched, where a replace deleted the row and appended it again with every index entry.
pub(super) fn update_provider_row(tx: &Connection, p: &Provider) -> rusqlite::Result<()> {
    execute_row(&mut tx.prepare_cached(update_sql())?, p)
}

/// Appends a history entry (the provider after the change) inside the caller's transaction
/// and returns its seq: the change's number in the feed, assigned by SQLite (`AUTOINCREMENT`:
/// strictly increasing, never reused; a rolled-back transaction takes its numbers back, so
/// committed seqs have no gaps).
pub(super) fn write_history(tx: &Connection, p: &Provider, action: &str) -> rusqlite::Result<i64> {
    insert_history(&mut tx.prepare_cached(HISTORY_SQL)?, &mut Vec::new(), p, action)
}

/// Runs the insert or update of `p`'s row (its values in [`PROVIDER_COLUMNS`] order).
fn execute_row(stmt: &mut CachedStatement<'_>, p: &Provider) -> rusqlite::Result<()> {
    stmt.execute(params_from_iter(crate::store::codec::provider_row(p)))?;
    Ok(())
}

/// Runs [`HISTORY_SQL`] for `p`, its JSON written into `json`.
fn insert_history(
    stmt: &mut CachedStatement<'_>,
    json: &mut Vec<u8>,
    p: &Provider,
    action: &str,
) -> rusqlite::Result<i64> {
    json.clear();
    serde_json::to_writer(&mut *json, p).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    // serde_json writes UTF-8, so the bytes are bound as TEXT as they are: checking them
    // again took 1.7 % of a 1 M-row import's time, on the thread that writes.
    let data = ToSqlOutput::Borrowed(ValueRef::Text(json));
    stmt.insert(params![p.id, p.version, action, data, p.updated_at, p.updated_by])
}

const HISTORY_SQL: &str = "INSERT INTO provider_history (provider_id, version, action, data, changed_at, changed_by) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// `INSERT INTO providers (…) VALUES (?1, …)`, made once: an import writes a million rows,
/// and formatting the statement for each took a twentieth of its time.
fn insert_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let placeholders: Vec<String> = (1..=PROVIDER_COLUMN_COUNT).map(|i| format!("?{i}")).collect();
        format!("INSERT INTO providers ({PROVIDER_COLUMNS}) VALUES ({})", placeholders.join(", "))
    })
}

/// `UPDATE providers SET kind = ?2, … , deleted_at = NULL WHERE id = ?1`: the parameters are
/// a row in [`PROVIDER_COLUMNS`] order, as for the insert.
fn update_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let set: Vec<String> = crate::store::codec::Columns::names()
            .enumerate()
            .skip(1)
            .map(|(i, c)| format!("{c} = ?{}", i + 1))
            .collect();
        format!("UPDATE providers SET {}, deleted_at = NULL WHERE id = ?1", set.join(", "))
    })
}

/// Replaces every district inside the caller's transaction.
pub(super) fn write_districts(tx: &rusqlite::Transaction<'_>, districts: &[District]) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM districts", [])?;
    for (i, d) in districts.iter().enumerate() {
        let geometry = geojson::Geometry::from(&d.area).to_string();
        tx.execute(
            "INSERT INTO districts (id, position, name, description, geometry) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![d.id, i as i64, d.name, d.description, geometry],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Kind, Owner, PROVIDER_FIELDS};
    use crate::formats::geojson::{FeatureOut, provider_from_feature};

    /// The provider with every field of the table filled in, at version 1 (a provider read from
    /// GeoJSON starts there: the version is the server's, never the input's).
    fn full() -> Provider {
        Provider { version: 1, ..crate::generate::synthetic::every_field("clinic-1") }
    }

    fn geojson(p: &Provider) -> Vec<u8> {
        let mut out = Vec::new();
        FeatureOut::new(p, None).write_json(&mut out).unwrap();
        out
    }

    /// GeoJSON → Provider → SQL row (a real SQLite table) → Provider → GeoJSON.
    fn round_trip(original: &Provider) -> (Provider, Vec<u8>) {
        let feature: geojson::Feature = serde_json::from_slice(&geojson(original)).unwrap();
        let mut read = provider_from_feature(&feature, &original.updated_at, &original.updated_by).unwrap();
        // Derived when saved, never read from input.
        read.district.clone_from(&original.district);
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in super::super::migrations::MIGRATIONS {
            conn.execute_batch(sql).unwrap();
        }
        let tx = conn.transaction().unwrap();
        insert_provider(&tx, &read).unwrap();
        tx.commit().unwrap();
        let stored = read_record(&conn, &read.id).unwrap().unwrap().provider;
        let again = geojson(&stored);
        (stored, again)
    }

    #[test]
    fn every_field_of_the_table_survives_geojson_to_sql_and_back() {
        let original = full();
        let blank: Vec<&str> = PROVIDER_FIELDS.iter().filter(|f| f.is_blank(&original)).map(|f| f.key).collect();
        assert_eq!(blank, Vec::<&str>::new(), "give these fields a value in full()");
        let (stored, again) = round_trip(&original);
        for f in PROVIDER_FIELDS {
            assert!(!f.differs(&original, &stored), "{} changed: {:?}", f.key, f.value(&stored));
        }
        assert_eq!(stored, original);
        assert_eq!(String::from_utf8(again).unwrap(), String::from_utf8(geojson(&original)).unwrap());
    }

    /// The history keeps each version without its empty fields (less than half the bytes of an
    /// imported row's entry) and without the id, version and stamp (the entry's columns), and
    /// an entry written before, with `null`s and those four in its JSON, reads the same.
    #[test]
    fn a_history_entry_leaves_out_empty_fields_and_its_columns_and_reads_back_whole() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in super::super::migrations::MIGRATIONS {
            conn.execute_batch(sql).unwrap();
        }
        let sparse = Provider {
            updated_at: "2026-11-30T00:00:00Z".into(),
            updated_by: "cli".into(),
            version: 1,
            ..Provider::new("c".into(), Kind::Care, "x".into(), full().location)
        };
        let older = Provider {
            version: 2,
            updated_at: "2026-11-30T01:00:00Z".into(),
            updated_by: "old".into(),
            ..sparse.clone()
        };
        let tx = conn.transaction().unwrap();
        insert_provider(&tx, &sparse).unwrap();
        write_history(&tx, &sparse, "import").unwrap();
        // As entries were written before: every field, empty ones as null.
        let mut before = serde_json::to_value(&older).unwrap();
        for (key, value) in [
            ("id", serde_json::json!("c")),
            ("version", serde_json::json!(2)),
            ("updated_at", serde_json::json!(older.updated_at)),
            ("updated_by", serde_json::json!("old")),
        ] {
            before[key] = value;
        }
        for key in ["name_kana", "address", "phone", "accepting", "accepting_note", "district"] {
            before[key] = serde_json::Value::Null;
        }
        tx.execute(
            "INSERT INTO provider_history (provider_id, version, action, data, changed_at, changed_by) \
             VALUES ('c', 2, 'update', ?1, ?2, 'old')",
            [before.to_string(), older.updated_at.clone()],
        )
        .unwrap();
        tx.commit().unwrap();
        let (data, stored_as): (String, String) = conn
            .query_row("SELECT data, typeof(data) FROM provider_history WHERE version = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(stored_as, "text", "the JSON's bytes are bound as TEXT, not as a BLOB");
        for left_out in ["null", "phone", "\"id\"", "version", "updated_at", "updated_by", "cli"] {
            assert!(!data.contains(left_out), "{left_out} in {data}");
        }
        assert_eq!(super::super::providers::provider_version(&conn, "c", 1).unwrap(), sparse);
        assert_eq!(super::super::providers::provider_version(&conn, "c", 2).unwrap(), older);
        let whole = full();
        let json = serde_json::to_string(&whole).unwrap();
        let read = crate::store::codec::provider_from_history(
            1,
            &whole.id,
            whole.version,
            &whole.updated_at,
            &whole.updated_by,
            &json,
        );
        assert_eq!(read.unwrap(), whole);
    }

    #[test]
    fn every_field_left_empty_stays_empty_through_geojson_and_sql() {
        let empty = Provider { district: None, ..Provider::new("c".into(), Kind::Care, "x".into(), full().location) };
        let original = Provider { updated_at: full().updated_at, updated_by: full().updated_by, ..empty };
        let (stored, again) = round_trip(&original);
        for f in PROVIDER_FIELDS.iter().filter(|f| f.owner != Owner::Derived) {
            assert_eq!(f.is_blank(&stored), f.is_blank(&original), "{}", f.key);
        }
        assert_eq!(stored, original);
        assert_eq!(again, geojson(&original));
    }

    /// A CHECK's code runs for every row written, and SQLite codes `x IN (a, b, c)` as a
    /// temporary B-tree built on each run: the statements an import runs a million times
    /// must build none (migration 10 wrote the schema's lists as comparisons).
    #[test]
    fn writing_a_row_builds_no_temporary_tree() {
        for sql in [insert_sql(), update_sql(), HISTORY_SQL] {
            let opcodes = super::super::migrations::program::opcodes(sql);
            assert!(opcodes.iter().any(|op| op == "MakeRecord"), "the program of {sql} is listed: {opcodes:?}");
            assert!(!opcodes.iter().any(|op| op == "OpenEphemeral"), "{sql} builds a temporary tree: {opcodes:?}");
        }
    }
}
