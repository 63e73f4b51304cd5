//! The PostgreSQL schema: the SQLite store's tables with PostgreSQL types, applied in order at
//! start in one transaction under an advisory lock, so servers starting at once do not race.
//! `caremap_schema` holds the number of migrations applied. The providers' field columns are
//! not listed here: they are derived from the field table (each field's `sql` columns, typed by
//! how [`crate::store::codec`] encodes it) and added when missing, so a field added to the table
//! reaches this store without a migration of its own. Never edit a released migration.

use postgres::Client;

use crate::domain::{Access, PROVIDER_FIELDS};
use crate::store::{Result, StoreError};

/// The advisory lock key taken while migrating (an arbitrary constant: "caremap" + 1).
const MIGRATION_LOCK: i64 = 0x6361_7265_6d61_7001;

/// Migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the tables of the SQLite store's migrations 1–5. The provider history's seq is the
    // change feed's position, assigned by caremap under the feed lock (not a sequence: a
    // sequence would leave gaps on rollback and hand out numbers in start order, not in
    // commit order).
    "
    CREATE TABLE providers (
        id         TEXT PRIMARY KEY,
        version    BIGINT NOT NULL CHECK (version >= 1),
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        deleted_at TEXT
    );

    CREATE TABLE provider_history (
        seq         BIGINT PRIMARY KEY,
        provider_id TEXT NOT NULL,
        version     BIGINT NOT NULL,
        action      TEXT NOT NULL,
        data        TEXT NOT NULL,
        changed_at  TEXT NOT NULL,
        changed_by  TEXT NOT NULL
    );
    CREATE INDEX provider_history_by_provider ON provider_history (provider_id, version);
    CREATE INDEX provider_history_by_seq_provider ON provider_history (provider_id, seq);
    CREATE INDEX provider_history_by_time ON provider_history (changed_at);

    CREATE TABLE districts (
        id          TEXT PRIMARY KEY,
        position    BIGINT NOT NULL,
        name        TEXT NOT NULL,
        description TEXT,
        geometry    TEXT NOT NULL
    );

    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );

    CREATE TABLE users (
        name       TEXT PRIMARY KEY,
        role       TEXT NOT NULL CHECK (role IN ('editor', 'admin')),
        token_hash BYTEA NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
        created_at TEXT NOT NULL,
        revoked_at TEXT,
        expires_at TEXT
    );
    CREATE TABLE account_events (
        seq        BIGSERIAL PRIMARY KEY,
        user_name  TEXT NOT NULL,
        action     TEXT NOT NULL CHECK (action IN ('user_add', 'user_rotate', 'user_revoke')),
        role       TEXT NOT NULL,
        expires_at TEXT,
        changed_at TEXT NOT NULL,
        changed_by TEXT NOT NULL
    );
    CREATE INDEX account_events_by_time ON account_events (changed_at);

    CREATE TABLE population_columns (
        code        TEXT PRIMARY KEY,
        label       TEXT NOT NULL,
        mesh_level  TEXT NOT NULL CHECK (mesh_level IN ('80km', '10km', '1km', '500m', '250m')),
        source      TEXT NOT NULL,
        imported_at TEXT NOT NULL
    );
    CREATE TABLE population (
        column_code TEXT NOT NULL REFERENCES population_columns (code) ON DELETE CASCADE,
        mesh_code   TEXT NOT NULL,
        value       DOUBLE PRECISION,
        PRIMARY KEY (column_code, mesh_code)
    );

    CREATE TABLE address_points (
        city_code TEXT NOT NULL CHECK (length(city_code) = 5),
        town      TEXT NOT NULL,
        block     TEXT NOT NULL DEFAULT '',
        residence TEXT NOT NULL DEFAULT '',
        level     BIGINT NOT NULL CHECK (level IN (3, 7, 8)),
        pref      TEXT NOT NULL,
        city      TEXT NOT NULL,
        lon       DOUBLE PRECISION NOT NULL CHECK (lon BETWEEN -180 AND 180),
        lat       DOUBLE PRECISION NOT NULL CHECK (lat BETWEEN -90 AND 90),
        source    TEXT NOT NULL,
        PRIMARY KEY (city_code, town, block, residence)
    );
    CREATE INDEX address_points_by_source ON address_points (source, city_code);

    CREATE TABLE community_centers (
        id       TEXT PRIMARY KEY,
        position BIGINT NOT NULL,
        name     TEXT NOT NULL,
        address  TEXT NOT NULL,
        phone    TEXT NOT NULL,
        lon      DOUBLE PRECISION NOT NULL CHECK (lon BETWEEN -180 AND 180),
        lat      DOUBLE PRECISION NOT NULL CHECK (lat BETWEEN -90 AND 90),
        areas    TEXT NOT NULL,
        source   TEXT NOT NULL
    );
    ",
    // 2: the SQLite store's migrations 6 and 7. Issue 16: `accepting` takes three states
    // instead of a flag (old 1 → yes, 0 → no, in the rows and in the history's snapshots; a
    // fresh database has no field columns yet, hence ADD COLUMN IF NOT EXISTS first); provider
    // accounts, a third role bound to the providers it may confirm. Issue 15: the log of the
    // 地域包括支援センター layer (its version is in `meta`, key `community_centers_version`).
    "
    ALTER TABLE providers ADD COLUMN IF NOT EXISTS accepting BIGINT;
    ALTER TABLE providers ALTER COLUMN accepting TYPE TEXT
        USING CASE WHEN accepting IS NULL THEN NULL WHEN accepting <> 0 THEN 'yes' ELSE 'no' END;
    UPDATE provider_history
       SET data = jsonb_set(data::jsonb, '{accepting}',
                            to_jsonb(CASE WHEN data::jsonb -> 'accepting' = 'true'::jsonb THEN 'yes' ELSE 'no' END))::text
     WHERE jsonb_typeof(data::jsonb -> 'accepting') = 'boolean';

    ALTER TABLE users DROP CONSTRAINT users_role_check;
    ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('editor', 'admin', 'provider'));
    CREATE TABLE user_providers (
        user_name   TEXT NOT NULL,
        provider_id TEXT NOT NULL,
        position    BIGINT NOT NULL,
        PRIMARY KEY (user_name, provider_id)
    );
    CREATE INDEX user_providers_by_provider ON user_providers (provider_id);

    CREATE TABLE community_center_events (
        seq           BIGSERIAL PRIMARY KEY,
        center_id     TEXT NOT NULL,
        action        TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'import')),
        layer_version BIGINT NOT NULL,
        changed_at    TEXT NOT NULL,
        changed_by    TEXT NOT NULL,
        changes       TEXT NOT NULL
    );
    ",
    // 3: the SQLite store's migration 8: a 町字's code, for 担当区域 given by code.
    "
    ALTER TABLE address_points ADD COLUMN IF NOT EXISTS town_code TEXT NOT NULL DEFAULT '';
    ",
    // 4: the SQLite store's migration 9: versions are found through (provider_id, seq).
    "
    DROP INDEX IF EXISTS provider_history_by_provider;
    ",
];

