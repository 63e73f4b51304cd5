//! Issue 16: providers keep their own 空き状況. Provider accounts (issued by staff, bound to
//! provider ids), `PATCH …/vacancy` with If-Match, what a provider token may not do (403
//! naming it), freshness in the public API (`accepting_stale`, the `accepting` states and
//! list), the reminder list for staff, metrics and the CSV.

use caremap::access::Role;
use serde_json::{Value, json};

use crate::support::app::{Reply, TestApp, spawn_app, spawn_app_with};

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A server with an editor and a provider account bound to the first sample provider.
struct Setup {
    app: TestApp,
    editor: String,
    provider: String,
    own: String,
    other: String,
}

async fn issue(app: &TestApp, editor: &str, name: &str, providers: &[&str]) -> Reply {
    app.send(
        "POST",
        "/api/admin/provider-accounts",
        &[("authorization", editor)],
        Some(&json!({ "name": name, "providers": providers })),
    )
    .await
}

async fn setup_with(app: TestApp) -> Setup {
    let editor = bearer(&app.add_user("yamada", Role::Editor));
    let ids = crate::support::app::ids(&app.all_providers().await);
    let (own, other) = (ids[0].clone(), ids[1].clone());
    let created = issue(&app, &editor, "さくら訪問看護", &[&own]).await.expect(201).json();
    let provider = bearer(created["token"].as_str().unwrap());
    Setup { app, editor, provider, own, other }
}

async fn setup() -> Setup {
    setup_with(spawn_app().await).await
}

impl Setup {
    async fn get_admin(&self, auth: &str, id: &str) -> Reply {
        self.app.send("GET", &format!("/api/admin/providers/{id}"), &[("authorization", auth)], None).await
    }

    async fn patch(&self, auth: &str, id: &str, etag: Option<&str>, body: &Value) -> Reply {
        let mut headers = vec![("authorization", auth)];
        if let Some(etag) = etag {
            headers.push(("if-match", etag));
        }
        self.app.send("PATCH", &format!("/api/admin/providers/{id}/vacancy"), &headers, Some(body)).await
    }

    async fn put(&self, id: &str, etag: &str, feature: &Value) -> Reply {
        let headers = [("authorization", self.editor.as_str()), ("if-match", etag)];
        self.app.send("PUT", &format!("/api/admin/providers/{id}"), &headers, Some(feature)).await
    }

    async fn etag(&self, id: &str) -> String {
        self.get_admin(&self.editor, id).await.expect(200).etag()
    }

    async fn history(&self, id: &str) -> Vec<Value> {
        let h = self
            .app
            .send("GET", &format!("/api/admin/providers/{id}/history"), &[("authorization", &self.editor)], None)
            .await
            .expect(200)
            .json();
        h["versions"].as_array().unwrap().clone()
    }
}

fn today_jst() -> String {
    let now = time::OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap());
    now.date().to_string()
}

#[tokio::test]
async fn an_issued_provider_account_answers_201_with_its_token_once_and_me_lists_its_providers() {
    let app = spawn_app().await;
    let editor = bearer(&app.add_user("yamada", Role::Editor));
    let ids = crate::support::app::ids(&app.all_providers().await);
    let reply = issue(&app, &editor, "さくら", &[&ids[0], &ids[1]]).await.expect(201);
    let created = reply.json();
    assert_eq!(created["role"], "provider");
    assert_eq!(created["providers"][1]["id"], ids[1].as_str());
    assert!(created["providers"][0]["name"].is_string(), "{created}");
    assert!(created["token"].as_str().unwrap().starts_with("cmk_"));
    assert_eq!(created["sign_in_url"], app.url("/provider.html"));
    let token = created["token"].as_str().unwrap();

    let me = app.send("GET", "/api/admin/me", &[("authorization", &bearer(token))], None).await.expect(200).json();
    assert_eq!((me["name"].as_str(), me["role"].as_str()), (Some("さくら"), Some("provider")));
    assert_eq!(me["providers"].as_array().unwrap().len(), 2);
    let staff_me = app.send("GET", "/api/admin/me", &[("authorization", &editor)], None).await.expect(200).json();
    assert_eq!(staff_me["providers"], json!([]), "present, empty for staff");

    let list =
        app.send("GET", "/api/admin/provider-accounts", &[("authorization", &editor)], None).await.expect(200).text();
    assert!(list.contains("さくら") && !list.contains(&token[4..]), "the token is shown only once: {list}");
}

