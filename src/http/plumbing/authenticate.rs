//! Staff authentication: the [`StaffUser`] extractor (bearer token → user, 401/403 as
//! problem+json) and the per-client limiter of failed attempts (429 with `Retry-After`).
//!
//! The token is checked first: a valid token is always accepted, so failures from the same
//! address (every client behind one reverse proxy, or one office's NAT) never lock out the
//! staff; only failures are slowed down. The client is the peer address, or the address a
//! trusted proxy forwarded (see [`crate::http::plumbing::client`]).
//!
//! Tokens are never logged: the account name (on every staff request, as the `account` field
//! of the request span), the client address and the outcome are.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::access::{Role, hash_token, is_well_formed};
use crate::domain::now_utc;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult, store_error};

/// Failed attempts a client may make within [`FAILURE_WINDOW`] before it is refused.
pub const MAX_FAILURES: u32 = 5;
/// The window in which failed attempts are counted, from the first failure.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Clients tracked at most; beyond it, expired entries are dropped (bounded memory).
const MAX_TRACKED_CLIENTS: usize = 10_000;

/// A signed-in staff user, taken from `Authorization: Bearer <token>`.
///
/// Rejections: 401 (with `WWW-Authenticate: Bearer`) for a missing, malformed, wrong, revoked
/// or expired token; 429 instead of 401 for a wrong token from a client that has failed too
/// often; 403 for a provider account (see [`Account`]). A valid token is accepted whatever the
/// client's failures. Every endpoint needs at least [`Role::Editor`]; call
/// [`StaffUser::require`] for more.
#[derive(Debug, Clone)]
pub struct StaffUser {
    /// The user name, recorded as `changed_by`.
    pub name: String,
    /// What the user may do.
    pub role: Role,
}

impl StaffUser {
    /// Refuses (403) a user whose role does not include `needed`.
    ///
    /// # Errors
    /// [`ApiError::Forbidden`].
    pub fn require(&self, needed: Role) -> ApiResult<()> {
        if self.role.includes(needed) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the {} role; '{}' is {}",
                needed.as_str(),
                self.name,
                self.role.as_str()
            )))
        }
    }
}

/// The bearer token of the request, if the header is present (`None` when absent).
fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?;
    let text = value.to_str().unwrap_or("");
    let (scheme, token) = text.trim().split_once(' ').unwrap_or((text, ""));
    Some(if scheme.eq_ignore_ascii_case("bearer") { token.trim() } else { "" })
}

/// A signed-in account of any role, provider accounts included: only the few endpoints a
/// care office may use take this extractor (`/api/admin/me`, reading and confirming its own
/// providers). Everything else takes [`StaffUser`], which refuses provider accounts — so a
/// route added later is closed to them unless it opts in (deny by default).
///
/// Rejections as for [`StaffUser`] (401, 429), never 403.
#[derive(Debug, Clone)]
pub struct Account {
    /// The user name, recorded as `changed_by`.
    pub name: String,
    /// What the account may do.
    pub role: Role,
    /// The provider ids a provider account is bound to (empty for staff).
    pub providers: Vec<String>,
}

impl Account {
    /// Refuses (403, naming `forbidden`) a provider account that is not bound to provider `id`;
    /// staff accounts pass.
    ///
    /// # Errors
    /// [`ApiError::ProviderForbidden`].
    pub fn require_provider(&self, id: &str) -> ApiResult<()> {
        if self.role != Role::Provider || self.providers.iter().any(|p| p == id) {
            Ok(())
        } else {
            Err(ApiError::ProviderForbidden { forbidden: vec![format!("providers/{id}")] })
        }
    }
}

