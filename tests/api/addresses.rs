//! Address search over real HTTP: the official address files imported (in each published
//! layout and encoding) into the server's database before it starts, then `/api/geocode`,
//! `/api/reverse` and `address=` on the provider queries; hostile input answered with 4xx.

use caremap::import::InputFile;
use caremap::import::address::{AddressOptions, AddressSource, import};
use caremap::store::{SqliteStore, Store};

use crate::support::app::{TestApp, geodesic_m, lon_lat, spawn_app, spawn_app_with};
use crate::support::fixtures::Enc;
use crate::support::fixtures::address::*;

fn file(name: &str, bytes: Vec<u8>) -> InputFile {
    InputFile { name: name.into(), bytes }
}

fn options(source: AddressSource) -> AddressOptions {
    AddressOptions { source, dry_run: false, city: None, crs: None }
}

/// Imports every fixture format into `store`: 大字・町丁目 (Shift_JIS, CRLF), 街区 (UTF-8 with
/// BOM, CRLF), ABR (UTF-8, LF; the town position file with BOM and CRLF).
fn import_fixtures(store: &dyn Store) {
    let mut city = options(AddressSource::IsjOaza);
    city.city = Some(caremap::import::CityCode::parse("12220").unwrap());
    import(store, &city, &[file("oaza.csv", isj_oaza_csv(Enc::ShiftJis, true))]).unwrap();
    import(store, &options(AddressSource::IsjGaiku), &[file("gaiku.csv", isj_gaiku_csv(Enc::Utf8Bom, true))]).unwrap();
    let abr = [
        file("mt_town_city122203.csv", abr_town_csv()),
        file("mt_town_pos_city122203.csv", abr_town_position_csv()),
        file("mt_rsdtdsp_rsdt_pos_city122203.csv", abr_residence_position_csv()),
    ];
    import(store, &options(AddressSource::Abr), &abr).unwrap();
}

async fn spawn_with_fixtures() -> TestApp {
    spawn_app_with(|config| {
        let store = SqliteStore::open(&config.db).unwrap();
        import_fixtures(&store);
    })
    .await
}