#[tokio::test]
async fn issuing_refuses_a_taken_name_409_and_unknown_or_no_providers_or_a_bad_name_422() {
    let s = setup().await;
    issue(&s.app, &s.editor, "さくら訪問看護", &[&s.own]).await.expect_problem(409, "さくら訪問看護");
    issue(&s.app, &s.editor, "yamada", &[&s.own]).await.expect(409);
    let body = issue(&s.app, &s.editor, "ほか", &["no-such-provider"]).await.expect_problem(422, "providers");
    assert!(body["invalid_params"][0]["reason"].as_str().unwrap().contains("no-such-provider"), "{body}");
    issue(&s.app, &s.editor, "ほか", &[]).await.expect_problem(422, "providers");
    issue(&s.app, &s.editor, " ", &[&s.own]).await.expect_problem(422, "name");
    let accounts = s
        .app
        .send("GET", "/api/admin/provider-accounts", &[("authorization", &s.editor)], None)
        .await
        .expect(200)
        .json();
    assert_eq!(accounts["accounts"].as_array().unwrap().len(), 1, "nothing was created: {accounts}");
}

#[tokio::test]
async fn a_provider_sets_its_vacancy_and_the_public_api_shows_it_fresh_with_today_s_date() {
    let s = setup().await;
    let etag = s.get_admin(&s.provider, &s.own).await.expect(200).etag();
    let body = json!({ "accepting": "consult", "accepting_note": "火・木の午後なら可", "accepting_places": 2 });
    let reply = s.patch(&s.provider, &s.own, Some(&etag), &body).await.expect(200);
    assert_ne!(reply.etag(), etag);
    let p = &reply.json()["properties"];
    assert_eq!(p["accepting"], "consult");
    assert_eq!(p["accepting_note"], "火・木の午後なら可");
    assert_eq!(p["accepting_places"], 2);
    assert_eq!(p["accepting_updated_at"], today_jst().as_str());
    assert_eq!(p["accepting_stale"], false);
    assert_eq!(p["updated_by"], "さくら訪問看護");
    assert_eq!(p["accepting_checked_at"], p["updated_at"]);

    let public = s.app.get(&format!("/api/providers/{}", s.own)).await.expect(200).json();
    assert_eq!(public["properties"]["accepting"], "consult");
    assert_eq!(public["properties"]["accepting_stale"], false);
    assert!(public["properties"].get("updated_by").is_none());

    let history = s.history(&s.own).await;
    assert_eq!(
        (history[0]["action"].as_str(), history[0]["changed_by"].as_str()),
        (Some("vacancy"), Some("さくら訪問看護"))
    );
    let since = format!("/api/admin/audit?since={}", p["updated_at"].as_str().unwrap());
    let audit = s.app.send("GET", &since, &[("authorization", &s.editor)], None).await.expect(200).json();
    let last = audit["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["action"].as_str(), last["changed_by"].as_str()), (Some("vacancy"), Some("さくら訪問看護")));
}

#[tokio::test]
async fn an_empty_body_confirms_nothing_changed_as_a_new_version_that_moves_only_the_check_time() {
    let s = setup().await;
    let etag = s.etag(&s.own).await;
    let set = s.patch(&s.provider, &s.own, Some(&etag), &json!({ "accepting": "yes" })).await.expect(200);
    let before = set.json()["properties"].clone();
    let confirmed = s.patch(&s.provider, &s.own, Some(&set.etag()), &json!({})).await.expect(200).json();
    let after = &confirmed["properties"];
    assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1);
    assert_eq!(after["accepting"], "yes");
    assert!(after["accepting_checked_at"].as_str() >= before["accepting_checked_at"].as_str());
    let history = s.history(&s.own).await;
    assert_eq!(history[0]["action"], "vacancy-confirm");
    assert_eq!(history[1]["action"], "vacancy");
}

#[tokio::test]
async fn a_vacancy_write_needs_if_match_428_and_a_stale_version_is_412() {
    let s = setup().await;
    s.patch(&s.provider, &s.own, None, &json!({ "accepting": "yes" })).await.expect_problem(428, "If-Match");
    let etag = s.etag(&s.own).await;
    s.patch(&s.provider, &s.own, Some(&etag), &json!({ "accepting": "yes" })).await.expect(200);
    let stale = s.patch(&s.provider, &s.own, Some(&etag), &json!({ "accepting": "no" })).await.expect(412).json();
    assert_eq!(stale["current"]["properties"]["accepting"], "yes");
}

