//! 地域包括支援センター: `GET /api/community-centers` (every centre with its 担当区域) and
//! `GET /api/community-centers/for?address=|lon=&lat=` (the centre responsible for an address or
//! a point: by 町丁目, falling back to the nearest centre with a note that says so).
//!
//! A point's 町丁目 is the 町丁目 of the nearest address point (町字 or 街区): the data are points,
//! not outlines, so close to a boundary the nearer point decides.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::address::centers::{CommunityCenter, Responsibility};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::plumbing::output::GEOJSON;
use crate::http::plumbing::params::Params;
use crate::http::resources::address::{Origin, address_param};

/// What the page shows when no centre lists the address's 町丁目.
pub const NEAREST_NOTE: &str = "この住所を担当区域とするセンターが登録されていないため、最も近いセンターを表示しています。担当かどうかはセンターにご確認ください。";

/// Routes of the centres.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/community-centers", get(community_centers_list))
        .route("/api/community-centers/for", get(community_center_for))
}

#[derive(Serialize)]
pub(crate) struct PointOut {
    #[serde(rename = "type")]
    kind: &'static str,
    coordinates: [f64; 2],
}

#[derive(Serialize)]
pub(crate) struct CenterProperties<'a> {
    name: &'a str,
    address: &'a str,
    phone: &'a str,
    areas: &'a [String],
    source: &'a str,
    sample: bool,
    /// How the centre was found (`area` or `nearest`), for `/for`.
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    matched: Option<&'static str>,
    /// The 町丁目 the answer is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    town: Option<&'a str>,
    /// Geodesic metres from the address or point to the centre.
    #[serde(skip_serializing_if = "Option::is_none")]
    distance_m: Option<f64>,
    /// Said when the centre is only the nearest one.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
    /// The address point used, with `address=`.
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<&'a Origin>,
}

#[derive(Serialize)]
pub(crate) struct CenterFeature<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    geometry: PointOut,
    properties: CenterProperties<'a>,
}

/// A centre as a GeoJSON Feature (also the OGC collection `community-centers`'s).
pub(crate) fn feature(c: &CommunityCenter) -> CenterFeature<'_> {
    CenterFeature {
        kind: "Feature",
        id: &c.id,
        geometry: PointOut { kind: "Point", coordinates: [c.location.lon(), c.location.lat()] },
        properties: CenterProperties {
            name: &c.name,
            address: &c.address,
            phone: &c.phone,
            areas: &c.areas,
            source: &c.source,
            sample: c.source == crate::generate::sample::community_centers::SOURCE,
            matched: None,
            town: None,
            distance_m: None,
            note: None,
            origin: None,
        },
    }
}

fn geojson<T: Serialize>(value: &T) -> ApiResult<Response> {
    let body = serde_json::to_vec(value).map_err(|e| ApiError::Internal(format!("encoding GeoJSON: {e}")))?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))], body).into_response())
}

#[derive(Serialize)]
struct CollectionOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    features: Vec<CenterFeature<'a>>,
}

/// `GET /api/community-centers`: every centre with its 担当区域.
async fn community_centers_list(State(state): State<AppState>, RawQuery(query): RawQuery) -> ApiResult<Response> {
    Params::parse(query.as_deref())?.finish()?;
    let centers = state.community_centers.load_full();
    let all = centers.all();
    geojson(&CollectionOut {
        kind: "FeatureCollection",
        number_returned: all.len(),
        features: all.iter().map(feature).collect(),
    })
}

/// `GET /api/community-centers/for?address=` or `?lon=&lat=`: the responsible centre.
async fn community_center_for(State(state): State<AppState>, RawQuery(query): RawQuery) -> ApiResult<Response> {
    let mut params = Params::parse(query.as_deref())?;
    let gazetteer = state.addresses.load_full();
    let centers = state.community_centers.load_full();
    let origin = address_param(&mut params, &gazetteer, &["lon", "lat"]);
    let at = match &origin {
        Some(o) => o.as_ref().map(Origin::location),
        None => params.lon_lat("lon", "lat"),
    };
    params.finish()?;
    let at = at.ok_or_else(|| ApiError::param("lon", "is required"))?;
    let origin = origin.flatten();
    // The 町丁目: the address's own, else that of the nearest 町字 or 街区 point.
    let town: Option<String> = match &origin {
        Some(o) => o.town.clone(),
        None => gazetteer.reverse(at).into_iter().min_by(|a, b| a.distance_m.total_cmp(&b.distance_m)).map(|n| n.town),
    };
    let (center, how) = centers
        .responsible(town.as_deref(), at)
        .ok_or_else(|| ApiError::NotFound("地域包括支援センター (none is loaded)".into()))?;
    let mut out = feature(center);
    out.properties.matched = Some(match how {
        Responsibility::Area => "area",
        Responsibility::Nearest => "nearest",
    });
    out.properties.town = town.as_deref();
    out.properties.distance_m = Some((at.geodesic_distance_m(center.location) * 10.0).round() / 10.0);
    out.properties.note = (how == Responsibility::Nearest).then_some(NEAREST_NOTE);
    out.properties.origin = origin.as_ref();
    geojson(&out)
}
