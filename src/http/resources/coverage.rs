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
    Filter { services: ServiceSet::parse(["130"]).unwrap_or_default(), accepting: Some(true), ..Filter::default() }
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

/// What a coverage request asks for, parsed.
struct Request {
    level: MeshLevel,
    threshold_m: f64,
    filter: Filter,
    cells: Vec<MeshCell>,
    population: Option<String>,
    supply: Supply,
    csv: bool,
}

fn parse(params: &mut Params, snapshot: &Snapshot, layers: &PopulationLayers) -> Result<Request, ApiError> {
    let preset = params.raw("preset").map(|id| (PRESETS.iter().find(|p| p.id == id), id));
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
        None => MeshLevel::Half,
        Some(name @ ("250m" | "500m" | "1km")) => MeshLevel::from_name(name).unwrap_or(MeshLevel::Half),
        Some(other) => {
            params.error("mesh", format!("must be 250m, 500m or 1km, not '{other}'"));
            MeshLevel::Half
        }
    };
    let threshold_m = params
        .number("threshold_m", THRESHOLD_M.1..=THRESHOLD_M.2)
        .or(preset.map(|p| p.threshold_m))
        .unwrap_or(THRESHOLD_M.0);
    let district = params.raw("district");
    let bbox = params.raw("bbox");
    let population = params.raw("population");
    let supply = match params.raw("supply").as_deref() {
        None | Some("providers") => Supply::Providers,
        Some("capacity") => Supply::Capacity,
        Some(other) => {
            params.error("supply", format!("must be providers or capacity, not '{other}'"));
            Supply::Providers
        }
    };
    let csv = match params.raw("f").as_deref() {
        None | Some("geojson" | "json") => false,
        Some("csv") => true,
        Some(_) => {
            params.error("f", "must be geojson or csv");
            false
        }
    };
    // `district` is the area here, not a provider filter: people near a district's edge are
    // served by providers beyond it.
    let given = params.filter(|_| true);
    let mut filter = preset.map_or_else(Filter::default, |p| (p.filter)());
    merge_filter(&mut filter, given);
    if let Some(code) = &population
        && layers.get(code).is_none()
    {
        let codes: Vec<&str> = layers.columns().iter().map(|c| c.code.as_str()).collect();
        params.error("population", format!("unknown population column '{code}'; loaded: {}", list_or_none(&codes)));
    }
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
        (None, Some(raw)) => match Bbox::parse(&raw) {
            Ok(b) if b.min.lon() <= b.max.lon() => {
                cells_covering(params, [b.min.lon(), b.min.lat(), b.max.lon(), b.max.lat()], level)
            }
            Ok(_) => {
                params.error("bbox", "a box across the antimeridian has no grid squares");
                Vec::new()
            }
            Err(e) => {
                params.error("bbox", e.to_string());
                Vec::new()
            }
        },
        (None, None) => {
            let mut cells: Vec<MeshCell> =
                snapshot.districts().iter().flat_map(|d| cells_in_area(&d.area, level)).collect();
            cells.sort_unstable();
            cells.dedup();
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
    Ok(Request { level, threshold_m, filter, cells, population, supply, csv })
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

struct Computed {
    request: Request,
    cells: Vec<CellCoverage>,
    districts: Vec<Option<String>>,
    snapshot: Arc<Snapshot>,
}

async fn run(state: &AppState, query: Option<String>) -> ApiResult<Computed> {
    let snapshot = state.catalog.snapshot();
    let layers = state.population.clone();
    let mut params = Params::parse(query.as_deref())?;
    let request = parse(&mut params, &snapshot, &layers)?;
    params.finish()?;
    // Thousands of index queries: a heavy query, off the async workers, stopped at the deadline.
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

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// `GET /api/coverage?mesh=&(district=|bbox=)&threshold_m=&population=&preset=&supply=&f=csv&<filters>`
async fn coverage_cells(State(state): State<AppState>, RawQuery(query): RawQuery) -> ApiResult<Response> {
    let done = run(&state, query).await?;
    if done.request.csv {
        return Ok(csv_response(&done));
    }
    let column = done.request.population.as_deref().and_then(|c| state.population.get(c));
    let features: Vec<_> = done
        .cells
        .iter()
        .zip(&done.districts)
        .map(|(c, district)| {
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
        })
        .collect();
    let body = json!({
        "type": "FeatureCollection",
        "mesh": done.request.level.name(),
        "threshold_m": done.request.threshold_m,
        "population": column.map(|c| json!({"code": c.code, "label": c.label, "source": c.source})),
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
    let done = run(&state, query).await?;
    if done.request.csv {
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
    let column = done.request.population.as_deref().and_then(|c| state.population.get(c));
    Ok(Json(json!({
        "mesh": done.request.level.name(),
        "threshold_m": done.request.threshold_m,
        "population": column.map(|c| json!({"code": c.code, "label": c.label, "source": c.source})),
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
        .columns()
        .iter()
        .map(|c| json!({"code": c.code, "label": c.label, "source": c.source, "mesh": c.population.level().name()}))
        .collect();
    Json(json!({"presets": presets, "population": columns}))
}