/// The column definitions of the provider fields, derived from the field table: the type the
/// codec's value has (a choice is its state's name, as in SQLite), NOT NULL where the codec never
/// writes NULL.
fn field_columns() -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for f in PROVIDER_FIELDS {
        let ty = match f.access {
            Access::Kind { .. } => "TEXT NOT NULL",
            Access::Codes { .. } => "TEXT NOT NULL DEFAULT ''",
            Access::Text { .. } | Access::HomeCare { .. } | Access::Accepting { .. } => "TEXT",
            Access::Count { .. } => "BIGINT",
            Access::Point { .. } => "DOUBLE PRECISION NOT NULL",
        };
        out.extend(f.sql.iter().map(|column| (*column, ty)));
    }
    out
}

/// Brings the schema up to date in one transaction under the migration lock.
pub(super) fn migrate(client: &mut Client) -> Result<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    // "already exists, skipping" is what IF NOT EXISTS is for; not worth a log line.
    tx.batch_execute("SET LOCAL client_min_messages = warning")?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS caremap_schema (version BIGINT NOT NULL)")?;
    let version: Option<i64> = tx.query_opt("SELECT version FROM caremap_schema", &[])?.map(|r| r.get(0));
    let supported = MIGRATIONS.len() as i64;
    let version = version.unwrap_or(0);
    if version > supported {
        return Err(StoreError::SchemaTooNew { found: version, supported });
    }
    for sql in MIGRATIONS.iter().skip(usize::try_from(version).unwrap_or(0)) {
        tx.batch_execute(sql)?;
    }
    let existing: Vec<String> = tx
        .query(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'providers'",
            &[],
        )?
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    for (column, ty) in field_columns() {
        if !existing.iter().any(|c| c == column) {
            // Names and types come from the field table (compile-time constants), not input.
            tx.batch_execute(&format!("ALTER TABLE providers ADD COLUMN {column} {ty}"))?;
        }
    }
    tx.batch_execute("CREATE INDEX IF NOT EXISTS providers_official_code ON providers (official_code)")?;
    tx.execute("DELETE FROM caremap_schema", &[])?;
    tx.execute("INSERT INTO caremap_schema (version) VALUES ($1)", &[&supported])?;
    tx.commit()?;
    Ok(())
}
