//! Public provider queries against the bundled sample, checked against brute force.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::app::{geodesic_m, ids, lon_lat, spawn_app};

const CITY_HALL: (f64, f64) = (139.902861, 35.856306);

fn offers(f: &Value, code: &str) -> bool {
    f["properties"]["services"].as_array().unwrap().iter().any(|s| s == code)
}

#[tokio::test]
async fn nearest_returns_k_features_sorted_by_geodesic_distance_in_metres() {
    let app = spawn_app().await;
    let reply = app.get("/api/providers/nearest?lon=139.902861&lat=35.856306&k=5").await.expect(200);
    assert_eq!(reply.content_type, "application/geo+json");
    let features = reply.features();
    assert_eq!(features.len(), 5);
    let distances: Vec<f64> = features.iter().map(|f| f["properties"]["distance_m"].as_f64().unwrap()).collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    for f in &features {
        let expected = geodesic_m(CITY_HALL, lon_lat(f));
        let got = f["properties"]["distance_m"].as_f64().unwrap();
        assert!((got - expected).abs() <= 0.5, "{got} vs {expected}");
    }
}

#[tokio::test]
async fn nearest_equals_a_brute_force_scan_of_every_provider() {
    let app = spawn_app().await;
    let all = app.all_providers().await;
    for (lon, lat) in [(139.88, 35.83), (139.95, 35.91), (139.91, 35.87), (135.5, 34.7), (-179.9, -89.0)] {
        let mut brute: Vec<(f64, String)> =
            all.iter().map(|f| (geodesic_m((lon, lat), lon_lat(f)), f["id"].as_str().unwrap().to_owned())).collect();
        brute.sort_by(|a, b| a.0.total_cmp(&b.0));
        let got = app.get(&format!("/api/providers/nearest?lon={lon}&lat={lat}&k=20")).await.expect(200).features();
        let expected: Vec<String> = brute.iter().take(20).map(|(_, id)| id.clone()).collect();
        assert_eq!(ids(&got), expected, "at {lon},{lat}");
    }
}

#[tokio::test]
async fn nearest_with_a_service_filter_still_returns_k_matches() {
    let app = spawn_app().await;
    let features = app.get("/api/providers/nearest?lon=139.90&lat=35.85&k=10&service=130").await.expect(200).features();
    assert_eq!(features.len(), 10);
    assert!(features.iter().all(|f| offers(f, "130")));
    let all = app.all_providers().await;
    let mut brute: Vec<(f64, String)> = all
        .iter()
        .filter(|f| offers(f, "130"))
        .map(|f| (geodesic_m((139.90, 35.85), lon_lat(f)), f["id"].as_str().unwrap().to_owned()))
        .collect();
    brute.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(ids(&features), brute.iter().take(10).map(|b| b.1.clone()).collect::<Vec<_>>());
}

#[tokio::test]
async fn nearest_combines_kind_district_and_accepting_filters() {
    let app = spawn_app().await;
    let path = "/api/providers/nearest?lon=139.92&lat=35.87&k=100&kind=care&district=east&accepting=true";
    let features = app.get(path).await.expect(200).features();
    assert!(!features.is_empty());
    for f in &features {
        let p = &f["properties"];
        assert_eq!(
            (p["kind"].as_str(), p["district"].as_str(), p["accepting"].as_str()),
            (Some("care"), Some("east"), Some("yes"))
        );
    }
}

#[tokio::test]
async fn nearest_stops_at_max_distance() {
    let app = spawn_app().await;
    let features =
        app.get("/api/providers/nearest?lon=139.90&lat=35.85&k=100&max_distance_m=800").await.expect(200).features();
    assert!(features.iter().all(|f| f["properties"]["distance_m"].as_f64().unwrap() <= 800.0));
    let brute = app.all_providers().await.iter().filter(|f| geodesic_m((139.90, 35.85), lon_lat(f)) <= 800.0).count();
    assert_eq!(features.len(), brute);
}

