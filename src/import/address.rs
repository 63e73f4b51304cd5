//! `caremap import --source isj-oaza | isj-gaiku | abr`: address points from the official files.
//!
//! - `isj-oaza`: 国土交通省 位置参照情報 大字・町丁目レベル (10 columns; one point per 町字,
//!   with the 5-digit 市区町村コード).
//! - `isj-gaiku`: 位置参照情報 街区レベル (14 columns; one point per 街区 or 地番). The file
//!   has no city codes, so its cities are found by prefecture and city name among the cities
//!   already stored (import the prefecture's `isj-oaza` file first; the sample holds 流山市).
//!   A row flagged deleted (更新後履歴フラグ 3) is skipped; where a 街区 has several points the
//!   representative one (代表フラグ 1) is kept.
//! - `abr`: デジタル庁 アドレス・ベース・レジストリ, UTF-8 CSV with English headers. Each file
//!   is recognised by its columns: 町字マスター (`oaza_cho`), its position extension
//!   (`machiaza_id` with `rep_lat`, no names), and 住居表示-住居マスター or its position
//!   extension (`blk_id`, `rsdt_id`). Give the 町字マスター in the same run as the 住居 files:
//!   a 住居 row finds its 町字 by `lg_code` + `machiaza_id`.
//!
//! Files may be Shift_JIS or UTF-8 (with or without BOM), CRLF or LF, with quoted fields.
//! Latitude and longitude are on the file's datum (`rep_srid` in ABR; `--crs`, default
//! JGD2011 EPSG:6668, for 位置参照情報; JGD2000 is EPSG:4612) and go through PROJ to WGS84.
//! Every file is read before anything is written; a missing required column stops the import
//! naming the column, and the database is unchanged. Then the points replace, in one
//! transaction, the stored points of the same source (and the sample's) in the cities read.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use serde::Serialize;

use super::encoding::decode_file;
use super::fields::{CityCode, checked};
use super::table::{CsvTable, Row, folded};
use super::{Encoding, ImportError, InputFile};
use crate::address::{AddressPoint, Level};
use crate::domain::LonLat;
use crate::spatial::crs::{Crs, convert};
use crate::store::Store;

/// The address formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressSource {
    /// 位置参照情報 大字・町丁目レベル.
    IsjOaza,
    /// 位置参照情報 街区レベル.
    IsjGaiku,
    /// アドレス・ベース・レジストリ.
    Abr,
}

impl AddressSource {
    /// Every address source.
    pub const ALL: [AddressSource; 3] = [AddressSource::IsjOaza, AddressSource::IsjGaiku, AddressSource::Abr];

    /// The CLI and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AddressSource::IsjOaza => "isj-oaza",
            AddressSource::IsjGaiku => "isj-gaiku",
            AddressSource::Abr => "abr",
        }
    }

    /// Parses the CLI name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// How to run an address import.
#[derive(Debug, Clone)]
pub struct AddressOptions {
    /// The format of every file.
    pub source: AddressSource,
    /// Report only.
    pub dry_run: bool,
    /// Keep only this city's rows.
    pub city: Option<CityCode>,
    /// Datum of 位置参照情報 coordinates (default JGD2011) and of ABR rows without `rep_srid`.
    pub crs: Option<Crs>,
}

/// Most skipped rows listed one by one in a report (all are counted).
pub const SKIPPED_LISTED: usize = 100;

/// One file read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AddressFileReport {
    /// The file.
    pub file: String,
    /// How it was decoded.
    pub encoding: Encoding,
    /// What it was read as (`isj-oaza`, `abr 町字マスター` …).
    pub kind: &'static str,
    /// Data rows read.
    pub rows: usize,
}

