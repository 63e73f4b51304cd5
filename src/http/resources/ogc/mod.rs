//! OGC API – Features under `/ogc`: Part 1 (core, GeoJSON, OpenAPI 3.0), Part 2 (CRS by
//! reference) and Part 3's queryables as query parameters, so QGIS and GDAL read the same
//! providers the public `/api` serves. Links are absolute URLs under `--public-url`, or else the
//! request's host.
//!
//! The resources: the landing page and conformance ([`landing`]), the OpenAPI document
//! ([`openapi`]), collection metadata ([`collections`]), features ([`items`]) and queryables
//! ([`queryables`]); the coverage grid ([`coverage`]) and the 地域包括支援センター ([`centers`])
//! are collections of their own. Every JSON resource has an HTML alternate ([`html`]) for browsers: asked
//! for with `f=html` or an `Accept` that ranks `text/html` above JSON; JSON stays the default
//! (no `Accept`, `*/*`, a JSON type, or `f=json`). Responses say `Vary: Accept`.

mod centers;
mod collections;
mod coverage;
mod datetime;
mod filter;
mod html;
mod items;
mod landing;
mod links;
mod openapi;
mod queryables;
mod reproject;
mod tiles;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde::Serialize;

use crate::domain::Kind;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::plumbing::params::Params;

pub(crate) use html::html_response;
pub use links::{Base, Link, PublicUrl};
pub(crate) use openapi::render_html;

/// Media type of every JSON resource that is not feature content.
pub const JSON: &str = "application/json";
/// Media type of features and feature collections.
pub const GEOJSON: &str = "application/geo+json";
/// Media type of the OpenAPI document.
pub const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";
/// Media type of the queryables (JSON Schema).
pub const SCHEMA_JSON: &str = "application/schema+json";
/// Media type of the HTML alternates.
pub const HTML: &str = "text/html";
/// Link relation of the queryables (OGC API – Features Part 3).
pub const REL_QUERYABLES: &str = "http://www.opengis.net/def/rel/ogc/1.0/queryables";

/// Routes under `/ogc`.
pub fn router() -> Router<AppState> {
    let not_found = || async { ApiError::NotFound("this OGC API path".into()).into_response() };
    Router::new()
        .route("/ogc", get(landing::landing_get))
        .route("/ogc/", get(landing::landing_get))
        .route("/ogc/conformance", get(landing::conformance_get))
        .route("/ogc/api", get(openapi::api_get))
        .route("/ogc/collections", get(collections::collections_list))
        .route("/ogc/collections/{collection_id}", get(collections::collection_get))
        .route("/ogc/collections/{collection_id}/queryables", get(queryables::queryables_get))
        .route("/ogc/collections/{collection_id}/items", get(items::items_list))
        .route("/ogc/collections/{collection_id}/items/{feature_id}", get(items::item_get))
        .route("/ogc/tileMatrixSets", get(tiles::tile_matrix_sets_list))
        .route("/ogc/tileMatrixSets/{tms_id}", get(tiles::tile_matrix_set_get))
        .route("/ogc/collections/{collection_id}/tiles", get(tiles::tilesets_list))
        .route("/ogc/collections/{collection_id}/tiles/{tms_id}", get(tiles::tileset_get))
        .route("/ogc/collections/{collection_id}/tiles/{tms_id}/{z}/{row}/{col}", get(tiles::tile_get))
        .route("/ogc/{*rest}", any(not_found))
        .layer(tower_http::set_header::SetResponseHeaderLayer::appending(
            header::VARY,
            HeaderValue::from_static("accept"),
        ))
}

/// The feature collections served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionId {
    /// Every provider.
    Providers,
    /// Care offices (kind `care`).
    Care,
    /// Clinics and hospitals (kinds `clinic`, `hospital`).
    Clinics,
    /// The districts (polygons).
    Districts,
    /// The coverage grid: JIS grid squares with the distance to the nearest matching provider
    /// (computed on request; see [`coverage`]).
    Coverage,
    /// 地域包括支援センター (points) with their 担当区域 (see [`centers`]).
    CommunityCenters,
}

impl CollectionId {
    /// Every collection, in the order `/collections` lists them.
    pub const ALL: [CollectionId; 6] = [
        CollectionId::Providers,
        CollectionId::Care,
        CollectionId::Clinics,
        CollectionId::Districts,
        CollectionId::Coverage,
        CollectionId::CommunityCenters,
    ];

    /// The collection with this id.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }

