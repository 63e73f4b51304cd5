//! The sample's address points: invented 町丁目 of Nagareyama with approximate centroids, and a
//! few 街区, written in the 国土交通省 位置参照情報 layouts (大字・町丁目レベル and 街区レベル) so
//! the importers read them like real files. The towns are the sample's town names; their 丁目
//! counts, codes and every position are made up and only roughly where the towns are. Served
//! with `source: "sample"` and `approximate: true`.

use crate::spatial::crs::{Crs, convert};

/// File of the sample's 町丁目 (大字・町丁目レベル layout).
pub const OAZA_FILE: &str = "address_sample_oaza.csv";
/// File of the sample's 街区 (街区レベル layout).
pub const GAIKU_FILE: &str = "address_sample_gaiku.csv";

/// Invented 丁目 counts of the sample towns (towns not listed have no 丁目).
const CHOME: &[(&str, u32)] = &[
    ("南流山", 8),
    ("流山", 9),
    ("平和台", 5),
    ("加", 6),
    ("美原", 4),
    ("松ケ丘", 6),
    ("富士見台", 2),
    ("南柏", 2),
    ("向小金", 4),
    ("西初石", 6),
    ("東初石", 6),
    ("江戸川台東", 4),
    ("江戸川台西", 4),
    ("おおたかの森東", 4),
    ("おおたかの森西", 4),
    ("おおたかの森南", 3),
    ("おおたかの森北", 3),
];

/// 町丁目 (by name) that get 街区 1–12 in the sample, and 地番 for a town without 丁目.
const BLOCKS: &[&str] = &["南流山一丁目", "平和台一丁目", "おおたかの森西一丁目", "鰭ケ崎"];

const KANJI: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// 1–99 in kanji as 丁目 are written (「十六」).
fn kanji(n: u32) -> String {
    let (tens, ones) = (n / 10, n % 10);
    let mut out = String::new();
    if tens > 1 {
        out.push_str(KANJI[tens as usize]);
    }
    if tens > 0 {
        out.push('十');
    }
    if ones > 0 {
        out.push_str(KANJI[ones as usize]);
    }
    out
}

/// `(lon, lat)` moved by `east_m` and `north_m` (flat approximation, fine over a few hundred
/// metres).
fn offset((lon, lat): (f64, f64), east_m: f64, north_m: f64) -> (f64, f64) {
    let m_per_deg_lat = 110_950.0;
    let m_per_deg_lon = 111_320.0 * lat.to_radians().cos();
    (lon + east_m / m_per_deg_lon, lat + north_m / m_per_deg_lat)
}

/// Every sample 町丁目: (name, code, point).
pub fn towns() -> Vec<(String, String, (f64, f64))> {
    let mut out = Vec::new();
    for (i, (name, _, lon, lat)) in super::TOWNS.iter().enumerate() {
        let chome = CHOME.iter().find(|(n, _)| n == name).map_or(0, |c| c.1);
        if chome == 0 {
            out.push(((*name).to_owned(), format!("12220{:04}000", i + 1), (*lon, *lat)));
            continue;
        }
        for k in 1..=chome {
            // On a spiral around the town's point, 丁目 1 nearest.
            let angle = f64::from(k) * std::f64::consts::TAU / f64::from(chome.max(3));
            let radius = 120.0 + 45.0 * f64::from(k);
            let p = offset((*lon, *lat), radius * angle.cos(), radius * angle.sin());
            out.push((format!("{name}{}丁目", kanji(k)), format!("12220{:04}{k:03}", i + 1), p));
        }
    }
    out
}

/// Every sample 街区: (町丁目 name, 街区 number, point).
pub fn blocks() -> Vec<(String, u32, (f64, f64))> {
    let towns = towns();
    let mut out = Vec::new();
    for name in BLOCKS {
        let Some((_, _, centre)) = towns.iter().find(|t| t.0 == *name) else { continue };
        let first = if name.ends_with("丁目") { 1 } else { 101 };
        for n in 0..12u32 {
            // A 4 × 3 grid, 70 m apart.
            let (col, row) = (f64::from(n % 4) - 1.5, f64::from(n / 4) - 1.0);
            out.push(((*name).to_owned(), first + n, offset(*centre, col * 70.0, row * 70.0)));
        }
    }
    out
}

fn quoted(cells: &[String]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
    cells.join(",") + "\r\n"
}

/// The sample 町丁目 as a 大字・町丁目レベル file (UTF-8, CRLF, quoted like the published ones).
#[must_use]
pub fn oaza_csv() -> String {
    let mut out = quoted(
        &[
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
        ]
        .map(String::from),
    );
    for (name, code, (lon, lat)) in towns() {
        let kind = if name.ends_with("丁目") { "3" } else { "1" };
        out.push_str(&quoted(&[
            "12".into(),
            "千葉県".into(),
            "12220".into(),
            "流山市".into(),
            code,
            name,
            format!("{lat:.6}"),
            format!("{lon:.6}"),
            "0".into(),
            kind.into(),
        ]));
    }
    out
}

/// The sample 街区 as a 街区レベル file, with plane-rectangular zone IX coordinates.
#[must_use]
pub fn gaiku_csv() -> String {
    let mut out = quoted(
        &[
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
        ]
        .map(String::from),
    );
    for (town, number, (lon, lat)) in blocks() {
        let mut plane = [(lon, lat)];
        let (x, y) = match convert(Crs::Crs84, Crs::Epsg6677, &mut plane) {
            Ok(()) => (plane[0].1, plane[0].0),
            Err(_) => (0.0, 0.0),
        };
        let residential = if town.ends_with("丁目") { "1" } else { "0" };
        out.push_str(&quoted(&[
            "千葉県".into(),
            "流山市".into(),
            town,
            String::new(),
            number.to_string(),
            "9".into(),
            format!("{x:.1}"),
            format!("{y:.1}"),
            format!("{lat:.6}"),
            format!("{lon:.6}"),
            residential.into(),
            "1".into(),
            "0".into(),
            "0".into(),
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chome_numbers_are_written_in_kanji() {
        assert_eq!(
            [kanji(1), kanji(9), kanji(10), kanji(16), kanji(20), kanji(99)],
            ["一", "九", "十", "十六", "二十", "九十九"]
        );
    }

    #[test]
    fn every_sample_town_and_block_is_inside_the_city_outline() {
        use geo::Contains;
        let city = super::super::city_outline();
        for (name, _, (lon, lat)) in towns() {
            assert!(city.contains(&geo::Point::new(lon, lat)), "{name}");
        }
        assert_eq!(blocks().len(), 48);
    }

    #[test]
    fn the_sample_files_are_the_same_every_time() {
        assert_eq!((oaza_csv(), gaiku_csv()), (oaza_csv(), gaiku_csv()));
    }
}
