//! The OpenAPI 3.0 class: the API definition in JSON and HTML, and that it declares exactly
//! the parameters the server accepts.

use super::*;

// ---- OpenAPI 3.0 ------------------------------------------------------------------------------

#[tokio::test]
async fn the_api_definition_is_openapi_3_with_limit_default_100_and_maximum_10000() {
    let app = spawn_app().await;
    let doc = app.get("/ogc/api").await.expect(200).json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.0."), "{}", doc["openapi"]);
    assert_eq!(doc["servers"][0]["url"], app.url("/ogc"));
    for path in [
        "/",
        "/conformance",
        "/api",
        "/collections",
        "/collections/{collectionId}",
        "/collections/{collectionId}/queryables",
    ] {
        assert!(doc["paths"][path]["get"]["responses"]["200"].is_object(), "{path}");
    }
    for c in COLLECTIONS {
        let path = format!("/collections/{c}/items");
        let limit = query_parameters(&doc, &path).into_iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!(
            (&limit["schema"]["default"], &limit["schema"]["maximum"], &limit["schema"]["minimum"]),
            (&Value::from(100), &Value::from(10_000), &Value::from(1)),
            "{path}"
        );
        let responses = &doc["paths"][&path]["get"]["responses"];
        for status in ["200", "400", "404", "500"] {
            assert!(responses[status].is_object(), "{path} declares {status}");
        }
        assert!(responses["200"]["content"]["application/geo+json"].is_object());
        assert!(doc["paths"][format!("/collections/{c}/items/{{featureId}}")]["get"].is_object());
    }
    let providers = query_parameters(&doc, "/collections/providers/items");
    let names: BTreeSet<&str> = providers.iter().map(|p| p["name"].as_str().unwrap()).collect();
    for extension in ["near", "k", "q"] {
        assert!(names.contains(extension), "the {extension} extension is declared: {names:?}");
    }
}

#[tokio::test]
async fn the_api_definition_has_an_html_version() {
    let app = spawn_app().await;
    let reply = app.get("/ogc/api?f=html").await.expect(200);
    assert!(reply.content_type.starts_with("text/html"));
    let text = reply.text();
    assert!(text.contains("/collections/providers/items") && text.contains("bbox-crs"), "{text}");
}

/// The example of a declared parameter as a query-string value.
fn example_value(p: &Value) -> String {
    match &p["example"] {
        Value::Array(items) => {
            items.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect::<Vec<_>>().join(",")
        }
        Value::String(s) => s.clone(),
        Value::Null => panic!("parameter {} has no example", p["name"]),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn every_declared_items_parameter_is_accepted_and_undeclared_ones_are_refused() {
    let app = spawn_app().await;
    let doc = app.get("/ogc/api").await.expect(200).json();
    for c in COLLECTIONS {
        let params = query_parameters(&doc, &format!("/collections/{c}/items"));
        for p in &params {
            let name = p["name"].as_str().unwrap();
            let mut query = format!("{name}={}", urlencode(&example_value(p)));
            if name == "bbox-crs" {
                query.push_str("&bbox=139.8,35.8,140,36");
            }
            if name == "k" {
                query.push_str("&near=139.9,35.85");
            }
            if name == "filter-lang" || name == "filter-crs" {
                query.push_str("&filter=TRUE");
            }
            app.get(&format!("/ogc/collections/{c}/items?{query}")).await.expect(200);
        }
        let declared: BTreeSet<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
        for candidate in ["datetime", "near", "kind", "service", "colour", "limits", "filter", "sortby"] {
            if !declared.contains(candidate) {
                let value = if candidate == "near" { "139.9,35.85" } else { "1" };
                app.get(&format!("/ogc/collections/{c}/items?{candidate}={value}"))
                    .await
                    .expect_problem(400, candidate);
            }
        }
    }
}
