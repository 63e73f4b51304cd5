//! `caremap import` and `caremap export` as staff run them: the real binary on fixture files
//! written in the official layouts, a real SQLite file, exit codes, the printed report, and
//! the database compared before and after a failure.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use crate::support::cs2cs::cs2cs;
use crate::support::fixtures::*;
use caremap::domain::{HomeCareClass, Kind, Provider};
use caremap::store::{SqliteStore, Store};
use serde_json::Value;

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Self {
        Self { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    }

    fn db(&self) -> String {
        self.path("caremap.db").display().to_string()
    }
}

/// Runs the binary with `args`, from a folder without data/ (no districts are seeded).
fn caremap(args: &[&str]) -> Output {
    crate::support::process::caremap()
        .args(args)
        .env("CAREMAP_DATA", "/nonexistent")
        .env_remove("CAREMAP_DB")
        .env_remove("CAREMAP_CITY")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Imports and expects success; returns the report printed as JSON.
fn import_ok(db: &str, source: &str, extra: &[&str], files: &[&str]) -> Value {
    let mut args = vec!["import", "--db", db, "--source", source, "--json"];
    args.extend_from_slice(extra);
    args.extend_from_slice(files);
    let out = caremap(&args);
    assert!(out.status.success(), "import failed:\n{}\n{}", stdout(&out), stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
}

fn providers(db: &str) -> Vec<Provider> {
    SqliteStore::open(Path::new(db)).unwrap().load_providers().unwrap()
}

fn history_rows(db: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT COUNT(*) FROM provider_history", [], |r| r.get(0)).unwrap()
}

fn counts(report: &Value) -> [u64; 5] {
    ["added", "changed", "unchanged", "removed", "rows_read"].map(|k| report[k].as_u64().unwrap())
}

fn skipped(report: &Value) -> Vec<String> {
    report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{}:{}: {}", s["file"].as_str().unwrap(), s["line"], s["reason"].as_str().unwrap()))
        .collect()
}

fn without_bookkeeping(mut p: Vec<Provider>) -> Vec<Provider> {
    for p in &mut p {
        p.updated_at.clear();
        p.updated_by.clear();
    }
    p
}

#[test]
fn a_bom_crlf_file_imports_each_office_with_its_service_and_quoted_open_days() {
    let dir = Dir::new();
    let file = dir.write(
        "jigyosho_110.csv",
        &mhlw_csv(
            &[Office::new("1270000001", "さくら訪問介護"), Office::new("1270000002", "もみじ訪問介護")],
            Enc::Utf8Bom,
            true,
        ),
    );
    let report = import_ok(&dir.db(), "mhlw-care", &[], &[&file]);
    assert_eq!(counts(&report), [2, 0, 0, 0, 2]);
    // Written with a rollback journal (the command holds the database), and back in WAL mode.
    let mode: String =
        rusqlite::Connection::open(dir.db()).unwrap().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    assert!(!dir.path("caremap.db-journal").exists() && dir.path("caremap.db").exists());
    let stored = providers(&dir.db());
    assert_eq!(stored.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["care-1270000001", "care-1270000002"]);
    let p = &stored[0];
    assert_eq!(
        (p.kind, p.services.clone(), p.official_code.as_deref()),
        (Kind::Care, vec!["110".to_owned()], Some("1270000001"))
    );
    assert_eq!(p.open_days.as_deref(), Some("平日,土曜日"));
    assert_eq!(p.address.as_deref(), Some("千葉県流山市平和台1-1-1 テストビル2階"));
    assert_eq!(p.capacity, None, "定員 0 on a visit service means not applicable");
    assert_eq!((p.location.lon(), p.location.lat()), (139.902861, 35.856306));
    assert_eq!(p.version, 1);
    assert_eq!(report["files"][0]["encoding"], "UTF-8 (BOM)");
}

#[test]
fn the_human_report_lists_the_counts() {
    let dir = Dir::new();
    let file =
        dir.write("jigyosho_130.csv", &mhlw_csv(&[Office::new("1270000001", "訪問看護さくら")], Enc::Utf8Bom, true));
    let out = caremap(&["import", "--db", &dir.db(), "--source", "mhlw-care", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "rows read:    1",
        "added:        1",
        "changed:      0",
        "unchanged:    0",
        "removed:      0",
        "skipped:      0",
    ] {
        assert!(text.contains(line), "missing '{line}' in\n{text}");
    }
}

#[test]
fn shift_jis_and_utf8_without_bom_read_the_same_as_utf8_with_bom() {
    let offices =
        [Office::new("1270000001", "ひまわり訪問介護（本店）"), Office::new("1270000002", "髙橋ケアセンター")];
    let mut results = Vec::new();
    for (enc, crlf) in [(Enc::Utf8Bom, true), (Enc::Utf8, false), (Enc::ShiftJis, true)] {
        let dir = Dir::new();
        let file = dir.write("jigyosho_110.csv", &mhlw_csv(&offices, enc, crlf));
        let report = import_ok(&dir.db(), "mhlw-care", &[], &[&file]);
        assert_eq!(counts(&report)[0], 2, "{enc:?}");
        results.push((report["files"][0]["encoding"].clone(), without_bookkeeping(providers(&dir.db()))));
    }
    assert_eq!(results[0].1, results[1].1);
    assert_eq!(results[0].1, results[2].1);
    assert_eq!(results[1].0, "UTF-8");
    assert_eq!(results[2].0, "Shift_JIS");
    assert_eq!(results[2].1[1].name, "髙橋ケアセンター");
}

#[test]
fn a_half_width_bracket_header_reads_like_the_full_width_one() {
    let dir = Dir::new();
    let text = csv_text(&MHLW_HEADER, &[Office::new("1270000001", "さくら").cells()], true).replacen(
        "方書（ビル名等）",
        "方書(ビル名等)",
        1,
    );
    let file = dir.write("jigyosho_110.csv", &encode(&text, Enc::Utf8Bom));
    let report = import_ok(&dir.db(), "mhlw-care", &[], &[&file]);
    assert_eq!(counts(&report)[0], 1);
    assert!(providers(&dir.db())[0].address.as_deref().unwrap().ends_with("テストビル2階"));
}

#[test]
fn rows_without_usable_coordinates_are_skipped_with_file_line_and_reason() {
    let dir = Dir::new();
    let offices = [
        Office::new("1270000001", "座標あり"),
        Office::new("1270000002", "座標なし").at("", ""),
        Office::new("1270000003", "座標ゼロ").at("0.0", "0.0"),
        Office::new("1270000004", "海外").at("51.5", "-0.12"),
    ];
    let file = dir.write("jigyosho_110.csv", &mhlw_csv(&offices, Enc::Utf8Bom, true));
    let report = import_ok(&dir.db(), "mhlw-care", &[], &[&file]);
    assert_eq!(counts(&report), [1, 0, 0, 0, 4]);
    let lines = skipped(&report);
    assert_eq!(lines.len(), 3, "{lines:?}");
    for (line, n) in lines.iter().zip([3, 4, 5]) {
        assert!(line.starts_with(&format!("{file}:{n}: no usable coordinates")), "{line}");
    }
    assert!(report["warnings"].to_string().contains("geocoding"), "{report}");
    let stored = providers(&dir.db());
    assert_eq!(stored.len(), 1);
    assert!(stored.iter().all(|p| p.location.lon() != 0.0 && p.location.lat() != 0.0));
}

#[test]
fn one_office_in_two_service_files_is_one_provider_with_both_services() {
    let dir = Dir::new();
    let visit = dir.write("jigyosho_110.csv", &mhlw_csv(&[Office::new("1270000001", "さくら")], Enc::Utf8Bom, true));
    let plan = dir.write(
        "jigyosho_430_all_20260709180319.csv",
        &mhlw_csv(&[Office::new("1270000001", "さくら").service("居宅介護支援")], Enc::Utf8Bom, true),
    );
    let report = import_ok(&dir.db(), "mhlw-care", &[], &[&visit, &plan]);
    assert_eq!(counts(&report), [1, 0, 0, 0, 2]);
    let stored = providers(&dir.db());
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].services, ["110", "430"]);
}

#[test]
fn the_service_comes_from_the_flag_or_else_the_service_text() {
    let dir = Dir::new();
    let offices = [
        Office::new("1270000001", "看護").service("訪問看護"),
        Office::new("1270000002", "療養").service("指定療養通所介護"),
        Office::new("1270000003", "謎").service("宇宙旅行"),
    ];
    let file = dir.write("download.csv", &mhlw_csv(&offices, Enc::Utf8Bom, true));
    let report = import_ok(&dir.db(), "mhlw-care", &["--dry-run"], &[&file]);
    assert_eq!(counts(&report)[0], 2);
    let lines = skipped(&report);
    assert!(lines.len() == 1 && lines[0].contains(":4: unknown サービスの種類 '宇宙旅行'"), "{lines:?}");
    let report = import_ok(&dir.db(), "mhlw-care", &["--service", "760"], &[&file]);
    assert_eq!(counts(&report)[0], 3);
    assert!(providers(&dir.db()).iter().all(|p| p.services == ["760"]));
}

/// Bytes of the database file and its WAL, to prove an import wrote nothing.
fn snapshot(db: &str) -> Vec<Vec<u8>> {
    ["", "-wal"].iter().map(|s| std::fs::read(format!("{db}{s}")).unwrap_or_default()).collect()
}

fn seeded(dir: &Dir) -> Vec<Vec<u8>> {
    let file = dir.write("jigyosho_110.csv", &mhlw_csv(&[Office::new("1270000001", "既存")], Enc::Utf8Bom, true));
    import_ok(&dir.db(), "mhlw-care", &[], &[&file]);
    snapshot(&dir.db())
}

#[test]
fn a_wrong_header_changes_nothing_and_names_the_file_and_the_expected_header() {
    let dir = Dir::new();
    let before = seeded(&dir);
    let good = dir.write("jigyosho_130.csv", &mhlw_csv(&[Office::new("1270000009", "良い")], Enc::Utf8Bom, true));
    // The 自治体標準オープンデータセット layout: a different schema with similar names.
    let text = "都道府県コード又は市区町村コード,NO,介護サービス事業所名称,緯度,経度\r\n122203,1,さくら,35.8,139.9\r\n";
    let bad = dir.write("jigyosho_110_all_20260709180319.csv", &encode(text, Enc::Utf8Bom));
    let out = caremap(&["import", "--db", &dir.db(), "--source", "mhlw-care", &good, &bad]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let message = stderr(&out);
    assert!(message.contains(&bad), "the file is named: {message}");
    assert!(message.contains("wrong header") && message.contains(&MHLW_HEADER.join(",")), "{message}");
    assert_eq!(snapshot(&dir.db()), before, "the database is exactly as it was");
    assert_eq!(providers(&dir.db()).len(), 1);
}

#[test]
fn a_truncated_file_changes_nothing_and_names_the_line() {
    let dir = Dir::new();
    let before = seeded(&dir);
    let whole =
        csv_text(&MHLW_HEADER, &[Office::new("1270000002", "a").cells(), Office::new("1270000003", "b").cells()], true);
    // Cut in the middle of the last row's open-days field: a quote left open at the end.
    let cut_in_quote = &whole[..whole.rfind("平日,").unwrap() + "平日,".len()];
    // Cut after a field: the last row has fewer fields than the header.
    let cut_in_row = &whole[..whole.rfind("テストビル2階").unwrap()];
    // Cut inside the last field: the row still has every field, only the open quote tells.
    let mut last = Office::new("1270000004", "c").cells();
    last[23] = "備考,続き".into();
    let one = csv_text(&MHLW_HEADER, &[last], true);
    let cut_in_last_field = &one[..one.rfind("続き").unwrap()];
    for (name, text, line) in [
        ("jigyosho_110.csv", cut_in_quote, 3),
        ("jigyosho_120.csv", cut_in_row, 3),
        ("jigyosho_130.csv", cut_in_last_field, 2),
    ] {
        let file = dir.write(name, &encode(text, Enc::Utf8Bom));
        let out = caremap(&["import", "--db", &dir.db(), "--source", "mhlw-care", &file]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stdout(&out));
        let message = stderr(&out);
        assert!(message.contains(&format!("{file}: line {line}:")) && message.contains("truncated"), "{message}");
        assert_eq!(snapshot(&dir.db()), before, "{name}");
    }
}

#[test]
fn an_unreadable_file_changes_nothing() {
    let dir = Dir::new();
    let before = seeded(&dir);
    let missing = dir.path("jigyosho_110.csv.missing").display().to_string();
    let out = caremap(&["import", "--db", &dir.db(), "--source", "mhlw-care", &missing]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(&missing), "{}", stderr(&out));
    assert_eq!(snapshot(&dir.db()), before);
}

#[test]
fn re_importing_the_same_files_changes_nothing() {
    let dir = Dir::new();
    let offices = many_offices(50);
    let visit = dir.write("jigyosho_110.csv", &mhlw_csv(&offices, Enc::Utf8Bom, true));
    let plan = dir.write("jigyosho_430.csv", &mhlw_csv(&offices[..10], Enc::Utf8Bom, true));
    assert_eq!(counts(&import_ok(&dir.db(), "mhlw-care", &[], &[&visit, &plan])), [50, 0, 0, 0, 60]);
    let (first, history) = (providers(&dir.db()), history_rows(&dir.db()));
    let report = import_ok(&dir.db(), "mhlw-care", &[], &[&visit, &plan]);
    assert_eq!(counts(&report), [0, 0, 50, 0, 60]);
    assert_eq!(providers(&dir.db()), first, "no duplicates, no new versions");
    assert_eq!(history_rows(&dir.db()), history, "unchanged rows get no history entry");
}

#[test]
fn a_changed_row_gets_the_next_version_and_a_history_entry() {
    let dir = Dir::new();
    let mut office = Office::new("1270000001", "さくら");
    let file = dir.write("jigyosho_110.csv", &mhlw_csv(std::slice::from_ref(&office), Enc::Utf8Bom, true));
    import_ok(&dir.db(), "mhlw-care", &[], &[&file]);
    office.phone = "04-7150-9999".into();
    let file = dir.write("jigyosho_110.csv", &mhlw_csv(&[office], Enc::Utf8Bom, true));
    let report = import_ok(&dir.db(), "mhlw-care", &[], &[&file]);
    assert_eq!(counts(&report), [0, 1, 0, 0, 1]);
    assert_eq!(report["diff"]["changed"][0]["fields"], serde_json::json!(["phone"]));
    let p = &providers(&dir.db())[0];
    assert_eq!((p.version, p.phone.as_deref()), (2, Some("04-7150-9999")));
    assert_eq!(history_rows(&dir.db()), 2);
}

#[test]
fn a_dry_run_reports_the_same_counts_and_writes_nothing() {
    let dir = Dir::new();
    let before = seeded(&dir);
    let file = dir.write("jigyosho_110.csv", &mhlw_csv(&many_offices(5), Enc::Utf8Bom, true));
    let dry = import_ok(&dir.db(), "mhlw-care", &["--dry-run", "--remove-missing"], &[&file]);
    assert_eq!(counts(&dry), [5, 0, 0, 1, 5]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(providers(&dir.db()).len(), 1);
    assert_eq!(snapshot(&dir.db())[0], before[0]);
    assert_eq!(history_rows(&dir.db()), 1);
    let real = import_ok(&dir.db(), "mhlw-care", &["--remove-missing"], &[&file]);
    assert_eq!(counts(&real), counts(&dry));
    assert_eq!(real["dry_run"], false);
}

#[test]
fn remove_missing_soft_deletes_offices_no_longer_listed_and_trims_services() {
    let dir = Dir::new();
    let both = [Office::new("1270000001", "両方"), Office::new("1270000002", "訪問だけ")];
    let visit = dir.write("jigyosho_110.csv", &mhlw_csv(&both, Enc::Utf8Bom, true));
    let plan = dir.write("jigyosho_430.csv", &mhlw_csv(&both[..1], Enc::Utf8Bom, true));
    import_ok(&dir.db(), "mhlw-care", &[], &[&visit, &plan]);
    // The new 110 file lists neither office.
    let visit = dir.write("jigyosho_110.csv", &mhlw_csv(&[Office::new("1270000003", "新規")], Enc::Utf8Bom, true));
    let report = import_ok(&dir.db(), "mhlw-care", &["--remove-missing"], &[&visit]);
    assert_eq!(counts(&report), [1, 1, 0, 1, 1]);
    let stored = providers(&dir.db());
    let ids: Vec<_> = stored.iter().map(|p| (p.id.as_str(), p.services.clone())).collect();
    assert_eq!(
        ids,
        [("care-1270000001", vec!["430".to_owned()]), ("care-1270000003", vec!["110".to_owned()])],
        "the office still in the 430 file keeps 430; the one only in 110 is deleted"
    );
}

#[test]
fn city_keeps_only_rows_of_that_city() {
    let dir = Dir::new();
    let offices = [
        Office::new("1270000001", "流山"),
        Office::new("1270000002", "柏").in_city("122173").at("35.8676", "139.9757"),
        Office::new("1270000003", "流山5桁").in_city("12220"),
        Office::new("1270000004", "県コード").in_city("120006"),
    ];
    let file = dir.write("jigyosho_110.csv", &mhlw_csv(&offices, Enc::Utf8Bom, true));
    let report = import_ok(&dir.db(), "mhlw-care", &["--city", "12220"], &[&file]);
    assert_eq!(counts(&report), [2, 0, 0, 0, 4]);
    assert_eq!(report["outside_city"], 2);
    assert!(
        report["warnings"].to_string().contains("1 row(s) of the prefecture carry its prefecture code"),
        "{report}"
    );
    assert_eq!(providers(&dir.db()).iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["流山", "流山5桁"]);
}

#[test]
fn iryo_net_clinic_sheet_imports_clinics_with_quoted_header_and_bare_coordinates() {
    let dir = Dir::new();
    let clinics = [
        Clinic::new("1212345000011", "医療法人さくら会　さくら内科クリニック", "千葉県流山市平和台2-1-1"),
        Clinic {
            lat: "0.0".into(), lon: "0.0".into(), ..Clinic::new("1212345000012", "座標なし医院", "千葉県流山市")
        },
        Clinic { city: "12217".into(), ..Clinic::new("1212345000013", "柏の医院", "千葉県柏市") },
    ];
    let file = dir.write("02-1_clinic_facility_info_20260601.csv", &iryo_net_csv(&clinics));
    let report = import_ok(&dir.db(), "iryo-net", &["--city", "122203"], &[&file]);
    assert_eq!(counts(&report), [1, 0, 0, 0, 3]);
    assert_eq!(report["outside_city"], 1);
    assert!(skipped(&report)[0].contains(":3: no usable coordinates"), "{report}");
    let p = &providers(&dir.db())[0];
    assert_eq!(
        (p.id.as_str(), p.kind, p.official_code.as_deref()),
        ("med-1212345000011", Kind::Clinic, Some("1212345000011"))
    );
    assert_eq!(p.url.as_deref(), Some("https://clinic.example.jp/"));
    assert_eq!((p.location.lon(), p.location.lat()), (139.9101, 35.8601));
}

#[test]
fn kouseikyoku_excel_sets_the_home_care_class_of_matching_clinics() {
    let dir = Dir::new();
    // Clinic A comes from 医療情報ネット (13-digit ID): matched by name and address.
    let clinics = [Clinic::new("1212345000011", "さくら内科クリニック", "千葉県流山市平和台二丁目1番1号")];
    let file = dir.write("02-1_clinic_facility_info_20260601.csv", &iryo_net_csv(&clinics));
    import_ok(&dir.db(), "iryo-net", &[], &[&file]);
    // Clinic B carries its 10-digit 医療機関コード: matched by code.
    let geojson = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"med-1210112345",
        "geometry":{"type":"Point","coordinates":[139.91,35.87]},
        "properties":{"kind":"clinic","name":"もみじ在宅クリニック","official_code":"1210112345"}}]}"#;
    let file = dir.write("b.geojson", geojson.as_bytes());
    import_ok(&dir.db(), "geojson", &[], &[&file]);
    let xlsx = kouseikyoku_xlsx(&[
        Notice {
            number: "9912345", name: "さくら内科クリニック", address: "流山市平和台2-1-1", code: "支援診３"
        },
        Notice {
            number: "01,1234,5", name: "もみじ在宅クリニック", address: "流山市", code: "支援診２ア"
        },
        Notice {
            number: "0112345", name: "もみじ在宅クリニック", address: "流山市", code: "在医総管１"
        },
        Notice {
            number: "0554321", name: "よその診療所", address: "千葉市中央区1-1", code: "支援診１"
        },
    ]);
    let file = dir.write("12_chiba_ika_r0810.xlsx", &xlsx);
    let report = import_ok(&dir.db(), "kouseikyoku", &[], &[&file]);
    assert_eq!(counts(&report), [0, 2, 0, 0, 4]);
    assert_eq!(report["ignored"], 1, "the 在医総管 row is not a 在宅療養支援 class");
    let lines = skipped(&report);
    assert!(lines.len() == 1 && lines[0].contains(":8: no clinic or hospital"), "{lines:?}");
    let class = |id: &str| {
        providers(&dir.db()).into_iter().find(|p| p.id == id).and_then(|p| p.home_care).and_then(|h| h.class)
    };
    assert_eq!(class("med-1212345000011"), Some(HomeCareClass::Standard));
    assert_eq!(class("med-1210112345"), Some(HomeCareClass::EnhancedNetwork));
    // Re-importing the clinic sheet keeps the class (the sheet has no such column).
    let file = dir.write("02-1_clinic_facility_info_20260601.csv", &iryo_net_csv(&clinics));
    assert_eq!(counts(&import_ok(&dir.db(), "iryo-net", &[], &[&file]))[2], 1);
    assert_eq!(class("med-1212345000011"), Some(HomeCareClass::Standard));
}

