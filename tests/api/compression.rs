//! Responses are compressed (gzip or brotli) for clients that accept it: the GeoJSON lists,
//! the page and its scripts; and left alone for clients that do not.

use crate::support::app::spawn_app;

#[tokio::test]
async fn geojson_lists_the_page_and_its_scripts_are_compressed_when_the_client_accepts_it() {
    let app = spawn_app().await;
    let plain = app.get("/api/providers?limit=1000").await.expect(200);
    assert!(!plain.headers.contains_key("content-encoding"), "{plain}");
    for encoding in ["gzip", "br"] {
        for path in ["/api/providers?limit=1000", "/", "/app.js", "/node_modules/leaflet/dist/leaflet.js"] {
            let reply = app.send("GET", path, &[("accept-encoding", encoding)], None).await.expect(200);
            assert_eq!(reply.headers["content-encoding"], encoding, "{path}");
            let vary: Vec<_> =
                reply.headers.get_all("vary").iter().map(|v| v.to_str().unwrap().to_lowercase()).collect();
            assert!(vary.iter().any(|v| v.contains("accept-encoding")), "{path}: {vary:?}");
        }
        let list = app.send("GET", "/api/providers?limit=1000", &[("accept-encoding", encoding)], None).await;
        assert!(
            list.body.len() * 4 < plain.body.len(),
            "{encoding}: {} of {} bytes",
            list.body.len(),
            plain.body.len()
        );
    }
}
