//! Property-based fuzzing of everything that parses client input, against the real router
//! (called in-process with `oneshot`, so thousands of cases run in seconds): random query
//! strings on every public GET endpoint, random JSON and bytes as search polygons, random
//! Features as staff writes. The property: never a 5xx or a panic; every refusal is a 4xx
//! `application/problem+json` whose `detail` says what was wrong.

use axum::body::Body;
use axum::http::{Request, header};
use caremap::access::Role;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

use crate::support::oneshot::{self, App};

fn app() -> App {
    oneshot::app(Role::Admin)
}

impl App {
    /// Sends `request`; checks the property on the answer.
    fn check(&self, request: Request<Body>) -> Result<(), TestCaseError> {
        let what = format!("{} {}", request.method(), request.uri());
        let (status, content_type, body) = self.send(request);
        let text = String::from_utf8_lossy(&body);
        prop_assert!(!status.is_server_error(), "{what} → {status}: {text}");
        if !status.is_success() {
            prop_assert!(status.is_client_error(), "{what} → {status}");
            prop_assert_eq!(&content_type, "application/problem+json", "{} → {}: {}", what, status, text);
            let problem: Value = serde_json::from_slice(&body).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(problem["status"].as_u64(), Some(u64::from(status.as_u16())));
            prop_assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()), "{what}: {problem}");
        }
        Ok(())
    }

    fn get(&self, path_and_query: &str) -> Result<(), TestCaseError> {
        self.check(Request::get(path_and_query).body(Body::empty()).unwrap())
    }

    fn post(&self, path: &str, content_type: &str, body: Vec<u8>, staff: bool) -> Result<(), TestCaseError> {
        let mut request = Request::post(path).header(header::CONTENT_TYPE, content_type);
        if staff {
            request = request.header(header::AUTHORIZATION, format!("Bearer {}", self.token));
        }
        self.check(request.body(Body::from(body)).unwrap())
    }
}

const GET_PATHS: [&str; 13] = [
    "/api/providers",
    "/api/providers",
    "/api/providers/nearest",
    "/api/providers/nearest",
    "/api/providers/care-1291000003",
    "/api/districts",
    "/api/districts/north",
    "/ogc/collections",
    "/ogc/collections/providers",
    "/ogc/collections/providers/items",
    "/ogc/collections/clinics/items",
    "/ogc/collections/districts/items",
    "/ogc/collections/clinics/queryables",
];

const PARAM_NAMES: [&str; 24] = [
    "lon",
    "lat",
    "k",
    "kind",
    "service",
    "district",
    "accepting",
    "max_distance_m",
    "bbox",
    "near",
    "radius_m",
    "q",
    "limit",
    "offset",
    "f",
    "home_care",
    "available_24h",
    "crs",
    "bbox-crs",
    "datetime",
    "properties",
    "home_care_class",
    "sortby",
    "filter",
];

/// Values that parsers get wrong: edge numbers, non-numbers, lists, Unicode, encodings.
fn hostile_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|v| v.to_string()),
        any::<i64>().prop_map(|v| v.to_string()),
        prop::sample::select(vec![
            "",
            "NaN",
            "inf",
            "-inf",
            "1e999",
            "-0",
            "0x10",
            "1,2",
            "1,2,3,4",
            "1,2,3,4,5",
            "139.9,35.8",
            "139,35,140,36",
            "true",
            "false",
            "yes",
            "care,clinic",
            "130,430",
            "csv",
            "json",
            "html",
            "http://www.opengis.net/def/crs/EPSG/0/6677",
            "2026-11-01T00:00:00Z/..",
            "../..",
            "🏥",
            "流山",
            "'; DROP TABLE providers; --",
            "<script>alert(1)</script>",
            "%",
            "%zz",
            "%ff%fe",
            "\u{0}",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,30}",
        prop::collection::vec(any::<f64>(), 0..6).prop_map(|v| v
            .iter()
            .map(f64::to_string)
            .collect::<Vec<_>>()
            .join(",")),
    ]
}

