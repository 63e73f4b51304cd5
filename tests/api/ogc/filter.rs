//! Part 3 filtering (CQL2 text and JSON, filter-crs), `sortby` and `properties`, each checked
//! against the public API or a plain scan of every provider.

use super::*;

/// Ids of an items query with `filter` (and extra parameters), over every page at once.
async fn filtered(app: &TestApp, filter: &str, extra: &str) -> Vec<String> {
    ogc_ids(app, "providers", &format!("filter={}{extra}", urlencode(filter))).await
}

/// Ids of every provider whose Feature satisfies `keep`.
async fn scanned(app: &TestApp, keep: impl Fn(&Value) -> bool) -> Vec<String> {
    let all = app.all_providers().await;
    sorted(ids(&all.into_iter().filter(|f| keep(f)).collect::<Vec<_>>()))
}

#[tokio::test]
async fn text_filters_select_what_the_public_api_or_a_scan_selects() {
    let app = spawn_app().await;
    let same_as_public = [
        ("kind = 'clinic'", "kind=clinic"),
        ("kind IN ('clinic', 'hospital') AND accepting = TRUE", "kind=clinic,hospital&accepting=true"),
        ("service = '130' OR service = '430'", "service=130,430"),
        ("district = 'east' AND home_care = true", "district=east&home_care=true"),
    ];
    for (filter, public) in same_as_public {
        let got = filtered(&app, filter, "").await;
        assert!(!got.is_empty(), "{filter} matches something in the sample");
        assert_eq!(got, public_ids(&app, public).await, "{filter}");
    }
    let name = |f: &Value| f["properties"]["name"].as_str().unwrap_or("").to_owned();
    let capacity = |f: &Value| f["properties"]["capacity"].as_u64();
    let clinics = filtered(&app, "name LIKE '%クリニック%' AND NOT kind = 'care'", "").await;
    assert!(!clinics.is_empty());
    assert_eq!(clinics, scanned(&app, |f| name(f).contains("クリニック") && f["properties"]["kind"] != "care").await);
    let mid = filtered(&app, "capacity BETWEEN 10 AND 20 OR capacity IS NULL AND kind = 'pharmacy'", "").await;
    assert_eq!(
        mid,
        scanned(&app, |f| capacity(f).is_some_and(|c| (10..=20).contains(&c))
            || (capacity(f).is_none() && f["properties"]["kind"] == "pharmacy"))
        .await
    );
    let no_district = filtered(&app, "district IS NULL", "").await;
    assert_eq!(no_district, scanned(&app, |f| f["properties"]["district"].is_null()).await);
}

#[tokio::test]
async fn a_json_filter_selects_the_same_as_its_text() {
    let app = spawn_app().await;
    let json = r#"{"op":"and","args":[
        {"op":"in","args":[{"property":"kind"},["clinic","hospital"]]},
        {"op":"like","args":[{"property":"name"},"%クリニック%"]},
        {"op":">=","args":[{"property":"updated_at"},{"timestamp":"2000-01-01T00:00:00Z"}]}]}"#;
    let from_json = filtered(&app, json, "&filter-lang=cql2-json").await;
    let text = "kind IN ('clinic','hospital') AND name LIKE '%クリニック%' AND updated_at >= TIMESTAMP('2000-01-01T00:00:00Z')";
    assert!(!from_json.is_empty());
    assert_eq!(from_json, filtered(&app, text, "&filter-lang=cql2-text").await);
}

