//! The coverage grid as the OGC collection `coverage`, so QGIS and GDAL can load and style it:
//! `/ogc/collections/coverage/items` takes the parameters of `/api/coverage` (`preset`, `mesh`,
//! `threshold_m`, `population`, `supply`, `district` and the provider filters) and answers the
//! same cells with the same properties, paged like every collection (`limit`, `offset`, `next`),
//! filtered by `bbox` (any offered `bbox-crs`) and in any offered `crs`.
//!
//! The collection's cells are those of `district`, or else of the whole city (every district);
//! `bbox` then keeps the cells that touch it, so a GIS client's viewport never changes the
//! values. With no preset and no provider filter the question is
//! [`DEFAULT_PRESET`] on 250 m squares, so a client that sends no parameters gets a map.

use axum::http::HeaderMap;
use axum::response::Response;
use geo::{MultiPolygon, Rect, coord};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::catalog::Snapshot;
use crate::coverage::PopulationLayers;
use crate::spatial::crs::Crs;
use crate::spatial::mesh::{MeshCell, MeshLevel};

use super::super::coverage::{self as api, Defaults, Request};
use super::collections::queryables_link;
use super::datetime::format_utc;
use super::items::{item_links, page_links, render, window, with_headers};
use super::links::Query;
use super::reproject::{BboxQuery, crs_param, feature_value_out};
use super::{Base, CollectionId, Format};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::plumbing::params::Params;

/// The question a client gets when it names neither a preset nor a provider filter.
pub const DEFAULT_PRESET: &str = "home-care-24h-2km";
/// The squares it gets when it sends no `mesh`.
pub const DEFAULT_MESH: MeshLevel = MeshLevel::Quarter;

const DEFAULTS: Defaults = Defaults { level: DEFAULT_MESH, preset: Some(DEFAULT_PRESET) };
const COLLECTION: CollectionId = CollectionId::Coverage;

/// A cell's outline as an area, for `bbox` tests.
fn cell_area(cell: MeshCell) -> MultiPolygon<f64> {
    let [w, s, e, n] = cell.bounds();
    MultiPolygon(vec![Rect::new(coord! { x: w, y: s }, coord! { x: e, y: n }).to_polygon()])
}

/// Reads the coverage question and its area (`district`, or the city); with no district
/// loaded the `bbox` envelope is the area, as on `/api/coverage`.
fn question(params: &mut Params, snapshot: &Snapshot, layers: &PopulationLayers, bbox: Option<&BboxQuery>) -> Request {
    let mut request = api::parse_question(params, layers, DEFAULTS);
    let district = request.district.take();
    let envelope = match bbox {
        Some(b) if district.is_none() && snapshot.districts().is_empty() => {
            let (min, max) = (b.envelope.min, b.envelope.max);
            Some([min.lon(), min.lat(), max.lon(), max.lat()]).filter(|e| e[0] <= e[2])
        }
        _ => None,
    };
    request.cells = api::area_cells(params, snapshot, request.level, district, envelope);
    request
}

/// The extent of the default items: every square of the city at [`DEFAULT_MESH`], as CRS84
/// `[minLon, minLat, maxLon, maxLat]`; `None` when no district is loaded.
pub fn extent(snapshot: &Snapshot) -> Option<[f64; 4]> {
    api::city_cells(snapshot, DEFAULT_MESH)
        .iter()
        .map(|c| c.bounds())
        .reduce(|a, b| [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])])
}

/// A computed cell as a Feature in `crs`.
fn feature_in(c: &crate::coverage::CellCoverage, district: Option<&String>, crs: Crs) -> ApiResult<Value> {
    let mut value = api::cell_feature(c, district);
    feature_value_out(&mut value, crs).map_err(|e| ApiError::param("crs", e.to_string()))?;
    Ok(value)
}

/// `GET /ogc/collections/coverage/items`: a page of grid cells as a GeoJSON FeatureCollection
/// in the order `/api/coverage` lists them, with `numberMatched`, `numberReturned`,
/// `next`/`prev` links, and the question answered (`mesh`, `threshold_m`, `population`).
pub async fn items_list(state: AppState, raw: Option<String>, headers: HeaderMap, base: Base) -> ApiResult<Response> {
    let snapshot = state.catalog.snapshot();
    let mut params = Params::parse(raw.as_deref())?.judging_staleness_by(state.vacancy_clock());
    let w = window(&mut params);
    // One set of layers for checking `population` and computing with it.
    let layers = state.population.load_full();
    let request = question(&mut params, &snapshot, &layers, w.bbox.as_ref());
    let format = Format::from_params(&mut params, true, &headers);
    params.finish()?;
    let done = api::compute(&state, snapshot, layers.clone(), request).await?;
    let mut kept = Vec::with_capacity(done.cells.len());
    for (c, district) in done.cells.iter().zip(&done.districts) {
        let inside = match &w.bbox {
            Some(b) => b.intersects(&cell_area(c.cell)).map_err(|e| ApiError::param("bbox", e.to_string()))?,
            None => true,
        };
        if inside {
            kept.push((c, district.as_ref()));
        }
    }
    let features = kept
        .iter()
        .skip(w.offset)
        .take(w.limit)
        .map(|(c, district)| feature_in(c, *district, w.crs))
        .collect::<ApiResult<Vec<_>>>()?;
    let links_query = Query::parse(raw.as_deref());
    let body = json!({
        "type": "FeatureCollection",
        "timeStamp": format_utc(OffsetDateTime::now_utc()),
        "numberMatched": kept.len(),
        "numberReturned": features.len(),
        "mesh": done.request.level.name(),
        "threshold_m": done.request.threshold_m,
        "population": api::column_info(&layers, done.request.population.as_deref()),
        "features": features,
        "links": page_links(&base, COLLECTION, &links_query, (format, w.limit, w.offset), kept.len()),
    });
    let title = format!("{} – 地物", COLLECTION.title());
    Ok(with_headers(render(&body, format, &title), w.crs, Some(queryables_link(COLLECTION, &base))))
}

