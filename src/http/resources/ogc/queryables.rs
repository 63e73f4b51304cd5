//! Queryables (OGC API – Features Part 3): the JSON Schema at
//! `/collections/{id}/queryables`, and the same properties as equality query parameters on
//! `/items` ("queryables as query parameters"). The schema of each parameter in the OpenAPI
//! document is the schema of its queryable, taken from here. CQL2 filters
//! ([`crate::cql::Queryable`]) accept exactly these names, plus `geometry`.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use serde_json::{Value, json};

use std::sync::Arc;

use crate::catalog::{Filter, Snapshot};
use crate::cql::{self, Queryable};
use crate::domain::{Kind, SERVICE_TYPES, ServiceSet};

use super::{Base, CollectionId, Format, JSON, SCHEMA_JSON, format_only, html, json_response};
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::plumbing::params::Params;

/// The simple-valued queryables of a collection with their JSON Schemas, in a stable order.
/// Each is also an equality query parameter of the collection's items.
pub fn parameters(collection: CollectionId, snapshot: &Snapshot) -> Vec<(&'static str, Value)> {
    let Some(kinds) = collection.kinds() else { return Vec::new() };
    let kind_ids: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let codes: Vec<&str> = SERVICE_TYPES.iter().map(|s| s.code).collect();
    let districts: Vec<&str> = snapshot.districts().iter().map(|d| d.id.as_str()).collect();
    vec![
        (
            "kind",
            json!({ "title": "種別", "type": "string", "enum": kind_ids,
                    "description": "Provider kind (property `kind`)." }),
        ),
        (
            "service",
            json!({ "title": "サービス種類", "type": "string", "enum": codes,
                    "description": "An MHLW service code; matches providers whose `services` include it." }),
        ),
        (
            "district",
            json!({ "title": "日常生活圏域", "type": "string", "enum": districts,
                    "description": "District id (property `district`); see the `districts` collection." }),
        ),
        (
            "accepting",
            json!({ "title": "受入可否", "type": "string", "enum": ["yes", "consult", "no"],
                    "description": "Whether the provider takes new clients now (property `accepting`): yes 受入可, \
                                    consult 要相談, no 受入不可. TRUE and FALSE are read as yes and no." }),
        ),
        (
            "home_care",
            json!({ "title": "在宅医療", "type": "boolean",
                    "description": "Whether the provider does home medical care: a 在宅療養支援 class, \
                                    house calls or home visits (from property `home_care`)." }),
        ),
        (
            "available_24h",
            json!({ "title": "24時間対応", "type": "boolean",
                    "description": "Whether home medical care is available 24 hours \
                                    (property `home_care.available_24h`)." }),
        ),
        ("name", json!({ "title": "名称", "type": "string", "description": "Property `name`." })),
        ("name_kana", json!({ "title": "名称（カナ）", "type": "string", "description": "Property `name_kana`." })),
        ("address", json!({ "title": "所在地", "type": "string", "description": "Property `address`." })),
        ("corporation", json!({ "title": "法人名", "type": "string", "description": "Property `corporation`." })),
        (
            "official_code",
            json!({ "title": "事業所番号・医療機関コード", "type": "string",
                    "description": "Property `official_code`." }),
        ),
        ("capacity", json!({ "title": "定員", "type": "integer", "description": "Property `capacity`." })),
        (
            "updated_at",
            json!({ "title": "更新日時", "type": "string", "format": "date-time",
                    "description": "Property `updated_at` (the `datetime` parameter also filters it)." }),
        ),
        (
            "accepting_updated_at",
            json!({ "title": "受入確認日", "type": "string", "format": "date",
                    "description": "Property `accepting_updated_at`." }),
        ),
        (
            "accepting_stale",
            json!({ "title": "受入情報が古い", "type": "boolean",
                    "description": "Whether the vacancy was never confirmed or not within the server's \
                                    stale_after_days (see /api/about); computed when asked." }),
        ),
        (
            "accepting_checked_at",
            json!({ "title": "受入確認日時", "type": "string", "format": "date-time",
                    "description": "Property `accepting_checked_at`: when the vacancy was last confirmed." }),
        ),
    ]
}

/// The queryables read through a CQL2 equality rather than a [`Filter`] field.
const CQL_PARAMETERS: [Queryable; 9] = [
    Queryable::Name,
    Queryable::NameKana,
    Queryable::Address,
    Queryable::Corporation,
    Queryable::OfficialCode,
    Queryable::Capacity,
    Queryable::UpdatedAt,
    Queryable::AcceptingUpdatedAt,
    Queryable::AcceptingCheckedAt,
];

