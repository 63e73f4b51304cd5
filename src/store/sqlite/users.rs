//! Staff users: name, role, the SHA-256 of their token, when they were created, when the
//! token expires, and when it was revoked; and the log of who added, rotated or revoked which
//! account. The hash is written and looked up here and never read out of this module.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

use crate::access::{Role, TokenHash, hashes_equal};
use crate::domain::now_utc;
use crate::store::{AccountEvent, AuditQuery, NewUser, Result, StoreError, User};

/// The actions of the account log.
pub mod account_action {
    /// A user was created (or a revoked one re-issued).
    pub const ADD: &str = "user_add";
    /// A user's token was replaced by a new one.
    pub const ROTATE: &str = "user_rotate";
    /// A user's token was revoked.
    pub const REVOKE: &str = "user_revoke";
}

const USER_COLUMNS: &str = "name, role, created_at, revoked_at, expires_at";

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    let role: String = row.get("role")?;
    Ok(User {
        name: row.get("name")?,
        // The CHECK constraint of the table admits only these two spellings.
        role: Role::parse(&role).unwrap_or(Role::Editor),
        created_at: row.get("created_at")?,
        revoked_at: row.get("revoked_at")?,
        expires_at: row.get("expires_at")?,
        providers: Vec::new(),
    })
}

/// The provider ids `user` is bound to, in the order they were given.
pub(super) fn bound_providers(conn: &Connection, name: &str) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT provider_id FROM user_providers WHERE user_name = ?1 ORDER BY position")?;
    let rows = stmt.query_map([name], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Fills in the providers of a provider account.
fn with_providers(conn: &Connection, mut user: User) -> Result<User> {
    if user.role == Role::Provider {
        user.providers = bound_providers(conn, &user.name)?;
    }
    Ok(user)
}

fn log_event(tx: &Transaction<'_>, user: &User, action: &str, at: &str, actor: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO account_events (user_name, action, role, expires_at, changed_at, changed_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![user.name, action, user.role.as_str(), user.expires_at, at, actor])?;
    Ok(())
}

pub(super) fn add_user(conn: &mut Connection, new: &NewUser<'_>) -> Result<User> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let revoked: Option<Option<String>> = tx
        .prepare_cached("SELECT revoked_at FROM users WHERE name = ?1")?
        .query_row([new.name], |r| r.get(0))
        .optional()?;
    match revoked {
        Some(None) => return Err(StoreError::UserExists { name: new.name.to_owned() }),
        Some(Some(_)) => {
            tx.execute("DELETE FROM users WHERE name = ?1", [new.name])?;
            tx.execute("DELETE FROM user_providers WHERE user_name = ?1", [new.name])?;
        }
        None => {}
    }
    for id in new.providers {
        let live: Option<i64> = tx
            .prepare_cached("SELECT 1 FROM providers WHERE id = ?1 AND deleted_at IS NULL")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        if live.is_none() {
            return Err(StoreError::NotFound { id: id.clone() });
        }
    }
    let now = now_utc();
    let user = User {
        name: new.name.to_owned(),
        role: new.role,
        created_at: now.clone(),
        revoked_at: None,
        expires_at: new.expires_at.clone(),
        providers: Vec::new(),
    };
    tx.execute(
        "INSERT INTO users (name, role, token_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![user.name, new.role.as_str(), new.token_hash.as_slice(), user.created_at, user.expires_at],
    )?;
    for (position, id) in new.providers.iter().enumerate() {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO user_providers (user_name, provider_id, position) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![user.name, id, i64::try_from(position).unwrap_or(i64::MAX)])?;
    }
    let user = with_providers(&tx, user)?;
    log_event(&tx, &user, account_action::ADD, &now, new.actor)?;
    tx.commit()?;
    Ok(user)
}

pub(super) fn users(conn: &Connection) -> Result<Vec<User>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))?;
    let rows = stmt.query_map([], user_from_row)?;
    let users: Vec<User> = rows.collect::<rusqlite::Result<_>>()?;
    users.into_iter().map(|u| with_providers(conn, u)).collect()
}

fn find_user(tx: &Transaction<'_>, name: &str) -> Result<User> {
    tx.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"))?
        .query_row([name], user_from_row)
        .optional()?
        .ok_or_else(|| StoreError::UnknownUser { name: name.to_owned() })
}

