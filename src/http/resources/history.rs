//! What changed, when, by whom: a provider's history and the global audit log. Each entry
//! lists its changes field by field (`changes: [{field, label, from, to}]`, district changes
//! also with `from_name`/`to_name`) and names its author for people (`changed_by_name`). The
//! audit log's second part, `?log=accounts` (admins only), lists staff accounts added, rotated
//! and revoked.

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::access::Role;
use crate::domain::{District, FieldChange, actor_name, entry_changes, name_districts, utc_text};
use crate::store::{AccountEvent, AuditQuery, HistoryEntry};

use crate::http::AppState;
use crate::http::error::blocking;
use crate::http::error::{ApiError, ApiResult};
use crate::http::plumbing::authenticate::StaffUser;
use crate::http::plumbing::params::Params;

/// Most audit entries per page.
pub const MAX_AUDIT_LIMIT: u64 = 1_000;
/// Audit entries per page unless `limit` says otherwise.
pub const DEFAULT_AUDIT_LIMIT: u64 = 100;

/// Routes for history and audit.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/providers/{id}/history", get(provider_history))
        .route("/api/admin/audit", get(audit_list))
}

/// One version of a provider as the history shows it.
#[derive(Debug, Serialize)]
struct VersionOut {
    version: i64,
    action: String,
    changed_at: String,
    changed_by: String,
    /// The author as people read it: the user name, or 「初期データ」 and the like for loads.
    changed_by_name: String,
    changes: Vec<FieldChange>,
}

#[derive(Debug, Serialize)]
struct HistoryOut {
    id: String,
    versions: Vec<VersionOut>,
}

fn version_out(e: HistoryEntry, districts: &[District]) -> VersionOut {
    let mut changes = entry_changes(&e.action, e.before.as_ref(), &e.after);
    name_districts(&mut changes, districts);
    VersionOut {
        version: e.version,
        action: e.action,
        changed_at: e.changed_at,
        changed_by_name: actor_name(&e.changed_by).to_owned(),
        changed_by: e.changed_by,
        changes,
    }
}

/// `GET /api/admin/providers/{id}/history`: every version, newest first.
async fn provider_history(
    _user: StaffUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<HistoryOut>> {
    Params::parse(query.as_deref())?.finish()?;
    let store = state.store.clone();
    let lookup = id.clone();
    let entries = blocking(move || store.provider_history(&lookup)).await?;
    if entries.is_empty() {
        return Err(ApiError::NotFound(format!("provider '{id}'")));
    }
    let snapshot = state.catalog.snapshot();
    let versions = entries.into_iter().map(|e| version_out(e, snapshot.districts())).collect();
    Ok(Json(HistoryOut { id, versions }))
}

/// One entry of the global change log.
#[derive(Debug, Serialize)]
struct AuditEntryOut {
    seq: i64,
    provider_id: String,
    #[serde(flatten)]
    version: VersionOut,
}

#[derive(Debug, Serialize)]
struct AuditOut<E> {
    entries: Vec<E>,
    /// The next page, or `null` on the last one.
    next: Option<String>,
}

/// One entry of the account log.
#[derive(Debug, Serialize)]
struct AccountEntryOut {
    seq: i64,
    /// `user_add`, `user_rotate` or `user_revoke`.
    action: String,
    /// The account changed.
    user: String,
    role: String,
    expires_at: Option<String>,
    changed_at: String,
    changed_by: String,
}

impl From<AccountEvent> for AccountEntryOut {
    fn from(e: AccountEvent) -> Self {
        Self {
            seq: e.seq,
            action: e.action,
            user: e.user_name,
            role: e.role,
            expires_at: e.expires_at,
            changed_at: e.changed_at,
            changed_by: e.changed_by,
        }
    }
}

/// Which log `GET /api/admin/audit` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuditLog {
    /// Provider changes (the default).
    Providers,
    /// Staff accounts added, rotated, revoked.
    Accounts,
}

