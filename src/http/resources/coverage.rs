//! `GET /api/coverage` and `/api/coverage/summary`: where nobody is within reach, per JIS grid
//! square, and per district (see [`crate::coverage`] for what is computed).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use geo::Contains;
use serde::Serialize;
use serde_json::json;

use crate::catalog::{Filter, Snapshot};
use crate::coverage::{CellCoverage, PopulationLayers, Supply, compute_until};
use crate::domain::{Bbox, Kind, LonLat, ServiceSet};
use crate::spatial::mesh::{MeshCell, MeshLevel};

use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::plumbing::output::GEOJSON;
use crate::http::plumbing::params::Params;

/// Most grid cells one request may ask for (a prefecture at 250 m is about 80 000).
pub const MAX_CELLS: usize = 100_000;
/// Default and bounds of `threshold_m`.
const THRESHOLD_M: (f64, f64, f64) = (2_000.0, 100.0, 50_000.0);

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/coverage", get(coverage_cells))
        .route("/api/coverage/summary", get(coverage_summary))
        .route("/api/coverage/presets", get(coverage_presets))
}

/// A named question of the city's plan: a filter and a distance.
struct Preset {
    id: &'static str,
    label: &'static str,
    threshold_m: f64,
    filter: fn() -> Filter,
}

fn home_care_24h() -> Filter {
    Filter {
        kinds: Some(vec![Kind::Clinic, Kind::Hospital]),
        home_care: Some(true),
        available_24h: Some(true),
        ..Filter::default()
    }
}

fn nursing_accepting() -> Filter {
    Filter {
        services: ServiceSet::parse(["130"]).unwrap_or_default(),
        accepting: crate::domain::AcceptingSet::parse("yes"),
        ..Filter::default()
    }
}

const PRESETS: &[Preset] = &[
    Preset {
        id: "home-care-24h-2km",
        label: "24時間対応の在宅療養支援診療所・病院まで2km",
        threshold_m: 2_000.0,
        filter: home_care_24h,
    },
    Preset {
        id: "home-care-24h-16km",
        label: "24時間対応の在宅療養支援診療所・病院まで16km（往診の距離の上限）",
        threshold_m: 16_000.0,
        filter: home_care_24h,
    },
    Preset {
        id: "nursing-accepting-2km",
        label: "新規の利用者を受け入れる訪問看護ステーションまで2km",
        threshold_m: 2_000.0,
        filter: nursing_accepting,
    },
];

/// The ids of the presets, in the order `/api/coverage/presets` lists them.
pub(super) fn preset_ids() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.id).collect()
}

/// What a coverage request asks for, parsed.
pub(super) struct Request {
    pub(super) level: MeshLevel,
    pub(super) threshold_m: f64,
    pub(super) filter: Filter,
    pub(super) cells: Vec<MeshCell>,
    pub(super) population: Option<String>,
    pub(super) supply: Supply,
    /// `district`: the area asked (its squares are listed by [`area_cells`]).
    pub(super) district: Option<String>,
}

/// What a client gets when it names neither a preset nor a provider filter (and no `mesh`).
#[derive(Clone, Copy)]
pub(super) struct Defaults {
    pub(super) level: MeshLevel,
    pub(super) preset: Option<&'static str>,
}

/// `/api/coverage`: 500 m squares, and every provider when no filter is given.
const API_DEFAULTS: Defaults = Defaults { level: MeshLevel::Half, preset: None };

/// The provider-filter parameters (see [`Params::filter`]; `district` is the area here).
pub(super) const FILTER_PARAMS: [&str; 7] =
    ["kind", "service", "accepting", "accepting_stale", "home_care", "available_24h", "q"];

