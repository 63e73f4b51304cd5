//! Staff users: name, role, the SHA-256 of their token, and when they were created or revoked.
//! The hash is written and looked up here and never read out of this module.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::writes::now_utc;
use super::{Result, StoreError, User};
use crate::auth::{Role, TokenHash, hashes_equal};

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    let role: String = row.get("role")?;
    Ok(User {
        name: row.get("name")?,
        // The CHECK constraint of the table admits only these two spellings.
        role: Role::parse(&role).unwrap_or(Role::Editor),
        created_at: row.get("created_at")?,
        revoked_at: row.get("revoked_at")?,
    })
}

pub(super) fn add_user(conn: &mut Connection, name: &str, role: Role, token_hash: &TokenHash) -> Result<User> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let revoked: Option<Option<String>> = tx
        .prepare_cached("SELECT revoked_at FROM users WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    match revoked {
        Some(None) => return Err(StoreError::UserExists { name: name.to_owned() }),
        Some(Some(_)) => {
            tx.execute("DELETE FROM users WHERE name = ?1", [name])?;
        }
        None => {}
    }
    let user = User { name: name.to_owned(), role, created_at: now_utc(), revoked_at: None };
    tx.execute(
        "INSERT INTO users (name, role, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![user.name, role.as_str(), token_hash.as_slice(), user.created_at],
    )?;
    tx.commit()?;
    Ok(user)
}

pub(super) fn users(conn: &Connection) -> Result<Vec<User>> {
    let mut stmt = conn.prepare_cached("SELECT name, role, created_at, revoked_at FROM users ORDER BY name")?;
    let rows = stmt.query_map([], user_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn revoke_user(conn: &Connection, name: &str) -> Result<bool> {
    let changed = conn
        .execute("UPDATE users SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL", params![name, now_utc()])?;
    if changed == 1 {
        return Ok(true);
    }
    let exists: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)", [name], |r| r.get(0))?;
    if exists { Ok(false) } else { Err(StoreError::UnknownUser { name: name.to_owned() }) }
}

pub(super) fn user_by_token_hash(conn: &Connection, token_hash: &TokenHash) -> Result<Option<User>> {
    let found = conn
        .prepare_cached("SELECT name, role, created_at, revoked_at, token_hash FROM users WHERE token_hash = ?1")?
        .query_row([token_hash.as_slice()], |r| Ok((user_from_row(r)?, r.get::<_, Vec<u8>>("token_hash")?)))
        .optional()?;
    Ok(found.filter(|(_, stored)| hashes_equal(token_hash, stored)).map(|(user, _)| user))
}