/// A value a client could well send for the parameter `name` (in range or just outside), so
/// the fuzzing gets past the first check and into the queries.
fn plausible_value(name: &str) -> BoxedStrategy<String> {
    let lon = || -181.0f64..181.0;
    let lat = || -91.0f64..91.0;
    let near_lon = || 139.85f64..139.98;
    let near_lat = || 35.80f64..35.95;
    match name {
        "lon" => prop_oneof![near_lon(), lon()].prop_map(|v| format!("{v}")).boxed(),
        "lat" => prop_oneof![near_lat(), lat()].prop_map(|v| format!("{v}")).boxed(),
        "k" | "limit" | "offset" => (-5i64..12_000).prop_map(|v| v.to_string()).boxed(),
        "max_distance_m" | "radius_m" => (-10.0f64..200_000.0).prop_map(|v| format!("{v}")).boxed(),
        "bbox" => (near_lon(), near_lat(), 0.0f64..0.2, 0.0f64..0.2, any::<bool>())
            .prop_map(|(x, y, w, h, crs84)| {
                if crs84 { format!("{x},{y},{},{}", x + w, y + h) } else { format!("{y},{x},{},{}", y + h, x + w) }
            })
            .boxed(),
        "near" => (near_lon(), near_lat()).prop_map(|(x, y)| format!("{x},{y}")).boxed(),
        "kind" => prop::sample::subsequence(vec!["care", "clinic", "hospital", "pharmacy", "dentist"], 0..3)
            .prop_map(|v| v.join(","))
            .boxed(),
        "service" => prop::sample::subsequence(vec!["110", "130", "430", "510", "999", "13"], 0..4)
            .prop_map(|v| v.join(","))
            .boxed(),
        "district" => {
            prop::sample::select(vec!["north", "central", "east", "south", "west"]).prop_map(str::to_owned).boxed()
        }
        "accepting" => prop::sample::select(vec!["true", "false", "yes", "consult", "no,yes", "1", "maybe"])
            .prop_map(str::to_owned)
            .boxed(),
        "home_care" | "available_24h" => {
            prop::sample::select(vec!["true", "false", "1", "no"]).prop_map(str::to_owned).boxed()
        }
        "f" => prop::sample::select(vec!["geojson", "json", "csv", "html", "xml"]).prop_map(str::to_owned).boxed(),
        "q" => {
            prop::sample::select(vec!["訪問", "流山", "ステーション", "a", "%", "_"]).prop_map(str::to_owned).boxed()
        }
        "crs" | "bbox-crs" => prop::sample::select(vec![
            "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            "http://www.opengis.net/def/crs/EPSG/0/4326",
            "http://www.opengis.net/def/crs/EPSG/0/6677",
            "http://www.opengis.net/def/crs/EPSG/0/9999",
        ])
        .prop_map(str::to_owned)
        .boxed(),
        "datetime" => {
            prop::sample::select(vec!["2026-11-01T00:00:00Z", "../2030-01-01T00:00:00Z", "2020-01-01/..", "x/y"])
                .prop_map(str::to_owned)
                .boxed()
        }
        _ => hostile_value().boxed(),
    }
}

/// The parameters an endpoint takes (so most generated queries get past "unknown parameter").
fn names_for(path: &str) -> Vec<&'static str> {
    let filters = ["kind", "service", "district", "accepting", "home_care", "available_24h", "q", "f"];
    let mut names: Vec<&str> = match path {
        "/api/providers" => vec!["bbox", "near", "radius_m", "limit", "offset"],
        "/api/providers/nearest" => vec!["lon", "lat", "k", "max_distance_m"],
        p if p.ends_with("/items") => vec!["bbox", "bbox-crs", "crs", "limit", "offset", "datetime"],
        _ => vec!["f"],
    };
    if path.starts_with("/api/providers") || path.ends_with("/items") {
        names.extend(filters);
    }
    names
}

