//! Public provider queries: nearest, list by area, search in a drawn polygon, one by id.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::catalog::{Filter, Found, Snapshot, SortBy};
use crate::domain::{AreaError, Bbox, FieldError, VacancyClock, search_area_from_json};
use crate::formats::geojson::FeatureOut;

use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::plumbing::body::JsonBytes;
use crate::http::plumbing::output::{CsvFile, Format, GEOJSON, parse_properties, respond_as, respond_selecting};
use crate::http::plumbing::params::Params;
use crate::http::resources::address::{Origin, address_param, respond_with_origin};

/// Most results of a nearest query.
pub const MAX_K: u64 = 100;
/// Most results of one list page.
pub const MAX_LIMIT: u64 = 10_000;
/// Default list page size.
pub const DEFAULT_LIMIT: u64 = 100;
/// Largest radius of a `near` query, metres.
pub const MAX_RADIUS_M: f64 = 100_000.0;

/// Routes under `/api/providers`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/providers", get(providers_list))
        .route("/api/providers/nearest", get(providers_nearest))
        .route("/api/providers/search", post(providers_search))
        .route("/api/providers/{id}", get(provider_get))
}

fn format_param(params: &mut Params) -> Format {
    let raw = params.raw("f");
    Format::parse(raw.as_deref()).unwrap_or_else(|reason| {
        params.error("f", reason);
        Format::GeoJson
    })
}

fn page_params(params: &mut Params) -> (usize, usize) {
    let limit = params.integer("limit", DEFAULT_LIMIT, 1..=MAX_LIMIT);
    let offset = params.integer("offset", 0, 0..=u64::from(u32::MAX));
    (usize::try_from(limit).unwrap_or(usize::MAX), usize::try_from(offset).unwrap_or(usize::MAX))
}

fn filter_params(params: &mut Params, snapshot: &Snapshot) -> Filter {
    params.filter(|d| snapshot.district(d).is_some())
}

fn paged(
    found: &[Found<'_>],
    (offset, limit): (usize, usize),
    format: Format,
    csv: &CsvFile<'_>,
    clock: &VacancyClock,
) -> Response {
    let page: Vec<Found<'_>> = found.iter().skip(offset).take(limit).copied().collect();
    respond_as(&page, found.len(), format, csv, clock)
}

/// How a CSV of this query is named: after its district when it has one (`南部圏域`), else
/// after its area (`what`, `what_ascii`).
fn csv_file<'a>(snapshot: &'a Snapshot, filter: &Filter, what: &str, what_ascii: &str) -> CsvFile<'a> {
    let districts = snapshot.districts();
    match filter.district.as_deref().and_then(|id| snapshot.district(id)) {
        Some(d) => CsvFile { what: format!("{}圏域", d.name), what_ascii: d.id.clone(), districts },
        None => CsvFile { what: what.into(), what_ascii: what_ascii.into(), districts },
    }
}

/// `GET /api/providers/nearest?lon=&lat=|address=&k=10[&max_distance_m=][filters][&f=csv]`; with
/// `address`, the GeoJSON says in `origin` which point and level were used.
async fn providers_nearest(State(state): State<AppState>, RawQuery(query): RawQuery) -> ApiResult<Response> {
    let snapshot = state.catalog.snapshot();
    // One clock for the request: the `accepting_stale` filter and the output judge by one instant.
    let clock = state.vacancy_clock();
    let mut params = Params::parse(query.as_deref())?.judging_staleness_by(clock.clone());
    let origin = address_param(&mut params, &state.addresses.load(), &["lon", "lat"]);
    let from = match &origin {
        Some(origin) => origin.as_ref().map(Origin::location),
        None => params.lon_lat("lon", "lat"),
    };
    let k = params.integer("k", 10, 1..=MAX_K);
    let max_distance_m = params.number("max_distance_m", 0.0..=20_100_000.0);
    let filter = filter_params(&mut params, &snapshot);
    let format = format_param(&mut params);
    params.finish()?;
    let from = from.ok_or_else(|| ApiError::param("lon", "is required"))?;
    let found = snapshot.nearest(from, usize::try_from(k).unwrap_or(10), max_distance_m, &filter);
    if let (Some(Some(origin)), Format::GeoJson) = (&origin, format) {
        return Ok(respond_with_origin(&found, found.len(), origin, &clock));
    }
    let csv = csv_file(&snapshot, &filter, "近くの事業所", "nearest");
    Ok(respond_as(&found, found.len(), format, &csv, &clock))
}

/// `sortby` (`name,-updated_at`) and `properties` (`name,phone`), shared by the lists; errors
/// name the parameter. `properties` is for GeoJSON only (CSV columns are fixed).
fn list_shape_params(params: &mut Params, format: Format) -> (SortBy, Option<Vec<String>>) {
    let sortby = params.raw("sortby").map_or_else(SortBy::default, |raw| {
        SortBy::parse(&raw).unwrap_or_else(|reason| {
            params.error("sortby", reason);
            SortBy::default()
        })
    });
    let properties = params.raw("properties").and_then(|raw| match format {
        Format::Csv => {
            params.error("properties", "is for GeoJSON; CSV files have fixed columns");
            None
        }
        Format::GeoJson => parse_properties(&raw).map_err(|r| params.error("properties", r)).ok(),
    });
    (sortby, properties)
}

