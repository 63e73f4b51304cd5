//! Address points and 地域包括支援センター imported on the running server
//! (`POST /api/admin/imports?source=isj-oaza|isj-gaiku|abr|community-centers`): a dry run
//! reports without writing, a commit is answered from at once (no restart), a bad file changes
//! nothing, and only admins may replace these layers.

use caremap::access::Role;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::app::{TestApp, lon_lat, read_response, spawn_app};
use crate::support::fixtures::Enc;
use crate::support::fixtures::address::*;

const IMPORTS: &str = "/api/admin/imports";

async fn admin(app: &TestApp) -> String {
    format!("Bearer {}", app.add_user("suzuki", Role::Admin))
}

fn query(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

/// The best candidate's `source`, level and position for `q`.
async fn best(app: &TestApp, q: &str) -> Option<(String, u64, (f64, f64))> {
    let reply = app.get(&format!("/api/geocode?q={}", query(q))).await.expect(200);
    reply.features().first().map(|f| {
        (f["properties"]["source"].as_str().unwrap().to_owned(), f["properties"]["level"].as_u64().unwrap(), lon_lat(f))
    })
}

async fn import(app: &TestApp, auth: &str, query: &str, files: &[(&str, Vec<u8>)]) -> Value {
    app.post_files(&format!("{IMPORTS}?{query}"), &[("authorization", auth)], files).await.expect(200).json()
}

#[tokio::test]
async fn an_oaza_file_is_dry_run_then_committed_and_geocoded_from_at_once() {
    let app = spawn_app().await;
    let auth = admin(&app).await;
    let before = best(&app, "南流山1丁目").await;
    assert_eq!(before.as_ref().map(|b| b.0.as_str()), Some("sample"), "the sample answers first");
    let file = isj_oaza_csv(Enc::ShiftJis, true);

    let dry = import(&app, &auth, "source=isj-oaza&city=12220", &[("12000-oaza.csv", file.clone())]).await;
    assert_eq!((dry["dry_run"].as_bool(), dry["towns"].as_u64()), (Some(true), Some(12)));
    assert_eq!(dry["cities"], serde_json::json!(["12220"]), "柏市's row is left out by city=");
    assert_eq!(dry["files"][0]["encoding"], "Shift_JIS");
    assert_eq!(best(&app, "南流山1丁目").await, before, "a dry run writes nothing");

    let done = import(&app, &auth, "source=isj-oaza&city=12220&dry_run=false", &[("12000-oaza.csv", file)]).await;
    assert_eq!((done["dry_run"].as_bool(), done["towns"].as_u64()), (Some(false), Some(12)));
    let (source, level, at) = best(&app, "南流山1丁目").await.unwrap();
    assert_eq!((source.as_str(), level), ("isj-oaza", 3), "served without a restart");
    assert!((at.0 - 139.906).abs() < 1e-6 && (at.1 - 35.838).abs() < 1e-6, "{at:?}");
}

#[tokio::test]
async fn a_gaiku_file_adds_blocks_that_are_geocoded_at_once() {
    let app = spawn_app().await;
    let auth = admin(&app).await;
    let file = isj_gaiku_csv(Enc::Utf8Bom, true);
    let dry = import(&app, &auth, "source=isj-gaiku", &[("12000-gaiku.csv", file.clone())]).await;
    assert_eq!((dry["dry_run"].as_bool(), dry["blocks"].as_u64()), (Some(true), Some(5)));

    import(&app, &auth, "source=isj-gaiku&dry_run=false", &[("12000-gaiku.csv", file)]).await;
    let (source, level, at) = best(&app, "南流山1-17").await.unwrap();
    assert_eq!((source.as_str(), level), ("isj-gaiku", 7));
    assert!((at.0 - 139.9068).abs() < 1e-6 && (at.1 - 35.8383).abs() < 1e-6, "{at:?}");
}

#[tokio::test]
async fn abr_files_go_as_parts_of_one_form_and_their_residences_are_geocoded_at_once() {
    let app = spawn_app().await;
    let auth = admin(&app).await;
    let files = [
        ("mt_town_city122203.csv", abr_town_csv()),
        ("mt_town_pos_city122203.csv", abr_town_position_csv()),
        ("mt_rsdtdsp_rsdt_pos_city122203.csv", abr_residence_position_csv()),
    ];
    let dry = import(&app, &auth, "source=abr", &files).await;
    assert_eq!(
        (dry["towns"].as_u64(), dry["residences"].as_u64(), dry["files"].as_array().map(Vec::len)),
        (Some(2), Some(5), Some(3))
    );
    assert_ne!(best(&app, "南流山1-16-16").await.map(|b| b.1), Some(8));

    let done = import(&app, &auth, "source=abr&dry_run=false", &files).await;
    assert_eq!(done["residences"].as_u64(), Some(5));
    let (source, level, at) = best(&app, "南流山一丁目16番16号").await.unwrap();
    assert_eq!((source.as_str(), level), ("abr", 8));
    assert!((at.0 - 139.90655).abs() < 1e-6 && (at.1 - 35.83855).abs() < 1e-6, "{at:?}");
}

/// Two invented centres covering the fixtures' towns differently from the sample.
const CENTERS_CSV: &str = "ID,名称,所在地,電話番号,経度,緯度,担当区域\r\n\
a,取込テストA,千葉県流山市南流山1-1,04-0000-0101,139.9050,35.8400,南流山;木\r\n\
b,取込テストB,千葉県流山市鰭ケ崎1,04-0000-0102,139.9130,35.8450,\"鰭ケ崎、流山\"\r\n";

#[tokio::test]
async fn a_centres_file_is_dry_run_then_replaces_every_centre_at_once() {
    let app = spawn_app().await;
    let auth = admin(&app).await;
    let sample = app.get("/api/community-centers").await.expect(200).features().len();
    let file = CENTERS_CSV.as_bytes().to_vec();

    let dry = import(&app, &auth, "source=community-centers", &[("centers.csv", file.clone())]).await;
    assert_eq!(
        (dry["source"].as_str(), dry["dry_run"].as_bool(), dry["centers"].as_u64(), dry["areas"].as_u64()),
        (Some("community-centers"), Some(true), Some(2), Some(4))
    );
    assert_eq!(app.get("/api/community-centers").await.expect(200).features().len(), sample);

    import(&app, &auth, "source=community-centers&dry_run=false", &[("centers.csv", file)]).await;
    let names: Vec<String> = app
        .get("/api/community-centers")
        .await
        .expect(200)
        .features()
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["取込テストA", "取込テストB"]);
    let mine = app.get(&format!("/api/community-centers/for?address={}", query("鰭ケ崎"))).await.expect(200).json();
    assert_eq!((mine["id"].as_str(), mine["properties"]["match"].as_str()), (Some("b"), Some("area")));
}

