//! The API definition (`/ogc/api`): an OpenAPI 3.0 document describing every path, parameter
//! (with an `example` each), response and status code the OGC API uses, and a plain HTML
//! version of it (`f=html`). Items paths are listed per collection because their parameters
//! differ: districts have no `datetime`, `near`/`k` or queryables.

use std::fmt::Write;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use crate::catalog::{SORTABLE, Snapshot};
use crate::coverage::PopulationLayers;

use super::items::DEFAULT_K;
use super::reproject::offered_uris;
use super::{
    Base, CollectionId, Format, GEOJSON, HTML, JSON, OPENAPI, SCHEMA_JSON, format_only, html, json_response, queryables,
};
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::plumbing::output::property_names;
use crate::http::plumbing::params::MAX_TEXT_CHARS;
use crate::http::{DEFAULT_LIMIT, MAX_K, MAX_LIMIT};

const PROBLEM: &str = "application/problem+json";

fn param_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/parameters/{name}") })
}

fn error_responses(not_found: bool) -> Value {
    let mut r = json!({
        "400": { "$ref": "#/components/responses/BadRequest" },
        "500": { "$ref": "#/components/responses/ServerError" },
    });
    if not_found {
        r["404"] = json!({ "$ref": "#/components/responses/NotFound" });
    }
    r
}

fn ok_response(description: &str, media: &[(&str, &str)]) -> Value {
    let content: serde_json::Map<String, Value> = media
        .iter()
        .map(|(m, schema)| {
            let schema = if *m == HTML { json!({ "type": "string" }) } else { json!({ "$ref": schema }) };
            ((*m).to_owned(), json!({ "schema": schema }))
        })
        .collect();
    json!({ "description": description, "content": content })
}

fn operation(id: &str, summary: &str, parameters: Vec<Value>, ok: Value, not_found: bool) -> Value {
    let mut responses = error_responses(not_found);
    responses["200"] = ok;
    json!({ "get": {
        "operationId": id, "summary": summary, "tags": ["OGC API – Features"],
        "parameters": parameters, "responses": responses,
    } })
}

/// The query parameters of a collection's items, as OpenAPI Parameter Objects or references.
pub fn items_parameters(collection: CollectionId, snapshot: &Snapshot, layers: &PopulationLayers) -> Vec<Value> {
    let mut p: Vec<Value> = ["limit", "offset", "bbox", "bbox-crs", "crs"].iter().map(|n| param_ref(n)).collect();
    if collection == CollectionId::Coverage {
        let districts: Vec<&str> = snapshot.districts().iter().map(|d| d.id.as_str()).collect();
        let columns: Vec<&str> = layers.columns().iter().map(|c| c.code.as_str()).collect();
        p.extend(super::coverage::openapi_parameters(&districts, &columns));
    }
    if collection.kinds().is_some() {
        p.extend(
            ["datetime", "near", "k", "q", "filter", "filter-lang", "filter-crs", "sortby", "properties"]
                .iter()
                .map(|n| param_ref(n)),
        );
        for (name, schema) in queryables::parameters(collection, snapshot) {
            let example = schema["enum"].get(0).cloned().unwrap_or_else(|| {
                match (schema["type"].as_str(), schema["format"].as_str()) {
                    (Some("boolean"), _) => json!(true),
                    (Some("integer"), _) => json!(10),
                    (_, Some("date-time")) => json!("2026-11-01T00:00:00Z"),
                    (_, Some("date")) => json!("2026-11-01"),
                    _ => json!("流山"),
                }
            });
            let description = schema["description"].as_str().unwrap_or("").to_owned();
            p.push(json!({
                "name": name, "in": "query", "required": false, "style": "form", "explode": false,
                "description": format!("Queryable (equality; one value). {description}"),
                "schema": schema, "example": example,
            }));
        }
    }
    p.push(param_ref("f-features"));
    p
}

