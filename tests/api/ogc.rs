//! OGC API – Features: one or more tests for each requirement class claimed in
//! `/ogc/conformance` (Part 1 core, GeoJSON, OpenAPI 3.0; Part 2 crs; Part 3 queryables and
//! queryables as query parameters), against the bundled sample over real HTTP.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::helpers::{Reply, TestApp, ids, lon_lat, repo_path, spawn_app, spawn_app_with_data};

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const EPSG4326: &str = "http://www.opengis.net/def/crs/EPSG/0/4326";
const EPSG6668: &str = "http://www.opengis.net/def/crs/EPSG/0/6668";
const EPSG6677: &str = "http://www.opengis.net/def/crs/EPSG/0/6677";
const COLLECTIONS: [&str; 4] = ["providers", "care", "clinics", "districts"];
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

/// Runs `cs2cs from to` on authority-ordered pairs (see tests/crs_cs2cs.rs).
fn cs2cs(from: &str, to: &str, input: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut child = Command::new("cs2cs")
        .args(["-f", "%.10f", from, to])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cs2cs is installed (apt-get install proj-bin; `make test` does it)");
    let text: String = input.iter().map(|[a, b]| format!("{a} {b}\n")).collect();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Vec<f64> = l.split_whitespace().take(2).map(|x| x.parse().unwrap()).collect();
            [v[0], v[1]]
        })
        .collect()
}

// ---- Part 1 core: landing page, API definition, conformance -------------------------------

#[tokio::test]
async fn the_landing_page_links_to_the_api_definition_the_conformance_and_the_collections() {
    let app = spawn_app().await;
    let reply = app.get("/ogc").await.expect(200);
    assert_eq!(reply.content_type, "application/json");
    let body = reply.json();
    for l in body["links"].as_array().unwrap() {
        assert!(l["rel"].is_string() && l["type"].is_string(), "every link has rel and type: {l}");
        assert!(l["href"].as_str().unwrap().starts_with(&app.url("/ogc")), "links are absolute: {l}");
    }
    let api = follow(&app, &href(&body, "service-desc", Some("application/vnd.oai.openapi+json;version=3.0"))).await;
    assert_eq!(api.expect(200).content_type, "application/vnd.oai.openapi+json;version=3.0");
    let doc = follow(&app, &href(&body, "service-doc", Some("text/html"))).await.expect(200);
    assert!(doc.content_type.starts_with("text/html"), "{doc}");
    let conformance = follow(&app, &href(&body, "conformance", Some("application/json"))).await.expect(200);
    assert!(conformance.json()["conformsTo"].is_array());
    let data = follow(&app, &href(&body, "data", Some("application/json"))).await.expect(200);
    assert_eq!(data.json()["collections"].as_array().unwrap().len(), 4);
    app.get("/ogc/").await.expect(200);
}

#[tokio::test]
async fn links_use_the_host_the_client_addressed() {
    let app = spawn_app().await;
    let request = app
        .client
        .get(app.url("/ogc/collections"))
        .header("host", "gis.example.jp:8443")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "attacker.example");
    let body: Value = request.send().await.unwrap().json().await.unwrap();
    assert_eq!(href(&body, "self", None), "https://gis.example.jp:8443/ogc/collections");
    let bad = app.client.get(app.url("/ogc")).header("host", "x\"><b>").send().await.unwrap();
    let body: Value = bad.json().await.unwrap();
    assert!(href(&body, "self", None).starts_with("http://localhost/ogc"), "{body}");
}

#[tokio::test]
async fn conformance_claims_exactly_the_classes_implemented() {
    let app = spawn_app().await;
    let body = app.get("/ogc/conformance").await.expect(200).json();
    let claimed: BTreeSet<&str> = body["conformsTo"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    let expected: BTreeSet<&str> = [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    ]
    .into();
    assert_eq!(claimed, expected);
}

// ---- OpenAPI 3.0 ------------------------------------------------------------------------------

/// A parameter of an operation, with `$ref`s resolved.
fn resolve<'a>(doc: &'a Value, p: &'a Value) -> &'a Value {
    match p["$ref"].as_str() {
        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("dangling {r}")),
        None => p,
    }
}

fn query_parameters<'a>(doc: &'a Value, path: &str) -> Vec<&'a Value> {
    let op = &doc["paths"][path]["get"];
    let params = op["parameters"].as_array().unwrap_or_else(|| panic!("no parameters for {path}"));
    params.iter().map(|p| resolve(doc, p)).filter(|p| p["in"] == "query").collect()
}

