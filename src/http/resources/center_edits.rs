//! Staff edits of the 地域包括支援センター under `/api/admin/community-centers`: the list with
//! the layer's version, create (`POST`), replace (`PUT …/{id}`), delete (`DELETE …/{id}`) and
//! the log of who changed what (`GET …/history`). Editor role.
//!
//! The layer has one version (its ETag), not one per centre: a city has a handful of centres,
//! edited rarely, and their 担当区域 depend on each other (moving a 町丁目 from one centre to
//! another touches both), so any write names the layer version it has seen in `If-Match`
//! (428 without, 412 with the current layer when someone changed it meanwhile). An import of
//! the centres advances the version too.
//!
//! A centre is a GeoJSON Feature: a Point in Japan, `name` (required), `address`, `phone` (the
//! providers' rule: a Japanese number such as 04-7150-1234) and `areas`, the 担当区域 as a list
//! of 町丁目 (「南流山一丁目」) or whole towns (「南流山」) that the address data must know: the
//! unknown ones are named in a 422. Each write and its log entry are one transaction; the
//! served centres are swapped right after, so `/api/community-centers/for` answers with the
//! change at once.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::address::centers::CommunityCenter;
use crate::address::{Gazetteer, is_town_code};
use crate::domain::provider::is_phone_number;
use crate::domain::{FieldError, LonLat, now_utc};
use crate::store::{CenterWrite, StoreError};

use super::address_import::LAYER_WRITES;
use super::community_centers::feature;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult, blocking, off_thread, store_error, unprocessable};
use crate::http::plumbing::authenticate::StaffUser;
use crate::http::plumbing::body::JsonBody;
use crate::http::plumbing::output::GEOJSON;
use crate::http::plumbing::params::Params;
use crate::http::plumbing::preconditions::{etag, if_match_versions};

/// The `source` of a centre created by staff.
pub const STAFF_SOURCE: &str = "staff";
/// The prefix of ids the server assigns (`center-1`, `center-2` …).
const NEW_ID_PREFIX: &str = "center-";
/// Longest name or address, characters.
const MAX_TEXT_CHARS: usize = 200;
/// Most 担当区域 entries of one centre.
const MAX_AREAS: usize = 2000;
/// Most log entries per request.
const MAX_HISTORY: u64 = 1000;

/// Routes under `/api/admin/community-centers`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/community-centers", get(centers_admin_list).post(center_create))
        .route("/api/admin/community-centers/history", get(centers_history))
        .route("/api/admin/community-centers/{id}", axum::routing::put(center_update).delete(center_delete))
}

/// The layer as the staff page reads it: every centre and the version.
fn layer_json(centers: &[CommunityCenter], version: i64) -> Value {
    json!({
        "type": "FeatureCollection",
        "version": version,
        "features": centers.iter().map(|c| serde_json::to_value(feature(c)).unwrap_or(Value::Null)).collect::<Vec<_>>(),
    })
}

fn with_etag(mut response: Response, version: i64) -> Response {
    response.headers_mut().insert(header::ETAG, etag(version));
    response
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, GEOJSON)], body.to_string()).into_response()
}

/// Maps a store failure of a centre write to its answer.
fn write_error(e: StoreError, layer: Option<Value>) -> ApiError {
    match e {
        StoreError::LayerVersion { current } => ApiError::PreconditionFailed {
            version: current,
            current: Box::new(layer.unwrap_or_else(|| json!({ "version": current }))),
        },
        StoreError::Duplicate { id } => ApiError::Exists(FieldError::new(
            "id",
            format!("centre '{id}' already exists; leave the id out to get a new one"),
        )),
        StoreError::NotFound { id } => ApiError::NotFound(format!("community centre '{id}'")),
        e => store_error(e),
    }
}

/// The text property `name` of `properties`: absent or null is empty; another type is an error.
fn text_property(properties: &Value, name: &'static str, errors: &mut Vec<FieldError>) -> String {
    match properties.get(name) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => {
            let s = s.trim().to_owned();
            if s.chars().count() > MAX_TEXT_CHARS {
                errors.push(FieldError::new(name, format!("must be at most {MAX_TEXT_CHARS} characters")));
            }
            s
        }
        Some(_) => {
            errors.push(FieldError::new(name, "must be a string"));
            String::new()
        }
    }
}

