//! Providers as GeoJSON (RFC 7946) Features: written straight to bytes for responses and
//! files, and read back from Features (the bundled sample, staff edits, GeoJSON imports).

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::domain::{
    Accepting, Access, FieldError, Kind, LonLat, Owner, PROVIDER_FIELDS, Provider, ProviderField, ProviderFields,
    VacancyClock,
};

/// The `properties` of a provider Feature: every property field of [`PROVIDER_FIELDS`] in
/// table order, `accepting_stale` (computed when answered), then the bookkeeping (`version`, `updated_at`), the query's `distance_m` and
/// the staff-only `updated_by` / `deleted_at`.
#[derive(Debug)]
struct PropertiesOut<'a, P> {
    provider: &'a P,
    distance_m: Option<f64>,
    /// Whether the vacancy is stale at answer time (see [`VacancyClock`]); left out of files
    /// that are not answers (the bundled sample).
    accepting_stale: Option<bool>,
    /// Staff responses only: who made the last change.
    updated_by: Option<&'a str>,
    /// Staff responses only: when it was soft-deleted (`null` while live).
    deleted_at: Option<Option<&'a str>>,
}

/// One field's value, serialised by serde (the reference the hand-written writer matches).
struct FieldValue<'a, P>(&'static ProviderField, &'a P);

impl<P: ProviderFields> Serialize for FieldValue<'_, P> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (f, p) = (self.0, self.1);
        match f.access {
            Access::Kind { .. } => p.kind().serialize(serializer),
            Access::Text { .. } => p.text(f).serialize(serializer),
            Access::Codes { .. } => serializer.collect_seq(p.codes()),
            Access::HomeCare { .. } => p.home_care().serialize(serializer),
            Access::Count { .. } => p.count(f).serialize(serializer),
            Access::Accepting { .. } => p.accepting().serialize(serializer),
            Access::Point { .. } => p.location().serialize(serializer),
        }
    }
}

impl<P: ProviderFields> Serialize for PropertiesOut<'_, P> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let p = self.provider;
        let mut map = serializer.serialize_map(None)?;
        for f in PROVIDER_FIELDS.iter().filter(|f| f.is_property()) {
            map.serialize_entry(f.key, &FieldValue(f, p))?;
        }
        if let Some(stale) = self.accepting_stale {
            map.serialize_entry("accepting_stale", &stale)?;
        }
        map.serialize_entry("version", &p.version())?;
        map.serialize_entry("updated_at", p.updated_at())?;
        if let Some(d) = self.distance_m {
            map.serialize_entry("distance_m", &d)?;
        }
        if let Some(by) = self.updated_by {
            map.serialize_entry("updated_by", by)?;
        }
        if let Some(deleted_at) = self.deleted_at {
            map.serialize_entry("deleted_at", &deleted_at)?;
        }
        map.end()
    }
}

#[derive(Debug, Serialize)]
struct PointOut {
    #[serde(rename = "type")]
    kind: &'static str,
    coordinates: [f64; 2],
}

/// A provider Feature ready to serialise, with its distance where a query had a point.
#[derive(Debug, Serialize)]
#[serde(bound = "P: ProviderFields")]
pub struct FeatureOut<'a, P = Provider> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    geometry: PointOut,
    properties: PropertiesOut<'a, P>,
}

impl<'a, P: ProviderFields> FeatureOut<'a, P> {
    /// The Feature for `p`. `distance_m` (metres, rounded to 0.1 m) is added when given.
    pub fn new(p: &'a P, distance_m: Option<f64>) -> Self {
        let at = p.location();
        Self {
            kind: "Feature",
            id: p.id(),
            geometry: PointOut { kind: "Point", coordinates: [at.lon(), at.lat()] },
            properties: PropertiesOut {
                provider: p,
                distance_m: distance_m.map(|d| (d * 10.0).round() / 10.0),
                accepting_stale: None,
                updated_by: None,
                deleted_at: None,
            },
        }
    }

