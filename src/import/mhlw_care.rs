//! MHLW 介護サービス情報公表システム open-data CSVs: one file per service type, 24 columns,
//! UTF-8 with BOM (older ones Shift_JIS). The service code comes from `--service`, else
//! from the file name (`jigyosho_<code>.csv`, `jigyosho_<code>_all_<timestamp>.csv`), else
//! from the サービスの種類 text. One office (事業所番号) in several files is one provider
//! `care-<事業所番号>` with all their services.

use unicode_normalization::UnicodeNormalization;

use crate::domain::{Kind, Provider, SERVICE_TYPES, service_type};

use super::fields::{digits, phone, position, url};
use super::table::{CsvTable, Row, folded, text};
use super::{CARE_ID_PREFIX, Collected, FileReport, ImportError, ImportOptions, InputFile, Parsed};

/// The official header, in order (reference: shared/reference/data-formats.md §1).
pub const HEADER: [&str; 24] = [
    "都道府県コード又は市町村コード",
    "No",
    "都道府県名",
    "市区町村名",
    "事業所名",
    "事業所名カナ",
    "サービスの種類",
    "住所",
    "方書（ビル名等）",
    "緯度",
    "経度",
    "電話番号",
    "FAX番号",
    "法人番号",
    "法人の名称",
    "事業所番号",
    "利用可能曜日",
    "利用可能曜日特記事項",
    "定員",
    "URL",
    "高齢者の方と障害者の方が同時一体的に利用できるサービス",
    "介護保険の通常の指定基準を満たしている",
    "障害福祉の通常の指定基準を満たしている",
    "備考",
];

/// The service code in a file name such as `jigyosho_110.csv` or
/// `jigyosho_430_all_20260709180319.csv`.
pub fn code_from_file_name(name: &str) -> Option<String> {
    let rest = name.strip_prefix("jigyosho_")?;
    let code: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = &rest[code.len()..];
    (code.len() == 3 && (after.starts_with('_') || after.starts_with('.'))).then_some(code)
}

/// Values of the サービスの種類 column that differ from the MHLW page labels (seen in real
/// files), after NFKC.
const TEXT_ALIASES: &[(&str, &str)] = &[
    ("療養通所介護", "155"),
    ("指定療養通所介護", "155"),
    ("看護小規模多機能型居宅介護(複合型サービス)", "770"),
    ("複合型サービス", "770"),
];

/// The service code for a サービスの種類 value: the MHLW label or a known variant, compared
/// after NFKC (full- and half-width brackets alike) without spaces.
pub fn code_from_text(value: &str) -> Option<&'static str> {
    let key = |s: &str| s.nfkc().filter(|c| !c.is_whitespace()).collect::<String>();
    let wanted = key(value);
    SERVICE_TYPES
        .iter()
        .find(|s| key(s.label) == wanted)
        .map(|s| s.code)
        .or_else(|| TEXT_ALIASES.iter().find(|(label, _)| *label == wanted).map(|(_, code)| *code))
}

/// Column positions, found by name once per file.
struct Columns {
    city: usize,
    prefecture_name: usize,
    city_name: usize,
    name: usize,
    kana: usize,
    service: usize,
    address: usize,
    building: usize,
    lat: usize,
    lon: usize,
    phone: usize,
    fax: usize,
    corporate_number: usize,
    corporation: usize,
    office: usize,
    days: usize,
    days_note: usize,
    capacity: usize,
    url: usize,
    notes: usize,
}

impl Columns {
    fn of(t: &CsvTable<'_>) -> Self {
        Self {
            city: t.required(HEADER[0]),
            prefecture_name: t.required(HEADER[2]),
            city_name: t.required(HEADER[3]),
            name: t.required(HEADER[4]),
            kana: t.required(HEADER[5]),
            service: t.required(HEADER[6]),
            address: t.required(HEADER[7]),
            building: t.required(HEADER[8]),
            lat: t.required(HEADER[9]),
            lon: t.required(HEADER[10]),
            phone: t.required(HEADER[11]),
            fax: t.required(HEADER[12]),
            corporate_number: t.required(HEADER[13]),
            corporation: t.required(HEADER[14]),
            office: t.required(HEADER[15]),
            days: t.required(HEADER[16]),
            days_note: t.required(HEADER[17]),
            capacity: t.required(HEADER[18]),
            url: t.required(HEADER[19]),
            notes: t.required(HEADER[23]),
        }
    }
}

/// Reads one MHLW file into `collected`.
///
/// # Errors
/// [`ImportError`] for an unknown encoding, a wrong header, a truncated file, or a file
/// name whose service code caremap does not know.
pub(super) fn read_file(
    file: &InputFile,
    options: &ImportOptions,
    collected: &mut Collected,
    parsed: &mut Parsed,
) -> Result<(), ImportError> {
    read_file_on(file, options, collected, parsed, crate::ordered::workers(1), BATCH_ROWS)
}

