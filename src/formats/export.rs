//! The whole dataset as a file: a GeoJSON FeatureCollection (the public API's Features, so
//! `caremap import --source geojson` reads it back) or CSV for Excel, in WGS84 or another
//! supported CRS. Coordinates in another CRS keep GeoJSON order (x = easting or longitude,
//! y = northing or latitude) and the FeatureCollection names its CRS in a legacy `crs`
//! member, as GDAL writes it.

use std::io::Write;

use crate::domain::{District, Provider};
use crate::formats::csv::{PLANE_COORDINATE_HEADER, write_csv};
use crate::formats::geojson::FeatureOut;
use crate::spatial::crs::{Crs, CrsError, convert};

/// The file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// GeoJSON FeatureCollection.
    GeoJson,
    /// CSV (UTF-8 with BOM, Japanese headers).
    Csv,
}

impl ExportFormat {
    /// Parses `geojson` or `csv`.
    ///
    /// # Errors
    /// A message naming the formats.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "geojson" => Ok(Self::GeoJson),
            "csv" => Ok(Self::Csv),
            _ => Err(format!("unknown format '{s}'; use geojson or csv")),
        }
    }
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A coordinate could not be converted.
    #[error(transparent)]
    Crs(#[from] CrsError),
    /// Writing failed.
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    /// Writing CSV failed.
    #[error("cannot write the export: {0}")]
    Csv(#[from] csv::Error),
    /// Encoding JSON failed.
    #[error("cannot encode the export: {0}")]
    Json(#[from] serde_json::Error),
}

/// The legacy GeoJSON `crs` name of a CRS, e.g. `urn:ogc:def:crs:EPSG::6677`.
pub fn crs_urn(crs: Crs) -> String {
    match crs {
        Crs::Crs84 => "urn:ogc:def:crs:OGC:1.3:CRS84".into(),
        other => format!("urn:ogc:def:crs:{}", other.proj_id().replacen(':', "::", 1)),
    }
}

/// Each provider's coordinates in `crs`, in GeoJSON order.
///
/// # Errors
/// [`CrsError`] when PROJ cannot convert a point.
pub fn coordinates_in(providers: &[Provider], crs: Crs) -> Result<Vec<(f64, f64)>, CrsError> {
    let mut points: Vec<(f64, f64)> = providers.iter().map(|p| (p.location.lon(), p.location.lat())).collect();
    convert(Crs::Crs84, crs, &mut points)?;
    Ok(points)
}

/// Writes `providers` to `out` in `format`, coordinates in `crs`; `districts` name the CSV's
/// 圏域 column.
///
/// # Errors
/// [`ExportError`] when a point cannot be converted or writing fails.
pub fn export<W: Write>(
    providers: &[Provider],
    districts: &[District],
    format: ExportFormat,
    crs: Crs,
    out: W,
) -> Result<W, ExportError> {
    let points = coordinates_in(providers, crs)?;
    match format {
        ExportFormat::Csv => {
            let header = (!crs.is_geographic()).then_some(PLANE_COORDINATE_HEADER);
            let rows = providers.iter().zip(&points).map(|(p, xy)| (p, None, *xy));
            Ok(write_csv(out, rows, header, districts)?)
        }
        ExportFormat::GeoJson => {
            let mut out = out;
            out.write_all(b"{\"type\":\"FeatureCollection\",")?;
            if !matches!(crs, Crs::Crs84 | Crs::Epsg4326) {
                let member = serde_json::json!({"type": "name", "properties": {"name": crs_urn(crs)}});
                write!(out, "\"crs\":{member},")?;
            }
            out.write_all(b"\"features\":[")?;
            for (i, (p, xy)) in providers.iter().zip(&points).enumerate() {
                if i > 0 {
                    out.write_all(b",\n")?;
                }
                serde_json::to_writer(&mut out, &FeatureOut::new(p, None).with_coordinates([xy.0, xy.1]))?;
            }
            out.write_all(b"]}\n")?;
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urns_are_written_the_way_gdal_writes_them() {
        assert_eq!(crs_urn(Crs::Epsg6677), "urn:ogc:def:crs:EPSG::6677");
        assert_eq!(Crs::parse(&crs_urn(Crs::Epsg6677)), Ok(Crs::Epsg6677));
        assert_eq!(Crs::parse(&crs_urn(Crs::Crs84)), Ok(Crs::Crs84));
    }

    #[test]
    fn an_empty_export_is_a_valid_feature_collection() {
        let bytes = export(&[], &[], ExportFormat::GeoJson, Crs::Epsg6677, Vec::new()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["features"], serde_json::json!([]));
        assert_eq!(v["crs"]["properties"]["name"], "urn:ogc:def:crs:EPSG::6677");
    }
}
