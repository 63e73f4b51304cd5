//! Every class of bad input gets a 4xx problem+json naming the parameter, never a 5xx.

use serde_json::json;

use crate::support::app::spawn_app;

#[tokio::test]
async fn missing_coordinates_are_named() {
    let app = spawn_app().await;
    app.get("/api/providers/nearest?lat=35.8").await.expect_problem(400, "lon");
    app.get("/api/providers/nearest?lon=139.9").await.expect_problem(400, "lat");
}

#[tokio::test]
async fn non_numeric_and_non_finite_coordinates_are_named() {
    let app = spawn_app().await;
    app.get("/api/providers/nearest?lon=abc&lat=35.8").await.expect_problem(400, "lon");
    for v in ["NaN", "inf", "-inf", "1e999"] {
        app.get(&format!("/api/providers/nearest?lon=139.9&lat={v}")).await.expect_problem(400, "lat");
    }
}

#[tokio::test]
async fn out_of_range_coordinates_are_named() {
    let app = spawn_app().await;
    app.get("/api/providers/nearest?lon=139.9&lat=90.5").await.expect_problem(400, "lat");
    app.get("/api/providers/nearest?lon=-180.01&lat=35").await.expect_problem(400, "lon");
    app.get("/api/providers?near=181,35&radius_m=100").await.expect_problem(400, "near");
}

#[tokio::test]
async fn k_and_limit_out_of_range_are_named() {
    let app = spawn_app().await;
    for k in ["0", "101", "-1", "ten"] {
        app.get(&format!("/api/providers/nearest?lon=139.9&lat=35.8&k={k}")).await.expect_problem(400, "k");
    }
    for limit in ["0", "10001", "1.5"] {
        app.get(&format!("/api/providers?limit={limit}")).await.expect_problem(400, "limit");
    }
    app.get("/api/providers?offset=-3").await.expect_problem(400, "offset");
    app.get("/api/providers?near=139.9,35.8&radius_m=0").await.expect_problem(400, "radius_m");
    app.get("/api/providers?near=139.9,35.8&radius_m=1e9").await.expect_problem(400, "radius_m");
    app.get("/api/providers/nearest?lon=139.9&lat=35.8&max_distance_m=-5").await.expect_problem(400, "max_distance_m");
}

#[tokio::test]
async fn malformed_bboxes_are_named() {
    let app = spawn_app().await;
    for bbox in ["1,2,3", "a,b,c,d", "139,36,140,35", "139,35,140,91", "1,2,3,4,5"] {
        app.get(&format!("/api/providers?bbox={bbox}")).await.expect_problem(400, "bbox");
    }
}

#[tokio::test]
async fn two_areas_at_once_or_a_half_given_area_are_refused() {
    let app = spawn_app().await;
    app.get("/api/providers?bbox=139,35,140,36&near=139.9,35.8&radius_m=10").await.expect_problem(400, "bbox");
    app.get("/api/providers?near=139.9,35.8").await.expect_problem(400, "radius_m");
    app.get("/api/providers?radius_m=100").await.expect_problem(400, "near");
}

#[tokio::test]
async fn unknown_filters_values_and_parameters_are_named() {
    let app = spawn_app().await;
    app.get("/api/providers?district=atlantis").await.expect_problem(400, "district");
    app.get("/api/providers?service=999").await.expect_problem(400, "service");
    app.get("/api/providers?kind=zoo").await.expect_problem(400, "kind");
    app.get("/api/providers?accepting=maybe").await.expect_problem(400, "accepting");
    app.get("/api/providers?available_24h=yes").await.expect_problem(400, "available_24h");
    app.get("/api/providers/nearest?lon=139.9&lat=35.86&home_care=1x").await.expect_problem(400, "home_care");
    app.get("/api/providers?f=xml").await.expect_problem(400, "f");
    app.get("/api/providers?radius=100").await.expect_problem(400, "radius");
    app.get("/api/providers?k=1&k=2").await.expect_problem(400, "k");
    let long = "あ".repeat(201);
    app.get(&format!("/api/providers?q={long}")).await.expect_problem(400, "q");
}

#[tokio::test]
async fn unknown_ids_and_districts_are_404_problems() {
    let app = spawn_app().await;
    app.get("/api/providers/no-such-provider").await.expect_problem(404, "no-such-provider");
    app.get("/api/districts/atlantis").await.expect_problem(404, "atlantis");
    app.get("/api/no-such-endpoint").await.expect_problem(404, "API path");
}

#[tokio::test]
async fn invalid_or_unclosed_polygons_are_named() {
    let app = spawn_app().await;
    let unclosed =
        json!({"type": "Polygon", "coordinates": [[[139.8, 35.8], [139.9, 35.8], [139.9, 35.9], [139.8, 35.9]]]});
    let short = json!({"type": "Polygon", "coordinates": [[[139.8, 35.8], [139.9, 35.8], [139.8, 35.8]]]});
    let point = json!({"type": "Point", "coordinates": [139.8, 35.8]});
    let off_earth =
        json!({"type": "Polygon", "coordinates": [[[139.8, 35.8], [239.9, 35.8], [139.9, 35.9], [139.8, 35.8]]]});
    let garbage = json!({"type": "Polygon", "coordinates": "nope"});
    for body in [unclosed, short, point, off_earth, garbage] {
        app.post_json("/api/providers/search", &body).await.expect_problem(400, "geometry");
    }
}

#[tokio::test]
async fn polygons_with_too_many_vertices_are_refused() {
    let app = spawn_app().await;
    let mut ring: Vec<[f64; 2]> =
        (0..10_001).map(|i| [139.8 + (i as f64) * 1e-6, 35.8 + ((i % 2) as f64) * 1e-3]).collect();
    ring.push(ring[0]);
    let body = json!({"type": "Polygon", "coordinates": [ring]});
    let problem = app.post_json("/api/providers/search", &body).await.expect_problem(400, "geometry");
    assert!(problem["detail"].as_str().unwrap().contains("10000"), "{problem}");
}

#[tokio::test]
async fn wrong_content_type_bad_json_and_oversized_bodies_are_refused() {
    let app = spawn_app().await;
    let polygon = r#"{"type":"Polygon","coordinates":[[[139.8,35.8],[139.9,35.8],[139.9,35.9],[139.8,35.8]]]}"#;
    app.post("/api/providers/search", "text/plain", polygon).await.expect_problem(415, "Content-Type");
    app.post("/api/providers/search", "application/json", "{not json").await.expect_problem(400, "body");
    let huge = format!("{{\"type\":\"Polygon\",\"pad\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    app.post("/api/providers/search", "application/json", huge).await.expect(413);
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem() {
    let app = spawn_app().await;
    let reply = app.post("/api/providers/nearest", "application/json", "{}").await;
    reply.expect_problem(405, "method");
}