/// A row left out, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AddressSkipped {
    /// The file.
    pub file: String,
    /// Its line (the header is line 1).
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// The report of an address import.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AddressReport {
    /// The source.
    pub source: &'static str,
    /// Nothing was written.
    pub dry_run: bool,
    /// Each file.
    pub files: Vec<AddressFileReport>,
    /// The cities the points are in (five-digit codes): their points of this source (and the
    /// sample's) are replaced.
    pub cities: Vec<String>,
    /// 町字 points.
    pub towns: usize,
    /// 街区 points.
    pub blocks: usize,
    /// 住居 points.
    pub residences: usize,
    /// Rows left out (of other cities with `--city`, deleted, without coordinates …).
    pub skipped_count: usize,
    /// The first [`SKIPPED_LISTED`] of them.
    pub skipped: Vec<AddressSkipped>,
}

impl fmt::Display for AddressReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run { "would store (dry run)" } else { "stored" };
        writeln!(f, "address points ({}) from {} file(s): {verb}", self.source, self.files.len())?;
        for file in &self.files {
            writeln!(f, "  {} ({}, {}): {} rows", file.file, file.kind, file.encoding, file.rows)?;
        }
        writeln!(
            f,
            "  町字 {}, 街区 {}, 住居 {} in {} city(ies) {}",
            self.towns,
            self.blocks,
            self.residences,
            self.cities.len(),
            self.cities.join(", ")
        )?;
        writeln!(f, "  skipped {}", self.skipped_count)?;
        for s in &self.skipped {
            writeln!(f, "    {}:{}: {}", s.file, s.line, s.reason)?;
        }
        Ok(())
    }
}

/// Reads every file and, unless a dry run, stores the points in one transaction.
///
/// # Errors
/// [`ImportError`] naming the file (and column or line) of the first problem; nothing is
/// written then.
pub fn import(store: &dyn Store, options: &AddressOptions, files: &[InputFile]) -> Result<AddressReport, ImportError> {
    let known = known_cities(store)?;
    let (points, report) = read(options, files, &known)?;
    if !options.dry_run {
        store.replace_addresses(options.source.as_str(), &report.cities, &points)?;
    }
    Ok(report)
}

/// (prefecture, city) names → city code of every stored point, for 街区 files (which have
/// no codes).
pub fn known_cities(store: &dyn Store) -> Result<HashMap<(String, String), String>, ImportError> {
    let mut known = HashMap::new();
    // Rows come by city (the table's key starts with it): one insert per city.
    let mut last = String::new();
    store.for_each_address(&mut |p| {
        if p.city_code != last {
            last.clone_from(&p.city_code);
            known.entry((p.pref.clone(), p.city.clone())).or_insert_with(|| p.city_code.clone());
        }
    })?;
    Ok(known)
}

/// What reading collects.
struct Reading<'a> {
    options: &'a AddressOptions,
    points: Vec<AddressPoint>,
    report: AddressReport,
}

impl Reading<'_> {
    fn skip(&mut self, file: &str, line: u64, reason: impl Into<String>) {
        self.report.skipped_count += 1;
        if self.report.skipped.len() < SKIPPED_LISTED {
            self.report.skipped.push(AddressSkipped { file: file.to_owned(), line, reason: reason.into() });
        }
    }

    fn keeps(&self, city_code: &str) -> bool {
        self.options.city.as_ref().is_none_or(|c| c.matches(city_code))
    }
}

