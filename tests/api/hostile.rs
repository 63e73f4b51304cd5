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
    let token = app.add_user("hostile", caremap::auth::Role::Editor);
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
    let token = app.add_user("formula", caremap::auth::Role::Editor);
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