#[tokio::test]
async fn the_api_definition_is_openapi_3_with_limit_default_100_and_maximum_10000() {
    let app = spawn_app().await;
    let doc = app.get("/ogc/api").await.expect(200).json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.0."), "{}", doc["openapi"]);
    assert_eq!(doc["servers"][0]["url"], app.url("/ogc"));
    for path in [
        "/",
        "/conformance",
        "/api",
        "/collections",
        "/collections/{collectionId}",
        "/collections/{collectionId}/queryables",
    ] {
        assert!(doc["paths"][path]["get"]["responses"]["200"].is_object(), "{path}");
    }
    for c in COLLECTIONS {
        let path = format!("/collections/{c}/items");
        let limit = query_parameters(&doc, &path).into_iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!(
            (&limit["schema"]["default"], &limit["schema"]["maximum"], &limit["schema"]["minimum"]),
            (&Value::from(100), &Value::from(10_000), &Value::from(1)),
            "{path}"
        );
        let responses = &doc["paths"][&path]["get"]["responses"];
        for status in ["200", "400", "404", "500"] {
            assert!(responses[status].is_object(), "{path} declares {status}");
        }
        assert!(responses["200"]["content"]["application/geo+json"].is_object());
        assert!(doc["paths"][format!("/collections/{c}/items/{{featureId}}")]["get"].is_object());
    }
    let providers = query_parameters(&doc, "/collections/providers/items");
    let names: BTreeSet<&str> = providers.iter().map(|p| p["name"].as_str().unwrap()).collect();
    for extension in ["near", "k", "q"] {
        assert!(names.contains(extension), "the {extension} extension is declared: {names:?}");
    }
}

#[tokio::test]
async fn the_api_definition_has_an_html_version() {
    let app = spawn_app().await;
    let reply = app.get("/ogc/api?f=html").await.expect(200);
    assert!(reply.content_type.starts_with("text/html"));
    let text = reply.text();
    assert!(text.contains("/collections/providers/items") && text.contains("bbox-crs"), "{text}");
}