#[tokio::test]
async fn spatial_filters_select_what_the_area_queries_select() {
    let app = spawn_app().await;
    let in_box = filtered(&app, "S_INTERSECTS(geometry, BBOX(139.88, 35.83, 139.92, 35.87))", "").await;
    assert!(in_box.len() > 10 && in_box.len() < SAMPLE_COUNT);
    assert_eq!(in_box, public_ids(&app, "bbox=139.88,35.83,139.92,35.87").await);

    let polygon = "POLYGON((139.89 35.85, 139.93 35.85, 139.93 35.88, 139.89 35.85))";
    let in_triangle = filtered(&app, &format!("S_INTERSECTS(geometry, {polygon}) AND kind = 'care'"), "").await;
    let body = serde_json::json!({"type":"Polygon","coordinates":[[[139.89,35.85],[139.93,35.85],[139.93,35.88],[139.89,35.85]]]});
    let searched = app.post_json("/api/providers/search?limit=10000&kind=care", &body).await.expect(200);
    assert!(!in_triangle.is_empty());
    assert_eq!(in_triangle, sorted(ids(&searched.features())));

    let near = filtered(&app, "S_DWITHIN(geometry, POINT(139.902861 35.856306), 1500)", "").await;
    assert!(!near.is_empty());
    assert_eq!(near, public_ids(&app, "near=139.902861,35.856306&radius_m=1500").await);
    // Under OR there is no single area: the same answer comes from a scan.
    let either =
        filtered(&app, "S_DWITHIN(geometry, POINT(139.902861 35.856306), 1500) OR kind = 'hospital'", "").await;
    let hospitals = public_ids(&app, "kind=hospital").await;
    let mut union: Vec<String> = near.iter().chain(&hospitals).cloned().collect();
    union.sort();
    union.dedup();
    assert_eq!(either, union);
}

#[tokio::test]
async fn filter_crs_reads_geometry_literals_in_that_crs() {
    let app = spawn_app().await;
    let box_6677 = "-16000,5000,-14000,8000";
    let expected = ogc_ids(&app, "providers", &format!("bbox={box_6677}&bbox-crs=EPSG:6677")).await;
    assert!(!expected.is_empty());
    let got = filtered(&app, &format!("S_INTERSECTS(geometry, BBOX({box_6677}))"), "&filter-crs=EPSG:6677").await;
    assert_eq!(got, expected);
    let lat_lon =
        filtered(&app, "S_INTERSECTS(geometry, BBOX(35.83, 139.88, 35.87, 139.92))", "&filter-crs=EPSG:4326").await;
    assert_eq!(lat_lon, public_ids(&app, "bbox=139.88,35.83,139.92,35.87").await);
}

