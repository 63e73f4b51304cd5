//! Schema migrations, embedded in the binary and applied in order. `PRAGMA user_version` holds
//! the number of migrations applied. Never edit a released migration; add a new one.

/// Migration `i` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: providers, their history, districts, settings.
    "
    CREATE TABLE providers (
        id                   TEXT PRIMARY KEY,
        kind                 TEXT NOT NULL CHECK (kind IN ('care', 'clinic', 'hospital', 'pharmacy')),
        official_code        TEXT,
        name                 TEXT NOT NULL,
        name_kana            TEXT,
        services             TEXT NOT NULL DEFAULT '',
        home_care            TEXT,
        address              TEXT,
        phone                TEXT,
        fax                  TEXT,
        url                  TEXT,
        corporation          TEXT,
        corporate_number     TEXT,
        capacity             INTEGER,
        open_days            TEXT,
        notes                TEXT,
        accepting            INTEGER,
        accepting_updated_at TEXT,
        lon                  REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
        lat                  REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
        district             TEXT,
        version              INTEGER NOT NULL CHECK (version >= 1),
        updated_at           TEXT NOT NULL,
        updated_by           TEXT NOT NULL,
        deleted_at           TEXT
    ) STRICT;
    CREATE INDEX providers_official_code ON providers (official_code);

    CREATE TABLE provider_history (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        provider_id TEXT NOT NULL,
        version     INTEGER NOT NULL,
        action      TEXT NOT NULL,
        data        TEXT NOT NULL,
        changed_at  TEXT NOT NULL,
        changed_by  TEXT NOT NULL
    ) STRICT;
    CREATE INDEX provider_history_by_provider ON provider_history (provider_id, version);
    CREATE INDEX provider_history_by_time ON provider_history (changed_at);

    CREATE TABLE districts (
        id          TEXT PRIMARY KEY,
        position    INTEGER NOT NULL,
        name        TEXT NOT NULL,
        description TEXT,
        geometry    TEXT NOT NULL
    ) STRICT;

    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;
    ",
    // 2: staff users. Only the SHA-256 of a token is kept (see crate::access); names are the
    // `changed_by` of the history, so a revoked user stays listed instead of being deleted.
    // The history index finds the version before an entry (its diff) by sequence.
    "
    CREATE TABLE users (
        name       TEXT PRIMARY KEY,
        role       TEXT NOT NULL CHECK (role IN ('editor', 'admin')),
        token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
        created_at TEXT NOT NULL,
        revoked_at TEXT
    ) STRICT;
    CREATE INDEX provider_history_by_seq_provider ON provider_history (provider_id, seq);
    ",
    // 3: tokens may expire (NULL: never), and who added, rotated or revoked which account is
    // kept in an append-only log of its own (the provider history is the catalog's, and
    // account changes are not provider versions).
    "
    ALTER TABLE users ADD COLUMN expires_at TEXT;
    CREATE TABLE account_events (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        user_name  TEXT NOT NULL,
        action     TEXT NOT NULL CHECK (action IN ('user_add', 'user_rotate', 'user_revoke')),
        role       TEXT NOT NULL,
        expires_at TEXT,
        changed_at TEXT NOT NULL,
        changed_by TEXT NOT NULL
    ) STRICT;
    CREATE INDEX account_events_by_time ON account_events (changed_at);
    ",
    // 4: population per JIS X 0410 grid square (e-Stat 地域メッシュ統計), one row per column and
    // square; `value` NULL where the census suppressed the count (it is in another square).
    "
    CREATE TABLE population_columns (
        code        TEXT PRIMARY KEY,
        label       TEXT NOT NULL,
        mesh_level  TEXT NOT NULL CHECK (mesh_level IN ('80km', '10km', '1km', '500m', '250m')),
        source      TEXT NOT NULL,
        imported_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE population (
        column_code TEXT NOT NULL REFERENCES population_columns (code) ON DELETE CASCADE,
        mesh_code   TEXT NOT NULL,
        value       REAL,
        PRIMARY KEY (column_code, mesh_code)
    ) STRICT, WITHOUT ROWID;
    ",
    // 5: address points (国土交通省 位置参照情報, アドレス・ベース・レジストリ, the sample): one row
    // per 町字 (level 3; block and residence empty), 街区 (7) or 住居 (8), keyed by where it is in
    // the address. Each import replaces its source's rows for the cities it covers. And the
    // 地域包括支援センター with their 担当区域 (町丁目 names, one per line), replaced as a whole.
    "
    CREATE TABLE address_points (
        city_code TEXT NOT NULL CHECK (length(city_code) = 5),
        town      TEXT NOT NULL,
        block     TEXT NOT NULL DEFAULT '',
        residence TEXT NOT NULL DEFAULT '',
        level     INTEGER NOT NULL CHECK (level IN (3, 7, 8)),
        pref      TEXT NOT NULL,
        city      TEXT NOT NULL,
        lon       REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
        lat       REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
        source    TEXT NOT NULL,
        PRIMARY KEY (city_code, town, block, residence)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX address_points_by_source ON address_points (source, city_code);

    CREATE TABLE community_centers (
        id       TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        name     TEXT NOT NULL,
        address  TEXT NOT NULL,
        phone    TEXT NOT NULL,
        lon      REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
        lat      REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
        areas    TEXT NOT NULL,
        source   TEXT NOT NULL
    ) STRICT;
    ",
    // 6: issue 16, providers keep their own 空き状況. `accepting` takes three states instead of
    // a flag (old 1 → yes, 0 → no, in the rows and in the history's snapshots), with a note,
    // free places and when it was last confirmed. Provider accounts: a third role, bound to
    // the providers it may confirm (the users table is rebuilt for its CHECK).
    "
    ALTER TABLE providers ADD COLUMN accepting_state TEXT CHECK (accepting_state IN ('yes', 'consult', 'no'));
    UPDATE providers SET accepting_state = CASE WHEN accepting IS NULL THEN NULL WHEN accepting <> 0 THEN 'yes' ELSE 'no' END;
    ALTER TABLE providers DROP COLUMN accepting;
    ALTER TABLE providers RENAME COLUMN accepting_state TO accepting;
    ALTER TABLE providers ADD COLUMN accepting_note TEXT;
    ALTER TABLE providers ADD COLUMN accepting_places INTEGER CHECK (accepting_places BETWEEN 0 AND 999);
    ALTER TABLE providers ADD COLUMN accepting_checked_at TEXT;
    UPDATE provider_history
       SET data = json_set(data, '$.accepting', CASE json_type(data, '$.accepting') WHEN 'true' THEN 'yes' ELSE 'no' END)
     WHERE json_type(data, '$.accepting') IN ('true', 'false');

    CREATE TABLE users_new (
        name       TEXT PRIMARY KEY,
        role       TEXT NOT NULL CHECK (role IN ('editor', 'admin', 'provider')),
        token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
        created_at TEXT NOT NULL,
        revoked_at TEXT,
        expires_at TEXT
    ) STRICT;
    INSERT INTO users_new (name, role, token_hash, created_at, revoked_at, expires_at)
        SELECT name, role, token_hash, created_at, revoked_at, expires_at FROM users;
    DROP TABLE users;
    ALTER TABLE users_new RENAME TO users;
    CREATE TABLE user_providers (
        user_name   TEXT NOT NULL,
        provider_id TEXT NOT NULL,
        position    INTEGER NOT NULL,
        PRIMARY KEY (user_name, provider_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX user_providers_by_provider ON user_providers (provider_id);
    ",
    // 7: staff edit the 地域包括支援センター: the layer has one version (in `meta`, key
    // `community_centers_version`; edits name it in If-Match), and every edit or import of the
    // layer is logged with who made it and the fields it changed (JSON of
    // `crate::address::centers::CenterFieldChange`).
    "
    CREATE TABLE community_center_events (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        center_id     TEXT NOT NULL,
        action        TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'import')),
        layer_version INTEGER NOT NULL,
        changed_at    TEXT NOT NULL,
        changed_by    TEXT NOT NULL,
        changes       TEXT NOT NULL
    ) STRICT;
    ",
    // 8: a 町字's code (位置参照情報's 大字町丁目コード or the ABR's lg_code + machiaza_id), so a
    // 地域包括支援センター's 担当区域 may name its 町丁目 by code; '' where there is none.
    "
    ALTER TABLE address_points ADD COLUMN town_code TEXT NOT NULL DEFAULT '';
    ",
    // 9: issue 19. A version of a provider is found through (provider_id, seq), which every
    // history read uses anyway (a provider has a few entries, in seq order as in version
    // order); the index on (provider_id, version) only cost each write: a 1 M-row import
    // inserts a million history entries, 1.2 s of them in this index.
    "
    DROP INDEX IF EXISTS provider_history_by_provider;
    ",
    // 10: issue 19. The same table with its two CHECKs over a list (`kind`, `accepting`)
    // written as comparisons joined by OR. SQLite codes `x IN (a, b, c)` of more than two
    // values as a temporary B-tree filled with the values, and a CHECK's code runs for every
    // row written: each insert and update built and dropped two such trees, 3–5 s of a 1 M-row
    // import's 10–15 s of writing. The rows keep their rowids, and the index its name.
    "
    CREATE TABLE providers_new (
        id                   TEXT PRIMARY KEY,
        kind                 TEXT NOT NULL
                             CHECK (kind = 'care' OR kind = 'clinic' OR kind = 'hospital' OR kind = 'pharmacy'),
        official_code        TEXT,
        name                 TEXT NOT NULL,
        name_kana            TEXT,
        services             TEXT NOT NULL DEFAULT '',
        home_care            TEXT,
        address              TEXT,
        phone                TEXT,
        fax                  TEXT,
        url                  TEXT,
        corporation          TEXT,
        corporate_number     TEXT,
        capacity             INTEGER,
        open_days            TEXT,
        notes                TEXT,
        accepting_updated_at TEXT,
        lon                  REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
        lat                  REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
        district             TEXT,
        version              INTEGER NOT NULL CHECK (version >= 1),
        updated_at           TEXT NOT NULL,
        updated_by           TEXT NOT NULL,
        deleted_at           TEXT,
        accepting            TEXT CHECK (accepting = 'yes' OR accepting = 'consult' OR accepting = 'no'),
        accepting_note       TEXT,
        accepting_places     INTEGER CHECK (accepting_places BETWEEN 0 AND 999),
        accepting_checked_at TEXT
    ) STRICT;
    INSERT INTO providers_new (rowid, id, kind, official_code, name, name_kana, services, home_care, address,
                               phone, fax, url, corporation, corporate_number, capacity, open_days, notes,
                               accepting_updated_at, lon, lat, district, version, updated_at, updated_by,
                               deleted_at, accepting, accepting_note, accepting_places, accepting_checked_at)
        SELECT rowid, id, kind, official_code, name, name_kana, services, home_care, address,
               phone, fax, url, corporation, corporate_number, capacity, open_days, notes,
               accepting_updated_at, lon, lat, district, version, updated_at, updated_by,
               deleted_at, accepting, accepting_note, accepting_places, accepting_checked_at
          FROM providers ORDER BY rowid;
    DROP TABLE providers;
    ALTER TABLE providers_new RENAME TO providers;
    CREATE INDEX providers_official_code ON providers (official_code);
    ",
    // 11: the address points' `level` CHECK as comparisons joined by OR, for the reason of 10:
    // every point written built and dropped a temporary B-tree of the three levels (the batched
    // insert runs the CHECK once a row). The rows are copied in key order.
    "
    CREATE TABLE address_points_new (
        city_code TEXT NOT NULL CHECK (length(city_code) = 5),
        town      TEXT NOT NULL,
        block     TEXT NOT NULL DEFAULT '',
        residence TEXT NOT NULL DEFAULT '',
        level     INTEGER NOT NULL CHECK (level = 3 OR level = 7 OR level = 8),
        pref      TEXT NOT NULL,
        city      TEXT NOT NULL,
        lon       REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
        lat       REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
        source    TEXT NOT NULL,
        town_code TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (city_code, town, block, residence)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO address_points_new (city_code, town, block, residence, level, pref, city, lon, lat, source, town_code)
        SELECT city_code, town, block, residence, level, pref, city, lon, lat, source, town_code
          FROM address_points ORDER BY city_code, town, block, residence;
    DROP TABLE address_points;
    ALTER TABLE address_points_new RENAME TO address_points;
    CREATE INDEX address_points_by_source ON address_points (source, city_code);
    ",
];

/// The program SQLite makes of a statement, for tests that hold a statement to it.
#[cfg(test)]
pub(super) mod program {
    /// The opcodes of `sql`'s program on a database at the latest schema.
    pub(in crate::store::sqlite) fn opcodes(sql: &str) -> Vec<String> {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for migration in super::MIGRATIONS {
            conn.execute_batch(migration).unwrap();
        }
        let mut explain = conn.prepare(&format!("EXPLAIN {sql}")).unwrap();
        let nulls = rusqlite::params_from_iter(std::iter::repeat_n(rusqlite::types::Null, explain.parameter_count()));
        explain.query_map(nulls, |r| r.get(1)).unwrap().map(Result::unwrap).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;
    use crate::access::{Role, hash_token};
    use crate::domain::{Accepting, Kind, LonLat, Provider};
    use crate::store::{SqliteStore, Store};

    /// A database as the schema before migration 6 left it, with the old 0/1 `accepting` in a
    /// row and `true` in a history snapshot, and an editor.
    fn old_database(path: &std::path::Path) {
        let conn = rusqlite::Connection::open(path).unwrap();
        for sql in &MIGRATIONS[..5] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 5).unwrap();
        let insert = "INSERT INTO providers (id, kind, name, services, accepting, accepting_updated_at, lon, lat, \
                      version, updated_at, updated_by) VALUES (?1, 'care', ?2, '130', ?3, ?4, 139.9, 35.85, 1, \
                      '2026-01-01T00:00:00Z', 'data')";
        conn.execute(insert, rusqlite::params!["a", "受入可の事業所", 1, "2026-10-01"]).unwrap();
        conn.execute(insert, rusqlite::params!["b", "受入不可の事業所", 0, "2026-10-02"]).unwrap();
        conn.execute(insert, rusqlite::params!["c", "不明の事業所", None::<i64>, None::<String>]).unwrap();
        let old = Provider {
            services: vec!["130".into()],
            accepting: Some(Accepting::Yes),
            updated_at: "2026-01-01T00:00:00Z".into(),
            updated_by: "data".into(),
            ..Provider::new("a".into(), Kind::Care, "受入可の事業所".into(), LonLat::new(139.9, 35.85).unwrap())
        };
        let mut data = serde_json::to_value(&old).unwrap();
        let map = data.as_object_mut().unwrap();
        map["accepting"] = serde_json::json!(true);
        for key in ["accepting_note", "accepting_places", "accepting_checked_at"] {
            map.remove(key);
        }
        conn.execute(
            "INSERT INTO provider_history (provider_id, version, action, data, changed_at, changed_by) \
             VALUES ('a', 1, 'create', ?1, '2026-01-01T00:00:00Z', 'data')",
            [data.to_string()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO users (name, role, token_hash, created_at) VALUES ('yamada', 'editor', ?1, '2026-01-01T00:00:00Z')",
            [hash_token("old-token").as_slice()],
        )
        .unwrap();
    }

    #[test]
    fn old_yes_no_flags_become_states_and_staff_users_keep_their_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        old_database(&path);

        let store = SqliteStore::open(&path).unwrap();
        let mut providers = store.load_providers().unwrap();
        providers.sort_by(|a, b| a.id.cmp(&b.id));
        let states: Vec<Option<Accepting>> = providers.iter().map(|p| p.accepting).collect();
        assert_eq!(states, [Some(Accepting::Yes), Some(Accepting::No), None]);
        assert_eq!(providers[0].accepting_updated_at.as_deref(), Some("2026-10-01"), "the old date is kept");
        assert!(providers.iter().all(|p| p.accepting_checked_at.is_none() && p.accepting_note.is_none()));
        let history = store.provider_history("a").unwrap();
        assert_eq!(history[0].after.accepting, Some(Accepting::Yes));
        let conn = rusqlite::Connection::open(&path).unwrap();
        let raw: String = conn.query_row("SELECT data FROM provider_history", [], |r| r.get(0)).unwrap();
        assert!(raw.contains(r#""accepting":"yes""#), "{raw}");
        let user = store.user_by_token_hash(&hash_token("old-token")).unwrap().unwrap();
        assert_eq!((user.name.as_str(), user.role), ("yamada", Role::Editor));
        assert!(user.providers.is_empty());
    }

    /// Migration 10 rebuilds the provider table: every row (a soft-deleted one too) keeps its
    /// values and rowid, the index on `official_code` is back, and the CHECKs written as
    /// comparisons refuse what the lists refused and let NULL through as before.
    #[test]
    fn the_rebuilt_provider_table_keeps_its_rows_and_refuses_the_same_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v9.db");
        let columns = "id, kind, name, services, accepting, lon, lat, version, updated_at, updated_by, deleted_at";
        /// rowid, id, kind, accepting, deleted_at.
        type Stored = (i64, String, String, Option<String>, Option<String>);
        let rows = |conn: &rusqlite::Connection| -> Vec<Stored> {
            let mut stmt =
                conn.prepare("SELECT rowid, id, kind, accepting, deleted_at FROM providers ORDER BY rowid").unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let before = {
            let conn = rusqlite::Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..9] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 9).unwrap();
            let insert = format!(
                "INSERT INTO providers (rowid, {columns}) VALUES (?1, ?2, ?3, 'x', '130', ?4, 139.9, 35.85, 1, \
                 '2026-01-01T00:00:00Z', 'data', ?5)"
            );
            conn.execute(&insert, rusqlite::params![7, "z", "care", "consult", None::<&str>]).unwrap();
            conn.execute(&insert, rusqlite::params![3, "a", "pharmacy", None::<&str>, "2026-02-01T00:00:00Z"]).unwrap();
            conn.execute(&insert, rusqlite::params![12, "m", "clinic", "no", None::<&str>]).unwrap();
            rows(&conn)
        };

        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.load_provider_records().unwrap().len(), 3, "the soft-deleted row is kept");
        let conn = rusqlite::Connection::open(&path).unwrap();
        assert_eq!(rows(&conn), before);
        let index: String = conn
            .query_row(
                "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'providers' AND sql IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(index, "providers_official_code");
        let insert = |kind: &str, accepting: Option<&str>| {
            conn.execute(
                &format!(
                    "INSERT INTO providers ({columns}) VALUES (?1, ?2, 'x', '130', ?3, 139.9, 35.85, 1, \
                     '2026-01-01T00:00:00Z', 'data', NULL)"
                ),
                rusqlite::params![format!("{kind}-{accepting:?}"), kind, accepting],
            )
        };
        for (kind, accepting) in [("nurse", None), ("Care", None), ("care", Some("maybe")), ("care", Some(""))] {
            let err = insert(kind, accepting).unwrap_err();
            assert_eq!(err.sqlite_error_code(), Some(rusqlite::ErrorCode::ConstraintViolation), "{kind} {accepting:?}");
        }
        for (kind, accepting) in [("hospital", None), ("clinic", Some("yes")), ("care", Some("consult"))] {
            insert(kind, accepting).unwrap();
        }
    }

    #[test]
    fn the_rebuilt_address_table_keeps_its_points_and_index_and_refuses_the_same_levels() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v10.db");
        let all = "SELECT city_code, town, block, residence, level, pref, city, lon, lat, source, town_code \
                   FROM address_points ORDER BY city_code, town, block, residence";
        /// Every column of a point.
        type Point = (String, String, String, String, i64, String, String, f64, f64, String, String);
        let points = |conn: &rusqlite::Connection| -> Vec<Point> {
            let mut stmt = conn.prepare(all).unwrap();
            stmt.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                ))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
        };
        let insert = |conn: &rusqlite::Connection, town: &str, block: &str, residence: &str, level: i64| {
            conn.execute(
                "INSERT INTO address_points (city_code, town, block, residence, level, pref, city, lon, lat, source, \
                 town_code) VALUES ('12220', ?1, ?2, ?3, ?4, '千葉県', '流山市', 139.9, 35.85, 'abr', ?5)",
                rusqlite::params![town, block, residence, level, if level == 3 { "0001001" } else { "" }],
            )
        };
        let before = {
            let conn = rusqlite::Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..10] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 10).unwrap();
            insert(&conn, "平和台一丁目", "", "", 3).unwrap();
            insert(&conn, "平和台一丁目", "5", "", 7).unwrap();
            insert(&conn, "平和台一丁目", "5", "12", 8).unwrap();
            insert(&conn, "加一丁目", "1", "3", 8).unwrap();
            points(&conn)
        };
        assert_eq!(before.len(), 4);

        drop(SqliteStore::open(&path).unwrap());
        let conn = rusqlite::Connection::open(&path).unwrap();
        assert_eq!(points(&conn), before, "every point and column kept");
        let index: String = conn
            .query_row(
                "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'address_points' \
                 AND sql IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(index, "address_points_by_source");
        for level in [0, 5, 9] {
            let err = insert(&conn, "流山一丁目", "1", &level.to_string(), level).unwrap_err();
            assert_eq!(err.sqlite_error_code(), Some(rusqlite::ErrorCode::ConstraintViolation), "level {level}");
        }
        let wrong_type = conn.execute(
            "INSERT INTO address_points (city_code, town, level, pref, city, lon, lat, source) \
             VALUES ('12220', '流山二丁目', '7x', '千葉県', '流山市', 139.9, 35.85, 'abr')",
            [],
        );
        assert!(wrong_type.is_err(), "still STRICT");
        insert(&conn, "流山一丁目", "", "", 3).unwrap();
    }
}
