//! The providers and history rows in PostgreSQL: the codec's [`SqlValue`] as a PostgreSQL
//! parameter and result value, reading and writing provider rows (one or many per statement),
//! and the feed: the lock under which seqs are allocated, the history entries and the NOTIFY.

use std::error::Error;

use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use postgres::{GenericClient, Row, Transaction};

use crate::domain::Provider;
use crate::store::codec::{PROVIDER_COLUMN_COUNT, PROVIDER_COLUMNS, SqlValue, provider_row};
use crate::store::row_view::SqlRef;
use crate::store::{ProviderRecord, Result, SeqRange, StoreError};

type BoxError = Box<dyn Error + Sync + Send>;

impl ToSql for SqlValue<'_> {
    fn to_sql(&self, ty: &Type, out: &mut postgres::types::private::BytesMut) -> Result<IsNull, BoxError> {
        match self {
            SqlValue::Null => Ok(IsNull::Yes),
            SqlValue::Integer(n) => match *ty {
                Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
                Type::FLOAT8 =>
                {
                    #[allow(clippy::cast_precision_loss)]
                    (*n as f64).to_sql(ty, out)
                }
                _ => n.to_sql(ty, out),
            },
            SqlValue::Real(x) => x.to_sql(ty, out),
            SqlValue::Text(s) => s.as_ref().to_sql(ty, out),
        }
    }

    // The value's own type decides; a mismatch is reported by `to_sql` with the column's type.
    fn accepts(_ty: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for SqlValue<'static> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        SqlRef::from_sql(ty, raw).map(SqlRef::owned)
    }

    fn from_sql_null(_ty: &Type) -> Result<Self, BoxError> {
        Ok(SqlValue::Null)
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }
}

impl<'a> FromSql<'a> for SqlRef<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(match *ty {
            Type::INT8 => SqlRef::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => SqlRef::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => SqlRef::Integer(i16::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => SqlRef::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => SqlRef::Real(f32::from_sql(ty, raw)?.into()),
            Type::BOOL => SqlRef::Integer(bool::from_sql(ty, raw)?.into()),
            _ => SqlRef::Text(<&str>::from_sql(ty, raw)?),
        })
    }

    fn from_sql_null(_ty: &Type) -> Result<Self, BoxError> {
        Ok(SqlRef::Null)
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }
}

/// `SELECT` of the provider columns and `deleted_at`.
pub(super) fn select_records() -> String {
    format!("SELECT {PROVIDER_COLUMNS}, deleted_at FROM providers")
}

/// A provider read from a row that starts with the [`PROVIDER_COLUMNS`].
pub(super) fn provider_from_row(row: &Row) -> Result<Provider> {
    let mut values = Vec::with_capacity(PROVIDER_COLUMN_COUNT);
    for i in 0..PROVIDER_COLUMN_COUNT {
        values.push(row.try_get::<_, SqlValue>(i)?);
    }
    crate::store::codec::provider_from_row(values)
}

/// A provider and its deleted state from a row of [`select_records`].
pub(super) fn record_from_row(row: &Row) -> Result<ProviderRecord> {
    Ok(ProviderRecord { provider: provider_from_row(row)?, deleted_at: row.try_get(PROVIDER_COLUMN_COUNT)? })
}

/// A provider with its deleted state, live or not; with `for_update`, its row is locked until
/// the transaction ends (the version check and the write cannot be split by another writer).
pub(super) fn read_record(c: &mut impl GenericClient, id: &str, for_update: bool) -> Result<Option<ProviderRecord>> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    let row = c.query_opt(&format!("{} WHERE id = $1{lock}", select_records()), &[&id])?;
    row.as_ref().map(record_from_row).transpose()
}

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// The most provider rows in one statement (PostgreSQL takes at most 65 535 parameters).
pub(super) const ROWS_PER_STATEMENT: usize = 1000;

