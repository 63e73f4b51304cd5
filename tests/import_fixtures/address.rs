//! Address fixtures in the published layouts (shared/reference/address-and-mesh-data.md):
//! 国土交通省 位置参照情報 大字・町丁目レベル (10 columns) and 街区レベル (14 columns, full-width
//! Ｘ/Ｙ), and デジタル庁 アドレス・ベース・レジストリ 町字マスター, its position extension and
//! the 住居表示-住居マスター position extension. Rows are invented; positions are only roughly
//! where the towns are.

use super::{Enc, csv_text, encode};

pub const ISJ_OAZA_HEADER: [&str; 10] = [
    "都道府県コード",
    "都道府県名",
    "市区町村コード",
    "市区町村名",
    "大字町丁目コード",
    "大字町丁目名",
    "緯度",
    "経度",
    "原典資料コード",
    "大字・字・丁目区分コード",
];

pub const ISJ_GAIKU_HEADER: [&str; 14] = [
    "都道府県名",
    "市区町村名",
    "大字・町丁目名",
    "小字・通称名",
    "街区符号・地番",
    "座標系番号",
    "Ｘ座標",
    "Ｙ座標",
    "緯度",
    "経度",
    "住居表示フラグ",
    "代表フラグ",
    "更新前履歴フラグ",
    "更新後履歴フラグ",
];

pub const ABR_TOWN_HEADER: [&str; 12] = [
    "lg_code",
    "machiaza_id",
    "machiaza_type",
    "pref",
    "pref_kana",
    "city",
    "ward",
    "oaza_cho",
    "chome",
    "koaza",
    "rsdt_addr_flg",
    "efct_date",
];

pub const ABR_TOWN_POSITION_HEADER: [&str; 6] =
    ["lg_code", "machiaza_id", "rep_lat", "rep_lon", "rep_srid", "rep_scale"];

pub const ABR_RESIDENCE_POSITION_HEADER: [&str; 15] = [
    "lg_code",
    "machiaza_id",
    "blk_id",
    "rsdt_id",
    "rsdt2_id",
    "rsdt_addr_flg",
    "rsdt_addr_mtd_code",
    "rep_lon",
    "rep_lat",
    "rep_srid",
    "rep_scale",
    "rep_src_code",
    "rsdt_addr_code_rdbl",
    "rsdt_addr_data_mnt_date",
    "basic_rsdt_div",
];

/// 町丁目 of the fixtures: (city code, city, name, kanji kind code, lon, lat).
pub const TOWNS: &[(&str, &str, &str, &str, f64, f64)] = &[
    ("12220", "流山市", "南流山一丁目", "3", 139.906000, 35.838000),
    ("12220", "流山市", "南流山二丁目", "3", 139.908000, 35.836000),
    ("12220", "流山市", "流山一丁目", "3", 139.897000, 35.858000),
    ("12220", "流山市", "江戸川台東一丁目", "3", 139.911000, 35.898000),
    ("12220", "流山市", "江戸川台西一丁目", "3", 139.903000, 35.900000),
    ("12220", "流山市", "鰭ケ崎", "1", 139.913000, 35.845000),
    ("12220", "流山市", "松ケ丘一丁目", "3", 139.948000, 35.862000),
    ("12220", "流山市", "木", "1", 139.897000, 35.842000),
    ("12220", "流山市", "三輪野山三丁目", "3", 139.889000, 35.870000),
    ("12220", "流山市", "十太夫", "1", 139.944000, 35.873000),
    ("12220", "流山市", "おおたかの森西一丁目", "3", 139.917000, 35.870000),
    ("12220", "流山市", "平和台一丁目", "3", 139.903000, 35.856000),
    ("12217", "柏市", "柏一丁目", "3", 139.975000, 35.862000),
];

/// 街区 of the fixtures: (町丁目, 街区符号・地番, 住居表示フラグ, 代表フラグ, 更新後履歴フラグ, lon, lat).
pub const BLOCKS: &[(&str, &str, &str, &str, &str, f64, f64)] = &[
    ("南流山一丁目", "16", "1", "1", "0", 139.906500, 35.838500),
    // A second, non-representative point of the same 街区: not kept.
    ("南流山一丁目", "16", "1", "0", "0", 139.907000, 35.839000),
    ("南流山一丁目", "17", "1", "1", "0", 139.906800, 35.838300),
    // Deleted: not kept.
    ("南流山一丁目", "99", "1", "1", "3", 139.905000, 35.837000),
    ("鰭ケ崎", "250", "0", "1", "0", 139.913500, 35.845500),
    ("木", "300", "0", "1", "0", 139.897200, 35.842200),
    ("平和台一丁目", "5", "1", "1", "0", 139.903300, 35.856300),
];