fn geodesic_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    use geo::Distance;
    geo::Geodesic.distance(geo::Point::new(a.0, a.1), geo::Point::new(b.0, b.1))
}

#[test]
fn geojson_in_plane_rectangular_ix_lands_within_a_millimetre_of_cs2cs() {
    let dir = Dir::new();
    // Easting, northing (GeoJSON order) around Nagareyama in JGD2011 zone IX.
    let points = [(6_250.123, -15_980.456), (9_150.0, -15_710.0), (3_020.75, -19_000.5)];
    let features: Vec<Value> = points
        .iter()
        .enumerate()
        .map(|(i, (x, y))| {
            serde_json::json!({"type": "Feature", "id": format!("care-127000000{i}"),
                "geometry": {"type": "Point", "coordinates": [x, y]},
                "properties": {"kind": "care", "name": format!("平面{i}"), "services": ["130"]}})
        })
        .collect();
    let fc = serde_json::json!({"type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::6677"}}, "features": features});
    let file = dir.write("plane.geojson", fc.to_string().as_bytes());
    let report = import_ok(&dir.db(), "geojson", &[], &[&file]);
    assert_eq!(counts(&report)[0], 3);
    assert_eq!(report["files"][0]["crs"], "EPSG:6677");
    // cs2cs takes EPSG:6677 in its axis order (northing, easting) and answers lat, lon.
    let expected = cs2cs("EPSG:6677", "EPSG:4326", &points.map(|(x, y)| [y, x]));
    for (p, e) in providers(&dir.db()).iter().zip(&expected) {
        let d = geodesic_m((p.location.lon(), p.location.lat()), (e[1], e[0]));
        assert!(d < 0.001, "{} is {d} m from cs2cs", p.id);
    }
    // The same points with --crs and no crs member land in the same places.
    let bare = serde_json::json!({"type": "FeatureCollection", "features": fc["features"]});
    let file = dir.write("bare.geojson", bare.to_string().as_bytes());
    let report = import_ok(&dir.db(), "geojson", &["--crs", "EPSG:6677"], &[&file]);
    assert_eq!(counts(&report)[2], 3, "{report}");
}

