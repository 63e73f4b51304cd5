//! What the pages need to know about the server: service codes and groups, the provider's
//! fields, the dataset (sample or real), map tiles; plus health checks.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::{GROUPS, Kind, PROVIDER_FIELDS, ProviderField, ProviderFields, SERVICE_TYPES};

use crate::http::plumbing::integrity::{FAILED_DETAIL, Integrity};
use crate::http::{ApiError, AppState};

/// A base-map tile layer offered to the page.
#[derive(Debug, Clone, Serialize)]
pub struct TileLayer {
    /// Stable id, e.g. `gsi`.
    pub id: String,
    /// Name shown in the layer switcher.
    pub name: String,
    /// URL template with `{z}/{x}/{y}`.
    pub url: String,
    /// Attribution HTML required by the tile provider (written by the operator, not from data).
    pub attribution: String,
    /// Highest zoom the provider serves.
    pub max_zoom: u8,
}

/// Routes for metadata and health.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/services", get(services_list))
        .route("/api/fields", get(fields_list))
        .route("/api/about", get(about_get))
        .route("/healthz", get(health_get))
        .route("/readyz", get(ready_get))
}

/// `GET /api/fields`: the provider's fields, in the order of a Feature's properties (the
/// geometry last): key, Japanese label, type, owner, CSV columns, how the staff form edits it.
async fn fields_list() -> Json<&'static [ProviderField]> {
    Json(PROVIDER_FIELDS)
}

/// `GET /api/services`: every service code with its Japanese label, the groups the page shows
/// as filter chips (each with the query parameters it stands for), and the provider kinds.
async fn services_list() -> Json<Value> {
    let mut groups: Vec<Value> = GROUPS
        .iter()
        .map(|g| {
            let codes: Vec<&str> = SERVICE_TYPES.iter().filter(|s| s.group == g.id).map(|s| s.code).collect();
            json!({
                "id": g.id, "label": g.label, "description": g.description,
                "services": codes, "filter": { "service": codes.join(",") },
            })
        })
        .collect();
    groups.insert(
        1,
        json!({
            "id": "home_medical", "label": "在宅医療", "description": "訪問診療・往診をする診療所・病院",
            "services": [], "filter": { "home_care": "true" },
        }),
    );
    let kinds: Vec<Value> = Kind::ALL.iter().map(|k| json!({ "id": k.as_str(), "label": k.label_ja() })).collect();
    Json(json!({ "services": SERVICE_TYPES, "groups": groups, "kinds": kinds }))
}

/// `GET /api/about`: the dataset being served (and whether it is the bundled sample), counts,
/// when its data last changed (`data_updated_at`: the newest provider `updated_at`, null when
/// there are none), the tile layers, and `stale_after_days` (the days after which a vacancy
/// confirmation counts as stale, so the page shows the server's rule).
async fn about_get(State(state): State<AppState>) -> Json<Value> {
    let snapshot = state.catalog.snapshot();
    // Every `updated_at` is written by caremap as RFC 3339 UTC, so the text order is the time order.
    let data_updated_at = snapshot.providers().map(|p| p.updated_at()).max();
    Json(json!({
        "name": "caremap",
        "version": env!("CARGO_PKG_VERSION"),
        "dataset": state.site.dataset,
        "sample": state.site.dataset.as_deref() == Some(crate::generate::sample::SAMPLE_DATASET),
        "providers": snapshot.len(),
        "districts": snapshot.districts().len(),
        "data_updated_at": data_updated_at,
        "tiles": state.site.tiles,
        "stale_after_days": state.stale_after_days,
    }))
}

/// `GET /healthz`: the process is alive.
async fn health_get() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: ready when the catalog is loaded (it always is once the server listens),
/// caught up with the store's change feed within `--ready-max-lag-s` (else 503
/// problem+json with the reason; an unreachable store alone keeps a caught-up server ready,
/// with `"store": "unreachable"`, see [`crate::write::follow::Feed::ready`]), and the API has room for a request (503 while every place
/// is taken, so the API sheds everything). On SQLite the body's `integrity` says where the
/// start-up integrity check stands: `checking` (reads are served, writes answer 503) or `ok`;
/// a failed check makes it 503 while the server shuts down (see
/// [`crate::http::plumbing::integrity`]). No check, no `integrity` (PostgreSQL).
async fn ready_get(State(state): State<AppState>) -> Response {
    let snapshot = state.catalog.snapshot();
    let (providers, applied_seq) = (snapshot.len(), snapshot.applied_seq());
    let integrity = state.integrity.state();
    if let Integrity::Failed(_) = integrity {
        return ApiError::NotReady(FAILED_DETAIL.into()).into_response();
    }
    if let Err(reason) = state.feed.ready(applied_seq, state.ready_max_lag) {
        return ApiError::NotReady(reason).into_response();
    }
    let integrity = integrity.label();
    if state.limits.saturated() {
        let mut status =
            json!({ "status": "overloaded", "providers": providers, "in_flight": state.limits.in_flight() });
        if let Some(integrity) = integrity {
            status["integrity"] = integrity.into();
        }
        return (StatusCode::SERVICE_UNAVAILABLE, Json(status)).into_response();
    }
    let store = if state.feed.status(applied_seq).failure.is_some() { "unreachable" } else { "ok" };
    let mut ready = json!({ "status": "ready", "providers": providers, "applied_seq": applied_seq, "store": store });
    if let Some(integrity) = integrity {
        ready["integrity"] = integrity.into();
    }
    Json(ready).into_response()
}
