//! Address search: `GET /api/geocode` (text → candidate points, best first), `GET /api/reverse`
//! (point → the nearest 町字 and 街区), and `address=` for the provider queries (the best
//! candidate's point instead of coordinates; the response's `origin` says which was used).

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::address::{Candidate, Gazetteer, Level, Nearby};
use crate::catalog::Found;
use crate::domain::LonLat;

use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::plumbing::output::{GEOJSON, feature_collection_bytes};
use crate::http::plumbing::params::{MAX_TEXT_CHARS, Params};

/// Most candidates of one geocoding query.
pub const MAX_GEOCODE_LIMIT: u64 = 100;
/// Candidates returned when `limit` is not given.
pub const DEFAULT_GEOCODE_LIMIT: u64 = 10;

/// Routes of address search.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/geocode", get(geocode_get)).route("/api/reverse", get(reverse_get))
}

/// The point a provider query starts from when given `address=`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Origin {
    /// The matched address, normalized.
    pub address: String,
    /// How far it was matched (1, 2, 3, 7, 8).
    pub level: Level,
    /// What was not matched.
    pub remainder: String,
    /// Where the point comes from.
    pub source: &'static str,
    /// Whether the point is approximate.
    pub approximate: bool,
    /// The 町字 of the match, normalized (none for a 市区町村 or 都道府県).
    pub town: Option<String>,
    /// The point used, `[lon, lat]`.
    pub coordinates: [f64; 2],
    #[serde(skip)]
    location: Option<LonLat>,
}

impl Origin {
    /// The point.
    pub fn location(&self) -> LonLat {
        self.location.unwrap_or(LonLat::TOKYO_STATION)
    }
}

/// An address text parameter: at most [`MAX_TEXT_CHARS`] characters, no control characters.
fn address_text(params: &mut Params, name: &str) -> Option<String> {
    let raw = params.raw(name)?;
    if raw.chars().any(char::is_control) {
        params.error(name, "must not contain control characters");
        return None;
    }
    if raw.chars().count() > MAX_TEXT_CHARS {
        params.error(name, format!("must be at most {MAX_TEXT_CHARS} characters"));
        return None;
    }
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        params.error(name, "must not be blank");
        return None;
    }
    Some(trimmed.to_owned())
}

/// `address=` of a provider query: `None` when not given; `Some(None)` when given but unusable
/// (the error is recorded in `params`, naming `address`, or the conflicting parameter);
/// otherwise the best candidate's point. `instead_of` are the parameters it replaces.
pub fn address_param(params: &mut Params, gazetteer: &Gazetteer, instead_of: &[&str]) -> Option<Option<Origin>> {
    if !params.has("address") {
        return None;
    }
    if let Some(other) = instead_of.iter().find(|n| params.has(n)) {
        params.error("address", format!("give address or {other}, not both"));
        let _ = params.raw("address");
        return Some(None);
    }
    let Some(text) = address_text(params, "address") else { return Some(None) };
    let Some(best) = gazetteer.geocode(&text, 1).into_iter().next() else {
        params.error("address", "no address matches this text (see /api/geocode)");
        return Some(None);
    };
    Some(Some(origin(best)))
}

fn origin(c: Candidate) -> Origin {
    Origin {
        coordinates: [c.location.lon(), c.location.lat()],
        location: Some(c.location),
        address: c.address,
        level: c.level,
        remainder: c.remainder,
        source: c.source,
        approximate: c.approximate,
        town: c.town,
    }
}

/// A provider page as GeoJSON with the `origin` member after `type`.
pub fn respond_with_origin(
    page: &[Found<'_>],
    matched: usize,
    origin: &Origin,
    clock: &crate::domain::VacancyClock,
) -> Response {
    let (bytes, origin) = match (feature_collection_bytes(page, matched, clock), serde_json::to_vec(origin)) {
        (Ok(b), Ok(o)) => (b, o),
        (Err(e), _) | (_, Err(e)) => return ApiError::Internal(format!("encoding GeoJSON: {e}")).into_response(),
    };
    let head = b"{\"type\":\"FeatureCollection\",";
    let mut out = Vec::with_capacity(bytes.len() + origin.len() + 12);
    out.extend_from_slice(head);
    out.extend_from_slice(b"\"origin\":");
    out.extend_from_slice(&origin);
    out.push(b',');
    out.extend_from_slice(bytes.strip_prefix(head.as_slice()).unwrap_or_default());
    geojson(out)
}

fn geojson(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))], body).into_response()
}

