//! Staff users on PostgreSQL: name, role, the SHA-256 of their token, creation, expiry and
//! revocation times; and the account log. Each change locks the user's row (or, for a new
//! name, the whole table against a concurrent add of the same name) and logs itself in the
//! same transaction.

use postgres::{Client, GenericClient, Row, Transaction};

use crate::access::{Role, TokenHash, hashes_equal};
use crate::domain::now_utc;
use crate::store::{AccountEvent, AuditQuery, NewUser, Result, StoreError, User};

/// The actions of the account log (as the SQLite store's).
mod account_action {
    pub const ADD: &str = "user_add";
    pub const ROTATE: &str = "user_rotate";
    pub const REVOKE: &str = "user_revoke";
}

const USER_COLUMNS: &str = "name, role, created_at, revoked_at, expires_at";

pub(super) fn user_from_row(row: &Row) -> Result<User> {
    let role: &str = row.try_get(1)?;
    Ok(User {
        name: row.try_get(0)?,
        // The CHECK constraint of the table admits only the roles' spellings.
        role: Role::parse(role).unwrap_or(Role::Editor),
        created_at: row.try_get(2)?,
        revoked_at: row.try_get(3)?,
        expires_at: row.try_get(4)?,
        providers: Vec::new(),
    })
}

/// The provider ids `name` is bound to, in the order they were given.
pub(super) fn bound_providers(c: &mut impl GenericClient, name: &str) -> Result<Vec<String>> {
    let rows = c.query("SELECT provider_id FROM user_providers WHERE user_name = $1 ORDER BY position", &[&name])?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// Fills in the providers of a provider account.
fn with_providers(c: &mut impl GenericClient, mut user: User) -> Result<User> {
    if user.role == Role::Provider {
        user.providers = bound_providers(c, &user.name)?;
    }
    Ok(user)
}

fn log_event(tx: &mut Transaction<'_>, user: &User, action: &str, at: &str, actor: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO account_events (user_name, action, role, expires_at, changed_at, changed_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[&user.name, &action, &user.role.as_str(), &user.expires_at, &at, &actor],
    )?;
    Ok(())
}

pub(super) fn add_user(c: &mut Client, new: &NewUser<'_>) -> Result<User> {
    let mut tx = c.transaction()?;
    // Two adds of one new name would both see no row; the table lock makes the second wait
    // and then see the first (readers and token lookups are not blocked by it).
    tx.batch_execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")?;
    let revoked: Option<Option<String>> =
        tx.query_opt("SELECT revoked_at FROM users WHERE name = $1", &[&new.name])?.map(|r| r.get(0));
    match revoked {
        Some(None) => return Err(StoreError::UserExists { name: new.name.to_owned() }),
        Some(Some(_)) => {
            tx.execute("DELETE FROM users WHERE name = $1", &[&new.name])?;
            tx.execute("DELETE FROM user_providers WHERE user_name = $1", &[&new.name])?;
        }
        None => {}
    }
    for id in new.providers {
        // KEY SHARE: the provider cannot be deleted (or its row replaced) until the account is in.
        let live = tx.query_opt("SELECT 1 FROM providers WHERE id = $1 AND deleted_at IS NULL FOR KEY SHARE", &[id])?;
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
        "INSERT INTO users (name, role, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        &[&user.name, &new.role.as_str(), &new.token_hash.as_slice(), &user.created_at, &user.expires_at],
    )?;
    for (position, id) in new.providers.iter().enumerate() {
        tx.execute(
            "INSERT INTO user_providers (user_name, provider_id, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&user.name, id, &i64::try_from(position).unwrap_or(i64::MAX)],
        )?;
    }
    let user = with_providers(&mut tx, user)?;
    log_event(&mut tx, &user, account_action::ADD, &now, new.actor)?;
    tx.commit()?;
    Ok(user)
}

pub(super) fn users(c: &mut Client) -> Result<Vec<User>> {
    let rows = c.query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name COLLATE \"C\""), &[])?;
    let users: Vec<User> = rows.iter().map(user_from_row).collect::<Result<_>>()?;
    users.into_iter().map(|u| with_providers(c, u)).collect()
}

fn find_user(tx: &mut Transaction<'_>, name: &str) -> Result<User> {
    let row = tx.query_opt(&format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1 FOR UPDATE"), &[&name])?;
    row.as_ref().map(user_from_row).transpose()?.ok_or_else(|| StoreError::UnknownUser { name: name.to_owned() })
}

pub(super) fn revoke_user(c: &mut Client, name: &str, actor: &str) -> Result<bool> {
    let mut tx = c.transaction()?;
    let mut user = find_user(&mut tx, name)?;
    if user.revoked_at.is_some() {
        return Ok(false);
    }
    let now = now_utc();
    tx.execute("UPDATE users SET revoked_at = $2 WHERE name = $1", &[&name, &now])?;
    user.revoked_at = Some(now.clone());
    log_event(&mut tx, &user, account_action::REVOKE, &now, actor)?;
    tx.commit()?;
    Ok(true)
}

pub(super) fn rotate_user(
    c: &mut Client,
    name: &str,
    token_hash: &TokenHash,
    expires_at: Option<String>,
    actor: &str,
) -> Result<User> {
    let mut tx = c.transaction()?;
    let mut user = find_user(&mut tx, name)?;
    let now = now_utc();
    // A rotation also lifts a revocation: it is how a revoked user gets a token again.
    tx.execute(
        "UPDATE users SET token_hash = $2, expires_at = $3, revoked_at = NULL WHERE name = $1",
        &[&name, &token_hash.as_slice(), &expires_at],
    )?;
    user.expires_at = expires_at;
    user.revoked_at = None;
    log_event(&mut tx, &user, account_action::ROTATE, &now, actor)?;
    tx.commit()?;
    Ok(user)
}

pub(super) fn user_by_token_hash(c: &mut Client, token_hash: &TokenHash) -> Result<Option<User>> {
    let row = c.query_opt(
        &format!("SELECT {USER_COLUMNS}, token_hash FROM users WHERE token_hash = $1"),
        &[&token_hash.as_slice()],
    )?;
    let Some(row) = row else { return Ok(None) };
    let stored: &[u8] = row.try_get(5)?;
    if !hashes_equal(token_hash, stored) {
        return Ok(None);
    }
    let user = user_from_row(&row)?;
    with_providers(c, user).map(Some)
}

pub(super) fn account_events(c: &mut Client, q: &AuditQuery) -> Result<Vec<AccountEvent>> {
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    let rows = c.query(
        "SELECT seq, user_name, action, role, expires_at, changed_at, changed_by FROM account_events \
         WHERE changed_at >= $1 AND seq > $2 ORDER BY seq LIMIT $3",
        &[&q.since.as_deref().unwrap_or(""), &q.after_seq.unwrap_or(0), &limit],
    )?;
    rows.iter()
        .map(|r| {
            Ok(AccountEvent {
                seq: r.try_get(0)?,
                user_name: r.try_get(1)?,
                action: r.try_get(2)?,
                role: r.try_get(3)?,
                expires_at: r.try_get(4)?,
                changed_at: r.try_get(5)?,
                changed_by: r.try_get(6)?,
            })
        })
        .collect()
}