/// The parameters of a single feature: its id, `crs`, `f`, and for the coverage grid the
/// question it is computed for.
fn item_parameters(collection: CollectionId, snapshot: &Snapshot, layers: &PopulationLayers) -> Vec<Value> {
    let mut p = vec![param_ref("featureId"), param_ref("crs")];
    if collection == CollectionId::Coverage {
        let districts: Vec<&str> = snapshot.districts().iter().map(|d| d.id.as_str()).collect();
        let columns: Vec<&str> = layers.columns().iter().map(|c| c.code.as_str()).collect();
        p.extend(super::coverage::openapi_parameters(&districts, &columns));
    }
    p.push(param_ref("f-features"));
    p
}

fn components() -> Value {
    let crs_schema = json!({ "type": "string", "format": "uri", "enum": offered_uris(), "default": offered_uris()[0] });
    json!({
        "parameters": {
            "limit": {
                "name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "Most features in the response (page size).",
                "schema": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT },
                "example": 25,
            },
            "offset": {
                "name": "offset", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "Features to skip before the page starts (the `next` link sets it).",
                "schema": { "type": "integer", "minimum": 0, "maximum": u32::MAX, "default": 0 },
                "example": 0,
            },
            "bbox": {
                "name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "Only features whose geometry intersects the box: lower corner, upper corner, \
                                in the axis order of `bbox-crs` (CRS84: minLon,minLat,maxLon,maxLat). \
                                Four numbers; 3-D boxes (six numbers) are refused with 400.",
                "schema": { "type": "array", "minItems": 4, "maxItems": 4, "items": { "type": "number" } },
                "example": [139.87, 35.82, 139.96, 35.92],
            },
            "bbox-crs": {
                "name": "bbox-crs", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "CRS of `bbox` (Part 2). In EPSG:4326 and 6668 the box is lat,lon; in EPSG:6677 \
                                northing,easting (metres). Boxes in 6668/6677 are matched exactly in that CRS.",
                "schema": crs_schema, "example": offered_uris()[0],
            },
            "crs": {
                "name": "crs", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "CRS of the output coordinates (Part 2), in that CRS's axis order; echoed in \
                                the `Content-Crs` header.",
                "schema": crs_schema, "example": offered_uris()[3],
            },
            "datetime": {
                "name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "Only features whose `updated_at` is this RFC 3339 instant or lies in this \
                                interval (`start/end`; an open end is `..` or empty). A date stands for the \
                                whole UTC day.",
                "schema": { "type": "string" }, "example": "2026-01-01T00:00:00Z/..",
            },
            "near": {
                "name": "near", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "caremap extension: the `k` features nearest to this CRS84 position lon,lat by \
                                WGS84 geodesic distance, nearest first, each with `properties.distance_m`. \
                                Not combinable with `bbox`.",
                "schema": { "type": "array", "minItems": 2, "maxItems": 2, "items": { "type": "number" } },
                "example": [139.902861, 35.856306],
            },
            "k": {
                "name": "k", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "caremap extension: how many nearest features `near` returns.",
                "schema": { "type": "integer", "minimum": 1, "maximum": MAX_K, "default": DEFAULT_K },
                "example": 5,
            },
            "q": {
                "name": "q", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "caremap extension: text in the name, kana or address (width- and \
                                kana-insensitive).",
                "schema": { "type": "string", "maxLength": MAX_TEXT_CHARS }, "example": "流山",
            },
            "filter": {
                "name": "filter", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "OGC API – Features Part 3: only features for which this CQL2 expression is true. \
                                Basic CQL2 (=, <>, <, <=, >, >=, AND, OR, NOT, IS NULL), LIKE (% and _), \
                                BETWEEN, IN on the queryables (see /collections/{collectionId}/queryables); \
                                S_INTERSECTS(geometry, POINT|MULTIPOINT|LINESTRING|POLYGON|MULTIPOLYGON|BBOX). \
                                caremap extension: S_DWITHIN(geometry, POINT(lon lat), metres), WGS84 \
                                geodesic distance. `service = '130'` and `service IN (…)` test the provider's \
                                service codes. An invalid expression is a 400 naming `filter` with the byte \
                                offset (cql2-text) or JSON pointer (cql2-json) of the problem.",
                "schema": { "type": "string" },
                "example": "kind IN ('clinic','hospital') AND name LIKE '%クリニック%'",
            },
            "filter-lang": {
                "name": "filter-lang", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "Encoding of `filter`. `cql-text` (the draft name that GDAL 3.6 and earlier send) \
                                is read as cql2-text.",
                "schema": { "type": "string", "enum": super::filter::FILTER_LANGS, "default": "cql2-text" },
                "example": "cql2-text",
            },
            "filter-crs": {
                "name": "filter-crs", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "CRS of the geometry literals in `filter`, in its axis order (EPSG:4326/6668 \
                                lat,lon; EPSG:6677 northing,easting). S_DWITHIN distances stay in metres.",
                "schema": crs_schema, "example": offered_uris()[0],
            },
            "sortby": {
                "name": "sortby", "in": "query", "required": false, "style": "form", "explode": false,
                "description": format!("Sort order (OGC API – Features Part 8 spelling): a comma list of \
                                properties, each optionally prefixed + (ascending, default) or - (descending), \
                                e.g. `name,-updated_at`. Missing values sort last; ties are broken by id, so \
                                pages stay stable. Sortable: {}.", SORTABLE.join(", ")),
                "schema": { "type": "array", "items": { "type": "string", "pattern": "^[+-]?[a-z_0-9]+$" } },
                "example": ["name", "-updated_at"],
            },
            "properties": {
                "name": "properties", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "Only these properties in each feature (id and geometry always stay).",
                "schema": { "type": "array", "items": { "type": "string", "enum": property_names() } },
                "example": ["name", "address", "phone"],
            },
            "f-features": {
                "name": "f", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "Encoding: GeoJSON (`json`, `geojson`; the default) or HTML.",
                "schema": { "type": "string", "enum": ["json", "geojson", "html"], "default": "json" },
                "example": "json",
            },
            "f": {
                "name": "f", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "Encoding: JSON (the default) or HTML.",
                "schema": { "type": "string", "enum": ["json", "html"], "default": "json" },
                "example": "json",
            },
            "tileMatrixSetId": {
                "name": "tileMatrixSetId", "in": "path", "required": true,
                "schema": { "type": "string", "enum": ["WebMercatorQuad"] },
            },
            "tileMatrix": {
                "name": "tileMatrix", "in": "path", "required": true, "description": "Zoom level, 0 to 22.",
                "schema": { "type": "integer", "minimum": 0, "maximum": 22 },
            },
            "tileRow": {
                "name": "tileRow", "in": "path", "required": true, "description": "Row, 0 at the top.",
                "schema": { "type": "integer", "minimum": 0 },
            },
            "tileCol": {
                "name": "tileCol", "in": "path", "required": true, "description": "Column, 0 at the west.",
                "schema": { "type": "integer", "minimum": 0 },
            },
            "collectionId": {
                "name": "collectionId", "in": "path", "required": true,
                "schema": { "type": "string", "enum": CollectionId::ALL.map(CollectionId::id) },
            },
            "featureId": {
                "name": "featureId", "in": "path", "required": true,
                "description": "A provider id (e.g. `care-1291000003`), a district id, or a grid-square code \
                                (`coverage`, e.g. `5339577744`).",
                "schema": { "type": "string" },
            },
        },
        "responses": {
            "BadRequest": { "description": "A query parameter is unknown or has an invalid value; \
                                            `invalid_params` names each.",
                            "content": { PROBLEM: { "schema": { "$ref": "#/components/schemas/problem" } } } },
            "NotFound": { "description": "No such collection or feature.",
                          "content": { PROBLEM: { "schema": { "$ref": "#/components/schemas/problem" } } } },
            "ServerError": { "description": "caremap failed; the error is logged.",
                             "content": { PROBLEM: { "schema": { "$ref": "#/components/schemas/problem" } } } },
        },
        "schemas": schemas(),
    })
}