#[test]
fn tokyo_datum_geojson_is_shifted_and_the_report_says_how_accurate() {
    let dir = Dir::new();
    let fc = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"care-1270000001",
        "geometry":{"type":"Point","coordinates":[139.906,35.853]},"properties":{"kind":"care","name":"旧測地系"}}]}"#;
    let file = dir.write("tokyo.geojson", fc.as_bytes());
    let report = import_ok(&dir.db(), "geojson", &["--crs", "EPSG:4301"], &[&file]);
    assert!(report["warnings"].to_string().contains("about 10 m"), "{report}");
    let p = &providers(&dir.db())[0];
    let shift = geodesic_m((139.906, 35.853), (p.location.lon(), p.location.lat()));
    assert!((300.0..600.0).contains(&shift), "the Tokyo Datum shift near Tokyo is ~450 m, got {shift}");
}

fn export(db: &str, args: &[&str]) -> Vec<u8> {
    let mut all = vec!["export", "--db", db];
    all.extend_from_slice(args);
    let out = caremap(&all);
    assert!(out.status.success(), "{}", stderr(&out));
    out.stdout
}

#[test]
fn an_exported_geojson_imports_back_unchanged_and_into_a_new_database_identically() {
    let dir = Dir::new();
    let file = dir.write("jigyosho_110.csv", &mhlw_csv(&many_offices(20), Enc::Utf8Bom, true));
    import_ok(&dir.db(), "mhlw-care", &[], &[&file]);
    let exported = dir.write("export.geojson", &export(&dir.db(), &["--format", "geojson"]));
    let report = import_ok(&dir.db(), "geojson", &["--remove-missing"], &[&exported]);
    assert_eq!(counts(&report), [0, 0, 20, 0, 20]);
    let other = dir.path("other.db").display().to_string();
    import_ok(&other, "geojson", &[], &[&exported]);
    assert_eq!(without_bookkeeping(providers(&other)), without_bookkeeping(providers(&dir.db())));
}

