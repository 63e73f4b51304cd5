//! The staff write API: every status code it answers, read-your-writes, optimistic
//! concurrency and field-named validation.

use caremap::access::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// A server with an editor; returns the app and the `Authorization` header value.
async fn app_with_editor() -> (TestApp, String) {
    let app = spawn_app().await;
    let token = app.add_user("yamada", Role::Editor);
    (app, format!("Bearer {token}"))
}

fn feature(id: &str, name: &str, lon: f64, lat: f64) -> Value {
    json!({
        "type": "Feature",
        "id": id,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"kind": "care", "name": name, "services": ["130"], "phone": "04-7150-1234",
                       "official_code": "1270000001", "accepting": true, "accepting_updated_at": "2026-11-01"}
    })
}

async fn create(app: &TestApp, auth: &str, f: &Value) -> String {
    app.send("POST", "/api/admin/providers", &[("authorization", auth)], Some(f)).await.expect(201).etag()
}

#[tokio::test]
async fn creating_a_provider_answers_201_with_the_stored_feature_its_etag_and_location() {
    let (app, auth) = app_with_editor().await;
    let reply = app
        .send(
            "POST",
            "/api/admin/providers",
            &[("authorization", &auth)],
            Some(&feature("new-1", "新規", 139.90, 35.85)),
        )
        .await
        .expect(201);
    assert_eq!(reply.etag(), "\"1\"");
    assert_eq!(reply.headers["location"], "/api/admin/providers/new-1");
    assert_eq!(reply.content_type, "application/geo+json");
    let f = reply.json();
    assert_eq!(f["id"], "new-1");
    assert_eq!(f["properties"]["version"], 1);
    assert_eq!(f["properties"]["updated_by"], "yamada");
    assert!(f["properties"]["district"].is_string(), "the district is derived: {f}");
    assert!(f["properties"]["deleted_at"].is_null());
}

#[tokio::test]
async fn a_nearest_query_right_after_201_sees_the_new_provider() {
    let (app, auth) = app_with_editor().await;
    create(&app, &auth, &feature("new-1", "新規", 139.9123, 35.8567)).await;
    let nearest = app.get("/api/providers/nearest?lon=139.9123&lat=35.8567&k=1").await.expect(200).features();
    assert_eq!(nearest[0]["id"], "new-1");
    assert_eq!(nearest[0]["properties"]["distance_m"], 0.0);
}

#[tokio::test]
async fn creating_an_id_that_exists_answers_409_naming_the_id() {
    let (app, auth) = app_with_editor().await;
    let existing = app.all_providers().await[0]["id"].as_str().unwrap().to_owned();
    let reply = app
        .send("POST", "/api/admin/providers", &[("authorization", &auth)], Some(&feature(&existing, "x", 139.9, 35.85)))
        .await;
    let body = reply.expect_problem(409, "id");
    assert!(body["invalid_params"][0]["reason"].as_str().unwrap().contains(&existing), "{body}");
    assert_ne!(app.get(&format!("/api/providers/{existing}")).await.expect(200).json()["properties"]["name"], "x");
}

/// A Feature for a create whose id the server assigns.
fn without_id(name: &str) -> Value {
    let mut f = feature("", name, 139.9123, 35.8567);
    f.as_object_mut().unwrap().remove("id");
    f
}

#[tokio::test]
async fn creating_without_an_id_answers_201_with_a_new_id_in_the_body_and_location() {
    let (app, auth) = app_with_editor().await;
    let reply = app
        .send("POST", "/api/admin/providers", &[("authorization", &auth)], Some(&without_id("新規A")))
        .await
        .expect(201);
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(id, "staff-1");
    assert_eq!(reply.headers["location"], "/api/admin/providers/staff-1");
    assert_eq!(reply.etag(), "\"1\"");
    let served = app.get("/api/providers/staff-1").await.expect(200).json();
    assert_eq!(served["properties"]["name"], "新規A");

    let second = app
        .send("POST", "/api/admin/providers", &[("authorization", &auth)], Some(&without_id("新規B")))
        .await
        .expect(201);
    assert_eq!(second.json()["id"], "staff-2");
    let mut null_id = without_id("新規C");
    null_id["id"] = Value::Null;
    let third = app.send("POST", "/api/admin/providers", &[("authorization", &auth)], Some(&null_id)).await.expect(201);
    assert_eq!(third.json()["id"], "staff-3");
}