/// The queryables document of a collection (JSON Schema 2020-12).
pub fn document(collection: CollectionId, snapshot: &Snapshot, base: &Base) -> Value {
    let mut properties = serde_json::Map::new();
    let geometry = match collection {
        CollectionId::Districts => "geometry-multipolygon",
        CollectionId::Coverage => "geometry-polygon",
        _ => "geometry-point",
    };
    properties.insert(
        "geometry".into(),
        json!({ "title": "位置", "format": geometry, "x-ogc-role": "primary-geometry",
                "description": "Queried with `bbox` (and `bbox-crs`); on providers also in `filter` with \
                                S_INTERSECTS and S_DWITHIN." }),
    );
    for (name, schema) in parameters(collection, snapshot) {
        properties.insert(name.into(), schema);
    }
    if collection == CollectionId::Coverage {
        let districts: Vec<&str> = snapshot.districts().iter().map(|d| d.id.as_str()).collect();
        properties.insert(
            "district".into(),
            json!({ "title": "日常生活圏域", "type": "string", "enum": districts,
                    "description": "The district holding the cell's centre (property `district`). The other \
                                    parameters of the items (preset, mesh, threshold_m, population, supply, \
                                    the provider filters) choose the question, not cells; see the API definition." }),
        );
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": base.url(&format!("/collections/{}/queryables", collection.id())),
        "type": "object",
        "title": collection.title(),
        "properties": properties,
        "additionalProperties": false,
    })
}

/// Reads the queryable parameters of a provider collection into a [`Filter`] restricted to
/// the collection's kinds, plus the free-text `q`. Each takes one value; errors name the
/// parameter.
pub fn filter_params(params: &mut Params, collection: CollectionId, snapshot: &Snapshot) -> Filter {
    let kinds: &[Kind] = collection.kinds().unwrap_or(&[]);
    let mut filter = Filter { kinds: Some(kinds.to_vec()), ..Filter::default() };
    let one_of = |values: &[&str]| format!("must be one of {}", values.join(", "));
    if let Some(raw) = params.raw("kind") {
        match Kind::parse(raw.trim()).filter(|k| kinds.contains(k)) {
            Some(k) => filter.kinds = Some(vec![k]),
            None => params.error("kind", one_of(&kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>())),
        }
    }
    if let Some(raw) = params.raw("service") {
        match ServiceSet::parse([raw.trim()]) {
            Ok(s) => filter.services = s,
            Err(e) => params.error("service", format!("{e}; give one MHLW service code")),
        }
    }
    if let Some(raw) = params.raw("district") {
        match snapshot.district(raw.trim()) {
            Some(d) => filter.district = Some(d.id.clone()),
            None => params
                .error("district", one_of(&snapshot.districts().iter().map(|d| d.id.as_str()).collect::<Vec<_>>())),
        }
    }
    params.vacancy_filters(&mut filter);
    filter.home_care = params.boolean("home_care");
    filter.available_24h = params.boolean("available_24h");
    filter.text = params.text("q");
    let mut equalities = Vec::new();
    for q in CQL_PARAMETERS {
        if let Some(raw) = params.raw(q.name()) {
            match cql::equals(q, &raw) {
                Ok(e) => equalities.push(e),
                Err(reason) => params.error(q.name(), reason),
            }
        }
    }
    filter.cql = match equalities.len() {
        0 => None,
        1 => Some(Arc::new(equalities.remove(0))),
        _ => Some(Arc::new(cql::Expr::And(equalities))),
    };
    filter
}

/// Whether the client asked for plain `application/json` rather than JSON Schema.
fn wants_plain_json(headers: &HeaderMap) -> bool {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    accept.contains(JSON) && !accept.contains(SCHEMA_JSON)
}

/// `GET /ogc/collections/{collection_id}/queryables[?f=json|html]`: `application/schema+json`,
/// or `application/json` when the client accepts only that.
pub async fn queryables_get(
    State(state): State<AppState>,
    Path(collection_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    base: Base,
) -> ApiResult<Response> {
    let collection = CollectionId::from_path(&collection_id)?;
    let format = format_only(query.as_deref(), &headers)?;
    let doc = document(collection, &state.catalog.snapshot(), &base);
    Ok(match format {
        Format::Html => html::page(&format!("{} – 検索条件", collection.title()), &doc),
        Format::Json if wants_plain_json(&headers) => json_response(&doc, JSON),
        Format::Json => json_response(&doc, SCHEMA_JSON),
    })
}