/// The 担当区域 of `properties.areas`, each known to `gazetteer`; the unknown ones are named.
fn areas_property(properties: &Value, gazetteer: &Gazetteer, errors: &mut Vec<FieldError>) -> Vec<String> {
    let items = match properties.get("areas") {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) if items.len() <= MAX_AREAS => items,
        Some(Value::Array(_)) => {
            errors.push(FieldError::new("areas", format!("at most {MAX_AREAS} 町丁目")));
            return Vec::new();
        }
        Some(_) => {
            errors.push(FieldError::new("areas", "must be a list of 町丁目 names"));
            return Vec::new();
        }
    };
    let mut areas: Vec<String> = Vec::new();
    let mut unknown = Vec::new();
    for item in items {
        let Some(text) = item.as_str().map(str::trim) else {
            errors.push(FieldError::new("areas", "must be a list of 町丁目 names"));
            return Vec::new();
        };
        // A 町丁目 given by its code is kept as the name the address data gives it.
        let text = if is_town_code(text) { gazetteer.town_of_code(text).unwrap_or(text) } else { text };
        if text.is_empty() || areas.iter().any(|a| a == text) {
            continue;
        }
        if text.chars().count() > MAX_TEXT_CHARS || text.chars().any(char::is_control) || !gazetteer.knows_town(text) {
            unknown.push(text.to_owned());
        }
        areas.push(text.to_owned());
    }
    if !unknown.is_empty() {
        errors.push(FieldError::new(
            "areas",
            format!(
                "not 町丁目 of the address data: {} (check the spelling, e.g. 南流山一丁目 or 南流山)",
                unknown.join("、")
            ),
        ));
    }
    areas
}

/// Reads a centre from a GeoJSON Feature body, naming every bad field (422).
fn center_from_body(body: &Value, id: &str, source: &str, gazetteer: &Gazetteer) -> ApiResult<CommunityCenter> {
    let mut errors = Vec::new();
    if body.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(unprocessable(vec![FieldError::new(
            "type",
            "the body must be a GeoJSON Feature (\"type\": \"Feature\")",
        )]));
    }
    match body.get("id") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s == id => {}
        Some(_) => errors.push(FieldError::new("id", format!("must be '{id}' (the id of the URL) or left out"))),
    }
    let location = body
        .get("geometry")
        .filter(|g| g.get("type").and_then(Value::as_str) == Some("Point"))
        .and_then(|g| g.get("coordinates")?.as_array().cloned())
        .and_then(|c| match c.as_slice() {
            [lon, lat] => LonLat::new(lon.as_f64()?, lat.as_f64()?).ok(),
            _ => None,
        })
        .filter(|p| p.is_in_japan_extent());
    if location.is_none() {
        errors.push(FieldError::new("geometry", "must be a Point in Japan: [longitude, latitude] in WGS84"));
    }
    let empty = Value::Object(serde_json::Map::new());
    let properties = match body.get("properties") {
        Some(p @ Value::Object(_)) => p,
        None | Some(Value::Null) => &empty,
        Some(_) => {
            errors.push(FieldError::new("properties", "must be an object"));
            &empty
        }
    };
    let name = text_property(properties, "name", &mut errors);
    if name.is_empty() {
        errors.push(FieldError::new("name", "must not be empty"));
    }
    let address = text_property(properties, "address", &mut errors);
    let phone = text_property(properties, "phone", &mut errors);
    if !phone.is_empty() && !is_phone_number(&phone) {
        errors.push(FieldError::new("phone", "must be a Japanese phone number such as 04-7150-1234"));
    }
    let areas = areas_property(properties, gazetteer, &mut errors);
    match location {
        Some(location) if errors.is_empty() => {
            Ok(CommunityCenter { id: id.to_owned(), name, address, phone, location, areas, source: source.to_owned() })
        }
        _ => Err(unprocessable(errors)),
    }
}

/// The id of a new centre: the body's, or `center-<n>` one past the largest in use.
fn new_id(body: &Value, existing: &[CommunityCenter]) -> ApiResult<String> {
    match body.get("id") {
        None | Some(Value::Null) => {
            let n = existing
                .iter()
                .filter_map(|c| c.id.strip_prefix(NEW_ID_PREFIX)?.parse::<u64>().ok())
                .max()
                .unwrap_or(0);
            Ok(format!("{NEW_ID_PREFIX}{}", n + 1))
        }
        Some(Value::String(s))
            if !s.trim().is_empty()
                && s.len() <= 64
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            Ok(s.clone())
        }
        Some(_) => Err(unprocessable(vec![FieldError::new("id", "must be 1 to 64 letters, digits, '-' or '_'")])),
    }
}

