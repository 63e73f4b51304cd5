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
    /// Staff responses only: who made the last change.
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_by: Option<&'a str>,
    /// Staff responses only: when it was soft-deleted (`null` while live).
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_at: Option<Option<&'a str>>,
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
                updated_by: None,
                deleted_at: None,
            },
        }
    }

    /// The same Feature with its Point's coordinates replaced, for output in another CRS
    /// (OGC API – Features Part 2). `coordinates` are already in the target CRS's axis order.
    #[must_use]
    pub fn with_coordinates(mut self, coordinates: [f64; 2]) -> Self {
        self.geometry.coordinates = coordinates;
        self
    }

    /// The Feature the staff API answers with: the public properties plus `updated_by` and
    /// `deleted_at` (`null` while the provider is live).
    pub fn staff(p: &'a Provider, deleted_at: Option<&'a str>) -> Self {
        let mut f = Self::new(p, None);
        f.properties.updated_by = Some(&p.updated_by);
        f.properties.deleted_at = Some(deleted_at);
        f
    }

    /// Appends the Feature's compact JSON to `out`: the same bytes as `serde_json::to_vec(self)`,
    /// written without serde's per-field machinery (the keys are constants, and strings that
    /// need no escaping are copied as they are). This is the hot path of every list response.
    ///
    /// # Errors
    /// Never in practice: writing to a `Vec` cannot fail, and every value is serialisable.
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let p = &self.properties;
        out.extend_from_slice(b"{\"type\":\"Feature\",\"id\":");
        push_str(out, self.id)?;
        out.extend_from_slice(b",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
        push_f64(out, self.geometry.coordinates[0])?;
        out.push(b',');
        push_f64(out, self.geometry.coordinates[1])?;
        out.extend_from_slice(b"]},\"properties\":{\"kind\":\"");
        out.extend_from_slice(p.kind.as_str().as_bytes());
        out.extend_from_slice(b"\",\"official_code\":");
        push_opt_str(out, p.official_code.as_deref())?;
        out.extend_from_slice(b",\"name\":");
        push_str(out, p.name)?;
        out.extend_from_slice(b",\"name_kana\":");
        push_opt_str(out, p.name_kana.as_deref())?;
        out.extend_from_slice(b",\"services\":[");
        for (i, code) in p.services.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_str(out, code)?;
        }
        out.extend_from_slice(b"],\"home_care\":");
        serde_json::to_writer(&mut *out, p.home_care)?;
        let optional: [(&[u8], &Option<String>); 6] = [
            (b",\"address\":", p.address),
            (b",\"phone\":", p.phone),
            (b",\"fax\":", p.fax),
            (b",\"url\":", p.url),
            (b",\"corporation\":", p.corporation),
            (b",\"corporate_number\":", p.corporate_number),
        ];
        for (key, value) in optional {
            out.extend_from_slice(key);
            push_opt_str(out, value.as_deref())?;
        }
        out.extend_from_slice(b",\"capacity\":");
        serde_json::to_writer(&mut *out, p.capacity)?;
        out.extend_from_slice(b",\"open_days\":");
        push_opt_str(out, p.open_days.as_deref())?;
        out.extend_from_slice(b",\"notes\":");
        push_opt_str(out, p.notes.as_deref())?;
        out.extend_from_slice(b",\"accepting\":");
        out.extend_from_slice(match p.accepting {
            Some(true) => b"true",
            Some(false) => b"false",
            None => b"null",
        });
        out.extend_from_slice(b",\"accepting_updated_at\":");
        push_opt_str(out, p.accepting_updated_at.as_deref())?;
        out.extend_from_slice(b",\"district\":");
        push_opt_str(out, p.district.as_deref())?;
        out.extend_from_slice(b",\"version\":");
        serde_json::to_writer(&mut *out, &p.version)?;
        out.extend_from_slice(b",\"updated_at\":");
        push_str(out, p.updated_at)?;
        if let Some(d) = p.distance_m {
            out.extend_from_slice(b",\"distance_m\":");
            push_f64(out, d)?;
        }
        if let Some(by) = p.updated_by {
            out.extend_from_slice(b",\"updated_by\":");
            push_str(out, by)?;
        }
        if let Some(deleted_at) = p.deleted_at {
            out.extend_from_slice(b",\"deleted_at\":");
            push_opt_str(out, deleted_at)?;
        }
        out.extend_from_slice(b"}}");
        Ok(())
    }
}

