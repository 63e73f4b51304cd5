//! Districts (日常生活圏域) as GeoJSON.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::catalog::{Filter, Snapshot};
use crate::domain::District;

use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::plumbing::output::GEOJSON;

/// Routes under `/api/districts`.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/districts", get(districts_list)).route("/api/districts/{id}", get(district_get))
}

/// A district as a GeoJSON Feature with its provider count (also used by the OGC API).
pub(super) fn feature(snapshot: &Snapshot, d: &District) -> Value {
    let mut f = d.to_feature();
    let count = snapshot.all(&Filter { district: Some(d.id.clone()), ..Filter::default() }).len();
    f["properties"]["provider_count"] = json!(count);
    f
}

fn geojson(value: &Value) -> Response {
    ([(header::CONTENT_TYPE, GEOJSON)], value.to_string()).into_response()
}

/// `GET /api/districts`: every district as a FeatureCollection, with provider counts.
async fn districts_list(State(state): State<AppState>) -> Response {
    let snapshot = state.catalog.snapshot();
    let features: Vec<Value> = snapshot.districts().iter().map(|d| feature(&snapshot, d)).collect();
    geojson(&json!({ "type": "FeatureCollection", "features": features }))
}

/// `GET /api/districts/{id}`: one district as a Feature.
async fn district_get(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let snapshot = state.catalog.snapshot();
    let district = snapshot.district(&id).ok_or_else(|| ApiError::NotFound(format!("district '{id}'")))?;
    Ok(geojson(&feature(&snapshot, district)))
}