#[tokio::test]
async fn an_assigned_id_is_never_given_again_even_after_a_delete() {
    let (app, auth) = app_with_editor().await;
    let h = [("authorization", auth.as_str())];
    app.send("POST", "/api/admin/providers", &h, Some(&without_id("消す事業所"))).await.expect(201);
    app.send("DELETE", "/api/admin/providers/staff-1", &[h[0], ("if-match", "\"1\"")], None).await.expect(200);
    let next = app.send("POST", "/api/admin/providers", &h, Some(&without_id("次の事業所"))).await.expect(201);
    assert_eq!(next.json()["id"], "staff-2");
    let deleted = app.send("GET", "/api/admin/providers/staff-1", &h, None).await.expect(200).json();
    assert_eq!(deleted["properties"]["name"], "消す事業所", "the deleted one keeps its id");
}

#[tokio::test]
async fn a_create_without_an_id_is_validated_like_any_other_and_writes_nothing_when_refused() {
    let (app, auth) = app_with_editor().await;
    let mut bad = without_id(" ");
    bad["properties"]["phone"] = json!("call us");
    let body = app
        .send("POST", "/api/admin/providers", &[("authorization", &auth)], Some(&bad))
        .await
        .expect_problem(422, "name");
    let names: Vec<&str> =
        body["invalid_params"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "name and phone only, no id: {body}");
    assert!(names.contains(&"phone"));
    app.get("/api/providers/staff-1").await.expect(404);
}

#[tokio::test]
async fn an_update_with_the_current_etag_answers_200_with_the_next_etag_and_is_served_at_once() {
    let (app, auth) = app_with_editor().await;
    let etag = create(&app, &auth, &feature("p", "旧名", 139.90, 35.85)).await;
    let reply = app
        .send(
            "PUT",
            "/api/admin/providers/p",
            &[("authorization", &auth), ("if-match", &etag)],
            Some(&feature("p", "新名", 139.90, 35.85)),
        )
        .await
        .expect(200);
    assert_eq!(reply.etag(), "\"2\"");
    assert_eq!(reply.json()["properties"]["name"], "新名");
    let public = app.get("/api/providers/p").await.expect(200).json();
    assert_eq!(
        (public["properties"]["name"].as_str(), public["properties"]["version"].as_i64()),
        (Some("新名"), Some(2))
    );
    let admin = app.send("GET", "/api/admin/providers/p", &[("authorization", &auth)], None).await.expect(200);
    assert_eq!(admin.etag(), "\"2\"");
}

#[tokio::test]
async fn an_update_with_a_stale_etag_answers_412_with_the_current_version_and_who_changed_it() {
    let (app, auth) = app_with_editor().await;
    let other = format!("Bearer {}", app.add_user("suzuki", Role::Editor));
    let etag = create(&app, &auth, &feature("p", "旧名", 139.90, 35.85)).await;
    app.send(
        "PUT",
        "/api/admin/providers/p",
        &[("authorization", &other), ("if-match", &etag)],
        Some(&feature("p", "鈴木の変更", 139.90, 35.85)),
    )
    .await
    .expect(200);
    let stale = app
        .send(
            "PUT",
            "/api/admin/providers/p",
            &[("authorization", &auth), ("if-match", &etag)],
            Some(&feature("p", "山田の変更", 139.90, 35.85)),
        )
        .await;
    assert_eq!(stale.etag(), "\"2\"");
    let body = stale.expect_problem(412, "version 2");
    assert_eq!(body["current_version"], 2);
    assert_eq!(body["current"]["properties"]["updated_by"], "suzuki");
    assert_eq!(body["current"]["properties"]["name"], "鈴木の変更");
    assert_eq!(app.get("/api/providers/p").await.json()["properties"]["name"], "鈴木の変更");
}

