//! Providers as GeoJSON (RFC 7946) Features: written straight to bytes for responses and
//! files, and read back from Features (the bundled sample, staff edits, GeoJSON imports).

use serde::{Deserialize, Serialize};

use crate::domain::{FieldError, HomeCare, Kind, LonLat, Provider};

/// The `properties` of a provider Feature. Every field of [`Provider`] except `id` and
/// `location`, which are the Feature's `id` and `geometry`.
#[derive(Debug, Serialize)]
struct PropertiesOut<'a> {
    kind: Kind,
    official_code: &'a Option<String>,
    name: &'a str,
    name_kana: &'a Option<String>,
    services: &'a [String],
    home_care: &'a Option<HomeCare>,
    address: &'a Option<String>,
    phone: &'a Option<String>,
    fax: &'a Option<String>,
    url: &'a Option<String>,
    corporation: &'a Option<String>,
    corporate_number: &'a Option<String>,
    capacity: &'a Option<u32>,
    open_days: &'a Option<String>,
    notes: &'a Option<String>,
    accepting: &'a Option<bool>,
    accepting_updated_at: &'a Option<String>,
    district: &'a Option<String>,
    version: i64,
    updated_at: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    distance_m: Option<f64>,
}

#[derive(Debug, Serialize)]
struct PointOut {
    #[serde(rename = "type")]
    kind: &'static str,
    coordinates: [f64; 2],
}

/// A provider Feature ready to serialise, with its distance where a query had a point.
#[derive(Debug, Serialize)]
pub struct FeatureOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    geometry: PointOut,
    properties: PropertiesOut<'a>,
}

impl<'a> FeatureOut<'a> {
    /// The Feature for `p`. `distance_m` (metres, rounded to 0.1 m) is added when given.
    pub fn new(p: &'a Provider, distance_m: Option<f64>) -> Self {
        Self {
            kind: "Feature",
            id: &p.id,
            geometry: PointOut { kind: "Point", coordinates: [p.location.lon(), p.location.lat()] },
            properties: PropertiesOut {
                kind: p.kind,
                official_code: &p.official_code,
                name: &p.name,
                name_kana: &p.name_kana,
                services: &p.services,
                home_care: &p.home_care,
                address: &p.address,
                phone: &p.phone,
                fax: &p.fax,
                url: &p.url,
                corporation: &p.corporation,
                corporate_number: &p.corporate_number,
                capacity: &p.capacity,
                open_days: &p.open_days,
                notes: &p.notes,
                accepting: &p.accepting,
                accepting_updated_at: &p.accepting_updated_at,
                district: &p.district,
                version: p.version,
                updated_at: &p.updated_at,
                distance_m: distance_m.map(|d| (d * 10.0).round() / 10.0),
            },
        }
    }

    /// The same Feature with its point at `coordinates` (another CRS's x, y for exports).
    #[must_use]
    pub fn at(mut self, coordinates: [f64; 2]) -> Self {
        self.geometry.coordinates = coordinates;
        self
    }
}

/// Provider properties as accepted from a Feature (sample file, staff edits, GeoJSON import).
/// Derived and bookkeeping fields (`district`, `version`, `updated_at`) are ignored on input.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PropertiesIn {
    /// See [`Provider::kind`].
    pub kind: Option<Kind>,
    /// See [`Provider::official_code`].
    pub official_code: Option<String>,
    /// See [`Provider::name`].
    pub name: Option<String>,
    /// See [`Provider::name_kana`].
    pub name_kana: Option<String>,
    /// See [`Provider::services`].
    pub services: Vec<String>,
    /// See [`Provider::home_care`].
    pub home_care: Option<HomeCare>,
    /// See [`Provider::address`].
    pub address: Option<String>,
    /// See [`Provider::phone`].
    pub phone: Option<String>,
    /// See [`Provider::fax`].
    pub fax: Option<String>,
    /// See [`Provider::url`].
    pub url: Option<String>,
    /// See [`Provider::corporation`].
    pub corporation: Option<String>,
    /// See [`Provider::corporate_number`].
    pub corporate_number: Option<String>,
    /// See [`Provider::capacity`].
    pub capacity: Option<u32>,
    /// See [`Provider::open_days`].
    pub open_days: Option<String>,
    /// See [`Provider::notes`].
    pub notes: Option<String>,
    /// See [`Provider::accepting`].
    pub accepting: Option<bool>,
    /// See [`Provider::accepting_updated_at`].
    pub accepting_updated_at: Option<String>,
    /// Ignored (derived from the location).
    pub district: Option<serde_json::Value>,
    /// Ignored (the store assigns it).
    pub version: Option<serde_json::Value>,
    /// Ignored (the store assigns it).
    pub updated_at: Option<serde_json::Value>,
    /// Ignored (query output only).
    pub distance_m: Option<serde_json::Value>,
}