/// Runs one write under the layer lock, then swaps the served centres; the new version and
/// the centre written.
fn write(
    state: &AppState,
    id: Option<&str>,
    body: Option<&Value>,
    expected: &[i64],
    actor: &str,
) -> ApiResult<(i64, Option<CommunityCenter>)> {
    let _guard = LAYER_WRITES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let store = state.store.as_ref();
    let existing = store.load_community_centers().map_err(store_error)?;
    let create = id.is_none();
    let id = match id {
        Some(id) => id.to_owned(),
        None => new_id(body.unwrap_or(&Value::Null), &existing)?,
    };
    let source = existing.iter().find(|c| c.id == id).map_or(STAFF_SOURCE, |c| c.source.as_str()).to_owned();
    let center = match body {
        Some(body) => Some(center_from_body(body, &id, &source, &state.addresses.load())?),
        None => None,
    };
    let changed_at = now_utc();
    let written = store.write_community_center(&CenterWrite {
        id: &id,
        after: center.as_ref(),
        create,
        expected,
        changed_by: actor,
        changed_at: &changed_at,
    });
    let version = match written {
        Ok(version) => version,
        Err(e @ StoreError::LayerVersion { current }) => {
            return Err(write_error(e, Some(layer_json(&existing, current))));
        }
        Err(e) => return Err(write_error(e, None)),
    };
    state.reload_community_centers().map_err(store_error)?;
    tracing::info!(actor, center = %id, version, deleted = center.is_none(), "地域包括支援センター changed");
    Ok((version, center))
}

/// `GET /api/admin/community-centers`: every centre and the layer version (also the ETag).
async fn centers_admin_list(
    _user: StaffUser,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    Params::parse(query.as_deref())?.finish()?;
    let store = state.store.clone();
    let (centers, version) = blocking(move || {
        let _guard = LAYER_WRITES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok::<_, StoreError>((store.load_community_centers()?, store.community_centers_version()?))
    })
    .await?;
    Ok(with_etag(json_response(StatusCode::OK, &layer_json(&centers, version)), version))
}

/// `POST /api/admin/community-centers` with `If-Match` (the layer version) and a Feature →
/// 201 with `Location`, the new layer version as ETag.
async fn center_create(
    user: StaffUser,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    Params::parse(query.as_deref())?.finish()?;
    let expected = if_match_versions(&headers)?;
    let task_state = state.clone();
    let (version, center) = off_thread(move || write(&task_state, None, Some(&body), &expected, &user.name)).await??;
    let center = center.ok_or_else(|| ApiError::Internal("a create without a centre".into()))?;
    let body = serde_json::to_value(feature(&center)).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut response = with_etag(json_response(StatusCode::CREATED, &body), version);
    let location: String = form_urlencoded::byte_serialize(center.id.as_bytes()).collect();
    if let Ok(value) = HeaderValue::from_str(&format!("/api/admin/community-centers/{location}")) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `PUT /api/admin/community-centers/{id}` with `If-Match` and a Feature → 200, new ETag.
async fn center_update(
    user: StaffUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    Params::parse(query.as_deref())?.finish()?;
    let expected = if_match_versions(&headers)?;
    let task_state = state.clone();
    let (version, center) =
        off_thread(move || write(&task_state, Some(&id), Some(&body), &expected, &user.name)).await??;
    let center = center.ok_or_else(|| ApiError::Internal("an update without a centre".into()))?;
    let body = serde_json::to_value(feature(&center)).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(with_etag(json_response(StatusCode::OK, &body), version))
}

/// `DELETE /api/admin/community-centers/{id}` with `If-Match` → 204, new ETag.
async fn center_delete(
    user: StaffUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    Params::parse(query.as_deref())?.finish()?;
    let expected = if_match_versions(&headers)?;
    let task_state = state.clone();
    let (version, _) = off_thread(move || write(&task_state, Some(&id), None, &expected, &user.name)).await??;
    Ok(with_etag(StatusCode::NO_CONTENT.into_response(), version))
}

/// `GET /api/admin/community-centers/history[?limit=100]`: who changed which centre, newest
/// first, each change as `{field, label, from, to}`.
async fn centers_history(
    _user: StaffUser,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let mut params = Params::parse(query.as_deref())?;
    let limit = params.integer("limit", 100, 1..=MAX_HISTORY);
    params.finish()?;
    let store = state.store.clone();
    let events = blocking(move || store.community_center_events(usize::try_from(limit).unwrap_or(100))).await?;
    let entries: Vec<Value> = events
        .into_iter()
        .map(|e| {
            json!({
                "seq": e.seq,
                "center_id": e.center_id,
                "action": e.action,
                "version": e.layer_version,
                "changed_at": e.changed_at,
                "changed_by": e.changed_by,
                "changes": e.changes,
            })
        })
        .collect();
    Ok(([(header::CONTENT_TYPE, "application/json")], json!({ "entries": entries }).to_string()).into_response())
}