#[tokio::test]
async fn a_weak_or_unknown_etag_answers_412() {
    let (app, auth) = app_with_editor().await;
    create(&app, &auth, &feature("p", "x", 139.90, 35.85)).await;
    for tag in ["W/\"1\"", "\"9\"", "\"abc\""] {
        app.send(
            "PUT",
            "/api/admin/providers/p",
            &[("authorization", &auth), ("if-match", tag)],
            Some(&feature("p", "y", 139.9, 35.85)),
        )
        .await
        .expect(412);
    }
}

#[tokio::test]
async fn a_change_without_if_match_answers_428_and_a_bare_number_400() {
    let (app, auth) = app_with_editor().await;
    create(&app, &auth, &feature("p", "x", 139.90, 35.85)).await;
    let body = feature("p", "y", 139.9, 35.85);
    let revert = json!({"version": 1});
    for (method, path, body) in [
        ("PUT", "/api/admin/providers/p", Some(&body)),
        ("DELETE", "/api/admin/providers/p", None),
        ("POST", "/api/admin/providers/p/restore", None),
        ("POST", "/api/admin/providers/p/revert", Some(&revert)),
    ] {
        app.send(method, path, &[("authorization", &auth)], body).await.expect_problem(428, "If-Match");
        app.send(method, path, &[("authorization", &auth), ("if-match", "*")], body)
            .await
            .expect_problem(428, "If-Match");
        app.send(method, path, &[("authorization", &auth), ("if-match", "1")], body)
            .await
            .expect_problem(400, "If-Match");
    }
    assert_eq!(app.get("/api/providers/p").await.json()["properties"]["version"], 1);
}

#[tokio::test]
async fn changes_to_an_unknown_provider_answer_404() {
    let (app, auth) = app_with_editor().await;
    let h = [("authorization", auth.as_str()), ("if-match", "\"1\"")];
    app.send("PUT", "/api/admin/providers/nope", &h, Some(&feature("nope", "x", 139.9, 35.85)))
        .await
        .expect_problem(404, "nope");
    app.send("DELETE", "/api/admin/providers/nope", &h, None).await.expect_problem(404, "nope");
    app.send("POST", "/api/admin/providers/nope/restore", &h, None).await.expect_problem(404, "nope");
    app.send("POST", "/api/admin/providers/nope/revert", &h, Some(&json!({"version": 1})))
        .await
        .expect_problem(404, "nope");
    app.send("GET", "/api/admin/providers/nope", &h, None).await.expect_problem(404, "nope");
    app.send("GET", "/api/admin/providers/nope/history", &h, None).await.expect_problem(404, "nope");
}

#[tokio::test]
async fn validation_names_every_bad_field_with_422() {
    let (app, auth) = app_with_editor().await;
    let bad = json!({
        "type": "Feature", "id": "bad",
        "geometry": {"type": "Point", "coordinates": [2.35, 48.85]},
        "properties": {"kind": "care", "name": " ", "services": ["130", "999"], "phone": "call us",
                       "official_code": "12AB", "capacity": "many"}
    });
    let reply = app.send("POST", "/api/admin/providers", &[("authorization", &auth)], Some(&bad)).await;
    let body = reply.expect_problem(422, "geometry");
    let mut names: Vec<&str> =
        body["invalid_params"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["capacity", "geometry", "name", "official_code", "phone", "services"], "{body}");
    assert!(body["invalid_params"].to_string().contains("999"), "the unknown code is named: {body}");
    app.get("/api/providers/bad").await.expect(404);
}