fn schemas() -> Value {
    let links = json!({ "type": "array", "items": { "$ref": "#/components/schemas/link" } });
    json!({
        "link": { "type": "object", "required": ["href", "rel", "type"], "properties": {
            "href": { "type": "string" }, "rel": { "type": "string" }, "type": { "type": "string" },
            "title": { "type": "string" } } },
        "landingPage": { "type": "object", "required": ["links"], "properties": {
            "title": { "type": "string" }, "description": { "type": "string" }, "links": links } },
        "confClasses": { "type": "object", "required": ["conformsTo"], "properties": {
            "conformsTo": { "type": "array", "items": { "type": "string" } } } },
        "collection": { "type": "object", "required": ["id", "links"], "properties": {
            "id": { "type": "string" }, "title": { "type": "string" }, "description": { "type": "string" },
            "itemType": { "type": "string" },
            "extent": { "type": "object", "properties": {
                "spatial": { "type": "object", "properties": {
                    "bbox": { "type": "array", "items": { "type": "array", "minItems": 4, "maxItems": 4,
                                                         "items": { "type": "number" } } },
                    "crs": { "type": "string" } } },
                "temporal": { "type": "object", "properties": {
                    "interval": { "type": "array", "items": { "type": "array", "minItems": 2, "maxItems": 2,
                                                             "items": { "type": "string", "nullable": true } } },
                    "trs": { "type": "string" } } } } },
            "crs": { "type": "array", "items": { "type": "string" } },
            "storageCrs": { "type": "string" },
            "links": links } },
        "collections": { "type": "object", "required": ["links", "collections"], "properties": {
            "links": links,
            "collections": { "type": "array", "items": { "$ref": "#/components/schemas/collection" } } } },
        "featureGeoJSON": { "type": "object", "required": ["type", "geometry", "properties"], "properties": {
            "type": { "type": "string", "enum": ["Feature"] }, "id": { "type": "string" },
            "geometry": { "type": "object" }, "properties": { "type": "object", "nullable": true },
            "links": links } },
        "featureCollectionGeoJSON": { "type": "object", "required": ["type", "features"], "properties": {
            "type": { "type": "string", "enum": ["FeatureCollection"] },
            "features": { "type": "array", "items": { "$ref": "#/components/schemas/featureGeoJSON" } },
            "links": links, "timeStamp": { "type": "string", "format": "date-time" },
            "numberMatched": { "type": "integer", "minimum": 0 },
            "numberReturned": { "type": "integer", "minimum": 0 } } },
        "queryables": { "type": "object", "required": ["type", "properties"], "properties": {
            "$schema": { "type": "string" }, "$id": { "type": "string" }, "type": { "type": "string" },
            "properties": { "type": "object" } } },
        "openapi": { "type": "object" },
        "tiling": { "type": "object", "description": "A tile matrix set, tileset or tilesets list (OGC API – Tiles)." },
        "problem": { "type": "object", "required": ["type", "title", "status"], "properties": {
            "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
            "detail": { "type": "string" },
            "invalid_params": { "type": "array", "items": { "type": "object", "properties": {
                "name": { "type": "string" }, "reason": { "type": "string" } } } } } },
    })
}

