//! OGC API – Features: tests for each requirement class claimed in `/ogc/conformance`, against
//! the bundled sample over real HTTP. `part1` covers Part 1 core and GeoJSON, `openapi` the
//! OpenAPI 3.0 class, `crs` Part 2, `queryables` Part 3's queryables and queryables as query
//! parameters, `filter` Part 3's CQL2 filters with `sortby` and `properties`, and `tiles` OGC
//! API – Tiles (the tiles' content is decoded by GDAL in gdal.rs); `coverage` the coverage grid and
//! `centers` the 地域包括支援センター as collections.

mod centers;
mod coverage;
mod crs;
mod filter;
mod html;
mod openapi;
mod part1;
mod queryables;
mod tiles;

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::app::{Reply, TestApp, ids, lon_lat, spawn_app, spawn_app_with_data};
use crate::support::repo_path;

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const EPSG4326: &str = "http://www.opengis.net/def/crs/EPSG/0/4326";
const EPSG6668: &str = "http://www.opengis.net/def/crs/EPSG/0/6668";
const EPSG6677: &str = "http://www.opengis.net/def/crs/EPSG/0/6677";
const COLLECTIONS: [&str; 6] = ["providers", "care", "clinics", "districts", "coverage", "community-centers"];
const SAMPLE_COUNT: usize = 368;

/// The link with relation `rel` (and media type `media_type`, when given).
fn link<'a>(doc: &'a Value, rel: &str, media_type: Option<&str>) -> Option<&'a Value> {
    doc["links"].as_array()?.iter().find(|l| l["rel"] == rel && media_type.is_none_or(|t| l["type"] == t))
}

fn href(doc: &Value, rel: &str, media_type: Option<&str>) -> String {
    let l = link(doc, rel, media_type).unwrap_or_else(|| panic!("no {rel} link ({media_type:?}) in {doc:#}"));
    l["href"].as_str().unwrap().to_owned()
}

/// GET of an absolute URL taken from a link.
async fn follow(app: &TestApp, url: &str) -> Reply {
    let path = url.strip_prefix(&app.url("")).unwrap_or_else(|| panic!("{url} is not on this server"));
    app.get(path).await
}

fn sorted(v: Vec<String>) -> Vec<String> {
    let mut v = v;
    v.sort();
    v
}

/// Every provider id through the public API.
async fn public_ids(app: &TestApp, query: &str) -> Vec<String> {
    let reply = app.get(&format!("/api/providers?limit=10000&{query}")).await.expect(200);
    sorted(ids(&reply.features()))
}

/// Every id of an OGC items query in one page.
async fn ogc_ids(app: &TestApp, collection: &str, query: &str) -> Vec<String> {
    let reply = app.get(&format!("/ogc/collections/{collection}/items?limit=10000&{query}")).await.expect(200);
    let body = reply.json();
    assert!(link(&body, "next", None).is_none(), "a single page holds everything: {reply}");
    sorted(ids(&reply.features()))
}

/// A parameter of an operation, with `$ref`s resolved.
fn resolve<'a>(doc: &'a Value, p: &'a Value) -> &'a Value {
    match p["$ref"].as_str() {
        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("dangling {r}")),
        None => p,
    }
}

/// The query parameters of the GET operation at `path`, resolved.
fn query_parameters<'a>(doc: &'a Value, path: &str) -> Vec<&'a Value> {
    let op = &doc["paths"][path]["get"];
    let params = op["parameters"].as_array().unwrap_or_else(|| panic!("no parameters for {path}"));
    params.iter().map(|p| resolve(doc, p)).filter(|p| p["in"] == "query").collect()
}

/// Percent-encodes a query value (commas kept, as in `bbox=`).
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~,".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