#[test]
fn csv_export_is_utf8_with_bom_and_japanese_headers() {
    let dir = Dir::new();
    let file = dir.write("jigyosho_110.csv", &mhlw_csv(&[Office::new("1270000001", "さくら")], Enc::Utf8Bom, true));
    import_ok(&dir.db(), "mhlw-care", &[], &[&file]);
    let out = dir.path("out.csv");
    export(&dir.db(), &["--format", "csv", "--out", out.to_str().unwrap()]);
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFID,"));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut lines = text.split("\r\n");
    let header = lines.next().unwrap();
    assert!(header.contains("事業所番号") && header.contains("経度") && header.contains("緯度"), "{header}");
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("care-1270000001,介護事業所,1270000001,さくら") && row.contains("139.902861,35.856306"),
        "{row}"
    );
}

#[test]
fn an_export_in_zone_ix_names_its_crs_and_imports_back_to_the_same_places() {
    let dir = Dir::new();
    let file = dir.write("jigyosho_110.csv", &mhlw_csv(&many_offices(5), Enc::Utf8Bom, true));
    import_ok(&dir.db(), "mhlw-care", &[], &[&file]);
    let bytes = export(&dir.db(), &["--format", "geojson", "--crs", "EPSG:6677"]);
    let fc: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(fc["crs"]["properties"]["name"], "urn:ogc:def:crs:EPSG::6677");
    let x = fc["features"][0]["geometry"]["coordinates"][0].as_f64().unwrap();
    assert!(x.abs() < 20_000.0, "metres from the zone origin, not degrees: {x}");
    let csv = String::from_utf8(export(&dir.db(), &["--format", "csv", "--crs", "EPSG:6677"])).unwrap();
    assert!(csv.contains("Y座標(m),X座標(m)"), "{csv}");
    let exported = dir.write("plane.geojson", &bytes);
    let other = dir.path("other.db").display().to_string();
    import_ok(&other, "geojson", &[], &[&exported]);
    for (a, b) in providers(&other).iter().zip(providers(&dir.db())) {
        assert!(geodesic_m((a.location.lon(), a.location.lat()), (b.location.lon(), b.location.lat())) < 0.001);
    }
}