/// Writes providers (insert, or with `replace` a full replace of an existing row, which also
/// clears a soft delete), many rows per statement, inside the caller's transaction.
/// Without `replace`, an id that exists is a unique-violation error.
pub(super) fn write_providers(tx: &mut Transaction<'_>, providers: &[&Provider], replace: bool) -> Result<()> {
    let names: Vec<&str> = crate::store::codec::Columns::names().collect();
    let conflict = if replace {
        let set: Vec<String> =
            names.iter().skip(1).map(|c| format!("{c} = EXCLUDED.{c}")).chain(["deleted_at = NULL".into()]).collect();
        format!(" ON CONFLICT (id) DO UPDATE SET {}", set.join(", "))
    } else {
        String::new()
    };
    for batch in providers.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<String> =
            (0..batch.len()).map(|i| format!("({})", placeholders(i * names.len() + 1, names.len()))).collect();
        let sql = format!("INSERT INTO providers ({PROVIDER_COLUMNS}) VALUES {}{conflict}", rows.join(", "));
        let values: Vec<SqlValue> = batch.iter().flat_map(|p| provider_row(p)).collect();
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        tx.execute(&sql, &params)?;
    }
    Ok(())
}

/// The advisory lock key of the change feed (an arbitrary constant: "caremap" + 2).
pub(super) const FEED_LOCK: i64 = 0x6361_7265_6d61_7002;

/// Takes the feed lock for the rest of the transaction and returns the next free seq.
///
/// Why a lock and not a sequence: a follower reads `seq > n` and then remembers the largest
/// seq it saw. With a sequence, transaction A could take seq 7 and transaction B seq 8, B
/// commit first, a follower read 8 and move on, then A commit 7: the follower would never
/// see it. Under this lock, which every provider write takes before it reads anything and
/// holds until it commits or rolls back, seqs are handed out in commit order and a rolled
/// back write takes its numbers back (no gaps). PostgreSQL releases the lock only after the
/// commit is visible, so the next writer's `MAX(seq)` sees the previous write, and any
/// snapshot that sees seq n + 1 also sees n. The lock serialises provider writes, as
/// SQLite's write lock does; reads never take it.
pub(super) fn lock_feed(tx: &mut Transaction<'_>) -> Result<i64> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])?;
    let last: i64 = tx.query_one("SELECT COALESCE(MAX(seq), 0) FROM provider_history", &[])?.get(0);
    Ok(last + 1)
}

/// Appends history entries (the full providers after their changes, each with its action)
/// with consecutive seqs from `next` inside the caller's transaction, which holds the feed
/// lock ([`lock_feed`]); returns their seqs.
pub(super) fn write_history(
    tx: &mut Transaction<'_>,
    next: i64,
    entries: &[(&Provider, &str)],
) -> Result<Option<SeqRange>> {
    const COLUMNS: usize = 7;
    let mut seq = next;
    for batch in entries.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<String> =
            (0..batch.len()).map(|i| format!("({})", placeholders(i * COLUMNS + 1, COLUMNS))).collect();
        let sql = format!(
            "INSERT INTO provider_history (seq, provider_id, version, action, data, changed_at, changed_by) VALUES {}",
            rows.join(", ")
        );
        let mut values: Vec<SqlValue> = Vec::with_capacity(batch.len() * COLUMNS);
        for (p, action) in batch {
            let data = serde_json::to_string(p).unwrap_or_default();
            values.extend([
                SqlValue::Integer(seq),
                SqlValue::Text(p.id.as_str().into()),
                SqlValue::Integer(p.version),
                SqlValue::Text((*action).into()),
                SqlValue::Text(data.into()),
                SqlValue::Text(p.updated_at.as_str().into()),
                SqlValue::Text(p.updated_by.as_str().into()),
            ]);
            seq += 1;
        }
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        tx.execute(&sql, &params)?;
    }
    Ok((seq > next).then(|| SeqRange { first: next, last: seq - 1 }))
}

/// Announces the feed's new last seq to the listeners (`NOTIFY`, delivered at commit; the
/// payload is only the seq).
pub(super) fn notify(tx: &mut Transaction<'_>, seqs: Option<SeqRange>) -> Result<()> {
    if let Some(range) = seqs {
        tx.execute("SELECT pg_notify($1, $2)", &[&super::FEED_CHANNEL, &range.last.to_string()])?;
    }
    Ok(())
}

/// Whether `e` is PostgreSQL's unique violation (23505).
pub(super) fn is_unique_violation(e: &StoreError) -> bool {
    matches!(e, StoreError::Postgres(pg) if pg.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION))
}