/// One parameter: a name the endpoint takes with a plausible value (mostly), any known name
/// with a hostile value, or an unknown name.
fn param(names: Vec<&'static str>) -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        10 => prop::sample::select(names).prop_flat_map(|n| plausible_value(n).prop_map(move |v| (n.to_owned(), v))),
        1 => (prop::sample::select(PARAM_NAMES.to_vec()).prop_map(str::to_owned), hostile_value()),
        1 => ("\\PC{0,8}", hostile_value()),
    ]
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A query of known and unknown names with plausible and hostile values, some encoded, some
/// repeated; often with a position, which the nearest query needs.
fn query_string(path: &str) -> impl Strategy<Value = String> + use<> {
    let position = if path.ends_with("/nearest") {
        (plausible_value("lon"), plausible_value("lat"))
            .prop_map(|(x, y)| vec![("lon".to_owned(), x), ("lat".to_owned(), y)])
            .boxed()
    } else {
        Just(vec![]).boxed()
    };
    (position, prop::collection::vec(param(names_for(path)), 0..4), prop::collection::vec(any::<bool>(), 8)).prop_map(
        |(mut pairs, more, raw)| {
            pairs.extend(more);
            pairs
                .iter()
                .zip(raw.iter().cycle())
                .map(|((n, v), raw)| {
                    // Raw values keep only characters a URI may carry; the rest are encoded.
                    let raw_ok = *raw && v.bytes().all(|b| b.is_ascii_graphic() && !b"#&=\"<>\\^`{|}".contains(&b));
                    format!("{}={}", encode(n), if raw_ok { v.clone() } else { encode(v) })
                })
                .collect::<Vec<_>>()
                .join("&")
        },
    )
}

