//! Response encodings for provider lists: a GeoJSON FeatureCollection, or CSV for Excel
//! (written by [`crate::formats::csv`]: UTF-8 with a BOM, Japanese headers), named after what it
//! holds and the day in Japan (`caremap_南部圏域_2026-11-30.csv`).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use time::{Date, OffsetDateTime};

use crate::catalog::Found;
use crate::domain::{District, ProviderFields, VacancyClock};
pub use crate::formats::csv::{CSV_HEADER, JST, csv_bytes};
use crate::formats::geojson::FeatureOut;

use crate::http::error::ApiError;

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

/// What a CSV download holds: it names the file and gives the 圏域 column its names.
#[derive(Debug, Clone)]
pub struct CsvFile<'a> {
    /// What the rows are, in Japanese, for the file name (e.g. `南部圏域`, `近くの事業所`).
    pub what: String,
    /// The same in ASCII, for the fallback file name of old clients (e.g. `south`, `nearest`).
    pub what_ascii: String,
    /// Every district, so the 圏域 column shows names rather than ids.
    pub districts: &'a [District],
}

impl Default for CsvFile<'_> {
    fn default() -> Self {
        Self { what: "一覧".into(), what_ascii: "providers".into(), districts: &[] }
    }
}

impl CsvFile<'_> {
    /// The `Content-Disposition` value for a download made on `day` (Japan time): an ASCII
    /// `filename` and the real name as RFC 6266 / RFC 8187 `filename*=UTF-8''…`.
    pub fn content_disposition(&self, day: Date) -> String {
        let name = format!("caremap_{}_{day}.csv", file_safe(&self.what));
        let ascii: String = format!("caremap_{}_{day}.csv", self.what_ascii)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
            .collect();
        format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", percent_encode(&name))
    }
}

/// `s` without what file systems refuse or shells trip on (`\ / : * ? " < > |`, controls, spaces).
fn file_safe(s: &str) -> String {
    s.chars().map(|c| if c.is_control() || c.is_whitespace() || "\\/:*?\"<>|".contains(c) { '_' } else { c }).collect()
}

/// RFC 8187 value encoding: every byte outside `attr-char` as `%XX`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Today's date in Japan.
fn today_jst() -> Date {
    OffsetDateTime::now_utc().to_offset(JST).date()
}

