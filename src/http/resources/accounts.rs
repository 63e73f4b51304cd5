//! The small endpoints about staff users: who a token belongs to (`/api/admin/me`) and the
//! user list (`/api/admin/users`, admin only).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::access::Role;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult, store_error};
use crate::http::plumbing::authenticate::{Account, StaffUser};
use crate::http::resources::provider_accounts::{BoundProvider, bound_providers};

/// Routes about the signed-in user and the user list.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/admin/me", get(me_get)).route("/api/admin/users", get(users_list))
}

#[derive(Serialize)]
struct Me {
    name: String,
    role: Role,
    providers: Vec<BoundProvider>,
}

/// `GET /api/admin/me`: who the token belongs to (the staff and provider pages check a token
/// with it), with the providers a provider account may update (empty for staff).
async fn me_get(account: Account, State(state): State<AppState>) -> Json<Me> {
    let providers = bound_providers(&state, &account.providers);
    Json(Me { name: account.name, role: account.role, providers })
}

#[derive(Serialize)]
struct UserOut {
    name: String,
    role: Role,
    created_at: String,
    revoked_at: Option<String>,
    expires_at: Option<String>,
    providers: Vec<String>,
}

#[derive(Serialize)]
struct UsersOut {
    users: Vec<UserOut>,
}

/// `GET /api/admin/users` (admin only): every user with role and state, never a hash.
async fn users_list(user: StaffUser, State(state): State<AppState>) -> ApiResult<Json<UsersOut>> {
    user.require(Role::Admin)?;
    let store = state.store.clone();
    let users = tokio::task::spawn_blocking(move || store.users())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(store_error)?;
    let users = users
        .into_iter()
        .map(|u| UserOut {
            name: u.name,
            role: u.role,
            created_at: u.created_at,
            revoked_at: u.revoked_at,
            expires_at: u.expires_at,
            providers: u.providers,
        })
        .collect();
    Ok(Json(UsersOut { users }))
}
