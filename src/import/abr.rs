//! デジタル庁 アドレス・ベース・レジストリ (`abr`): 町字マスター, its position extension, and
//! 住居表示-住居マスター with its position extension, each recognised by its columns. 住居 rows
//! find their 町字 by `lg_code` + `machiaza_id`. See [`super::address`] for the rest.

use std::collections::HashMap;

use super::address::{AddressFileReport, Reading, lon_lat_cells, open_table, place};
use super::encoding::decode_file;
use super::table::{CsvTable, folded};
use super::{ImportError, InputFile};
use crate::address::{AddressPoint, Level, is_town_code};
use crate::domain::LonLat;
use crate::spatial::crs::Crs;

/// A 町字 of the ABR: names from the 町字マスター, position from it or its extension.
#[derive(Debug, Default, Clone)]
struct AbrTown {
    pref: String,
    city: String,
    name: String,
    /// `lg_code` and `machiaza_id` joined (13 digits), when both have their published shape.
    code: String,
    position: Option<(f64, f64, Crs)>,
}

/// An ABR 住居: numbers from the 住居マスター (or its ids), position from the extension.
#[derive(Debug, Default, Clone)]
struct AbrResidence {
    /// Its 町字's key in the towns map ([`town_key`]).
    town: String,
    file: usize,
    line: u64,
    block: String,
    residence: String,
    position: Option<(f64, f64, Crs)>,
}

const ABR_TOWN_HEADER: &str = "lg_code,machiaza_id,machiaza_type,pref,…,city,…,ward,…,oaza_cho,…,chome,…,koaza,… (町字マスター) or lg_code,machiaza_id,rep_lat,rep_lon,rep_srid (its position extension)";
const ABR_RESIDENCE_HEADER: &str =
    "lg_code,machiaza_id,blk_id,rsdt_id,rsdt2_id,…,rep_lat,rep_lon,rep_srid (住居表示-住居マスター position extension)";