/// Any bytes, percent-encoded where a URI needs it (so invalid UTF-8 reaches the decoder).
fn raw_query() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u8>(), 0..300).prop_map(|bytes| {
        bytes
            .iter()
            .map(|&b| {
                if b.is_ascii_alphanumeric() || b"-._~&=,%+".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    })
}

/// JSON of any shape, biased towards GeoJSON-like keys.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|v| json!(v)),
        any::<f64>().prop_filter("JSON numbers are finite", |v| v.is_finite()).prop_map(|v| json!(v)),
        prop::sample::select(vec![-180.0, 180.0, 180.5, -90.0, 90.0, 91.0, 0.0, 139.9, 35.86, 1e308, -1e308, 5e-324])
            .prop_map(|v| json!(v)),
        prop::sample::select(vec!["Polygon", "MultiPolygon", "Point", "Feature", "FeatureCollection", "LineString"])
            .prop_map(|s| json!(s)),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 96, 8, |inner| {
        let key = prop_oneof![
            prop::sample::select(vec!["type", "coordinates", "geometry", "geometries", "properties", "bbox", "crs"])
                .prop_map(str::to_owned),
            "\\PC{0,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..5).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid polygon over the sample city: a closed ring of 3 to 40 vertices around a centre
/// (a star shape, so it never crosses itself), sometimes with a hole-like second ring.
fn valid_polygon() -> impl Strategy<Value = Value> {
    (139.86f64..139.97, 35.81f64..35.94, prop::collection::vec(0.002f64..0.05, 3..40), any::<bool>()).prop_map(
        |(x, y, radii, multi)| {
            let n = radii.len();
            let mut ring: Vec<Value> = radii
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let a = i as f64 / n as f64 * std::f64::consts::TAU;
                    json!([x + r * a.cos(), y + r * a.sin()])
                })
                .collect();
            ring.push(ring[0].clone());
            if multi {
                json!({"type": "MultiPolygon", "coordinates": [[ring]]})
            } else {
                json!({"type": "Polygon", "coordinates": [ring]})
            }
        },
    )
}

/// Polygon-shaped JSON with hostile rings: too few points, unclosed, out of range, wrong depth.
fn polygonish() -> impl Strategy<Value = Value> {
    let coordinate = prop_oneof![
        3 => (-200.0f64..200.0, -100.0f64..100.0).prop_map(|(x, y)| json!([x, y])),
        1 => prop::collection::vec(any::<f64>().prop_filter("finite", |v| v.is_finite()), 0..4).prop_map(|v| json!(v)),
        1 => any_json(),
    ];
    let ring = prop::collection::vec(coordinate, 0..12).prop_map(Value::Array);
    let rings = prop::collection::vec(ring, 0..4).prop_map(Value::Array);
    (prop::sample::select(vec!["Polygon", "MultiPolygon", "Point", "polygon"]), rings, any::<bool>()).prop_map(
        |(kind, rings, nest)| {
            let coordinates = if nest { json!([rings]) } else { rings };
            json!({"type": kind, "coordinates": coordinates})
        },
    )
}

/// A Feature that is valid, then has 0 to 3 properties replaced by hostile JSON (so some
/// cases are saved and the rest are refused for one or a few fields).
fn featureish() -> impl Strategy<Value = Value> {
    let names = vec![
        "kind",
        "name",
        "name_kana",
        "services",
        "home_care",
        "address",
        "phone",
        "fax",
        "url",
        "corporation",
        "corporate_number",
        "capacity",
        "open_days",
        "notes",
        "accepting",
        "accepting_updated_at",
        "official_code",
        "version",
        "district",
        "extra",
    ];
    let mutations = prop::collection::btree_map(prop::sample::select(names), any_json(), 0..4);
    let valid = (
        prop::sample::select(vec!["care", "clinic", "hospital"]),
        "\\PC{1,40}",
        prop::sample::subsequence(vec!["110", "130", "430", "510"], 0..3),
        139.85f64..139.98,
        35.80f64..35.95,
        prop::option::of(any::<bool>()),
        prop::option::of(0i64..200),
    );
    (valid, mutations, prop_oneof![3 => Just(None), 1 => polygonish().prop_map(Some)], "[a-z0-9-]{1,20}|\\PC{0,70}")
        .prop_map(|((kind, name, services, lon, lat, accepting, capacity), mutations, geometry, id)| {
            let mut props = json!({"kind": kind, "name": name, "services": services, "accepting": accepting,
                                   "capacity": capacity, "phone": "04-7150-1234", "address": "千葉県流山市"});
            for (k, v) in mutations {
                props[k] = v;
            }
            let geometry = geometry.unwrap_or_else(|| json!({"type": "Point", "coordinates": [lon, lat]}));
            json!({"type": "Feature", "id": id, "geometry": geometry, "properties": props})
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_query_strings_are_answered_or_refused_with_a_4xx_problem(
        (path, query) in prop::sample::select(GET_PATHS.to_vec()).prop_flat_map(|p| (Just(p), query_string(p))),
    ) {
        thread_local!(static APP: App = app());
        APP.with(|app| app.get(&format!("{path}?{query}")))?;
    }

    #[test]
    fn raw_byte_query_strings_are_answered_or_refused_with_a_4xx_problem(
        path in prop::sample::select(GET_PATHS.to_vec()),
        query in raw_query(),
    ) {
        thread_local!(static APP: App = app());
        APP.with(|app| app.get(&format!("{path}?{query}")))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_json_as_a_search_polygon_is_answered_or_refused_with_a_4xx_problem(
        body in prop_oneof![2 => valid_polygon(), 2 => polygonish(), 1 => any_json()],
        geo in any::<bool>(),
    ) {
        thread_local!(static APP: App = app());
        let content_type = if geo { "application/geo+json" } else { "application/json" };
        APP.with(|app| app.post("/api/providers/search", content_type, body.to_string().into_bytes(), false))?;
    }

    #[test]
    fn random_bytes_as_a_search_body_are_refused_with_a_4xx_problem(
        body in prop::collection::vec(any::<u8>(), 0..400),
        content_type in prop::sample::select(vec!["application/json", "text/plain", "", "application/geo+json; charset=utf-8"]),
    ) {
        thread_local!(static APP: App = app());
        APP.with(|app| app.post("/api/providers/search", content_type, body.clone(), false))?;
    }
}

proptest! {
    // Each accepted case is a durable (fsynced) write, so fewer cases.
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_features_as_staff_writes_are_saved_or_refused_with_a_4xx_problem(feature in featureish()) {
        thread_local!(static APP: App = app());
        APP.with(|app| app.post("/api/admin/providers", "application/geo+json", feature.to_string().into_bytes(), true))?;
    }
}

#[test]
fn a_query_string_over_the_cap_is_refused_with_a_4xx_problem() {
    let app = app();
    let long = format!("/api/providers?q={}", "a".repeat(caremap::http::plumbing::params::MAX_QUERY_BYTES));
    app.get(&long).unwrap();
    let polygon = json!({"type": "Polygon", "coordinates": [(0..=caremap::domain::MAX_POLYGON_VERTICES)
        .map(|i| { let a = i as f64 / 1000.0; json!([139.9 + a.cos() * 0.01, 35.86 + a.sin() * 0.01]) })
        .collect::<Vec<_>>()]});
    app.post("/api/providers/search", "application/json", polygon.to_string().into_bytes(), false).unwrap();
}
