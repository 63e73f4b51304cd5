//! Staff sign-in: 401 without or with a bad or expired token, 403 for a role that may not,
//! 429 after repeated failures from one client (the peer, or the client a trusted proxy
//! names), and a valid token accepted whatever the failures.

use caremap::access::Role;
use caremap::store::{NewUser, SqliteStore, Store};

use crate::support::app::{Reply, TestApp, spawn_app, spawn_app_with};

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn admin_paths_without_a_token_answer_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    for (method, path) in [
        ("GET", "/api/admin/me"),
        ("POST", "/api/admin/providers"),
        ("PUT", "/api/admin/providers/x"),
        ("DELETE", "/api/admin/providers/x"),
        ("GET", "/api/admin/providers/x/history"),
        ("GET", "/api/admin/audit"),
    ] {
        let reply = app.send(method, path, &[], None).await;
        let challenge = reply.headers.get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
        reply.expect_problem(401, "token");
        assert!(challenge.is_some_and(|c| c.starts_with("Bearer")), "{method} {path}");
    }
}

#[tokio::test]
async fn a_wrong_or_malformed_token_answers_401_invalid_token() {
    let app = spawn_app().await;
    app.add_user("yamada", Role::Editor);
    let (other, _) = caremap::access::generate_token().unwrap();
    for auth in [bearer(&other), bearer("abc"), "Basic eWFtYWRhOnNlY3JldA==".into()] {
        let reply = app.send("GET", "/api/admin/me", &[("authorization", &auth)], None).await;
        let challenge = reply.headers["www-authenticate"].to_str().unwrap().to_owned();
        reply.expect_problem(401, "token");
        assert!(challenge.contains("invalid_token"), "{challenge}");
    }
}