fn query(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

/// (spelling, expected lon, lat, level).
const SPELLINGS: &[(&str, f64, f64, u64)] = &[
    // 住居 (ABR) 南流山一丁目16番16号.
    ("千葉県流山市南流山1丁目16番16号", 139.906550, 35.838550, 8),
    ("千葉県流山市南流山一丁目十六番十六号", 139.906550, 35.838550, 8),
    ("流山市南流山1-16-16", 139.906550, 35.838550, 8),
    ("南流山1-16-16", 139.906550, 35.838550, 8),
    ("南流山１－１６－１６", 139.906550, 35.838550, 8),
    ("南流山1‐16‐16", 139.906550, 35.838550, 8),
    ("南流山1−16−16", 139.906550, 35.838550, 8),
    ("南流山1―16―16", 139.906550, 35.838550, 8),
    ("南流山1ー16ー16", 139.906550, 35.838550, 8),
    ("南流山1‑16‑16", 139.906550, 35.838550, 8),
    ("南流山１丁目１６番１６号", 139.906550, 35.838550, 8),
    ("南流山1丁目16-16", 139.906550, 35.838550, 8),
    ("南流山1の16の16", 139.906550, 35.838550, 8),
    ("千葉県 流山市 南流山 1丁目 16番 16号", 139.906550, 35.838550, 8),
    ("南流山一丁目16-16", 139.906550, 35.838550, 8),
    ("南流山1丁目16番地16", 139.906550, 35.838550, 8),
    ("　南流山１－１６－１６　", 139.906550, 35.838550, 8),
    ("南流山1-16-16 サンプルマンション101", 139.906550, 35.838550, 8),
    ("南流山1丁目16番16号　２階", 139.906550, 35.838550, 8),
    ("千葉県流山市南流山1-016-016", 139.906550, 35.838550, 8),
    ("南流山1-16-16-2", 139.906570, 35.838570, 8),
    ("南流山1丁目16番16-2号", 139.906570, 35.838570, 8),
    ("南流山1-16-17", 139.906600, 35.838600, 8),
    ("南流山一丁目十六番十七号", 139.906600, 35.838600, 8),
    ("南流山1-17-1", 139.906810, 35.838310, 8),
    ("南流山2-3-5", 139.908100, 35.836100, 8),
    ("南流山二丁目3番5号", 139.908100, 35.836100, 8),
    // 街区 (位置参照情報).
    ("南流山1丁目16番", 139.906500, 35.838500, 7),
    ("南流山1-16", 139.906500, 35.838500, 7),
    ("南流山一丁目十六", 139.906500, 35.838500, 7),
    ("南流山1-16-99", 139.906500, 35.838500, 7),
    ("南流山1丁目17番", 139.906800, 35.838300, 7),
    ("鰭ケ崎250", 139.913500, 35.845500, 7),
    ("鰭ヶ崎250番地", 139.913500, 35.845500, 7),
    ("鰭が崎２５０", 139.913500, 35.845500, 7),
    ("流山市鰭ケ﨑250", 139.913500, 35.845500, 7),
    ("千葉県流山市大字鰭ケ崎250番地", 139.913500, 35.845500, 7),
    ("木300", 139.897200, 35.842200, 7),
    ("大字木300番地", 139.897200, 35.842200, 7),
    ("流山市木３００", 139.897200, 35.842200, 7),
    ("平和台1丁目5番", 139.903300, 35.856300, 7),
    ("平和台一丁目五番", 139.903300, 35.856300, 7),
    // 町字.
    ("南流山1丁目", 139.906000, 35.838000, 3),
    ("流山市南流山一丁目", 139.906000, 35.838000, 3),
    ("南流山２丁目", 139.908000, 35.836000, 3),
    ("流山1丁目", 139.897000, 35.858000, 3),
    ("流山市流山一丁目", 139.897000, 35.858000, 3),
    ("江戸川台東1丁目", 139.911000, 35.898000, 3),
    ("江戸川台西一丁目", 139.903000, 35.900000, 3),
    ("松ケ丘1丁目", 139.948000, 35.862000, 3),
    ("松が丘一丁目", 139.948000, 35.862000, 3),
    ("松ヶ丘１丁目", 139.948000, 35.862000, 3),
    ("三輪野山3丁目", 139.889000, 35.870000, 3),
    ("三輪野山三丁目", 139.889000, 35.870000, 3),
    ("十太夫", 139.944000, 35.873000, 3),
    ("おおたかの森西1丁目", 139.917000, 35.870000, 3),
    ("鰭ケ崎", 139.913000, 35.845000, 3),
    ("平和台1丁目", 139.903000, 35.856000, 3),
    ("千葉県流山市 平和台 一丁目", 139.903000, 35.856000, 3),
];

#[tokio::test]
async fn sixty_spellings_find_the_expected_point_within_a_metre_and_level() {
    assert!(SPELLINGS.len() >= 50);
    let app = spawn_with_fixtures().await;
    let mut wrong = Vec::new();
    for (spelling, lon, lat, level) in SPELLINGS {
        let reply = app.get(&format!("/api/geocode?q={}&limit=3", query(spelling))).await.expect(200);
        assert_eq!(reply.content_type, "application/geo+json");
        let Some(best) = reply.features().into_iter().next() else {
            wrong.push(format!("{spelling}: no candidate"));
            continue;
        };
        let d = geodesic_m(lon_lat(&best), (*lon, *lat));
        let got = best["properties"]["level"].as_u64().unwrap();
        if d > 1.0 || got != *level {
            wrong.push(format!("{spelling}: level {got}, {d:.1} m away: {}", best["properties"]));
        }
    }
    assert!(wrong.is_empty(), "{} of {} wrong:\n{}", wrong.len(), SPELLINGS.len(), wrong.join("\n"));
}

#[tokio::test]
async fn a_candidate_names_the_normalized_address_the_remainder_and_the_source() {
    let app = spawn_with_fixtures().await;
    let reply =
        app.get(&format!("/api/geocode?q={}", query("流山市南流山１－１６－１６　サンプルビル２階"))).await.expect(200);
    let best = &reply.features()[0]["properties"];
    assert_eq!(best["address"], "千葉県流山市南流山1丁目16番16号");
    assert_eq!(best["level"], 8);
    assert_eq!(best["remainder"], "サンプルビル2階");
    assert_eq!(best["source"], "abr");
    assert_eq!(best["approximate"], false);
    let reply = app.get(&format!("/api/geocode?q={}", query("鰭ケ崎250"))).await.expect(200);
    assert_eq!(reply.features()[0]["properties"]["source"], "isj-gaiku");
}

#[tokio::test]
async fn a_town_without_its_chome_lists_each_chome_sorted_and_a_partial_name_completes() {
    let app = spawn_with_fixtures().await;
    let features = app.get(&format!("/api/geocode?q={}", query("南流山"))).await.expect(200).features();
    let names: Vec<&str> = features.iter().map(|f| f["properties"]["address"].as_str().unwrap()).collect();
    assert_eq!(names, ["千葉県流山市南流山1丁目", "千葉県流山市南流山2丁目"]);
    let features = app.get(&format!("/api/geocode?q={}&limit=1", query("江戸川台"))).await.expect(200).features();
    assert_eq!(features.len(), 1);
    assert_eq!(features[0]["properties"]["address"], "千葉県流山市江戸川台東1丁目");
}

#[tokio::test]
async fn the_city_option_kept_nagareyama_only() {
    let app = spawn_with_fixtures().await;
    let features = app.get(&format!("/api/geocode?q={}", query("柏市柏1丁目"))).await.expect(200).features();
    assert!(features.iter().all(|f| f["properties"]["level"].as_u64() < Some(3)), "{features:?}");
}

#[tokio::test]
async fn nothing_matchable_is_an_empty_collection() {
    let app = spawn_with_fixtures().await;
    for q in ["大阪府大阪市北区", "xyz", "---", "<script>alert(1)</script>", "1-2-3"] {
        let reply = app.get(&format!("/api/geocode?q={}", query(q))).await.expect(200);
        assert!(reply.features().is_empty(), "{q}: {reply}");
    }
}

#[tokio::test]
async fn reverse_gives_the_nearest_town_and_block_with_geodesic_distances() {
    let app = spawn_with_fixtures().await;
    let at = (139.906520, 35.838520);
    let features = app.get(&format!("/api/reverse?lon={}&lat={}", at.0, at.1)).await.expect(200).features();
    assert_eq!(features.len(), 2, "{features:?}");
    let (town, block) = (&features[0], &features[1]);
    assert_eq!(
        (town["properties"]["level"].as_u64(), town["properties"]["address"].as_str()),
        (Some(3), Some("千葉県流山市南流山1丁目"))
    );
    assert_eq!(block["properties"]["address"], "千葉県流山市南流山1丁目16番");
    for f in [town, block] {
        let expected = geodesic_m(at, lon_lat(f));
        let got = f["properties"]["distance_m"].as_f64().unwrap();
        assert!((got - expected).abs() <= 0.05 + 1e-9, "{got} vs {expected}");
    }
}

#[tokio::test]
async fn nearest_from_an_address_starts_at_its_point_and_says_which_point_and_level() {
    let app = spawn_with_fixtures().await;
    let reply = app.get(&format!("/api/providers/nearest?address={}&k=3", query("南流山1-16-16"))).await.expect(200);
    let body = reply.json();
    assert_eq!(body["origin"]["level"], 8);
    assert_eq!(body["origin"]["address"], "千葉県流山市南流山1丁目16番16号");
    let (lon, lat) = lon_lat(&serde_json::json!({"geometry": {"coordinates": body["origin"]["coordinates"]}}));
    assert!(geodesic_m((lon, lat), (139.90655, 35.83855)) < 0.01, "{lon} {lat}");
    let by_coordinates = app.get(&format!("/api/providers/nearest?lon={lon}&lat={lat}&k=3")).await.expect(200).json();
    assert_eq!(body["features"], by_coordinates["features"]);
    let features = body["features"].as_array().unwrap();
    assert_eq!(features.len(), 3);
    for f in features {
        let expected = geodesic_m((lon, lat), lon_lat(f));
        // Distances are given to 0.1 m.
        assert!((f["properties"]["distance_m"].as_f64().unwrap() - expected).abs() <= 0.05 + 1e-9);
    }
}

#[tokio::test]
async fn the_list_takes_an_address_with_a_radius() {
    let app = spawn_with_fixtures().await;
    let body =
        app.get(&format!("/api/providers?address={}&radius_m=1500", query("平和台1丁目"))).await.expect(200).json();
    assert_eq!(body["origin"]["level"], 3);
    let (lon, lat) = lon_lat(&serde_json::json!({"geometry": {"coordinates": body["origin"]["coordinates"]}}));
    assert!(geodesic_m((lon, lat), (139.903, 35.856)) < 0.01, "{lon} {lat}");
    let by_near = app.get(&format!("/api/providers?near={lon},{lat}&radius_m=1500")).await.expect(200).json();
    assert_eq!(body["features"], by_near["features"]);
    assert!(!body["features"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn hostile_or_bad_address_input_is_a_400_naming_the_field() {
    let app = spawn_with_fixtures().await;
    let long = "南".repeat(201);
    let cases: Vec<(String, &str)> = vec![
        ("/api/geocode".into(), "q"),
        ("/api/geocode?q=".into(), "q"),
        ("/api/geocode?q=%20%20".into(), "q"),
        (format!("/api/geocode?q={}", query(&long)), "q"),
        ("/api/geocode?q=%E5%8D%97%00%E6%B5%81".into(), "q"),
        ("/api/geocode?q=a%0Ab".into(), "q"),
        ("/api/geocode?q=a&limit=0".into(), "limit"),
        ("/api/geocode?q=a&limit=101".into(), "limit"),
        ("/api/geocode?q=a&limit=x".into(), "limit"),
        ("/api/geocode?q=a&colour=red".into(), "colour"),
        ("/api/reverse?lon=139.9".into(), "lat"),
        ("/api/reverse?lon=200&lat=35".into(), "lon"),
        ("/api/reverse?lon=139.9&lat=NaN".into(), "lat"),
        (format!("/api/providers/nearest?address={}&lon=139.9&lat=35.8", query("南流山")), "address"),
        (format!("/api/providers/nearest?address={}", query("どこにもない町")), "address"),
        ("/api/providers/nearest?address=%01".into(), "address"),
        (format!("/api/providers/nearest?address={}", query(&long)), "address"),
        (format!("/api/providers?address={}", query("南流山")), "radius_m"),
        (format!("/api/providers?address={}&near=139.9,35.8&radius_m=100", query("南流山")), "address"),
    ];
    for (path, field) in cases {
        app.get(&path).await.expect_problem(400, field);
    }
}

#[tokio::test]
async fn odd_but_harmless_text_never_fails() {
    let app = spawn_with_fixtures().await;
    let odd = [
        "九".repeat(200),
        "1".repeat(200),
        "十百千丁目".into(),
        "丁目丁目番番号号".into(),
        "-".repeat(200),
        "南流山99999999999999999999丁目".into(),
        "南流山1-99999999999999999999-1".into(),
        "𠮷野家".into(),
        "\u{202e}南流山".into(),
        "'; DROP TABLE address_points; --".into(),
    ];
    for q in odd {
        app.get(&format!("/api/geocode?q={}", query(&q))).await.expect(200);
    }
    // Still answering, and the data is still there.
    assert_eq!(app.get(&format!("/api/geocode?q={}", query("南流山1-16-16"))).await.expect(200).features().len(), 1);
}

#[tokio::test]
async fn the_bundled_sample_has_approximate_chome_and_blocks_of_the_sample_city() {
    let app = spawn_app().await;
    let best = &app.get(&format!("/api/geocode?q={}", query("流山市南流山1丁目"))).await.expect(200).features()[0];
    assert_eq!(best["properties"]["level"], 3);
    assert_eq!(best["properties"]["source"], "sample");
    assert_eq!(best["properties"]["approximate"], true);
    let block = &app.get(&format!("/api/geocode?q={}", query("南流山一丁目3番"))).await.expect(200).features()[0];
    assert_eq!(block["properties"]["level"], 7);
    let near = app.get("/api/reverse?lon=139.9066&lat=35.8386").await.expect(200).features();
    assert_eq!(near.len(), 2);
}

// --- imports -------------------------------------------------------------------------------

fn counts(store: &dyn Store) -> [usize; 3] {
    let mut c = [0; 3];
    store
        .for_each_address(&mut |p| {
            c[match p.level as u8 {
                3 => 0,
                7 => 1,
                _ => 2,
            }] += 1;
        })
        .unwrap();
    c
}

fn temp_store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    (dir, store)
}

#[test]
fn each_format_imports_from_shift_jis_utf8_bom_crlf_and_quoted_files() {
    let (_dir, store) = temp_store();
    for (enc, crlf) in [(Enc::ShiftJis, true), (Enc::Utf8Bom, false), (Enc::Utf8, true)] {
        let report =
            import(&store, &options(AddressSource::IsjOaza), &[file("o.csv", isj_oaza_csv(enc, crlf))]).unwrap();
        assert_eq!((report.towns, report.cities.clone()), (13, vec!["12217".to_string(), "12220".into()]));
        let report =
            import(&store, &options(AddressSource::IsjGaiku), &[file("g.csv", isj_gaiku_csv(enc, crlf))]).unwrap();
        // One of two points of 街区 16 (the representative), and not the deleted 街区 99.
        assert_eq!((report.blocks, report.skipped_count), (5, 1), "{report}");
    }
    assert_eq!(counts(&store), [13, 5, 0]);
    let abr = [
        file("town.csv", abr_town_csv()),
        file("town_pos.csv", abr_town_position_csv()),
        file("rsdt_pos.csv", abr_residence_position_csv()),
    ];
    let report = import(&store, &options(AddressSource::Abr), &abr).unwrap();
    assert_eq!((report.towns, report.residences), (2, 5), "{report}");
    // The ABR 町字 replace the 位置参照情報 ones at the same place in the address.
    assert_eq!(counts(&store), [13, 5, 5]);
}

#[test]
fn a_missing_required_column_names_it_and_imports_nothing() {
    let (_dir, store) = temp_store();
    let text = String::from_utf8(isj_oaza_csv(Enc::Utf8, true)).unwrap().replacen("大字町丁目名", "町名", 1);
    let e = import(&store, &options(AddressSource::IsjOaza), &[file("bad.csv", text.into_bytes())]).unwrap_err();
    assert!(e.to_string().contains("大字町丁目名") && e.to_string().contains("bad.csv"), "{e}");
    let text = String::from_utf8(abr_residence_position_csv()).unwrap().replacen("machiaza_id", "machiaza", 1);
    let abr = [file("town.csv", abr_town_csv()), file("rsdt.csv", text.into_bytes())];
    let e = import(&store, &options(AddressSource::Abr), &abr).unwrap_err();
    assert!(e.to_string().contains("machiaza_id"), "{e}");
    assert_eq!(counts(&store), [0, 0, 0]);
}

#[test]
fn a_second_bad_file_stops_the_whole_import() {
    let (_dir, store) = temp_store();
    let good = file("good.csv", isj_oaza_csv(Enc::Utf8, true));
    let truncated = isj_oaza_csv(Enc::Utf8, true);
    let bad = file("cut.csv", truncated[..truncated.len() - 40].to_vec());
    assert!(import(&store, &options(AddressSource::IsjOaza), &[good, bad]).is_err());
    assert_eq!(counts(&store), [0, 0, 0]);
}

#[test]
fn a_dry_run_reports_and_writes_nothing() {
    let (_dir, store) = temp_store();
    let mut dry = options(AddressSource::IsjOaza);
    dry.dry_run = true;
    let report = import(&store, &dry, &[file("o.csv", isj_oaza_csv(Enc::Utf8, true))]).unwrap();
    assert_eq!(report.towns, 13);
    assert!(report.dry_run);
    assert_eq!(counts(&store), [0, 0, 0]);
}

#[test]
fn blocks_need_their_city_stored_first_because_the_file_has_no_city_codes() {
    let (_dir, store) = temp_store();
    let e = import(&store, &options(AddressSource::IsjGaiku), &[file("g.csv", isj_gaiku_csv(Enc::Utf8, true))])
        .unwrap_err();
    assert!(e.to_string().contains("千葉県流山市") && e.to_string().contains("isj-oaza"), "{e}");
    assert_eq!(counts(&store), [0, 0, 0]);
}

#[test]
fn a_reimport_replaces_its_own_rows_and_the_samples_of_that_city() {
    let (_dir, store) = temp_store();
    caremap::app::startup::seed_store(&store, &crate::support::repo_path("data")).unwrap();
    let sample = counts(&store);
    assert!(sample[0] > 50 && sample[1] > 0, "{sample:?}");
    let city =
        AddressOptions { city: caremap::import::CityCode::parse("12220").ok(), ..options(AddressSource::IsjOaza) };
    for _ in 0..2 {
        import(&store, &city, &[file("o.csv", isj_oaza_csv(Enc::Utf8, true))]).unwrap();
        // Only the file's 12 町丁目 of 流山市: the sample's are gone, nothing is doubled.
        assert_eq!(counts(&store), [12, 0, 0]);
    }
}