/// `GET /ogc/collections/coverage/items/{mesh_code}`: one cell, computed with the same
/// parameters as the items (so its values equal the cell's in the items); 404 when the
/// square is not in the area asked.
pub async fn item_get(
    state: AppState,
    feature_id: String,
    raw: Option<String>,
    headers: HeaderMap,
    base: Base,
) -> ApiResult<Response> {
    let snapshot = state.catalog.snapshot();
    let mut params = Params::parse(raw.as_deref())?.judging_staleness_by(state.vacancy_clock());
    let crs = crs_param(&mut params, "crs").unwrap_or(Crs::Crs84);
    let layers = state.population.load_full();
    let request = question(&mut params, &snapshot, &layers, None);
    let format = Format::from_params(&mut params, true, &headers);
    params.finish()?;
    let not_found = || ApiError::NotFound(format!("feature '{feature_id}' in collection '{}'", COLLECTION.id()));
    let wanted = MeshCell::parse(&feature_id).map_err(|_| not_found())?;
    let done = api::compute(&state, snapshot, layers, request).await?;
    let (c, district) = done.cells.iter().zip(&done.districts).find(|(c, _)| c.cell == wanted).ok_or_else(not_found)?;
    let mut value = feature_in(c, district.as_ref(), crs)?;
    let links = item_links(&base, COLLECTION, &feature_id, raw.as_deref(), format);
    value["links"] = serde_json::to_value(&links).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(with_headers(render(&value, format, &format!("メッシュ {}", wanted.code())), crs, None))
}

/// The items parameters beyond paging and space, as OpenAPI Parameter Objects, each with an
/// example the server accepts. `districts` and `columns` are the loaded ids and column codes.
pub fn openapi_parameters(districts: &[&str], columns: &[&str]) -> Vec<Value> {
    let param = |name: &str, description: &str, schema: Value, example: Value| {
        json!({ "name": name, "in": "query", "required": false, "style": "form", "explode": false,
                "description": description, "schema": schema, "example": example })
    };
    let presets: Vec<&str> = api::preset_ids();
    let mut p = vec![
        param(
            "preset",
            "A named question of the city's plan (a provider filter and a distance). Without a preset \
             and without provider filters the collection answers `home-care-24h-2km`.",
            json!({ "type": "string", "enum": presets, "default": DEFAULT_PRESET }),
            json!(presets.get(2).or(presets.first()).copied().unwrap_or(DEFAULT_PRESET)),
        ),
        param(
            "mesh",
            "Grid level of the cells (JIS X 0410 3次 1 km, 4次 500 m, 5次 250 m).",
            json!({ "type": "string", "enum": ["250m", "500m", "1km"], "default": DEFAULT_MESH.name() }),
            json!("500m"),
        ),
        param(
            "threshold_m",
            "Distance in metres within which a provider counts as reachable (`count_within`, and the \
             catchment of `access`); default the preset's, else 2000.",
            json!({ "type": "number", "minimum": 100, "maximum": 50000 }),
            json!(1500),
        ),
        param(
            "population",
            "Population column (code) for `population` and `access`.",
            json!({ "type": "string", "enum": columns }),
            columns.first().map_or(Value::Null, |c| json!(c)),
        ),
        param(
            "supply",
            "What a provider supplies in `access`: one each, or its capacity where known.",
            json!({ "type": "string", "enum": ["providers", "capacity"], "default": "providers" }),
            json!("capacity"),
        ),
        param(
            "district",
            "Only the cells whose centre lies in this district (the area, not a provider filter: \
             providers beyond it still count).",
            json!({ "type": "string", "enum": districts }),
            districts.first().map_or(Value::Null, |d| json!(d)),
        ),
        param(
            "kind",
            "Provider filter: comma list of provider kinds.",
            json!({ "type": "string" }),
            json!("clinic,hospital"),
        ),
        param(
            "service",
            "Provider filter: comma list of MHLW service codes.",
            json!({ "type": "string" }),
            json!("130"),
        ),
    ];
    for (name, description) in [
        ("accepting", "Provider filter: takes new clients now."),
        ("home_care", "Provider filter: does home medical care."),
        ("available_24h", "Provider filter: home medical care 24 hours."),
    ] {
        p.push(param(name, description, json!({ "type": "boolean" }), json!(true)));
    }
    p.push(param(
        "q",
        "Provider filter: text in the name, kana or address.",
        json!({ "type": "string", "maxLength": crate::http::plumbing::params::MAX_TEXT_CHARS }),
        json!("流山"),
    ));
    p.into_iter().filter(|p| !p["example"].is_null()).collect()
}