#[tokio::test]
async fn centres_may_name_their_chome_by_code_of_either_address_source_and_an_unknown_code_changes_nothing() {
    let app = spawn_app().await;
    let auth = admin(&app).await;
    // 位置参照情報's 大字町丁目コード (12 digits) and the ABR's lg_code + machiaza_id (13).
    import(&app, &auth, "source=isj-oaza&dry_run=false", &[("12000-oaza.csv", isj_oaza_csv(Enc::Utf8, false))]).await;
    let abr = [("mt_town_city122203.csv", abr_town_csv()), ("mt_town_pos_city122203.csv", abr_town_position_csv())];
    import(&app, &auth, "source=abr&dry_run=false", &abr).await;
    let before = app.get("/api/community-centers").await.expect(200).json();

    // 122200000006 is the fixtures' 6th town, 鰭ケ崎; 1222030001002 the ABR's 南流山二丁目.
    let by_code = "id,name,address,phone,lon,lat,areas\r\n\
        a,コードA,千葉県流山市南流山1-1,04-0000-0101,139.9050,35.8400,1222030001002;木\r\n\
        b,コードB,千葉県流山市鰭ケ崎1,04-0000-0102,139.9130,35.8450,122200000006\r\n";
    let unknown = by_code.replace("122200000006", "122209999999");
    let refused = app
        .post_files(
            &format!("{IMPORTS}?source=community-centers&dry_run=false"),
            &[("authorization", &auth)],
            &[("centers.csv", unknown.into_bytes())],
        )
        .await
        .expect(422)
        .json();
    let detail = refused["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("122209999999") && detail.contains("line 3"), "{refused}");
    assert_eq!(app.get("/api/community-centers").await.expect(200).json(), before, "nothing changed");

    import(&app, &auth, "source=community-centers&dry_run=false", &[("centers.csv", by_code.as_bytes().to_vec())])
        .await;
    let centers = app.get("/api/community-centers").await.expect(200).json();
    let areas: Vec<Value> =
        centers["features"].as_array().unwrap().iter().map(|f| f["properties"]["areas"].clone()).collect();
    assert_eq!(
        areas,
        [serde_json::json!(["南流山2丁目", "木"]), serde_json::json!(["鰭ケ崎"])],
        "codes stored as names"
    );
    for (address, id) in [("南流山2丁目", "a"), ("鰭ケ崎", "b"), ("流山市南流山二丁目3", "a")] {
        let mine = app.get(&format!("/api/community-centers/for?address={}", query(address))).await.expect(200).json();
        assert_eq!((mine["id"].as_str(), mine["properties"]["match"].as_str()), (Some(id), Some("area")), "{address}");
    }
}

#[tokio::test]
async fn a_file_missing_a_required_column_is_a_422_naming_it_and_changes_nothing() {
    let app = spawn_app().await;
    let auth = admin(&app).await;
    let before = best(&app, "南流山1丁目").await;
    let text = String::from_utf8(isj_oaza_csv(Enc::Utf8, true)).unwrap().replacen("緯度", "緯", 1);
    let problem = app
        .post_files(
            &format!("{IMPORTS}?source=isj-oaza&dry_run=false"),
            &[("authorization", &auth)],
            &[("oaza.csv", text.into_bytes())],
        )
        .await
        .expect_problem(422, "file");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("oaza.csv") && detail.contains("緯度"), "{detail}");
    assert_eq!(best(&app, "南流山1丁目").await, before);

    // ABR: a good 町字マスター with a broken 住居 file; the good file is not stored either.
    let rsdt = String::from_utf8(abr_residence_position_csv()).unwrap().replacen("machiaza_id", "machiaza", 1);
    let problem = app
        .post_files(
            &format!("{IMPORTS}?source=abr&dry_run=false"),
            &[("authorization", &auth)],
            &[("town.csv", abr_town_csv()), ("town_pos.csv", abr_town_position_csv()), ("rsdt.csv", rsdt.into_bytes())],
        )
        .await
        .expect_problem(422, "file");
    assert!(problem["detail"].as_str().unwrap().contains("machiaza_id"), "{problem}");
    assert_eq!(best(&app, "南流山1丁目").await, before);

    let sample = app.get("/api/community-centers").await.expect(200).json();
    let twice = format!("{CENTERS_CSV}a,また,x,1,139.9,35.8,木\r\n");
    let problem = app
        .post_files(
            &format!("{IMPORTS}?source=community-centers&dry_run=false"),
            &[("authorization", &auth)],
            &[("centers.csv", twice.into_bytes())],
        )
        .await
        .expect_problem(422, "file");
    assert!(problem["detail"].as_str().unwrap().contains("'a' is given twice"), "{problem}");
    assert_eq!(app.get("/api/community-centers").await.expect(200).json(), sample);
}