#[tokio::test]
async fn bad_vacancy_values_are_422_naming_each_field_and_an_unknown_provider_404() {
    let s = setup().await;
    let etag = s.etag(&s.own).await;
    let body = json!({ "accepting": "maybe", "accepting_note": "あ".repeat(201), "accepting_places": 1000 });
    let problem = s.patch(&s.editor, &s.own, Some(&etag), &body).await.expect_problem(422, "accepting");
    let names: Vec<&str> =
        problem["invalid_params"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["accepting", "accepting_note", "accepting_places"]);
    s.patch(&s.editor, &s.own, Some(&etag), &json!({ "name": "x" })).await.expect_problem(422, "name");
    s.patch(&s.editor, "no-such-provider", Some("\"1\""), &json!({})).await.expect(404);
    s.patch("", &s.own, Some(&etag), &json!({})).await.expect(401);
    let old_booleans = s.patch(&s.editor, &s.own, Some(&etag), &json!({ "accepting": false })).await.expect(200);
    assert_eq!(old_booleans.json()["properties"]["accepting"], "no");
}

/// Asserts a 403 problem whose `forbidden` member names `what`.
fn assert_forbidden(reply: Reply, what: &str) {
    let body = reply.expect_problem(403, what);
    let forbidden: Vec<&str> = body["forbidden"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(forbidden.iter().any(|f| f.contains(what)), "{what} not in {body}");
    assert!(body["detail"].as_str().unwrap().contains("空き状況"), "{body}");
}

#[tokio::test]
async fn a_provider_token_may_not_touch_another_provider_or_fields_outside_the_vacancy() {
    let s = setup().await;
    let other_etag = s.etag(&s.other).await;
    assert_forbidden(s.get_admin(&s.provider, &s.other).await, &s.other);
    assert_forbidden(s.patch(&s.provider, &s.other, Some(&other_etag), &json!({ "accepting": "yes" })).await, &s.other);
    let own_etag = s.etag(&s.own).await;
    let reply = s.patch(&s.provider, &s.own, Some(&own_etag), &json!({ "name": "乗っ取り", "accepting": "yes" })).await;
    assert_forbidden(reply, "name");
    assert_eq!(s.etag(&s.own).await, own_etag, "nothing was written");
}

#[tokio::test]
async fn every_staff_action_is_forbidden_to_a_provider_token_naming_it() {
    let s = setup().await;
    let (own, auth) = (s.own.as_str(), s.provider.as_str());
    let etag = s.etag(own).await;
    let h = [("authorization", auth), ("if-match", etag.as_str())];
    let feature = s.get_admin(auth, own).await.expect(200).json();
    let cases: Vec<(&str, String, Option<Value>, &str)> = vec![
        ("PUT", format!("/api/admin/providers/{own}"), Some(feature.clone()), "update"),
        ("DELETE", format!("/api/admin/providers/{own}"), None, "delete"),
        ("POST", format!("/api/admin/providers/{own}/restore"), None, "restore"),
        ("POST", format!("/api/admin/providers/{own}/revert"), Some(json!({ "version": 1 })), "revert"),
        ("GET", format!("/api/admin/providers/{own}/history"), None, "history"),
        ("POST", "/api/admin/providers".into(), Some(feature), "create"),
        ("GET", "/api/admin/audit".into(), None, "audit"),
        ("GET", "/api/admin/changes".into(), None, "changes"),
        ("GET", "/api/admin/users".into(), None, "users"),
        ("GET", "/api/admin/provider-accounts".into(), None, "provider-accounts"),
        (
            "POST",
            "/api/admin/provider-accounts".into(),
            Some(json!({ "name": "x", "providers": [own] })),
            "provider-accounts",
        ),
        ("DELETE", "/api/admin/provider-accounts/さくら訪問看護".into(), None, "provider-accounts"),
        ("GET", "/api/admin/vacancy-reminders".into(), None, "vacancy-reminders"),
        ("POST", "/api/admin/imports?source=geojson&dry_run=true".into(), Some(json!({})), "imports"),
    ];
    for (method, path, body, what) in cases {
        let path = path.replace("さくら訪問看護", "%E3%81%95%E3%81%8F%E3%82%89%E8%A8%AA%E5%95%8F%E7%9C%8B%E8%AD%B7");
        assert_forbidden(s.app.send(method, &path, &h, body.as_ref()).await, what);
    }
    assert_eq!(s.etag(own).await, etag, "nothing was written");
}

#[tokio::test]
async fn a_revoked_provider_account_is_refused_401_and_only_provider_accounts_are_revoked_here() {
    let s = setup().await;
    s.app.send("GET", "/api/admin/me", &[("authorization", &s.provider)], None).await.expect(200);
    let path = "/api/admin/provider-accounts/%E3%81%95%E3%81%8F%E3%82%89%E8%A8%AA%E5%95%8F%E7%9C%8B%E8%AD%B7";
    s.app.send("DELETE", path, &[("authorization", &s.editor)], None).await.expect(204);
    s.app.send("GET", "/api/admin/me", &[("authorization", &s.provider)], None).await.expect_problem(401, "token");
    s.app
        .send("DELETE", "/api/admin/provider-accounts/yamada", &[("authorization", &s.editor)], None)
        .await
        .expect(404);
    s.app
        .send("DELETE", "/api/admin/provider-accounts/nobody", &[("authorization", &s.editor)], None)
        .await
        .expect(404);
    s.app.send("GET", "/api/admin/me", &[("authorization", &s.editor)], None).await.expect(200);
    let accounts = s
        .app
        .send("GET", "/api/admin/provider-accounts", &[("authorization", &s.editor)], None)
        .await
        .expect(200)
        .json();
    assert!(accounts["accounts"][0]["revoked_at"].is_string(), "{accounts}");
}

#[tokio::test]
async fn wrong_tokens_on_the_provider_endpoints_meet_the_failure_limiter() {
    let s = setup().await;
    let wrong = bearer(&format!("cmk_{}", "0".repeat(64)));
    let etag = s.etag(&s.own).await;
    for _ in 0..5 {
        s.patch(&wrong, &s.own, Some(&etag), &json!({})).await.expect(401);
    }
    s.patch(&wrong, &s.own, Some(&etag), &json!({})).await.expect_problem(429, "try again");
    s.patch(&s.provider, &s.own, Some(&etag), &json!({})).await.expect(200);
}

#[tokio::test]
async fn accepting_filters_take_the_three_states_the_old_booleans_and_staleness() {
    let s = setup().await;
    let all = s.app.all_providers().await;
    assert!(all.iter().all(|f| f["properties"]["accepting_stale"] == true), "the sample is never confirmed");
    let etag = s.etag(&s.own).await;
    s.patch(&s.provider, &s.own, Some(&etag), &json!({ "accepting": "yes" })).await.expect(200);
    let etag = s.etag(&s.other).await;
    s.patch(&s.editor, &s.other, Some(&etag), &json!({ "accepting": "consult" })).await.expect(200);

    let ids = |reply: Reply| crate::support::app::ids(&reply.expect(200).features());
    let fresh_yes = ids(s.app.get("/api/providers?accepting=yes&accepting_stale=false&limit=10000").await);
    assert_eq!(fresh_yes, std::slice::from_ref(&s.own));
    let fresh = ids(s.app.get("/api/providers?accepting=yes,consult&accepting_stale=false&limit=10000").await);
    assert_eq!(fresh.len(), 2, "{fresh:?}");
    let yes_true = ids(s.app.get("/api/providers?accepting=true&limit=10000").await);
    let yes = ids(s.app.get("/api/providers?accepting=yes&limit=10000").await);
    assert_eq!(yes_true, yes);
    assert!(yes.len() > 1 && yes.contains(&s.own), "sample data says 受入可 too");
    let no_false = ids(s.app.get("/api/providers?accepting=false&limit=10000").await);
    assert_eq!(no_false, ids(s.app.get("/api/providers?accepting=no&limit=10000").await));
    let stale = ids(s.app.get("/api/providers?accepting_stale=true&limit=10000").await);
    assert_eq!(stale.len(), all.len() - 2);
    let nearest = s.app.get("/api/providers/nearest?lon=139.9&lat=35.86&k=3&accepting=yes&accepting_stale=false").await;
    assert_eq!(ids(nearest), std::slice::from_ref(&s.own));

    s.app.get("/api/providers?accepting=maybe").await.expect_problem(400, "accepting");
    s.app.get("/api/providers?accepting_stale=perhaps").await.expect_problem(400, "accepting_stale");
    let ogc = s.app.get("/ogc/collections/providers/items?filter=accepting%20%3D%20TRUE&limit=1000").await;
    assert_eq!(ogc.expect(200).features().len(), yes.len(), "CQL accepting = TRUE still means yes");
    let fresh_cql = s.app.get("/ogc/collections/providers/items?filter=accepting_stale%20%3D%20FALSE").await;
    let mut fresh_cql = ids(fresh_cql);
    fresh_cql.sort();
    let mut both = vec![s.own.clone(), s.other.clone()];
    both.sort();
    assert_eq!(fresh_cql, both, "accepting_stale is a CQL2 queryable judged when asked");
    let stale_cql =
        s.app.get("/ogc/collections/providers/items?filter=NOT%20accepting_stale%20%3D%20FALSE&limit=1000").await;
    assert_eq!(ids(stale_cql).len(), all.len() - 2);
    let cql = s.app.get("/ogc/collections/providers/items?filter=accepting%3D%27consult%27").await;
    assert_eq!(ids(cql), std::slice::from_ref(&s.other));
}

#[tokio::test]
async fn the_staleness_rule_is_configurable_and_served_in_about() {
    let app = spawn_app_with(|c| c.stale_after_days = 7).await;
    let about = app.get("/api/about").await.expect(200).json();
    assert_eq!(about["stale_after_days"], 7);
    let default = spawn_app().await.get("/api/about").await.expect(200).json();
    assert_eq!(default["stale_after_days"], 30);
}

#[tokio::test]
async fn staff_changing_the_vacancy_with_put_stamps_the_check_time_and_other_edits_keep_it() {
    let s = setup().await;
    let got = s.get_admin(&s.editor, &s.other).await.expect(200);
    let mut feature = got.json();
    assert!(feature["properties"]["accepting_checked_at"].is_null());
    feature["properties"]["phone"] = json!("04-7150-9999");
    let edited = s.put(&s.other, &got.etag(), &feature).await.expect(200);
    assert!(edited.json()["properties"]["accepting_checked_at"].is_null(), "a phone edit is no confirmation");
    let mut feature = edited.json();
    feature["properties"]["accepting"] = json!("no");
    feature["properties"]["accepting_checked_at"] = json!("2000-01-01T00:00:00Z");
    let changed = s.put(&s.other, &edited.etag(), &feature).await.expect(200).json();
    let p = &changed["properties"];
    assert_eq!(p["accepting_checked_at"], p["updated_at"], "the server sets it, not the body");
    assert_eq!(p["accepting_stale"], false);
}

#[tokio::test]
async fn staff_see_whom_to_remind_never_confirmed_first_as_json_and_csv() {
    let s = setup().await;
    let etag = s.etag(&s.own).await;
    s.patch(&s.provider, &s.own, Some(&etag), &json!({ "accepting": "yes" })).await.expect(200);
    let h = [("authorization", s.editor.as_str())];
    let all = s.app.send("GET", "/api/admin/vacancy-reminders", &h, None).await.expect(200).json();
    assert_eq!(all["stale_after_days"], 30);
    let items = all["items"].as_array().unwrap();
    let last = items.last().unwrap();
    assert_eq!(last["id"], s.own.as_str(), "the confirmed one comes last");
    assert_eq!((last["stale"].as_bool(), last["days_since_check"].as_i64()), (Some(false), Some(0)));
    assert_eq!(last["accounts"], json!(["さくら訪問看護"]));
    assert!(items[0]["accepting_checked_at"].is_null() && items[0]["days_since_check"].is_null());
    let stale = s.app.send("GET", "/api/admin/vacancy-reminders?stale=true", &h, None).await.expect(200).json();
    assert_eq!(stale["items"].as_array().unwrap().len(), items.len() - 1);

    let csv = s.app.send("GET", "/api/admin/vacancy-reminders?f=csv", &h, None).await.expect(200);
    assert!(csv.content_type.starts_with("text/csv"), "{csv}");
    let text = csv.text();
    assert!(
        text.starts_with(
            "\u{feff}ID,名称,種別,電話番号,FAX番号,受入可否,受入確認日時,確認からの日数,要確認,事業所アカウント\r\n"
        ),
        "{text}"
    );
    assert!(text.contains("受入可") && text.contains("さくら訪問看護"), "{text}");
    s.app.send("GET", "/api/admin/vacancy-reminders?f=xml", &h, None).await.expect_problem(400, "f");
}

#[tokio::test]
async fn metrics_count_stale_and_never_confirmed_providers() {
    let s = setup().await;
    let total = s.app.all_providers().await.len();
    let etag = s.etag(&s.own).await;
    s.patch(&s.provider, &s.own, Some(&etag), &json!({})).await.expect(200);
    let text = s.app.get("/metrics").await.expect(200).text();
    assert!(text.contains(&format!("caremap_providers_vacancy_stale {}", total - 1)), "{text}");
    assert!(text.contains(&format!("caremap_providers_vacancy_never_confirmed {}", total - 1)), "{text}");
}

#[tokio::test]
async fn the_csv_carries_the_three_states_and_the_check_time_in_japan() {
    let s = setup().await;
    let etag = s.etag(&s.own).await;
    let p = s.patch(&s.provider, &s.own, Some(&etag), &json!({ "accepting": "consult", "accepting_places": 3 })).await;
    let checked_at = p.expect(200).json()["properties"]["accepting_checked_at"].as_str().unwrap().to_owned();
    let csv = s.app.get("/api/providers?f=csv&limit=10000").await.expect(200).text();
    let header: Vec<&str> = csv.lines().next().unwrap().trim_start_matches('\u{feff}').split(',').collect();
    for column in ["受入可否", "空き状況メモ", "空き人数", "受入確認日時", "受入確認日"] {
        assert!(header.contains(&column), "{column} missing: {header:?}");
    }
    let row = csv.lines().find(|l| l.starts_with(&format!("{},", s.own))).unwrap();
    let t = time::OffsetDateTime::parse(&checked_at, &time::format_description::well_known::Rfc3339).unwrap();
    let jst = t.to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap());
    let shown = format!("{} {:02}:{:02}", jst.date(), jst.hour(), jst.minute());
    assert!(row.contains(",要相談,,3,") && row.contains(&shown), "{row} lacks {shown}");
}

