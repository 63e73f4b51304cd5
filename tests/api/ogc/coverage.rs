//! The coverage grid as the OGC collection `coverage`: the same cells and properties as
//! `/api/coverage` for the same parameters, a default question when a client sends none,
//! paging, `bbox`, `crs`, single cells, and errors naming the parameter.

use super::*;

/// Every cell of an `/api/coverage` query.
async fn api_cells(app: &TestApp, query: &str) -> Vec<Value> {
    app.get(&format!("/api/coverage?{query}")).await.expect(200).features()
}

/// Every cell of the collection for a query, in one page.
async fn ogc_cells(app: &TestApp, query: &str) -> Vec<Value> {
    let reply = app.get(&format!("/ogc/collections/coverage/items?limit=10000&{query}")).await.expect(200);
    assert_eq!(reply.content_type, "application/geo+json");
    let body = reply.json();
    assert!(link(&body, "next", None).is_none(), "{reply}");
    assert_eq!(body["numberMatched"], body["numberReturned"]);
    body["features"].as_array().unwrap().clone()
}

/// A cell's outline as `[w, s, e, n]`.
fn cell_box(cell: &Value) -> [f64; 4] {
    let ring = cell["geometry"]["coordinates"][0].as_array().unwrap();
    let at = |i: usize, j: usize| ring[i][j].as_f64().unwrap();
    [at(0, 0), at(0, 1), at(2, 0), at(2, 1)]
}

#[tokio::test]
async fn without_parameters_the_collection_is_24h_home_care_within_2_km_on_250_m_squares_of_the_city() {
    let app = spawn_app().await;

    let body = app.get("/ogc/collections/coverage/items?limit=10000").await.expect(200).json();
    let expected = api_cells(&app, "preset=home-care-24h-2km&mesh=250m").await;

    assert_eq!(body["mesh"], "250m");
    assert_eq!(body["threshold_m"], 2000.0);
    let cells = body["features"].as_array().unwrap();
    assert!(cells.len() > 300, "the city at 250 m: {}", cells.len());
    assert_eq!(cells, &expected, "the same cells with the same properties");
    assert!(cells.iter().all(|c| c["properties"]["mesh_code"].as_str().unwrap().len() == 10));
}

#[tokio::test]
async fn the_parameters_of_api_coverage_give_the_same_cells_and_properties() {
    let app = spawn_app().await;
    for query in [
        "mesh=1km&service=130&threshold_m=1500",
        "preset=nursing-accepting-2km&population=T001141022&mesh=500m",
        "preset=home-care-24h-16km&district=south&mesh=250m&population=T001141022&supply=capacity",
        "kind=care&accepting=true&mesh=500m",
    ] {
        let expected = api_cells(&app, query).await;
        assert!(!expected.is_empty(), "{query}");
        assert_eq!(ogc_cells(&app, query).await, expected, "{query}");
    }
}

#[tokio::test]
async fn pages_follow_next_links_through_every_cell_once() {
    let app = spawn_app().await;
    let everything = ogc_cells(&app, "mesh=500m").await;
    let mut url = app.url("/ogc/collections/coverage/items?mesh=500m&limit=40");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let body = follow(&app, &url).await.expect(200).json();
        assert_eq!(body["numberMatched"].as_u64().unwrap() as usize, everything.len());
        let page = body["features"].as_array().unwrap();
        assert_eq!(body["numberReturned"].as_u64().unwrap() as usize, page.len());
        assert!(page.len() <= 40);
        if pages > 0 {
            assert!(link(&body, "prev", Some("application/geo+json")).is_some(), "{body}");
        }
        seen.extend(page.iter().cloned());
        pages += 1;
        match link(&body, "next", Some("application/geo+json")) {
            Some(next) => url = next["href"].as_str().unwrap().to_owned(),
            None => break,
        }
    }
    assert!(pages >= 3, "{pages} pages of {} cells", everything.len());
    assert_eq!(seen, everything, "in the order of the whole list, each once");
}