#[tokio::test]
async fn a_bbox_returns_exactly_the_providers_inside_it() {
    let app = spawn_app().await;
    let (w, s, e, n) = (139.89, 35.84, 139.92, 35.87);
    let features = app.get(&format!("/api/providers?bbox={w},{s},{e},{n}&limit=10000")).await.expect(200).features();
    let got: BTreeSet<String> = ids(&features).into_iter().collect();
    let all = app.all_providers().await;
    let inside = all.iter().filter(|f| {
        let (x, y) = lon_lat(f);
        (w..=e).contains(&x) && (s..=n).contains(&y)
    });
    assert_eq!(got, ids(&inside.cloned().collect::<Vec<_>>()).into_iter().collect());
    assert!(!got.is_empty());
}

#[tokio::test]
async fn a_radius_query_is_sorted_and_complete() {
    let app = spawn_app().await;
    let features = app.get("/api/providers?near=139.91,35.86&radius_m=1500&limit=10000").await.expect(200).features();
    let d: Vec<f64> = features.iter().map(|f| f["properties"]["distance_m"].as_f64().unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]) && d.iter().all(|&x| x <= 1500.0));
    let brute = app.all_providers().await.iter().filter(|f| geodesic_m((139.91, 35.86), lon_lat(f)) <= 1500.0).count();
    assert_eq!(features.len(), brute);
}

#[tokio::test]
async fn a_district_lists_only_its_providers_and_matches_its_count() {
    let app = spawn_app().await;
    let features = app.get("/api/providers?district=south&limit=10000").await.expect(200).features();
    assert!(features.iter().all(|f| f["properties"]["district"] == "south"));
    let district = app.get("/api/districts/south").await.expect(200).json();
    assert_eq!(district["properties"]["provider_count"].as_u64().unwrap() as usize, features.len());
}