#[test]
fn bad_options_are_refused_before_anything_is_read() {
    let dir = Dir::new();
    let file = dir.write("jigyosho_110.csv", &mhlw_csv(&[Office::new("1270000001", "さくら")], Enc::Utf8Bom, true));
    let db = dir.db();
    for (args, says) in [
        (vec!["--source", "mhlw"], "unknown source"),
        (vec!["--source", "mhlw-care", "--service", "999"], "unknown service code '999'"),
        (vec!["--source", "mhlw-care", "--city", "1222"], "5 digits"),
        (vec!["--source", "geojson", "--crs", "EPSG:3857"], "unsupported CRS"),
    ] {
        let mut all = vec!["import", "--db", &db];
        all.extend(args);
        all.push(&file);
        let out = caremap(&all);
        assert!(!out.status.success(), "{all:?}");
        assert!(stderr(&out).contains(says), "{all:?}: {}", stderr(&out));
    }
    assert!(!dir.path("caremap.db").exists(), "no database was created");
}

#[test]
fn kouseikyoku_remove_missing_clears_the_class_of_clinics_no_longer_listed() {
    let dir = Dir::new();
    let fc = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","id":"med-1210112345","geometry":{"type":"Point","coordinates":[139.91,35.87]},
         "properties":{"kind":"clinic","name":"もみじ","official_code":"1210112345",
                       "home_care":{"class":"enhanced_solo","house_calls":true}}},
        {"type":"Feature","id":"med-1210154321","geometry":{"type":"Point","coordinates":[139.92,35.86]},
         "properties":{"kind":"clinic","name":"かえで","official_code":"1210154321",
                       "home_care":{"class":"standard"}}}]}"#;
    let file = dir.write("clinics.geojson", fc.as_bytes());
    import_ok(&dir.db(), "geojson", &[], &[&file]);
    let xlsx = kouseikyoku_xlsx(&[Notice {
        number: "0112345", name: "もみじ", address: "流山市", code: "支援診１"
    }]);
    let file = dir.write("12_kantoshinetsu.xlsx", &xlsx);
    let report = import_ok(&dir.db(), "kouseikyoku", &["--remove-missing"], &[&file]);
    assert_eq!(counts(&report), [0, 1, 1, 0, 1]);
    let stored = providers(&dir.db());
    let home = |id: &str| stored.iter().find(|p| p.id == id).unwrap().home_care.unwrap();
    assert_eq!(home("med-1210112345").class, Some(HomeCareClass::EnhancedSolo));
    assert!(home("med-1210112345").house_calls, "other home-care facts are kept");
    assert_eq!(home("med-1210154321").class, None, "no longer listed: the class is cleared, the clinic stays");
}