/// Rows per batch handed to a converting thread: enough that handing a batch over costs
/// little next to converting it.
const BATCH_ROWS: usize = 2048;

/// What one data row makes, converted apart from the others.
#[allow(clippy::large_enum_variant, reason = "nearly every row is read; a box would be one more allocation per row")]
enum RowOutcome {
    /// Outside `--city`; whether it carries its prefecture's code instead of a city code.
    OutsideCity { prefecture_coded: bool },
    /// A provider or why the row is skipped, and the values left out of it.
    Read { line: u64, provider: Result<Provider, String>, warnings: Vec<String> },
}

fn outcome(row: &Row<'_>, cols: &Columns, options: &ImportOptions, file_code: Option<&str>, file: &str) -> RowOutcome {
    if let Some(city) = &options.city
        && !city.matches(row.get(cols.city))
    {
        let code = folded(row.get(cols.city));
        let prefecture_coded = code.len() >= 5 && code.starts_with(city.prefecture()) && code.get(2..5) == Some("000");
        return RowOutcome::OutsideCity { prefecture_coded };
    }
    let mut warnings = Vec::new();
    let provider = provider_of(row, cols, file_code, file, &mut warnings);
    RowOutcome::Read { line: row.line, provider, warnings }
}

/// [`read_file`] with the rows converted on `workers` threads in batches of `batch_rows`.
fn read_file_on(
    file: &InputFile,
    options: &ImportOptions,
    collected: &mut Collected,
    parsed: &mut Parsed,
    workers: usize,
    batch_rows: usize,
) -> Result<(), ImportError> {
    let batch_rows = batch_rows.max(1);
    let name = file.name.as_str();
    let file_code = match (&options.service, code_from_file_name(file.base_name())) {
        (Some(code), _) => Some(code.clone()),
        (None, Some(code)) if service_type(&code).is_some() => Some(code),
        (None, Some(code)) => {
            return Err(ImportError::Invalid {
                file: name.to_owned(),
                reason: format!(
                    "the file name gives service code {code}, which caremap does not know; give --service CODE"
                ),
            });
        }
        (None, None) => None,
    };
    let (decoded, encoding) = super::encoding::decode_file(file)?;
    let mut table = CsvTable::open(name, &decoded, &HEADER, &HEADER.join(","))?;
    let cols = Columns::of(&table);
    if let Some(code) = &file_code {
        parsed.covered_services.insert(code.clone());
    }
    let mut file_report = FileReport {
        name: name.to_owned(),
        encoding: Some(encoding),
        rows: 0,
        service: file_code.clone(),
        kind: None,
        crs: None,
    };
    let mut prefecture_coded = 0u64;
    // The rows are converted on several threads and taken back in file order, so the
    // providers, merges, warnings and skipped lines are those a single thread would make.
    let read = |send: &mut dyn FnMut(Vec<(u64, csv::StringRecord)>) -> bool| -> Result<(), ImportError> {
        let mut batch = Vec::with_capacity(batch_rows);
        while let Some(row) = table.next_row()? {
            batch.push(row.to_owned_parts());
            if batch.len() == batch_rows && !send(std::mem::replace(&mut batch, Vec::with_capacity(batch_rows))) {
                return Ok(());
            }
        }
        if !batch.is_empty() {
            send(batch);
        }
        Ok(())
    };
    let convert = |_, rows: Vec<(u64, csv::StringRecord)>| -> Vec<RowOutcome> {
        rows.iter()
            .map(|(line, record)| outcome(&Row::new(*line, record), &cols, options, file_code.as_deref(), name))
            .collect()
    };
    let consume = |batches: &mut crate::ordered::InReadOrder<Vec<RowOutcome>>| {
        for outcome in batches.flatten() {
            file_report.rows += 1;
            parsed.report.rows_read += 1;
            match outcome {
                RowOutcome::OutsideCity { prefecture_coded: coded } => {
                    parsed.report.outside_city += 1;
                    prefecture_coded += u64::from(coded);
                }
                RowOutcome::Read { line, provider, warnings } => {
                    for warning in warnings {
                        parsed.report.warn(warning);
                    }
                    match provider {
                        Ok(p) => {
                            if file_code.is_none() {
                                parsed.covered_services.extend(p.services.iter().cloned());
                            }
                            collected.add(p, merge_offices);
                        }
                        Err(reason) => parsed.report.skip_line(name, line, reason),
                    }
                }
            }
        }
    };
    crate::ordered::in_read_order(workers, read, convert, consume).0?;
    if prefecture_coded > 0 {
        parsed.report.warn(format!(
            "{name}: {prefecture_coded} row(s) of the prefecture carry its prefecture code instead of a city code \
             and were left out by --city"
        ));
    }
    parsed.report.files.push(file_report);
    Ok(())
}

