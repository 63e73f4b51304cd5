//! Databases that fail SQLite's `PRAGMA quick_check` in a known way.

use std::path::Path;

/// Makes the database at `db` fail `PRAGMA quick_check` while everything caremap reads at
/// start-up stays readable: a table of its own whose stored row breaks the `NOT NULL` its
/// schema declares (edited in with `writable_schema`, as damage would leave it). The check
/// reports `NULL value in damage_probe.v`; the catalog loads as before.
pub fn fail_the_quick_check(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, false).unwrap();
    conn.execute_batch(
        "CREATE TABLE damage_probe (v TEXT);
         INSERT INTO damage_probe VALUES (NULL);
         PRAGMA writable_schema = ON;
         UPDATE sqlite_schema SET sql = 'CREATE TABLE damage_probe (v TEXT NOT NULL)' WHERE name = 'damage_probe';
         PRAGMA writable_schema = OFF;",
    )
    .unwrap();
}