#[tokio::test]
async fn limit_and_offset_page_through_a_stable_order() {
    let app = spawn_app().await;
    let first = app.get("/api/providers?limit=50").await.expect(200).json();
    let second = app.get("/api/providers?limit=50&offset=50").await.expect(200).json();
    assert_eq!(first["numberMatched"], 368);
    assert_eq!(first["numberReturned"], 50);
    let all = ids(&app.all_providers().await);
    let paged: Vec<String> = [first, second]
        .iter()
        .flat_map(|page| page["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(paged, all[..100]);
}

#[tokio::test]
async fn text_search_finds_names_in_hiragana_katakana_and_full_width() {
    let app = spawn_app().await;
    let kata = app.get("/api/providers?q=%E3%82%B5%E3%82%AF%E3%83%A9&limit=10000").await.expect(200).features(); // サクラ
    let hira = app.get("/api/providers?q=%E3%81%95%E3%81%8F%E3%82%89&limit=10000").await.expect(200).features(); // さくら
    assert!(!kata.is_empty());
    assert_eq!(ids(&kata), ids(&hira));
    assert!(kata.iter().all(|f| f["properties"]["name"].as_str().unwrap().contains("さくら")));
}

#[tokio::test]
async fn a_drawn_polygon_returns_the_providers_inside_it() {
    let app = spawn_app().await;
    let ring = [[139.89, 35.85], [139.93, 35.85], [139.93, 35.88], [139.89, 35.85]];
    let reply =
        app.post_json("/api/providers/search?limit=10000", &json!({"type": "Polygon", "coordinates": [ring]})).await;
    let got: BTreeSet<String> = ids(&reply.expect(200).features()).into_iter().collect();
    let triangle =
        geo::Polygon::new(geo::LineString::from(ring.iter().map(|c| (c[0], c[1])).collect::<Vec<_>>()), vec![]);
    let all = app.all_providers().await;
    let expected: BTreeSet<String> = all
        .iter()
        .filter(|f| {
            let (x, y) = lon_lat(f);
            geo::Intersects::intersects(&triangle, &geo::Point::new(x, y))
        })
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
}

#[tokio::test]
async fn a_polygon_inside_a_feature_and_a_multipolygon_are_accepted() {
    let app = spawn_app().await;
    let square = json!([[[139.89, 35.85], [139.93, 35.85], [139.93, 35.88], [139.89, 35.88], [139.89, 35.85]]]);
    let as_feature =
        json!({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": square}});
    let as_multi = json!({"type": "MultiPolygon", "coordinates": [square]});
    let a = app.post("/api/providers/search", "application/geo+json", as_feature.to_string()).await.expect(200);
    let b = app.post_json("/api/providers/search", &as_multi).await.expect(200);
    assert_eq!(ids(&a.features()), ids(&b.features()));
}

#[tokio::test]
async fn one_provider_is_a_feature_with_its_id() {
    let app = spawn_app().await;
    let first = app.all_providers().await.remove(0);
    let id = first["id"].as_str().unwrap();
    let reply = app.get(&format!("/api/providers/{id}")).await.expect(200).json();
    assert_eq!(reply["type"], "Feature");
    assert_eq!(reply, first);
}

#[tokio::test]
async fn csv_export_has_a_bom_a_japanese_header_and_one_row_per_provider() {
    let app = spawn_app().await;
    let reply = app.get("/api/providers?district=north&f=csv&limit=10000").await.expect(200);
    assert!(reply.content_type.starts_with("text/csv"));
    assert!(reply.body.starts_with(b"\xEF\xBB\xBFID,\xE7\xA8\xAE\xE5\x88\xA5,"), "{reply}"); // ID,種別,
    let north = app.get("/api/providers?district=north&limit=10000").await.json()["numberMatched"].as_u64().unwrap();
    let mut reader = csv::Reader::from_reader(&reply.body[3..]);
    assert_eq!(reader.records().count() as u64, north);
}

#[tokio::test]
async fn the_24_hour_and_home_care_toggles_keep_only_providers_offering_them() {
    let app = spawn_app().await;
    let all = app.get("/api/providers?limit=10000").await.expect(200).features();
    let round_the_clock = app.get("/api/providers?available_24h=true&limit=10000").await.expect(200).features();
    let home = app.get("/api/providers?home_care=true&limit=10000").await.expect(200).features();
    let flag = |f: &Value, name: &str| f["properties"]["home_care"][name] == true;
    let home_care = |f: &Value| {
        let h = &f["properties"]["home_care"];
        !h["class"].is_null() || h["house_calls"] == true || h["home_visits"] == true
    };
    assert!(!round_the_clock.is_empty() && round_the_clock.len() < home.len() && home.len() < all.len());
    assert_eq!(
        ids(&round_the_clock),
        ids(&all.iter().filter(|f| flag(f, "available_24h")).cloned().collect::<Vec<_>>())
    );
    assert_eq!(ids(&home), ids(&all.iter().filter(|f| home_care(f)).cloned().collect::<Vec<_>>()));
}

#[tokio::test]
async fn a_district_csv_is_named_after_the_district_and_the_day_in_japan() {
    let app = spawn_app().await;
    let reply = app.get("/api/providers?district=south&f=csv&limit=10000").await.expect(200);
    let disposition = reply.headers["content-disposition"].to_str().unwrap();
    let today = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+9)).date();
    // 南部圏域, percent-encoded as UTF-8 (RFC 8187), and an ASCII name for old clients.
    let name = format!("caremap_%E5%8D%97%E9%83%A8%E5%9C%8F%E5%9F%9F_{today}.csv");
    assert!(disposition.contains(&format!("filename*=UTF-8''{name}")), "{disposition}");
    assert!(disposition.contains(&format!("filename=\"caremap_south_{today}.csv\"")), "{disposition}");
}

#[tokio::test]
async fn csv_rows_name_the_district_and_give_times_in_japan_time() {
    let app = spawn_app().await;
    let reply = app.get("/api/providers?district=south&f=csv&limit=10000").await.expect(200);
    let json = app.get("/api/providers?district=south&limit=10000").await.expect(200).features();
    let mut reader = csv::Reader::from_reader(&reply.body[3..]);
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), json.len());
    for (row, feature) in rows.iter().zip(&json) {
        assert_eq!(&row[column("ID")], feature["id"].as_str().unwrap());
        assert_eq!(&row[column("圏域")], "南部");
        let utc = time::OffsetDateTime::parse(
            feature["properties"]["updated_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let jst = utc.to_offset(time::macros::offset!(+9));
        let expected = format!("{} {:02}:{:02}", jst.date(), jst.hour(), jst.minute());
        assert_eq!(&row[column("更新日時")], expected);
    }
}
