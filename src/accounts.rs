//! The `caremap user` commands: add a user (printing its new token once), list, revoke.

use std::io::Write;

use crate::auth::{generate_token, validate_user_name};
use crate::cli::UserCommand;
use crate::store::{SqliteStore, Store};

/// Runs a `caremap user` command, writing what the user should see to `out`. `user add`
/// prints the token alone on the last line, so scripts can take it with `tail -n 1`.
///
/// # Errors
/// A message for the user: bad name, name taken, unknown user, database failure.
pub fn run(command: &UserCommand, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        UserCommand::Add { db, role, name } => {
            let name = validate_user_name(name)?;
            let store = SqliteStore::open(db)?;
            let (token, hash) = generate_token()?;
            let user = store.add_user(name, *role, &hash)?;
            writeln!(out, "created {} '{}' in {}", user.role.as_str(), user.name, db.display())?;
            writeln!(out, "API token (shown only now; send it as 'Authorization: Bearer <token>'):")?;
            writeln!(out, "{token}")?;
        }
        UserCommand::List { db } => {
            let users = SqliteStore::open(db)?.users()?;
            writeln!(out, "{:<24} {:<7} {:<21} state", "name", "role", "created")?;
            for u in users {
                let state = u.revoked_at.map_or_else(|| "active".to_owned(), |t| format!("revoked {t}"));
                writeln!(out, "{:<24} {:<7} {:<21} {state}", u.name, u.role.as_str(), u.created_at)?;
            }
        }
        UserCommand::Revoke { db, name } => {
            let store = SqliteStore::open(db)?;
            if store.revoke_user(name.trim())? {
                writeln!(out, "revoked the token of '{}'", name.trim())?;
            } else {
                writeln!(out, "'{}' was already revoked", name.trim())?;
            }
        }
    }
    Ok(())
}