/// Reads a provider from a GeoJSON Feature with a Point geometry. The result has version 1,
/// no district, and the given `updated_at`/`updated_by`; callers derive the rest.
///
/// # Errors
/// Every problem found, each naming its field (`id`, `geometry`, `properties.<name>` …).
pub fn provider_from_feature(
    f: &geojson::Feature,
    updated_at: &str,
    updated_by: &str,
) -> Result<Provider, Vec<FieldError>> {
    let mut errors = Vec::new();
    let id = match &f.id {
        Some(geojson::feature::Id::String(s)) => s.clone(),
        Some(geojson::feature::Id::Number(n)) => n.to_string(),
        None => {
            errors.push(FieldError::new("id", "is required"));
            String::new()
        }
    };
    let location = match f.geometry.as_ref().map(|g| &g.value) {
        Some(geojson::GeometryValue::Point { coordinates }) if coordinates.len() >= 2 => {
            LonLat::registered(coordinates[0], coordinates[1])
                .map_err(|e| errors.push(FieldError::new("geometry", e.to_string())))
                .ok()
        }
        _ => {
            errors.push(FieldError::new("geometry", "must be a Point with [lon, lat]"));
            None
        }
    };
    let props: PropertiesIn =
        match serde_json::from_value(serde_json::Value::Object(f.properties.clone().unwrap_or_default())) {
            Ok(p) => p,
            Err(e) => {
                errors.push(FieldError::new("properties", e.to_string()));
                PropertiesIn::default()
            }
        };
    if props.kind.is_none() {
        errors.push(FieldError::new("kind", "is required: care, clinic, hospital or pharmacy"));
    }
    let (Some(location), Some(kind), true) = (location, props.kind, errors.is_empty()) else {
        return Err(errors);
    };
    let provider = Provider {
        id,
        kind,
        official_code: props.official_code,
        name: props.name.unwrap_or_default(),
        name_kana: props.name_kana,
        services: props.services,
        home_care: props.home_care,
        address: props.address,
        phone: props.phone,
        fax: props.fax,
        url: props.url,
        corporation: props.corporation,
        corporate_number: props.corporate_number,
        capacity: props.capacity,
        open_days: props.open_days,
        notes: props.notes,
        accepting: props.accepting,
        accepting_updated_at: props.accepting_updated_at,
        location,
        district: None,
        version: 1,
        updated_at: updated_at.to_owned(),
        updated_by: updated_by.to_owned(),
    };
    let errors = provider.validate();
    if errors.is_empty() { Ok(provider) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_survives_a_round_trip_through_a_feature() {
        let text = r#"{"type":"Feature","id":"c-1","geometry":{"type":"Point","coordinates":[139.9,35.85]},
          "properties":{"kind":"clinic","name":"テスト診療所","services":["130"],
          "home_care":{"class":"enhanced_solo","available_24h":true},"phone":"04-0000-1111"}}"#;
        let f: geojson::Feature = text.parse().unwrap();
        let p = provider_from_feature(&f, "2026-11-01T00:00:00Z", "test").unwrap();
        let again: geojson::Feature = serde_json::to_string(&FeatureOut::new(&p, None)).unwrap().parse().unwrap();
        assert_eq!(provider_from_feature(&again, "2026-11-01T00:00:00Z", "test").unwrap(), p);
    }

    #[test]
    fn bad_features_name_each_problem() {
        let f: geojson::Feature =
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]},"properties":{"name":"x"}}"#.parse().unwrap();
        let names: Vec<_> = provider_from_feature(&f, "", "").unwrap_err().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["id", "geometry", "kind"]);
    }

    #[test]
    fn unknown_properties_are_refused() {
        let f: geojson::Feature = r#"{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[139.9,35.8]},
            "properties":{"kind":"care","name":"x","colour":"red"}}"#
            .parse()
            .unwrap();
        let errors = provider_from_feature(&f, "", "").unwrap_err();
        assert!(errors[0].reason.contains("colour"), "{errors:?}");
    }
}
