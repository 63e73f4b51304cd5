//! The API description (`/api/openapi`) checked against the router both ways: every documented
//! operation answers (not "this API path not found", not 405), and every `/api` route the
//! source registers with `.route(…)` is documented with its methods.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::support::app::spawn_app;
use crate::support::repo_path;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// Whether `path` belongs to the description (the OGC API has its own at /ogc/api).
fn described(path: &str) -> bool {
    (path.starts_with("/api/") || path == "/healthz" || path == "/readyz") && !path.contains('*')
}

/// `(method, path)` of every `.route("path", methods…)` in the Rust files under `dir`.
fn routed(dir: &Path, out: &mut BTreeSet<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            routed(&path, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let src = std::fs::read_to_string(&path).unwrap();
        for (at, _) in src.match_indices(".route(\"") {
            let rest = &src[at + ".route(\"".len()..];
            let Some(end) = rest.find('"') else { continue };
            let route = &rest[..end];
            // The method router: up to the parenthesis that closes `.route(`.
            let (mut depth, mut close) = (1, rest.len());
            for (i, c) in rest.char_indices().skip(end) {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    close = i;
                    break;
                }
            }
            let methods = &rest[end..close];
            for m in METHODS {
                let called = methods
                    .match_indices(&format!("{m}("))
                    .any(|(i, _)| !methods[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'));
                if called && described(route) {
                    out.insert((m.to_owned(), route.to_owned()));
                }
            }
        }
    }
}

#[tokio::test]
async fn the_description_lists_exactly_the_routed_api_operations() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi").await.expect(200).json();
    assert_eq!(doc["openapi"], "3.0.3");
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |m| (m.clone(), path.clone())))
        .collect();
    let mut in_source = BTreeSet::new();
    routed(&repo_path("src/http"), &mut in_source);
    assert!(in_source.len() > 20, "the scan finds the routes: {in_source:?}");
    let undocumented: Vec<_> = in_source.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&in_source).collect();
    assert!(undocumented.is_empty(), "routed but not in /api/openapi: {undocumented:?}");
    assert!(unrouted.is_empty(), "in /api/openapi but not routed: {unrouted:?}");
}

#[tokio::test]
async fn every_documented_operation_is_answered_by_a_route() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi").await.expect(200).json();
    let refs = &doc["components"]["parameters"];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let concrete = path.replace("{id}", "no-such-id");
            let reply = app.send(&method.to_uppercase(), &concrete, &[], None).await;
            assert_ne!(reply.status.as_u16(), 405, "{method} {path}: {reply}");
            assert!(!reply.text().contains("this API path"), "{method} {path}: {reply}");
            // Every parameter reference resolves, with a schema.
            for p in op["parameters"].as_array().unwrap() {
                let name = p["$ref"].as_str().unwrap().trim_start_matches("#/components/parameters/");
                assert!(refs[name]["schema"].is_object(), "{method} {path}: parameter {name}");
            }
        }
    }
    let staff = &doc["paths"]["/api/admin/providers/{id}"]["put"];
    assert_eq!(staff["security"], serde_json::json!([{ "bearer": [] }]));
    let sortby: Vec<&Value> = doc["paths"]["/api/providers"]["get"]["parameters"].as_array().unwrap().iter().collect();
    assert!(sortby.iter().any(|p| p["$ref"] == "#/components/parameters/sortby"), "sortby is declared");
}

#[tokio::test]
async fn the_description_has_a_readable_html_page() {
    let app = spawn_app().await;
    let reply = app.get("/api/openapi?f=html").await.expect(200);
    assert!(reply.content_type.starts_with("text/html"));
    let text = reply.text();
    for part in ["PUT /api/admin/providers/{id}", "GET /api/providers/nearest", "If-Match", "sortby"] {
        assert!(text.contains(part), "{part} on the page");
    }
}