/// Reads everything of a coverage request but `bbox` and `f`: `preset`, `mesh`, `threshold_m`,
/// `population`, `supply`, `district` (the area, kept for [`area_cells`]) and the provider
/// filters. Errors name the parameter; the returned request has no cells yet.
pub(super) fn parse_question(params: &mut Params, layers: &PopulationLayers, defaults: Defaults) -> Request {
    let asked_nothing = !params.has("preset") && FILTER_PARAMS.iter().all(|name| !params.has(name));
    let preset = params.raw("preset").or_else(|| asked_nothing.then(|| defaults.preset.map(str::to_owned)).flatten());
    let preset = preset.map(|id| (PRESETS.iter().find(|p| p.id == id), id));
    let preset = match preset {
        Some((Some(p), _)) => Some(p),
        Some((None, id)) => {
            let ids: Vec<&str> = PRESETS.iter().map(|p| p.id).collect();
            params.error("preset", format!("unknown preset '{id}'; use one of {}", ids.join(", ")));
            None
        }
        None => None,
    };
    let level = match params.raw("mesh").as_deref() {
        None => defaults.level,
        Some(name @ ("250m" | "500m" | "1km")) => MeshLevel::from_name(name).unwrap_or(defaults.level),
        Some(other) => {
            params.error("mesh", format!("must be 250m, 500m or 1km, not '{other}'"));
            defaults.level
        }
    };
    let threshold_m = params
        .number("threshold_m", THRESHOLD_M.1..=THRESHOLD_M.2)
        .or(preset.map(|p| p.threshold_m))
        .unwrap_or(THRESHOLD_M.0);
    let population = params.raw("population");
    let supply = match params.raw("supply").as_deref() {
        None | Some("providers") => Supply::Providers,
        Some("capacity") => Supply::Capacity,
        Some(other) => {
            params.error("supply", format!("must be providers or capacity, not '{other}'"));
            Supply::Providers
        }
    };
    // Read before the filters so that `district` stays the area, not a provider filter:
    // people near a district's edge are served by providers beyond it.
    let district = params.raw("district");
    let given = params.filter(|_| true);
    let mut filter = preset.map_or_else(Filter::default, |p| (p.filter)());
    merge_filter(&mut filter, given);
    if let Some(code) = &population
        && layers.get(code).is_none()
    {
        let codes: Vec<&str> = layers.columns().iter().map(|c| c.code.as_str()).collect();
        params.error("population", format!("unknown population column '{code}'; loaded: {}", list_or_none(&codes)));
    }
    Request { level, threshold_m, filter, cells: Vec::new(), population, supply, district }
}

/// The squares of the area asked: a district's (centres inside it), a box's (every square it
/// touches, CRS84 `[minLon, minLat, maxLon, maxLat]`), or with neither the city's (every
/// district's). Errors name `district` or `bbox`; more than [`MAX_CELLS`] is an error.
pub(super) fn area_cells(
    params: &mut Params,
    snapshot: &Snapshot,
    level: MeshLevel,
    district: Option<String>,
    bbox: Option<[f64; 4]>,
) -> Vec<MeshCell> {
    let cells = match (district, bbox) {
        (Some(_), Some(_)) => {
            params.error("bbox", "give district or bbox, not both");
            Vec::new()
        }
        (Some(id), None) => match snapshot.district(&id) {
            Some(d) => cells_in_area(&d.area, level),
            None => {
                params.error("district", format!("unknown district '{id}'; see /api/districts"));
                Vec::new()
            }
        },
        (None, Some(bounds)) => cells_covering(params, bounds, level),
        (None, None) => {
            let cells = city_cells(snapshot, level);
            if cells.is_empty() {
                params.error("bbox", "is required when no districts are loaded (or give district=)");
            }
            cells
        }
    };
    if cells.len() > MAX_CELLS {
        params.error(
            "bbox",
            format!(
                "covers {} grid squares; at most {MAX_CELLS} per request (use a coarser mesh or a smaller box)",
                cells.len()
            ),
        );
    }
    cells
}

