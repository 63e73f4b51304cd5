//! Districts (日常生活圏域): named polygons that partition a city. They are data, not an enum.

use geo::{BoundingRect, Contains, Intersects, MultiPolygon};
use serde_json::{Value, json};

use super::area::polygon_from_geojson;
use super::lonlat::LonLat;

/// One district: a stable ASCII id, a Japanese name, and its area in WGS84 lon/lat.
#[derive(Debug, Clone, PartialEq)]
pub struct District {
    /// Stable id used in URLs and in `Provider::district`, e.g. `"north"`.
    pub id: String,
    /// The name shown to users, e.g. `北部`.
    pub name: String,
    /// Free-text description (e.g. which 町丁目, or that the outline is approximate).
    pub description: Option<String>,
    /// The area (lon/lat).
    pub area: MultiPolygon<f64>,
}

/// Why a districts file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DistrictError {
    /// Not a GeoJSON FeatureCollection.
    #[error("districts must be a GeoJSON FeatureCollection: {0}")]
    NotAFeatureCollection(String),
    /// A feature without a usable `id`/`name`.
    #[error("district feature {0}: {1}")]
    BadFeature(usize, String),
    /// Two features with the same id.
    #[error("district id '{0}' appears twice")]
    DuplicateId(String),
}

impl District {
    /// Whether the district contains the position (its boundary included).
    pub fn contains(&self, p: LonLat) -> bool {
        let point = p.to_point();
        self.area.contains(&point) || self.area.intersects(&point)
    }

    /// The district as a GeoJSON Feature (`id`, `properties.name`, `properties.description`).
    pub fn to_feature(&self) -> Value {
        let geometry = geojson::Geometry::from(&self.area);
        let bbox = self.area.bounding_rect().map(|r| vec![r.min().x, r.min().y, r.max().x, r.max().y]);
        json!({
            "type": "Feature",
            "id": self.id,
            "bbox": bbox,
            "geometry": geometry,
            "properties": { "name": self.name, "description": self.description },
        })
    }
}

/// Parses a FeatureCollection whose features carry `properties.id` (or a feature `id`) and
/// `properties.name`, with Polygon or MultiPolygon geometries in WGS84.
///
/// # Errors
/// [`DistrictError`] naming the feature.
pub fn parse_districts(text: &str) -> Result<Vec<District>, DistrictError> {
    let fc: geojson::FeatureCollection = text
        .parse::<geojson::GeoJson>()
        .map_err(|e| DistrictError::NotAFeatureCollection(e.to_string()))
        .and_then(|g| {
            geojson::FeatureCollection::try_from(g).map_err(|e| DistrictError::NotAFeatureCollection(e.to_string()))
        })?;
    let mut out: Vec<District> = Vec::with_capacity(fc.features.len());
    for (i, f) in fc.features.iter().enumerate() {
        let prop = |k: &str| f.property(k).and_then(Value::as_str).map(str::to_owned);
        let id = prop("id")
            .or_else(|| match &f.id {
                Some(geojson::feature::Id::String(s)) => Some(s.clone()),
                Some(geojson::feature::Id::Number(n)) => Some(n.to_string()),
                None => None,
            })
            .filter(|s| !s.is_empty() && s.len() <= 64 && !s.contains(['/', '?', '#', ',']))
            .ok_or_else(|| DistrictError::BadFeature(i, "needs an id of 1 to 64 characters without '/?#,'".into()))?;
        let name = prop("name").ok_or_else(|| DistrictError::BadFeature(i, "needs properties.name".into()))?;
        let geometry = f.geometry.as_ref().ok_or_else(|| DistrictError::BadFeature(i, "has no geometry".into()))?;
        let area = polygon_from_geojson(&geometry.value).map_err(|e| DistrictError::BadFeature(i, e.to_string()))?;
        if out.iter().any(|d| d.id == id) {
            return Err(DistrictError::DuplicateId(id));
        }
        out.push(District { id, name, description: prop("description"), area });
    }
    Ok(out)
}

/// The first district containing the position, if any.
pub fn district_of(districts: &[District], p: LonLat) -> Option<&District> {
    districts.iter().find(|d| d.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"id":"west","name":"西"},"geometry":{"type":"Polygon",
        "coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
      {"type":"Feature","id":"east","properties":{"name":"東"},"geometry":{"type":"Polygon",
        "coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}}]}"#;

    #[test]
    fn parses_ids_from_properties_or_the_feature() {
        let d = parse_districts(TWO).unwrap();
        assert_eq!(d.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["west", "east"]);
    }

    #[test]
    fn finds_the_district_of_a_point() {
        let d = parse_districts(TWO).unwrap();
        assert_eq!(district_of(&d, LonLat::new(1.5, 0.5).unwrap()).unwrap().id, "east");
        assert!(district_of(&d, LonLat::new(3.0, 0.5).unwrap()).is_none());
        // A point on the shared edge belongs to the first district listed.
        assert_eq!(district_of(&d, LonLat::new(1.0, 0.5).unwrap()).unwrap().id, "west");
    }

    #[test]
    fn refuses_duplicate_ids() {
        let text = TWO.replace("\"east\"", "\"west\"");
        assert!(matches!(parse_districts(&text), Err(DistrictError::DuplicateId(_))));
    }
}