pub(super) fn read(files: &[InputFile], reading: &mut Reading<'_>) -> Result<(), ImportError> {
    let default_crs = reading.options.crs.unwrap_or(Crs::Epsg6668);
    let mut towns: HashMap<String, AbrTown> = HashMap::new();
    // 住居 in the order first seen (so the output follows the files, with no sort of 2 M rows),
    // found again by their ids when a second file (住居マスター and its position extension) names
    // them: one joined key per 住居 instead of five strings.
    let mut residences: Vec<AbrResidence> = Vec::new();
    let mut residence_at: HashMap<String, usize> = HashMap::new();
    for (file_index, file) in files.iter().enumerate() {
        let (text, encoding) = decode_file(file)?;
        let probe = CsvTable::open(&file.name, &text, &[], ABR_TOWN_HEADER)?;
        let is_residence = probe.column("rsdt_id").is_some() || probe.column("blk_id").is_some();
        let is_town_master = probe.column("oaza_cho").is_some();
        drop(probe);
        let (mut table, kind) = if is_residence {
            let t = open_table(
                file,
                &text,
                &[&["lg_code"], &["machiaza_id"], &["blk_id"], &["rsdt_id"]],
                ABR_RESIDENCE_HEADER,
            )?;
            (t, "abr 住居")
        } else if is_town_master {
            let t = open_table(
                file,
                &text,
                &[&["lg_code"], &["machiaza_id"], &["pref"], &["city"], &["oaza_cho"]],
                ABR_TOWN_HEADER,
            )?;
            (t, "abr 町字マスター")
        } else {
            let t = open_table(
                file,
                &text,
                &[&["lg_code"], &["machiaza_id"], &["rep_lat"], &["rep_lon"]],
                ABR_TOWN_HEADER,
            )?;
            (t, "abr 町字 位置参照拡張")
        };
        let col = |n: &str| table.column(n);
        let (lg, machiaza) = (table.required("lg_code"), table.required("machiaza_id"));
        let (lat, lon, srid) = (col("rep_lat"), col("rep_lon"), col("rep_srid"));
        let (pref, city, ward, oaza, chome, koaza) =
            (col("pref"), col("city"), col("ward"), col("oaza_cho"), col("chome"), col("koaza"));
        let (blk_id, rsdt_id, rsdt2_id) = (col("blk_id"), col("rsdt_id"), col("rsdt2_id"));
        let (blk_num, rsdt_num, rsdt_num2) = (col("blk_num"), col("rsdt_num"), col("rsdt_num2"));
        let mut rows = 0;
        while let Some(row) = table.next_row()? {
            rows += 1;
            let cell = |c: Option<usize>| c.map(|c| folded(row.get(c))).unwrap_or_default();
            let lg_code = folded(row.get(lg));
            if lg_code.len() < 5 || !lg_code.bytes().all(|b| b.is_ascii_digit()) {
                reading.skip(&file.name, row.line, format!("lg_code '{lg_code}' is not a city code"));
                continue;
            }
            if !reading.keeps(&lg_code) {
                continue;
            }
            let position = match (lat, lon) {
                (Some(lat), Some(lon)) if !cell(Some(lat)).is_empty() => {
                    let crs = match srid.map(|s| folded(row.get(s))).filter(|s| !s.is_empty()) {
                        Some(s) => match Crs::parse(&s) {
                            Ok(c) => c,
                            Err(e) => {
                                reading.skip(&file.name, row.line, format!("rep_srid: {e}"));
                                continue;
                            }
                        },
                        None => default_crs,
                    };
                    match lon_lat_cells(&row, lat, lon) {
                        Ok((x, y)) => Some((x, y, crs)),
                        Err(reason) => {
                            reading.skip(&file.name, row.line, reason);
                            continue;
                        }
                    }
                }
                _ => None,
            };
            let town_key = town_key(&lg_code, &folded(row.get(machiaza)));
            if is_residence {
                let numbered = |num: Option<usize>, id: Option<usize>| {
                    let v = cell(num);
                    if v.is_empty() { cell(id) } else { v }
                };
                let block = numbered(blk_num, blk_id);
                let first = numbered(rsdt_num, rsdt_id);
                let second = numbered(rsdt_num2, rsdt2_id);
                let key = format!("{town_key}{SEP}{}{SEP}{}{SEP}{}", cell(blk_id), cell(rsdt_id), cell(rsdt2_id));
                let at = *residence_at.entry(key).or_insert_with(|| {
                    residences.push(AbrResidence { town: town_key, ..AbrResidence::default() });
                    residences.len() - 1
                });
                let entry = &mut residences[at];
                entry.file = file_index;
                entry.line = row.line;
                // The 住居マスター's numbers win over the ids of its position extension.
                if entry.block.is_empty() || blk_num.is_some() {
                    entry.block = block;
                }
                if entry.residence.is_empty() || rsdt_num.is_some() {
                    let second = second.trim_start_matches('0');
                    entry.residence = if second.is_empty() { first } else { format!("{first}-{second}") };
                }
                if position.is_some() {
                    entry.position = position;
                }
            } else {
                let entry = towns.entry(town_key).or_default();
                if is_town_master {
                    let code = format!("{lg_code}{}", cell(Some(machiaza)));
                    entry.code = if is_town_code(&code) && lg_code.len() == 6 { code } else { String::new() };
                    entry.pref = cell(pref);
                    entry.city = format!("{}{}", cell(city), cell(ward));
                    entry.name = format!("{}{}{}", cell(oaza), cell(chome), cell(koaza));
                }
                if position.is_some() {
                    entry.position = position;
                }
            }
        }
        reading.report.files.push(AddressFileReport { file: file.name.clone(), encoding, kind, rows });
    }
    // Towns with names and positions; then 住居 by their town.
    let mut by_crs: HashMap<Crs, Pending> = HashMap::new();
    let mut town_list: Vec<(&String, &AbrTown)> = towns.iter().collect();
    town_list.sort_by(|a, b| a.0.cmp(b.0));
    for (key, town) in &town_list {
        let (lg_code, machiaza_id) = split_town_key(key);
        if town.name.is_empty() {
            reading.skip(
                "abr",
                0,
                format!("町字 {lg_code} {machiaza_id} has a position but is not in the 町字マスター given"),
            );
            continue;
        }
        let Some((x, y, crs)) = town.position else {
            // Its 住居 can still be found; the 町字 is placed at their mean.
            continue;
        };
        let bucket = by_crs.entry(crs).or_default();
        bucket.0.push((x, y));
        bucket.1.push(abr_point(Level::Town, lg_code, town, String::new(), String::new()));
    }
    drop(residence_at);
    for r in residences {
        let file = &files[r.file].name;
        let (lg_code, machiaza_id) = split_town_key(&r.town);
        let Some(town) = towns.get(&r.town).filter(|t| !t.name.is_empty()) else {
            reading.skip(
                file,
                r.line,
                format!("町字 {lg_code} {machiaza_id} is not in the 町字マスター given with this file"),
            );
            continue;
        };
        let Some((x, y, crs)) = r.position else {
            reading.skip(file, r.line, "no position (give the 住居 position extension file too)");
            continue;
        };
        let bucket = by_crs.entry(crs).or_default();
        bucket.0.push((x, y));
        bucket.1.push(abr_point(Level::Residence, lg_code, town, r.block, r.residence));
    }
    for (crs, (raw, pending)) in by_crs {
        place("abr", crs, raw, pending, reading)?;
    }
    Ok(())
}

/// Separates the ids inside a joined key (a control character: never in a folded cell).
const SEP: char = '\u{1f}';

/// The key of a 町字: its city code and 町字 id, joined.
fn town_key(lg_code: &str, machiaza_id: &str) -> String {
    format!("{lg_code}{SEP}{machiaza_id}")
}

/// The city code and 町字 id of a [`town_key`].
fn split_town_key(key: &str) -> (&str, &str) {
    key.split_once(SEP).unwrap_or((key, ""))
}

/// Positions on one datum (lon, lat) and the points they belong to, before conversion.
type Pending = (Vec<(f64, f64)>, Vec<AddressPoint>);

fn abr_point(level: Level, lg_code: &str, town: &AbrTown, block: String, residence: String) -> AddressPoint {
    AddressPoint {
        town_code: if level == Level::Town { town.code.clone() } else { String::new() },
        level,
        city_code: lg_code[..5].to_owned(),
        pref: town.pref.clone(),
        city: town.city.clone(),
        town: town.name.clone(),
        block,
        residence,
        location: LonLat::TOKYO_STATION,
        source: "abr",
    }
}
