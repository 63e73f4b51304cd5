//! Response encodings for provider lists: a GeoJSON FeatureCollection, or CSV for Excel
//! (UTF-8 with a BOM, Japanese headers, formula-like cells neutralised).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::catalog::Found;
use crate::domain::{Provider, service_type};
use crate::features::FeatureOut;

use super::error::ApiError;

/// Media type of GeoJSON responses.
pub const GEOJSON: &str = "application/geo+json";

/// The list encodings a client can ask for with `f=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// GeoJSON FeatureCollection (default).
    GeoJson,
    /// CSV for spreadsheets.
    Csv,
}

impl Format {
    /// Parses `f=` (`geojson`, `json` or `csv`).
    pub fn parse(raw: Option<&str>) -> Result<Self, &'static str> {
        match raw {
            None | Some("geojson" | "json") => Ok(Self::GeoJson),
            Some("csv") => Ok(Self::Csv),
            Some(_) => Err("must be geojson or csv"),
        }
    }
}

/// A page of results as a response in the requested format. `matched` is the count before paging.
pub fn respond(page: &[Found<'_>], matched: usize, format: Format) -> Response {
    match format {
        Format::GeoJson => geojson_response(page, matched),
        Format::Csv => csv_response(page),
    }
}

/// Bytes reserved per Feature: a provider with every field filled in takes about 900.
const FEATURE_BYTES: usize = 1024;

/// The page as a GeoJSON FeatureCollection with `numberMatched` (`matched`, the count before
/// paging) and `numberReturned`, in compact JSON (keys in this order: type, numberMatched,
/// numberReturned, features). Written straight into one buffer sized for the page.
///
/// # Errors
/// Never in practice (see [`FeatureOut::write_json`]).
pub fn feature_collection_bytes(page: &[Found<'_>], matched: usize) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128 + FEATURE_BYTES * page.len());
    out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"numberMatched\":");
    serde_json::to_writer(&mut out, &matched)?;
    out.extend_from_slice(b",\"numberReturned\":");
    serde_json::to_writer(&mut out, &page.len())?;
    out.extend_from_slice(b",\"features\":[");
    for (i, f) in page.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        FeatureOut::new(f.provider, f.distance_m).write_json(&mut out)?;
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

fn geojson_response(page: &[Found<'_>], matched: usize) -> Response {
    match feature_collection_bytes(page, matched) {
        Ok(bytes) => ([(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))], bytes).into_response(),
        Err(e) => ApiError::Internal(format!("encoding GeoJSON: {e}")).into_response(),
    }
}

/// The CSV header row, in Japanese for the care managers who open it in Excel.
pub const CSV_HEADER: [&str; 22] = [
    "ID",
    "種別",
    "事業所番号",
    "名称",
    "名称（カナ）",
    "サービス",
    "在宅療養支援",
    "24時間対応",
    "住所",
    "電話番号",
    "FAX番号",
    "URL",
    "法人名",
    "定員",
    "利用可能曜日",
    "受入可否",
    "受入確認日",
    "圏域",
    "経度",
    "緯度",
    "距離(m)",
    "更新日時",
];

/// Prefixes cells that a spreadsheet would run as a formula (CSV injection).
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() }
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(cell).unwrap_or_default()
}

fn csv_row(p: &Provider, distance_m: Option<f64>) -> Vec<String> {
    let home = p.home_care.unwrap_or_default();
    let services: Vec<&str> = p.services.iter().map(|c| service_type(c).map_or(c.as_str(), |s| s.label)).collect();
    vec![
        cell(&p.id),
        p.kind.label_ja().to_owned(),
        opt(&p.official_code),
        cell(&p.name),
        opt(&p.name_kana),
        services.join("、"),
        home.class.map(|c| c.label_ja().to_owned()).unwrap_or_default(),
        if home.available_24h { "○" } else { "" }.to_owned(),
        opt(&p.address),
        opt(&p.phone),
        opt(&p.fax),
        opt(&p.url),
        opt(&p.corporation),
        p.capacity.map(|c| c.to_string()).unwrap_or_default(),
        opt(&p.open_days),
        match p.accepting {
            Some(true) => "受入可",
            Some(false) => "受入不可",
            None => "",
        }
        .to_owned(),
        opt(&p.accepting_updated_at),
        opt(&p.district),
        p.location.lon().to_string(),
        p.location.lat().to_string(),
        distance_m.map(|d| format!("{d:.0}")).unwrap_or_default(),
        cell(&p.updated_at),
    ]
}

/// The rows as CSV bytes: UTF-8 with a BOM and CRLF line ends, so Excel opens Japanese text.
pub fn csv_bytes<'a>(rows: impl Iterator<Item = (&'a Provider, Option<f64>)>) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(CSV_HEADER)?;
    for (p, d) in rows {
        writer.write_record(csv_row(p, d))?;
    }
    writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

fn csv_response(page: &[Found<'_>]) -> Response {
    match csv_bytes(page.iter().map(|f| (f.provider, f.distance_m))) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
                (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"providers.csv\"")),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => ApiError::Internal(format!("encoding CSV: {e}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_neutralised() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("04-0000-0000"), "04-0000-0000");
    }

    /// The encoding before the hand-written writer: serde over the Feature structs.
    #[derive(serde::Serialize)]
    struct CollectionOut<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        #[serde(rename = "numberMatched")]
        number_matched: usize,
        #[serde(rename = "numberReturned")]
        number_returned: usize,
        features: Vec<FeatureOut<'a>>,
    }

    #[test]
    fn a_feature_collection_has_the_same_bytes_as_serde_writes() {
        let providers = crate::synthetic::providers(50, 3);
        let page: Vec<Found<'_>> = providers
            .iter()
            .enumerate()
            .map(|(i, p)| Found { provider: p, distance_m: (i % 2 == 0).then_some(i as f64 * 123.456) })
            .collect();
        for n in [0, 1, 10, 50] {
            let serde = serde_json::to_vec(&CollectionOut {
                kind: "FeatureCollection",
                number_matched: 1000 + n,
                number_returned: n,
                features: page[..n].iter().map(|f| FeatureOut::new(f.provider, f.distance_m)).collect(),
            })
            .unwrap();
            assert_eq!(
                String::from_utf8(feature_collection_bytes(&page[..n], 1000 + n).unwrap()).unwrap(),
                String::from_utf8(serde).unwrap()
            );
        }
    }

    #[test]
    fn csv_starts_with_a_bom_and_the_japanese_header() {
        let bytes = csv_bytes(std::iter::empty()).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBFID,"));
        assert!(String::from_utf8(bytes).unwrap().contains("電話番号"));
    }
}