/// Parses the files (no database access). `known` maps (prefecture, city) names to codes
/// for the 街区 files.
///
/// # Errors
/// As [`import`].
pub fn read(
    options: &AddressOptions,
    files: &[InputFile],
    known: &HashMap<(String, String), String>,
) -> Result<(Vec<AddressPoint>, AddressReport), ImportError> {
    if files.is_empty() {
        return Err(ImportError::Options { name: "file", reason: "no files to import".into() });
    }
    if let Some(crs) = options.crs
        && !matches!(crs, Crs::Epsg6668 | Crs::Epsg4612 | Crs::Epsg4326 | Crs::Crs84)
    {
        return Err(ImportError::Options {
            name: "crs",
            reason: format!(
                "--crs for address files is the datum of their latitude and longitude: EPSG:6668 (JGD2011, the default) or EPSG:4612 (JGD2000), not {}",
                crs.uri()
            ),
        });
    }
    let mut reading = Reading {
        options,
        points: Vec::new(),
        report: AddressReport {
            source: options.source.as_str(),
            dry_run: options.dry_run,
            files: Vec::new(),
            cities: Vec::new(),
            towns: 0,
            blocks: 0,
            residences: 0,
            skipped_count: 0,
            skipped: Vec::new(),
        },
    };
    match options.source {
        AddressSource::IsjOaza => {
            for file in files {
                read_isj_oaza(file, &mut reading)?;
            }
        }
        AddressSource::IsjGaiku => {
            for file in files {
                read_isj_gaiku(file, known, &mut reading)?;
            }
        }
        AddressSource::Abr => read_abr(files, &mut reading)?,
    }
    let mut cities = BTreeSet::new();
    for p in &reading.points {
        cities.insert(p.city_code.clone());
        match p.level {
            Level::Town => reading.report.towns += 1,
            Level::Block => reading.report.blocks += 1,
            _ => reading.report.residences += 1,
        }
    }
    reading.report.cities = cities.into_iter().collect();
    Ok((reading.points, reading.report))
}

/// Finds the first of `names` in the header.
pub(super) fn column_of(table: &CsvTable<'_>, names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| table.column(n))
}

/// Opens a table and checks that each group of alternative names has one in the header.
pub(super) fn open_table<'a>(
    file: &'a InputFile,
    text: &'a str,
    required: &[&[&str]],
    expected: &str,
) -> Result<CsvTable<'a>, ImportError> {
    let table = CsvTable::open(&file.name, text, &[], expected)?;
    let missing: Vec<String> =
        required.iter().filter(|alts| column_of(&table, alts).is_none()).map(|alts| alts.join(" / ")).collect();
    if !missing.is_empty() {
        return Err(ImportError::Header {
            file: file.name.clone(),
            missing,
            expected: expected.to_owned(),
            found: text.lines().next().unwrap_or("").trim_start_matches('\u{feff}').to_owned(),
        });
    }
    Ok(table)
}

/// Converts the points read from one file (lon, lat on `crs`) to WGS84.
fn to_wgs84(file: &str, crs: Crs, raw: &mut [(f64, f64)]) -> Result<(), ImportError> {
    convert(crs, Crs::Crs84, raw).map_err(|e| ImportError::Invalid { file: file.to_owned(), reason: e.to_string() })
}

/// Latitude and longitude cells as (lon, lat) numbers, or the reason they are unusable.
fn lon_lat_cells(row: &Row<'_>, lat: usize, lon: usize) -> Result<(f64, f64), String> {
    let p = super::fields::position(row.get(lat), row.get(lon))?;
    Ok((p.lon(), p.lat()))
}

const ISJ_OAZA_HEADER: &str = "都道府県コード,都道府県名,市区町村コード,市区町村名,大字町丁目コード,大字町丁目名,緯度,経度,原典資料コード,大字・字・丁目区分コード";

fn read_isj_oaza(file: &InputFile, reading: &mut Reading<'_>) -> Result<(), ImportError> {
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
            location: LonLat::TOKYO_STATION,
            source: "isj-oaza",
        });
    }
    place(&file.name, crs, raw, pending, reading)?;
    reading.report.files.push(AddressFileReport { file: file.name.clone(), encoding, kind: "isj-oaza", rows });
    Ok(())
}

