//! 地域包括支援センター over real HTTP: the sample's invented centres, a city's list imported
//! from its CSV, the responsible centre for addresses and points on both sides of a 担当区域
//! boundary, the fallback to the nearest centre with its note, and bad input.

use caremap::import::InputFile;
use caremap::import::address::{AddressOptions, AddressSource, import};
use caremap::import::community_centers;
use caremap::store::{SqliteStore, Store};

use crate::support::app::{TestApp, geodesic_m, lon_lat, spawn_app, spawn_app_with};
use crate::support::fixtures::Enc;
use crate::support::fixtures::address::{isj_gaiku_csv, isj_oaza_csv};

/// Two invented centres: 南部 (南流山, 鰭ケ崎, 木) and 中部 (平和台一丁目, 流山).
const CENTERS_CSV: &str = "\u{feff}ID,名称,所在地,電話番号,経度,緯度,担当区域\r\n\
south,南部テストセンター,千葉県流山市南流山1-1,04-0000-0001,139.9050,35.8400,南流山、鰭ヶ崎、木\r\n\
central,中部テストセンター,千葉県流山市平和台1-1,04-0000-0002,139.9000,35.8600,\"平和台一丁目;流山\"\r\n";

fn file(name: &str, bytes: Vec<u8>) -> InputFile {
    InputFile { name: name.into(), bytes }
}

async fn spawn_with_centers() -> TestApp {
    spawn_app_with(|config| {
        let store = SqliteStore::open(&config.db).unwrap();
        let oaza = AddressOptions { source: AddressSource::IsjOaza, dry_run: false, city: None, crs: None };
        import(&store, &oaza, &[file("oaza.csv", isj_oaza_csv(Enc::Utf8, true))]).unwrap();
        let gaiku = AddressOptions { source: AddressSource::IsjGaiku, ..oaza };
        import(&store, &gaiku, &[file("gaiku.csv", isj_gaiku_csv(Enc::Utf8, true))]).unwrap();
        community_centers::import(&store, &[file("centers.csv", CENTERS_CSV.as_bytes().to_vec())], false).unwrap();
    })
    .await
}

