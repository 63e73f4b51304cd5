//! Staff writes under `/api/admin/providers`: create, read (with its ETag), update with
//! `If-Match`, soft delete, restore, revert to an earlier version.
//!
//! Each write is committed to the store and published to the catalog before the response
//! (see [`crate::write`]), so a query right after a 2xx sees it.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use crate::domain::{FieldError, LonLat, VacancyClock};
use crate::formats::geojson::{FeatureOut, provider_from_feature};
use crate::store::ProviderRecord;
use crate::write::NEW_ID_PREFIX;

use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult, blocking, unprocessable};
use crate::http::plumbing::authenticate::{Account, StaffUser};
use crate::http::plumbing::body::JsonBody;
use crate::http::plumbing::output::GEOJSON;
use crate::http::plumbing::params::Params;
use crate::http::plumbing::preconditions::{etag, if_match_versions};

/// Routes under `/api/admin/providers` (history is in [`crate::http::resources::history`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/providers", post(provider_create))
        .route("/api/admin/providers/{id}", get(provider_admin_get).put(provider_update).delete(provider_delete))
        .route("/api/admin/providers/{id}/restore", post(provider_restore))
        .route("/api/admin/providers/{id}/revert", post(provider_revert))
}

/// A staff Feature with its ETag, `accepting_stale` judged by `clock`.
pub(crate) fn feature_response(
    status: StatusCode,
    record: &ProviderRecord,
    clock: &VacancyClock,
) -> ApiResult<Response> {
    let body = serde_json::to_vec(&FeatureOut::staff(&record.provider, record.deleted_at.as_deref()).fresh(clock))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut response = (status, [(header::CONTENT_TYPE, GEOJSON)], body).into_response();
    response.headers_mut().insert(header::ETAG, etag(record.provider.version));
    Ok(response)
}

/// `allow_outside_japan=true` lets a write place a provider outside Japan's extent.
fn write_params(query: Option<&str>) -> ApiResult<bool> {
    let mut params = Params::parse(query)?;
    let allow = params.boolean("allow_outside_japan").unwrap_or(false);
    params.finish()?;
    Ok(allow)
}

fn no_params(query: Option<&str>) -> ApiResult<()> {
    Params::parse(query)?.finish()
}

/// Reads a provider from a GeoJSON Feature body, naming every bad field (422). `path_id` is
/// the id when the body has none: the id of the URL for updates (the body may omit its id,
/// but not contradict it), a stand-in for creates whose id the server assigns.
fn provider_from_body(
    body: &Value,
    path_id: Option<&str>,
    actor: &str,
    allow_outside_japan: bool,
) -> ApiResult<crate::domain::Provider> {
    let mut errors = Vec::new();
    if body.get("type").and_then(Value::as_str) != Some("Feature") {
        errors.push(FieldError::new("type", "the body must be a GeoJSON Feature (\"type\": \"Feature\")"));
        return Err(unprocessable(errors));
    }
    let id = match (body.get("id"), path_id) {
        (None | Some(Value::Null), Some(path)) => Some(geojson::feature::Id::String(path.to_owned())),
        (None | Some(Value::Null), None) => None,
        (Some(Value::String(s)), _) => Some(geojson::feature::Id::String(s.clone())),
        (Some(Value::Number(n)), _) => Some(geojson::feature::Id::Number(n.clone())),
        (Some(_), _) => {
            errors.push(FieldError::new("id", "must be a string"));
            None
        }
    };
    if let (Some(geojson::feature::Id::String(given)), Some(path)) = (&id, path_id)
        && given != path
    {
        errors.push(FieldError::new(
            "id",
            format!("'{given}' differs from the id in the URL ('{path}'); ids do not change"),
        ));
    }
    let geometry = match body.get("geometry") {
        None | Some(Value::Null) => None,
        Some(g) => match serde_json::from_value::<geojson::Geometry>(g.clone()) {
            Ok(g) => Some(g),
            Err(e) => {
                errors.push(FieldError::new("geometry", format!("not a GeoJSON geometry: {e}")));
                None
            }
        },
    };
    let properties = match body.get("properties") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map.clone()),
        Some(_) => {
            errors.push(FieldError::new("properties", "must be an object"));
            None
        }
    };
    if !errors.is_empty() {
        return Err(unprocessable(errors));
    }
    let point = match geometry.as_ref().map(|g| &g.value) {
        Some(geojson::GeometryValue::Point { coordinates }) if coordinates.len() >= 2 => {
            LonLat::new(coordinates[0], coordinates[1]).ok()
        }
        _ => None,
    };
    let feature = geojson::Feature { bbox: None, geometry, id, properties, foreign_members: None };
    let mut errors = Vec::new();
    let provider = provider_from_feature(&feature, "", actor).map_err(|e| errors.extend(e)).ok();
    if let Some(point) = point
        && !allow_outside_japan
        && !point.is_in_japan_extent()
        && !errors.iter().any(|e| e.name == "geometry")
    {
        errors.push(FieldError::new(
            "geometry",
            "is outside Japan (lon 122–154, lat 20–46); check the order [lon, lat], or add ?allow_outside_japan=true",
        ));
    }
    match provider {
        Some(p) if errors.is_empty() => Ok(p),
        _ => Err(unprocessable(errors)),
    }
}

