//! Staff sign-in: 401 without or with a bad token, 403 for a role that may not, 429 after
//! repeated failures from one client.

use caremap::auth::Role;

use crate::helpers::spawn_app;

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
    let (other, _) = caremap::auth::generate_token().unwrap();
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
    assert_eq!(me.json(), serde_json::json!({"name": "山田 太郎", "role": "editor"}));
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

#[tokio::test]
async fn repeated_wrong_tokens_from_one_client_are_refused_with_429_until_the_window_passes() {
    let app = spawn_app().await;
    let good = app.add_user("yamada", Role::Editor);
    for _ in 0..5 {
        let (wrong, _) = caremap::auth::generate_token().unwrap();
        app.send("GET", "/api/admin/me", &[("authorization", &bearer(&wrong))], None).await.expect(401);
    }
    let (wrong, _) = caremap::auth::generate_token().unwrap();
    let limited = app.send("GET", "/api/admin/me", &[("authorization", &bearer(&wrong))], None).await;
    let retry_after: u64 = limited.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    limited.expect_problem(429, "try again");
    // Even the right token waits: answering it would let a guesser tell right from wrong.
    app.send("GET", "/api/admin/me", &[("authorization", &bearer(&good))], None).await.expect(429);
    // The public API is not affected.
    app.get("/api/providers?limit=1").await.expect(200);
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