#[tokio::test]
async fn a_place_outside_japan_is_accepted_only_when_explicitly_allowed() {
    let (app, auth) = app_with_editor().await;
    let paris = feature("paris", "パリ事務所", 2.35, 48.85);
    let swapped = feature("swapped", "緯度経度が逆", 35.85, 139.9);
    app.send("POST", "/api/admin/providers", &[("authorization", &auth)], Some(&paris))
        .await
        .expect_problem(422, "geometry");
    app.send("POST", "/api/admin/providers", &[("authorization", &auth)], Some(&swapped))
        .await
        .expect_problem(422, "geometry");
    app.send("POST", "/api/admin/providers?allow_outside_japan=true", &[("authorization", &auth)], Some(&paris))
        .await
        .expect(201);
    app.send("POST", "/api/admin/providers?allow_outside=true", &[("authorization", &auth)], Some(&paris))
        .await
        .expect_problem(400, "allow_outside");
}

#[tokio::test]
async fn a_body_that_is_not_a_feature_or_not_json_is_refused_naming_the_problem() {
    let (app, auth) = app_with_editor().await;
    let not_feature = json!({"type": "FeatureCollection", "features": []});
    app.send("POST", "/api/admin/providers", &[("authorization", &auth)], Some(&not_feature))
        .await
        .expect_problem(422, "type");
    let reply = app
        .client
        .post(app.url("/api/admin/providers"))
        .header("authorization", &auth)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 415);
    let reply = app
        .client
        .post(app.url("/api/admin/providers"))
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 400);
    let other_id = feature("other", "x", 139.9, 35.85);
    create(&app, &auth, &feature("p", "x", 139.9, 35.85)).await;
    app.send("PUT", "/api/admin/providers/p", &[("authorization", &auth), ("if-match", "\"1\"")], Some(&other_id))
        .await
        .expect_problem(422, "id");
}

#[tokio::test]
async fn moving_a_provider_recomputes_its_district() {
    let (app, auth) = app_with_editor().await;
    let all = app.all_providers().await;
    let a = &all[0];
    let b = all
        .iter()
        .find(|f| f["properties"]["district"].is_string() && f["properties"]["district"] != a["properties"]["district"])
        .unwrap();
    let id = a["id"].as_str().unwrap();
    let mut moved = a.clone();
    moved["geometry"] = b["geometry"].clone();
    let etag = format!("\"{}\"", a["properties"]["version"]);
    let reply = app
        .send(
            "PUT",
            &format!("/api/admin/providers/{id}"),
            &[("authorization", &auth), ("if-match", &etag)],
            Some(&moved),
        )
        .await
        .expect(200);
    assert_eq!(reply.json()["properties"]["district"], b["properties"]["district"]);
    let filtered =
        app.get(&format!("/api/providers?district={}", b["properties"]["district"].as_str().unwrap())).await.features();
    assert!(filtered.iter().any(|f| f["id"] == id));
}

