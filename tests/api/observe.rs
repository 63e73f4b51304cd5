//! Request ids and `/metrics`.

use std::time::{SystemTime, UNIX_EPOCH};

use caremap::access::Role;
use caremap::http::MetricsExposure;
use caremap::store::{LAST_IMPORT_META, SqliteStore, Store};
use clap::Parser;

use crate::helpers::{Reply, TestApp, spawn_app, spawn_app_with};
use crate::import_fixtures::{Enc, Office, csv_text, encode, mhlw_csv};

#[tokio::test]
async fn a_request_id_is_echoed_or_made() {
    let app = spawn_app().await;
    let given = app.send("GET", "/api/services", &[("x-request-id", "trace-42.a:b")], None).await.expect(200);
    assert_eq!(given.headers["x-request-id"], "trace-42.a:b");
    let made = app.get("/api/services").await.expect(200);
    let other = app.get("/api/nothing").await.expect(404);
    let (a, b) = (made.headers["x-request-id"].to_str().unwrap(), other.headers["x-request-id"].to_str().unwrap());
    assert!(a.len() == 16 && a.bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
    assert_ne!(a, b);
    let forged = app.send("GET", "/api/services", &[("x-request-id", "x\" injected=\"1")], None).await.expect(200);
    assert_eq!(forged.headers["x-request-id"].len(), 16, "an id that could forge log fields is replaced");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_report_the_catalog() {
    let app = spawn_app().await;
    let id = app.get("/api/providers?limit=1").await.expect(200).features()[0]["id"].as_str().unwrap().to_owned();
    app.get(&format!("/api/providers/{id}")).await.expect(200);
    app.get("/api/providers/no-such-id").await.expect(404);
    let reply = app.get("/metrics").await.expect(200);
    assert!(reply.content_type.starts_with("application/openmetrics-text"), "{}", reply.content_type);
    let text = reply.text();
    assert!(
        text.contains(r#"caremap_http_requests_total{method="GET",route="/api/providers/{id}",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"caremap_http_requests_total{method="GET",route="/api/providers/{id}",status="404"} 1"#));
    assert!(!text.contains(&id), "ids never become label values");
    assert!(
        text.contains(
            r#"caremap_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/api/providers"}"#
        ) || text.contains(
            r#"caremap_http_request_duration_seconds_bucket{method="GET",route="/api/providers",le="0.001"}"#
        ),
        "{text}"
    );
    assert!(text.contains("caremap_providers_loaded 368"), "{text}");
    assert!(text.contains("caremap_last_import_timestamp_seconds 0"), "no import yet: {text}");
    let started: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("process_start_time_seconds "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(started > 1.7e9, "{started}");
    assert!(text.ends_with("# EOF\n"));
}

#[tokio::test]
async fn metrics_report_the_last_import_time_kept_in_the_database() {
    let app = spawn_app_with(|c| {
        SqliteStore::open(&c.db).unwrap().set_meta(LAST_IMPORT_META, "2026-11-01T09:00:00Z").unwrap();
    })
    .await;
    let text = app.get("/metrics").await.expect(200).text();
    assert!(text.contains("caremap_last_import_timestamp_seconds 1793523600"), "{text}");
}

async fn last_import_gauge(app: &TestApp) -> f64 {
    let text = app.get("/metrics").await.expect(200).text();
    text.lines()
        .find_map(|l| l.strip_prefix("caremap_last_import_timestamp_seconds "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no last import gauge: {text}"))
}

async fn import(app: &TestApp, auth: &str, dry_run: bool, file: Vec<u8>) -> Reply {
    let path = format!("/api/admin/imports?source=mhlw-care&dry_run={dry_run}");
    app.post_files(&path, &[("authorization", auth)], &[("jigyosho_110.csv", file)]).await
}

fn stored_last_import(app: &TestApp) -> Option<String> {
    SqliteStore::open(&app.db).unwrap().meta(LAST_IMPORT_META).unwrap()
}

#[tokio::test]
async fn a_committed_import_sets_the_last_import_time_and_a_dry_run_or_a_refused_file_does_not() {
    // Whole seconds: the store keeps the time without fractions.
    let started = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as f64;
    let app = spawn_app().await;
    let auth = format!("Bearer {}", app.add_user("tanaka", Role::Editor));
    let file = mhlw_csv(&[Office::new("1270000001", "さくら")], Enc::Utf8Bom, true);
    let import = |dry_run: bool, file: Vec<u8>| import(&app, &auth, dry_run, file);

    let dry = import(true, file.clone()).await.expect(200).json();
    assert!(dry.get("imported_at").is_none(), "{dry}");
    let bad = encode(&csv_text(&["事業所番号", "名前"], &[vec!["1".into(), "x".into()]], true), Enc::Utf8Bom);
    import(false, bad).await.expect_problem(422, "file");
    assert_eq!(last_import_gauge(&app).await, 0.0, "neither a dry run nor a refused file is an import");
    assert_eq!(stored_last_import(&app), None);

    let done = import(false, file.clone()).await.expect(200).json();
    let at = done["imported_at"].as_str().unwrap_or_else(|| panic!("{done}")).to_owned();
    let gauge = last_import_gauge(&app).await;
    assert!(gauge >= started, "{gauge} < {started}");
    let at_seconds = time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(gauge, at_seconds.unix_timestamp() as f64, "the gauge is the reported time");
    assert_eq!(stored_last_import(&app).as_deref(), Some(at.as_str()), "and the stored one");

    import(true, file).await.expect(200);
    assert_eq!(last_import_gauge(&app).await, gauge, "a later dry run leaves it");
    assert_eq!(stored_last_import(&app).as_deref(), Some(at.as_str()));
}

#[tokio::test]
async fn metrics_are_not_served_unless_asked_for() {
    let serve = caremap::app::cli::Cli::try_parse_from(["caremap", "serve"]).unwrap();
    let caremap::app::cli::Command::Serve(defaults) = serve.command else { panic!("not serve") };
    assert_eq!(defaults.metrics, MetricsExposure::Off, "the default");
    let app = spawn_app_with(|c| c.metrics = MetricsExposure::Off).await;
    let reply = app.get("/metrics").await.expect(404);
    assert!(!reply.text().contains("caremap_"), "{reply}");
}

#[tokio::test]
async fn metrics_on_a_listener_of_their_own_are_not_on_the_public_one() {
    let app = spawn_app_with(|c| c.metrics = MetricsExposure::Listen("127.0.0.1:0".into())).await;
    app.get("/api/providers?limit=1").await.expect(200);
    app.get("/metrics").await.expect(404);
    let metrics_addr = app.metrics_addr.expect("a metrics listener");
    assert_ne!(metrics_addr, app.addr);
    let reply = app.client.get(format!("http://{metrics_addr}/metrics")).send().await.unwrap();
    assert_eq!(reply.status(), 200);
    let text = reply.text().await.unwrap();
    assert!(text.contains(r#"route="/api/providers",status="200"} 1"#), "counts the public listener: {text}");
    let other = app.client.get(format!("http://{metrics_addr}/api/providers")).send().await.unwrap();
    assert_eq!(other.status(), 404, "only /metrics is served there");
}
