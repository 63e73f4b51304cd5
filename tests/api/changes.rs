//! The numbered change feed: every committed provider change — staff writes and imports,
//! concurrent or not — gets the next seq, and a write is answered only after the catalog
//! applied it; `GET /api/admin/changes` lists the feed for staff.

use std::collections::HashMap;

use caremap::access::Role;
use serde_json::{Value, json};

use crate::support::app::{TestApp, spawn_app};
use crate::support::fixtures::{Enc, many_offices, mhlw_csv};

fn feature(id: &str, name: &str, lon: f64, lat: f64) -> Value {
    json!({
        "type": "Feature",
        "id": id,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"kind": "care", "name": name, "services": ["130"]}
    })
}

/// The catalog's applied seq, as `/metrics` shows it.
async fn applied_seq(app: &TestApp) -> i64 {
    let text = app.get("/metrics").await.expect(200).text();
    let line = text.lines().find(|l| l.starts_with("caremap_catalog_applied_seq ")).expect("the applied seq gauge");
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// Every change after `since`, following the pages.
async fn feed_since(app: &TestApp, auth: &str, mut since: i64) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let page = app
            .send("GET", &format!("/api/admin/changes?since={since}&limit=50"), &[("authorization", auth)], None)
            .await
            .expect(200)
            .json();
        let entries = page["entries"].as_array().unwrap().clone();
        since = page["next_since"].as_i64().unwrap();
        let last_page = page["next"].is_null();
        all.extend(entries);
        if last_page {
            return all;
        }
    }
}

#[tokio::test]
async fn concurrent_staff_writes_and_an_import_get_gapless_increasing_seqs_each_applied_before_its_answer() {
    let app = std::sync::Arc::new(spawn_app().await);
    let auth = format!("Bearer {}", app.add_user("yamada", Role::Editor));
    let start = feed_since(&app, &auth, 0).await.last().map_or(0, |e| e["seq"].as_i64().unwrap());
    assert_eq!(applied_seq(&app).await, start, "the catalog is loaded at the store's last seq");

    // Four staff writers (create, then update each provider) and one import, all at once.
    let mut tasks = Vec::new();
    for writer in 0..4 {
        let (app, auth) = (app.clone(), auth.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            for i in 0..5 {
                let id = format!("w{writer}-{i}");
                let f = feature(&id, "新規", 139.90 + f64::from(writer) * 0.01, 35.85 + f64::from(i) * 0.005);
                let reply = app.send("POST", "/api/admin/providers", &[("authorization", &auth)], Some(&f)).await;
                let etag = reply.expect(201).etag();
                seen.push((id.clone(), 1, applied_seq(&app).await));
                let edit = feature(&id, "更新", 139.91, 35.86);
                let headers = [("authorization", auth.as_str()), ("if-match", etag.as_str())];
                app.send("PUT", &format!("/api/admin/providers/{id}"), &headers, Some(&edit)).await.expect(200);
                seen.push((id, 2, applied_seq(&app).await));
            }
            seen
        }));
    }
    let import = {
        let (app, auth) = (app.clone(), auth.clone());
        tokio::spawn(async move {
            let file = mhlw_csv(&many_offices(20), Enc::Utf8, false);
            let path = "/api/admin/imports?source=mhlw-care&dry_run=false";
            let report = app.post_files(path, &[("authorization", &auth)], &[("jigyosho_110.csv", file)]).await;
            assert_eq!(report.expect(200).json()["added"], 20);
            applied_seq(&app).await
        })
    };
    let mut answered: Vec<(String, i64, i64)> = Vec::new();
    for task in tasks {
        answered.extend(task.await.unwrap());
    }
    let applied_after_import = import.await.unwrap();

    let feed = feed_since(&app, &auth, start).await;
    let seqs: Vec<i64> = feed.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, ((start + 1)..=(start + 60)).collect::<Vec<_>>(), "40 staff changes and 20 imported, no gaps");
    let seq_of: HashMap<(String, i64), i64> = feed
        .iter()
        .map(|e| {
            (
                (e["provider_id"].as_str().unwrap().to_owned(), e["version"].as_i64().unwrap()),
                e["seq"].as_i64().unwrap(),
            )
        })
        .collect();
    for (id, version, applied) in &answered {
        let seq = seq_of[&(id.clone(), *version)];
        assert!(*applied >= seq, "{id} v{version} (seq {seq}) was answered before the catalog applied it ({applied})");
    }
    let imported: Vec<i64> =
        feed.iter().filter(|e| e["action"] == "import").map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(imported.len(), 20);
    assert_eq!(imported.last().unwrap() - imported[0], 19, "an import's changes are consecutive: {imported:?}");
    assert!(applied_after_import >= *imported.last().unwrap());
    assert_eq!(applied_seq(&app).await, start + 60);
}

#[tokio::test]
async fn the_feed_pages_by_since_and_limit_with_the_provider_after_each_change() {
    let app = spawn_app().await;
    let auth = format!("Bearer {}", app.add_user("suzuki", Role::Editor));
    let start = feed_since(&app, &auth, 0).await.len() as i64;
    let headers = [("authorization", auth.as_str())];
    app.send("POST", "/api/admin/providers", &headers, Some(&feature("f-1", "はじめ", 139.9, 35.86))).await.expect(201);
    let with_etag = [("authorization", auth.as_str()), ("if-match", "\"1\"")];
    app.send("PUT", "/api/admin/providers/f-1", &with_etag, Some(&feature("f-1", "つぎ", 139.9, 35.86)))
        .await
        .expect(200);
    let with_etag = [("authorization", auth.as_str()), ("if-match", "\"2\"")];
    app.send("DELETE", "/api/admin/providers/f-1", &with_etag, None).await.expect(200);

    let first = app.send("GET", &format!("/api/admin/changes?since={start}&limit=2"), &headers, None).await.expect(200);
    let first = first.json();
    let actions: Vec<&str> =
        first["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "update"]);
    assert_eq!(first["entries"][1]["feature"]["properties"]["name"], "つぎ");
    assert_eq!(first["entries"][1]["changed_by"], "suzuki");
    assert_eq!(first["next_since"], start + 2);
    assert_eq!(first["next"], format!("/api/admin/changes?since={}&limit=2", start + 2));
    assert_eq!(first["applied_seq"], start + 3);

    let rest = app.send("GET", first["next"].as_str().unwrap(), &headers, None).await.expect(200).json();
    let deleted = &rest["entries"][0];
    assert_eq!((deleted["action"].as_str(), deleted["deleted"].as_bool()), (Some("delete"), Some(true)));
    assert_eq!(deleted["feature"]["properties"]["deleted_at"], deleted["changed_at"]);
    assert_eq!(rest["entries"].as_array().unwrap().len(), 1);
    assert!(rest["next"].is_null(), "the last page has no next: {rest}");
    assert_eq!(rest["next_since"], start + 3);
}

#[tokio::test]
async fn the_feed_needs_a_staff_token_and_names_a_bad_since_or_limit() {
    let app = spawn_app().await;
    app.get("/api/admin/changes").await.expect(401);
    let auth = format!("Bearer {}", app.add_user("sato", Role::Editor));
    let headers = [("authorization", auth.as_str())];
    for (query, field) in [("since=-1", "since"), ("since=x", "since"), ("limit=0", "limit"), ("limit=1001", "limit")] {
        app.send("GET", &format!("/api/admin/changes?{query}"), &headers, None).await.expect_problem(400, field);
    }
    app.send("GET", "/api/admin/changes?after=3", &headers, None).await.expect_problem(400, "after");
}
