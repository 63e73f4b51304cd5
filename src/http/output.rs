//! Response encodings for provider lists: a GeoJSON FeatureCollection, or CSV for Excel
//! (written by [`crate::csv_out`]: UTF-8 with a BOM, Japanese headers).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

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

#[derive(Serialize)]
struct CollectionOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "numberMatched")]
    number_matched: usize,
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    features: Vec<FeatureOut<'a>>,
}

/// A page of results as a response in the requested format. `matched` is the count before paging.
pub fn respond(page: &[Found<'_>], matched: usize, format: Format) -> Response {
    match format {
        Format::GeoJson => geojson_response(page, matched),
        Format::Csv => csv_response(page),
    }
}

fn geojson_response(page: &[Found<'_>], matched: usize) -> Response {
    let body = CollectionOut {
        kind: "FeatureCollection",
        number_matched: matched,
        number_returned: page.len(),
        features: page.iter().map(|f| FeatureOut::new(f.provider, f.distance_m)).collect(),
    };
    match serde_json::to_vec(&body) {
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