/// A GeoJSON Point.
#[derive(Serialize)]
struct PointOut {
    #[serde(rename = "type")]
    kind: &'static str,
    coordinates: [f64; 2],
}

/// A GeoJSON Feature with typed properties (keys in GeoJSON's usual order).
#[derive(Serialize)]
struct FeatureOut<P> {
    #[serde(rename = "type")]
    kind: &'static str,
    geometry: PointOut,
    properties: P,
}

fn feature<P>(location: LonLat, properties: P) -> FeatureOut<P> {
    FeatureOut {
        kind: "Feature",
        geometry: PointOut { kind: "Point", coordinates: [location.lon(), location.lat()] },
        properties,
    }
}

/// A geocoding or reverse answer.
#[derive(Serialize)]
struct CollectionOut<'a, P> {
    #[serde(rename = "type")]
    kind: &'static str,
    /// The text asked (geocoding).
    #[serde(skip_serializing_if = "Option::is_none")]
    query: Option<&'a str>,
    /// The text as normalized before matching (geocoding).
    #[serde(skip_serializing_if = "Option::is_none")]
    normalized: Option<String>,
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    features: Vec<FeatureOut<P>>,
}

#[derive(Serialize)]
struct CandidateProperties<'a> {
    address: &'a str,
    level: Level,
    remainder: &'a str,
    source: &'static str,
    approximate: bool,
}

#[derive(Serialize)]
struct NearbyProperties<'a> {
    address: &'a str,
    level: Level,
    distance_m: f64,
    source: &'static str,
    approximate: bool,
}

fn candidate_feature(c: &Candidate) -> FeatureOut<CandidateProperties<'_>> {
    feature(
        c.location,
        CandidateProperties {
            address: &c.address,
            level: c.level,
            remainder: &c.remainder,
            source: c.source,
            approximate: c.approximate,
        },
    )
}

fn nearby_feature(n: &Nearby) -> FeatureOut<NearbyProperties<'_>> {
    feature(
        n.location,
        NearbyProperties {
            address: &n.address,
            level: n.level,
            // Decimetres: the points themselves are not more precise.
            distance_m: (n.distance_m * 10.0).round() / 10.0,
            source: n.source,
            approximate: n.approximate,
        },
    )
}

fn collection_response<P: Serialize>(collection: &CollectionOut<'_, P>) -> ApiResult<Response> {
    let body = serde_json::to_vec(collection).map_err(|e| ApiError::Internal(format!("encoding GeoJSON: {e}")))?;
    Ok(geojson(body))
}

/// `GET /api/geocode?q=&limit=`: the candidates for an address text, best first.
async fn geocode_get(State(state): State<AppState>, RawQuery(query): RawQuery) -> ApiResult<Response> {
    let mut params = Params::parse(query.as_deref())?;
    let missing = !params.has("q");
    let text = address_text(&mut params, "q");
    let limit = params.integer("limit", DEFAULT_GEOCODE_LIMIT, 1..=MAX_GEOCODE_LIMIT);
    if missing {
        params.error("q", "is required");
    }
    params.finish()?;
    let text = text.unwrap_or_default();
    let gazetteer = state.addresses.load_full();
    let found = gazetteer.geocode(&text, usize::try_from(limit).unwrap_or(10));
    collection_response(&CollectionOut {
        kind: "FeatureCollection",
        query: Some(&text),
        normalized: Some(crate::address::normalize(&text)),
        number_returned: found.len(),
        features: found.iter().map(candidate_feature).collect(),
    })
}

/// `GET /api/reverse?lon=&lat=`: the 町字 and the 街区 (where loaded) nearest to the point.
async fn reverse_get(State(state): State<AppState>, RawQuery(query): RawQuery) -> ApiResult<Response> {
    let mut params = Params::parse(query.as_deref())?;
    let at = params.lon_lat("lon", "lat");
    params.finish()?;
    let at = at.ok_or_else(|| ApiError::param("lon", "is required"))?;
    let found = state.addresses.load().reverse(at);
    collection_response(&CollectionOut {
        kind: "FeatureCollection",
        query: None,
        normalized: None,
        number_returned: found.len(),
        features: found.iter().map(nearby_feature).collect(),
    })
}