/// Parses an RFC 3339 time into the stored form (UTC, whole seconds). A time between whole
/// seconds rounds up, since stored times are whole seconds.
fn stored_time(raw: &str) -> Result<String, String> {
    let t = time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339).map_err(|_| {
        format!("must be an RFC 3339 time such as 2026-11-01T09:00:00Z or 2026-11-01T18:00:00%2B09:00, not '{raw}'")
    })?;
    let mut utc = t.to_offset(time::UtcOffset::UTC);
    if utc.nanosecond() > 0 {
        utc = utc.replace_nanosecond(0).map_err(|e| e.to_string())? + time::Duration::SECOND;
    }
    Ok(utc_text(utc))
}

/// `GET /api/admin/audit[?log=providers|accounts][&since=RFC3339][&after=SEQ][&limit=N]`:
/// changes in commit order; `next` links the following page. The account log needs the
/// admin role.
async fn audit_list(
    user: StaffUser,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let mut params = Params::parse(query.as_deref())?;
    let log = match params.raw("log").as_deref() {
        None | Some("providers") => AuditLog::Providers,
        Some("accounts") => AuditLog::Accounts,
        Some(other) => {
            params.error("log", format!("must be providers or accounts, not '{other}'"));
            AuditLog::Providers
        }
    };
    let since_raw = params.raw("since");
    let since = since_raw.as_deref().and_then(|raw| match stored_time(raw) {
        Ok(t) => Some(t),
        Err(reason) => {
            params.error("since", reason);
            None
        }
    });
    let after = params.has("after").then(|| params.integer("after", 0, 0..=i64::MAX as u64));
    let limit = params.integer("limit", DEFAULT_AUDIT_LIMIT, 1..=MAX_AUDIT_LIMIT);
    params.finish()?;
    let q = AuditQuery {
        since: since.clone(),
        after_seq: after.map(|a| i64::try_from(a).unwrap_or(i64::MAX)),
        limit: usize::try_from(limit).unwrap_or(100),
    };
    let store = state.store.clone();
    let next = |count: usize, last: Option<i64>| match last {
        Some(last) if count as u64 == limit => {
            let mut url = form_urlencoded::Serializer::new(String::from("/api/admin/audit?"));
            if log == AuditLog::Accounts {
                url.append_pair("log", "accounts");
            }
            if let Some(since) = &since {
                url.append_pair("since", since);
            }
            url.append_pair("after", &last.to_string()).append_pair("limit", &limit.to_string());
            Some(url.finish())
        }
        _ => None,
    };
    if log == AuditLog::Accounts {
        user.require(Role::Admin)?;
        let events = blocking(move || store.account_events(&q)).await?;
        let next = next(events.len(), events.last().map(|e| e.seq));
        let entries = events.into_iter().map(AccountEntryOut::from).collect();
        return Ok(Json(AuditOut::<AccountEntryOut> { entries, next }).into_response());
    }
    let entries = blocking(move || store.audit_log(&q)).await?;
    let next = next(entries.len(), entries.last().map(|e| e.seq));
    let snapshot = state.catalog.snapshot();
    let entries: Vec<_> = entries
        .into_iter()
        .map(|e| AuditEntryOut {
            seq: e.seq,
            provider_id: e.provider_id.clone(),
            version: version_out(e, snapshot.districts()),
        })
        .collect();
    Ok(Json(AuditOut { entries, next }).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_stored_in_utc_whole_seconds_rounding_up() {
        assert_eq!(stored_time("2026-11-01T09:00:00+09:00").unwrap(), "2026-11-01T00:00:00Z");
        assert_eq!(stored_time("2026-11-01T00:00:00.25Z").unwrap(), "2026-11-01T00:00:01Z");
        assert!(stored_time("2026-11-01").unwrap_err().contains("RFC 3339"));
    }
}