/// `GET /api/providers?bbox=|near=&radius_m=|address=&radius_m=|district=[filters][&q=][&sortby=][&properties=]
/// [&limit=][&offset=][&f=csv]`, a heavy query (see [`crate::http::plumbing::load_shedding::Limits::run_heavy`]).
async fn providers_list(State(state): State<AppState>, RawQuery(query): RawQuery) -> ApiResult<Response> {
    let snapshot = state.catalog.snapshot();
    let clock = state.vacancy_clock();
    let mut params = Params::parse(query.as_deref())?.judging_staleness_by(clock.clone());
    let near_given = params.has("near") || params.has("address");
    if params.has("bbox") && near_given {
        params.error("bbox", "give one area only: bbox, or near (or address) with radius_m");
    }
    if params.has("radius_m") != near_given {
        params.error(if near_given { "radius_m" } else { "near" }, "near (or address) and radius_m go together");
    }
    let origin = address_param(&mut params, &state.addresses.load(), &["near"]).flatten();
    let bbox = params.raw("bbox").and_then(|raw| match Bbox::parse(&raw) {
        Ok(b) => Some(b),
        Err(e) => {
            params.error("bbox", e.to_string());
            None
        }
    });
    let near = match &origin {
        Some(origin) => Some(origin.location()),
        None => params.position("near"),
    };
    let radius_m = params.number("radius_m", 1.0..=MAX_RADIUS_M);
    let filter = filter_params(&mut params, &snapshot);
    let (limit, offset) = page_params(&mut params);
    let format = format_param(&mut params);
    let (sortby, properties) = list_shape_params(&mut params, format);
    params.finish()?;
    state
        .limits
        .run_heavy(move |stop| {
            let (mut found, csv) = match (bbox, near, radius_m) {
                (Some(bbox), _, _) => (
                    snapshot.in_bbox_until(&bbox, &filter, stop)?,
                    csv_file(&snapshot, &filter, "地図の範囲", "map_area"),
                ),
                (None, Some(center), Some(radius_m)) => (
                    snapshot.within_radius_until(center, radius_m, &filter, stop)?,
                    csv_file(&snapshot, &filter, "周辺", "nearby"),
                ),
                _ if filter.text.is_some() => {
                    (snapshot.all_until(&filter, stop)?, csv_file(&snapshot, &filter, "検索結果", "search"))
                }
                _ => (snapshot.all_until(&filter, stop)?, csv_file(&snapshot, &filter, "一覧", "providers")),
            };
            sortby.sort(&mut found);
            let page = || -> Vec<Found<'_>> { found.iter().skip(offset).take(limit).copied().collect() };
            if let Some(keep) = &properties {
                return Ok(respond_selecting(&page(), found.len(), keep, &clock));
            }
            if let (Some(origin), Format::GeoJson) = (&origin, format) {
                return Ok(respond_with_origin(&page(), found.len(), origin, &clock));
            }
            Ok(paged(&found, (offset, limit), format, &csv, &clock))
        })
        .await
}

/// `POST /api/providers/search[?filters&limit&offset&f]` with a GeoJSON Polygon or
/// MultiPolygon (bare, or as a Feature's geometry), a heavy query (see
/// [`crate::http::plumbing::load_shedding::Limits::run_heavy`]).
async fn providers_search(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    JsonBytes(body): JsonBytes,
) -> ApiResult<Response> {
    let snapshot = state.catalog.snapshot();
    let clock = state.vacancy_clock();
    let mut params = Params::parse(query.as_deref())?.judging_staleness_by(clock.clone());
    let filter = filter_params(&mut params, &snapshot);
    let (limit, offset) = page_params(&mut params);
    let format = format_param(&mut params);
    params.finish()?;
    state
        .limits
        .run_heavy(move |stop| {
            let area = match search_area_from_json(&body) {
                Ok(area) => area,
                Err(e) => {
                    let field = if matches!(e, AreaError::Syntax(_)) { "body" } else { "geometry" };
                    let errors = vec![FieldError::new(field, e.to_string())];
                    return Ok(ApiError::InvalidBody { status: StatusCode::BAD_REQUEST, errors }.into_response());
                }
            };
            let found = snapshot.in_area_until(&area, &filter, stop)?;
            let csv = csv_file(&snapshot, &filter, "描いた範囲", "drawn_area");
            Ok(paged(&found, (offset, limit), format, &csv, &clock))
        })
        .await
}

/// `GET /api/providers/{id}`: one provider as a GeoJSON Feature.
async fn provider_get(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let snapshot = state.catalog.snapshot();
    let provider = snapshot.get(&id).ok_or_else(|| ApiError::NotFound(format!("provider '{id}'")))?;
    let body = serde_json::to_vec(&FeatureOut::new(provider, None).fresh(&state.vacancy_clock()))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(axum::http::header::CONTENT_TYPE, GEOJSON)], body).into_response())
}