/// Every square whose centre lies in some district, in code order.
pub(super) fn city_cells(snapshot: &Snapshot, level: MeshLevel) -> Vec<MeshCell> {
    let mut cells: Vec<MeshCell> = snapshot.districts().iter().flat_map(|d| cells_in_area(&d.area, level)).collect();
    cells.sort_unstable();
    cells.dedup();
    cells
}

/// A CRS84 `bbox` parameter as `[minLon, minLat, maxLon, maxLat]`; errors name `bbox`.
fn bbox_param(params: &mut Params) -> Option<[f64; 4]> {
    let raw = params.raw("bbox")?;
    match Bbox::parse(&raw) {
        Ok(b) if b.min.lon() <= b.max.lon() => Some([b.min.lon(), b.min.lat(), b.max.lon(), b.max.lat()]),
        Ok(_) => {
            params.error("bbox", "a box across the antimeridian has no grid squares");
            None
        }
        Err(e) => {
            params.error("bbox", e.to_string());
            None
        }
    }
}

/// The whole `/api/coverage` request: the question, its area, and `f` (`true` for CSV).
fn parse(params: &mut Params, snapshot: &Snapshot, layers: &PopulationLayers) -> (Request, bool) {
    let mut request = parse_question(params, layers, API_DEFAULTS);
    let district = request.district.take();
    let bbox_given = params.has("bbox");
    let bbox = bbox_param(params);
    let csv = match params.raw("f").as_deref() {
        None | Some("geojson" | "json") => false,
        Some("csv") => true,
        Some(_) => {
            params.error("f", "must be geojson or csv");
            false
        }
    };
    if !(bbox_given && bbox.is_none()) {
        request.cells = area_cells(params, snapshot, request.level, district, bbox);
    }
    (request, csv)
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() { "none".into() } else { items.join(", ") }
}

/// Explicit provider filters override the preset's.
fn merge_filter(filter: &mut Filter, given: Filter) {
    if given.kinds.is_some() {
        filter.kinds = given.kinds;
    }
    if !given.services.is_empty() {
        filter.services = given.services;
    }
    filter.accepting = given.accepting.or(filter.accepting);
    filter.accepting_stale = given.accepting_stale.or(filter.accepting_stale.take());
    filter.home_care = given.home_care.or(filter.home_care);
    filter.available_24h = given.available_24h.or(filter.available_24h);
    filter.text = given.text.or(filter.text.take());
}

fn cells_covering(params: &mut Params, bounds: [f64; 4], level: MeshLevel) -> Vec<MeshCell> {
    // Refuse a box that is too large before listing its squares.
    let listed = MeshCell::covering_count(bounds, level).and_then(|count| {
        if count > MAX_CELLS {
            params.error("bbox", format!("covers {count} grid squares; at most {MAX_CELLS} per request"));
            return Ok(Vec::new());
        }
        MeshCell::covering(bounds, level)
    });
    listed.unwrap_or_else(|e| {
        params.error("bbox", e.to_string());
        Vec::new()
    })
}

/// The cells whose centres lie inside `area`.
fn cells_in_area(area: &geo::MultiPolygon<f64>, level: MeshLevel) -> Vec<MeshCell> {
    use geo::BoundingRect;
    let Some(rect) = area.bounding_rect() else { return Vec::new() };
    let bounds = [rect.min().x, rect.min().y, rect.max().x, rect.max().y];
    MeshCell::covering(bounds, level)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| {
            let [lon, lat] = c.centroid();
            area.contains(&geo::Point::new(lon, lat))
        })
        .collect()
}

/// The coverage of a request's cells, with each cell's district.
pub(super) struct Computed {
    pub(super) request: Request,
    pub(super) cells: Vec<CellCoverage>,
    pub(super) districts: Vec<Option<String>>,
    pub(super) snapshot: Arc<Snapshot>,
}