/// The same office read from another service file: add its services, fill what is missing.
fn merge_offices(into: &mut Provider, other: Provider) {
    for s in other.services {
        if !into.services.contains(&s) {
            into.services.push(s);
        }
    }
    into.services.sort();
    into.capacity = match (into.capacity, other.capacity) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    for (mine, theirs) in [
        (&mut into.name_kana, other.name_kana),
        (&mut into.address, other.address),
        (&mut into.phone, other.phone),
        (&mut into.fax, other.fax),
        (&mut into.url, other.url),
        (&mut into.corporation, other.corporation),
        (&mut into.corporate_number, other.corporate_number),
        (&mut into.open_days, other.open_days),
        (&mut into.notes, other.notes),
    ] {
        if mine.is_none() {
            *mine = theirs;
        }
    }
}

/// The provider of a row, or why it is skipped; a value left out of it (not valid) adds a
/// warning to `warnings`.
fn provider_of(
    row: &Row<'_>,
    cols: &Columns,
    file_code: Option<&str>,
    file: &str,
    warnings: &mut Vec<String>,
) -> Result<Provider, String> {
    let office = row.get(cols.office);
    let office = digits(office, &[10]).ok_or_else(|| format!("事業所番号 '{}' is not 10 digits", office.trim()))?;
    let service = match file_code {
        Some(code) => code.to_owned(),
        None => {
            let label = row.get(cols.service).trim();
            code_from_text(label).map(str::to_owned).ok_or_else(|| {
                format!("unknown サービスの種類 '{label}': name the file jigyosho_<code>.csv or give --service CODE")
            })?
        }
    };
    let name = text(row.get(cols.name)).ok_or("事業所名 is empty")?;
    let location = position(row.get(cols.lat), row.get(cols.lon))?;
    let mut p = Provider::new(format!("{CARE_ID_PREFIX}{office}"), Kind::Care, name, location);
    p.official_code = Some(office);
    p.services = vec![service];
    p.name_kana = text(row.get(cols.kana));
    p.address = address(row, cols);
    let mut dropped = |column: &str, value: String| {
        warnings.push(format!("{file}:{}: {column} '{value}' is left out (not a valid value)", row.line));
    };
    p.phone = phone(row.get(cols.phone)).unwrap_or_else(|v| {
        dropped("電話番号", v);
        None
    });
    p.fax = phone(row.get(cols.fax)).unwrap_or_else(|v| {
        dropped("FAX番号", v);
        None
    });
    p.url = url(row.get(cols.url)).unwrap_or_else(|v| {
        dropped("URL", v);
        None
    });
    p.corporation = text(row.get(cols.corporation));
    let corporate_number = folded(row.get(cols.corporate_number));
    p.corporate_number = digits(&corporate_number, &[13]);
    if p.corporate_number.is_none() && !corporate_number.is_empty() {
        dropped("法人番号", corporate_number);
    }
    // 定員 0 on visit services means "not applicable".
    p.capacity = folded(row.get(cols.capacity)).parse::<u32>().ok().filter(|&c| c > 0);
    p.open_days = text(row.get(cols.days));
    let notes: Vec<String> =
        [text(row.get(cols.days_note)).map(|n| format!("利用可能曜日特記事項: {n}")), text(row.get(cols.notes))]
            .into_iter()
            .flatten()
            .collect();
    p.notes = (!notes.is_empty()).then(|| notes.join("\n"));
    let errors = p.validate();
    if errors.is_empty() {
        Ok(p)
    } else {
        Err(errors.iter().map(|e| format!("{}: {}", e.name, e.reason)).collect::<Vec<_>>().join("; "))
    }
}

