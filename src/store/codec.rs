//! The providers table's row, backend-neutral: the column list and a provider as a row of
//! [`SqlValue`]s and back, derived from [`PROVIDER_FIELDS`] (each field's `sql` columns,
//! encoded by its type). A backend only converts between its driver's values and these, so
//! SQLite and a PostgreSQL store share one codec.
//!
//! A row is `id`, the fields' columns in table order, then `version`, `updated_at`,
//! `updated_by`.

use std::borrow::Cow;
use std::fmt;

use crate::domain::{Accepting, Access, PROVIDER_FIELDS, Provider, ProviderField, ProviderFields};

use super::StoreError;
use super::row_view::{RowView, SqlRef};

/// One SQL value, as every SQL backend has them; text borrowed from the provider it was
/// made of where it can be (a row written is not a copy of every string).
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue<'a> {
    /// `NULL`.
    Null,
    /// An integer (also a flag: 1 or 0).
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(Cow<'a, str>),
}

/// The bookkeeping columns that follow the fields' columns.
const BOOKKEEPING: [&str; 3] = ["version", "updated_at", "updated_by"];

/// How many columns a provider row has.
pub const PROVIDER_COLUMN_COUNT: usize = {
    let mut n = 1 + BOOKKEEPING.len();
    let mut i = 0;
    while i < PROVIDER_FIELDS.len() {
        n += PROVIDER_FIELDS[i].sql.len();
        i += 1;
    }
    n
};

/// The provider row's column names, comma-separated (`id, kind, …, updated_by`), for
/// `SELECT` and `INSERT` lists: `format!("SELECT {PROVIDER_COLUMNS} FROM providers")`.
pub const PROVIDER_COLUMNS: Columns = Columns;

/// See [`PROVIDER_COLUMNS`].
#[derive(Debug, Clone, Copy)]
pub struct Columns;

impl Columns {
    /// The column names in row order.
    pub fn names() -> impl Iterator<Item = &'static str> {
        std::iter::once("id").chain(PROVIDER_FIELDS.iter().flat_map(|f| f.sql.iter().copied())).chain(BOOKKEEPING)
    }
}

impl fmt::Display for Columns {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in Columns::names().enumerate() {
            if i > 0 {
                out.write_str(", ")?;
            }
            out.write_str(name)?;
        }
        Ok(())
    }
}

/// `p` as a row of values in [`PROVIDER_COLUMNS`] order.
pub fn provider_row(p: &Provider) -> Vec<SqlValue<'_>> {
    let mut row = Vec::with_capacity(PROVIDER_COLUMN_COUNT);
    row.push(SqlValue::Text(Cow::Borrowed(&p.id)));
    for f in PROVIDER_FIELDS {
        push_field(&mut row, f, p);
    }
    row.push(SqlValue::Integer(p.version));
    row.push(SqlValue::Text(Cow::Borrowed(&p.updated_at)));
    row.push(SqlValue::Text(Cow::Borrowed(&p.updated_by)));
    row
}

fn text(value: Option<&str>) -> SqlValue<'_> {
    value.map_or(SqlValue::Null, |s| SqlValue::Text(Cow::Borrowed(s)))
}

fn push_field<'p>(row: &mut Vec<SqlValue<'p>>, f: &ProviderField, p: &'p Provider) {
    match f.access {
        Access::Kind { get, .. } => row.push(SqlValue::Text(Cow::Borrowed(get(p).as_str()))),
        Access::Text { get, .. } => row.push(text(get(p))),
        // Service codes are digits: a comma cannot be part of one.
        Access::Codes { get, .. } => row.push(SqlValue::Text(match get(p) {
            [one] => Cow::Borrowed(one.as_str()),
            codes => Cow::Owned(codes.join(",")),
        })),
        Access::HomeCare { get, .. } => row.push(
            get(p).map_or(SqlValue::Null, |h| SqlValue::Text(Cow::Owned(serde_json::to_string(h).unwrap_or_default()))),
        ),
        Access::Count { get, .. } => row.push(get(p).map_or(SqlValue::Null, |n| SqlValue::Integer(n.into()))),
        Access::Accepting { get, .. } => row.push(text(get(p).map(Accepting::as_str))),
        Access::Point { get, .. } => {
            let at = get(p);
            row.push(SqlValue::Real(at.lon()));
            row.push(SqlValue::Real(at.lat()));
        }
    }
}

/// Reads a provider from a row of values in [`PROVIDER_COLUMNS`] order (by the rules of
/// [`RowView::decode`]).
///
/// # Errors
/// [`StoreError::Corrupt`] naming the field whose value cannot be read.
pub fn provider_from_row(row: Vec<SqlValue>) -> Result<Provider, StoreError> {
    RowView::decode(row.iter().map(SqlValue::borrowed)).map(|view| view.to_provider())
}