/// Computes a parsed request against `snapshot`: thousands of index queries, so a heavy query,
/// off the async workers and stopped at the deadline.
///
/// # Errors
/// 503 when the heavy-query pool is full or the deadline passes.
pub(super) async fn compute(
    state: &AppState,
    snapshot: Arc<Snapshot>,
    layers: Arc<PopulationLayers>,
    request: Request,
) -> ApiResult<Computed> {
    state
        .limits
        .run_heavy(move |stop| {
            let column = request.population.as_deref().and_then(|c| layers.get(c));
            let population = column.map(|c| &c.population);
            let (filter, threshold_m) = (&request.filter, request.threshold_m);
            let cells =
                compute_until(&snapshot, &request.cells, filter, threshold_m, population, request.supply, stop)?;
            let districts = cells
                .iter()
                .map(|c| {
                    let [lon, lat] = c.cell.centroid();
                    LonLat::new(lon, lat).ok().and_then(|p| snapshot.district_of(p)).map(|d| d.id.clone())
                })
                .collect();
            Ok(Computed { request, cells, districts, snapshot })
        })
        .await
}

async fn run(state: &AppState, query: Option<String>) -> ApiResult<(Computed, bool)> {
    let snapshot = state.catalog.snapshot();
    let layers = state.population.load_full();
    let mut params = Params::parse(query.as_deref())?.judging_staleness_by(state.vacancy_clock());
    let (request, csv) = parse(&mut params, &snapshot, &layers);
    params.finish()?;
    Ok((compute(state, snapshot, layers, request).await?, csv))
}

/// A cell as a GeoJSON Feature (id and `mesh_code`: the cell's code; a CRS84 Polygon).
pub(super) fn cell_feature(c: &CellCoverage, district: Option<&String>) -> serde_json::Value {
    let [w, s, e, n] = c.cell.bounds();
    json!({
        "type": "Feature",
        "id": c.cell.code(),
        "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]},
        "properties": {
            "mesh_code": c.cell.code(),
            "district": district,
            "nearest_m": c.nearest_m.map(|d| round(d, 1)),
            "nearest_id": c.nearest_id,
            "count_within": c.count_within,
            "population": c.population.map(|p| round(p, 2)),
            "access": c.access.map(|a| round(a, 4)),
        }
    })
}

/// The `population` member of a response: the column's code, label and source.
pub(super) fn column_info(layers: &PopulationLayers, code: Option<&str>) -> serde_json::Value {
    let column = code.and_then(|c| layers.get(c));
    column.map_or(serde_json::Value::Null, |c| json!({"code": c.code, "label": c.label, "source": c.source}))
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// `GET /api/coverage?mesh=&(district=|bbox=)&threshold_m=&population=&preset=&supply=&f=csv&<filters>`
async fn coverage_cells(State(state): State<AppState>, RawQuery(query): RawQuery) -> ApiResult<Response> {
    let (done, csv) = run(&state, query).await?;
    if csv {
        return Ok(csv_response(&done));
    }
    let features: Vec<_> = done.cells.iter().zip(&done.districts).map(|(c, d)| cell_feature(c, d.as_ref())).collect();
    let body = json!({
        "type": "FeatureCollection",
        "mesh": done.request.level.name(),
        "threshold_m": done.request.threshold_m,
        "population": column_info(&state.population.load(), done.request.population.as_deref()),
        "numberReturned": features.len(),
        "features": features,
    });
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))], Json(body)).into_response())
}