/// 住所 with 方書 (building), prefixed by the prefecture and city names when the file's
/// 住所 omits them (files differ).
fn address(row: &Row<'_>, cols: &Columns) -> Option<String> {
    let mut address = text(row.get(cols.address))?;
    let prefecture = row.get(cols.prefecture_name).trim();
    let city = row.get(cols.city_name).trim();
    if !prefecture.is_empty() && !address.starts_with(prefecture) {
        if !city.is_empty() && !address.starts_with(city) {
            address.insert_str(0, city);
        }
        address.insert_str(0, prefecture);
    }
    if let Some(building) = text(row.get(cols.building)) {
        address.push(' ');
        address.push_str(&building);
    }
    Some(address)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Source;
    use crate::import::fields::CityCode;

    /// An invented file in the official layout: offices of two cities and of the prefecture's
    /// code, each 13th row's office again (merged), each 17th row's 事業所番号 short (skipped)
    /// and each 11th row's telephone number not one (left out, with a warning).
    fn file(rows: usize) -> InputFile {
        let mut text = format!("\u{feff}{}\r\n", HEADER.join(","));
        for i in 0..rows {
            let office = if i % 13 == 12 { 9_000_000_000 + i as u64 - 12 } else { 9_000_000_000 + i as u64 };
            let office = if i % 17 == 16 { "123".to_owned() } else { office.to_string() };
            let city = ["122203", "122173", "120006"][i % 3];
            let phone = if i % 11 == 10 { "なし".to_owned() } else { format!("04-{:04}-{:04}", i % 10_000, i % 7) };
            let cells = [
                city,
                "1",
                "千葉県",
                "流山市",
                &format!("訪問介護{i}"),
                "ホウモンカイゴ",
                "訪問介護",
                &format!("千葉県流山市平和台{}-1", i % 9 + 1),
                "",
                "35.85",
                "139.9",
                &phone,
                "",
                "",
                "株式会社テスト",
                &office,
                "平日",
                "",
                "0",
                "",
                "",
                "",
                "",
                &format!("備考{i}"),
            ];
            text.push_str(&cells.join(","));
            text.push_str("\r\n");
        }
        InputFile { name: "jigyosho_110.csv".into(), bytes: text.into_bytes() }
    }

    fn read(file: &InputFile, options: &ImportOptions, workers: usize, batch_rows: usize) -> (Vec<Provider>, String) {
        let (mut collected, mut parsed) = (Collected::default(), Parsed::default());
        read_file_on(file, options, &mut collected, &mut parsed, workers, batch_rows).unwrap();
        (collected.providers, serde_json::to_string(&parsed.report).unwrap())
    }

    /// Rows converted on several threads in small batches give the same providers (merged
    /// alike), warnings, skipped lines and counts as one thread taking one row at a time.
    #[test]
    fn rows_converted_on_several_threads_read_as_on_one() {
        let file = file(500);
        for city in [None, Some(CityCode::parse("122203").unwrap())] {
            let options = ImportOptions { city, ..ImportOptions::new(Source::MhlwCare, "test") };
            let (one, one_report) = read(&file, &options, 1, 1);
            let (many, many_report) = read(&file, &options, 3, 7);
            assert_eq!(many, one);
            assert_eq!(many_report, one_report);
            assert!(one_report.contains("left out (not a valid value)"), "{one_report}");
            assert!(one_report.contains("is not 10 digits"), "{one_report}");
        }
        let options = ImportOptions {
            city: Some(CityCode::parse("122203").unwrap()),
            ..ImportOptions::new(Source::MhlwCare, "t")
        };
        let (kept, report) = read(&file, &options, 3, 7);
        assert!(kept.len() < 500 / 3 && report.contains("prefecture code"), "{report}");
    }

    /// A row with too few cells in the middle of the file fails the file, naming its line,
    /// however the rows are split.
    #[test]
    fn a_malformed_row_fails_on_several_threads_too() {
        // The header, 50 rows, the short row (line 52), 100 more rows.
        let mut input = file(50);
        input.bytes.extend_from_slice("122203,1,千葉県\r\n".as_bytes());
        let more = file(100).bytes;
        let header_end = more.iter().position(|&b| b == b'\n').unwrap() + 1;
        input.bytes.extend_from_slice(&more[header_end..]);
        let line = 52;
        let options = ImportOptions::new(Source::MhlwCare, "test");
        for (workers, batch_rows) in [(1, 1), (3, 7)] {
            let (mut collected, mut parsed) = (Collected::default(), Parsed::default());
            let err = read_file_on(&input, &options, &mut collected, &mut parsed, workers, batch_rows).unwrap_err();
            let ImportError::Malformed { line: at, .. } = err else { panic!("{err}") };
            assert_eq!(at, line);
        }
    }

    #[test]
    fn the_service_code_comes_from_both_file_name_forms() {
        assert_eq!(code_from_file_name("jigyosho_110.csv").as_deref(), Some("110"));
        assert_eq!(code_from_file_name("jigyosho_430_all_20260709180319.csv").as_deref(), Some("430"));
        assert_eq!(code_from_file_name("jigyosho_1100.csv"), None);
        assert_eq!(code_from_file_name("providers.csv"), None);
    }

    #[test]
    fn service_text_matches_labels_and_known_variants_in_any_bracket_width() {
        assert_eq!(code_from_text("訪問看護"), Some("130"));
        assert_eq!(code_from_text("短期入所療養介護(療養病床を有する病院等）"), Some("230"));
        assert_eq!(code_from_text("指定療養通所介護"), Some("155"));
        assert_eq!(code_from_text("看護小規模多機能型居宅介護（複合型サービス）"), Some("770"));
        assert_eq!(code_from_text("宇宙旅行"), None);
    }
}
