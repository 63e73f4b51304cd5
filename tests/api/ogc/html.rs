//! The HTML pages of the OGC API: a browser's `Accept: text/html` gets them, JSON stays the
//! default for clients that ask for JSON, send `*/*` or no `Accept`, and for `f=json`.

use super::*;

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
const PAGES: [&str; 8] = [
    "/ogc",
    "/ogc/conformance",
    "/ogc/collections",
    "/ogc/collections/care",
    "/ogc/collections/care/items?limit=3",
    "/ogc/collections/districts/items/north",
    "/ogc/collections/community-centers/items",
    "/ogc/collections/care/queryables",
];

#[tokio::test]
async fn a_browser_gets_every_ogc_resource_as_a_japanese_html_page_with_a_main_landmark() {
    let app = spawn_app().await;
    for path in PAGES.into_iter().chain(["/ogc/api"]) {
        let reply = app.send("GET", path, &[("accept", BROWSER)], None).await.expect(200);
        assert!(reply.content_type.starts_with("text/html"), "{path}: {reply}");
        let html = reply.text();
        assert!(html.starts_with("<!doctype html>") && html.contains("<html lang=\"ja\">"), "{path}: {html}");
        assert!(html.contains("<main") && html.contains("<h1>"), "{path}: {html}");
        assert!(html.contains("/css/tokens.css"), "{path}: not in the map page's look: {html}");
        let vary: Vec<_> = reply.headers.get_all("vary").iter().map(|v| v.to_str().unwrap().to_lowercase()).collect();
        assert!(vary.iter().any(|v| v.split(',').any(|h| h.trim() == "accept")), "{path}: {reply}");
    }
}

#[tokio::test]
async fn json_stays_the_default_without_accept_with_any_type_and_for_json_clients() {
    let app = spawn_app().await;
    for path in PAGES {
        for accept in [None, Some("*/*"), Some("application/json"), Some("application/geo+json, text/html;q=0.5")] {
            let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
            let reply = app.send("GET", path, &headers, None).await.expect(200);
            assert!(reply.content_type.contains("json"), "{path} with Accept {accept:?}: {reply}");
            let _ = reply.json();
        }
    }
}

#[tokio::test]
async fn f_json_beats_a_browsers_accept_and_f_html_still_works() {
    let app = spawn_app().await;
    let reply = app.send("GET", "/ogc/collections/care/items?limit=2&f=json", &[("accept", BROWSER)], None).await;
    let reply = reply.expect(200);
    assert_eq!(reply.content_type, "application/geo+json", "{reply}");
    assert_eq!(reply.features().len(), 2);
    let reply = app.send("GET", "/ogc/collections?f=html", &[("accept", "application/json")], None).await;
    assert!(reply.expect(200).content_type.starts_with("text/html"));
}

#[tokio::test]
async fn the_items_page_shows_japanese_kinds_a_table_and_a_link_to_the_map() {
    let app = spawn_app().await;
    let html =
        app.send("GET", "/ogc/collections/care/items?limit=5", &[("accept", BROWSER)], None).await.expect(200).text();
    assert!(html.contains("<h1>介護事業所 – 地物</h1>"), "{html}");
    assert!(html.contains("<td>介護事業所</td>") && !html.contains("<td>care</td>"), "{html}");
    assert!(html.contains("<table") && html.contains("<th scope=\"col\">名称</th>"), "{html}");
    assert!(html.contains("<a href=\"/\">地図で見る"), "{html}");
    // Its JSON links ask for JSON explicitly, so a browser following them gets JSON.
    assert!(html.contains("f=json"), "{html}");
    assert!(!html.contains("<script"), "{html}");
}

#[tokio::test]
async fn links_on_an_html_page_to_json_resources_give_json_in_a_browser() {
    let app = spawn_app().await;
    let html = app.send("GET", "/ogc", &[("accept", BROWSER)], None).await.expect(200).text();
    let conformance = app.url("/ogc/conformance?f=json");
    assert!(html.contains(&format!("href=\"{conformance}\"")), "{html}");
    let reply = app.send("GET", "/ogc/conformance?f=json", &[("accept", BROWSER)], None).await.expect(200);
    assert_eq!(reply.json()["conformsTo"].as_array().map(Vec::len), Some(20));
}