/// Converts `raw` and stores each position in its point.
fn place(
    file: &str,
    crs: Crs,
    mut raw: Vec<(f64, f64)>,
    pending: Vec<AddressPoint>,
    reading: &mut Reading<'_>,
) -> Result<(), ImportError> {
    to_wgs84(file, crs, &mut raw)?;
    for (mut p, (lon, lat)) in pending.into_iter().zip(raw) {
        match checked(lon, lat) {
            Ok(location) => {
                p.location = location;
                reading.points.push(p);
            }
            Err(reason) => reading.skip(file, 0, reason),
        }
    }
    Ok(())
}

const ISJ_GAIKU_HEADER: &str = "都道府県名,市区町村名,大字・町丁目名,小字・通称名,街区符号・地番,座標系番号,Ｘ座標,Ｙ座標,緯度,経度,住居表示フラグ,代表フラグ,更新前履歴フラグ,更新後履歴フラグ";

fn read_isj_gaiku(
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

/// A 町字 of the ABR: names from the 町字マスター, position from it or its extension.
#[derive(Debug, Default, Clone)]
struct AbrTown {
    pref: String,
    city: String,
    name: String,
    position: Option<(f64, f64, Crs)>,
}

/// An ABR 住居: numbers from the 住居マスター (or its ids), position from the extension.
#[derive(Debug, Default, Clone)]
struct AbrResidence {
    file: usize,
    line: u64,
    block: String,
    residence: String,
    position: Option<(f64, f64, Crs)>,
}

const ABR_TOWN_HEADER: &str = "lg_code,machiaza_id,machiaza_type,pref,…,city,…,ward,…,oaza_cho,…,chome,…,koaza,… (町字マスター) or lg_code,machiaza_id,rep_lat,rep_lon,rep_srid (its position extension)";
const ABR_RESIDENCE_HEADER: &str =
    "lg_code,machiaza_id,blk_id,rsdt_id,rsdt2_id,…,rep_lat,rep_lon,rep_srid (住居表示-住居マスター position extension)";

fn read_abr(files: &[InputFile], reading: &mut Reading<'_>) -> Result<(), ImportError> {
    let default_crs = reading.options.crs.unwrap_or(Crs::Epsg6668);
    let mut towns: HashMap<(String, String), AbrTown> = HashMap::new();
    let mut residences: HashMap<(String, String, String, String, String), AbrResidence> = HashMap::new();
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
            let town_key = (lg_code.clone(), folded(row.get(machiaza)));
            if is_residence {
                let numbered = |num: Option<usize>, id: Option<usize>| {
                    let v = cell(num);
                    if v.is_empty() { cell(id) } else { v }
                };
                let block = numbered(blk_num, blk_id);
                let first = numbered(rsdt_num, rsdt_id);
                let second = numbered(rsdt_num2, rsdt2_id);
                let key = (town_key.0.clone(), town_key.1.clone(), cell(blk_id), cell(rsdt_id), cell(rsdt2_id));
                let entry = residences.entry(key).or_default();
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
    let mut town_list: Vec<(&(String, String), &AbrTown)> = towns.iter().collect();
    town_list.sort_by(|a, b| a.0.cmp(b.0));
    for ((lg_code, machiaza_id), town) in &town_list {
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
    let mut residence_list: Vec<_> = residences.into_iter().collect();
    residence_list.sort_by(|a, b| a.0.cmp(&b.0));
    for ((lg_code, machiaza_id, ..), r) in residence_list {
        let file = &files[r.file].name;
        let Some(town) = towns.get(&(lg_code.clone(), machiaza_id.clone())).filter(|t| !t.name.is_empty()) else {
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
        bucket.1.push(abr_point(Level::Residence, &lg_code, town, r.block, r.residence));
    }
    for (crs, (raw, pending)) in by_crs {
        place("abr", crs, raw, pending, reading)?;
    }
    Ok(())
}

/// Positions on one datum (lon, lat) and the points they belong to, before conversion.
type Pending = (Vec<(f64, f64)>, Vec<AddressPoint>);

fn abr_point(level: Level, lg_code: &str, town: &AbrTown, block: String, residence: String) -> AddressPoint {
    AddressPoint {
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