#[test]
fn iryo_net_remove_missing_removes_only_the_kind_of_the_files() {
    let dir = Dir::new();
    let clinic = dir.write(
        "02-1_clinic_facility_info_20260601.csv",
        &iryo_net_csv(&[Clinic::new("1212345000011", "内科医院", "流山市")]),
    );
    let hospital = dir.write(
        "01-1_hospital_facility_info_20260601.csv",
        &iryo_net_csv(&[Clinic::new("1212345000099", "流山病院", "流山市")]),
    );
    import_ok(&dir.db(), "iryo-net", &[], &[&clinic, &hospital]);
    let empty = dir.write("01-1_hospital_facility_info_20261201.csv", &iryo_net_csv(&[]));
    let report = import_ok(&dir.db(), "iryo-net", &["--remove-missing"], &[&empty]);
    assert_eq!(counts(&report), [0, 0, 0, 1, 0]);
    let left: Vec<(String, Kind)> = providers(&dir.db()).into_iter().map(|p| (p.id, p.kind)).collect();
    assert_eq!(left, [("med-1212345000011".to_owned(), Kind::Clinic)]);
}

#[test]
fn geojson_features_that_are_not_providers_are_skipped_by_number() {
    let dir = Dir::new();
    let fc = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","id":"care-1","geometry":{"type":"Point","coordinates":[139.9,35.85]},"properties":{"kind":"care","name":"良い"}},
        {"type":"Feature","id":"care-2","geometry":{"type":"Point","coordinates":[0,0]},"properties":{"kind":"care","name":"零"}},
        {"type":"Feature","id":"care-3","geometry":{"type":"Point","coordinates":[139.9,35.85]},"properties":{"kind":"care","name":"色","colour":"red"}},
        {"type":"Feature","id":"care-1","geometry":{"type":"Point","coordinates":[139.9,35.86]},"properties":{"kind":"care","name":"重複"}}]}"#;
    let file = dir.write("p.geojson", fc.as_bytes());
    let report = import_ok(&dir.db(), "geojson", &[], &[&file]);
    assert_eq!(counts(&report), [1, 0, 0, 0, 4]);
    let reasons: Vec<(u64, String)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["feature"].as_u64().unwrap(), s["reason"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(reasons.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3, 4]);
    assert!(reasons[0].1.starts_with("no usable coordinates") && reasons[1].1.contains("colour"), "{reasons:?}");
    assert!(reasons[2].1.contains("appears again"), "{reasons:?}");
}