/// The OpenAPI 3.0 document for the server at `base`.
pub fn document(base: &Base, snapshot: &Snapshot, layers: &PopulationLayers) -> Value {
    let json_html = |schema: &str| vec![(JSON, schema.to_owned()), (HTML, String::new())];
    let ok = |d: &str, media: Vec<(&str, String)>| {
        ok_response(d, &media.iter().map(|(m, s)| (*m, s.as_str())).collect::<Vec<_>>())
    };
    let content_crs = json!({ "Content-Crs": {
        "description": "The CRS of the coordinates, as <URI> (Part 2).", "schema": { "type": "string" } } });
    let mut paths = serde_json::Map::new();
    paths.insert(
        "/".into(),
        operation(
            "getLandingPage",
            "Landing page",
            vec![param_ref("f")],
            ok("The landing page.", json_html("#/components/schemas/landingPage")),
            false,
        ),
    );
    paths.insert(
        "/conformance".into(),
        operation(
            "getConformance",
            "Conformance classes implemented",
            vec![param_ref("f")],
            ok("The conformance classes.", json_html("#/components/schemas/confClasses")),
            false,
        ),
    );
    paths.insert(
        "/api".into(),
        operation(
            "getApi",
            "This API definition",
            vec![param_ref("f")],
            ok("The OpenAPI document.", vec![(OPENAPI, "#/components/schemas/openapi".into()), (HTML, String::new())]),
            false,
        ),
    );
    paths.insert(
        "/collections".into(),
        operation(
            "getCollections",
            "The feature collections",
            vec![param_ref("f")],
            ok("Every collection's metadata.", json_html("#/components/schemas/collections")),
            false,
        ),
    );
    paths.insert(
        "/collections/{collectionId}".into(),
        operation(
            "getCollection",
            "One collection's metadata",
            vec![param_ref("collectionId"), param_ref("f")],
            ok("The collection.", json_html("#/components/schemas/collection")),
            true,
        ),
    );
    paths.insert(
        "/collections/{collectionId}/queryables".into(),
        operation(
            "getQueryables",
            "What a collection's items can be filtered by (JSON Schema); each simple queryable is also a query parameter of its items",
            vec![param_ref("collectionId"), param_ref("f")],
            ok("The queryables.", vec![(SCHEMA_JSON, "#/components/schemas/queryables".into()), (JSON, "#/components/schemas/queryables".into()), (HTML, String::new())]),
            true,
        ),
    );
    for c in CollectionId::ALL {
        let mut items_ok = ok(
            "A page of features.",
            vec![(GEOJSON, "#/components/schemas/featureCollectionGeoJSON".into()), (HTML, String::new())],
        );
        items_ok["headers"] = content_crs.clone();
        paths.insert(
            format!("/collections/{}/items", c.id()),
            operation(
                &format!("get{}Items", c.id()),
                &format!("Features of '{}' ({})", c.id(), c.title()),
                items_parameters(c, snapshot, layers),
                items_ok,
                true,
            ),
        );
        let mut item_ok =
            ok("One feature.", vec![(GEOJSON, "#/components/schemas/featureGeoJSON".into()), (HTML, String::new())]);
        item_ok["headers"] = content_crs.clone();
        paths.insert(
            format!("/collections/{}/items/{{featureId}}", c.id()),
            operation(
                &format!("get{}Item", c.id()),
                &format!("One feature of '{}'", c.id()),
                item_parameters(c, snapshot, layers),
                item_ok,
                true,
            ),
        );
    }
    let tiles_json = |d: &str| ok(d, json_html("#/components/schemas/tiling"));
    paths.insert(
        "/tileMatrixSets".into(),
        operation(
            "getTileMatrixSets",
            "The tile matrix sets (WebMercatorQuad)",
            vec![param_ref("f")],
            tiles_json("The list."),
            false,
        ),
    );
    paths.insert(
        "/tileMatrixSets/{tileMatrixSetId}".into(),
        operation(
            "getTileMatrixSet",
            "A tile matrix set definition (OGC 2D TileMatrixSet 2.0)",
            vec![param_ref("tileMatrixSetId"), param_ref("f")],
            tiles_json("The definition."),
            true,
        ),
    );
    paths.insert(
        "/collections/{collectionId}/tiles".into(),
        operation(
            "getCollectionTilesets",
            "A collection's vector tilesets",
            vec![param_ref("collectionId"), param_ref("f")],
            tiles_json("The tilesets."),
            true,
        ),
    );
    paths.insert(
        "/collections/{collectionId}/tiles/{tileMatrixSetId}".into(),
        operation(
            "getCollectionTileset",
            "A collection's tileset metadata",
            vec![param_ref("collectionId"), param_ref("tileMatrixSetId"), param_ref("f")],
            tiles_json("The tileset."),
            true,
        ),
    );
    let mut tile_ok = json!({ "description": "A Mapbox Vector Tile with one layer named after the collection.",
        "content": { "application/vnd.mapbox-vector-tile": { "schema": { "type": "string", "format": "binary" } } } });
    tile_ok["description"] = json!(
        "A Mapbox Vector Tile with one layer named after the collection. Provider \
        tiles take the collection's queryables as parameters and filter/filter-lang/filter-crs, as its items do."
    );
    paths.insert(
        "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}".into(),
        operation(
            "getCollectionTile",
            "A vector tile of a collection",
            [
                "collectionId",
                "tileMatrixSetId",
                "tileMatrix",
                "tileRow",
                "tileCol",
                "filter",
                "filter-lang",
                "filter-crs",
            ]
            .iter()
            .map(|n| param_ref(n))
            .collect(),
            tile_ok,
            true,
        ),
    );
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "caremap OGC API – Features",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Care providers and home-medical clinics with their districts, and the coverage grid \
                            (distance to the nearest matching provider per JIS grid square, computed on \
                            request), served as OGC API – \
                            Features Part 1 (core, GeoJSON, OpenAPI 3.0), Part 2 (crs) and Part 3 (queryables, \
                            queryables as query parameters, CQL2 filters), and OGC API – Tiles (vector tiles in WebMercatorQuad). Unknown query parameters and invalid values are answered \
                            with 400 (application/problem+json).",
            "license": { "name": "MIT OR Apache-2.0" },
        },
        "servers": [{ "url": base.root() }],
        "tags": [{ "name": "OGC API – Features" }],
        "paths": paths,
        "components": components(),
    })
}