/// A page of results as a response in the requested format. `matched` is the count before paging.
/// `clock` judges each provider's `accepting_stale`.
pub fn respond(page: &[Found<'_>], matched: usize, format: Format, clock: &VacancyClock) -> Response {
    respond_as(page, matched, format, &CsvFile::default(), clock)
}

/// [`respond`], with a CSV named and labelled by `csv`.
pub fn respond_as(
    page: &[Found<'_>],
    matched: usize,
    format: Format,
    csv: &CsvFile<'_>,
    clock: &VacancyClock,
) -> Response {
    match format {
        Format::GeoJson => geojson_response(page, matched, clock),
        Format::Csv => csv_response(page, csv),
    }
}

/// The public properties of a provider Feature, in the order they are written: the field
/// table's fields (all but the location, which is the geometry), then the bookkeeping and the
/// distance. What `properties=` may name.
pub fn property_names() -> Vec<&'static str> {
    crate::domain::PROVIDER_FIELDS
        .iter()
        .map(|f| f.key)
        .filter(|key| *key != "geometry")
        .chain(["accepting_stale", "version", "updated_at", "distance_m"])
        .collect()
}

/// Parses `properties=`: a comma list of [`property_names`], each once.
///
/// # Errors
/// A reason naming the unknown or repeated property.
pub fn parse_properties(raw: &str) -> Result<Vec<String>, String> {
    let known = property_names();
    let mut names: Vec<String> = Vec::new();
    for name in raw.split(',').map(str::trim) {
        if !known.contains(&name) {
            return Err(format!("has no property '{name}'; properties: {}", known.join(", ")));
        }
        if names.iter().any(|n| n == name) {
            return Err(format!("names '{name}' more than once"));
        }
        names.push(name.to_owned());
    }
    Ok(names)
}

/// A Feature as JSON with only the properties in `keep` (`properties=`).
///
/// # Errors
/// Never in practice (see [`FeatureOut::write_json`]).
pub fn feature_selecting<P: ProviderFields>(
    feature: &FeatureOut<'_, P>,
    keep: &[String],
) -> serde_json::Result<serde_json::Value> {
    let mut value = serde_json::to_value(feature)?;
    if let Some(properties) = value.get_mut("properties").and_then(serde_json::Value::as_object_mut) {
        properties.retain(|k, _| keep.iter().any(|n| n == k));
    }
    Ok(value)
}

/// A page as a GeoJSON FeatureCollection (like [`feature_collection_bytes`]) whose features
/// keep only the properties in `keep`.
pub fn respond_selecting(page: &[Found<'_>], matched: usize, keep: &[String], clock: &VacancyClock) -> Response {
    let features: serde_json::Result<Vec<serde_json::Value>> =
        page.iter().map(|f| feature_selecting(&FeatureOut::new(f.provider, f.distance_m).fresh(clock), keep)).collect();
    let body = features.and_then(|features| {
        serde_json::to_vec(&serde_json::json!({
            "type": "FeatureCollection",
            "numberMatched": matched,
            "numberReturned": page.len(),
            "features": features,
        }))
    });
    match body {
        Ok(bytes) => ([(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))], bytes).into_response(),
        Err(e) => ApiError::Internal(format!("encoding GeoJSON: {e}")).into_response(),
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
pub fn feature_collection_bytes(
    page: &[Found<'_>],
    matched: usize,
    clock: &VacancyClock,
) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128 + FEATURE_BYTES * page.len());
    out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"numberMatched\":");
    serde_json::to_writer(&mut out, &matched)?;
    out.extend_from_slice(b",\"numberReturned\":");
    serde_json::to_writer(&mut out, &page.len())?;
    out.extend_from_slice(b",\"features\":[");
    page.iter().for_each(|f| f.provider.touch());
    for (i, f) in page.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        FeatureOut::new(f.provider, f.distance_m).fresh(clock).write_json(&mut out)?;
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

fn geojson_response(page: &[Found<'_>], matched: usize, clock: &VacancyClock) -> Response {
    match feature_collection_bytes(page, matched, clock) {
        Ok(bytes) => ([(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))], bytes).into_response(),
        Err(e) => ApiError::Internal(format!("encoding GeoJSON: {e}")).into_response(),
    }
}

fn csv_response(page: &[Found<'_>], csv: &CsvFile<'_>) -> Response {
    let disposition = HeaderValue::from_str(&csv.content_disposition(today_jst()))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment; filename=\"caremap.csv\""));
    match csv_bytes(page.iter().map(|f| (f.provider, f.distance_m)), csv.districts) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
                (header::CONTENT_DISPOSITION, disposition),
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
    use crate::catalog::Record;

    #[test]
    fn a_property_list_keeps_only_the_named_properties() {
        let providers = crate::generate::synthetic::providers(1, 3);
        let keep = parse_properties("name,district").unwrap();
        let value = feature_selecting(&FeatureOut::new(&providers[0], None), &keep).unwrap();
        let names: Vec<&String> = value["properties"].as_object().unwrap().keys().collect();
        assert_eq!(names, ["district", "name"]);
        assert_eq!(value["id"], serde_json::json!(providers[0].id), "id and geometry stay");
        assert!(parse_properties("name,nmae").unwrap_err().contains("'nmae'"));
        assert!(parse_properties("name,name").is_err());
    }

    #[test]
    fn a_csv_is_named_after_what_it_holds_with_an_ascii_fallback() {
        let csv = CsvFile { what: "南部圏域".into(), what_ascii: "south".into(), districts: &[] };
        let day = Date::from_calendar_date(2026, time::Month::November, 30).unwrap();
        assert_eq!(
            csv.content_disposition(day),
            "attachment; filename=\"caremap_south_2026-11-30.csv\"; \
             filename*=UTF-8''caremap_%E5%8D%97%E9%83%A8%E5%9C%8F%E5%9F%9F_2026-11-30.csv"
        );
    }

    #[test]
    fn a_file_name_from_data_cannot_escape_its_header_or_folder() {
        let csv = CsvFile { what: "a/b \"c\"\r\n".into(), what_ascii: "x\"; y".into(), districts: &[] };
        let value = csv.content_disposition(Date::MIN);
        assert!(HeaderValue::from_str(&value).is_ok(), "{value}");
        assert!(value.contains("filename=\"caremap_x___y_"), "{value}");
        assert!(value.contains("''caremap_a_b__c___"), "{value}");
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
        features: Vec<FeatureOut<'a, Record>>,
    }

    #[test]
    fn a_feature_collection_has_the_same_bytes_as_serde_writes() {
        let providers = crate::generate::synthetic::providers(50, 3);
        let records: Vec<Record> = providers.iter().map(Record::new).collect();
        let page: Vec<Found<'_>> = records
            .iter()
            .enumerate()
            .map(|(i, p)| Found { provider: p, distance_m: (i % 2 == 0).then_some(i as f64 * 123.456) })
            .collect();
        let clock = VacancyClock::now(30);
        for n in [0, 1, 10, 50] {
            let serde = serde_json::to_vec(&CollectionOut {
                kind: "FeatureCollection",
                number_matched: 1000 + n,
                number_returned: n,
                features: page[..n].iter().map(|f| FeatureOut::new(f.provider, f.distance_m).fresh(&clock)).collect(),
            })
            .unwrap();
            assert_eq!(
                String::from_utf8(feature_collection_bytes(&page[..n], 1000 + n, &clock).unwrap()).unwrap(),
                String::from_utf8(serde).unwrap()
            );
        }
    }
}
