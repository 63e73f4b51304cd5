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

use super::fields::{CityCode, checked};
use super::table::{CsvTable, Row};
use super::{Encoding, ImportError, InputFile};
use crate::address::{AddressPoint, Level};
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
pub(super) struct Reading<'a> {
    pub(super) options: &'a AddressOptions,
    pub(super) points: Vec<AddressPoint>,
    pub(super) report: AddressReport,
}

impl Reading<'_> {
    pub(super) fn skip(&mut self, file: &str, line: u64, reason: impl Into<String>) {
        self.report.skipped_count += 1;
        if self.report.skipped.len() < SKIPPED_LISTED {
            self.report.skipped.push(AddressSkipped { file: file.to_owned(), line, reason: reason.into() });
        }
    }

    pub(super) fn keeps(&self, city_code: &str) -> bool {
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
                super::isj::read_oaza(file, &mut reading)?;
            }
        }
        AddressSource::IsjGaiku => {
            for file in files {
                super::isj::read_gaiku(file, known, &mut reading)?;
            }
        }
        AddressSource::Abr => super::abr::read(files, &mut reading)?,
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
pub(super) fn to_wgs84(file: &str, crs: Crs, raw: &mut [(f64, f64)]) -> Result<(), ImportError> {
    convert(crs, Crs::Crs84, raw).map_err(|e| ImportError::Invalid { file: file.to_owned(), reason: e.to_string() })
}

/// Latitude and longitude cells as (lon, lat) numbers, or the reason they are unusable.
pub(super) fn lon_lat_cells(row: &Row<'_>, lat: usize, lon: usize) -> Result<(f64, f64), String> {
    let p = super::fields::position(row.get(lat), row.get(lon))?;
    Ok((p.lon(), p.lat()))
}

/// Converts `raw` and stores each position in its point.
pub(super) fn place(
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
