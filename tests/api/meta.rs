//! Districts, services, fields, about, health, static files.

use crate::support::app::spawn_app;

#[tokio::test]
async fn districts_cover_the_sample_and_carry_counts() {
    let app = spawn_app().await;
    let districts = app.get("/api/districts").await.expect(200).features();
    let names: Vec<&str> = districts.iter().map(|d| d["properties"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["北部", "中部", "東部", "南部"]);
    let total: u64 = districts.iter().map(|d| d["properties"]["provider_count"].as_u64().unwrap()).sum();
    assert_eq!(total, 368);
    assert_eq!(districts[0]["geometry"]["type"], "MultiPolygon");
}

#[tokio::test]
async fn services_have_japanese_labels_and_groups_with_their_filters() {
    let app = spawn_app().await;
    let body = app.get("/api/services").await.expect(200).json();
    let services = body["services"].as_array().unwrap();
    let nursing = services.iter().find(|s| s["code"] == "130").unwrap();
    assert_eq!(nursing["label"], "訪問看護");
    let groups = body["groups"].as_array().unwrap();
    let visit = groups.iter().find(|g| g["id"] == "visit").unwrap();
    assert!(visit["filter"]["service"].as_str().unwrap().split(',').any(|c| c == "130"));
    assert!(groups.iter().any(|g| g["filter"]["home_care"] == "true"));
}

#[tokio::test]
async fn the_field_list_is_public_and_names_each_property_a_feature_carries_in_order() {
    let app = spawn_app().await;
    let fields = app.get("/api/fields").await.expect(200).json();
    let fields = fields.as_array().unwrap();
    let keys: Vec<&str> = fields.iter().map(|f| f["key"].as_str().unwrap()).collect();
    assert_eq!(keys.last(), Some(&"geometry"));
    // The Feature's properties as written (JSON objects parsed here lose their order).
    let reply = app.get("/api/providers?limit=1").await.expect(200);
    let text = reply.text();
    let properties = &text[text.find("\"properties\":").unwrap()..];
    let mut written: Vec<(usize, String)> = reply.features()[0]["properties"]
        .as_object()
        .unwrap()
        .keys()
        // Bookkeeping, and accepting_stale: computed when answered, not a stored field.
        .filter(|k| !["version", "updated_at", "accepting_stale"].contains(&k.as_str()))
        .map(|k| (properties.find(&format!("\"{k}\":")).unwrap(), k.clone()))
        .collect();
    written.sort_unstable();
    let in_order: Vec<String> = written.into_iter().map(|(_, k)| k).collect();
    assert_eq!(in_order, keys[..keys.len() - 1], "every property but the bookkeeping, in the Feature's order");
    let phone = fields.iter().find(|f| f["key"] == "phone").unwrap();
    assert_eq!(phone["label"], "電話番号");
    assert_eq!(phone["type"], "text");
    assert_eq!(phone["owner"], "import");
    assert_eq!(phone["csv"], serde_json::json!(["電話番号"]));
    assert_eq!(phone["form"]["input"], "tel");
    let notes = fields.iter().find(|f| f["key"] == "notes").unwrap();
    assert_eq!((notes["owner"].as_str(), notes["form"]["input"].as_str()), (Some("staff"), Some("textarea")));
    let district = fields.iter().find(|f| f["key"] == "district").unwrap();
    assert_eq!((district["owner"].as_str(), district["form"].is_null()), (Some("derived"), true));
}

#[tokio::test]
async fn about_says_the_bundled_sample_is_being_served() {
    let app = spawn_app().await;
    let about = app.get("/api/about").await.expect(200).json();
    assert_eq!(about["sample"], true);
    assert_eq!(about["providers"], 368);
    let newest =
        app.all_providers().await.iter().map(|f| f["properties"]["updated_at"].as_str().unwrap().to_owned()).max();
    assert_eq!(about["data_updated_at"].as_str(), newest.as_deref());
    assert!(about["tiles"][0]["url"].as_str().unwrap().contains("cyberjapandata.gsi.go.jp"));
}

#[tokio::test]
async fn health_answers_ok() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.expect(200).json()["status"], "ok");
    assert_eq!(app.get("/readyz").await.expect(200).json()["providers"], 368);
}

#[tokio::test]
async fn the_page_is_served_with_a_strict_content_security_policy() {
    let app = spawn_app().await;
    let page = app.get("/").await.expect(200);
    assert!(page.content_type.starts_with("text/html"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn static_files_never_leave_the_web_folder() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    for path in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/..%2fCargo.toml",
        "/web/../../Cargo.toml",
        "/%2e%2e%2f%2e%2e%2fetc/passwd",
        // Double encoding, backslashes, overlong UTF-8, NUL, absolute paths, from a subfolder.
        "/%252e%252e/Cargo.toml",
        "/%252e%252e%252fCargo.toml",
        "/..%5cCargo.toml",
        "/%5c..%5cCargo.toml",
        "/..\\Cargo.toml",
        "/%c0%ae%c0%ae/Cargo.toml",
        "/%c0%ae%c0%ae%c0%afCargo.toml",
        "/%00/../Cargo.toml",
        "/index.html%00/../../Cargo.toml",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/lib/../../Cargo.toml",
        "/lib/%2e%2e/%2e%2e/Cargo.toml",
        "/lib/..%2f..%2fCargo.toml",
        "/./.././Cargo.toml",
    ] {
        // A raw request, so no client normalises the path first.
        let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        stream
            .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(!response.contains("[package]") && !response.contains("root:"), "{path} leaked: {response}");
        let status = response.split(' ').nth(1).unwrap_or("");
        assert!(status.starts_with('4'), "{path}: {response}");
    }
}