#[tokio::test]
async fn a_staff_put_that_leaves_out_the_note_and_places_keeps_what_the_office_set() {
    let s = setup().await;
    let etag = s.etag(&s.own).await;
    let body = json!({ "accepting": "consult", "accepting_note": "火・木の午後なら可", "accepting_places": 2 });
    let set = s.patch(&s.provider, &s.own, Some(&etag), &body).await.expect(200);
    let mut feature = set.json();
    let properties = feature["properties"].as_object_mut().unwrap();
    properties.remove("accepting_note");
    properties.remove("accepting_places");
    properties.insert("phone".into(), json!("04-7150-9999"));
    let put = s.put(&s.own, &set.etag(), &feature).await.expect(200).json();
    let p = &put["properties"];
    assert_eq!((p["accepting_note"].as_str(), p["accepting_places"].as_u64()), (Some("火・木の午後なら可"), Some(2)));
    assert_eq!(p["accepting_checked_at"], set.json()["properties"]["accepting_checked_at"], "no new confirmation");
    assert_eq!(p["phone"], "04-7150-9999");
}

#[tokio::test]
async fn every_field_outside_the_vacancy_is_forbidden_to_a_provider_token_by_name() {
    let s = setup().await;
    let etag = s.etag(&s.own).await;
    let fields = s.app.get("/api/fields").await.expect(200).json();
    let vacancy = ["accepting", "accepting_note", "accepting_places"];
    let mut refused = 0;
    let keys = fields.as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap());
    for key in keys.filter(|k| !vacancy.contains(k)) {
        let reply = s.patch(&s.provider, &s.own, Some(&etag), &json!({ key: null })).await;
        assert_forbidden(reply, key);
        refused += 1;
    }
    assert_eq!(refused, fields.as_array().unwrap().len() - vacancy.len(), "every other field, the geometry too");
    for key in ["id", "version", "updated_by", "deleted_at", "accepting_checked_at", "accepting_updated_at"] {
        assert_forbidden(s.patch(&s.provider, &s.own, Some(&etag), &json!({ key: "x" })).await, key);
    }
    assert_eq!(s.etag(&s.own).await, etag, "nothing was written");
}