/// A provider as a history entry keeps it: the JSON of its fields (`data`) without its id,
/// version and stamp, which are the entry's own columns (`provider_id`, `version`,
/// `changed_at`, `changed_by`). An entry written before has them in the JSON as well, with
/// the same values.
///
/// # Errors
/// [`StoreError::Corrupt`] naming the provider and the entry's `seq` when `data` is not a
/// provider's JSON.
pub fn provider_from_history(
    seq: i64,
    id: &str,
    version: i64,
    changed_at: &str,
    changed_by: &str,
    data: &str,
) -> Result<Provider, StoreError> {
    let mut p: Provider = serde_json::from_str(data)
        .map_err(|e| StoreError::Corrupt { id: id.to_owned(), reason: format!("history entry {seq}: {e}") })?;
    id.clone_into(&mut p.id);
    p.version = version;
    changed_at.clone_into(&mut p.updated_at);
    changed_by.clone_into(&mut p.updated_by);
    Ok(p)
}

/// A provider's previous version from the previous entry's columns of
/// [`HISTORY_ENTRY_SELECT`] (all `NULL` for a provider's first entry: `None`).
///
/// # Errors
/// As [`provider_from_history`].
pub fn previous_from_history(
    seq: Option<i64>,
    id: &str,
    version: Option<i64>,
    changed_at: Option<&str>,
    changed_by: Option<&str>,
    data: Option<&str>,
) -> Result<Option<Provider>, StoreError> {
    match (seq, version, changed_at, changed_by, data) {
        (Some(seq), Some(version), Some(at), Some(by), Some(data)) => {
            provider_from_history(seq, id, version, at, by, data).map(Some)
        }
        _ => Ok(None),
    }
}

/// History entries with, for the diff, the same provider's previous entry, for both stores
/// to filter and order: `h.seq, h.provider_id, h.version, h.action, h.data, h.changed_at,
/// h.changed_by`, then the previous entry's `seq, version, data, changed_at, changed_by`
/// (`NULL` for a first entry). The previous entry is joined by its seq so that its columns
/// come along (the `(provider_id, seq)` index finds it, the rowid or key reads it).
pub const HISTORY_ENTRY_SELECT: &str = "SELECT h.seq, h.provider_id, h.version, h.action, h.data, h.changed_at, \
     h.changed_by, b.seq, b.version, b.data, b.changed_at, b.changed_by \
     FROM provider_history h LEFT JOIN provider_history b ON b.seq = \
     (SELECT MAX(p.seq) FROM provider_history p WHERE p.provider_id = h.provider_id AND p.seq < h.seq)";

impl SqlValue<'_> {
    /// The value, borrowed.
    pub fn borrowed(&self) -> SqlRef<'_> {
        match self {
            SqlValue::Null => SqlRef::Null,
            SqlValue::Integer(n) => SqlRef::Integer(*n),
            SqlValue::Real(x) => SqlRef::Real(*x),
            SqlValue::Text(s) => SqlRef::Text(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field filled in; a capacity of 0, which must not read back as none.
    fn provider() -> Provider {
        Provider { capacity: Some(0), ..crate::generate::synthetic::every_field("c-1") }
    }

    #[test]
    fn a_provider_is_read_back_from_its_row() {
        let p = provider();
        let row = provider_row(&p);
        assert_eq!(row.len(), PROVIDER_COLUMN_COUNT);
        assert_eq!(provider_from_row(row).unwrap(), provider());
    }

    #[test]
    fn the_column_list_starts_with_the_id_and_ends_with_the_bookkeeping() {
        let names: Vec<&str> = Columns::names().collect();
        assert_eq!(names.len(), PROVIDER_COLUMN_COUNT);
        assert_eq!(names[..3], ["id", "kind", "official_code"]);
        assert_eq!(names[names.len() - 5..], ["lon", "lat", "version", "updated_at", "updated_by"]);
        assert!(PROVIDER_COLUMNS.to_string().starts_with("id, kind, official_code, name, "));
    }

    /// The entry's columns give the id, version and stamp; data that is not a provider names
    /// the provider and the entry.
    #[test]
    fn a_history_entry_takes_its_columns_and_an_unreadable_one_names_its_seq() {
        let p = provider();
        let data = serde_json::to_string(&p).unwrap();
        assert!(!data.contains("c-1"), "the id is a column, not in the JSON: {data}");
        assert_eq!(provider_from_history(7, &p.id, p.version, &p.updated_at, &p.updated_by, &data).unwrap(), p);
        let err = provider_from_history(7, "c-1", 1, "", "", "{\"kind\":").unwrap_err().to_string();
        assert!(err.contains("c-1") && err.contains("history entry 7"), "{err}");
    }

    #[test]
    fn an_unreadable_value_names_the_provider_and_the_field() {
        let p = provider();
        let mut row = provider_row(&p);
        row[1] = SqlValue::Text("shop".into());
        let err = provider_from_row(row).unwrap_err().to_string();
        assert!(err.contains("c-1") && err.contains("kind: unknown kind 'shop'"), "{err}");
        let mut row = provider_row(&p);
        let capacity = Columns::names().position(|c| c == "capacity").unwrap();
        row[capacity] = SqlValue::Integer(-1);
        assert!(provider_from_row(row).unwrap_err().to_string().contains("capacity"));
    }
}