/// Appends `s` as a JSON string exactly as serde_json writes it: copied between quotes when no
/// byte needs escaping (the usual case), through serde_json otherwise.
fn push_str(out: &mut Vec<u8>, s: &str) -> serde_json::Result<()> {
    if needs_escape(s.as_bytes()) {
        return serde_json::to_writer(&mut *out, s);
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
    Ok(())
}

/// Whether JSON needs any byte of `s` escaped (a control character, `"` or `\\`). Checks 16
/// bytes at a time without an early exit inside a block, which the compiler turns into SIMD
/// compares: this scan runs over every text field of every feature served.
fn needs_escape(s: &[u8]) -> bool {
    let special = |b: u8| u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\');
    let mut blocks = s.chunks_exact(16);
    for block in &mut blocks {
        if block.iter().fold(0, |acc, &b| acc | special(b)) != 0 {
            return true;
        }
    }
    blocks.remainder().iter().any(|&b| special(b) != 0)
}

fn push_opt_str(out: &mut Vec<u8>, s: Option<&str>) -> serde_json::Result<()> {
    match s {
        Some(s) => push_str(out, s),
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

/// Appends a number as serde_json writes it (shortest round-trip form; `null` if not finite).
fn push_f64(out: &mut Vec<u8>, x: f64) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *out, &x)
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
    /// Ignored (the store records who made a change).
    pub updated_by: Option<serde_json::Value>,
    /// Ignored (soft delete and restore have their own requests).
    pub deleted_at: Option<serde_json::Value>,
}

/// Reads the properties, naming each one that is unknown or of the wrong type. Returns the
/// properties that could be read (the bad ones left out) and the names of the bad ones.
fn read_properties(map: serde_json::Map<String, serde_json::Value>, errors: &mut Vec<FieldError>) -> PropertiesIn {
    let whole = serde_json::Value::Object(map);
    if let Ok(props) = serde_json::from_value::<PropertiesIn>(whole.clone()) {
        return props;
    }
    let serde_json::Value::Object(map) = whole else { return PropertiesIn::default() };
    let mut good = serde_json::Map::new();
    for (name, value) in map {
        let single = serde_json::Value::Object(serde_json::Map::from_iter([(name.clone(), value.clone())]));
        match serde_json::from_value::<PropertiesIn>(single) {
            Ok(_) => {
                good.insert(name, value);
            }
            Err(e) if e.to_string().starts_with("unknown field") => {
                errors.push(FieldError::new(name, "is not a provider property"));
            }
            Err(e) => errors.push(FieldError::new(name, e.to_string())),
        }
    }
    serde_json::from_value(serde_json::Value::Object(good)).unwrap_or_default()
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
    let props = read_properties(f.properties.clone().unwrap_or_default(), &mut errors);
    if props.kind.is_none() && !errors.iter().any(|e| e.name == "kind") {
        errors.push(FieldError::new("kind", "is required: care, clinic, hospital or pharmacy"));
    }
    // Without a usable location or kind the other fields are still checked, so one answer
    // names every bad field; the stand-ins (a valid point, a kind that allows every field)
    // raise no error of their own, and the provider is not returned.
    let complete = location.is_some() && props.kind.is_some();
    let provider = Provider {
        id,
        kind: props.kind.unwrap_or(Kind::Hospital),
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
        location: location.unwrap_or(STAND_IN_LOCATION),
        district: None,
        version: 1,
        updated_at: updated_at.to_owned(),
        updated_by: updated_by.to_owned(),
    };
    // A field already reported (e.g. a missing id) is not reported again by validate().
    let reported: Vec<String> = errors.iter().map(|e| e.name.clone()).collect();
    errors.extend(provider.validate().into_iter().filter(|e| !reported.contains(&e.name)));
    if errors.is_empty() && complete { Ok(provider) } else { Err(errors) }
}

/// Where a provider without a usable location is placed while its other fields are checked.
const STAND_IN_LOCATION: LonLat = LonLat::TOKYO_STATION;

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::HomeCareClass;

    #[test]
    fn a_byte_to_escape_is_found_at_every_position_of_a_long_text() {
        for len in [1, 15, 16, 17, 40, 100] {
            for at in 0..len {
                for special in [b'"', b'\\', b'\n', 0x00, 0x1f] {
                    let mut text = "流".repeat(len).into_bytes();
                    text[at] = special;
                    assert!(needs_escape(&text), "len {len}, {special:#x} at {at}");
                }
            }
            assert!(!needs_escape("流".repeat(len).as_bytes()));
            assert!(!needs_escape(&vec![0x7f; len]), "DEL is not escaped by JSON");
        }
    }

    /// Any text, often with the characters JSON must escape.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[\"\\\\\\x00-\\x1f\\x7f a-z/あ漢]{0,12}"]
    }

    fn opt_text() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(text())
    }

    fn home_care() -> impl Strategy<Value = Option<HomeCare>> {
        let class = proptest::option::of(prop_oneof![
            Just(HomeCareClass::EnhancedSolo),
            Just(HomeCareClass::EnhancedNetwork),
            Just(HomeCareClass::Standard)
        ]);
        proptest::option::of((class, any::<[bool; 4]>()).prop_map(|(class, b)| HomeCare {
            class,
            house_calls: b[0],
            home_visits: b[1],
            available_24h: b[2],
            end_of_life: b[3],
        }))
    }

    fn provider() -> impl Strategy<Value = Provider> {
        let kind = prop_oneof![Just(Kind::Care), Just(Kind::Clinic), Just(Kind::Hospital), Just(Kind::Pharmacy)];
        let names = (text(), kind, opt_text(), text(), opt_text(), proptest::collection::vec(text(), 0..4));
        let contact = (home_care(), opt_text(), opt_text(), opt_text(), opt_text(), opt_text(), opt_text());
        let rest = (
            proptest::option::of(any::<u32>()),
            opt_text(),
            opt_text(),
            proptest::option::of(any::<bool>()),
            opt_text(),
            (-180.0..=180.0f64, -90.0..=90.0f64),
            opt_text(),
            any::<i64>(),
            (text(), text()),
        );
        (names, contact, rest).prop_map(|(n, c, r)| Provider {
            id: n.0,
            kind: n.1,
            official_code: n.2,
            name: n.3,
            name_kana: n.4,
            services: n.5,
            home_care: c.0,
            address: c.1,
            phone: c.2,
            fax: c.3,
            url: c.4,
            corporation: c.5,
            corporate_number: c.6,
            capacity: r.0,
            open_days: r.1,
            notes: r.2,
            accepting: r.3,
            accepting_updated_at: r.4,
            location: LonLat::new(r.5.0, r.5.1).unwrap(),
            district: r.6,
            version: r.7,
            updated_at: r.8.0,
            updated_by: r.8.1,
        })
    }

    fn written(f: &FeatureOut<'_>) -> String {
        let mut out = Vec::new();
        f.write_json(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    proptest! {
        #[test]
        fn the_hand_written_feature_is_byte_for_byte_what_serde_writes(
            p in provider(),
            distance_m in proptest::option::of(prop_oneof![0.0..2.1e7f64, any::<f64>()]),
            deleted_at in proptest::option::of(opt_text()),
            coordinates in proptest::option::of(any::<[f64; 2]>()),
        ) {
            let public = FeatureOut::new(&p, distance_m);
            prop_assert_eq!(written(&public), serde_json::to_string(&public).unwrap());
            let mut staff = FeatureOut::staff(&p, deleted_at.as_ref().and_then(|d| d.as_deref()));
            if deleted_at.is_none() {
                staff.properties.deleted_at = None;
            }
            if let Some(c) = coordinates {
                staff = staff.with_coordinates(c);
            }
            prop_assert_eq!(written(&staff), serde_json::to_string(&staff).unwrap());
        }
    }

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
    fn a_bad_location_does_not_hide_the_other_bad_fields() {
        let f: geojson::Feature = r#"{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[35.8,139.9]},
            "properties":{"name":"","phone":"call us","services":["999"]}}"#
            .parse()
            .unwrap();
        let names: Vec<_> = provider_from_feature(&f, "", "").unwrap_err().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["geometry", "kind", "name", "services", "phone"]);
    }

    #[test]
    fn unknown_properties_are_refused() {
        let f: geojson::Feature = r#"{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[139.9,35.8]},
            "properties":{"kind":"care","name":"x","colour":"red"}}"#
            .parse()
            .unwrap();
        let errors = provider_from_feature(&f, "", "").unwrap_err();
        assert_eq!(errors, [FieldError::new("colour", "is not a provider property")]);
    }

    #[test]
    fn each_property_of_the_wrong_type_is_named_along_with_invalid_values() {
        let f: geojson::Feature = r#"{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[139.9,35.8]},
            "properties":{"kind":"care","name":"x","capacity":-1,"accepting":"yes","phone":"call us"}}"#
            .parse()
            .unwrap();
        let mut names: Vec<_> = provider_from_feature(&f, "", "").unwrap_err().into_iter().map(|e| e.name).collect();
        names.sort();
        assert_eq!(names, ["accepting", "capacity", "phone"]);
    }

    #[test]
    fn a_staff_feature_adds_who_changed_it_and_the_deleted_state() {
        let f: geojson::Feature = r#"{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[139.9,35.8]},
            "properties":{"kind":"care","name":"x"}}"#
            .parse()
            .unwrap();
        let p = provider_from_feature(&f, "2026-11-01T00:00:00Z", "yamada").unwrap();
        let staff = serde_json::to_value(FeatureOut::staff(&p, None)).unwrap();
        assert_eq!(staff["properties"]["updated_by"], "yamada");
        assert!(staff["properties"]["deleted_at"].is_null() && staff["properties"].get("deleted_at").is_some());
        let public = serde_json::to_value(FeatureOut::new(&p, None)).unwrap();
        assert!(public["properties"].get("updated_by").is_none());
        let back: geojson::Feature = serde_json::from_value(staff).unwrap();
        assert_eq!(provider_from_feature(&back, "2026-11-01T00:00:00Z", "yamada").unwrap(), p);
    }
}