fn query(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

#[tokio::test]
async fn the_sample_has_an_invented_centre_for_every_district_with_its_towns() {
    let app = spawn_app().await;
    let features = app.get("/api/community-centers").await.expect(200).features();
    assert_eq!(features.len(), 4);
    for f in &features {
        assert_eq!(f["properties"]["sample"], true, "{f}");
        assert!(f["properties"]["name"].as_str().unwrap().contains("サンプル"));
        assert!(!f["properties"]["areas"].as_array().unwrap().is_empty());
    }
    let found =
        app.get(&format!("/api/community-centers/for?address={}", query("南流山1丁目"))).await.expect(200).json();
    assert_eq!(found["id"], "south");
    assert_eq!(found["properties"]["match"], "area");
}

#[tokio::test]
async fn an_address_gets_the_centre_whose_area_lists_its_chome_or_its_town() {
    let app = spawn_with_centers().await;
    for (address, id, town) in [
        ("南流山1-16-16", "south", "南流山1丁目"),
        ("流山市南流山二丁目", "south", "南流山2丁目"),
        ("鰭ケ崎250", "south", "鰭ケ崎"),
        ("平和台1丁目5番", "central", "平和台1丁目"),
        ("流山一丁目", "central", "流山1丁目"),
    ] {
        let found = app.get(&format!("/api/community-centers/for?address={}", query(address))).await.expect(200).json();
        assert_eq!(
            (found["id"].as_str(), found["properties"]["match"].as_str()),
            (Some(id), Some("area")),
            "{address}: {found}"
        );
        assert_eq!(found["properties"]["town"], town);
        assert_eq!(found["properties"]["phone"], if id == "south" { "04-0000-0001" } else { "04-0000-0002" });
        assert!(found["properties"]["note"].is_null());
        assert!(found["properties"]["origin"]["level"].as_u64().unwrap() >= 3);
    }
}

#[tokio::test]
async fn points_on_either_side_of_a_boundary_get_the_centre_of_their_side() {
    let app = spawn_with_centers().await;
    // 鰭ケ崎 (south) at 139.913500, 35.845500 (its 街区 250) and 平和台一丁目 (central) at
    // 139.903000, 35.856000: a point is in the 町丁目 of the nearer of them. Walk along the
    // line between them; just before and after the midpoint.
    let (a, b) = ((139.9135, 35.8455), (139.9030, 35.8560));
    for (t, expected) in [(0.45, "south"), (0.55, "central")] {
        let p = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
        let found = app.get(&format!("/api/community-centers/for?lon={}&lat={}", p.0, p.1)).await.expect(200).json();
        assert_eq!(found["id"], expected, "t = {t}: {found}");
        assert_eq!(found["properties"]["match"], "area");
        let d = found["properties"]["distance_m"].as_f64().unwrap();
        assert!((d - geodesic_m(p, lon_lat(&found))).abs() <= 0.05 + 1e-9);
    }
}

#[tokio::test]
async fn an_address_no_centre_lists_gets_the_nearest_centre_with_a_note() {
    let app = spawn_with_centers().await;
    // 十太夫 is in no 担当区域 of the test list.
    let found = app.get(&format!("/api/community-centers/for?address={}", query("十太夫"))).await.expect(200).json();
    assert_eq!(found["properties"]["match"], "nearest");
    assert!(found["properties"]["note"].as_str().unwrap().contains("最も近いセンター"));
    let at = (139.944, 35.873);
    let nearest = [("south", (139.905, 35.840)), ("central", (139.900, 35.860))]
        .into_iter()
        .min_by(|x, y| geodesic_m(at, x.1).total_cmp(&geodesic_m(at, y.1)))
        .unwrap();
    assert_eq!(found["id"], nearest.0);
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field() {
    let app = spawn_with_centers().await;
    let cases: Vec<(String, &str)> = vec![
        ("/api/community-centers/for".into(), "lon"),
        ("/api/community-centers/for?lon=139.9".into(), "lat"),
        ("/api/community-centers/for?lon=999&lat=35".into(), "lon"),
        (format!("/api/community-centers/for?address={}", query("どこにもない町")), "address"),
        (format!("/api/community-centers/for?address={}&lon=139.9&lat=35.8", query("南流山")), "address"),
        ("/api/community-centers/for?address=%00".into(), "address"),
        ("/api/community-centers?x=1".into(), "x"),
    ];
    for (path, field) in cases {
        app.get(&path).await.expect_problem(400, field);
    }
}

#[test]
fn a_centres_file_with_a_missing_column_or_a_repeated_id_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    community_centers::import(&store, &[file("ok.csv", CENTERS_CSV.as_bytes().to_vec())], false).unwrap();
    let before = store.load_community_centers().unwrap();
    assert_eq!(before.len(), 2);
    assert_eq!(before[0].areas, ["南流山", "鰭ヶ崎", "木"]);
    let no_areas = CENTERS_CSV.replace("担当区域", "区域");
    let e = community_centers::import(&store, &[file("a.csv", no_areas.into_bytes())], false).unwrap_err();
    assert!(e.to_string().contains("担当区域") && e.to_string().contains("a.csv"), "{e}");
    let twice = format!("{CENTERS_CSV}south,重複,,,139.9,35.85,木\r\n");
    let e = community_centers::import(&store, &[file("b.csv", twice.into_bytes())], false).unwrap_err();
    assert!(e.to_string().contains("line 4") && e.to_string().contains("south"), "{e}");
    let outside = CENTERS_CSV.replace("139.9050", "0");
    assert!(community_centers::import(&store, &[file("c.csv", outside.into_bytes())], false).is_err());
    assert_eq!(store.load_community_centers().unwrap(), before);
}

#[test]
fn the_documented_example_file_imports() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    let bytes = std::fs::read(crate::support::repo_path("docs/import-examples/community_centers.csv")).unwrap();
    let report = community_centers::import(&store, &[file("community_centers.csv", bytes)], false).unwrap();
    assert_eq!((report.centers, report.areas), (2, 6));
}