#[tokio::test]
async fn bbox_keeps_exactly_the_cells_that_touch_the_box_with_unchanged_values() {
    let app = spawn_app().await;
    let everything = ogc_cells(&app, "mesh=500m&population=T001141022").await;
    let (w, s, e, n) = (139.89, 35.84, 139.92, 35.87);

    let inside = ogc_cells(&app, &format!("mesh=500m&population=T001141022&bbox={w},{s},{e},{n}")).await;

    let expected: Vec<Value> = everything
        .into_iter()
        .filter(|c| {
            let b = cell_box(c);
            b[0] <= e && w <= b[2] && b[1] <= n && s <= b[3]
        })
        .collect();
    assert!(!expected.is_empty() && expected.len() < 100, "{}", expected.len());
    assert_eq!(inside, expected, "a viewport selects cells; it never changes access or population");
}

#[tokio::test]
async fn crs_gives_the_cells_in_the_requested_crs_and_says_so() {
    let app = spawn_app().await;
    let reply = app.get(&format!("/ogc/collections/coverage/items?mesh=1km&limit=1&crs={EPSG4326}")).await.expect(200);
    assert_eq!(reply.headers["content-crs"], format!("<{EPSG4326}>").as_str());
    let lat_lon = reply.features()[0].clone();
    let lon_lat = ogc_cells(&app, "mesh=1km").await[0].clone();
    let swapped: Vec<Value> = lon_lat["geometry"]["coordinates"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| serde_json::json!([p[1], p[0]]))
        .collect();
    assert_eq!(lat_lon["geometry"]["coordinates"][0].as_array().unwrap(), &swapped);
    assert_eq!(lat_lon["properties"], lon_lat["properties"]);
}

#[tokio::test]
async fn a_single_cell_has_the_values_it_has_in_the_items() {
    let app = spawn_app().await;
    let query = "mesh=500m&service=130&population=T001141022";
    let cell = ogc_cells(&app, query).await[5].clone();
    let code = cell["id"].as_str().unwrap();

    let one = app.get(&format!("/ogc/collections/coverage/items/{code}?{query}")).await.expect(200).json();

    assert_eq!(one["properties"], cell["properties"]);
    assert_eq!(one["geometry"], cell["geometry"]);
    assert!(link(&one, "collection", None).is_some());
    app.get(&format!("/ogc/collections/coverage/items/{code}")).await.expect(404);
    app.get("/ogc/collections/coverage/items/53394611?mesh=1km").await.expect(404);
    app.get("/ogc/collections/coverage/items/not-a-code").await.expect(404);
}

#[tokio::test]
async fn bad_parameters_are_400_problems_naming_the_parameter() {
    let app = spawn_app().await;
    for (query, field) in [
        ("mesh=2km", "mesh"),
        ("threshold_m=5", "threshold_m"),
        ("preset=everyone", "preset"),
        ("population=T999", "population"),
        ("supply=beds", "supply"),
        ("district=atlantis", "district"),
        ("service=abc", "service"),
        ("accepting=maybe", "accepting"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("bbox=1,2,3", "bbox"),
        ("crs=EPSG:3857", "crs"),
        ("f=csv", "f"),
        ("datetime=2026-01-01", "datetime"),
        ("near=139.9,35.85", "near"),
    ] {
        let reply = app.get(&format!("/ogc/collections/coverage/items?{query}")).await;
        assert_eq!(reply.status.as_u16(), 400, "{query}");
        reply.expect_problem(400, field);
    }
}

#[tokio::test]
async fn the_collection_is_listed_with_its_extent_queryables_and_an_html_page() {
    let app = spawn_app().await;
    let c = app.get("/ogc/collections/coverage").await.expect(200).json();
    assert!(c["description"].as_str().unwrap().contains("home-care-24h-2km"), "{c}");
    let queryables =
        follow(&app, &href(&c, "http://www.opengis.net/def/rel/ogc/1.0/queryables", None)).await.expect(200).json();
    assert_eq!(queryables["properties"]["geometry"]["format"], "geometry-polygon");
    assert!(queryables["properties"]["district"]["enum"].as_array().unwrap().contains(&Value::from("south")));

    let page = app.get("/ogc/collections/coverage/items?mesh=1km&f=html").await.expect(200);
    assert!(page.content_type.starts_with("text/html"));
    let text = page.text();
    let first = ogc_cells(&app, "mesh=1km").await[0]["id"].as_str().unwrap().to_owned();
    assert!(text.contains("メッシュコード") && text.contains(&first), "{text}");
}