fn csv_response(done: &Computed) -> Response {
    let mut out = Vec::from("\u{feff}".as_bytes());
    let mut w = csv::Writer::from_writer(&mut out);
    let header =
        ["メッシュコード", "圏域", "最寄りまでの距離(m)", "最寄りの事業所ID", "圏内の事業所数", "人口", "アクセス指標"];
    let mut rows = vec![header.iter().map(ToString::to_string).collect::<Vec<_>>()];
    for (c, district) in done.cells.iter().zip(&done.districts) {
        let name = district.as_deref().and_then(|id| done.snapshot.district(id)).map(|d| d.name.clone());
        rows.push(vec![
            c.cell.code(),
            name.unwrap_or_default(),
            c.nearest_m.map(|d| format!("{d:.0}")).unwrap_or_default(),
            c.nearest_id.clone().unwrap_or_default(),
            c.count_within.to_string(),
            c.population.map(|p| format!("{p:.1}")).unwrap_or_default(),
            c.access.map(|a| format!("{a:.4}")).unwrap_or_default(),
        ]);
    }
    for row in rows {
        if let Err(e) = w.write_record(row.iter().map(|s| crate::formats::csv::neutralise(s))) {
            return ApiError::Internal(format!("encoding CSV: {e}")).into_response();
        }
    }
    drop(w);
    let disposition = format!("attachment; filename=\"coverage_{}.csv\"", done.request.level.name());
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        out,
    )
        .into_response()
}

#[derive(Serialize, Default, Clone)]
struct DistrictSummary {
    district: Option<String>,
    name: String,
    cells: usize,
    cells_without: usize,
    population: f64,
    population_beyond: f64,
    share_beyond: Option<f64>,
}

impl DistrictSummary {
    fn add(&mut self, c: &CellCoverage) {
        self.cells += 1;
        let people = c.population.unwrap_or(0.0);
        self.population += people;
        if c.count_within == 0 {
            self.cells_without += 1;
            self.population_beyond += people;
        }
    }

    fn finish(mut self) -> Self {
        self.population = round(self.population, 1);
        self.population_beyond = round(self.population_beyond, 1);
        self.share_beyond = (self.population > 0.0).then(|| round(self.population_beyond / self.population, 4));
        self
    }
}

/// `GET /api/coverage/summary?…` (the same parameters): per district, the people and cells
/// with no matching provider within `threshold_m`, and the total.
async fn coverage_summary(State(state): State<AppState>, RawQuery(query): RawQuery) -> ApiResult<Response> {
    let (done, csv) = run(&state, query).await?;
    if csv {
        return Err(ApiError::param("f", "the summary is JSON; use f=csv on /api/coverage"));
    }
    let mut rows: Vec<DistrictSummary> = done
        .snapshot
        .districts()
        .iter()
        .map(|d| DistrictSummary { district: Some(d.id.clone()), name: d.name.clone(), ..DistrictSummary::default() })
        .collect();
    let mut outside = DistrictSummary { name: "圏域外".into(), ..DistrictSummary::default() };
    let mut total = DistrictSummary { name: "合計".into(), ..DistrictSummary::default() };
    for (c, district) in done.cells.iter().zip(&done.districts) {
        total.add(c);
        match rows.iter_mut().find(|r| r.district.is_some() && r.district == *district) {
            Some(row) => row.add(c),
            None => outside.add(c),
        }
    }
    let mut districts: Vec<DistrictSummary> =
        rows.into_iter().filter(|r| r.cells > 0).map(DistrictSummary::finish).collect();
    if outside.cells > 0 {
        districts.push(outside.finish());
    }
    Ok(Json(json!({
        "mesh": done.request.level.name(),
        "threshold_m": done.request.threshold_m,
        "population": column_info(&state.population.load(), done.request.population.as_deref()),
        "districts": districts,
        "total": total.finish(),
    }))
    .into_response())
}

/// `GET /api/coverage/presets`: the named questions and the population columns loaded.
async fn coverage_presets(State(state): State<AppState>) -> Json<serde_json::Value> {
    let presets: Vec<_> =
        PRESETS.iter().map(|p| json!({"id": p.id, "label": p.label, "threshold_m": p.threshold_m})).collect();
    let columns: Vec<_> = state
        .population
        .load()
        .columns()
        .iter()
        .map(|c| json!({"code": c.code, "label": c.label, "source": c.source, "mesh": c.population.level().name()}))
        .collect();
    Json(json!({"presets": presets, "population": columns}))
}