/// The example of a declared parameter as a query-string value.
fn example_value(p: &Value) -> String {
    match &p["example"] {
        Value::Array(items) => items.iter().map(Value::to_string).collect::<Vec<_>>().join(","),
        Value::String(s) => s.clone(),
        Value::Null => panic!("parameter {} has no example", p["name"]),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn every_declared_items_parameter_is_accepted_and_undeclared_ones_are_refused() {
    let app = spawn_app().await;
    let doc = app.get("/ogc/api").await.expect(200).json();
    for c in COLLECTIONS {
        let params = query_parameters(&doc, &format!("/collections/{c}/items"));
        for p in &params {
            let name = p["name"].as_str().unwrap();
            let mut query = format!("{name}={}", urlencode(&example_value(p)));
            if name == "bbox-crs" {
                query.push_str("&bbox=139.8,35.8,140,36");
            }
            if name == "k" {
                query.push_str("&near=139.9,35.85");
            }
            app.get(&format!("/ogc/collections/{c}/items?{query}")).await.expect(200);
        }
        let declared: BTreeSet<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
        for candidate in ["datetime", "near", "kind", "service", "colour", "limits", "filter"] {
            if !declared.contains(candidate) {
                let value = if candidate == "near" { "139.9,35.85" } else { "1" };
                app.get(&format!("/ogc/collections/{c}/items?{candidate}={value}"))
                    .await
                    .expect_problem(400, candidate);
            }
        }
    }
}

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

// ---- Collections ------------------------------------------------------------------------------

#[tokio::test]
async fn collections_list_four_collections_each_with_links_crs_and_storage_crs() {
    let app = spawn_app().await;
    let reply = app.get("/ogc/collections").await.expect(200);
    assert_eq!(reply.content_type, "application/json");
    let body = reply.json();
    assert!(link(&body, "self", Some("application/json")).is_some() && link(&body, "alternate", None).is_some());
    let collections = body["collections"].as_array().unwrap();
    let listed: Vec<&str> = collections.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(listed, COLLECTIONS);
    for c in collections {
        let id = c["id"].as_str().unwrap();
        assert_eq!(href(c, "self", Some("application/json")), app.url(&format!("/ogc/collections/{id}")));
        assert!(link(c, "alternate", Some("text/html")).is_some(), "{c}");
        assert_eq!(href(c, "items", Some("application/geo+json")), app.url(&format!("/ogc/collections/{id}/items")));
        let queryables = href(c, "http://www.opengis.net/def/rel/ogc/1.0/queryables", None);
        follow(&app, &queryables).await.expect(200);
        let crs: Vec<&str> = c["crs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(crs, [CRS84, EPSG4326, EPSG6668, EPSG6677], "{id}");
        assert_eq!(c["storageCrs"], CRS84);
    }
}

#[tokio::test]
async fn each_collection_extent_bounds_every_feature_and_spans_its_update_times() {
    let app = spawn_app().await;
    for id in COLLECTIONS {
        let c = app.get(&format!("/ogc/collections/{id}")).await.expect(200).json();
        let b: Vec<f64> =
            c["extent"]["spatial"]["bbox"][0].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(c["extent"]["spatial"]["crs"], CRS84);
        let features = app.get(&format!("/ogc/collections/{id}/items?limit=10000")).await.expect(200).features();
        assert!(!features.is_empty());
        let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
        for f in &features {
            let mut visit = |p: &Value| {
                let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
                lo = [lo[0].min(x), lo[1].min(y)];
                hi = [hi[0].max(x), hi[1].max(y)];
            };
            positions(&f["geometry"]["coordinates"], &mut visit);
        }
        // The extent bounds every geometry, and is tight (its edges touch the data).
        assert_eq!(b, [lo[0], lo[1], hi[0], hi[1]], "{id}");
        if id == "districts" {
            assert!(c["extent"]["temporal"].is_null());
        } else {
            let times: BTreeSet<&str> =
                features.iter().map(|f| f["properties"]["updated_at"].as_str().unwrap()).collect();
            let interval = &c["extent"]["temporal"]["interval"][0];
            assert_eq!(
                (interval[0].as_str().unwrap(), interval[1].as_str().unwrap()),
                (*times.first().unwrap(), *times.last().unwrap())
            );
        }
    }
}

/// Calls `visit` on every position of a GeoJSON coordinates array.
fn positions(v: &Value, visit: &mut impl FnMut(&Value)) {
    match v.as_array() {
        Some(a) if a.first().is_some_and(Value::is_number) => visit(v),
        Some(a) => a.iter().for_each(|x| positions(x, visit)),
        None => {}
    }
}

#[tokio::test]
async fn a_collection_resource_is_its_entry_in_the_collections_list() {
    let app = spawn_app().await;
    let all = app.get("/ogc/collections").await.expect(200).json();
    for entry in all["collections"].as_array().unwrap() {
        let id = entry["id"].as_str().unwrap();
        let reply = app.get(&format!("/ogc/collections/{id}")).await.expect(200);
        assert_eq!(&reply.json(), entry);
        let link_header = reply.headers["link"].to_str().unwrap();
        assert!(link_header.contains("rel=\"http://www.opengis.net/def/rel/ogc/1.0/queryables\""), "{link_header}");
    }
}

#[tokio::test]
async fn unknown_collections_and_features_are_404_problems() {
    let app = spawn_app().await;
    app.get("/ogc/collections/hospitals").await.expect_problem(404, "hospitals");
    app.get("/ogc/collections/hospitals/items").await.expect_problem(404, "hospitals");
    app.get("/ogc/collections/providers/items/no-such-id").await.expect_problem(404, "no-such-id");
    app.get("/ogc/collections/districts/items/atlantis").await.expect_problem(404, "atlantis");
    app.get("/ogc/nothing/here").await.expect_problem(404, "OGC");
    // A care office is not in the clinics collection.
    let care = app.get("/ogc/collections/care/items?limit=1").await.expect(200).features();
    let id = care[0]["id"].as_str().unwrap();
    app.get(&format!("/ogc/collections/clinics/items/{id}")).await.expect_problem(404, id);
}

// ---- Items: GeoJSON, counts, paging ----------------------------------------------------------

#[tokio::test]
async fn items_are_geojson_with_exact_counts_a_timestamp_and_typed_links() {
    let app = spawn_app().await;
    let reply = app.get("/ogc/collections/providers/items?limit=10").await.expect(200);
    assert_eq!(reply.content_type, "application/geo+json");
    assert_eq!(reply.headers["content-crs"], format!("<{CRS84}>").as_str());
    let body = reply.json();
    assert_eq!(body["type"], "FeatureCollection");
    assert_eq!(body["numberMatched"], SAMPLE_COUNT);
    assert_eq!(body["numberReturned"], 10);
    assert_eq!(body["features"].as_array().unwrap().len(), 10);
    let stamp = body["timeStamp"].as_str().unwrap();
    assert!(time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339).is_ok(), "{stamp}");
    assert_eq!(href(&body, "self", Some("application/geo+json")), app.url("/ogc/collections/providers/items?limit=10"));
    assert!(href(&body, "alternate", Some("text/html")).contains("f=html"));
    assert!(link(&body, "next", Some("application/geo+json")).is_some());
    assert!(link(&body, "prev", None).is_none(), "no prev on the first page");
    // Feature content is the public API's: same properties, same coordinates.
    let first = &body["features"][0];
    let id = first["id"].as_str().unwrap();
    let public = app.get(&format!("/api/providers/{id}")).await.expect(200).json();
    assert_eq!(first["properties"], public["properties"]);
    assert_eq!(first["geometry"], public["geometry"]);
}

#[tokio::test]
async fn following_next_links_visits_every_provider_exactly_once() {
    let app = spawn_app().await;
    let mut url = app.url("/ogc/collections/providers/items?limit=50");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let body = follow(&app, &url).await.expect(200).json();
        assert_eq!(body["numberMatched"], SAMPLE_COUNT);
        let features = body["features"].as_array().unwrap();
        assert_eq!(body["numberReturned"], features.len());
        seen.extend(ids(features));
        pages += 1;
        match link(&body, "next", Some("application/geo+json")) {
            Some(next) => url = next["href"].as_str().unwrap().to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, SAMPLE_COUNT.div_ceil(50));
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no provider twice");
    assert_eq!(sorted(seen), public_ids(&app, "").await);
}

#[tokio::test]
async fn the_next_link_is_absent_on_the_last_page() {
    let app = spawn_app().await;
    let body = app.get("/ogc/collections/providers/items?limit=10&offset=360").await.expect(200).json();
    assert_eq!((body["numberReturned"].as_u64(), body["numberMatched"].as_u64()), (Some(8), Some(368)));
    assert!(link(&body, "next", None).is_none(), "{body:#}");
    assert!(href(&body, "prev", Some("application/geo+json")).contains("offset=350"));
    // Exactly full: the page ends at the last feature, so no next either.
    let body = app.get("/ogc/collections/providers/items?limit=8&offset=360").await.expect(200).json();
    assert!(link(&body, "next", None).is_none());
    // Past the end: empty, no next.
    let body = app.get("/ogc/collections/providers/items?offset=1000").await.expect(200).json();
    assert_eq!(body["numberReturned"], 0);
    assert!(link(&body, "next", None).is_none());
}

#[tokio::test]
async fn limit_defaults_to_100_and_must_lie_between_1_and_10000() {
    let app = spawn_app().await;
    let body = app.get("/ogc/collections/providers/items").await.expect(200).json();
    assert_eq!(body["numberReturned"], 100);
    let body = app.get("/ogc/collections/providers/items?limit=10000").await.expect(200).json();
    assert_eq!(body["numberReturned"], SAMPLE_COUNT);
    for limit in ["0", "10001", "-1", "1.5", "many"] {
        app.get(&format!("/ogc/collections/providers/items?limit={limit}")).await.expect_problem(400, "limit");
    }
}

#[tokio::test]
async fn unknown_query_parameters_are_refused_with_400() {
    let app = spawn_app().await;
    for path in [
        "/ogc?colour=red",
        "/ogc/conformance?colour=red",
        "/ogc/api?colour=red",
        "/ogc/collections?colour=red",
        "/ogc/collections/providers?colour=red",
        "/ogc/collections/providers/queryables?colour=red",
        "/ogc/collections/providers/items?colour=red",
        "/ogc/collections/districts/items/north?colour=red",
    ] {
        app.get(path).await.expect_problem(400, "colour");
    }
    // Parameters of provider collections are not parameters of districts.
    for p in ["datetime=2026-01-01", "near=139.9,35.8", "kind=care", "q=x", "service=130"] {
        let name = p.split('=').next().unwrap();
        app.get(&format!("/ogc/collections/districts/items?{p}")).await.expect_problem(400, name);
    }
}

#[tokio::test]
async fn invalid_values_are_refused_with_400_naming_the_parameter() {
    let app = spawn_app().await;
    let cases = [
        ("bbox=1,2,3", "bbox"),
        ("bbox=139,36,140,35", "bbox"),
        ("bbox=139.8,35.8,140,36,0,10", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox-crs=EPSG:6677", "bbox-crs"),
        ("bbox=1,2,3,4&bbox-crs=EPSG:3857", "bbox-crs"),
        ("crs=EPSG:3857", "crs"),
        ("crs=http://www.opengis.net/def/crs/EPSG/0/4301", "crs"),
        ("datetime=yesterday", "datetime"),
        ("datetime=2026-12-01/2026-01-01", "datetime"),
        ("offset=-1", "offset"),
        ("kind=dentist", "kind"),
        ("kind=care,clinic", "kind"),
        ("service=999", "service"),
        ("service=130,430", "service"),
        ("district=atlantis", "district"),
        ("accepting=maybe", "accepting"),
        ("home_care=yes", "home_care"),
        ("available_24h=2", "available_24h"),
        ("near=139.9", "near"),
        ("near=200,35", "near"),
        ("near=139.9,35.8&k=0", "k"),
        ("near=139.9,35.8&k=101", "k"),
        ("k=5", "k"),
        ("near=139.9,35.8&bbox=139,35,140,36", "near"),
        ("f=xml", "f"),
        ("limit=5&limit=6", "limit"),
    ];
    for (query, name) in cases {
        app.get(&format!("/ogc/collections/providers/items?{query}")).await.expect_problem(400, name);
    }
    app.get("/ogc/collections/clinics/items?kind=care").await.expect_problem(400, "kind");
    app.get("/ogc/collections/care/items?kind=pharmacy").await.expect_problem(400, "kind");
    app.get("/ogc/collections/providers/items/x?crs=EPSG:3857").await.expect_problem(400, "crs");
}

// ---- Items: bbox, datetime, queryables, near ---------------------------------------------------

#[tokio::test]
async fn bbox_selects_the_same_providers_as_the_public_api() {
    let app = spawn_app().await;
    for bbox in ["139.88,35.83,139.92,35.87", "139.90,35.85,139.96,35.92", "0,0,1,1"] {
        let ogc = ogc_ids(&app, "providers", &format!("bbox={bbox}")).await;
        assert_eq!(ogc, public_ids(&app, &format!("bbox={bbox}")).await, "{bbox}");
        let body = app.get(&format!("/ogc/collections/providers/items?bbox={bbox}&limit=1")).await.expect(200).json();
        assert_eq!(body["numberMatched"], ogc.len(), "numberMatched counts the bbox matches");
    }
}

#[tokio::test]
async fn bbox_on_districts_returns_the_districts_it_intersects() {
    let app = spawn_app().await;
    let all = app.get("/ogc/collections/districts/items").await.expect(200).features();
    assert_eq!(ids(&all), ["central", "east", "north", "south"]);
    // A tiny box around a provider of the north district intersects north only.
    let north = app.get("/api/providers?district=north&limit=1").await.expect(200).features();
    let (lon, lat) = lon_lat(&north[0]);
    let bbox = format!("{},{},{},{}", lon - 1e-5, lat - 1e-5, lon + 1e-5, lat + 1e-5);
    assert_eq!(ogc_ids(&app, "districts", &format!("bbox={bbox}")).await, ["north"]);
    assert!(ogc_ids(&app, "districts", "bbox=0,0,1,1").await.is_empty());
}

/// The bundled sample with `updated_at` changed on some providers, in a temporary folder.
fn sample_with_update_times(changes: &[(usize, &str)]) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(repo_path("data/districts.geojson"), dir.path().join("districts.geojson")).unwrap();
    let mut fc: Value =
        serde_json::from_str(&std::fs::read_to_string(repo_path("data/providers.geojson")).unwrap()).unwrap();
    let mut changed = Vec::new();
    for (i, time) in changes {
        let f = &mut fc["features"][*i];
        f["properties"]["updated_at"] = Value::from(*time);
        changed.push(f["id"].as_str().unwrap().to_owned());
    }
    std::fs::write(dir.path().join("providers.geojson"), fc.to_string()).unwrap();
    (dir, changed)
}

#[tokio::test]
async fn datetime_selects_providers_by_their_update_time() {
    let (dir, changed) = sample_with_update_times(&[
        (0, "2025-04-01T09:00:00+09:00"),
        (1, "2025-06-15T12:00:00Z"),
        (2, "2027-01-01T00:00:00Z"),
    ]);
    let app = spawn_app_with_data(dir.path()).await;
    let (april, june, next_year) = (&changed[0], &changed[1], &changed[2]);
    let one = |id: &String| vec![id.clone()];
    let count = |ids: &Vec<String>| ids.len();
    assert_eq!(ogc_ids(&app, "providers", "datetime=2025-04-01T00:00:00Z").await, one(april), "an instant, in UTC");
    assert_eq!(
        ogc_ids(&app, "providers", "datetime=2025-01-01T00:00:00Z/2025-12-31T23:59:59Z").await,
        sorted(vec![april.clone(), june.clone()])
    );
    assert_eq!(ogc_ids(&app, "providers", "datetime=../2025-05-01T00:00:00Z").await, one(april));
    assert_eq!(ogc_ids(&app, "providers", "datetime=/2025-05-01T00:00:00Z").await, one(april));
    assert_eq!(ogc_ids(&app, "providers", "datetime=2026-12-01T00:00:00Z/..").await, one(next_year));
    assert_eq!(ogc_ids(&app, "providers", "datetime=2025-06-15").await, one(june), "a date is its whole day");
    assert_eq!(count(&ogc_ids(&app, "providers", "datetime=2026-11-01T00:00:00Z").await), SAMPLE_COUNT - 3);
    let near = app.get("/ogc/collections/providers/items?near=139.9,35.85&k=5&datetime=2025-01-01/2025-12-31").await;
    let in_2025 = sorted(vec![april.clone(), june.clone()]);
    assert_eq!(sorted(ids(&near.expect(200).features())), in_2025, "near with datetime ranks only matches");
    let body =
        app.get("/ogc/collections/providers/items?datetime=2025-01-01/2025-12-31&limit=1").await.expect(200).json();
    assert_eq!(body["numberMatched"], 2);
    assert!(href(&body, "next", None).contains("datetime=2025-01-01%2F2025-12-31"), "next keeps the filter");
    let extent = &app.get("/ogc/collections/providers").await.expect(200).json()["extent"]["temporal"]["interval"][0];
    assert_eq!(
        (extent[0].as_str().unwrap(), extent[1].as_str().unwrap()),
        ("2025-04-01T00:00:00Z", "2027-01-01T00:00:00Z")
    );
}

#[tokio::test]
async fn queryables_are_a_json_schema_of_the_filterable_properties() {
    let app = spawn_app().await;
    let reply = app.get("/ogc/collections/providers/queryables").await.expect(200);
    assert_eq!(reply.content_type, "application/schema+json");
    let schema = reply.json();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(schema["$id"], app.url("/ogc/collections/providers/queryables"));
    assert_eq!(schema["type"], "object");
    for name in ["kind", "service", "district", "accepting", "home_care", "available_24h"] {
        assert!(schema["properties"][name]["type"].is_string(), "{name} is a simple queryable");
    }
    let kinds = app.get("/ogc/collections/clinics/queryables").await.expect(200).json();
    assert_eq!(kinds["properties"]["kind"]["enum"], serde_json::json!(["clinic", "hospital"]));
    let districts = app.get("/ogc/collections/providers/queryables").await.expect(200).json();
    assert_eq!(districts["properties"]["district"]["enum"], serde_json::json!(["north", "central", "east", "south"]));
    // A client that accepts only application/json gets that.
    let plain = app
        .client
        .get(app.url("/ogc/collections/care/queryables"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn each_queryable_is_a_query_parameter_selecting_what_the_public_api_selects() {
    let app = spawn_app().await;
    for q in [
        "kind=clinic",
        "kind=hospital",
        "service=130",
        "district=east",
        "accepting=true",
        "accepting=false",
        "home_care=true",
        "available_24h=true",
        "q=流山",
    ] {
        let ogc = ogc_ids(&app, "providers", q).await;
        assert!(!ogc.is_empty(), "{q} matches something in the sample");
        assert_eq!(ogc, public_ids(&app, q).await, "{q}");
    }
    let combined = "kind=care&service=130&district=central&accepting=true";
    assert_eq!(ogc_ids(&app, "providers", combined).await, public_ids(&app, combined).await);
    // The API definition gives each parameter the schema of its queryable.
    let doc = app.get("/ogc/api").await.expect(200).json();
    let queryables = app.get("/ogc/collections/providers/queryables").await.expect(200).json();
    for p in query_parameters(&doc, "/collections/providers/items") {
        if let Some(schema) = queryables["properties"].get(p["name"].as_str().unwrap()) {
            assert_eq!(&p["schema"], schema, "{}", p["name"]);
        }
    }
}

#[tokio::test]
async fn care_and_clinics_hold_only_their_kinds() {
    let app = spawn_app().await;
    assert_eq!(ogc_ids(&app, "care", "").await, public_ids(&app, "kind=care").await);
    assert_eq!(ogc_ids(&app, "clinics", "").await, public_ids(&app, "kind=clinic,hospital").await);
    assert_eq!(ogc_ids(&app, "clinics", "kind=hospital").await, public_ids(&app, "kind=hospital").await);
    assert_eq!(ogc_ids(&app, "providers", "").await.len(), SAMPLE_COUNT);
}

#[tokio::test]
async fn near_returns_the_k_nearest_like_the_public_api() {
    let app = spawn_app().await;
    let ogc = app.get("/ogc/collections/providers/items?near=139.902861,35.856306&k=7&service=130").await.expect(200);
    let public = app.get("/api/providers/nearest?lon=139.902861&lat=35.856306&k=7&service=130").await.expect(200);
    let (ogc, public) = (ogc.features(), public.features());
    assert_eq!(ids(&ogc), ids(&public));
    assert_eq!(ogc[0]["properties"]["distance_m"], public[0]["properties"]["distance_m"]);
    let body = app.get("/ogc/collections/clinics/items?near=139.9,35.85").await.expect(200).json();
    assert_eq!(body["numberMatched"], 10, "k defaults to 10");
}

// ---- Single feature ---------------------------------------------------------------------------

#[tokio::test]
async fn a_single_feature_has_self_alternate_and_collection_links() {
    let app = spawn_app().await;
    let some = app.get("/ogc/collections/clinics/items?limit=1").await.expect(200).features();
    let id = some[0]["id"].as_str().unwrap();
    let reply = app.get(&format!("/ogc/collections/clinics/items/{id}")).await.expect(200);
    assert_eq!(reply.content_type, "application/geo+json");
    assert_eq!(reply.headers["content-crs"], format!("<{CRS84}>").as_str());
    let f = reply.json();
    assert_eq!((f["type"].as_str(), f["id"].as_str()), (Some("Feature"), Some(id)));
    assert_eq!(
        href(&f, "self", Some("application/geo+json")),
        app.url(&format!("/ogc/collections/clinics/items/{id}"))
    );
    assert!(link(&f, "alternate", Some("text/html")).is_some());
    assert_eq!(href(&f, "collection", Some("application/json")), app.url("/ogc/collections/clinics"));
    let district = app.get("/ogc/collections/districts/items/north").await.expect(200).json();
    assert_eq!(district["geometry"]["type"], "MultiPolygon");
    assert!(link(&district, "collection", None).is_some() && link(&district, "self", None).is_some());
}

#[tokio::test]
async fn html_alternates_are_plain_html() {
    let app = spawn_app().await;
    for path in [
        "/ogc?f=html",
        "/ogc/conformance?f=html",
        "/ogc/collections?f=html",
        "/ogc/collections/care?f=html",
        "/ogc/collections/care/items?f=html&limit=3",
        "/ogc/collections/districts/items/north?f=html",
    ] {
        let reply = app.get(path).await.expect(200);
        assert!(reply.content_type.starts_with("text/html"), "{path}: {reply}");
        assert!(reply.text().starts_with("<!doctype html>"), "{path}");
    }
}

// ---- Part 2: CRS ------------------------------------------------------------------------------

#[tokio::test]
async fn epsg_4326_and_6668_output_is_lat_lon_and_content_crs_names_it() {
    let app = spawn_app().await;
    let plain = app.get("/ogc/collections/providers/items?limit=5").await.expect(200).features();
    for (crs, uri) in [("EPSG:4326", EPSG4326), (EPSG4326, EPSG4326), (EPSG6668, EPSG6668)] {
        let reply =
            app.get(&format!("/ogc/collections/providers/items?limit=5&crs={}", urlencode(crs))).await.expect(200);
        assert_eq!(reply.headers["content-crs"], format!("<{uri}>").as_str());
        for (a, b) in plain.iter().zip(reply.features()) {
            let (lon, lat) = lon_lat(a);
            let c = &b["geometry"]["coordinates"];
            // JGD2011 and WGS84 agree far below a micro-degree here.
            assert!(
                (c[0].as_f64().unwrap() - lat).abs() < 1e-7 && (c[1].as_f64().unwrap() - lon).abs() < 1e-7,
                "{crs}: {c} vs {lon},{lat}"
            );
        }
    }
    let reply =
        app.get(&format!("/ogc/collections/providers/items?limit=1&crs={}", urlencode(CRS84))).await.expect(200);
    assert_eq!(reply.headers["content-crs"], format!("<{CRS84}>").as_str());
    assert_eq!(reply.features()[0]["geometry"], plain[0]["geometry"]);
}

#[tokio::test]
async fn epsg_6677_output_equals_cs2cs_within_a_centimetre() {
    let app = spawn_app().await;
    let plain = app.get("/ogc/collections/providers/items?limit=40").await.expect(200).features();
    let reply =
        app.get(&format!("/ogc/collections/providers/items?limit=40&crs={}", urlencode(EPSG6677))).await.expect(200);
    assert_eq!(reply.headers["content-crs"], format!("<{EPSG6677}>").as_str());
    let projected = reply.features();
    let input: Vec<[f64; 2]> = plain.iter().map(lon_lat).map(|(lon, lat)| [lat, lon]).collect();
    let expected = cs2cs("EPSG:4326", "EPSG:6677", &input);
    assert_eq!(projected.len(), expected.len());
    for (f, e) in projected.iter().zip(&expected) {
        let c = &f["geometry"]["coordinates"];
        let (northing, easting) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!((northing - e[0]).abs() < 0.01 && (easting - e[1]).abs() < 0.01, "{c} vs cs2cs {e:?}");
    }
    // One feature and the districts' polygons are converted the same way.
    let id = plain[0]["id"].as_str().unwrap();
    let one = app.get(&format!("/ogc/collections/providers/items/{id}?crs=EPSG:6677")).await.expect(200);
    assert_eq!(one.headers["content-crs"], format!("<{EPSG6677}>").as_str());
    assert_eq!(one.json()["geometry"], projected[0]["geometry"]);
    let north = app.get("/ogc/collections/districts/items/north?crs=EPSG:6677").await.expect(200).json();
    let first = &north["geometry"]["coordinates"][0][0][0];
    let lonlat = app.get("/ogc/collections/districts/items/north").await.expect(200).json();
    let p = &lonlat["geometry"]["coordinates"][0][0][0];
    let e = cs2cs("EPSG:4326", "EPSG:6677", &[[p[1].as_f64().unwrap(), p[0].as_f64().unwrap()]]);
    assert!((first[0].as_f64().unwrap() - e[0][0]).abs() < 0.01 && (first[1].as_f64().unwrap() - e[0][1]).abs() < 0.01);
    let bbox: Vec<f64> = north["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(
        bbox[0] <= first[0].as_f64().unwrap() && first[0].as_f64().unwrap() <= bbox[2],
        "bbox is in 6677 too: {bbox:?}"
    );
}

#[tokio::test]
async fn bbox_crs_4326_is_lat_lon() {
    let app = spawn_app().await;
    let lat_lon =
        ogc_ids(&app, "providers", &format!("bbox=35.83,139.88,35.87,139.92&bbox-crs={}", urlencode(EPSG4326))).await;
    assert!(!lat_lon.is_empty());
    assert_eq!(lat_lon, public_ids(&app, "bbox=139.88,35.83,139.92,35.87").await);
}

#[tokio::test]
async fn bbox_crs_6677_selects_exactly_the_providers_inside_the_projected_box() {
    let app = spawn_app().await;
    let projected = app.get("/ogc/collections/providers/items?limit=10000&crs=EPSG:6677").await.expect(200).features();
    let points: Vec<(String, f64, f64)> = projected
        .iter()
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            (f["id"].as_str().unwrap().to_owned(), c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
        })
        .collect();
    // A box around the middle of the data, in metres (northing, easting).
    let mut ns: Vec<f64> = points.iter().map(|p| p.1).collect();
    let mut es: Vec<f64> = points.iter().map(|p| p.2).collect();
    ns.sort_by(f64::total_cmp);
    es.sort_by(f64::total_cmp);
    let (n0, n1, e0, e1) = (ns[ns.len() / 4], ns[3 * ns.len() / 4], es[es.len() / 4], es[3 * es.len() / 4]);
    let expected: Vec<String> = sorted(
        points.iter().filter(|p| (n0..=n1).contains(&p.1) && (e0..=e1).contains(&p.2)).map(|p| p.0.clone()).collect(),
    );
    assert!(expected.len() > 10, "{}", expected.len());
    let got = ogc_ids(&app, "providers", &format!("bbox={n0},{e0},{n1},{e1}&bbox-crs=EPSG:6677")).await;
    assert_eq!(got, expected);
}
