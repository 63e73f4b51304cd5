//! 医療情報ネット（ナビイ）施設票 CSVs: hospitals (`01-1_hospital_facility_info_…`) and
//! clinics (`02-1_clinic_facility_info_…`). UTF-8 with BOM, every header field quoted, data
//! quoted except the coordinates, CRLF. Each row is provider `med-<ID>` of kind hospital or
//! clinic; only the fields the file has are taken (name, kana, address, web site, location),
//! so phone numbers, 在宅療養支援 classes and 空き状況 kept by staff survive a re-import.

use crate::domain::{Kind, Provider};

use super::fields::{digits, position, url};
use super::table::{CsvTable, Row, text};
use super::{Collected, FileReport, ImportError, ImportOptions, InputFile, MEDICAL_ID_PREFIX, Parsed};

/// The leading columns of the official 施設票 header, in order (reference:
/// shared/reference/data-formats.md §2). Opening-day and bed columns follow.
pub const HEADER: [&str; 13] = [
    "ID",
    "正式名称",
    "正式名称（フリガナ）",
    "略称",
    "略称（フリガナ）",
    "英語表記（ローマ字表記）",
    "機関区分",
    "都道府県コード",
    "市区町村コード",
    "所在地",
    "所在地座標（緯度）",
    "所在地座標（経度）",
    "案内用ホームページアドレス",
];

/// A column only hospital sheets have.
const HOSPITAL_ONLY_COLUMN: &str = "精神病床";

/// The kind of a file's institutions: from its name (`hospital` / `clinic`), else from its
/// header (hospital sheets list 精神病床).
///
/// # Errors
/// A reason for dental and other lists caremap does not import.
fn kind_of(base_name: &str, table: &CsvTable<'_>) -> Result<Kind, String> {
    let lower = base_name.to_ascii_lowercase();
    if lower.contains("dental") || lower.contains("maternity") || lower.contains("pharmacy") {
        return Err("caremap imports the hospital (01-1) and clinic (02-1) facility sheets only".into());
    }
    if lower.contains("hospital") {
        Ok(Kind::Hospital)
    } else if lower.contains("clinic") || table.column(HOSPITAL_ONLY_COLUMN).is_none() {
        Ok(Kind::Clinic)
    } else {
        Ok(Kind::Hospital)
    }
}

struct Columns {
    id: usize,
    name: usize,
    kana: usize,
    prefecture: usize,
    city: usize,
    address: usize,
    lat: usize,
    lon: usize,
    url: usize,
}

/// Reads one 施設票 file into `collected`.
///
/// # Errors
/// [`ImportError`] for an unknown encoding, a wrong header, a truncated file, or a list of
/// another kind (dental, pharmacy …).
pub(super) fn read_file(
    file: &InputFile,
    options: &ImportOptions,
    collected: &mut Collected,
    parsed: &mut Parsed,
) -> Result<(), ImportError> {
    let name = file.name.as_str();
    let (decoded, encoding) = super::encoding::decode_file(file)?;
    let expected = HEADER.iter().map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(",") + ",…";
    let mut table = CsvTable::open(name, &decoded, &HEADER, &expected)?;
    let kind =
        kind_of(file.base_name(), &table).map_err(|reason| ImportError::Invalid { file: name.to_owned(), reason })?;
    parsed.covered_kinds.insert(kind.as_str());
    let cols = Columns {
        id: table.required(HEADER[0]),
        name: table.required(HEADER[1]),
        kana: table.required(HEADER[2]),
        prefecture: table.required(HEADER[7]),
        city: table.required(HEADER[8]),
        address: table.required(HEADER[9]),
        lat: table.required(HEADER[10]),
        lon: table.required(HEADER[11]),
        url: table.required(HEADER[12]),
    };
    let mut file_report = FileReport {
        name: name.to_owned(),
        encoding: Some(encoding),
        rows: 0,
        service: None,
        kind: Some(kind.as_str()),
        crs: None,
    };
    while let Some(row) = table.next_row()? {
        file_report.rows += 1;
        parsed.report.rows_read += 1;
        if let Some(city) = &options.city
            && !city.matches_split(row.get(cols.prefecture), row.get(cols.city))
        {
            parsed.report.outside_city += 1;
            continue;
        }
        match provider_of(&row, &cols, kind) {
            Ok((p, bad_url)) => {
                if let Some(v) = bad_url {
                    parsed.report.warn(format!(
                        "{name}:{}: 案内用ホームページアドレス '{v}' is left out (not an http(s) address)",
                        row.line
                    ));
                }
                if collected.contains(&p.id) {
                    parsed.report.skip_line(
                        name,
                        row.line,
                        format!("ID {} appears again; the first row was kept", &p.id[MEDICAL_ID_PREFIX.len()..]),
                    );
                } else {
                    collected.add(p, |_, _| {});
                }
            }
            Err(reason) => parsed.report.skip_line(name, row.line, reason),
        }
    }
    parsed.report.files.push(file_report);
    Ok(())
}

fn provider_of(row: &Row<'_>, cols: &Columns, kind: Kind) -> Result<(Provider, Option<String>), String> {
    let raw_id = row.get(cols.id);
    let id = digits(raw_id, &[13, 10]).ok_or_else(|| format!("ID '{}' is not 13 digits", raw_id.trim()))?;
    let name = text(row.get(cols.name)).ok_or("正式名称 is empty")?;
    let location = position(row.get(cols.lat), row.get(cols.lon))?;
    let mut p = Provider::new(format!("{MEDICAL_ID_PREFIX}{id}"), kind, name, location);
    p.official_code = Some(id);
    p.name_kana = text(row.get(cols.kana));
    p.address = text(row.get(cols.address));
    let (site, bad_url) = match url(row.get(cols.url)) {
        Ok(u) => (u, None),
        Err(v) => (None, Some(v)),
    };
    p.url = site;
    let errors = p.validate();
    if errors.is_empty() {
        Ok((p, bad_url))
    } else {
        Err(errors.iter().map(|e| format!("{}: {}", e.name, e.reason)).collect::<Vec<_>>().join("; "))
    }
}
