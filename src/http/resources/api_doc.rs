//! One API description for the public `/api` and the staff `/api/admin` endpoints (and the
//! health checks): OpenAPI 3.0 at `GET /api/openapi`, or a readable HTML page with `f=html` (or
//! a browser's `Accept`), like `/ogc/api` for the OGC API. The operations are a table here;
//! tests/api/api_doc.rs checks it against the router both ways (every documented operation is
//! routed, every routed `/api` operation is documented), so it cannot drift.

use axum::Router;
use axum::extract::RawQuery;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::catalog::SORTABLE;
use crate::http::error::ApiResult;
use crate::http::plumbing::output::property_names;
use crate::http::plumbing::params::{MAX_TEXT_CHARS, Params};
use crate::http::resources::history::{DEFAULT_AUDIT_LIMIT, MAX_AUDIT_LIMIT};
use crate::http::resources::ogc::{Format, OPENAPI, html_response, json_response, render_html};
use crate::http::{AppState, DEFAULT_LIMIT, MAX_BODY_BYTES, MAX_IMPORT_BYTES, MAX_K, MAX_LIMIT, MAX_RADIUS_M};

/// Routes of the description.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi", get(api_doc_get))
}

/// One documented operation.
struct Op {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    params: &'static [&'static str],
    /// Media type of the request body, if any.
    body: Option<&'static str>,
    /// Success status and media type.
    ok: (&'static str, &'static str),
    /// Needs a staff token.
    staff: bool,
}

const FILTERS: [&str; 8] =
    ["kind", "service", "district", "accepting", "accepting_stale", "home_care", "available_24h", "q"];
const GEOJSON: &str = "application/geo+json";
const JSON: &str = "application/json";

