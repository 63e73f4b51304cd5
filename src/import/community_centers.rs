//! `caremap import --source community-centers`: the city's list of 地域包括支援センター with the
//! 町丁目 each is responsible for. One CSV (UTF-8 or Shift_JIS), one row per centre:
//!
//! ```text
//! id,name,address,phone,lon,lat,areas
//! south,流山市南部地域包括支援センター,千葉県流山市南流山1-1-1,04-0000-0001,139.9060,35.8380,南流山;木;鰭ケ崎
//! ```
//!
//! Japanese headers work too (ID, 名称, 所在地, 電話番号, 経度, 緯度, 担当区域). `areas` lists 町丁目
//! (「南流山一丁目」) or whole towns (「南流山」, every 丁目), separated by `;`, `|`, 「、」 or
//! 「・」; a 町丁目 may also be given by its code — 位置参照情報's 大字町丁目コード (12 digits) or
//! the ABR's `lg_code` + `machiaza_id` (13) — which is stored as the name the address data
//! gives it. Positions are WGS84 longitude and latitude. The file replaces every stored centre
//! in one transaction; any bad row (no name, a position outside Japan, an id twice, a code the
//! address data does not have) stops the import with its line, and nothing changes.

use std::cell::OnceCell;
use std::collections::HashSet;
use std::fmt;

use serde::Serialize;

use super::address::{column_of, open_table};
use super::encoding::decode_file;
use super::fields::position;
use super::table::folded;
use super::{ImportError, InputFile};
use crate::address::centers::CommunityCenter;
use crate::address::{Gazetteer, GazetteerBuilder, is_town_code};
use crate::store::Store;

const HEADER: &str = "id,name,address,phone,lon,lat,areas (or ID,名称,所在地,電話番号,経度,緯度,担当区域)";
const ID: &[&str] = &["id", "ID"];
const NAME: &[&str] = &["name", "名称"];
const ADDRESS: &[&str] = &["address", "所在地"];
const PHONE: &[&str] = &["phone", "電話番号"];
const LON: &[&str] = &["lon", "経度"];
const LAT: &[&str] = &["lat", "緯度"];
const AREAS: &[&str] = &["areas", "担当区域"];

/// What an import of centres read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CentersReport {
    /// Nothing was written.
    pub dry_run: bool,
    /// The file.
    pub file: String,
    /// Centres read.
    pub centers: usize,
    /// 担当区域 entries over all centres.
    pub areas: usize,
}

impl fmt::Display for CentersReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run { "would replace (dry run)" } else { "replaced" };
        writeln!(
            f,
            "地域包括支援センター from {}: {verb} with {} centres, {} 担当区域 entries",
            self.file, self.centers, self.areas
        )
    }
}

/// Reads one file of centres (no database access), labelled with `source`; 担当区域 given by
/// code are named by `town_of_code` (see [`Gazetteer::town_of_code`]).
///
/// # Errors
/// [`ImportError`] naming the file, and the column or line.
pub fn read(
    file: &InputFile,
    source: &str,
    town_of_code: &dyn Fn(&str) -> Result<Option<String>, ImportError>,
) -> Result<Vec<CommunityCenter>, ImportError> {
    let (text, _) = decode_file(file)?;
    let mut table = open_table(file, &text, &[ID, NAME, ADDRESS, PHONE, LON, LAT, AREAS], HEADER)?;
    let col = |names: &[&str]| column_of(&table, names).unwrap_or(usize::MAX);
    let (id, name, address, phone, lon, lat, areas) =
        (col(ID), col(NAME), col(ADDRESS), col(PHONE), col(LON), col(LAT), col(AREAS));
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    while let Some(row) = table.next_row()? {
        let bad = |reason: String| ImportError::Malformed { file: file.name.clone(), line: row.line, reason };
        let center_id = folded(row.get(id));
        let center_name = row.get(name).trim().to_owned();
        if center_id.is_empty() || center_name.is_empty() {
            return Err(bad("id and name must not be empty".into()));
        }
        if !seen.insert(center_id.clone()) {
            return Err(bad(format!("id '{center_id}' is given twice")));
        }
        let location = position(row.get(lat), row.get(lon)).map_err(bad)?;
        let mut list: Vec<String> = Vec::new();
        for area in row.get(areas).split([';', '|', '、', '・', '\n']).map(str::trim).filter(|a| !a.is_empty()) {
            let code = folded(area);
            let area = if is_town_code(&code) {
                town_of_code(&code)?.ok_or_else(|| {
                    bad(format!(
                        "担当区域 code {code} is not a 町丁目 of the address data (import the 位置参照情報 or \
                         アドレス・ベース・レジストリ files that have it first)"
                    ))
                })?
            } else {
                area.to_owned()
            };
            if !list.contains(&area) {
                list.push(area);
            }
        }
        out.push(CommunityCenter {
            id: center_id,
            name: center_name,
            address: row.get(address).trim().to_owned(),
            phone: row.get(phone).trim().to_owned(),
            location,
            areas: list,
            source: source.to_owned(),
        });
    }
    Ok(out)
}

/// Reads the file and, unless a dry run, replaces every stored centre with it (logged as
/// the command line's, `cli`). 担当区域 codes are looked up in the stored address points.
///
/// # Errors
/// As [`import_by`].
pub fn import(store: &dyn Store, files: &[InputFile], dry_run: bool) -> Result<CentersReport, ImportError> {
    import_by(store, files, dry_run, "cli", None)
}

/// Reads the file and, unless a dry run, replaces every stored centre with it, logged as
/// `actor`'s. 担当区域 codes are looked up in `addresses` (a running server's), else in the
/// stored address points, read only when the file has a code.
///
/// # Errors
/// As [`read`]; [`ImportError::Options`] for not exactly one file; a store failure.
pub fn import_by(
    store: &dyn Store,
    files: &[InputFile],
    dry_run: bool,
    actor: &str,
    addresses: Option<&Gazetteer>,
) -> Result<CentersReport, ImportError> {
    let [file] = files else {
        return Err(ImportError::Options { name: "file", reason: "give the one file of centres".into() });
    };
    let stored: OnceCell<Gazetteer> = OnceCell::new();
    let town_of_code = |code: &str| -> Result<Option<String>, ImportError> {
        let gazetteer = match addresses {
            Some(g) => g,
            None => match stored.get() {
                Some(g) => g,
                None => {
                    let mut builder = GazetteerBuilder::default();
                    store.for_each_address(&mut |p| {
                        builder.add_point(p);
                    })?;
                    stored.get_or_init(|| builder.build())
                }
            },
        };
        Ok(gazetteer.town_of_code(code).map(str::to_owned))
    };
    let centers = read(file, &format!("community-centers: {}", file.base_name()), &town_of_code)?;
    if !dry_run {
        store.replace_community_centers(&centers, actor)?;
    }
    Ok(CentersReport {
        dry_run,
        file: file.name.clone(),
        centers: centers.len(),
        areas: centers.iter().map(|c| c.areas.len()).sum(),
    })
}
