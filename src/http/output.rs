//! Response encodings for provider lists: a GeoJSON FeatureCollection, or CSV for Excel
//! (written by [`crate::csv_out`]: UTF-8 with a BOM, Japanese headers).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::catalog::Found;
pub use crate::csv_out::{CSV_HEADER, csv_bytes};
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
}
