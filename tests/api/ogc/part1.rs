//! Part 1 core and GeoJSON: landing page, conformance, collections, items, paging, errors,
//! bbox, datetime, the near extension, single features and the HTML alternates.

use super::*;

// ---- Landing page and conformance -------------------------------------------------------------

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
    assert_eq!(data.json()["collections"].as_array().unwrap().len(), COLLECTIONS.len());
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
async fn with_a_public_url_a_forged_host_gets_links_under_the_configured_base() {
    let app = crate::support::app::spawn_app_with(|c| {
        c.public_url = Some(caremap::http::PublicUrl::parse("https://caremap.example.jp/").unwrap());
    })
    .await;
    let request = app
        .client
        .get(app.url("/ogc/collections/providers/items?limit=1"))
        .header("host", "attacker.example")
        .header("x-forwarded-proto", "http");
    let body: Value = request.send().await.unwrap().json().await.unwrap();
    assert_eq!(href(&body, "self", None), "https://caremap.example.jp/ogc/collections/providers/items?limit=1");
    assert!(href(&body, "next", None).starts_with("https://caremap.example.jp/ogc/"), "{body}");
    assert!(!body.to_string().contains("attacker.example"), "{body}");
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
    ]
    .into();
    assert_eq!(claimed, expected);
}

// ---- Collections ------------------------------------------------------------------------------

#[tokio::test]
async fn collections_list_six_collections_each_with_links_crs_and_storage_crs() {
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
        if matches!(id, "districts" | "coverage" | "community-centers") {
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

// ---- Items: bbox, datetime, near ---------------------------------------------------------------

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
