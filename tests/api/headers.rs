//! Browser-facing headers: security headers on every response (page, API, errors), CORS on
//! the public read API only, HSTS only when asked for.

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/api/providers?limit=1", "/api/providers/nearest?lat=x", "/api/nothing", "/ogc"] {
        let reply = app.get(path).await;
        let h = &reply.headers;
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(h["permissions-policy"].to_str().unwrap().contains("geolocation=(self)"), "{path}");
        assert!(h.get("strict-transport-security").is_none(), "{path}: HSTS only with --hsts");
    }
}

#[tokio::test]
async fn hsts_is_sent_when_asked_for() {
    let app = spawn_app_with(|c| c.hsts = true).await;
    let reply = app.get("/api/about").await.expect(200);
    assert_eq!(reply.headers["strict-transport-security"], "max-age=31536000");
}

#[tokio::test]
async fn public_reads_may_be_made_from_any_origin_by_default() {
    let app = spawn_app().await;
    let origin = [("origin", "https://other.example")];
    for path in ["/api/providers?limit=1", "/api/districts", "/api/services", "/api/about", "/ogc/collections"] {
        let reply = app.send("GET", path, &origin, None).await.expect(200);
        assert_eq!(reply.headers["access-control-allow-origin"], "*", "{path}");
    }
    let preflight = app
        .send(
            "OPTIONS",
            "/api/providers/search",
            &[
                ("origin", "https://other.example"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type"),
            ],
            None,
        )
        .await
        .expect(200);
    assert_eq!(preflight.headers["access-control-allow-origin"], "*");
    assert!(preflight.headers["access-control-allow-methods"].to_str().unwrap().contains("POST"));
}

#[tokio::test]
async fn the_staff_api_never_answers_cross_origin_requests() {
    let app = spawn_app().await;
    let token = app.add_user("cors", caremap::access::Role::Admin);
    let preflight = app
        .send(
            "OPTIONS",
            "/api/admin/providers",
            &[
                ("origin", "https://other.example"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "authorization, content-type"),
            ],
            None,
        )
        .await;
    assert!(preflight.status.is_client_error(), "{preflight}");
    assert!(preflight.headers.keys().all(|k| !k.as_str().starts_with("access-control-")), "{preflight}");
    let bearer = format!("Bearer {token}");
    let get = app
        .send("GET", "/api/admin/me", &[("origin", "https://other.example"), ("authorization", &bearer)], None)
        .await
        .expect(200);
    assert!(get.headers.get("access-control-allow-origin").is_none(), "{get}");
}

#[tokio::test]
async fn a_configured_origin_list_allows_only_those_origins() {
    let app =
        spawn_app_with(|c| c.cors_origins = caremap::http::CorsOrigins::parse("https://city.example").unwrap()).await;
    let allowed = app.send("GET", "/api/services", &[("origin", "https://city.example")], None).await.expect(200);
    assert_eq!(allowed.headers["access-control-allow-origin"], "https://city.example");
    let other = app.send("GET", "/api/services", &[("origin", "https://evil.example")], None).await.expect(200);
    assert!(other.headers.get("access-control-allow-origin").is_none(), "{other}");
}

#[tokio::test]
async fn cors_can_be_switched_off() {
    let app = spawn_app_with(|c| c.cors_origins = caremap::http::CorsOrigins::None).await;
    let reply = app.send("GET", "/api/services", &[("origin", "https://city.example")], None).await.expect(200);
    assert!(reply.headers.get("access-control-allow-origin").is_none(), "{reply}");
}
