//! The regional health bureau's (厚生局) list of accepted facility-standard notifications
//! (施設基準の届出受理医療機関名簿), one Excel file per prefecture, read with calamine.
//! One row per (institution, standard); the header is on the 4th row in the published files
//! (found by its column names, so a moved header still reads). Only 在宅療養支援診療所/病院
//! rows matter here: their 受理記号 gives the class
//! (支援診１/支援病１ → enhanced_solo, 支援診２ア/イ/支援病２ → enhanced_network,
//! 支援診３/支援病３ → standard). The list has no coordinates: it sets the class of clinics
//! and hospitals already in the database (matched in `plan`). The workbook is read through
//! [`super::xlsx`], which bounds what a hostile file can make caremap allocate.

use calamine::Data;

use crate::domain::HomeCareClass;

use super::table::{folded, header_key};
use super::{FileReport, ImportError, InputFile, Parsed};

/// Columns that must be in the header.
pub const REQUIRED: [&str; 3] = ["医療機関番号", "医療機関名称", "受理記号"];
const PREFECTURE_CODE: &str = "都道府県コード";
const ADDRESS: &str = "医療機関所在地（住所）";
const SECTION: &str = "区分";
/// Rows searched for the header.
const HEADER_SEARCH_ROWS: usize = 30;

/// One 在宅療養支援 notification of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The file it is in.
    pub file: String,
    /// Its row as Excel numbers it (1-based).
    pub line: u64,
    /// The 10-digit 医療機関コード (prefecture + `1` + 医療機関番号), when the prefecture is known.
    pub code: Option<String>,
    /// 医療機関名称.
    pub name: String,
    /// 医療機関所在地（住所）.
    pub address: Option<String>,
    /// The class its 受理記号 gives.
    pub class: HomeCareClass,
}

/// The class a 受理記号 gives (after NFKC), if it is a 在宅療養支援診療所/病院 code.
pub fn class_of(code: &str) -> Option<HomeCareClass> {
    let code = folded(code);
    ["支援診", "支援病"].iter().find_map(|prefix| {
        let at = code.find(prefix)?;
        match code[at + prefix.len()..].chars().next()? {
            '1' => Some(HomeCareClass::EnhancedSolo),
            '2' => Some(HomeCareClass::EnhancedNetwork),
            '3' => Some(HomeCareClass::Standard),
            _ => None,
        }
    })
}

fn cell_text(cell: Option<&Data>) -> String {
    match cell {
        Some(Data::String(s)) => s.trim().to_owned(),
        Some(Data::Float(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Some(Data::Float(f)) => f.to_string(),
        Some(Data::Int(i)) => i.to_string(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => other.to_string().trim().to_owned(),
    }
}

/// The 10-digit 医療機関コード from a 医療機関番号 cell (7 digits, written `0112345` or
/// `01,1234,5`; a number cell loses leading zeros) and the prefecture code.
fn medical_code(number: &str, prefecture: Option<&str>) -> Option<String> {
    let digits: String = folded(number).chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        10 => Some(digits),
        1..=7 => prefecture.map(|p| format!("{p}1{digits:0>7}")),
        _ => None,
    }
}

/// Reads one Excel file's notifications into `parsed`.
///
/// # Errors
/// [`ImportError::Invalid`] when the file is not an .xlsx workbook or exceeds a limit of
/// [`super::xlsx`]; [`ImportError::Header`] when no sheet has the list's header.
pub(super) fn read_file(file: &InputFile, parsed: &mut Parsed) -> Result<(), ImportError> {
    let name = file.name.as_str();
    let sheets = super::xlsx::read_sheets(name, &file.bytes)?;
    let name_prefecture: Option<String> = {
        let base = file.base_name();
        (base.len() >= 2 && base.as_bytes()[..2].iter().all(u8::is_ascii_digit)).then(|| base[..2].to_owned())
    };
    let mut file_report =
        FileReport { name: name.to_owned(), encoding: None, rows: 0, service: None, kind: None, crs: None };
    let mut found_header = None;
    for (_sheet, rows) in &sheets {
        let Some(header_at) = rows.iter().map(|(_, row)| row).take(HEADER_SEARCH_ROWS).position(|row| {
            let keys: Vec<String> = row.iter().map(|c| header_key(&cell_text(Some(c)))).collect();
            REQUIRED.iter().all(|r| keys.contains(&header_key(r)))
        }) else {
            continue;
        };
        let keys: Vec<String> = rows[header_at].1.iter().map(|c| header_key(&cell_text(Some(c)))).collect();
        let col = |n: &str| keys.iter().position(|k| *k == header_key(n));
        let (Some(number), Some(inst_name), Some(code)) = (col(REQUIRED[0]), col(REQUIRED[1]), col(REQUIRED[2])) else {
            continue;
        };
        found_header = Some(());
        let (pref_col, address_col, section_col) = (col(PREFECTURE_CODE), col(ADDRESS), col(SECTION));
        for (row_no, row) in rows.iter().skip(header_at + 1) {
            if row.iter().all(|c| matches!(c, Data::Empty)) {
                continue;
            }
            let line = u64::from(*row_no) + 1;
            file_report.rows += 1;
            parsed.report.rows_read += 1;
            let section = cell_text(section_col.and_then(|c| row.get(c)));
            let Some(class) = class_of(&cell_text(row.get(code))).filter(|_| !section.contains('歯')) else {
                parsed.report.ignored += 1;
                continue;
            };
            let prefecture = pref_col
                .map(|c| folded(&cell_text(row.get(c))))
                .filter(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
                .map(|p| format!("{p:0>2}"))
                .or_else(|| name_prefecture.clone());
            let institution = cell_text(row.get(inst_name));
            if institution.is_empty() {
                parsed.report.skip_line(name, line, "医療機関名称 is empty");
                continue;
            }
            parsed.notifications.push(Notification {
                file: name.to_owned(),
                line,
                code: medical_code(&cell_text(row.get(number)), prefecture.as_deref()),
                name: institution,
                address: address_col.map(|c| cell_text(row.get(c))).filter(|a| !a.is_empty()),
                class,
            });
        }
    }
    if found_header.is_none() {
        return Err(ImportError::Header {
            file: name.to_owned(),
            missing: REQUIRED.iter().map(|s| (*s).to_owned()).collect(),
            expected: format!("a sheet whose header row (the 4th in the published files) has {}", REQUIRED.join(", ")),
            found: "no sheet with that header".into(),
        });
    }
    parsed.report.files.push(file_report);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_codes_give_the_class() {
        assert_eq!(class_of("支援診１"), Some(HomeCareClass::EnhancedSolo));
        assert_eq!(class_of("支援診２ア"), Some(HomeCareClass::EnhancedNetwork));
        assert_eq!(class_of("支援診２イ"), Some(HomeCareClass::EnhancedNetwork));
        assert_eq!(class_of("支援病２"), Some(HomeCareClass::EnhancedNetwork));
        assert_eq!(class_of("支援診３"), Some(HomeCareClass::Standard));
        assert_eq!(class_of("在医総管"), None);
        assert_eq!(class_of("（支援診３）第12号"), Some(HomeCareClass::Standard));
    }

    #[test]
    fn the_medical_code_is_prefecture_one_and_the_number() {
        assert_eq!(medical_code("0112345", Some("12")).as_deref(), Some("1210112345"));
        assert_eq!(medical_code("01,1234,5", Some("12")).as_deref(), Some("1210112345"));
        assert_eq!(medical_code("112345", Some("12")).as_deref(), Some("1210112345"));
        assert_eq!(medical_code("0112345", None), None);
    }
}
