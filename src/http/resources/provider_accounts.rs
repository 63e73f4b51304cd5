//! 事業所アカウント: staff (editor or admin) issue, list and revoke the accounts care offices
//! use to keep their own 空き状況 (`/api/admin/provider-accounts`). The token is shown once, in
//! the answer that creates it; only its hash is stored.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::Value;

use crate::access::{Role, generate_token, validate_user_name};
use crate::domain::{FieldError, ProviderFields};
use crate::store::{NewUser, StoreError, User};

use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult, blocking, off_thread, store_error, unprocessable};
use crate::http::plumbing::authenticate::StaffUser;
use crate::http::plumbing::body::JsonBody;
use crate::http::resources::ogc::Base;

/// Most providers one account may be bound to.
pub const MAX_PROVIDERS_PER_ACCOUNT: usize = 100;

/// The provider-account routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/provider-accounts", get(provider_accounts_list).post(provider_account_create))
        .route("/api/admin/provider-accounts/{name}", delete(provider_account_revoke))
}

/// A provider an account is bound to, with its name (`null` when it is not served, e.g. deleted).
#[derive(Debug, Serialize)]
pub struct BoundProvider {
    /// The provider id.
    pub id: String,
    /// Its name now.
    pub name: Option<String>,
}

/// The bound providers of `ids` with their names from the catalog.
pub fn bound_providers(state: &AppState, ids: &[String]) -> Vec<BoundProvider> {
    let snapshot = state.catalog.snapshot();
    ids.iter().map(|id| BoundProvider { id: id.clone(), name: snapshot.get(id).map(|p| p.name().to_owned()) }).collect()
}

#[derive(Serialize)]
struct Created {
    name: String,
    role: Role,
    providers: Vec<BoundProvider>,
    token: String,
    created_at: String,
    sign_in_url: String,
}

/// Reads `{ "name": "…", "providers": ["id", …] }`, naming each bad member (422).
fn new_account(body: &Value, state: &AppState) -> ApiResult<(String, Vec<String>)> {
    let mut errors = Vec::new();
    let Some(map) = body.as_object() else {
        return Err(unprocessable(vec![FieldError::new("body", "must be {\"name\": …, \"providers\": [ids]}")]));
    };
    errors.extend(
        map.keys()
            .filter(|k| !matches!(k.as_str(), "name" | "providers"))
            .map(|k| FieldError::new(k, "is not a member of a provider account (name, providers)")),
    );
    let name = match map.get("name").and_then(Value::as_str).map(validate_user_name) {
        Some(Ok(name)) => Some(name.to_owned()),
        Some(Err(reason)) => {
            errors.push(FieldError::new("name", reason));
            None
        }
        None => {
            errors.push(FieldError::new("name", "is required: the account name (e.g. the office's name)"));
            None
        }
    };
    let ids: Option<Vec<String>> = map.get("providers").and_then(Value::as_array).and_then(|items| {
        items.iter().map(|v| v.as_str().map(|s| s.trim().to_owned())).collect::<Option<Vec<String>>>()
    });
    let ids = match ids {
        None => {
            errors.push(FieldError::new("providers", "is required: a list of provider ids"));
            Vec::new()
        }
        Some(ids) if ids.is_empty() => {
            errors.push(FieldError::new("providers", "must name at least one provider"));
            ids
        }
        Some(ids) if ids.len() > MAX_PROVIDERS_PER_ACCOUNT => {
            errors.push(FieldError::new("providers", format!("at most {MAX_PROVIDERS_PER_ACCOUNT} providers")));
            ids
        }
        Some(mut ids) => {
            let snapshot = state.catalog.snapshot();
            let unknown: Vec<&str> = ids.iter().filter(|id| snapshot.get(id).is_none()).map(String::as_str).collect();
            if !unknown.is_empty() {
                errors.push(FieldError::new("providers", format!("unknown provider ids: {}", unknown.join(", "))));
            }
            let mut seen = std::collections::HashSet::new();
            ids.retain(|id| seen.insert(id.clone()));
            ids
        }
    };
    match name {
        Some(name) if errors.is_empty() => Ok((name, ids)),
        _ => Err(unprocessable(errors)),
    }
}

/// `POST /api/admin/provider-accounts` (editor or admin) → 201 with the token (shown only here).
async fn provider_account_create(
    user: StaffUser,
    State(state): State<AppState>,
    base: Base,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    user.require(Role::Editor)?;
    let (name, ids) = new_account(&body, &state)?;
    let (token, hash) = generate_token().map_err(|e| ApiError::Internal(e.to_string()))?;
    let store = state.store.clone();
    let actor = user.name.clone();
    let created = off_thread(move || {
        store.create_user(&NewUser {
            name: &name,
            role: Role::Provider,
            token_hash: &hash,
            expires_at: None,
            actor: &actor,
            providers: &ids,
        })
    })
    .await?
    .map_err(|e| match e {
        // Deleted between the check above and the commit.
        StoreError::NotFound { id } => {
            unprocessable(vec![FieldError::new("providers", format!("unknown provider ids: {id}"))])
        }
        other => store_error(other),
    })?;
    let origin = base.root().strip_suffix("/ogc").unwrap_or(base.root()).to_owned();
    let body = Created {
        providers: bound_providers(&state, &created.providers),
        name: created.name,
        role: created.role,
        token,
        created_at: created.created_at,
        sign_in_url: format!("{origin}/provider.html"),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Serialize)]
struct AccountOut {
    name: String,
    providers: Vec<BoundProvider>,
    created_at: String,
    revoked_at: Option<String>,
}

#[derive(Serialize)]
struct AccountsOut {
    accounts: Vec<AccountOut>,
}

/// `GET /api/admin/provider-accounts` (editor or admin): every provider account, revoked ones too.
async fn provider_accounts_list(user: StaffUser, State(state): State<AppState>) -> ApiResult<Json<AccountsOut>> {
    user.require(Role::Editor)?;
    let store = state.store.clone();
    let users: Vec<User> = blocking(move || store.users()).await?;
    let accounts = users
        .into_iter()
        .filter(|u| u.role == Role::Provider)
        .map(|u| AccountOut {
            providers: bound_providers(&state, &u.providers),
            name: u.name,
            created_at: u.created_at,
            revoked_at: u.revoked_at,
        })
        .collect();
    Ok(Json(AccountsOut { accounts }))
}

/// `DELETE /api/admin/provider-accounts/{name}` (editor or admin) → 204; 404 when there is no
/// provider account of that name (staff accounts are not revoked here).
async fn provider_account_revoke(
    user: StaffUser,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    user.require(Role::Editor)?;
    let store = state.store.clone();
    let actor = user.name.clone();
    let revoked = blocking(move || {
        let is_provider = store.users()?.iter().any(|u| u.name == name && u.role == Role::Provider);
        if !is_provider {
            return Ok(None);
        }
        store.revoke_user_by(&name, &actor).map(Some)
    })
    .await?;
    match revoked {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(ApiError::NotFound("provider account".into())),
    }
}