/// Every operation, in the order the page lists them.
const OPS: &[Op] = &[
    Op {
        method: "get",
        path: "/api/providers/nearest",
        summary: "The k nearest providers (WGS84 geodesic), nearest first, each with distance_m",
        params: &["point_lon", "point_lat", "address", "k", "max_distance_m", "@filters", "f"],
        body: None,
        ok: ("200", GEOJSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/providers",
        summary: "Providers in a box, within a radius, or all; filtered, sorted, paged",
        params: &["bbox", "near", "address", "radius_m", "@filters", "sortby", "properties", "limit", "offset", "f"],
        body: None,
        ok: ("200", GEOJSON),
        staff: false,
    },
    Op {
        method: "post",
        path: "/api/providers/search",
        summary: "Providers inside a GeoJSON Polygon or MultiPolygon (the body)",
        params: &["@filters", "limit", "offset", "f"],
        body: Some(GEOJSON),
        ok: ("200", GEOJSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/providers/{id}",
        summary: "One provider as a GeoJSON Feature",
        params: &["id"],
        body: None,
        ok: ("200", GEOJSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/districts",
        summary: "The districts (日常生活圏域) with their provider counts",
        params: &[],
        body: None,
        ok: ("200", GEOJSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/districts/{id}",
        summary: "One district",
        params: &["district_id"],
        body: None,
        ok: ("200", GEOJSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/services",
        summary: "Service codes with Japanese labels, and the page's filter groups",
        params: &[],
        body: None,
        ok: ("200", JSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/fields",
        summary: "The provider's fields: key, Japanese label, type, owner, CSV columns and form hints",
        params: &[],
        body: None,
        ok: ("200", JSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/about",
        summary: "What is being served: dataset, data_updated_at, tile layers",
        params: &[],
        body: None,
        ok: ("200", JSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/coverage",
        summary: "Per grid square: distance to the nearest matching provider, count within reach, population, access",
        params: &[
            "mesh",
            "coverage_district",
            "coverage_bbox",
            "threshold_m",
            "@filters",
            "population",
            "supply",
            "preset",
            "f",
        ],
        body: None,
        ok: ("200", GEOJSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/coverage/summary",
        summary: "The coverage per district: people beyond the threshold and their share",
        params: &[
            "mesh",
            "coverage_district",
            "coverage_bbox",
            "threshold_m",
            "@filters",
            "population",
            "supply",
            "preset",
            "f",
        ],
        body: None,
        ok: ("200", JSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/coverage/presets",
        summary: "The preset questions and the loaded population columns",
        params: &[],
        body: None,
        ok: ("200", JSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/geocode",
        summary: "Address candidates (offline 住所検索), best first, with level, remainder and source",
        params: &["geocode_q", "geocode_limit"],
        body: None,
        ok: ("200", GEOJSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/reverse",
        summary: "The 町字 (and 街区 where loaded) at or nearest to a point, with the distance",
        params: &["lon", "lat"],
        body: None,
        ok: ("200", GEOJSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/community-centers",
        summary: "The 地域包括支援センター with their 担当区域",
        params: &[],
        body: None,
        ok: ("200", GEOJSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/community-centers/for",
        summary: "The centre responsible for an address or point (by 町丁目, else the nearest, with a note)",
        params: &["address", "point_lon", "point_lat"],
        body: None,
        ok: ("200", GEOJSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/openapi",
        summary: "This API description (OpenAPI 3.0), or its HTML page",
        params: &["f_doc"],
        body: None,
        ok: ("200", OPENAPI),
        staff: false,
    },
    Op {
        method: "get",
        path: "/healthz",
        summary: "Liveness",
        params: &[],
        body: None,
        ok: ("200", JSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/readyz",
        summary: "Readiness: 200 once the catalog is loaded, its body's integrity (SQLite) saying whether the start-up integrity check is still checking (writes answer 503 with Retry-After: 1 meanwhile) or ok; 503 problem+json when the catalog is not caught up with the store's change feed within --ready-max-lag-s or the check failed, 503 while overloaded",
        params: &[],
        body: None,
        ok: ("200", JSON),
        staff: false,
    },
    Op {
        method: "get",
        path: "/api/admin/me",
        summary: "The signed-in account: name, role and the providers a provider account may update",
        params: &[],
        body: None,
        ok: ("200", JSON),
        staff: true,
    },
    Op {
        method: "get",
        path: "/api/admin/users",
        summary: "Staff accounts (admin role)",
        params: &[],
        body: None,
        ok: ("200", JSON),
        staff: true,
    },
    Op {
        method: "post",
        path: "/api/admin/providers",
        summary: "Create a provider (201, ETag \"1\", Location); without an id the server assigns staff-<n>",
        params: &["allow_outside_japan"],
        body: Some(GEOJSON),
        ok: ("201", GEOJSON),
        staff: true,
    },
    Op {
        method: "get",
        path: "/api/admin/providers/{id}",
        summary: "One provider with updated_by and deleted_at, and its ETag",
        params: &["id"],
        body: None,
        ok: ("200", GEOJSON),
        staff: true,
    },
    Op {
        method: "put",
        path: "/api/admin/providers/{id}",
        summary: "Replace a provider (If-Match required: 428 without, 412 when stale)",
        params: &["id", "if_match", "allow_outside_japan"],
        body: Some(GEOJSON),
        ok: ("200", GEOJSON),
        staff: true,
    },
    Op {
        method: "delete",
        path: "/api/admin/providers/{id}",
        summary: "Soft delete (If-Match required)",
        params: &["id", "if_match"],
        body: None,
        ok: ("200", GEOJSON),
        staff: true,
    },
    Op {
        method: "post",
        path: "/api/admin/providers/{id}/restore",
        summary: "Restore a soft-deleted provider (If-Match required)",
        params: &["id", "if_match"],
        body: None,
        ok: ("200", GEOJSON),
        staff: true,
    },
    Op {
        method: "post",
        path: "/api/admin/providers/{id}/revert",
        summary: "Revert to an earlier version, as a new version (body {\"version\": n}; If-Match required)",
        params: &["id", "if_match"],
        body: Some(JSON),
        ok: ("200", GEOJSON),
        staff: true,
    },
    Op {
        method: "get",
        path: "/api/admin/providers/{id}/history",
        summary: "A provider's versions with per-field changes",
        params: &["id"],
        body: None,
        ok: ("200", JSON),
        staff: true,
    },
    Op {
        method: "get",
        path: "/api/admin/audit",
        summary: "The global change log, oldest first, paged by `after`",
        params: &["log", "since", "after", "audit_limit"],
        body: None,
        ok: ("200", JSON),
        staff: true,
    },
    Op {
        method: "patch",
        path: "/api/admin/providers/{id}/vacancy",
        summary: "Set or confirm the 空き状況 (accepting, accepting_note, accepting_places; {} confirms unchanged); \
                  stamps accepting_checked_at; provider accounts for their own providers only (If-Match required)",
        params: &["id", "if_match"],
        body: Some(JSON),
        ok: ("200", GEOJSON),
        staff: true,
    },
    Op {
        method: "get",
        path: "/api/admin/vacancy-reminders",
        summary: "Providers by staleness of their 空き状況 (never confirmed first), JSON or CSV for a mail merge",
        params: &["stale", "reminder_f"],
        body: None,
        ok: ("200", JSON),
        staff: true,
    },
    Op {
        method: "get",
        path: "/api/admin/provider-accounts",
        summary: "事業所アカウント: every provider account with its providers (editor or admin)",
        params: &[],
        body: None,
        ok: ("200", JSON),
        staff: true,
    },
    Op {
        method: "post",
        path: "/api/admin/provider-accounts",
        summary: "Issue a provider account ({name, providers}); the token is shown only in this answer (201)",
        params: &[],
        body: Some(JSON),
        ok: ("201", JSON),
        staff: true,
    },
    Op {
        method: "delete",
        path: "/api/admin/provider-accounts/{name}",
        summary: "Revoke a provider account (204; 404 when there is no provider account of that name)",
        params: &["account_name"],
        body: None,
        ok: ("204", JSON),
        staff: true,
    },
    Op {
        method: "get",
        path: "/api/admin/changes",
        summary: "The numbered change feed: every committed provider change after `since`, with the provider after it",
        params: &["feed_since", "feed_limit"],
        body: None,
        ok: ("200", JSON),
        staff: true,
    },
    Op {
        method: "get",
        path: "/api/admin/community-centers",
        summary: "Every 地域包括支援センター with the layer version (also the ETag)",
        params: &[],
        body: None,
        ok: ("200", GEOJSON),
        staff: true,
    },
    Op {
        method: "post",
        path: "/api/admin/community-centers",
        summary: "Add a centre (If-Match: the layer version; 201, Location); 担当区域 must be 町丁目 of the address data (422 names the others)",
        params: &["layer_if_match"],
        body: Some(GEOJSON),
        ok: ("201", GEOJSON),
        staff: true,
    },
    Op {
        method: "put",
        path: "/api/admin/community-centers/{id}",
        summary: "Replace a centre (If-Match: the layer version; 428 without, 412 when stale)",
        params: &["center_id", "layer_if_match"],
        body: Some(GEOJSON),
        ok: ("200", GEOJSON),
        staff: true,
    },
    Op {
        method: "delete",
        path: "/api/admin/community-centers/{id}",
        summary: "Delete a centre (If-Match: the layer version; 204)",
        params: &["center_id", "layer_if_match"],
        body: None,
        ok: ("204", JSON),
        staff: true,
    },
    Op {
        method: "get",
        path: "/api/admin/community-centers/history",
        summary: "Who changed which centre, newest first, with per-field changes",
        params: &["center_history_limit"],
        body: None,
        ok: ("200", JSON),
        staff: true,
    },
    Op {
        method: "post",
        path: "/api/admin/imports",
        summary: "Check (dry_run, the default) or commit official files (multipart); all or nothing",
        params: &[
            "source",
            "dry_run",
            "remove_missing",
            "blank_clears",
            "city",
            "import_crs",
            "import_service",
            "import_name",
        ],
        body: Some("multipart/form-data"),
        ok: ("200", JSON),
        staff: true,
    },
];

fn query(name: &str, description: &str, schema: Value, example: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "style": "form", "explode": false,
            "description": description, "schema": schema, "example": example })
}

/// The reusable parameters, by component name.
fn parameters() -> Map<String, Value> {
    let string = json!({ "type": "string" });
    let boolean = json!({ "type": "boolean" });
    let mut p = Map::new();
    let mut add = |key: &str, v: Value| {
        p.insert(key.to_owned(), v);
    };
    let required = |mut v: Value| {
        v["required"] = json!(true);
        v
    };
    add(
        "lon",
        required(query(
            "lon",
            "Longitude (WGS84, degrees).",
            json!({ "type": "number", "minimum": -180, "maximum": 180 }),
            json!(139.902861),
        )),
    );
    add(
        "lat",
        required(query(
            "lat",
            "Latitude (WGS84, degrees).",
            json!({ "type": "number", "minimum": -90, "maximum": 90 }),
            json!(35.856306),
        )),
    );
    add(
        "address",
        query(
            "address",
            "An address (住所) instead of coordinates, geocoded offline; the response's origin says which point and level were used.",
            json!({ "type": "string", "maxLength": 200 }),
            json!("流山市南流山1丁目"),
        ),
    );
    add(
        "point_lon",
        query(
            "lon",
            "Longitude (WGS84, degrees), with lat, when no address is given.",
            json!({ "type": "number", "minimum": -180, "maximum": 180 }),
            json!(139.902861),
        ),
    );
    add(
        "point_lat",
        query(
            "lat",
            "Latitude (WGS84, degrees), with lon, when no address is given.",
            json!({ "type": "number", "minimum": -90, "maximum": 90 }),
            json!(35.856306),
        ),
    );
    add(
        "geocode_q",
        required(query(
            "q",
            "The address text (at most 200 characters).",
            json!({ "type": "string", "maxLength": 200 }),
            json!("南流山1-16"),
        )),
    );
    add(
        "geocode_limit",
        query(
            "limit",
            "Most candidates (default 10).",
            json!({ "type": "integer", "minimum": 1, "maximum": 100 }),
            json!(5),
        ),
    );
    add(
        "k",
        query(
            "k",
            "How many nearest providers.",
            json!({ "type": "integer", "minimum": 1, "maximum": MAX_K, "default": 10 }),
            json!(5),
        ),
    );
    add(
        "max_distance_m",
        query(
            "max_distance_m",
            "Farthest distance, metres (geodesic).",
            json!({ "type": "number", "minimum": 0 }),
            json!(3000),
        ),
    );
    add(
        "bbox",
        query(
            "bbox",
            "minLon,minLat,maxLon,maxLat (crosses the antimeridian when minLon > maxLon).",
            json!({ "type": "string" }),
            json!("139.89,35.84,139.92,35.87"),
        ),
    );
    add(
        "near",
        query(
            "near",
            "lon,lat of a radius query (with radius_m); results nearest first.",
            string.clone(),
            json!("139.91,35.86"),
        ),
    );
    add(
        "radius_m",
        query(
            "radius_m",
            "Radius of a near query, metres (geodesic).",
            json!({ "type": "number", "minimum": 1, "maximum": MAX_RADIUS_M }),
            json!(1500),
        ),
    );
    add(
        "kind",
        query(
            "kind",
            "Comma list of care, clinic, hospital, pharmacy (any of).",
            string.clone(),
            json!("clinic,hospital"),
        ),
    );
    add(
        "service",
        query("service", "Comma list of MHLW service codes (any of); see /api/services.", string.clone(), json!("130")),
    );
    add("district", query("district", "District id; see /api/districts.", string.clone(), json!("south")));
    add(
        "accepting",
        query(
            "accepting",
            "Vacancy state, a comma list of yes (受入可), consult (要相談), no (受入不可); true and false mean yes and no.",
            json!({ "type": "array", "items": { "type": "string", "enum": ["yes", "consult", "no", "true", "false"] } }),
            json!("yes,consult"),
        ),
    );
    add(
        "accepting_stale",
        query(
            "accepting_stale",
            "false: only providers whose vacancy was confirmed within --stale-after-days; true: only stale ones.",
            boolean.clone(),
            json!(false),
        ),
    );
    add("stale", query("stale", "Only providers whose vacancy is stale.", boolean.clone(), json!(true)));
    add(
        "reminder_f",
        query("f", "json (default) or csv (UTF-8 with BOM, for a mail merge).", string.clone(), json!("csv")),
    );
    add(
        "account_name",
        json!({ "name": "name", "in": "path", "required": true, "description": "Provider account name.",
                "schema": string.clone(), "example": "さくら訪問看護" }),
    );
    add("home_care", query("home_care", "Does home medical care (在宅医療).", boolean.clone(), json!(true)));
    add("available_24h", query("available_24h", "Home medical care around the clock.", boolean.clone(), json!(true)));
    add(
        "q",
        query(
            "q",
            "Text in the name, kana or address (width- and kana-insensitive).",
            json!({ "type": "string", "maxLength": MAX_TEXT_CHARS }),
            json!("さくら"),
        ),
    );
    add(
        "sortby",
        query(
            "sortby",
            &format!(
                "Sort order: comma list, `-` descending; missing values last, ties by id (stable pages). Sortable: {}.",
                SORTABLE.join(", ")
            ),
            json!({ "type": "array", "items": { "type": "string" } }),
            json!("name,-updated_at"),
        ),
    );
    add(
        "properties",
        query(
            "properties",
            "Only these properties in each Feature (GeoJSON only).",
            json!({ "type": "array", "items": { "type": "string", "enum": property_names() } }),
            json!("name,phone"),
        ),
    );
    add(
        "limit",
        query(
            "limit",
            "Page size.",
            json!({ "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT }),
            json!(100),
        ),
    );
    add(
        "offset",
        query("offset", "Results to skip.", json!({ "type": "integer", "minimum": 0, "default": 0 }), json!(0)),
    );
    add(
        "f",
        query(
            "f",
            "geojson (default) or csv (UTF-8 with BOM, for Excel).",
            json!({ "type": "string", "enum": ["geojson", "json", "csv"] }),
            json!("geojson"),
        ),
    );
    add(
        "f_doc",
        query("f", "json (default) or html.", json!({ "type": "string", "enum": ["json", "html"] }), json!("html")),
    );
    add(
        "id",
        json!({ "name": "id", "in": "path", "required": true, "description": "Provider id.", "schema": string.clone(), "example": "care-1291000003" }),
    );
    add(
        "district_id",
        json!({ "name": "id", "in": "path", "required": true, "description": "District id.", "schema": string.clone(), "example": "north" }),
    );
    add(
        "mesh",
        query(
            "mesh",
            "Grid square size.",
            json!({ "type": "string", "enum": ["250m", "500m", "1km"], "default": "500m" }),
            json!("500m"),
        ),
    );
    add(
        "coverage_district",
        query(
            "district",
            "Squares whose centre is in this district (the area, not a provider filter).",
            string.clone(),
            json!("south"),
        ),
    );
    add(
        "coverage_bbox",
        query(
            "bbox",
            "Squares in this box: minLon,minLat,maxLon,maxLat.",
            string.clone(),
            json!("139.89,35.84,139.92,35.87"),
        ),
    );
    add(
        "threshold_m",
        query(
            "threshold_m",
            "Distance of reach, metres.",
            json!({ "type": "number", "minimum": 100, "maximum": 50000, "default": 2000 }),
            json!(2000),
        ),
    );
    add(
        "population",
        query("population", "Population column code (see /api/coverage/presets).", string.clone(), json!("T001141001")),
    );
    add(
        "supply",
        query(
            "supply",
            "What a provider supplies in the access score.",
            json!({ "type": "string", "enum": ["providers", "capacity"] }),
            json!("providers"),
        ),
    );
    add(
        "preset",
        query(
            "preset",
            "A preset question; explicit parameters override it.",
            string.clone(),
            json!("nursing-accepting-2km"),
        ),
    );
    add(
        "allow_outside_japan",
        query("allow_outside_japan", "Accept coordinates outside Japan.", boolean.clone(), json!(false)),
    );
    add(
        "if_match",
        json!({ "name": "If-Match", "in": "header", "required": true, "description": "The version being changed, as an ETag (\"3\").", "schema": string.clone(), "example": "\"1\"" }),
    );
    add(
        "log",
        query(
            "log",
            "Which log.",
            json!({ "type": "string", "enum": ["providers", "accounts"], "default": "providers" }),
            json!("providers"),
        ),
    );
    add(
        "since",
        query(
            "since",
            "Entries at or after this RFC 3339 time.",
            json!({ "type": "string", "format": "date-time" }),
            json!("2026-11-01T00:00:00Z"),
        ),
    );
    add(
        "after",
        query(
            "after",
            "Entries after this sequence number (the `next` link sets it).",
            json!({ "type": "integer", "minimum": 0 }),
            json!(0),
        ),
    );
    add(
        "feed_since",
        query(
            "since",
            "Changes with a sequence number above this one (0, the default: from the start); the previous page's next_since.",
            json!({ "type": "integer", "minimum": 0, "default": 0 }),
            json!(0),
        ),
    );
    add(
        "center_id",
        json!({ "name": "id", "in": "path", "required": true, "description": "地域包括支援センター id.", "schema": string.clone(), "example": "south" }),
    );
    add(
        "layer_if_match",
        json!({ "name": "If-Match", "in": "header", "required": true, "description": "The 地域包括支援センター layer version being changed, as an ETag (\"3\").", "schema": string.clone(), "example": "\"1\"" }),
    );
    add(
        "center_history_limit",
        query(
            "limit",
            "Most entries, newest first.",
            json!({ "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 }),
            json!(100),
        ),
    );
    add(
        "feed_limit",
        query(
            "limit",
            "Page size.",
            json!({ "type": "integer", "minimum": 1, "maximum": crate::http::resources::changes::MAX_CHANGES_LIMIT, "default": crate::http::resources::changes::DEFAULT_CHANGES_LIMIT }),
            json!(100),
        ),
    );
    add(
        "audit_limit",
        query(
            "limit",
            "Page size.",
            json!({ "type": "integer", "minimum": 1, "maximum": MAX_AUDIT_LIMIT, "default": DEFAULT_AUDIT_LIMIT }),
            json!(100),
        ),
    );
    add(
        "source",
        required(query(
            "source",
            "The format of the files. isj-oaza, isj-gaiku, abr (several files as parts of one form) and community-centers replace a layer and need the admin role.",
            json!({ "type": "string", "enum": ["mhlw-care", "iryo-net", "kouseikyoku", "geojson", "estat-mesh", "isj-oaza", "isj-gaiku", "abr", "community-centers"] }),
            json!("mhlw-care"),
        )),
    );
    add(
        "dry_run",
        query(
            "dry_run",
            "Only report what would change (the default).",
            json!({ "type": "boolean", "default": true }),
            json!(true),
        ),
    );
    add(
        "remove_missing",
        query(
            "remove_missing",
            "Remove providers an earlier import of this source brought in that the files no longer list.",
            boolean.clone(),
            json!(false),
        ),
    );
    add("blank_clears", query("blank_clears", "Empty cells clear stored values.", boolean.clone(), json!(false)));
    add("city", query("city", "Keep only this city (5- or 6-digit code).", string.clone(), json!("12220")));
    add("import_crs", query("crs", "CRS of a GeoJSON file.", string.clone(), json!("EPSG:6677")));
    add(
        "import_service",
        query("service", "Service code of care files whose names do not give it.", string.clone(), json!("130")),
    );
    add("import_name", query("name", "A name for the import in the audit log.", string.clone(), json!("2026年上期")));
    p
}

/// The component names of an operation's parameters, `@filters` expanded.
fn param_names(op: &Op) -> Vec<&'static str> {
    op.params.iter().flat_map(|p| if *p == "@filters" { FILTERS.to_vec() } else { vec![*p] }).collect()
}

fn operation(op: &Op) -> Value {
    let params: Vec<Value> =
        param_names(op).iter().map(|n| json!({ "$ref": format!("#/components/parameters/{n}") })).collect();
    let problem = |d: &str| json!({ "description": d, "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/problem" } } } });
    let mut responses = json!({
        op.ok.0: { "description": "Success.", "content": { op.ok.1: { "schema": { "type": "object" } } } },
        "400": problem("A parameter or the body is malformed or out of range; invalid_params names each."),
        "404": problem("No such resource."),
        "500": problem("caremap failed; the error is logged."),
        "503": problem("Overloaded or timed out (Retry-After)."),
    });
    if op.staff {
        responses["401"] = problem("No valid bearer token.");
        responses["403"] = problem("The account's role may not do this.");
    }
    if op.body.is_some() {
        responses["413"] = problem("The body is too large.");
        responses["415"] = problem("The body's media type is not accepted.");
        responses["422"] = problem("The body is well-formed but invalid; invalid_params names each field.");
    }
    if op.params.contains(&"if_match") {
        responses["409"] = problem("Conflicts with the provider's state (e.g. deleted).");
        responses["412"] = problem("If-Match names another version: the body has the current one.");
        responses["428"] = problem("If-Match is required.");
    }
    let mut out = json!({
        "operationId": format!("{}{}", op.method, op.path.replace(['/', '{', '}', '-'], "_")),
        "summary": op.summary,
        "tags": [if op.staff { "staff" } else { "public" }],
        "parameters": params,
        "responses": responses,
    });
    if let Some(media) = op.body {
        out["requestBody"] = json!({ "required": true, "content": { media: { "schema": { "type": "object" } } } });
    }
    if op.staff {
        out["security"] = json!([{ "bearer": [] }]);
    }
    out
}

/// The OpenAPI 3.0 document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in OPS {
        let item = paths.entry(op.path).or_insert_with(|| json!({}));
        item[op.method] = operation(op);
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "caremap API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!("Care providers and home-medical clinics near a place or in a district (public, \
                no sign-in), and the staff write API under /api/admin (bearer token from `caremap user add`). \
                Coordinates are WGS84 lon/lat, distances metres. Every error is application/problem+json naming \
                the bad parameter or field; unknown parameters are refused. Bodies are at most {MAX_BODY_BYTES} bytes \
                ({MAX_IMPORT_BYTES} for imports). The OGC API – Features is described separately at /ogc/api."),
            "license": { "name": "MIT OR Apache-2.0" },
        },
        "tags": [{ "name": "public" }, { "name": "staff" }],
        "paths": paths,
        "components": {
            "parameters": parameters(),
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": { "problem": { "type": "object", "required": ["type", "title", "status"], "properties": {
                "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
                "detail": { "type": "string" },
                "invalid_params": { "type": "array", "items": { "type": "object", "properties": {
                    "name": { "type": "string" }, "reason": { "type": "string" } } } } } } },
        },
    })
}

/// `GET /api/openapi[?f=json|html]`: the OpenAPI 3.0 document, or its HTML page.
async fn api_doc_get(RawQuery(raw): RawQuery, headers: HeaderMap) -> ApiResult<Response> {
    let mut params = Params::parse(raw.as_deref())?;
    let format = Format::from_params(&mut params, false, &headers);
    params.finish()?;
    let doc = document();
    Ok(match format {
        Format::Json => json_response(&doc, OPENAPI),
        Format::Html => html_response(render_html(&doc, "API 定義（caremap API）", "/api/openapi?f=json")),
    })
}