/// An OpenAPI document as a plain HTML page titled `title`: each operation with its summary and
/// parameters, and a link to the JSON at `json_href`.
pub(crate) fn render_html(doc: &Value, title: &str, json_href: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "<p>{}</p>", html::escape(doc["info"]["description"].as_str().unwrap_or("")));
    let _ = writeln!(out, "<p><a href=\"{}\">OpenAPI 3.0（JSON）</a></p>", html::escape(json_href));
    let resolve = |p: &Value| -> Value {
        match p["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
            Some(path) => doc.pointer(&format!("/{path}")).cloned().unwrap_or(Value::Null),
            None => p.clone(),
        }
    };
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in ["get", "post", "put", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let _ = writeln!(
                out,
                "<h2>{} {}</h2>\n<p>{}</p>",
                method.to_ascii_uppercase(),
                html::escape(path),
                html::escape(op["summary"].as_str().unwrap_or(""))
            );
            out.push_str(
                "<table>\n<thead>\n<tr><th scope=\"col\">パラメータ</th><th scope=\"col\">場所</th>\
                 <th scope=\"col\">型</th><th scope=\"col\">説明</th></tr>\n</thead>\n<tbody>\n",
            );
            for p in op["parameters"].as_array().into_iter().flatten().map(resolve) {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    html::escape(p["name"].as_str().unwrap_or("")),
                    html::escape(p["in"].as_str().unwrap_or("")),
                    html::escape(&p["schema"].to_string()),
                    html::escape(p["description"].as_str().unwrap_or(""))
                );
            }
            out.push_str("</tbody>\n</table>\n");
        }
    }
    html::document(title, &out)
}

/// `GET /ogc/api[?f=json|html]`: the OpenAPI 3.0 document
/// (`application/vnd.oai.openapi+json;version=3.0`), or its HTML version.
pub async fn api_get(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    base: Base,
) -> ApiResult<Response> {
    let format = format_only(query.as_deref(), &headers)?;
    let doc = document(&base, &state.catalog.snapshot(), &state.population.load());
    Ok(match format {
        Format::Json => json_response(&doc, OPENAPI),
        Format::Html => {
            let json_href = format!("{}/api?f=json", doc["servers"][0]["url"].as_str().unwrap_or(""));
            html::html_response(render_html(&doc, "API 定義（OGC API – Features）", &json_href))
        }
    })
}