    /// The same Feature with `accepting_stale` as `clock` judges it (every API answer has it).
    #[must_use]
    pub fn fresh(mut self, clock: &VacancyClock) -> Self {
        self.properties.accepting_stale = Some(clock.is_stale(self.properties.provider));
        self
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
    pub fn staff(p: &'a P, deleted_at: Option<&'a str>) -> Self {
        let mut f = Self::new(p, None);
        f.properties.updated_by = Some(p.updated_by());
        f.properties.deleted_at = Some(deleted_at);
        f
    }

    /// Appends the Feature's compact JSON to `out`: the same bytes as `serde_json::to_vec(self)`,
    /// written without serde's per-field machinery (the keys are constants of the field table,
    /// each value is written by its type, and strings that need no escaping are copied as they
    /// are). This is the hot path of every list response.
    ///
    /// # Errors
    /// Never in practice: writing to a `Vec` cannot fail, and every value is serialisable.
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let props = &self.properties;
        let p = props.provider;
        out.extend_from_slice(b"{\"type\":\"Feature\",\"id\":");
        push_str(out, self.id)?;
        out.extend_from_slice(b",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
        push_f64(out, self.geometry.coordinates[0])?;
        out.push(b',');
        push_f64(out, self.geometry.coordinates[1])?;
        out.extend_from_slice(b"]},\"properties\":");
        // Unrolled over constant indices, so each field's type and accessor are known at
        // compile time and inlined (a loop over the table would call through its pointers).
        write_properties!(out, p; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);
        match props.accepting_stale {
            Some(true) => out.extend_from_slice(b",\"accepting_stale\":true"),
            Some(false) => out.extend_from_slice(b",\"accepting_stale\":false"),
            None => {}
        }
        out.extend_from_slice(b",\"version\":");
        serde_json::to_writer(&mut *out, &p.version())?;
        out.extend_from_slice(b",\"updated_at\":");
        push_str(out, p.updated_at())?;
        if let Some(d) = props.distance_m {
            out.extend_from_slice(b",\"distance_m\":");
            push_f64(out, d)?;
        }
        if let Some(by) = props.updated_by {
            out.extend_from_slice(b",\"updated_by\":");
            push_str(out, by)?;
        }
        if let Some(deleted_at) = props.deleted_at {
            out.extend_from_slice(b",\"deleted_at\":");
            push_opt_str(out, deleted_at)?;
        }
        out.extend_from_slice(b"}}");
        Ok(())
    }
}

/// Writes `"key":value` of each property field at the given indices of [`PROPERTY_FIELDS`]
/// (indices past its end write nothing), the first after `{`, the others after `,`.
macro_rules! write_properties {
    ($out:ident, $p:ident; $($i:literal)*) => {
        $(
            if let Some(f) = PROPERTY_FIELDS.get($i) {
                $out.push(if $i == 0 { b'{' } else { b',' });
                $out.extend_from_slice(f.json_key.as_bytes());
                push_value($out, f, $p)?;
            }
        )*
    };
}
use write_properties;

/// The unrolled writer covers this many property fields.
const _: () = assert!(PROPERTY_FIELDS.len() <= 32, "extend the indices of write_properties! in write_json");

/// The property fields (all but the geometry, which is written as the Feature's geometry).
/// The geometry is the table's last field.
const PROPERTY_FIELDS: &[ProviderField] = match PROVIDER_FIELDS.split_last() {
    Some((_, properties)) => properties,
    None => &[],
};

/// Appends one field's value as serde_json writes its type.
#[inline(always)]
fn push_value<P: ProviderFields>(out: &mut Vec<u8>, f: &ProviderField, p: &P) -> serde_json::Result<()> {
    match f.access {
        Access::Kind { .. } => {
            out.push(b'"');
            out.extend_from_slice(p.kind().as_str().as_bytes());
            out.push(b'"');
        }
        Access::Text { .. } => push_opt_str(out, p.text(f))?,
        Access::Codes { .. } => {
            out.push(b'[');
            for (i, code) in p.codes().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_str(out, code)?;
            }
            out.push(b']');
        }
        Access::HomeCare { .. } => serde_json::to_writer(&mut *out, &p.home_care())?,
        Access::Count { .. } => serde_json::to_writer(&mut *out, &p.count(f))?,
        Access::Accepting { .. } => {
            out.extend_from_slice(match p.accepting() {
                Some(Accepting::Yes) => b"\"yes\"",
                Some(Accepting::Consult) => b"\"consult\"",
                Some(Accepting::No) => b"\"no\"",
                None => b"null",
            });
        }
        Access::Point { .. } => {
            let at = p.location();
            out.push(b'[');
            push_f64(out, at.lon())?;
            out.push(b',');
            push_f64(out, at.lat())?;
            out.push(b']');
        }
    }
    Ok(())
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

/// Properties a Feature may carry that are not read: the bookkeeping the store assigns
/// (`version`, `updated_at`, `updated_by`), query output (`distance_m`, `accepting_stale`)
/// and the soft-delete state (`deleted_at`, which has its own requests). Derived fields (the
/// district) are accepted and ignored too.
const IGNORED_PROPERTIES: [&str; 6] =
    ["version", "updated_at", "distance_m", "accepting_stale", "updated_by", "deleted_at"];

/// Decodes a JSON value as `T`, with serde's reason when it does not fit.
fn decode<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// Sets field `f` of `p` from its JSON value. `null` leaves an optional field empty and a
/// required one (the name) empty text; the kind stays as it is (the caller reports it missing).
fn read_field(f: &ProviderField, p: &mut Provider, value: serde_json::Value) -> Result<(), String> {
    match f.access {
        Access::Kind { set, .. } => {
            if let Some(kind) = decode::<Option<Kind>>(value)? {
                set(p, kind);
            }
        }
        Access::Text { set, .. } => set(p, decode(value)?),
        Access::Codes { set, .. } => set(p, decode(value)?),
        Access::HomeCare { set, .. } => set(p, decode(value)?),
        Access::Count { set, .. } => set(p, decode(value)?),
        Access::Accepting { set, .. } => set(p, decode(value)?),
        Access::Point { set, .. } => set(p, decode(value)?),
    }
    Ok(())
}

/// Reads the properties into `p`, naming each one that is unknown or of the wrong type (the
/// bad ones are left out). Returns whether a kind was given.
fn read_properties(
    map: serde_json::Map<String, serde_json::Value>,
    p: &mut Provider,
    errors: &mut Vec<FieldError>,
) -> bool {
    let mut kind_given = false;
    for (name, value) in map {
        let Some(f) = PROVIDER_FIELDS.iter().find(|f| f.key == name && f.is_property()) else {
            if !IGNORED_PROPERTIES.contains(&name.as_str()) {
                errors.push(FieldError::new(name, "is not a provider property"));
            }
            continue;
        };
        if f.owner == Owner::Derived {
            continue;
        }
        let given = !value.is_null();
        match read_field(f, p, value) {
            Ok(()) => kind_given |= given && matches!(f.access, Access::Kind { .. }),
            Err(reason) => errors.push(FieldError::new(name, reason)),
        }
    }
    kind_given
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
    // Without a usable location or kind the other fields are still checked, so one answer
    // names every bad field; the stand-ins (a valid point, a kind that allows every field)
    // raise no error of their own, and the provider is not returned.
    let mut provider = Provider {
        updated_at: updated_at.to_owned(),
        updated_by: updated_by.to_owned(),
        ..Provider::new(id, Kind::Hospital, String::new(), location.unwrap_or(STAND_IN_LOCATION))
    };
    let kind_given = read_properties(f.properties.clone().unwrap_or_default(), &mut provider, &mut errors);
    if !kind_given && !errors.iter().any(|e| e.name == "kind") {
        errors.push(FieldError::new("kind", "is required: care, clinic, hospital or pharmacy"));
    }
    let complete = location.is_some() && kind_given;
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
    use crate::domain::{HomeCare, HomeCareClass};

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
            (
                proptest::option::of(proptest::sample::select(Accepting::ALL.to_vec())),
                opt_text(),
                proptest::option::of(any::<u32>()),
                opt_text(),
            ),
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
            accepting: r.3.0,
            accepting_note: r.3.1,
            accepting_places: r.3.2,
            accepting_checked_at: r.3.3,
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
            stale_after_days in 0u32..100,
        ) {
            let clock = VacancyClock::now(stale_after_days);
            let public = FeatureOut::new(&p, distance_m);
            prop_assert_eq!(written(&public), serde_json::to_string(&public).unwrap());
            let public = public.fresh(&clock);
            prop_assert_eq!(written(&public), serde_json::to_string(&public).unwrap());
            let mut staff = FeatureOut::staff(&p, deleted_at.as_ref().and_then(|d| d.as_deref())).fresh(&clock);
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
    fn a_feature_is_written_with_its_properties_in_the_public_order() {
        let p = Provider {
            official_code: Some("1312000001".into()),
            services: vec!["130".into()],
            home_care: Some(HomeCare {
                class: Some(HomeCareClass::Standard),
                house_calls: true,
                ..HomeCare::default()
            }),
            phone: Some("04-7150-1234".into()),
            capacity: Some(19),
            accepting: Some(crate::domain::Accepting::Consult),
            accepting_places: Some(2),
            accepting_checked_at: Some("2026-11-28T01:00:00Z".into()),
            accepting_updated_at: Some("2026-11-28".into()),
            district: Some("north".into()),
            version: 3,
            updated_at: "2026-11-30T00:00:00Z".into(),
            ..Provider::new("c-1".into(), Kind::Clinic, "さくら".into(), LonLat::new(139.9, 35.85).unwrap())
        };
        let expected = concat!(
            r#"{"type":"Feature","id":"c-1","geometry":{"type":"Point","coordinates":[139.9,35.85]},"#,
            r#""properties":{"kind":"clinic","official_code":"1312000001","name":"さくら","name_kana":null,"#,
            r#""services":["130"],"home_care":{"class":"standard","house_calls":true,"home_visits":false,"#,
            r#""available_24h":false,"end_of_life":false},"address":null,"phone":"04-7150-1234","fax":null,"#,
            r#""url":null,"corporation":null,"corporate_number":null,"capacity":19,"open_days":null,"#,
            r#""notes":null,"accepting":"consult","accepting_note":null,"accepting_places":2,"#,
            r#""accepting_checked_at":"2026-11-28T01:00:00Z","accepting_updated_at":"2026-11-28","district":"north","#,
            r#""accepting_stale":false,"version":3,"updated_at":"2026-11-30T00:00:00Z","distance_m":12.3}}"#
        );
        let clock = VacancyClock::at(crate::domain::vacancy::parse_utc("2026-11-30T00:00:00Z").unwrap(), 30);
        assert_eq!(written(&FeatureOut::new(&p, Some(12.34)).fresh(&clock)), expected);
        assert_eq!(PROVIDER_FIELDS.last().map(|f| f.key), Some("geometry"), "the geometry is not a property");
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
            "properties":{"kind":"care","name":"x","capacity":-1,"accepting":"maybe","phone":"call us"}}"#
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