pub(super) fn revoke_user(conn: &mut Connection, name: &str, actor: &str) -> Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut user = find_user(&tx, name)?;
    if user.revoked_at.is_some() {
        return Ok(false);
    }
    let now = now_utc();
    tx.execute("UPDATE users SET revoked_at = ?2 WHERE name = ?1", params![name, now])?;
    user.revoked_at = Some(now.clone());
    log_event(&tx, &user, account_action::REVOKE, &now, actor)?;
    tx.commit()?;
    Ok(true)
}

pub(super) fn rotate_user(
    conn: &mut Connection,
    name: &str,
    token_hash: &TokenHash,
    expires_at: Option<String>,
    actor: &str,
) -> Result<User> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut user = find_user(&tx, name)?;
    let now = now_utc();
    // A rotation also lifts a revocation: it is how a revoked user gets a token again.
    tx.execute(
        "UPDATE users SET token_hash = ?2, expires_at = ?3, revoked_at = NULL WHERE name = ?1",
        params![name, token_hash.as_slice(), expires_at],
    )?;
    user.expires_at = expires_at;
    user.revoked_at = None;
    log_event(&tx, &user, account_action::ROTATE, &now, actor)?;
    tx.commit()?;
    Ok(user)
}

pub(super) fn user_by_token_hash(conn: &Connection, token_hash: &TokenHash) -> Result<Option<User>> {
    let found = conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS}, token_hash FROM users WHERE token_hash = ?1"))?
        .query_row([token_hash.as_slice()], |r| Ok((user_from_row(r)?, r.get::<_, Vec<u8>>("token_hash")?)))
        .optional()?;
    found.filter(|(_, stored)| hashes_equal(token_hash, stored)).map(|(user, _)| with_providers(conn, user)).transpose()
}

pub(super) fn account_events(conn: &Connection, q: &AuditQuery) -> Result<Vec<AccountEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, user_name, action, role, expires_at, changed_at, changed_by FROM account_events \
         WHERE changed_at >= ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![q.since.as_deref().unwrap_or(""), q.after_seq.unwrap_or(0), limit], |r| {
        Ok(AccountEvent {
            seq: r.get(0)?,
            user_name: r.get(1)?,
            action: r.get(2)?,
            role: r.get(3)?,
            expires_at: r.get(4)?,
            changed_at: r.get(5)?,
            changed_by: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::hash_token;
    use crate::store::{SqliteStore, Store};

    #[test]
    fn add_rotate_and_revoke_are_logged_with_their_actor_and_rotation_replaces_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        let (old, new) = (hash_token("old"), hash_token("new"));
        let added = store
            .create_user(&NewUser {
                name: "yamada",
                role: Role::Editor,
                token_hash: &old,
                expires_at: Some("2030-01-01T00:00:00Z".into()),
                actor: "cli:root",
                providers: &[],
            })
            .unwrap();
        assert_eq!(added.expires_at.as_deref(), Some("2030-01-01T00:00:00Z"));
        let rotated = store.rotate_user("yamada", &new, None, "cli:suzuki").unwrap();
        assert_eq!((rotated.expires_at, rotated.revoked_at), (None, None));
        assert_eq!(store.user_by_token_hash(&old).unwrap(), None, "the old token is gone");
        assert_eq!(store.user_by_token_hash(&new).unwrap().unwrap().name, "yamada");
        assert!(store.revoke_user_by("yamada", "cli:root").unwrap());
        assert!(!store.revoke_user_by("yamada", "cli:root").unwrap(), "twice is a no-op, not logged");
        assert!(matches!(store.rotate_user("nobody", &old, None, "x"), Err(StoreError::UnknownUser { .. })));

        let events = store.account_events(&AuditQuery { limit: 10, ..AuditQuery::default() }).unwrap();
        let summary: Vec<_> =
            events.iter().map(|e| (e.user_name.as_str(), e.action.as_str(), e.changed_by.as_str())).collect();
        assert_eq!(
            summary,
            [
                ("yamada", "user_add", "cli:root"),
                ("yamada", "user_rotate", "cli:suzuki"),
                ("yamada", "user_revoke", "cli:root")
            ]
        );
        let after = AuditQuery { after_seq: Some(events[1].seq), limit: 10, ..AuditQuery::default() };
        assert_eq!(store.account_events(&after).unwrap().len(), 1);
    }
}