impl FromRequestParts<AppState> for Account {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer(parts) else {
            return Err(ApiError::Unauthorized { invalid_token: false });
        };
        let user = if is_well_formed(token) {
            let hash = hash_token(token);
            let store = state.store.clone();
            tokio::task::spawn_blocking(move || store.user_by_token_hash(&hash))
                .await
                .map_err(|e| ApiError::Internal(format!("token lookup task: {e}")))?
                .map_err(store_error)?
        } else {
            None
        };
        let now = now_utc();
        let client = crate::http::plumbing::client::client_key(parts, &state.trusted_proxies);
        match user {
            Some(user) if user.revoked_at.is_none() && !user.expired_at(&now) => {
                tracing::Span::current().record("account", user.name.as_str());
                Ok(Account { name: user.name, role: user.role, providers: user.providers })
            }
            found => {
                let expired_at = found.as_ref().filter(|u| u.revoked_at.is_none()).and_then(|u| u.expires_at.clone());
                let account = found.as_ref().map(|u| u.name.as_str());
                let now = Instant::now();
                if let Some(wait) = state.auth_failures.retry_after(client, now) {
                    tracing::warn!(client = %client, account, "refused a staff token: too many failures");
                    return Err(ApiError::TooManyFailures {
                        retry_after_s: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                    });
                }
                state.auth_failures.record_failure(client, now);
                let revoked = found.as_ref().is_some_and(|u| u.revoked_at.is_some());
                tracing::warn!(client = %client, account, revoked, expired = expired_at.is_some(), "refused a staff token");
                Err(match expired_at {
                    Some(expired_at) => ApiError::TokenExpired { expired_at },
                    None => ApiError::Unauthorized { invalid_token: true },
                })
            }
        }
    }
}

/// What a provider account asked for that it may not do, named from the request: the action
/// after a provider id (`history`, `restore`, `revert`), `update` / `delete` of a provider,
/// `create`, or the resource under /api/admin (`audit`, `imports`, `users` …).
fn forbidden_action(parts: &Parts) -> String {
    let path = parts.uri.path().strip_prefix("/api/admin/").unwrap_or(parts.uri.path());
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match (segments.as_slice(), parts.method.as_str()) {
        (["providers"], "POST") => "create".into(),
        (["providers", _], "PUT") => "update".into(),
        (["providers", _], "DELETE") => "delete".into(),
        (["providers", _, action, ..], _) => (*action).to_owned(),
        ([first, ..], _) => (*first).to_owned(),
        ([], _) => "admin".into(),
    }
}

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let account = Account::from_request_parts(parts, state).await?;
        if account.role == Role::Provider {
            let forbidden = forbidden_action(parts);
            tracing::warn!(account = account.name, forbidden, "refused a provider account");
            return Err(ApiError::ProviderForbidden { forbidden: vec![forbidden] });
        }
        Ok(StaffUser { name: account.name, role: account.role })
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    first: Instant,
    count: u32,
}

/// Counts failed sign-ins per client in a fixed window from the first failure; after
/// `max` failures the client's wrong tokens are answered 429 until the window ends (a valid
/// token is checked first and never refused).
#[derive(Debug)]
pub struct FailureLimiter {
    max: u32,
    window: Duration,
    clients: Mutex<HashMap<IpAddr, Failures>>,
}

impl Default for FailureLimiter {
    fn default() -> Self {
        Self::new(MAX_FAILURES, FAILURE_WINDOW)
    }
}

impl FailureLimiter {
    /// A limiter allowing `max` failures per `window`.
    pub fn new(max: u32, window: Duration) -> Self {
        Self { max, window, clients: Mutex::new(HashMap::new()) }
    }

    /// How long `client` must wait, if it is refused at `now`.
    pub fn retry_after(&self, client: IpAddr, now: Instant) -> Option<Duration> {
        let clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        let f = clients.get(&client)?;
        let ends = f.first + self.window;
        (f.count >= self.max && now < ends).then(|| ends - now)
    }

    /// Records a failed attempt by `client` at `now`.
    pub fn record_failure(&self, client: IpAddr, now: Instant) {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        if clients.len() >= MAX_TRACKED_CLIENTS {
            clients.retain(|_, f| now.saturating_duration_since(f.first) < self.window);
        }
        let f = clients.entry(client).or_insert(Failures { first: now, count: 0 });
        if now.saturating_duration_since(f.first) >= self.window {
            *f = Failures { first: now, count: 0 };
        }
        f.count = f.count.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_refused_after_the_allowed_failures_until_the_window_ends() {
        let limiter = FailureLimiter::new(3, Duration::from_secs(60));
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(limiter.retry_after(client, t0), None, "before failure {i}");
            limiter.record_failure(client, t0 + Duration::from_secs(i));
        }
        assert_eq!(limiter.retry_after(client, t0 + Duration::from_secs(10)), Some(Duration::from_secs(50)));
        assert_eq!(limiter.retry_after(other, t0 + Duration::from_secs(10)), None);
        assert_eq!(limiter.retry_after(client, t0 + Duration::from_secs(60)), None);
        limiter.record_failure(client, t0 + Duration::from_secs(61));
        assert_eq!(limiter.retry_after(client, t0 + Duration::from_secs(62)), None, "a new window starts");
    }
}
