//! The providers, history and districts tables' rows: the column list, reading a provider
//! from a row and writing one inside a transaction. Shared by the store's other files, which
//! import from here and never the other way.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::{District, HomeCare, Kind, LonLat, Provider};
use crate::store::{ProviderRecord, Result, StoreError};

pub(super) const PROVIDER_COLUMNS: &str = "id, kind, official_code, name, name_kana, services, home_care, address, phone, \
     fax, url, corporation, corporate_number, capacity, open_days, notes, accepting, accepting_updated_at, \
     lon, lat, district, version, updated_at, updated_by";

/// Positions of the [`PROVIDER_COLUMNS`] in a row that starts with them. Reading by position
/// instead of by name saves a scan of the column names per value (a fifth of the start-up
/// time of a million-provider catalog went to those scans).
pub(super) mod col {
    pub const ID: usize = 0;
    pub const KIND: usize = 1;
    pub const OFFICIAL_CODE: usize = 2;
    pub const NAME: usize = 3;
    pub const NAME_KANA: usize = 4;
    pub const SERVICES: usize = 5;
    pub const HOME_CARE: usize = 6;
    pub const ADDRESS: usize = 7;
    pub const PHONE: usize = 8;
    pub const FAX: usize = 9;
    pub const URL: usize = 10;
    pub const CORPORATION: usize = 11;
    pub const CORPORATE_NUMBER: usize = 12;
    pub const CAPACITY: usize = 13;
    pub const OPEN_DAYS: usize = 14;
    pub const NOTES: usize = 15;
    pub const ACCEPTING: usize = 16;
    pub const ACCEPTING_UPDATED_AT: usize = 17;
    pub const LON: usize = 18;
    pub const LAT: usize = 19;
    pub const DISTRICT: usize = 20;
    pub const VERSION: usize = 21;
    pub const UPDATED_AT: usize = 22;
    pub const UPDATED_BY: usize = 23;
    /// The first column a query selects after them.
    pub const NEXT: usize = 24;
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

/// Reads the [`PROVIDER_COLUMNS`] of a row. The outer error is SQLite's, the inner one an
/// unreadable value.
pub(super) fn provider_from_row(row: &Row<'_>) -> rusqlite::Result<std::result::Result<Provider, StoreError>> {
    let id: String = row.get(col::ID)?;
    let corrupt = |reason: String| StoreError::Corrupt { id: id.clone(), reason };
    let kind_text: String = row.get(col::KIND)?;
    let Some(kind) = Kind::parse(&kind_text) else {
        return Ok(Err(corrupt(format!("unknown kind '{kind_text}'"))));
    };
    let home_care = match row.get::<_, Option<String>>(col::HOME_CARE)? {
        Some(text) => match serde_json::from_str::<HomeCare>(&text) {
            Ok(h) => Some(h),
            Err(e) => return Ok(Err(corrupt(format!("home_care: {e}")))),
        },
        None => None,
    };
    let location = match LonLat::new(row.get(col::LON)?, row.get(col::LAT)?) {
        Ok(l) => l,
        Err(e) => return Ok(Err(corrupt(format!("location: {e}")))),
    };
    let services: String = row.get(col::SERVICES)?;
    Ok(Ok(Provider {
        kind,
        official_code: row.get(col::OFFICIAL_CODE)?,
        name: row.get(col::NAME)?,
        name_kana: row.get(col::NAME_KANA)?,
        services: services.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        home_care,
        address: row.get(col::ADDRESS)?,
        phone: row.get(col::PHONE)?,
        fax: row.get(col::FAX)?,
        url: row.get(col::URL)?,
        corporation: row.get(col::CORPORATION)?,
        corporate_number: row.get(col::CORPORATE_NUMBER)?,
        capacity: row.get(col::CAPACITY)?,
        open_days: row.get(col::OPEN_DAYS)?,
        notes: row.get(col::NOTES)?,
        accepting: row.get(col::ACCEPTING)?,
        accepting_updated_at: row.get(col::ACCEPTING_UPDATED_AT)?,
        location,
        district: row.get(col::DISTRICT)?,
        version: row.get(col::VERSION)?,
        updated_at: row.get(col::UPDATED_AT)?,
        updated_by: row.get(col::UPDATED_BY)?,
        id,
    }))
}

/// Writes one provider row (insert or full replace) inside the caller's transaction.
pub(super) fn write_provider(tx: &rusqlite::Transaction<'_>, p: &Provider) -> rusqlite::Result<()> {
    execute_provider(tx, "INSERT OR REPLACE", p)
}

/// Inserts a provider whose id must be new (a constraint error otherwise) inside the caller's
/// transaction.
pub(super) fn insert_new_provider(tx: &rusqlite::Transaction<'_>, p: &Provider) -> rusqlite::Result<()> {
    execute_provider(tx, "INSERT", p)
}

fn execute_provider(tx: &rusqlite::Transaction<'_>, verb: &str, p: &Provider) -> rusqlite::Result<()> {
    let home_care = p.home_care.as_ref().map(|h| serde_json::to_string(h).unwrap_or_default());
    let mut stmt = tx.prepare_cached(&format!(
        "{verb} INTO providers ({PROVIDER_COLUMNS}) VALUES \
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)"
    ))?;
    stmt.execute(params![
        p.id,
        p.kind.as_str(),
        p.official_code,
        p.name,
        p.name_kana,
        p.services.join(","),
        home_care,
        p.address,
        p.phone,
        p.fax,
        p.url,
        p.corporation,
        p.corporate_number,
        p.capacity,
        p.open_days,
        p.notes,
        p.accepting,
        p.accepting_updated_at,
        p.location.lon(),
        p.location.lat(),
        p.district,
        p.version,
        p.updated_at,
        p.updated_by,
    ])?;
    Ok(())
}

/// Appends a history entry (the full provider after the change) inside the caller's
/// transaction and returns its seq: the change's number in the feed, assigned by SQLite
/// (`AUTOINCREMENT`: strictly increasing, never reused; a rolled-back transaction takes its
/// numbers back, so committed seqs have no gaps).
pub(super) fn write_history(tx: &rusqlite::Transaction<'_>, p: &Provider, action: &str) -> rusqlite::Result<i64> {
    let data = serde_json::to_string(p).unwrap_or_default();
    tx.prepare_cached(
        "INSERT INTO provider_history (provider_id, version, action, data, changed_at, changed_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![p.id, p.version, action, data, p.updated_at, p.updated_by])?;
    Ok(tx.last_insert_rowid())
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

    #[test]
    fn column_positions_match_the_column_list() {
        let names: Vec<&str> = PROVIDER_COLUMNS.split(',').map(str::trim).collect();
        let positions = [
            ("id", col::ID),
            ("kind", col::KIND),
            ("official_code", col::OFFICIAL_CODE),
            ("name", col::NAME),
            ("name_kana", col::NAME_KANA),
            ("services", col::SERVICES),
            ("home_care", col::HOME_CARE),
            ("address", col::ADDRESS),
            ("phone", col::PHONE),
            ("fax", col::FAX),
            ("url", col::URL),
            ("corporation", col::CORPORATION),
            ("corporate_number", col::CORPORATE_NUMBER),
            ("capacity", col::CAPACITY),
            ("open_days", col::OPEN_DAYS),
            ("notes", col::NOTES),
            ("accepting", col::ACCEPTING),
            ("accepting_updated_at", col::ACCEPTING_UPDATED_AT),
            ("lon", col::LON),
            ("lat", col::LAT),
            ("district", col::DISTRICT),
            ("version", col::VERSION),
            ("updated_at", col::UPDATED_AT),
            ("updated_by", col::UPDATED_BY),
        ];
        for (name, at) in positions {
            assert_eq!(names[at], name);
        }
        assert_eq!(names.len(), col::NEXT);
    }
}