#[test]
fn a_file_that_is_not_a_feature_collection_changes_nothing() {
    let dir = Dir::new();
    let before = seeded(&dir);
    let file = dir.write("x.geojson", br#"{"type":"Feature","geometry":null,"properties":{}}"#);
    let out = caremap(&["import", "--db", &dir.db(), "--source", "geojson", &file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("FeatureCollection"), "{}", stderr(&out));
    assert_eq!(snapshot(&dir.db()), before);
}

#[test]
fn an_import_never_overwrites_staff_owned_fields_and_blanks_clear_only_with_the_flag() {
    let dir = Dir::new();
    // What staff entered by hand, as an earlier (edited) export would carry it.
    let fc = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"care-1270000001",
        "geometry":{"type":"Point","coordinates":[139.902861,35.856306]},
        "properties":{"kind":"care","name":"さくら","services":["110"],"phone":"04-7150-1234","fax":"04-7150-5678",
                      "notes":"職員の備考","accepting":false,"accepting_updated_at":"2026-11-01"}}]}"#;
    let edited = dir.write("edited.geojson", fc.as_bytes());
    assert_eq!(counts(&import_ok(&dir.db(), "geojson", &[], &[&edited])), [1, 0, 0, 0, 1]);

    let mut office = Office::new("1270000001", "さくら");
    office.phone = String::new();
    let file = dir.write("jigyosho_110.csv", &mhlw_csv(&[office], Enc::Utf8Bom, true));
    let kept = import_ok(&dir.db(), "mhlw-care", &["--dry-run"], &[&file]);
    assert_eq!(kept["policy"]["blank_clears"], false);
    let fields = kept["diff"]["changed"][0]["fields"].as_array().cloned().unwrap_or_default();
    assert!(!fields.iter().any(|f| f == "phone" || f == "notes" || f == "accepting"), "{kept}");

    let cleared = import_ok(&dir.db(), "mhlw-care", &["--blank-clears"], &[&file]);
    assert_eq!(cleared["policy"]["blank_clears"], true);
    let p = &providers(&dir.db())[0];
    assert_eq!((p.phone.as_deref(), p.fax.as_deref()), (None, None), "the file's empty cells erased them");
    assert_eq!(p.notes.as_deref(), Some("職員の備考"), "an empty 備考 cell never erases the staff's");
    assert_eq!(
        (p.accepting, p.accepting_updated_at.as_deref()),
        (Some(caremap::domain::Accepting::No), Some("2026-11-01"))
    );
}

#[test]
fn the_human_report_states_the_policy_and_each_change_old_to_new() {
    let dir = Dir::new();
    let mut office = Office::new("1270000001", "さくら");
    let file = dir.write("jigyosho_110.csv", &mhlw_csv(std::slice::from_ref(&office), Enc::Utf8Bom, true));
    import_ok(&dir.db(), "mhlw-care", &[], &[&file]);
    office.phone = "04-7150-9999".into();
    let file = dir.write("jigyosho_110.csv", &mhlw_csv(&[office], Enc::Utf8Bom, true));
    let out = caremap(&["import", "--db", &dir.db(), "--source", "mhlw-care", "--dry-run", &file]);
    let text = stdout(&out);
    assert!(text.contains("policy: staff-owned fields are kept (notes, accepting, accepting_note, accepting_places, accepting_checked_at, accepting_updated_at)"), "{text}");
    assert!(text.contains("empty cells keep stored values"), "{text}");
    assert!(text.contains(r#"phone: "04-7150-1234" → "04-7150-9999""#), "{text}");
}

/// An e-Stat 地域メッシュ統計 file (2020 census, 500 m) for two 1次 squares' worth of rows:
/// invented counts in the published layout, one square suppressed into its neighbour.
fn estat_file(rows: &[&str]) -> Vec<u8> {
    let mut text = String::from(
        "KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T001141001,T001141002,T001141003,T001141019,T001141020,T001141021,T001141022,T001141023,T001141024\r\n\
         ,,,,人口（総数）,人口（総数）　男,人口（総数）　女,６５歳以上人口　総数,６５歳以上人口　男,６５歳以上人口　女,７５歳以上人口　総数,７５歳以上人口　男,７５歳以上人口　女\r\n",
    );
    for row in rows {
        text.push_str(row);
        text.push_str("\r\n");
    }
    encoding_rs::SHIFT_JIS.encode(&text).0.into_owned()
}

#[test]
fn estat_mesh_files_import_the_chosen_columns_by_code_or_label_with_suppressed_squares_counted() {
    let dir = Dir::new();
    let a = dir.write(
        "tblT001141H5339.txt",
        &estat_file(&[
            "533957231,0,,,820,400,420,210,100,110,101,50,51",
            "533957232,1,,533957233,905,440,465,230,110,120,118,58,60",
            "533957233,2,533957232,,*,*,*,*,*,*,*,*,*",
        ]),
    );
    let b = dir.write("tblT001141H5340.txt", &estat_file(&["534000011,0,,,10,5,5,4,2,2,2,1,1"]));

    let report =
        import_ok(&dir.db(), "estat-mesh", &["--column", "T001141001", "--column", "７５歳以上人口 総数"], &[&a, &b]);

    let columns = report["columns"].as_array().unwrap();
    assert_eq!(columns.len(), 2);
    assert_eq!(columns[0]["code"], "T001141001");
    assert_eq!(columns[0]["squares"], 4);
    assert_eq!(columns[0]["suppressed"], 1);
    assert_eq!(columns[0]["total"], 1735.0);
    assert_eq!(columns[1]["code"], "T001141022");
    assert_eq!(columns[1]["total"], 221.0);
    let stored = SqliteStore::open(Path::new(&dir.db())).unwrap().load_population().unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[1].label, "７５歳以上人口　総数");
    assert_eq!(stored[1].level.name(), "500m");
    let suppressed: Vec<_> = stored[1].counts.iter().filter(|c| c.1.is_none()).map(|c| c.0.code()).collect();
    assert_eq!(suppressed, ["533957233"]);
}

#[test]
fn an_unknown_estat_column_or_a_bad_square_changes_nothing_and_says_why() {
    let dir = Dir::new();
    let good = dir.write("good.txt", &estat_file(&["533957231,0,,,820,400,420,210,100,110,101,50,51"]));
    import_ok(&dir.db(), "estat-mesh", &["--column", "T001141001"], &[&good]);
    let before = SqliteStore::open(Path::new(&dir.db())).unwrap().load_population().unwrap();

    let out = caremap(&["import", "--db", &dir.db(), "--source", "estat-mesh", "--column", "85歳以上", &good]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("85歳以上"), "{}", stderr(&out));

    let bad =
        dir.write("bad.txt", &estat_file(&["533957231,0,,,900,1,1,1,1,1,1,1,1", "53395723X,0,,,1,1,1,1,1,1,1,1,1"]));
    let out = caremap(&["import", "--db", &dir.db(), "--source", "estat-mesh", "--column", "T001141001", &bad]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bad.txt") && stderr(&out).contains("line 4"), "{}", stderr(&out));

    let after = SqliteStore::open(Path::new(&dir.db())).unwrap().load_population().unwrap();
    assert_eq!(after, before);
}

/// An .xlsx with a value at A1 and one at XFD1048576: a dense reader would allocate
/// 2^20 rows × 2^14 columns of cells for it.
fn sparse_xlsx() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "医療機関番号").unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    workbook.save_to_buffer().unwrap()
}

