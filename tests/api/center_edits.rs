//! Staff edits of the 地域包括支援センター (`/api/admin/community-centers`): one layer version
//! guards every write (428 without If-Match, 412 when stale), fields are validated (担当区域
//! must be 町丁目 of the address data, by name or code, naming the unknown ones), every change is logged with
//! its author, and the responsible centre changes at once after an edit of 担当区域.

use caremap::access::Role;
use serde_json::{Value, json};

use crate::support::app::{TestApp, spawn_app};

const CENTERS: &str = "/api/admin/community-centers";

fn query(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

async fn editor(app: &TestApp) -> String {
    format!("Bearer {}", app.add_user("tanaka", Role::Editor))
}

/// The layer's ETag as staff see it.
async fn layer_etag(app: &TestApp, auth: &str) -> String {
    app.send("GET", CENTERS, &[("authorization", auth)], None).await.expect(200).etag()
}

fn center(name: &str, areas: &[&str]) -> Value {
    json!({
        "type": "Feature",
        "geometry": { "type": "Point", "coordinates": [139.9059, 35.8405] },
        "properties": { "name": name, "address": "千葉県流山市南流山1-1", "phone": "04-7150-0001", "areas": areas },
    })
}

/// The id and `match` of the centre responsible for `address`.
async fn responsible(app: &TestApp, address: &str) -> (String, String) {
    let body = app.get(&format!("/api/community-centers/for?address={}", query(address))).await.expect(200).json();
    (body["id"].as_str().unwrap().to_owned(), body["properties"]["match"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn moving_a_town_to_another_centre_changes_the_responsible_centre_at_once() {
    let app = spawn_app().await;
    let auth = editor(&app).await;
    assert_eq!(responsible(&app, "木").await, ("south".to_owned(), "area".to_owned()));
    let etag = layer_etag(&app, &auth).await;

    // 木 leaves the south centre for the central one (two writes, each naming the version).
    let south = center("流山市南部地域包括支援センター", &["南流山", "鰭ケ崎"]);
    let reply = app
        .send("PUT", &format!("{CENTERS}/south"), &[("authorization", &auth), ("if-match", &etag)], Some(&south))
        .await
        .expect(200);
    let etag = reply.etag();
    let mut central = app.get("/api/community-centers").await.json()["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "central")
        .cloned()
        .unwrap();
    central["properties"]["areas"].as_array_mut().unwrap().push(json!("木"));
    app.send("PUT", &format!("{CENTERS}/central"), &[("authorization", &auth), ("if-match", &etag)], Some(&central))
        .await
        .expect(200);

    assert_eq!(responsible(&app, "木").await, ("central".to_owned(), "area".to_owned()));
    assert_eq!(responsible(&app, "南流山1丁目").await, ("south".to_owned(), "area".to_owned()), "the rest stays");
}

#[tokio::test]
async fn a_town_given_by_its_code_is_kept_under_its_name_and_an_unknown_code_is_named() {
    let app = spawn_app().await;
    let auth = editor(&app).await;
    let etag = layer_etag(&app, &auth).await;
    // The sample's 大字町丁目コード of 木 (data/address_sample_oaza.csv), and one nobody has.
    let unknown = center("流山市南部地域包括支援センター", &["南流山", "122209999999"]);
    let path = format!("{CENTERS}/south");
    let refused =
        app.send("PUT", &path, &[("authorization", &auth), ("if-match", &etag)], Some(&unknown)).await.expect(422);
    assert!(refused.json().to_string().contains("122209999999"), "the unknown code is named");

    let by_code = center("流山市南部地域包括支援センター", &["南流山", "122200002000"]);
    let saved =
        app.send("PUT", &path, &[("authorization", &auth), ("if-match", &etag)], Some(&by_code)).await.expect(200);
    assert_eq!(saved.json()["properties"]["areas"], json!(["南流山", "木"]));
    assert_eq!(responsible(&app, "木").await, ("south".to_owned(), "area".to_owned()));
}

#[tokio::test]
async fn a_new_centre_gets_an_id_and_a_deleted_one_stops_answering() {
    let app = spawn_app().await;
    let auth = editor(&app).await;
    let etag = layer_etag(&app, &auth).await;
    let reply = app
        .send("POST", CENTERS, &[("authorization", &auth), ("if-match", &etag)], Some(&center("新センター", &["木"])))
        .await
        .expect(201);
    assert_eq!(reply.headers.get("location").unwrap(), "/api/admin/community-centers/center-1");
    let created = reply.json();
    assert_eq!((created["id"].as_str(), created["properties"]["source"].as_str()), (Some("center-1"), Some("staff")));
    assert_eq!(app.get("/api/community-centers").await.features().len(), 5);
    // 木 is listed by the sample's south centre first: the first listed keeps it.
    assert_eq!(responsible(&app, "木").await.0, "south");

    let etag = reply.etag();
    app.send("DELETE", &format!("{CENTERS}/south"), &[("authorization", &auth), ("if-match", &etag)], None)
        .await
        .expect(204);
    assert_eq!(responsible(&app, "木").await, ("center-1".to_owned(), "area".to_owned()));
    let ids: Vec<Value> = app.get("/api/community-centers").await.features().iter().map(|f| f["id"].clone()).collect();
    assert!(!ids.contains(&json!("south")), "{ids:?}");
}

#[tokio::test]
async fn writes_need_the_current_layer_version() {
    let app = spawn_app().await;
    let auth = editor(&app).await;
    let body = center("南部", &["南流山"]);
    let path = format!("{CENTERS}/south");
    app.send("PUT", &path, &[("authorization", &auth)], Some(&body)).await.expect(428);
    let etag = layer_etag(&app, &auth).await;
    app.send("PUT", &path, &[("authorization", &auth), ("if-match", &etag)], Some(&body)).await.expect(200);
    // The same version again is stale now, for any centre of the layer.
    let stale = app
        .send("PUT", &format!("{CENTERS}/north"), &[("authorization", &auth), ("if-match", &etag)], Some(&body))
        .await
        .expect(412)
        .json();
    assert_eq!(stale["status"], 412);
    assert!(stale["detail"].as_str().unwrap().contains("layer"), "{stale}");
    let names: Vec<String> = app
        .get("/api/community-centers")
        .await
        .features()
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.iter().filter(|n| *n == "南部").count(), 1, "the stale write changed nothing: {names:?}");
}

#[tokio::test]
async fn bad_fields_are_a_422_naming_each_and_unknown_towns_by_name() {
    let app = spawn_app().await;
    let auth = editor(&app).await;
    let etag = layer_etag(&app, &auth).await;
    let body = json!({
        "type": "Feature",
        "geometry": { "type": "Point", "coordinates": [2.35, 48.85] },
        "properties": { "name": " ", "phone": "call us", "areas": ["南流山一丁目", "北流山", "南流山九丁目"] },
    });
    let problem = app
        .send("PUT", &format!("{CENTERS}/south"), &[("authorization", &auth), ("if-match", &etag)], Some(&body))
        .await
        .expect(422)
        .json();
    let named: Vec<&str> =
        problem["invalid_params"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(named, ["geometry", "name", "phone", "areas"]);
    let reason = problem["invalid_params"][3]["reason"].as_str().unwrap();
    let listed = reason.split(" (").next().unwrap();
    assert_eq!(listed, "not 町丁目 of the address data: 北流山、南流山九丁目", "only the unknown ones: {reason}");
    assert_eq!(layer_etag(&app, &auth).await, etag, "nothing was written");

    let missing = app
        .send(
            "PUT",
            &format!("{CENTERS}/nowhere"),
            &[("authorization", &auth), ("if-match", &etag)],
            Some(&center("x", &[])),
        )
        .await;
    missing.expect(404);
    let taken = json!({ "id": "south", "type": "Feature", "geometry": { "type": "Point", "coordinates": [139.9, 35.85] }, "properties": { "name": "x" } });
    app.send("POST", CENTERS, &[("authorization", &auth), ("if-match", &etag)], Some(&taken))
        .await
        .expect_problem(409, "id");
}

#[tokio::test]
async fn every_change_is_logged_with_its_author_and_fields() {
    let app = spawn_app().await;
    let auth = editor(&app).await;
    let etag = layer_etag(&app, &auth).await;
    let mut body = app.get("/api/community-centers").await.json()["features"][3].clone();
    assert_eq!(body["id"], "south");
    body["properties"]["phone"] = json!("04-7150-9999");
    app.send("PUT", &format!("{CENTERS}/south"), &[("authorization", &auth), ("if-match", &etag)], Some(&body))
        .await
        .expect(200);
    let log = app
        .send("GET", &format!("{CENTERS}/history?limit=1"), &[("authorization", &auth)], None)
        .await
        .expect(200)
        .json();
    let entry = &log["entries"][0];
    assert_eq!(
        (entry["center_id"].as_str(), entry["action"].as_str(), entry["changed_by"].as_str()),
        (Some("south"), Some("update"), Some("tanaka"))
    );
    assert_eq!(
        entry["changes"],
        json!([{ "field": "phone", "label": "電話番号", "from": "04-0000-0004", "to": "04-7150-9999" }])
    );
}

#[tokio::test]
async fn centre_edits_need_a_staff_token() {
    let app = spawn_app().await;
    let body = center("x", &[]);
    app.send("GET", CENTERS, &[], None).await.expect(401);
    app.send("PUT", &format!("{CENTERS}/south"), &[("if-match", "\"1\"")], Some(&body)).await.expect(401);
    app.send("DELETE", &format!("{CENTERS}/south"), &[("authorization", "Bearer wrong"), ("if-match", "\"1\"")], None)
        .await
        .expect(401);
    assert_eq!(app.get("/api/community-centers").await.features().len(), 4);
}
