//! Hostile text: SQL metacharacters and HTML in every free-text field of a provider are
//! stored and served back as the same text through the staff API, the public API, CSV, the
//! OGC API and the history; HTML views escape them; the database is untouched by them.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

const SQL: &str = "'; DROP TABLE providers; -- \" OR 1=1 /* ";
const HTML: &str = "<script>alert('x')</script><img src=x onerror=\"alert(1)\">";

/// Percent-encodes every byte but unreserved ones, for a path segment.
fn path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn hostile(field: &str) -> String {
    format!("{field} {SQL}{HTML} & \\ %_ 流山")
}

/// The free-text properties a provider has, and the hostile value of each.
fn text_fields() -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&str, String)> = ["name", "name_kana", "address", "corporation", "open_days", "notes"]
        .iter()
        .map(|f| (*f, hostile(f)))
        .collect();
    // A URL cannot hold spaces; everything else it can.
    fields.push(("url", format!("https://example.jp/?q={}&x='--<b>", "%3Cscript%3E")));
    fields
}

#[tokio::test]
async fn sql_and_html_in_every_text_field_round_trip_as_text_everywhere() {
    let app = spawn_app().await;
    let token = app.add_user("hostile", caremap::access::Role::Editor);
    let auth = format!("Bearer {token}");
    let id = "x'\"<b>&;--%";
    let mut properties = json!({"kind": "care", "services": ["130"], "phone": "04-7150-1234"});
    for (field, value) in text_fields() {
        properties[field] = json!(value);
    }
    let feature = json!({"type": "Feature", "id": id, "properties": properties,
                         "geometry": {"type": "Point", "coordinates": [139.9, 35.86]}});
    let before = app.all_providers().await.len();

    let created =
        app.send("POST", "/api/admin/providers", &[("authorization", &auth)], Some(&feature)).await.expect(201);
    let seg = path_segment(id);
    let views: Vec<(String, Value)> = vec![
        ("staff create".into(), created.json()),
        (
            "staff get".into(),
            app.send("GET", &format!("/api/admin/providers/{seg}"), &[("authorization", &auth)], None)
                .await
                .expect(200)
                .json(),
        ),
        ("public get".into(), app.get(&format!("/api/providers/{seg}")).await.expect(200).json()),
        ("public search".into(), {
            let found = app.get("/api/providers?q=DROP%20TABLE").await.expect(200).features();
            found.into_iter().find(|f| f["id"] == id).expect("found by its text")
        }),
        ("ogc item".into(), app.get(&format!("/ogc/collections/providers/items/{seg}")).await.expect(200).json()),
    ];
    for (view, got) in &views {
        assert_eq!(got["id"], id, "{view}: {got}");
        for (field, value) in text_fields() {
            assert_eq!(got["properties"][field], value.as_str(), "{view}: {field}");
        }
    }
    let history = app
        .send("GET", &format!("/api/admin/providers/{seg}/history"), &[("authorization", &auth)], None)
        .await
        .expect(200)
        .json();
    let changes = history["versions"][0]["changes"].as_array().unwrap();
    for (field, value) in text_fields() {
        assert!(changes.iter().any(|c| c["field"] == field && c["to"] == value.as_str()), "history {field}: {history}");
    }

    let csv = app.get("/api/providers?q=DROP%20TABLE&f=csv").await.expect(200);
    let mut reader = csv::Reader::from_reader(&csv.body[3..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = reader.records().map(Result::unwrap).find(|r| &r[column("ID")] == id).expect("the CSV row");
    for (label, field) in [
        ("名称", "name"),
        ("名称（カナ）", "name_kana"),
        ("住所", "address"),
        ("法人名", "corporation"),
        ("利用可能曜日", "open_days"),
    ] {
        assert_eq!(&row[column(label)], hostile(field), "CSV {label}");
    }

    let page = app.get(&format!("/ogc/collections/providers/items/{seg}?f=html")).await.expect(200).text();
    assert!(!page.contains("<script>alert"), "the HTML view escapes the text");
    assert!(page.contains("&lt;script&gt;alert("), "{page}");

    assert_eq!(app.all_providers().await.len(), before + 1, "no table was dropped, nothing else changed");
}

#[tokio::test]
async fn a_formula_at_the_start_of_a_csv_cell_is_neutralised_for_spreadsheets() {
    let app = spawn_app().await;
    let token = app.add_user("formula", caremap::access::Role::Editor);
    let feature = json!({"type": "Feature", "id": "formula-1",
        "properties": {"kind": "care", "name": "=HYPERLINK(\"http://evil.example\",\"開く\")", "services": ["130"]},
        "geometry": {"type": "Point", "coordinates": [139.9, 35.86]}});
    app.send("POST", "/api/admin/providers", &[("authorization", &format!("Bearer {token}"))], Some(&feature))
        .await
        .expect(201);
    let csv = app.get("/api/providers?q=HYPERLINK&f=csv").await.expect(200);
    let mut reader = csv::Reader::from_reader(&csv.body[3..]);
    let row = reader.records().map(Result::unwrap).find(|r| &r[0] == "formula-1").unwrap();
    assert_eq!(&row[3], "'=HYPERLINK(\"http://evil.example\",\"開く\")");
    let json = app.get("/api/providers/formula-1").await.expect(200).json();
    assert_eq!(json["properties"]["name"], "=HYPERLINK(\"http://evil.example\",\"開く\")", "JSON keeps the text as is");
}

/// A server whose catalog is `n` generated providers spread over Japan's cities (no sample),
/// and those providers.
async fn spawn_large(n: usize) -> (crate::helpers::TestApp, Vec<caremap::domain::Provider>) {
    use caremap::store::{SqliteStore, Store};
    let providers = caremap::generate::synthetic::providers(n, 13);
    let stored = providers.clone();
    let app = crate::helpers::spawn_app_with(move |c| {
        SqliteStore::open(&c.db).unwrap().insert_providers(&stored, "gen").unwrap();
    })
    .await;
    (app, providers)
}

/// A square ring of `side` degrees with its south-west corner at (lon, lat).
fn square(lon: f64, lat: f64, side: f64) -> Value {
    json!([[[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]])
}

/// Polls /healthz while `heavy` runs; every answer must be 200. Returns the heavy result and
/// how many health checks were answered meanwhile.
async fn healthz_while<T>(app: &crate::helpers::TestApp, heavy: impl Future<Output = T>) -> (T, usize) {
    let mut heavy = std::pin::pin!(heavy);
    let mut answered = 0;
    // A hang guard only: the search itself takes far less on any machine.
    let guard = tokio::time::sleep(std::time::Duration::from_secs(120));
    let mut guard = std::pin::pin!(guard);
    loop {
        tokio::select! {
            result = &mut heavy => return (result, answered),
            () = &mut guard => panic!("the search did not finish within 120 s"),
            reply = app.get("/healthz") => {
                reply.expect(200);
                answered += 1;
            }
        }
    }
}

#[tokio::test]
async fn a_multipolygon_of_2000_parts_is_refused_naming_the_part_limit() {
    let app = spawn_app().await;
    let parts: Vec<Value> =
        (0..2000).map(|i| square(139.0 + f64::from(i % 50) * 0.02, 35.0 + f64::from(i / 50) * 0.02, 0.01)).collect();
    let body = json!({"type": "MultiPolygon", "coordinates": parts});
    assert!(body.to_string().len() < 1024 * 1024, "under the body limit");
    let problem = app.post_json("/api/providers/search", &body).await.expect_problem(400, "geometry");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("2000 polygons") && detail.contains(&caremap::domain::MAX_POLYGON_PARTS.to_string()),
        "{detail}"
    );
    app.get("/healthz").await.expect(200);
}

#[tokio::test]
async fn overlapping_parts_over_a_large_catalog_find_each_provider_once_while_healthz_answers() {
    let (app, providers) = spawn_large(50_000).await;
    // 250 squares around providers, each sent twice (500 parts, the limit): every provider in
    // them is inside two parts, many in more (neighbouring squares overlap too).
    let squares: Vec<Value> =
        providers.iter().step_by(200).map(|p| square(p.location.lon() - 0.01, p.location.lat() - 0.01, 0.02)).collect();
    let parts: Vec<Value> = squares.iter().chain(&squares).cloned().collect();
    assert_eq!(parts.len(), caremap::domain::MAX_POLYGON_PARTS);
    let area: geo::MultiPolygon<f64> = geo::MultiPolygon(
        squares
            .iter()
            .map(|s| {
                let ring: Vec<(f64, f64)> =
                    s[0].as_array().unwrap().iter().map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())).collect();
                geo::Polygon::new(geo::LineString::from(ring), vec![])
            })
            .collect(),
    );
    let mut expected: Vec<&str> = providers
        .iter()
        .filter(|p| geo::Intersects::intersects(&area, &geo::Point::new(p.location.lon(), p.location.lat())))
        .map(|p| p.id.as_str())
        .collect();
    expected.sort_unstable();
    assert!(expected.len() > 250 && expected.len() < 10_000, "{} expected", expected.len());

    let body = json!({"type": "MultiPolygon", "coordinates": parts});
    let (reply, health_checks) = healthz_while(&app, app.post_json("/api/providers/search?limit=10000", &body)).await;

    let reply = reply.expect(200);
    assert_eq!(reply.json()["numberMatched"], expected.len(), "each provider counted once");
    let got = crate::helpers::ids(&reply.features());
    assert_eq!(got, expected);
    assert!(health_checks >= 1, "/healthz answered while the search ran");
}

#[tokio::test]
async fn a_sparse_xlsx_upload_is_refused_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let token = app.add_user("excel", caremap::access::Role::Editor);
    let auth = format!("Bearer {token}");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "医療機関番号").unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    let xlsx = workbook.save_to_buffer().unwrap();

    let reply = app
        .post_files(
            "/api/admin/imports?source=kouseikyoku&dry_run=true",
            &[("authorization", &auth)],
            &[("12_chiba.xlsx", xlsx)],
        )
        .await;

    let problem = reply.expect_problem(422, "file");
    assert!(problem["detail"].as_str().unwrap().contains("XFD1048576"), "{problem}");
    app.get("/healthz").await.expect(200);
    app.get("/api/providers?limit=1").await.expect(200);
}
