//! `POST /api/admin/imports`: staff upload files, see the dry-run diff, commit; the index
//! sees the result at once, and readers keep answering during a large import.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use caremap::access::Role;
use serde_json::{Value, json};

use crate::support::app::{TestApp, spawn_app};
use crate::support::fixtures::{Enc, Office, csv_text, encode, many_offices, mhlw_csv};

const IMPORTS: &str = "/api/admin/imports";

async fn editor(app: &TestApp) -> String {
    format!("Bearer {}", app.add_user("tanaka", Role::Editor))
}

#[tokio::test]
async fn an_upload_shows_the_dry_run_diff_then_a_commit_is_visible_at_once() {
    let app = spawn_app().await;
    let auth = editor(&app).await;
    let file =
        mhlw_csv(&[Office::new("1270000001", "さくら"), Office::new("1270000002", "もみじ")], Enc::Utf8Bom, true);
    let headers = [("authorization", auth.as_str())];

    let dry = app
        .post_files(
            &format!("{IMPORTS}?source=mhlw-care&dry_run=true"),
            &headers,
            &[("jigyosho_110.csv", file.clone())],
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        (dry["dry_run"].as_bool(), dry["added"].as_u64(), dry["rows_read"].as_u64()),
        (Some(true), Some(2), Some(2))
    );
    let diff_ids: Vec<&str> =
        dry["diff"]["added"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(diff_ids, ["care-1270000001", "care-1270000002"]);
    app.get("/api/providers/care-1270000001").await.expect(404);

    let done = app
        .post_files(
            &format!("{IMPORTS}?source=mhlw-care&dry_run=false"),
            &headers,
            &[("jigyosho_110.csv", file.clone())],
        )
        .await
        .expect(200)
        .json();
    assert_eq!((done["dry_run"].as_bool(), done["added"].as_u64()), (Some(false), Some(2)));
    let feature = app.get("/api/providers/care-1270000001").await.expect(200).json();
    assert_eq!(feature["properties"]["services"], serde_json::json!(["110"]));
    assert_eq!(feature["properties"]["district"], "central", "the district is derived from the bundled districts");
    let history =
        app.send("GET", "/api/admin/providers/care-1270000001/history", &headers, None).await.expect(200).json();
    assert!(history.to_string().contains("tanaka"), "the import is recorded as the staff user's: {history}");

    let again = app
        .post_files(&format!("{IMPORTS}?source=mhlw-care&dry_run=false"), &headers, &[("jigyosho_110.csv", file)])
        .await
        .expect(200)
        .json();
    assert_eq!((again["added"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(2)));
}

#[tokio::test]
async fn the_default_is_a_dry_run() {
    let app = spawn_app().await;
    let auth = editor(&app).await;
    let file = mhlw_csv(&[Office::new("1270000001", "さくら")], Enc::Utf8Bom, true);
    let report = app
        .post_bytes(
            &format!("{IMPORTS}?source=mhlw-care&name=jigyosho_130.csv"),
            &[("authorization", &auth)],
            "text/csv",
            file,
        )
        .await
        .expect(200)
        .json();
    assert_eq!((report["dry_run"].as_bool(), report["added"].as_u64()), (Some(true), Some(1)));
    assert_eq!(report["files"][0]["service"], "130", "the raw body's name gives the service code");
    app.get("/api/providers/care-1270000001").await.expect(404);
}

#[tokio::test]
async fn imports_need_a_staff_token() {
    let app = spawn_app().await;
    let file = mhlw_csv(&[Office::new("1270000001", "さくら")], Enc::Utf8Bom, true);
    app.post_files(&format!("{IMPORTS}?source=mhlw-care&dry_run=false"), &[], &[("jigyosho_110.csv", file)])
        .await
        .expect(401);
    app.get("/api/providers/care-1270000001").await.expect(404);
}

#[tokio::test]
async fn a_file_with_a_wrong_header_is_a_422_naming_the_file_and_changes_nothing() {
    let app = spawn_app().await;
    let auth = editor(&app).await;
    let before = app.all_providers().await.len();
    let good = mhlw_csv(&[Office::new("1270000001", "さくら")], Enc::Utf8Bom, true);
    let bad = encode(&csv_text(&["事業所番号", "名前"], &[vec!["1".into(), "x".into()]], true), Enc::Utf8Bom);
    let body = app
        .post_files(
            &format!("{IMPORTS}?source=mhlw-care&dry_run=false"),
            &[("authorization", &auth)],
            &[("jigyosho_110.csv", good), ("jigyosho_430.csv", bad)],
        )
        .await
        .expect_problem(422, "file");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("jigyosho_430.csv") && detail.contains("都道府県コード又は市町村コード,No,"), "{detail}");
    assert_eq!(app.all_providers().await.len(), before);
}

#[tokio::test]
async fn bad_options_are_400s_naming_the_parameter() {
    let app = spawn_app().await;
    let auth = editor(&app).await;
    let file = mhlw_csv(&[Office::new("1270000001", "さくら")], Enc::Utf8Bom, true);
    for (query, field) in [
        ("source=nope", "source"),
        ("source=geojson&crs=EPSG:3857", "crs"),
        ("source=mhlw-care&service=999", "service"),
        ("source=mhlw-care&city=12", "city"),
        ("source=mhlw-care&colour=red", "colour"),
        ("dry_run=false", "source"),
    ] {
        app.post_files(
            &format!("{IMPORTS}?{query}"),
            &[("authorization", &auth)],
            &[("jigyosho_110.csv", file.clone())],
        )
        .await
        .expect_problem(400, field);
    }
}

#[tokio::test]
async fn an_import_of_100000_rows_keeps_every_query_answering() {
    let app = Arc::new(spawn_app().await);
    let auth = editor(&app).await;
    let file = mhlw_csv(&many_offices(100_000), Enc::Utf8Bom, true);
    assert!(file.len() > caremap::http::MAX_BODY_BYTES, "the upload is larger than the limit of other bodies");

    let importing = Arc::new(AtomicBool::new(true));
    let during = Arc::new(AtomicUsize::new(0));
    let reader = {
        let (app, importing, during) = (app.clone(), importing.clone(), during.clone());
        tokio::spawn(async move {
            let mut answered = 0;
            while importing.load(Ordering::SeqCst) {
                let reply = app.get("/api/providers/nearest?lon=139.9&lat=35.85&k=5").await;
                assert_eq!(reply.status.as_u16(), 200, "a query failed during the import: {reply}");
                assert_eq!(reply.features().len(), 5);
                if importing.load(Ordering::SeqCst) {
                    during.fetch_add(1, Ordering::SeqCst);
                }
                answered += 1;
            }
            answered
        })
    };
    let report = app
        .post_files(
            &format!("{IMPORTS}?source=mhlw-care&dry_run=false"),
            &[("authorization", &auth)],
            &[("jigyosho_110.csv", file)],
        )
        .await
        .expect(200)
        .json();
    importing.store(false, Ordering::SeqCst);
    let answered = reader.await.expect("no query failed");
    assert_eq!(report["added"].as_u64(), Some(100_000));
    assert!(during.load(Ordering::SeqCst) > 0 && answered > 0, "queries ran while the import did");
    let last = app.get("/api/providers/care-1290099999").await.expect(200).json();
    assert_eq!(last["properties"]["name"], "事業所99999");
    let near = app.get("/api/providers?bbox=139.87,35.82,139.96,35.92&limit=1").await.expect(200).json();
    assert!(near["numberMatched"].as_u64().unwrap() >= 100_000, "the index sees every imported office");
}

/// A multipart upload of `file` as `jigyosho_110.csv` with the text field `blank_clears`.
async fn post_with_blank_clears(app: &TestApp, query: &str, auth: &str, blank_clears: &str, file: Vec<u8>) -> Value {
    let boundary = "caremap-test-boundary-blank";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"blank_clears\"\r\n\r\n{blank_clears}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"jigyosho_110.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    app.post_bytes(
        &format!("{IMPORTS}?{query}"),
        &[("authorization", auth)],
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await
    .expect(200)
    .json()
}

/// Imports `office` (committed), then sets its 備考 and 受入可否 as staff do on the page;
/// returns the properties after the edit.
async fn imported_then_edited_by_staff(app: &TestApp, auth: &str, office: Office) -> Value {
    let file = mhlw_csv(&[office], Enc::Utf8Bom, true);
    app.post_files(
        &format!("{IMPORTS}?source=mhlw-care&dry_run=false"),
        &[("authorization", auth)],
        &[("jigyosho_110.csv", file)],
    )
    .await
    .expect(200);
    let path = "/api/admin/providers/care-1270000001";
    let mut f = app.send("GET", path, &[("authorization", auth)], None).await.expect(200).json();
    f["properties"]["notes"] = json!("職員が入力した備考");
    f["properties"]["accepting"] = json!(true);
    f["properties"]["accepting_note"] = json!("火曜のみ");
    let edited = app.send("PUT", path, &[("authorization", auth), ("if-match", "\"1\"")], Some(&f)).await.expect(200);
    edited.json()["properties"].clone()
}

#[tokio::test]
async fn a_dry_run_shows_each_change_old_to_new_and_leaves_staff_owned_fields_alone() {
    let app = spawn_app().await;
    let auth = editor(&app).await;
    let edited = imported_then_edited_by_staff(&app, &auth, Office::new("1270000001", "さくら")).await;
    assert!(edited["accepting_checked_at"].is_string(), "the staff edit of 受入可否 is a confirmation: {edited}");
    let mut office = Office::new("1270000001", "さくら");
    office.phone = "04-7150-9999".into();
    let file = mhlw_csv(&[office], Enc::Utf8Bom, true);
    let headers = [("authorization", auth.as_str())];

    let dry = app
        .post_files(&format!("{IMPORTS}?source=mhlw-care"), &headers, &[("jigyosho_110.csv", file.clone())])
        .await
        .expect(200)
        .json();
    assert_eq!(dry["changed"], 1, "{dry}");
    let entry = &dry["diff"]["changed"][0];
    assert_eq!(entry["fields"], json!(["phone"]), "備考 and 受入可否 are not the file's to change: {dry}");
    assert_eq!(
        entry["changes"],
        json!([{"field": "phone", "label": "電話番号", "from": "04-7150-1234", "to": "04-7150-9999"}])
    );
    assert_eq!(dry["policy"]["blank_clears"], false);
    let staff_owned: Vec<&str> =
        dry["policy"]["staff_owned"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(
        staff_owned,
        ["notes", "accepting", "accepting_note", "accepting_places", "accepting_checked_at", "accepting_updated_at"]
    );
    assert_eq!(dry["policy"]["staff_owned"][0]["label"], "備考");

    app.post_files(&format!("{IMPORTS}?source=mhlw-care&dry_run=false"), &headers, &[("jigyosho_110.csv", file)])
        .await
        .expect(200);
    let p = app.get("/api/providers/care-1270000001").await.expect(200).json()["properties"].clone();
    assert_eq!(p["phone"], "04-7150-9999");
    assert_eq!((p["notes"].as_str(), p["accepting"].as_str()), (Some("職員が入力した備考"), Some("yes")));
    for key in ["accepting_note", "accepting_checked_at", "accepting_updated_at"] {
        assert_eq!(p[key], edited[key], "the import kept {key}");
    }
}

#[tokio::test]
async fn an_empty_cell_keeps_the_stored_value_unless_blank_clears_is_given_and_staff_fields_stay_either_way() {
    let app = spawn_app().await;
    let auth = editor(&app).await;
    imported_then_edited_by_staff(&app, &auth, Office::new("1270000001", "さくら")).await;
    let mut office = Office::new("1270000001", "さくら");
    office.phone = String::new();
    let file = mhlw_csv(&[office], Enc::Utf8Bom, true);

    let kept = post_with_blank_clears(&app, "source=mhlw-care", &auth, "false", file.clone()).await;
    assert_eq!((kept["changed"].as_u64(), kept["unchanged"].as_u64()), (Some(0), Some(1)), "{kept}");

    let dry = post_with_blank_clears(&app, "source=mhlw-care", &auth, "true", file.clone()).await;
    assert_eq!(dry["policy"]["blank_clears"], true);
    assert_eq!(
        dry["diff"]["changed"][0]["changes"],
        json!([{"field": "phone", "label": "電話番号", "from": "04-7150-1234", "to": null}]),
        "the empty 備考 cell does not touch the staff's notes: {dry}"
    );
    post_with_blank_clears(&app, "source=mhlw-care&dry_run=false&blank_clears=true", &auth, "true", file).await;
    let p = app.get("/api/providers/care-1270000001").await.expect(200).json()["properties"].clone();
    assert!(p["phone"].is_null());
    assert_eq!(p["notes"], "職員が入力した備考");

    let odd = mhlw_csv(&[Office::new("1270000001", "さくら")], Enc::Utf8Bom, true);
    let boundary = "b";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"blank_clears\"\r\n\r\nyes\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"jigyosho_110.csv\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&odd);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    app.post_bytes(
        &format!("{IMPORTS}?source=mhlw-care"),
        &[("authorization", &auth)],
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await
    .expect_problem(400, "blank_clears");
}

/// The example files under docs/import-examples (the README's column lists) import as
/// documented: every row read, none skipped, the 厚生局 list classing the example clinic (its
/// second row, another standard, is ignored).
#[tokio::test]
async fn the_documented_example_files_import_without_a_skipped_row() {
    let app = spawn_app().await;
    let auth = editor(&app).await;
    let headers = [("authorization", auth.as_str())];
    let example = |name: &str| std::fs::read(crate::support::repo_path("docs/import-examples").join(name)).unwrap();
    for (source, file, rows) in [
        ("mhlw-care", "jigyosho_130.csv", 2),
        ("iryo-net", "02-1_clinic_facility_info_20260601.csv", 2),
        ("geojson", "providers.geojson", 2),
        ("kouseikyoku", "kouseikyoku_12_ika.xlsx", 2),
    ] {
        let report = app
            .post_files(&format!("{IMPORTS}?source={source}&dry_run=false"), &headers, &[(file, example(file))])
            .await
            .expect(200)
            .json();
        assert_eq!(report["skipped"].as_array().map(Vec::len).unwrap_or(0), 0, "{file}: {report:#}");
        assert_eq!(report["rows_read"].as_u64(), Some(rows), "{file}: {report:#}");
    }
    let care = app.get("/api/providers/care-1299990001").await.expect(200).json();
    assert_eq!(care["properties"]["services"], serde_json::json!(["130"]));
    let clinic = app.get("/api/providers/med-1299990000001").await.expect(200).json();
    assert_eq!(clinic["properties"]["home_care"]["class"], "enhanced_network", "{clinic:#}");
    app.get("/api/providers/example-clinic-1").await.expect(200);
}