#[test]
fn a_sparse_xlsx_spanning_the_whole_sheet_is_refused_with_exit_1_naming_the_cell() {
    let dir = Dir::new();
    let before = seeded(&dir);
    let xlsx = sparse_xlsx();
    assert!(xlsx.len() < 10_000, "a small file: {} bytes", xlsx.len());
    let file = dir.write("12_sparse.xlsx", &xlsx);
    let db = dir.db();
    for dry_run in [true, false] {
        let mut args = vec!["import", "--db", &db, "--source", "kouseikyoku", &file];
        if dry_run {
            args.push("--dry-run");
        }
        let out = caremap(&args);
        assert_eq!(out.status.code(), Some(1), "{}\n{}", stdout(&out), stderr(&out));
        let message = stderr(&out);
        assert!(message.contains(&file) && message.contains("XFD1048576"), "{message}");
        assert_eq!(snapshot(&dir.db()), before, "the database is exactly as it was");
    }
}

#[test]
fn an_xlsx_cell_over_the_cell_limit_is_refused_naming_the_cell() {
    let dir = Dir::new();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, h) in KOUSEIKYOKU_HEADER.iter().enumerate() {
        sheet.write_string(3, c as u16, *h).unwrap();
    }
    // Excel's own limit is 32 767 characters a cell: 30 000 here are 90 000 bytes of UTF-8.
    sheet.write_string(4, 6, "備".repeat(30_000)).unwrap();
    let file = dir.write("12_big_cell.xlsx", &workbook.save_to_buffer().unwrap());
    let out = caremap(&["import", "--db", &dir.db(), "--source", "kouseikyoku", "--dry-run", &file]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let message = stderr(&out);
    assert!(message.contains("G5") && message.contains("90000 bytes"), "{message}");
}

#[test]
fn an_mhlw_field_of_a_megabyte_stops_the_import_naming_line_and_column() {
    let dir = Dir::new();
    let before = seeded(&dir);
    let mut row = Office::new("1270000002", "大きな備考").cells();
    row[23] = "備".repeat(400_000);
    let text = csv_text(&MHLW_HEADER, &[Office::new("1270000003", "ふつう").cells(), row], true);
    let file = dir.write("jigyosho_110.csv", &encode(&text, Enc::Utf8Bom));
    let out = caremap(&["import", "--db", &dir.db(), "--source", "mhlw-care", &file]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let message = stderr(&out);
    assert!(message.contains(&format!("{file}: line 3: 備考:")) && message.contains("1200000 bytes"), "{message}");
    assert_eq!(snapshot(&dir.db()), before, "the database is exactly as it was");
}

#[test]
fn a_field_over_its_length_limit_skips_the_row_naming_the_field() {
    let dir = Dir::new();
    let mut long = Office::new("1270000002", "長い備考").cells();
    long[23] = "備".repeat(4001);
    let text = csv_text(&MHLW_HEADER, &[Office::new("1270000003", "ふつう").cells(), long], true);
    let file = dir.write("jigyosho_110.csv", &encode(&text, Enc::Utf8Bom));
    let report = import_ok(&dir.db(), "mhlw-care", &[], &[&file]);
    assert_eq!(counts(&report), [1, 0, 0, 0, 2]);
    let lines = skipped(&report);
    assert!(lines.len() == 1 && lines[0].contains(":3: notes: must be at most 4000 characters"), "{lines:?}");
}

#[test]
fn address_files_import_by_city_and_a_file_missing_a_column_changes_nothing() {
    use crate::support::fixtures::address::{isj_gaiku_csv, isj_oaza_csv};
    let dir = Dir::new();
    let db = dir.db();
    let oaza = dir.write("12000-19.0b.csv", &isj_oaza_csv(Enc::ShiftJis, true));
    let gaiku = dir.write("12_2025.csv", &isj_gaiku_csv(Enc::Utf8Bom, true));
    let dry = import_ok(&db, "isj-oaza", &["--city", "122203", "--dry-run"], &[&oaza]);
    assert_eq!((dry["towns"].as_u64(), dry["dry_run"].as_bool()), (Some(12), Some(true)));
    let report = import_ok(&db, "isj-oaza", &["--city", "12220"], &[&oaza]);
    assert_eq!((report["towns"].as_u64(), &report["cities"]), (Some(12), &serde_json::json!(["12220"])));
    let report = import_ok(&db, "isj-gaiku", &[], &[&gaiku]);
    assert_eq!(report["blocks"], 5);
    let before = snapshot(&db);
    let text = String::from_utf8(isj_gaiku_csv(Enc::Utf8, true)).unwrap().replacen("街区符号・地番", "街区", 1);
    let bad = dir.write("bad.csv", text.as_bytes());
    let out = caremap(&["import", "--db", &db, "--source", "isj-gaiku", &gaiku, &bad]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let message = stderr(&out);
    assert!(message.contains(&bad) && message.contains("街区符号・地番"), "{message}");
    assert_eq!(snapshot(&db), before, "the database is exactly as it was");
}