#[tokio::test]
async fn a_valid_token_names_its_user_and_role() {
    let app = spawn_app().await;
    let token = app.add_user("山田 太郎", Role::Editor);
    let me = app.send("GET", "/api/admin/me", &[("authorization", &bearer(&token))], None).await.expect(200);
    assert_eq!(me.headers["cache-control"], "no-store");
    assert_eq!(me.json(), serde_json::json!({"name": "山田 太郎", "role": "editor", "providers": []}));
    let lower = format!("bearer {token}");
    app.send("GET", "/api/admin/me", &[("authorization", &lower)], None).await.expect(200);
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_once() {
    let app = spawn_app().await;
    let token = app.add_user("yamada", Role::Editor);
    app.send("GET", "/api/admin/me", &[("authorization", &bearer(&token))], None).await.expect(200);
    app.revoke_user("yamada");
    app.send("GET", "/api/admin/me", &[("authorization", &bearer(&token))], None).await.expect_problem(401, "token");
}

#[tokio::test]
async fn an_editor_may_not_list_users_and_an_admin_sees_them_without_hashes() {
    let app = spawn_app().await;
    let editor = app.add_user("yamada", Role::Editor);
    let admin = app.add_user("suzuki", Role::Admin);
    app.send("GET", "/api/admin/users", &[("authorization", &bearer(&editor))], None)
        .await
        .expect_problem(403, "admin");
    let users = app.send("GET", "/api/admin/users", &[("authorization", &bearer(&admin))], None).await.expect(200);
    let body = users.json();
    let names: Vec<_> = body["users"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["suzuki", "yamada"]);
    assert!(!users.text().contains("hash") && !users.text().contains(&editor[4..]), "{users}");
}

async fn me(app: &TestApp, token: &str, forwarded_for: Option<&str>) -> Reply {
    let auth = bearer(token);
    let mut headers = vec![("authorization", auth.as_str())];
    if let Some(xff) = forwarded_for {
        headers.push(("x-forwarded-for", xff));
    }
    app.send("GET", "/api/admin/me", &headers, None).await
}

fn wrong_token() -> String {
    caremap::access::generate_token().unwrap().0
}

#[tokio::test]
async fn repeated_wrong_tokens_from_one_client_are_refused_with_429_until_the_window_passes() {
    let app = spawn_app().await;
    for _ in 0..5 {
        me(&app, &wrong_token(), None).await.expect(401);
    }
    let limited = me(&app, &wrong_token(), None).await;
    let retry_after: u64 = limited.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    limited.expect_problem(429, "try again");
    // The public API is not affected.
    app.get("/api/providers?limit=1").await.expect(200);
}

#[tokio::test]
async fn a_valid_token_is_accepted_after_failures_from_the_same_address() {
    // Behind a reverse proxy every client shares one address: someone else's wrong tokens
    // must not lock the staff out.
    let app = spawn_app().await;
    let good = app.add_user("yamada", Role::Editor);
    for _ in 0..8 {
        let reply = me(&app, &wrong_token(), None).await;
        assert!([401, 429].contains(&reply.status.as_u16()), "{reply}");
    }
    me(&app, &wrong_token(), None).await.expect(429);
    let reply = me(&app, &good, None).await.expect(200);
    assert_eq!(reply.json()["name"], "yamada");
    // Still limited for wrong tokens: only success passes.
    me(&app, &wrong_token(), None).await.expect(429);
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_does_not_dodge_the_limiter() {
    let app = spawn_app().await;
    for i in 0..5 {
        me(&app, &wrong_token(), Some(&format!("203.0.113.{i}"))).await.expect(401);
    }
    me(&app, &wrong_token(), Some("198.51.100.77")).await.expect_problem(429, "try again");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_is_counted_on_its_own() {
    let app = spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()]).await;
    let good = app.add_user("yamada", Role::Editor);
    // What the client prepends is ignored: the proxy's right-most entry is the client.
    for i in 0..5 {
        me(&app, &wrong_token(), Some(&format!("10.9.9.{i}, 203.0.113.1"))).await.expect(401);
    }
    me(&app, &wrong_token(), Some("203.0.113.1")).await.expect(429);
    me(&app, &wrong_token(), Some("203.0.113.2")).await.expect(401);
    me(&app, &good, Some("203.0.113.1")).await.expect(200);
}

#[tokio::test]
async fn an_expired_token_answers_401_naming_the_expiry() {
    let app = spawn_app().await;
    let (token, hash) = caremap::access::generate_token().unwrap();
    let store = SqliteStore::open(&app.db).unwrap();
    let expired_at = "2026-01-01T00:00:00Z".to_owned();
    let new = NewUser {
        name: "yamada",
        role: Role::Editor,
        token_hash: &hash,
        expires_at: Some(expired_at),
        actor: "t",
        providers: &[],
    };
    store.create_user(&new).unwrap();
    let reply = me(&app, &token, None).await;
    let challenge = reply.headers["www-authenticate"].to_str().unwrap().to_owned();
    let body = reply.expect_problem(401, "token");
    assert!(body["detail"].as_str().unwrap().contains("expired at 2026-01-01T00:00:00Z"), "{body}");
    assert!(challenge.contains("invalid_token") && challenge.contains("expired"), "{challenge}");

    let (later, hash) = caremap::access::generate_token().unwrap();
    store.rotate_user("yamada", &hash, Some("2999-01-01T00:00:00Z".into()), "t").unwrap();
    me(&app, &later, None).await.expect(200);
    me(&app, &token, None).await.expect(401);
}

#[tokio::test]
async fn the_account_log_lists_who_added_rotated_and_revoked_whom_for_admins_only() {
    let app = spawn_app().await;
    let admin = app.add_user("suzuki", Role::Admin);
    app.add_user("yamada", Role::Editor);
    let store = SqliteStore::open(&app.db).unwrap();
    let (_, hash) = caremap::access::generate_token().unwrap();
    store.rotate_user("yamada", &hash, Some("2999-01-01T00:00:00Z".into()), "cli:root").unwrap();
    store.revoke_user_by("yamada", "cli:tanaka").unwrap();

    let path = "/api/admin/audit?log=accounts&limit=3";
    let first = app.send("GET", path, &[("authorization", &bearer(&admin))], None).await.expect(200).json();
    let entries = first["entries"].as_array().unwrap();
    let summary: Vec<_> = entries
        .iter()
        .map(|e| (e["user"].as_str().unwrap(), e["action"].as_str().unwrap(), e["changed_by"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [("suzuki", "user_add", "unknown"), ("yamada", "user_add", "unknown"), ("yamada", "user_rotate", "cli:root")]
    );
    assert_eq!(entries[2]["expires_at"], "2999-01-01T00:00:00Z");
    let next = first["next"].as_str().unwrap();
    assert!(next.contains("log=accounts"), "{next}");
    let rest = app.send("GET", next, &[("authorization", &bearer(&admin))], None).await.expect(200).json();
    assert_eq!(rest["entries"][0]["action"], "user_revoke");
    assert_eq!(rest["entries"][0]["changed_by"], "cli:tanaka");
    assert!(!rest.to_string().contains("hash"), "{rest}");

    let other = app.add_user("sato", Role::Editor);
    app.send("GET", path, &[("authorization", &bearer(&other))], None).await.expect_problem(403, "admin");
    app.send("GET", "/api/admin/audit?log=users", &[("authorization", &bearer(&admin))], None)
        .await
        .expect_problem(400, "log");
}

#[tokio::test]
async fn the_staff_page_is_served_under_the_same_content_security_policy() {
    let app = spawn_app().await;
    let reply = app.get("/staff.html").await.expect(200);
    let csp = reply.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(!reply.text().contains("<script>") && !reply.text().contains("style="), "no inline script or style");
    let redirect = app.client.get(app.url("/staff")).send().await.unwrap();
    assert_eq!(redirect.url().path(), "/staff.html");
}
