//! 国土交通省 位置参照情報: 大字・町丁目レベル (`isj-oaza`, one point per 町字 with its city
//! code) and 街区レベル (`isj-gaiku`, one point per 街区 or 地番, cities by name). See
//! [`super::address`] for what the import does with the points.

use std::collections::{BTreeSet, HashMap};

use super::address::{AddressFileReport, Reading, column_of, lon_lat_cells, open_table, place};
use super::encoding::decode_file;
use super::table::folded;
use super::{ImportError, InputFile};
use crate::address::{AddressPoint, Level, is_town_code};
use crate::domain::LonLat;
use crate::spatial::crs::Crs;

const ISJ_OAZA_HEADER: &str = "都道府県コード,都道府県名,市区町村コード,市区町村名,大字町丁目コード,大字町丁目名,緯度,経度,原典資料コード,大字・字・丁目区分コード";

pub(super) fn read_oaza(file: &InputFile, reading: &mut Reading<'_>) -> Result<(), ImportError> {
    let (text, encoding) = decode_file(file)?;
    let mut table = open_table(
        file,
        &text,
        &[&["都道府県名"], &["市区町村コード"], &["市区町村名"], &["大字町丁目名"], &["緯度"], &["経度"]],
        ISJ_OAZA_HEADER,
    )?;
    let col = |n: &str| table.required(n);
    let (pref, code, city, name, lat, lon) =
        (col("都道府県名"), col("市区町村コード"), col("市区町村名"), col("大字町丁目名"), col("緯度"), col("経度"));
    let town_code = table.column("大字町丁目コード");
    let crs = reading.options.crs.unwrap_or(Crs::Epsg6668);
    let mut rows = 0;
    let mut raw = Vec::new();
    let mut pending = Vec::new();
    while let Some(row) = table.next_row()? {
        rows += 1;
        let city_code = folded(row.get(code));
        if city_code.len() < 5 || !city_code.bytes().all(|b| b.is_ascii_digit()) {
            reading.skip(&file.name, row.line, format!("市区町村コード '{city_code}' is not a city code"));
            continue;
        }
        if !reading.keeps(&city_code) {
            continue;
        }
        let town = folded(row.get(name));
        if town.is_empty() {
            reading.skip(&file.name, row.line, "大字町丁目名 is empty");
            continue;
        }
        match lon_lat_cells(&row, lat, lon) {
            Ok(p) => raw.push(p),
            Err(reason) => {
                reading.skip(&file.name, row.line, reason);
                continue;
            }
        }
        pending.push(AddressPoint {
            level: Level::Town,
            city_code: city_code[..5].to_owned(),
            pref: folded(row.get(pref)),
            city: folded(row.get(city)),
            town,
            block: String::new(),
            residence: String::new(),
            town_code: town_code.map(|c| folded(row.get(c))).filter(|c| is_town_code(c)).unwrap_or_default(),
            location: LonLat::TOKYO_STATION,
            source: "isj-oaza",
        });
    }
    place(&file.name, crs, raw, pending, reading)?;
    reading.report.files.push(AddressFileReport { file: file.name.clone(), encoding, kind: "isj-oaza", rows });
    Ok(())
}

const ISJ_GAIKU_HEADER: &str = "都道府県名,市区町村名,大字・町丁目名,小字・通称名,街区符号・地番,座標系番号,Ｘ座標,Ｙ座標,緯度,経度,住居表示フラグ,代表フラグ,更新前履歴フラグ,更新後履歴フラグ";

