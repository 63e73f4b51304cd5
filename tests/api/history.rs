//! History and audit: every version with who, when and the changes field by field.

use caremap::access::Role;
use serde_json::{Value, json};

use crate::helpers::{repo_path, spawn_app, spawn_app_with_data};

fn feature(name: &str, phone: &str) -> Value {
    json!({"type": "Feature", "id": "p", "geometry": {"type": "Point", "coordinates": [139.90, 35.85]},
           "properties": {"kind": "care", "name": name, "phone": phone}})
}

#[tokio::test]
async fn history_lists_every_version_newest_first_with_who_when_and_what_changed() {
    let app = spawn_app().await;
    let yamada = format!("Bearer {}", app.add_user("yamada", Role::Editor));
    let suzuki = format!("Bearer {}", app.add_user("suzuki", Role::Admin));
    app.send("POST", "/api/admin/providers", &[("authorization", &yamada)], Some(&feature("さくら", "04-7150-1234")))
        .await
        .expect(201);
    app.send(
        "PUT",
        "/api/admin/providers/p",
        &[("authorization", &suzuki), ("if-match", "\"1\"")],
        Some(&feature("さくら", "04-7150-9999")),
    )
    .await
    .expect(200);
    app.send("DELETE", "/api/admin/providers/p", &[("authorization", &yamada), ("if-match", "\"2\"")], None)
        .await
        .expect(200);
    app.send("POST", "/api/admin/providers/p/restore", &[("authorization", &yamada), ("if-match", "\"3\"")], None)
        .await
        .expect(200);
    app.send(
        "POST",
        "/api/admin/providers/p/revert",
        &[("authorization", &suzuki), ("if-match", "\"4\"")],
        Some(&json!({"version": 1})),
    )
    .await
    .expect(200);

    let history =
        app.send("GET", "/api/admin/providers/p/history", &[("authorization", &yamada)], None).await.expect(200).json();
    let versions = history["versions"].as_array().unwrap();
    let summary: Vec<(i64, &str, &str)> = versions
        .iter()
        .map(|v| (v["version"].as_i64().unwrap(), v["action"].as_str().unwrap(), v["changed_by"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            (5, "revert", "suzuki"),
            (4, "restore", "yamada"),
            (3, "delete", "yamada"),
            (2, "update", "suzuki"),
            (1, "create", "yamada")
        ]
    );
    assert!(versions.iter().all(|v| v["changed_at"].as_str().is_some_and(|t| t.ends_with('Z'))));
    assert_eq!(
        versions[3]["changes"],
        json!([{"field": "phone", "label": "電話番号", "from": "04-7150-1234", "to": "04-7150-9999"}])
    );
    assert_eq!(
        versions[0]["changes"],
        json!([{"field": "phone", "label": "電話番号", "from": "04-7150-9999", "to": "04-7150-1234"}])
    );
    assert_eq!(versions[2]["changes"], json!([{"field": "deleted", "label": "削除", "from": false, "to": true}]));
    assert_eq!(versions[0]["changed_by_name"], "suzuki", "staff are shown by their user name");
    let created: Vec<&str> =
        versions[4]["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert!(created.contains(&"name") && created.contains(&"geometry"), "{created:?}");
}

#[tokio::test]
async fn the_audit_log_lists_changes_since_a_time_and_pages_with_next() {
    // One bundled provider dated 2001, so "since today" is independent of the machine's clock.
    let data = tempfile::tempdir().unwrap();
    std::fs::copy(repo_path("data/districts.geojson"), data.path().join("districts.geojson")).unwrap();
    let old = json!({"type": "FeatureCollection", "features": [{"type": "Feature", "id": "old",
        "geometry": {"type": "Point", "coordinates": [139.9, 35.85]},
        "properties": {"kind": "care", "name": "古い事業所", "updated_at": "2001-01-01T00:00:00Z"}}]});
    std::fs::write(data.path().join("providers.geojson"), old.to_string()).unwrap();
    let app = spawn_app_with_data(data.path()).await;
    let auth = format!("Bearer {}", app.add_user("yamada", Role::Editor));
    let since = "2000-01-01T00:00:00Z";
    let before = app
        .send("GET", "/api/admin/audit?since=2999-01-01T00:00:00Z", &[("authorization", &auth)], None)
        .await
        .expect(200)
        .json();
    assert_eq!(before["entries"], json!([]));
    assert!(before["next"].is_null());
    for (i, id) in ["a", "b", "c"].iter().enumerate() {
        let mut f = feature(&format!("事業所{i}"), "04-7150-1234");
        f["id"] = json!(id);
        app.send("POST", "/api/admin/providers", &[("authorization", &auth)], Some(&f)).await.expect(201);
    }
    let today = time::OffsetDateTime::now_utc().date();
    let path = format!("/api/admin/audit?since={today}T00:00:00Z&limit=2");
    let page = app.send("GET", &path, &[("authorization", &auth)], None).await.expect(200).json();
    let ids: Vec<&str> =
        page["entries"].as_array().unwrap().iter().map(|e| e["provider_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(page["entries"][0]["changed_by"], "yamada");
    assert_eq!(page["entries"][0]["action"], "create");
    let next = page["next"].as_str().unwrap();
    let rest = app.send("GET", next, &[("authorization", &auth)], None).await.expect(200).json();
    assert_eq!(rest["entries"].as_array().unwrap().len(), 1);
    assert_eq!(rest["entries"][0]["provider_id"], "c");
    assert!(rest["next"].is_null());
    let all = app
        .send("GET", &format!("/api/admin/audit?since={since}&limit=1000"), &[("authorization", &auth)], None)
        .await
        .expect(200)
        .json();
    let all: Vec<&str> =
        all["entries"].as_array().unwrap().iter().map(|e| e["provider_id"].as_str().unwrap()).collect();
    assert_eq!(all, ["old", "a", "b", "c"], "the bulk load is in the log too");
    app.send("GET", "/api/admin/audit?since=yesterday", &[("authorization", &auth)], None)
        .await
        .expect_problem(400, "since");
    app.send("GET", "/api/admin/audit?limit=0", &[("authorization", &auth)], None).await.expect_problem(400, "limit");
}

#[tokio::test]
async fn history_names_the_initial_load_and_districts_for_people_and_keeps_the_ids() {
    let app = spawn_app().await;
    let auth = format!("Bearer {}", app.add_user("yamada", Role::Editor));
    let h = [("authorization", auth.as_str())];
    let districts = app.get("/api/districts").await.expect(200).json();
    let name_of = |id: &str| {
        districts["features"].as_array().unwrap().iter().find(|d| d["id"] == id).unwrap()["properties"]["name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // A bundled provider, moved by staff into another district.
    let all = app.all_providers().await;
    let loaded = all.iter().find(|f| f["properties"]["district"] == "central").unwrap();
    let id = loaded["id"].as_str().unwrap();
    let target = all
        .iter()
        .find(|f| f["properties"]["district"].is_string() && f["properties"]["district"] != "central")
        .unwrap();
    let to_district = target["properties"]["district"].as_str().unwrap();
    let mut moved = app.send("GET", &format!("/api/admin/providers/{id}"), &h, None).await.expect(200).json();
    moved["geometry"] = target["geometry"].clone();
    app.send("PUT", &format!("/api/admin/providers/{id}"), &[h[0], ("if-match", "\"1\"")], Some(&moved))
        .await
        .expect(200);

    let history = app.send("GET", &format!("/api/admin/providers/{id}/history"), &h, None).await.expect(200).json();
    let first = &history["versions"][1];
    assert_eq!((first["changed_by"].as_str(), first["changed_by_name"].as_str()), (Some("data"), Some("初期データ")));
    let change = history["versions"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "district")
        .unwrap_or_else(|| panic!("no district change: {history}"))
        .clone();
    assert_eq!(change["label"], "日常生活圏域");
    assert_eq!((change["from"].as_str(), change["to"].as_str()), (Some("central"), Some(to_district)));
    assert_eq!(change["from_name"], name_of("central").as_str());
    assert_eq!(change["to_name"], name_of(to_district).as_str());
    assert_ne!(change["from_name"], "central", "a name, not the id");

    let audit = app.send("GET", "/api/admin/audit?limit=1000", &h, None).await.expect(200).json();
    let entry = audit["entries"].as_array().unwrap().iter().rev().find(|e| e["provider_id"] == id).unwrap().clone();
    assert_eq!(entry["changed_by_name"], "yamada");
    assert!(entry["changes"].to_string().contains(&name_of(to_district)), "{entry}");
}
