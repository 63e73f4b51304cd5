//! Providers as CSV for spreadsheets: UTF-8 with a BOM and CRLF line ends (so Excel opens
//! Japanese text correctly), Japanese column headers, district names rather than ids, times in
//! Japan time (`2026-11-30 13:34`), formula-like cells neutralised. Used by the API (`f=csv`)
//! and by `caremap export --format csv`.

use std::io::Write;

use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, UtcOffset};

use std::sync::LazyLock;

use crate::domain::{
    Access, District, FieldType, PROVIDER_FIELDS, Provider, ProviderField, ProviderFields, service_type,
};

/// Japan Standard Time, the time zone of the people who open these files.
pub const JST: UtcOffset = offset!(+9);

/// The CSV header row, in Japanese for the care managers who open it in Excel: `ID`, the
/// CSV columns of [`PROVIDER_FIELDS`] in table order, then 距離(m) and 更新日時.
pub static CSV_HEADER: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    std::iter::once("ID")
        .chain(PROVIDER_FIELDS.iter().flat_map(|f| f.csv.iter().copied()))
        .chain(["距離(m)", "更新日時"])
        .collect()
});

/// Headers of the coordinate columns for a projected CRS (平面直角座標系: Y is the easting,
/// X the northing, both in metres), in the order of the 経度, 緯度 columns they replace.
pub const PLANE_COORDINATE_HEADER: [&str; 2] = ["Y座標(m)", "X座標(m)"];

/// Prefixes cells that a spreadsheet would run as a formula (CSV injection).
pub fn neutralise(s: &str) -> String {
    cell(s)
}

fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() }
}

/// An RFC 3339 timestamp as Japan time to the minute (`2026-11-30 13:34`), the way Excel
/// reads a date and time; any other text (a plain date such as `2026-11-28`) unchanged.
pub fn excel_time(raw: &str) -> String {
    match OffsetDateTime::parse(raw, &Rfc3339) {
        Ok(t) => t
            .to_offset(JST)
            .format(format_description!("[year]-[month]-[day] [hour]:[minute]"))
            .unwrap_or_else(|_| cell(raw)),
        Err(_) => cell(raw),
    }
}

/// The name of district `id` among `districts` (the id itself when it is unknown).
fn district_name<'a>(districts: &'a [District], id: &'a str) -> &'a str {
    districts.iter().find(|d| d.id == id).map_or(id, |d| d.name.as_str())
}

/// Appends the CSV cells of field `f` of `p` (as many as `f.csv` names). `xy` is the location
/// in the output CRS; `districts` name the district.
fn push_cells<P: ProviderFields>(
    row: &mut Vec<String>,
    f: &ProviderField,
    p: &P,
    xy: (f64, f64),
    districts: &[District],
) {
    match f.access {
        Access::Kind { .. } => row.push(p.kind().label_ja().to_owned()),
        Access::Text { .. } => row.push(match (f.ty, p.text(f)) {
            (_, None) => String::new(),
            (FieldType::Date | FieldType::Time, Some(date)) => excel_time(date),
            (FieldType::District, Some(id)) => cell(district_name(districts, id)),
            (_, Some(text)) => cell(text),
        }),
        Access::Codes { .. } => {
            let labels: Vec<&str> = p.codes().map(|c| service_type(c).map_or(c, |s| s.label)).collect();
            row.push(labels.join("、"));
        }
        Access::HomeCare { .. } => {
            let home = p.home_care().unwrap_or_default();
            row.push(home.class.map(|c| c.label_ja().to_owned()).unwrap_or_default());
            row.push(if home.available_24h { "○" } else { "" }.to_owned());
        }
        Access::Count { .. } => row.push(p.count(f).map(|c| c.to_string()).unwrap_or_default()),
        Access::Accepting { .. } => row.push(p.accepting().map_or("", |a| a.label_ja()).to_owned()),
        Access::Point { .. } => {
            row.push(xy.0.to_string());
            row.push(xy.1.to_string());
        }
    }
}