pub(super) fn read_gaiku(
    file: &InputFile,
    known: &HashMap<(String, String), String>,
    reading: &mut Reading<'_>,
) -> Result<(), ImportError> {
    let (text, encoding) = decode_file(file)?;
    let mut table = open_table(
        file,
        &text,
        &[
            &["都道府県名"],
            &["市区町村名"],
            &["大字・町丁目名", "大字・丁目名"],
            &["街区符号・地番"],
            &["緯度"],
            &["経度"],
        ],
        ISJ_GAIKU_HEADER,
    )?;
    let (pref, city, lat, lon, block) = (
        table.required("都道府県名"),
        table.required("市区町村名"),
        table.required("緯度"),
        table.required("経度"),
        table.required("街区符号・地番"),
    );
    let oaza = column_of(&table, &["大字・町丁目名", "大字・丁目名"]).unwrap_or(usize::MAX);
    let koaza = table.column("小字・通称名");
    let representative = table.column("代表フラグ");
    let after = table.column("更新後履歴フラグ");
    let crs = reading.options.crs.unwrap_or(Crs::Epsg6668);
    let mut rows = 0;
    // One point per 街区: the representative one where a 街区 has several.
    let mut chosen: HashMap<(String, String, String), (usize, bool)> = HashMap::new();
    let mut raw = Vec::new();
    let mut pending: Vec<AddressPoint> = Vec::new();
    let mut unknown_cities = BTreeSet::new();
    while let Some(row) = table.next_row()? {
        rows += 1;
        if after.is_some_and(|c| folded(row.get(c)) == "3") {
            reading.skip(&file.name, row.line, "deleted 街区 (更新後履歴フラグ 3)");
            continue;
        }
        let (pref_name, city_name) = (folded(row.get(pref)), folded(row.get(city)));
        let Some(city_code) = known.get(&(pref_name.clone(), city_name.clone())) else {
            unknown_cities.insert(format!("{pref_name}{city_name}"));
            continue;
        };
        if !reading.keeps(city_code) {
            continue;
        }
        let mut town = folded(row.get(oaza));
        if let Some(k) = koaza {
            town.push_str(&folded(row.get(k)));
        }
        let block_no = folded(row.get(block));
        if town.is_empty() || block_no.is_empty() {
            reading.skip(&file.name, row.line, "大字・町丁目名 or 街区符号・地番 is empty");
            continue;
        }
        if block_no.contains([',', '.']) {
            // Recent releases list several 地番 in one cell ("24,29"): no single point.
            reading.skip(&file.name, row.line, format!("街区符号・地番 '{block_no}' is not one 街区 or 地番"));
            continue;
        }
        let position = match lon_lat_cells(&row, lat, lon) {
            Ok(p) => p,
            Err(reason) => {
                reading.skip(&file.name, row.line, reason);
                continue;
            }
        };
        let is_rep = representative.is_none_or(|c| folded(row.get(c)) == "1");
        let key = (city_code.clone(), town.clone(), block_no.clone());
        let point = AddressPoint {
            level: Level::Block,
            city_code: city_code.clone(),
            pref: pref_name,
            city: city_name,
            town,
            block: block_no,
            residence: String::new(),
            town_code: String::new(),
            location: LonLat::TOKYO_STATION,
            source: "isj-gaiku",
        };
        match chosen.get(&key) {
            Some(&(_, true)) => {}
            Some(&(i, false)) if is_rep => {
                pending[i] = point;
                raw[i] = position;
                chosen.insert(key, (i, true));
            }
            Some(_) => {}
            None => {
                chosen.insert(key, (pending.len(), is_rep));
                pending.push(point);
                raw.push(position);
            }
        }
    }
    if !unknown_cities.is_empty() {
        return Err(ImportError::Invalid {
            file: file.name.clone(),
            reason: format!(
                "the 街区 file has no city codes and these cities are not stored yet: {}; import the \
                 prefecture's 大字・町丁目 file first (--source isj-oaza), which gives each city its code",
                unknown_cities.into_iter().collect::<Vec<_>>().join(", ")
            ),
        });
    }
    place(&file.name, crs, raw, pending, reading)?;
    reading.report.files.push(AddressFileReport { file: file.name.clone(), encoding, kind: "isj-gaiku", rows });
    Ok(())
}