#[tokio::test]
async fn replacing_a_layer_needs_an_admin_token() {
    let app = spawn_app().await;
    let editor = format!("Bearer {}", app.add_user("tanaka", Role::Editor));
    let file = CENTERS_CSV.as_bytes().to_vec();
    let url = format!("{IMPORTS}?source=community-centers&dry_run=false");
    app.post_files(&url, &[], &[("centers.csv", file.clone())]).await.expect(401);
    app.post_files(&url, &[("authorization", "Bearer nonsense")], &[("centers.csv", file.clone())]).await.expect(401);
    app.post_files(&url, &[("authorization", &editor)], &[("centers.csv", file)]).await.expect(403);
    assert_eq!(app.get("/api/community-centers").await.expect(200).features().len(), 4, "the sample's four");
}

#[tokio::test]
async fn bad_options_are_400s_naming_the_parameter() {
    let app = spawn_app().await;
    let auth = admin(&app).await;
    let file = isj_oaza_csv(Enc::Utf8, false);
    for (q, name) in [
        ("source=isj-oaza&city=abc", "city"),
        ("source=isj-oaza&dry_run=maybe", "dry_run"),
        ("source=isj-oaza&crs=EPSG:6677", "crs"),
        ("source=community-centers&city=12220", "city"),
        ("source=abr&colour=red", "colour"),
    ] {
        app.post_files(&format!("{IMPORTS}?{q}"), &[("authorization", &auth)], &[("o.csv", file.clone())])
            .await
            .expect_problem(400, name);
    }
}

#[tokio::test]
async fn a_body_over_the_import_limit_is_refused_413_before_it_is_read() {
    let app = spawn_app().await;
    let auth = admin(&app).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST {IMPORTS}?source=isj-oaza&name=big.csv HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
         Content-Type: text/csv\r\nContent-Length: {}\r\n\r\n都道府県コード",
        caremap::http::MAX_IMPORT_BYTES + 1
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let reply = read_response(&mut stream).await.expect("a response");
    assert_eq!(reply.status, 413, "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("application/problem+json"));
}
