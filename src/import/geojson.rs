//! GeoJSON FeatureCollections of providers (the properties of caremap's own Features, as
//! `caremap export --format geojson` writes them), in WGS84 or in the CRS given by `--crs`
//! or by the file's legacy `crs` member (`{"type":"name","properties":{"name":…}}`).
//! Coordinates are read in GeoJSON order (x = longitude or easting, y = latitude or
//! northing) and converted to WGS84 with PROJ ([`crate::spatial::crs`]).

use std::collections::HashMap;

use serde_json::Value;

use crate::formats::geojson::provider_from_feature;
use crate::spatial::crs::{Crs, convert};

use super::fields::checked;
use super::{Collected, FileReport, ImportError, ImportOptions, InputFile, Parsed};

/// The CRS named by a legacy `crs` member, if there is one.
///
/// # Errors
/// A reason when the member is there but names a CRS caremap does not support.
fn crs_member(fc: &Value) -> Result<Option<Crs>, String> {
    let Some(member) = fc.get("crs").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let name = member.pointer("/properties/name").and_then(Value::as_str).ok_or_else(|| {
        "the crs member must look like {\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::6677\"}}"
            .to_owned()
    })?;
    Crs::parse(name).map(Some).map_err(|e| format!("crs member: {e}"))
}

/// Reads one FeatureCollection into `collected`.
///
/// # Errors
/// [`ImportError::Encoding`] when it is not UTF-8; [`ImportError::Invalid`] when it is not a
/// GeoJSON FeatureCollection or names an unsupported CRS.
pub(super) fn read_file(
    file: &InputFile,
    options: &ImportOptions,
    collected: &mut Collected,
    parsed: &mut Parsed,
) -> Result<(), ImportError> {
    let name = file.name.as_str();
    let invalid = |reason: String| ImportError::Invalid { file: name.to_owned(), reason };
    let bytes = file.bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&file.bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| ImportError::Encoding { file: name.to_owned() })?;
    let mut fc: Value = serde_json::from_str(text)
        .map_err(|e| invalid(format!("not JSON (a GeoJSON FeatureCollection was expected): {e}")))?;
    if fc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(invalid("expected a GeoJSON FeatureCollection (\"type\": \"FeatureCollection\")".into()));
    }
    let declared = crs_member(&fc).map_err(invalid)?;
    let crs = match (options.crs, declared) {
        (Some(given), Some(declared)) if given != declared => {
            parsed.report.warn(format!(
                "{name}: the file's crs member says {}, but --crs {} was given and used",
                declared.proj_id(),
                given.proj_id()
            ));
            given
        }
        (Some(given), _) => given,
        (None, Some(declared)) => declared,
        (None, None) => Crs::Crs84,
    };
    if crs == Crs::Epsg4301 {
        parsed.report.warn(format!(
            "{name}: coordinates were converted from Tokyo Datum (EPSG:4301) with PROJ's offline datum shift, \
             accurate to about 10 m"
        ));
    }
    let features = match fc.get_mut("features").map(Value::take) {
        Some(Value::Array(features)) => features,
        _ => return Err(invalid("a FeatureCollection needs a \"features\" array".into())),
    };
    let mut file_report = FileReport {
        name: name.to_owned(),
        encoding: None,
        rows: 0,
        service: None,
        kind: None,
        crs: Some(crs.proj_id()),
    };
    let mut first_seen: HashMap<String, u64> = HashMap::new();
    for (i, value) in features.into_iter().enumerate() {
        let n = i as u64 + 1;
        file_report.rows += 1;
        parsed.report.rows_read += 1;
        match provider_of(value, crs) {
            Ok(p) => {
                if let Some(first) = first_seen.get(&p.id) {
                    parsed.report.skip_feature(
                        name,
                        n,
                        format!("id '{}' appears again (first in feature {first})", p.id),
                    );
                } else {
                    first_seen.insert(p.id.clone(), n);
                    collected.add(p, |_, _| {});
                }
            }
            Err(reason) => parsed.report.skip_feature(name, n, reason),
        }
    }
    parsed.report.files.push(file_report);
    Ok(())
}

fn provider_of(value: Value, crs: Crs) -> Result<crate::domain::Provider, String> {
    let mut feature: geojson::Feature =
        serde_json::from_value(value).map_err(|e| format!("not a GeoJSON Feature: {e}"))?;
    let Some(geojson::GeometryValue::Point { coordinates }) = feature.geometry.as_ref().map(|g| &g.value) else {
        return Err(format!("{}: geometry must be a Point", super::fields::NO_COORDINATES));
    };
    let (x, y) = match coordinates.as_slice() {
        [x, y, ..] if x.is_finite() && y.is_finite() => (*x, *y),
        _ => return Err(format!("{}: the Point needs two finite numbers", super::fields::NO_COORDINATES)),
    };
    if crs.is_geographic() && x == 0.0 && y == 0.0 {
        return Err(format!("{}: 0,0 means not registered", super::fields::NO_COORDINATES));
    }
    let mut point = [(x, y)];
    convert(crs, Crs::Crs84, &mut point).map_err(|e| format!("{}: {e}", super::fields::NO_COORDINATES))?;
    let location = checked(point[0].0, point[0].1)?;
    feature.geometry =
        Some(geojson::Geometry::new(geojson::GeometryValue::new_point([location.lon(), location.lat()])));
    provider_from_feature(&feature, "", "")
        .map_err(|errors| errors.iter().map(|e| format!("{}: {}", e.name, e.reason)).collect::<Vec<_>>().join("; "))
}