fn csv_row<P: ProviderFields>(p: &P, distance_m: Option<f64>, xy: (f64, f64), districts: &[District]) -> Vec<String> {
    let mut row = Vec::with_capacity(CSV_HEADER.len());
    row.push(cell(p.id()));
    for f in PROVIDER_FIELDS.iter().filter(|f| !f.csv.is_empty()) {
        push_cells(&mut row, f, p, xy, districts);
    }
    row.push(distance_m.map(|d| format!("{d:.0}")).unwrap_or_default());
    row.push(excel_time(p.updated_at()));
    row
}

/// One row to write: the provider, its distance (metres) where a query had a point, and its
/// coordinates in the output CRS (x = longitude or easting, y = latitude or northing).
pub type CsvItem<'a, P = Provider> = (&'a P, Option<f64>, (f64, f64));

/// Writes the BOM, the header and the rows to `out`. `coordinate_header` names the two
/// coordinate columns (`None`: 経度, 緯度); `districts` give the 圏域 column its names.
///
/// # Errors
/// When writing fails.
pub fn write_csv<'a, W: Write, P: ProviderFields + 'a>(
    out: W,
    rows: impl Iterator<Item = CsvItem<'a, P>>,
    coordinate_header: Option<[&str; 2]>,
    districts: &[District],
) -> Result<W, csv::Error> {
    let mut out = out;
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    let mut header: Vec<&str> = CSV_HEADER.to_vec();
    if let Some(names) = coordinate_header {
        // The location's two columns (経度, 緯度) are where the table puts them.
        let location = PROVIDER_FIELDS.iter().find(|f| f.ty == FieldType::Point).and_then(|f| f.csv.first());
        if let Some(at) = header.iter().position(|h| Some(h) == location) {
            header[at..at + 2].copy_from_slice(&names);
        }
    }
    writer.write_record(header)?;
    for (p, d, xy) in rows {
        writer.write_record(csv_row(p, d, xy, districts))?;
    }
    writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The rows as CSV bytes with WGS84 longitude and latitude.
///
/// # Errors
/// Never in practice (writing to memory); kept for the `csv` API.
pub fn csv_bytes<'a, P: ProviderFields + 'a>(
    rows: impl Iterator<Item = (&'a P, Option<f64>)>,
    districts: &[District],
) -> Result<Vec<u8>, csv::Error> {
    write_csv(Vec::new(), rows.map(|(p, d)| (p, d, (p.location().lon(), p.location().lat()))), None, districts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_neutralised() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("04-0000-0000"), "04-0000-0000");
    }

    #[test]
    fn csv_starts_with_a_bom_and_the_japanese_header() {
        let bytes = csv_bytes(std::iter::empty::<(&Provider, Option<f64>)>(), &[]).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBFID,"));
        assert!(String::from_utf8(bytes).unwrap().contains("電話番号"));
    }

    #[test]
    fn the_header_is_the_fields_csv_columns_between_the_id_and_the_distance() {
        let header = CSV_HEADER.join(",");
        assert_eq!(
            header,
            "ID,種別,事業所番号,名称,名称（カナ）,サービス,在宅療養支援,24時間対応,住所,電話番号,FAX番号,URL,\
             法人名,定員,利用可能曜日,受入可否,空き状況メモ,空き人数,受入確認日時,受入確認日,圏域,経度,緯度,距離(m),更新日時"
        );
    }

    #[test]
    fn plane_coordinates_get_their_own_headers() {
        let bytes =
            write_csv(Vec::new(), std::iter::empty::<CsvItem<'_>>(), Some(PLANE_COORDINATE_HEADER), &[]).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("Y座標(m),X座標(m)") && !text.contains("経度"), "{text}");
    }

    #[test]
    fn timestamps_are_written_in_japan_time_to_the_minute() {
        assert_eq!(excel_time("2026-11-30T04:34:56Z"), "2026-11-30 13:34");
        assert_eq!(excel_time("2026-11-30T20:05:00.123Z"), "2026-12-01 05:05");
        assert_eq!(excel_time("2026-11-28"), "2026-11-28");
    }
}