/// `POST /api/admin/providers[?allow_outside_japan=true]` with a Feature → 201, `ETag`, `Location`.
/// A Feature without `id` gets a new one from the server (`staff-<n>`); an id that exists
/// (also a soft-deleted one) is 409.
async fn provider_create(
    user: StaffUser,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let allow = write_params(query.as_deref())?;
    let assign_id = body.is_object() && matches!(body.get("id"), None | Some(Value::Null));
    // A valid stand-in, so the body is checked like any other; the store replaces it.
    let stand_in = assign_id.then(|| format!("{NEW_ID_PREFIX}new"));
    let provider = provider_from_body(&body, stand_in.as_deref(), &user.name, allow)?;
    let door = state.door.clone();
    let record = blocking(move || {
        if assign_id { door.create_with_new_id(provider, &user.name) } else { door.create(provider, &user.name) }
    })
    .await?
    .record;
    let mut response = feature_response(StatusCode::CREATED, &record, &state.vacancy_clock())?;
    let location = format!("/api/admin/providers/{}", utf8_percent_path(&record.provider.id));
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Percent-encodes a path segment (ids are free text, e.g. Japanese).
fn utf8_percent_path(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /api/admin/providers/{id}`: the provider (also when deleted) with its ETag. A provider
/// account may read its own providers only.
async fn provider_admin_get(
    account: Account,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    account.require_provider(&id)?;
    no_params(query.as_deref())?;
    let store = state.store.clone();
    let lookup = id.clone();
    let record = blocking(move || store.provider_record(&lookup)).await?;
    let record = record.ok_or_else(|| ApiError::NotFound(format!("provider '{id}'")))?;
    feature_response(StatusCode::OK, &record, &state.vacancy_clock())
}

/// `PUT /api/admin/providers/{id}[?allow_outside_japan=true]` with `If-Match` and a Feature.
async fn provider_update(
    user: StaffUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let expected = if_match_versions(&headers)?;
    let allow = write_params(query.as_deref())?;
    let mut provider = provider_from_body(&body, Some(&id), &user.name, allow)?;
    // The vacancy's note and places belong to the vacancy write (`PATCH …/vacancy`): a PUT that
    // leaves them out keeps them (a stale version still meets If-Match at the door).
    let missing: Vec<&'static str> = ["accepting_note", "accepting_places"]
        .into_iter()
        .filter(|k| body.get("properties").and_then(|p| p.get(*k)).is_none())
        .collect();
    if !missing.is_empty() {
        let store = state.store.clone();
        let lookup = id.clone();
        if let Some(stored) = blocking(move || store.provider_record(&lookup)).await? {
            for f in missing.into_iter().filter_map(crate::domain::field) {
                f.copy(&mut provider, &stored.provider);
            }
        }
    }
    let door = state.door.clone();
    let record = blocking(move || door.update(provider, &expected, &user.name)).await?.record;
    feature_response(StatusCode::OK, &record, &state.vacancy_clock())
}

/// `DELETE /api/admin/providers/{id}` with `If-Match`: soft delete → 200 with the new ETag.
async fn provider_delete(
    user: StaffUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    set_deleted(user, state, id, query, &headers, true).await
}

/// `POST /api/admin/providers/{id}/restore` with `If-Match`.
async fn provider_restore(
    user: StaffUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    set_deleted(user, state, id, query, &headers, false).await
}

/// Soft-deletes or restores the provider at the `If-Match` version → 200 with the new ETag.
async fn set_deleted(
    user: StaffUser,
    state: AppState,
    id: String,
    query: Option<String>,
    headers: &HeaderMap,
    deleted: bool,
) -> ApiResult<Response> {
    let expected = if_match_versions(headers)?;
    no_params(query.as_deref())?;
    let door = state.door.clone();
    let record = blocking(move || door.set_deleted(&id, deleted, &expected, &user.name)).await?.record;
    feature_response(StatusCode::OK, &record, &state.vacancy_clock())
}

/// `POST /api/admin/providers/{id}/revert` with `If-Match` and `{"version": N}`: the fields
/// of version N become the next version.
async fn provider_revert(
    user: StaffUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let expected = if_match_versions(&headers)?;
    no_params(query.as_deref())?;
    let mut errors = Vec::new();
    if let Some(map) = body.as_object() {
        errors.extend(map.keys().filter(|k| *k != "version").map(|k| FieldError::new(k, "is not a revert field")));
    }
    let version = body.get("version").and_then(Value::as_i64).filter(|v| *v >= 1);
    if version.is_none() {
        errors.push(FieldError::new("version", "is required: the version number to go back to (1 or more)"));
    }
    let (Some(version), true) = (version, errors.is_empty()) else {
        return Err(unprocessable(errors));
    };
    let door = state.door.clone();
    let record = blocking(move || door.revert(&id, version, &expected, &user.name)).await?.record;
    feature_response(StatusCode::OK, &record, &state.vacancy_clock())
}
