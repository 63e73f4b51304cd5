//! The 地域包括支援センター as the OGC collection `community-centers`: the same centres and
//! properties as `/api/community-centers`, paging, `bbox`, `crs`, single features, its
//! queryables and HTML, and errors naming the parameter.

use super::*;
use crate::support::cs2cs::cs2cs;

const ITEMS: &str = "/ogc/collections/community-centers/items";

/// The centres through the public API, by id.
async fn api_centers(app: &TestApp) -> Vec<Value> {
    let mut all = app.get("/api/community-centers").await.expect(200).features();
    all.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    all
}

#[tokio::test]
async fn the_items_are_the_centres_of_the_public_api_with_name_address_phone_and_areas() {
    let app = spawn_app().await;
    let expected = api_centers(&app).await;
    assert_eq!(expected.len(), 4, "the sample's four centres");

    let reply = app.get(ITEMS).await.expect(200);
    assert_eq!(reply.content_type, "application/geo+json");
    assert_eq!(reply.headers["content-crs"], format!("<{CRS84}>").as_str());
    let body = reply.json();
    assert_eq!((body["numberMatched"].as_u64(), body["numberReturned"].as_u64()), (Some(4), Some(4)));
    let features = body["features"].as_array().unwrap();
    assert_eq!(features, &expected, "the same Features, ordered by id");
    for f in features {
        assert_eq!(f["geometry"]["type"], "Point");
        let p = &f["properties"];
        for key in ["name", "address", "phone"] {
            assert!(!p[key].as_str().unwrap().is_empty(), "{key}: {f}");
        }
        assert!(!p["areas"].as_array().unwrap().is_empty(), "担当区域: {f}");
    }
}

#[tokio::test]
async fn pages_and_bbox_select_centres() {
    let app = spawn_app().await;
    let expected = ids(&api_centers(&app).await);

    // Pages of one, followed through `next`, give every centre once.
    let mut got = Vec::new();
    let mut reply = app.get(&format!("{ITEMS}?limit=1")).await.expect(200);
    loop {
        let body = reply.json();
        assert_eq!(body["numberMatched"], 4);
        got.extend(ids(&reply.features()));
        match link(&body, "next", Some("application/geo+json")) {
            Some(next) => reply = follow(&app, next["href"].as_str().unwrap()).await.expect(200),
            None => break,
        }
    }
    assert_eq!(got, expected);

    // A small box around one centre holds it alone, also given in EPSG:4326 (lat,lon).
    let south = app.get(&format!("{ITEMS}/south")).await.expect(200).json();
    let (lon, lat) = lon_lat(&south);
    let bbox = format!("{},{},{},{}", lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001);
    assert_eq!(ids(&app.get(&format!("{ITEMS}?bbox={bbox}")).await.expect(200).features()), ["south"]);
    let lat_lon = format!("{},{},{},{}", lat - 0.001, lon - 0.001, lat + 0.001, lon + 0.001);
    let reply = app.get(&format!("{ITEMS}?bbox={lat_lon}&bbox-crs={EPSG4326}")).await.expect(200);
    assert_eq!(ids(&reply.features()), ["south"]);
    // And in EPSG:6677 (northing,easting in metres), matched exactly in that CRS.
    let ne = cs2cs("EPSG:4326", "EPSG:6677", &[[lat, lon]])[0];
    let metres = format!("{},{},{},{}", ne[0] - 50.0, ne[1] - 50.0, ne[0] + 50.0, ne[1] + 50.0);
    let reply = app.get(&format!("{ITEMS}?bbox={metres}&bbox-crs={EPSG6677}")).await.expect(200);
    assert_eq!(ids(&reply.features()), ["south"]);
    let far = app.get(&format!("{ITEMS}?bbox=140.5,35.0,140.6,35.1")).await.expect(200).json();
    assert_eq!((far["numberMatched"].as_u64(), far["features"].as_array().unwrap().len()), (Some(0), 0));
}

#[tokio::test]
async fn a_single_centre_has_its_links_and_any_offered_crs() {
    let app = spawn_app().await;
    let expected = api_centers(&app).await;
    let one = app.get(&format!("{ITEMS}/north")).await.expect(200).json();
    let north = expected.iter().find(|f| f["id"] == "north").unwrap();
    assert_eq!((&one["geometry"], &one["properties"]), (&north["geometry"], &north["properties"]));
    assert_eq!(href(&one, "self", None), app.url(&format!("{ITEMS}/north")));
    assert_eq!(href(&one, "collection", None), app.url("/ogc/collections/community-centers"));

    // In JGD2011 / Japan Plane Rectangular CS IX the point is northing,easting in metres.
    let projected = app.get(&format!("{ITEMS}/north?crs=EPSG:6677")).await.expect(200);
    assert_eq!(projected.headers["content-crs"], format!("<{EPSG6677}>").as_str());
    let c = &projected.json()["geometry"]["coordinates"];
    let (lon, lat) = lon_lat(north);
    let e = cs2cs("EPSG:4326", "EPSG:6677", &[[lat, lon]]);
    assert!((c[0].as_f64().unwrap() - e[0][0]).abs() < 0.01 && (c[1].as_f64().unwrap() - e[0][1]).abs() < 0.01, "{c}");

    let html = app.get(&format!("{ITEMS}/north?f=html")).await.expect(200);
    assert!(html.content_type.starts_with("text/html"));
    assert!(html.text().contains(north["properties"]["name"].as_str().unwrap()));
}

#[tokio::test]
async fn its_queryables_are_the_point_geometry_only() {
    let app = spawn_app().await;
    let doc = app.get("/ogc/collections/community-centers/queryables").await.expect(200).json();
    let names: Vec<&String> = doc["properties"].as_object().unwrap().keys().collect();
    assert_eq!(names, ["geometry"]);
    assert_eq!(doc["properties"]["geometry"]["format"], "geometry-point");
}

#[tokio::test]
async fn bad_parameters_and_unknown_centres_are_problems_naming_them() {
    let app = spawn_app().await;
    app.get(&format!("{ITEMS}?near=139.9,35.85")).await.expect_problem(400, "near");
    app.get(&format!("{ITEMS}?name=north")).await.expect_problem(400, "name");
    app.get(&format!("{ITEMS}?limit=0")).await.expect_problem(400, "limit");
    app.get(&format!("{ITEMS}?bbox=1,2,3")).await.expect_problem(400, "bbox");
    app.get(&format!("{ITEMS}?crs=EPSG:3857")).await.expect_problem(400, "crs");
    app.get(&format!("{ITEMS}/north?crs=EPSG:3857")).await.expect_problem(400, "crs");
    app.get(&format!("{ITEMS}/nowhere")).await.expect_problem(404, "nowhere");
}
