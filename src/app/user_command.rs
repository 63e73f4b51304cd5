//! The `caremap user` commands: add a user (printing its new token once), list, rotate (a new
//! token, the old one refused at once), revoke. Add, rotate and revoke are recorded in the
//! account log with who ran them (`GET /api/admin/audit?log=accounts`).

use std::io::Write;

use crate::access::Role;
use crate::access::{expiry_in_days, generate_token, validate_user_name};
use crate::app::cli::UserCommand;
use crate::store::{NewUser, StoreError, open_store, shown_db};

/// The provider ids of `--provider ID[,ID…]`: required for, and only allowed with,
/// `--role provider`.
fn bound_providers(role: Role, list: Option<&str>) -> Result<Vec<String>, String> {
    let ids: Vec<String> =
        list.unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    match (role, ids.is_empty()) {
        (Role::Provider, true) => Err("--role provider needs --provider ID[,ID…]: the providers it may update".into()),
        (Role::Provider, false) => Ok(ids),
        (_, false) => Err("--provider is only for --role provider".into()),
        (_, true) => Ok(ids),
    }
}

/// Runs a `caremap user` command, writing what the user should see to `out`. `user add` and
/// `user rotate` print the token alone on the last line, so scripts can take it with
/// `tail -n 1`.
///
/// # Errors
/// A message for the user: bad name, name taken, unknown user, database failure.
pub fn run(command: &UserCommand, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        UserCommand::Add { db, role, providers, expires_in_days, actor, name } => {
            let name = validate_user_name(name)?;
            let providers = bound_providers(*role, providers.as_deref())?;
            let actor = cli_actor(actor.as_deref())?;
            let store = open_store(db)?;
            let (token, hash) = generate_token()?;
            let expires_at = expires_in_days.map(expiry_in_days);
            let new =
                NewUser { name, role: *role, token_hash: &hash, expires_at, actor: &actor, providers: &providers };
            let user = store.create_user(&new).map_err(|e| match e {
                StoreError::NotFound { id } => format!("unknown provider id '{id}'; no user was created").into(),
                other => Box::<dyn std::error::Error>::from(other),
            })?;
            writeln!(
                out,
                "created {} '{}' in {}{}",
                user.role.as_str(),
                user.name,
                shown_db(db),
                expiry(&user.expires_at)
            )?;
            print_token(out, &token)?;
        }
        UserCommand::List { db } => {
            let users = open_store(db)?.users()?;
            writeln!(out, "{:<24} {:<8} {:<21} {:<21} state", "name", "role", "created", "expires")?;
            let now = crate::domain::now_utc();
            for u in users {
                let state = match &u.revoked_at {
                    Some(t) => format!("revoked {t}"),
                    None if u.expired_at(&now) => "expired".to_owned(),
                    None => "active".to_owned(),
                };
                let expires = u.expires_at.as_deref().unwrap_or("never");
                let providers = if u.providers.is_empty() {
                    String::new()
                } else {
                    format!(" (providers: {})", u.providers.join(","))
                };
                writeln!(
                    out,
                    "{:<24} {:<8} {:<21} {expires:<21} {state}{providers}",
                    u.name,
                    u.role.as_str(),
                    u.created_at
                )?;
            }
        }
        UserCommand::Rotate { db, expires_in_days, actor, name } => {
            let actor = cli_actor(actor.as_deref())?;
            let store = open_store(db)?;
            let (token, hash) = generate_token()?;
            let user = store.rotate_user(name.trim(), &hash, expires_in_days.map(expiry_in_days), &actor)?;
            writeln!(out, "new token for '{}'; the old one no longer works{}", user.name, expiry(&user.expires_at))?;
            print_token(out, &token)?;
        }
        UserCommand::Revoke { db, actor, name } => {
            let actor = cli_actor(actor.as_deref())?;
            let store = open_store(db)?;
            if store.revoke_user_by(name.trim(), &actor)? {
                writeln!(out, "revoked the token of '{}'", name.trim())?;
            } else {
                writeln!(out, "'{}' was already revoked", name.trim())?;
            }
        }
    }
    Ok(())
}

fn expiry(expires_at: &Option<String>) -> String {
    expires_at.as_ref().map(|t| format!("; the token expires at {t}")).unwrap_or_default()
}

fn print_token(out: &mut dyn Write, token: &str) -> std::io::Result<()> {
    writeln!(out, "API token (shown only now; send it as 'Authorization: Bearer <token>'):")?;
    writeln!(out, "{token}")
}

/// Who runs a `caremap user` command, as the account log records it: `--actor` when given,
/// else `cli:` and the login name (`USER`, `LOGNAME`), else `cli:uid-N`. It says who ran the
/// command, not a proof: whoever can write the database file could write anything into it.
///
/// # Errors
/// An `--actor` that is empty, too long or holds control characters.
fn cli_actor(given: Option<&str>) -> Result<String, String> {
    if let Some(actor) = given {
        return validate_user_name(actor).map(str::to_owned).map_err(|e| e.replace("user name", "actor"));
    }
    let login = ["USER", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| validate_user_name(v).is_ok()))
        .or_else(|| crate::app::process::effective_uid().map(|uid| format!("uid-{uid}")));
    Ok(format!("cli:{}", login.as_deref().unwrap_or("unknown")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_actor_is_the_flag_or_the_login_name() {
        assert_eq!(cli_actor(Some(" suzuki ")).unwrap(), "suzuki");
        assert!(cli_actor(Some("a\nb")).unwrap_err().contains("actor"));
        assert!(cli_actor(None).unwrap().starts_with("cli:"));
    }
}