    /// The id used in paths, e.g. `clinics`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Providers => "providers",
            Self::Care => "care",
            Self::Clinics => "clinics",
            Self::Districts => "districts",
            Self::Coverage => "coverage",
            Self::CommunityCenters => "community-centers",
        }
    }

    /// The title clients show (Japanese, for the users).
    pub fn title(self) -> &'static str {
        match self {
            Self::Providers => "介護事業所・医療機関（すべて）",
            Self::Care => "介護事業所",
            Self::Clinics => "診療所・病院（在宅医療）",
            Self::Districts => "日常生活圏域",
            Self::Coverage => "地域の状況（メッシュ別の最寄りまでの距離）",
            Self::CommunityCenters => "地域包括支援センター",
        }
    }

    /// A one-line description (Japanese).
    pub fn description(self) -> &'static str {
        match self {
            Self::Providers => "すべての介護事業所・診療所・病院・薬局の位置と属性",
            Self::Care => "介護保険の事業所（種別 care）",
            Self::Clinics => "訪問診療・往診をする診療所と病院（種別 clinic・hospital）",
            Self::Districts => "日常生活圏域の区域（ポリゴン）と圏域内の事業所数",
            Self::Coverage => {
                "地域メッシュ（JIS X 0410）ごとの最寄りの事業所までの距離、一定距離内の事業所数、人口とアクセス指標。\
                               条件を指定しないときは、市内の250mメッシュで24時間対応の在宅療養支援診療所・病院まで2km\
                               （preset=home-care-24h-2km）。/api/coverage と同じパラメータで条件を変えられます"
            }
            Self::CommunityCenters => {
                "地域包括支援センターの位置・名称・所在地・電話番号と担当区域（町丁目の一覧、プロパティ areas）"
            }
        }
    }

    /// The provider kinds the collection holds; `None` for districts, the coverage grid and
    /// the centres.
    pub fn kinds(self) -> Option<&'static [Kind]> {
        match self {
            Self::Providers => Some(&Kind::ALL),
            Self::Care => Some(&[Kind::Care]),
            Self::Clinics => Some(&[Kind::Clinic, Kind::Hospital]),
            Self::Districts | Self::Coverage | Self::CommunityCenters => None,
        }
    }

    /// The collection named in a path.
    ///
    /// # Errors
    /// 404 when there is no such collection.
    pub fn from_path(id: &str) -> Result<Self, ApiError> {
        Self::parse(id).ok_or_else(|| ApiError::NotFound(format!("collection '{id}'")))
    }
}

/// The encodings a client can ask for with `f`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON (GeoJSON for features): the default.
    Json,
    /// Plain HTML for people.
    Html,
}

impl Format {
    /// Reads `f` (`json`, `html`; also `geojson` where `geojson` is true); without `f`, HTML
    /// when `Accept` prefers it ([`prefers_html`]). Records an error naming `f` for any other
    /// value.
    pub fn from_params(params: &mut Params, geojson: bool, headers: &HeaderMap) -> Self {
        match params.raw("f").as_deref() {
            None if prefers_html(headers) => Self::Html,
            None | Some("json") => Self::Json,
            Some("geojson") if geojson => Self::Json,
            Some("html") => Self::Html,
            Some(other) => {
                let allowed = if geojson { "json, geojson or html" } else { "json or html" };
                params.error("f", format!("must be {allowed}, not '{other}'"));
                Self::Json
            }
        }
    }
}

/// Whether `Accept` ranks HTML (`text/html`, `application/xhtml+xml`) above every JSON type it
/// names, as browsers do (`text/html,…,*/*;q=0.8`). No header, `*/*`, or a tie mean JSON.
pub fn prefers_html(headers: &HeaderMap) -> bool {
    let (mut html, mut json) = (0.0_f32, 0.0_f32);
    for value in headers.get_all(header::ACCEPT) {
        for range in value.to_str().unwrap_or("").split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.trim().parse::<f32>().ok()))
                .unwrap_or(1.0);
            if media == "text/html" || media == "application/xhtml+xml" {
                html = html.max(q);
            } else if media.ends_with("json") {
                json = json.max(q);
            }
        }
    }
    html > 0.0 && html > json
}

/// A 200 response with `body` serialised as JSON under `content_type`.
pub fn json_response(body: &impl Serialize, content_type: &'static str) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => ([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], bytes).into_response(),
        Err(e) => ApiError::Internal(format!("encoding JSON: {e}")).into_response(),
    }
}

/// The representation asked for by a request that takes no parameter but `f` (or `Accept`);
/// any other parameter is a 400 naming it.
pub(super) fn format_only(raw: Option<&str>, headers: &axum::http::HeaderMap) -> crate::http::error::ApiResult<Format> {
    let mut params = crate::http::plumbing::params::Params::parse(raw)?;
    let format = Format::from_params(&mut params, false, headers);
    params.finish()?;
    Ok(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")));
        headers
    }

    #[test]
    fn browsers_get_html_and_clients_get_json() {
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
        assert!(prefers_html(&accept(chrome)));
        assert!(prefers_html(&accept("text/html")));
        assert!(!prefers_html(&HeaderMap::new()));
        assert!(!prefers_html(&accept("*/*")));
        assert!(!prefers_html(&accept("application/json")));
        assert!(!prefers_html(&accept("application/geo+json, text/html;q=0.5")));
        assert!(!prefers_html(&accept("text/html, application/json")));
        assert!(!prefers_html(&accept("text/html;q=0")));
        assert!(prefers_html(&accept("application/json;q=0.5, text/html")));
    }
}
