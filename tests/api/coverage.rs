//! `/api/coverage` and `/api/coverage/summary` on the sample city and its population layer.

use std::collections::HashMap;

use serde_json::Value;

use crate::support::app::{geodesic_m, lon_lat, spawn_app};

fn centre(feature: &Value) -> (f64, f64) {
    let ring = &feature["geometry"]["coordinates"][0];
    let (w, s) = (ring[0][0].as_f64().unwrap(), ring[0][1].as_f64().unwrap());
    let (e, n) = (ring[2][0].as_f64().unwrap(), ring[2][1].as_f64().unwrap());
    ((w + e) / 2.0, (s + n) / 2.0)
}

fn offers(provider: &Value, code: &str) -> bool {
    provider["properties"]["services"].as_array().unwrap().iter().any(|s| s == code)
}

#[tokio::test]
async fn nearest_and_count_within_each_cell_equal_a_brute_force_geodesic_scan() {
    let app = spawn_app().await;
    let nursing: Vec<(String, (f64, f64))> = app
        .all_providers()
        .await
        .iter()
        .filter(|p| offers(p, "130"))
        .map(|p| (p["id"].as_str().unwrap().to_string(), lon_lat(p)))
        .collect();
    assert!(nursing.len() > 5);

    let body = app.get("/api/coverage?mesh=1km&service=130&threshold_m=1500").await.expect(200).json();

    let cells = body["features"].as_array().unwrap();
    assert!(cells.len() > 20, "{}", cells.len());
    assert_eq!(body["mesh"], "1km");
    for cell in cells {
        let at = centre(cell);
        let props = &cell["properties"];
        let (best_id, best) =
            nursing.iter().map(|(id, p)| (id, geodesic_m(at, *p))).min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
        let nearest_m = props["nearest_m"].as_f64().unwrap();
        assert!((nearest_m - best).abs() < 0.1, "{}: {nearest_m} vs {best}", props["mesh_code"]);
        assert!(props["nearest_id"] == best_id.as_str() || (nearest_m - best).abs() < 0.1);
        let within = nursing.iter().filter(|(_, p)| geodesic_m(at, *p) <= 1500.0).count();
        assert_eq!(props["count_within"].as_u64().unwrap() as usize, within, "{}", props["mesh_code"]);
        assert_eq!(props["mesh_code"].as_str().unwrap().len(), 8);
    }
}

#[tokio::test]
async fn the_summary_equals_sums_over_the_cells_by_district() {
    let app = spawn_app().await;
    let query = "preset=nursing-accepting-2km&population=T001141022&mesh=500m";

    let cells = app.get(&format!("/api/coverage?{query}")).await.expect(200).json();
    let summary = app.get(&format!("/api/coverage/summary?{query}")).await.expect(200).json();

    let mut sums: HashMap<String, (f64, f64, u64)> = HashMap::new();
    for cell in cells["features"].as_array().unwrap() {
        let p = &cell["properties"];
        let district = p["district"].as_str().unwrap_or("").to_string();
        let people = p["population"].as_f64().unwrap_or(0.0);
        let entry = sums.entry(district).or_default();
        entry.0 += people;
        if p["count_within"] == 0 {
            entry.1 += people;
            entry.2 += 1;
        }
    }
    assert_eq!(summary["threshold_m"], 2000.0);
    assert_eq!(summary["population"]["code"], "T001141022");
    let rows = summary["districts"].as_array().unwrap();
    assert!(rows.len() >= 4, "{summary}");
    for row in rows.iter().filter(|r| r["district"].is_string()) {
        let (people, beyond, without) = sums[row["district"].as_str().unwrap()];
        assert!((row["population"].as_f64().unwrap() - people).abs() < 0.5, "{row}");
        assert!((row["population_beyond"].as_f64().unwrap() - beyond).abs() < 0.5, "{row}");
        assert_eq!(row["cells_without"].as_u64().unwrap(), without, "{row}");
        assert_ne!(row["name"], row["district"], "a name for people, not the id: {row}");
    }
    let total: f64 = sums.values().map(|s| s.0).sum();
    assert!((summary["total"]["population"].as_f64().unwrap() - total).abs() < 1.0);
    assert!(total > 10_000.0, "the sample layer is loaded: {total}");
}

#[tokio::test]
async fn the_access_score_is_given_with_a_population_column_and_not_without() {
    let app = spawn_app().await;

    let with = app.get("/api/coverage?mesh=500m&service=130&population=T001141022").await.expect(200).json();
    let without = app.get("/api/coverage?mesh=500m&service=130").await.expect(200).json();

    let scored = with["features"].as_array().unwrap();
    assert!(scored.iter().any(|c| c["properties"]["access"].as_f64().unwrap() > 0.0));
    // Suppressed squares (their people are counted in a neighbour) have no population of their own.
    let with_people = scored.iter().filter(|c| c["properties"]["population"].is_number()).count();
    assert!(with_people + 2 >= scored.len(), "{with_people} of {}", scored.len());
    assert!(without["features"].as_array().unwrap().iter().all(|c| c["properties"]["access"].is_null()));
    assert!(without["population"].is_null());
}

#[tokio::test]
async fn presets_and_population_columns_are_listed() {
    let app = spawn_app().await;

    let body = app.get("/api/coverage/presets").await.expect(200).json();

    let ids: Vec<&str> = body["presets"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["home-care-24h-2km", "home-care-24h-16km", "nursing-accepting-2km"]);
    let codes: Vec<&str> = body["population"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["T001141001", "T001141019", "T001141022"]);
    assert!(body["population"][0]["source"].as_str().unwrap().starts_with("sample"));
}

#[tokio::test]
async fn coverage_as_csv_has_a_bom_japanese_headers_and_district_names() {
    let app = spawn_app().await;

    let reply = app.get("/api/coverage?mesh=1km&preset=home-care-24h-16km&f=csv").await.expect(200);

    assert!(reply.content_type.starts_with("text/csv"));
    let text = reply.text();
    assert!(text.starts_with("\u{feff}メッシュコード,圏域,最寄りまでの距離(m)"), "{text}");
    assert!(text.contains("圏域"));
    assert!(text.lines().count() > 10);
}

#[tokio::test]
async fn bad_coverage_parameters_are_named() {
    let app = spawn_app().await;
    for (query, field) in [
        ("mesh=2km", "mesh"),
        ("population=T999", "population"),
        ("preset=everything", "preset"),
        ("threshold_m=5", "threshold_m"),
        ("bbox=120,20,150,45&mesh=250m", "bbox"),
        ("bbox=139.9,35.8,139.95,35.9&district=south", "bbox"),
        ("district=atlantis", "district"),
        ("supply=beds", "supply"),
        ("service=999", "service"),
        ("colour=red", "colour"),
    ] {
        app.get(&format!("/api/coverage?{query}")).await.expect_problem(400, field);
    }
    app.get("/api/coverage/summary?f=csv").await.expect_problem(400, "f");
}