#[tokio::test]
async fn a_soft_deleted_provider_leaves_the_public_api_and_restore_brings_it_back() {
    let (app, auth) = app_with_editor().await;
    create(&app, &auth, &feature("p", "x", 139.9001, 35.8501)).await;
    let deleted = app
        .send("DELETE", "/api/admin/providers/p", &[("authorization", &auth), ("if-match", "\"1\"")], None)
        .await
        .expect(200);
    assert_eq!(deleted.etag(), "\"2\"");
    assert!(deleted.json()["properties"]["deleted_at"].is_string());
    app.get("/api/providers/p").await.expect(404);
    let near = app.get("/api/providers/nearest?lon=139.9001&lat=35.8501&k=1").await.features();
    assert_ne!(near[0]["id"], "p");
    let admin = app.send("GET", "/api/admin/providers/p", &[("authorization", &auth)], None).await.expect(200);
    assert!(admin.json()["properties"]["deleted_at"].is_string());
    let edit = feature("p", "y", 139.9, 35.85);
    app.send("PUT", "/api/admin/providers/p", &[("authorization", &auth), ("if-match", "\"2\"")], Some(&edit))
        .await
        .expect_problem(409, "restore");
    app.send("DELETE", "/api/admin/providers/p", &[("authorization", &auth), ("if-match", "\"2\"")], None)
        .await
        .expect(409);
    app.send("POST", "/api/admin/providers/p", &[("authorization", &auth)], Some(&edit)).await.expect(405);
    let restored = app
        .send("POST", "/api/admin/providers/p/restore", &[("authorization", &auth), ("if-match", "\"2\"")], None)
        .await
        .expect(200);
    assert_eq!(restored.etag(), "\"3\"");
    assert_eq!(app.get("/api/providers/p").await.expect(200).json()["properties"]["version"], 3);
    app.send("POST", "/api/admin/providers/p/restore", &[("authorization", &auth), ("if-match", "\"3\"")], None)
        .await
        .expect(409);
}

#[tokio::test]
async fn revert_copies_an_earlier_version_as_a_new_version() {
    let (app, auth) = app_with_editor().await;
    create(&app, &auth, &feature("p", "最初の名前", 139.90, 35.85)).await;
    app.send(
        "PUT",
        "/api/admin/providers/p",
        &[("authorization", &auth), ("if-match", "\"1\"")],
        Some(&feature("p", "誤った名前", 139.95, 35.90)),
    )
    .await
    .expect(200);
    let reverted = app
        .send(
            "POST",
            "/api/admin/providers/p/revert",
            &[("authorization", &auth), ("if-match", "\"2\"")],
            Some(&json!({"version": 1})),
        )
        .await
        .expect(200);
    assert_eq!(reverted.etag(), "\"3\"");
    let f = app.get("/api/providers/p").await.json();
    assert_eq!((f["properties"]["name"].as_str(), f["properties"]["version"].as_i64()), (Some("最初の名前"), Some(3)));
    assert_eq!(f["geometry"]["coordinates"], json!([139.90, 35.85]));
    app.send(
        "POST",
        "/api/admin/providers/p/revert",
        &[("authorization", &auth), ("if-match", "\"3\"")],
        Some(&json!({"version": 7})),
    )
    .await
    .expect_problem(422, "version");
    app.send(
        "POST",
        "/api/admin/providers/p/revert",
        &[("authorization", &auth), ("if-match", "\"3\"")],
        Some(&json!({"to": 1})),
    )
    .await
    .expect_problem(422, "to");
    app.send(
        "POST",
        "/api/admin/providers/p/revert",
        &[("authorization", &auth), ("if-match", "\"1\"")],
        Some(&json!({"version": 2})),
    )
    .await
    .expect(412);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_updates_from_the_same_version_exactly_one_wins_and_the_other_gets_412() {
    let (app, auth) = app_with_editor().await;
    create(&app, &auth, &feature("p", "x", 139.90, 35.85)).await;
    for round in 1..=10 {
        let etag = format!("\"{round}\"");
        let a = feature("p", &format!("A{round}"), 139.90, 35.85);
        let b = feature("p", &format!("B{round}"), 139.90, 35.85);
        let headers = [("authorization", auth.as_str()), ("if-match", etag.as_str())];
        let (ra, rb) = tokio::join!(
            app.send("PUT", "/api/admin/providers/p", &headers, Some(&a)),
            app.send("PUT", "/api/admin/providers/p", &headers, Some(&b)),
        );
        let mut statuses = [ra.status.as_u16(), rb.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 412], "round {round}: {ra}\n{rb}");
        let winner = if ra.status == 200 { "A" } else { "B" };
        let now = app.get("/api/providers/p").await.json();
        assert_eq!(now["properties"]["name"], format!("{winner}{round}"));
        assert_eq!(now["properties"]["version"], round + 1);
    }
}