/// ABR 住居 of the fixtures: (machiaza_id, blk_id, rsdt_id, rsdt2_id, lon, lat).
pub const RESIDENCES: &[(&str, &str, &str, &str, f64, f64)] = &[
    ("0001001", "016", "016", "", 139.906550, 35.838550),
    ("0001001", "016", "017", "", 139.906600, 35.838600),
    ("0001001", "016", "016", "02", 139.906570, 35.838570),
    ("0001001", "017", "001", "", 139.906810, 35.838310),
    ("0001002", "003", "005", "", 139.908100, 35.836100),
];

fn lat_lon(lon: f64, lat: f64) -> [String; 2] {
    [format!("{lat:.6}"), format!("{lon:.6}")]
}

/// The 大字・町丁目レベル file of [`TOWNS`].
pub fn isj_oaza_csv(enc: Enc, crlf: bool) -> Vec<u8> {
    let rows: Vec<Vec<String>> = TOWNS
        .iter()
        .enumerate()
        .map(|(i, (code, city, name, kind, lon, lat))| {
            let [la, lo] = lat_lon(*lon, *lat);
            vec![
                "12".into(),
                "千葉県".into(),
                (*code).into(),
                (*city).into(),
                format!("{code}{:07}", i + 1),
                (*name).into(),
                la,
                lo,
                "1".into(),
                (*kind).into(),
            ]
        })
        .collect();
    encode(&quoted_csv(&ISJ_OAZA_HEADER, &rows, crlf), enc)
}

/// The 街区レベル file of [`BLOCKS`] (plane coordinates are placeholders: the importer reads
/// latitude and longitude).
pub fn isj_gaiku_csv(enc: Enc, crlf: bool) -> Vec<u8> {
    let rows: Vec<Vec<String>> = BLOCKS
        .iter()
        .map(|(town, block, residential, rep, after, lon, lat)| {
            let [la, lo] = lat_lon(*lon, *lat);
            vec![
                "千葉県".into(),
                "流山市".into(),
                (*town).into(),
                String::new(),
                (*block).into(),
                "9".into(),
                "-17900.0".into(),
                "6500.0".into(),
                la,
                lo,
                (*residential).into(),
                (*rep).into(),
                "0".into(),
                (*after).into(),
            ]
        })
        .collect();
    encode(&quoted_csv(&ISJ_GAIKU_HEADER, &rows, crlf), enc)
}

/// ABR 町字マスター for 南流山一丁目 / 二丁目 (machiaza_id 0001001, 0001002).
pub fn abr_town_csv() -> Vec<u8> {
    let row = |id: &str, chome: &str| -> Vec<String> {
        ["122203", id, "2", "千葉県", "チバケン", "流山市", "", "南流山", chome, "", "1", "1970-01-01"]
            .map(String::from)
            .to_vec()
    };
    let rows = vec![row("0001001", "一丁目"), row("0001002", "二丁目")];
    encode(&csv_text(&ABR_TOWN_HEADER, &rows, false), Enc::Utf8)
}

/// The 町字 position extension: the same points as [`TOWNS`] for the two 町字.
pub fn abr_town_position_csv() -> Vec<u8> {
    let rows = vec![
        ["122203", "0001001", "35.838000", "139.906000", "EPSG:6668", "2500"].map(String::from).to_vec(),
        ["122203", "0001002", "35.836000", "139.908000", "EPSG:6668", "2500"].map(String::from).to_vec(),
    ];
    encode(&csv_text(&ABR_TOWN_POSITION_HEADER, &rows, true), Enc::Utf8Bom)
}

/// The 住居 position extension of [`RESIDENCES`].
pub fn abr_residence_position_csv() -> Vec<u8> {
    let rows: Vec<Vec<String>> = RESIDENCES
        .iter()
        .map(|(machiaza, blk, rsdt, rsdt2, lon, lat)| {
            let [la, lo] = lat_lon(*lon, *lat);
            vec![
                "122203".into(),
                (*machiaza).into(),
                (*blk).into(),
                (*rsdt).into(),
                (*rsdt2).into(),
                "1".into(),
                "1".into(),
                lo,
                la,
                "EPSG:6668".into(),
                "500".into(),
                "1".into(),
                String::new(),
                "2026-01-01".into(),
                "1".into(),
            ]
        })
        .collect();
    encode(&csv_text(&ABR_RESIDENCE_POSITION_HEADER, &rows, false), Enc::Utf8)
}

/// A CSV with every field quoted, as 位置参照情報 publishes it.
pub fn quoted_csv(header: &[&str], rows: &[Vec<String>], crlf: bool) -> String {
    let end = if crlf { "\r\n" } else { "\n" };
    let line = |cells: Vec<String>| {
        cells.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect::<Vec<_>>().join(",")
    };
    let mut out = line(header.iter().map(|h| (*h).to_owned()).collect()) + end;
    for row in rows {
        out += &(line(row.clone()) + end);
    }
    out
}
