//! The landing page (`/ogc`) and the conformance declaration (`/ogc/conformance`).

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;

use super::{Base, Format, GEOJSON, HTML, JSON, Link, OPENAPI, format_only, html, json_response};
use crate::http::AppState;
use crate::http::error::ApiResult;

/// The conformance classes caremap implements, each covered by the tests in tests/api/ogc/.
/// Not claimed: `conf/html` (the HTML alternates are a convenience, not checked against the
/// HTML requirements class), GML, CQL2's `basic-spatial-functions-plus` (no MULTILINESTRING or
/// GEOMETRYCOLLECTION literals), `spatial-functions`, temporal, array and arithmetic classes,
/// sorting (Part 8 is a draft; `sortby` is declared in the API definition), and OGC API – Tiles'
/// dataset tilesets (tiles are per collection) and its OpenAPI class.
pub const CONFORMS_TO: [&str; 20] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
];

#[derive(Serialize)]
struct LandingPage {
    title: &'static str,
    description: String,
    links: Vec<Link>,
}

#[derive(Serialize)]
struct Conformance {
    #[serde(rename = "conformsTo")]
    conforms_to: Vec<&'static str>,
}

/// `GET /ogc[?f=json|html]`: title, description and links to the API definition, the
/// conformance declaration and the collections.
pub async fn landing_get(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    base: Base,
) -> ApiResult<Response> {
    let format = format_only(query.as_deref(), &headers)?;
    let sample = state.site.dataset.as_deref() == Some(crate::generate::sample::SAMPLE_DATASET);
    let description = format!(
        "介護事業所・在宅医療機関の位置と属性を OGC API – Features で提供します。{}",
        if sample { "（サンプルデータ：架空の事業所です。実在しません）" } else { "" }
    );
    let page = LandingPage {
        title: "caremap OGC API – Features",
        description,
        links: vec![
            Link::new(base.url("?f=json"), "self", JSON, "このページ（JSON）"),
            Link::new(base.url("?f=html"), "alternate", HTML, "このページ（HTML）"),
            Link::new(base.url("/api"), "service-desc", OPENAPI, "API 定義（OpenAPI 3.0）"),
            Link::new(base.url("/api?f=html"), "service-doc", HTML, "API 定義（HTML）"),
            Link::new(base.url("/conformance"), "conformance", JSON, "適合クラス"),
            Link::new(base.url("/collections"), "data", JSON, "コレクション一覧"),
            Link::new(
                base.url("/tileMatrixSets"),
                "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                JSON,
                "タイル行列セット",
            ),
            Link::new(base.url("/collections/providers/items"), "items", GEOJSON, "すべての事業所（GeoJSON）"),
        ],
    };
    Ok(match format {
        Format::Json => json_response(&page, JSON),
        Format::Html => {
            html::page("OGC API – Features（介護・在宅医療マップ）", &serde_json::to_value(&page).unwrap_or_default())
        }
    })
}

/// `GET /ogc/conformance[?f=json|html]`: the conformance classes implemented.
pub async fn conformance_get(RawQuery(query): RawQuery, headers: HeaderMap) -> ApiResult<Response> {
    let format = format_only(query.as_deref(), &headers)?;
    let body = Conformance { conforms_to: CONFORMS_TO.to_vec() };
    Ok(match format {
        Format::Json => json_response(&body, JSON),
        Format::Html => html::page("適合クラス", &serde_json::to_value(&body).unwrap_or_default()),
    })
}