#[tokio::test]
async fn a_bad_filter_is_a_400_naming_filter_and_where_it_went_wrong() {
    let app = spawn_app().await;
    let cases = [
        ("name = 'x' AND", "byte 14"),
        ("nmae = 'x'", "unknown queryable 'nmae'"),
        ("accepting = 'maybe'", "byte 12"),
        ("S_INTERSECTS(geometry, POINT(139.9))", "expected a number"),
        ("capacity > 'ten'", "capacity is a number"),
    ];
    for (filter, said) in cases {
        let query = format!("/ogc/collections/providers/items?filter={}", urlencode(filter));
        let body = app.get(&query).await.expect_problem(400, "filter");
        assert!(body["detail"].as_str().unwrap().contains(said), "{filter}: {body}");
    }
    let json = urlencode(r#"{"op":"=","args":[{"property":"kind"},3]}"#);
    let body = app
        .get(&format!("/ogc/collections/providers/items?filter-lang=cql2-json&filter={json}"))
        .await
        .expect_problem(400, "filter");
    assert!(body["detail"].as_str().unwrap().contains("/args/1"), "{body}");
    app.get("/ogc/collections/providers/items?filter=TRUE&filter-lang=cql4").await.expect_problem(400, "filter-lang");
    app.get("/ogc/collections/providers/items?filter=TRUE&filter-crs=EPSG:3857")
        .await
        .expect_problem(400, "filter-crs");
    app.get("/ogc/collections/districts/items?filter=TRUE").await.expect_problem(400, "filter");
}

#[tokio::test]
async fn filtered_requests_are_counted_by_language() {
    let app = spawn_app().await;
    app.get(&format!("/ogc/collections/care/items?filter={}", urlencode("accepting = TRUE"))).await.expect(200);
    let metrics = app.get("/metrics").await.expect(200).text();
    assert!(metrics.contains("caremap_ogc_filters_total{lang=\"cql2-text\"} 1"), "{metrics}");
}

#[tokio::test]
async fn sortby_orders_pages_by_property_then_id_on_both_apis() {
    let app = spawn_app().await;
    let all =
        app.get("/ogc/collections/providers/items?limit=10000&sortby=-capacity,name").await.expect(200).features();
    let key =
        |f: &Value| (f["properties"]["capacity"].as_u64(), f["properties"]["name"].as_str().unwrap_or("").to_owned());
    for pair in all.windows(2) {
        let (a, b) = (key(&pair[0]), key(&pair[1]));
        let ordered = match (a.0, b.0) {
            (Some(x), Some(y)) => {
                x > y || (x == y && (a.1 < b.1 || (a.1 == b.1 && pair[0]["id"].as_str() < pair[1]["id"].as_str())))
            }
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => a.1 < b.1 || (a.1 == b.1 && pair[0]["id"].as_str() < pair[1]["id"].as_str()),
        };
        assert!(ordered, "{a:?} before {b:?}");
    }
    // Pages of 50 put together are the whole sorted list, each provider once.
    let mut paged = Vec::new();
    for offset in (0..SAMPLE_COUNT).step_by(50) {
        let page =
            app.get(&format!("/ogc/collections/providers/items?limit=50&offset={offset}&sortby=-capacity,name")).await;
        paged.extend(ids(&page.expect(200).features()));
    }
    assert_eq!(paged, ids(&all));
    let public = app.get("/api/providers?limit=10000&sortby=-capacity,%2Bname").await.expect(200).features();
    assert_eq!(ids(&public), ids(&all));
    app.get("/ogc/collections/providers/items?sortby=phone").await.expect_problem(400, "sortby");
    app.get("/api/providers?sortby=nmae").await.expect_problem(400, "sortby");
}

#[tokio::test]
async fn properties_chooses_the_returned_properties() {
    let app = spawn_app().await;
    for path in
        ["/ogc/collections/care/items?limit=5&properties=name,phone", "/api/providers?limit=5&properties=name,phone"]
    {
        let features = app.get(path).await.expect(200).features();
        assert_eq!(features.len(), 5);
        for f in features {
            let keys: BTreeSet<&str> = f["properties"].as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, BTreeSet::from(["name", "phone"]), "{path}");
            assert!(f["id"].is_string() && f["geometry"]["type"] == "Point");
        }
    }
    let one = app.get("/ogc/collections/care/items?limit=1").await.expect(200).features();
    let id = one[0]["id"].as_str().unwrap();
    let single = app.get(&format!("/ogc/collections/care/items/{id}?properties=name")).await.expect(200).json();
    assert_eq!(single["properties"].as_object().unwrap().keys().collect::<Vec<_>>(), ["name"]);
    assert!(single["links"].is_array(), "the feature keeps its links: {single}");
    app.get("/ogc/collections/care/items?properties=name,colour").await.expect_problem(400, "properties");
    app.get("/api/providers?properties=name&f=csv").await.expect_problem(400, "properties");
}

#[tokio::test]
async fn filters_accept_exactly_the_queryables_the_collection_lists() {
    let app = spawn_app().await;
    let doc = app.get("/ogc/collections/providers/queryables").await.expect(200).json();
    let names: Vec<&str> = doc["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    assert!(names.len() > 10 && names.contains(&"geometry"), "{names:?}");
    for name in names.iter().filter(|n| **n != "geometry") {
        let q = format!("/ogc/collections/providers/items?limit=1&filter={}", urlencode(&format!("{name} IS NULL")));
        app.get(&q).await.expect(200);
    }
    let geometry = urlencode("S_INTERSECTS(geometry, POINT(139.9 35.85))");
    app.get(&format!("/ogc/collections/providers/items?filter={geometry}")).await.expect(200);
    for not_queryable in ["phone", "notes", "version", "home_care.class"] {
        let q = format!("/ogc/collections/providers/items?filter={}", urlencode(&format!("{not_queryable} IS NULL")));
        let body = app.get(&q).await.expect_problem(400, "filter");
        assert!(body["detail"].as_str().unwrap().contains("unknown queryable"), "{body}");
    }
}
