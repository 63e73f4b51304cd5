//! `POST /api/admin/imports?source=estat-mesh`: staff upload e-Stat 地域メッシュ統計 files, see
//! the columns the file offers with their labels, check the chosen columns (squares, suppressed
//! squares) without storing, then commit; `/api/coverage` uses the new column at once.

use caremap::access::Role;
use serde_json::Value;

use crate::support::app::{Reply, TestApp, spawn_app};

const IMPORTS: &str = "/api/admin/imports?source=estat-mesh";
/// A column the bundled sample does not load (７５歳以上人口　男).
const NEW_COLUMN: &str = "T001141023";

/// An e-Stat file (cp932, codes line, labels line) with invented counts for three 500 m squares
/// of the sample city, the third suppressed into the first.
fn estat_file() -> Vec<u8> {
    let text = "KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T001141001,T001141002,T001141003,T001141019,T001141020,T001141021,T001141022,T001141023,T001141024\r\n\
        ,,,,人口（総数）,人口（総数）　男,人口（総数）　女,６５歳以上人口　総数,６５歳以上人口　男,６５歳以上人口　女,７５歳以上人口　総数,７５歳以上人口　男,７５歳以上人口　女\r\n\
        533957923,1,,533957933,1000,480,520,300,140,160,150,77,73\r\n\
        533957924,0,,,1200,600,600,320,150,170,160,71,89\r\n\
        533957933,2,533957923,,*,*,*,*,*,*,*,*,*\r\n";
    encoding_rs::SHIFT_JIS.encode(text).0.into_owned()
}

/// Posts `files` and `column` text fields as one multipart form.
async fn post(app: &TestApp, query: &str, auth: &str, files: &[(&str, Vec<u8>)], columns: &[&str]) -> Reply {
    let boundary = "caremap-population-boundary-41d2";
    let mut body = Vec::new();
    for column in columns {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"column\"\r\n\r\n{column}\r\n").as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: text/plain\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    app.post_bytes(&format!("{IMPORTS}{query}"), &[("authorization", auth)], &content_type, body).await
}

async fn loaded_columns(app: &TestApp) -> Vec<String> {
    let presets = app.get("/api/coverage/presets").await.expect(200).json();
    presets["population"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_owned()).collect()
}

fn editor(app: &TestApp) -> String {
    format!("Bearer {}", app.add_user("suzuki", Role::Editor))
}

#[tokio::test]
async fn a_dry_run_without_columns_lists_what_the_file_offers_with_its_labels() {
    let app = spawn_app().await;
    let auth = editor(&app);

    let body = post(&app, "", &auth, &[("tblT001141H5339.txt", estat_file())], &[]).await.expect(200).json();

    assert_eq!(body["dry_run"], true);
    let offered = body["offered"].as_array().unwrap();
    assert_eq!(offered.len(), 9, "{body}");
    assert_eq!(offered[0]["code"], "T001141001");
    assert_eq!(offered[0]["label"], "人口（総数）", "the cp932 label line, decoded");
    assert!(body["columns"].as_array().unwrap().is_empty());
    assert!(!loaded_columns(&app).await.contains(&NEW_COLUMN.to_owned()));
}

#[tokio::test]
async fn a_check_reports_squares_and_suppressed_squares_then_a_commit_is_used_by_coverage_at_once() {
    let app = spawn_app().await;
    let auth = editor(&app);
    let files = [("tblT001141H5339.txt", estat_file())];
    let columns = [NEW_COLUMN, "６５歳以上人口 男"];
    app.get(&format!("/api/coverage?population={NEW_COLUMN}")).await.expect_problem(400, "population");

    let check = post(&app, "&dry_run=true", &auth, &files, &columns).await.expect(200).json();

    let report: Vec<(&str, u64, u64, f64)> = check["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap(),
                c["squares"].as_u64().unwrap(),
                c["suppressed"].as_u64().unwrap(),
                c["total"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(report, [(NEW_COLUMN, 3, 1, 148.0), ("T001141020", 3, 1, 290.0)]);
    assert_eq!(check["columns"][0]["mesh"], "500m");
    assert!(!loaded_columns(&app).await.contains(&NEW_COLUMN.to_owned()), "a check stores nothing");

    let done = post(&app, "&dry_run=false", &auth, &files, &columns).await.expect(200).json();

    assert_eq!(done["dry_run"], false);
    assert!(loaded_columns(&app).await.contains(&NEW_COLUMN.to_owned()));
    let cells = app.get(&format!("/api/coverage?mesh=500m&population={NEW_COLUMN}")).await.expect(200).json();
    let people = |code: &str| -> Value {
        let cell = cells["features"].as_array().unwrap().iter().find(|f| f["id"] == code).unwrap();
        cell["properties"]["population"].clone()
    };
    assert_eq!(people("533957923"), 77.0);
    assert_eq!(people("533957924"), 71.0);
    assert_eq!(cells["population"]["label"], "７５歳以上人口　男");
}

#[tokio::test]
async fn bad_imports_are_refused_naming_the_field_and_change_nothing() {
    let app = spawn_app().await;
    let auth = editor(&app);
    let file = || vec![("tblT001141H5339.txt", estat_file())];
    let before = loaded_columns(&app).await;

    post(&app, "", "Bearer nope", &file(), &[NEW_COLUMN]).await.expect(401);
    post(&app, "&dry_run=false", &auth, &file(), &[]).await.expect_problem(400, "column");
    post(&app, "&dry_run=false", &auth, &file(), &["T999"]).await.expect_problem(400, "column");
    post(&app, "&dry_run=false", &auth, &[], &[NEW_COLUMN]).await.expect_problem(400, "file");
    post(&app, "&dry_run=maybe", &auth, &file(), &[NEW_COLUMN]).await.expect_problem(400, "dry_run");
    let not_estat = vec![("jigyosho_110.csv", b"a,b\r\n1,2\r\n".to_vec())];
    let refused = post(&app, "&dry_run=false", &auth, &not_estat, &[NEW_COLUMN]).await.expect_problem(422, "file");
    assert!(refused.to_string().contains("jigyosho_110.csv"), "{refused}");

    assert_eq!(loaded_columns(&app).await, before);
}
