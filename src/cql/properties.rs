//! Property tests: random expressions, written as cql2-text and parsed back, select from a
//! catalog (index walk, spatial index hints) exactly the providers a brute-force scan with a
//! separately written reference evaluator selects.

use std::sync::Arc;

use proptest::prelude::*;

use crate::catalog::{Catalog, Filter};
use crate::domain::{Bbox, HomeCare, Kind, LonLat, Provider, ProviderFields};
use crate::spatial::index::Stop;

use super::{CmpOp, Crs84, Expr, Queryable, Shape, Value, text};

const NAMES: [&str; 4] = ["さくら訪問看護", "ひまわりクリニック", "Sakura Care", "あおば"];
const PATTERNS: [&str; 5] = ["%さくら%", "さくら%", "%クリニック", "S_k%", "%"];
const DISTRICTS: [&str; 3] = ["north", "south", "east"];
const SERVICES: [&str; 3] = ["130", "110", "430"];

fn providers() -> impl Strategy<Value = Vec<Provider>> {
    let one = (
        (139.85..139.97f64, 35.80..35.93f64),
        0usize..4,
        prop::option::of(0usize..3),
        prop::option::of(prop::sample::select(crate::domain::Accepting::ALL.to_vec())),
        prop::option::of(0u32..40),
        prop::collection::vec(0usize..3, 0..3),
        0u8..4,
        0u32..5,
    );
    prop::collection::vec(one, 1..60).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, ((lon, lat), name, district, accepting, capacity, services, kind, day))| {
                let kind = Kind::ALL[usize::from(kind)];
                Provider {
                    district: district.map(|d| DISTRICTS[d].to_owned()),
                    accepting,
                    capacity,
                    services: services.into_iter().map(|s| SERVICES[s].to_owned()).collect(),
                    home_care: (kind != Kind::Care)
                        .then_some(HomeCare { available_24h: i % 2 == 0, ..HomeCare::default() }),
                    updated_at: format!("2026-11-0{}T12:00:00Z", day + 1),
                    ..Provider::new(format!("p{i:03}"), kind, NAMES[name].to_owned(), LonLat::new(lon, lat).unwrap())
                }
            })
            .collect()
    })
}

fn point() -> impl Strategy<Value = LonLat> {
    (139.85..139.97f64, 35.80..35.93f64).prop_map(|(lon, lat)| LonLat::new(lon, lat).unwrap())
}

fn leaf() -> impl Strategy<Value = Expr> {
    let op = prop::sample::select(vec![CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge]);
    let eq = prop::sample::select(vec![CmpOp::Eq, CmpOp::Ne]);
    let text = |values: &'static [&'static str]| prop::sample::select(values).prop_map(|s| Value::Text(s.to_owned()));
    prop_oneof![
        (op.clone(), text(&NAMES)).prop_map(|(o, v)| Expr::Compare(Queryable::Name, o, v)),
        (eq.clone(), text(&["care", "clinic", "hospital"])).prop_map(|(o, v)| Expr::Compare(Queryable::Kind, o, v)),
        (eq.clone(), prop::sample::select(vec!["yes", "consult", "no"])).prop_map(|(o, a)| Expr::Compare(
            Queryable::Accepting,
            o,
            Value::Text(a.into())
        )),
        (eq.clone(), any::<bool>()).prop_map(|(o, b)| Expr::Compare(Queryable::Available24h, o, Value::Bool(b))),
        (eq, text(&SERVICES)).prop_map(|(o, v)| Expr::Compare(Queryable::Service, o, v)),
        (op, 0u32..40).prop_map(|(o, n)| Expr::Compare(Queryable::Capacity, o, Value::Number(f64::from(n)))),
        (0u32..40, 0u32..40).prop_map(|(a, b)| Expr::Between(
            Queryable::Capacity,
            Value::Number(f64::from(a.min(b))),
            Value::Number(f64::from(a.max(b)))
        )),
        (1u8..6).prop_map(|d| Expr::Compare(
            Queryable::UpdatedAt,
            CmpOp::Ge,
            Value::Instant(super::parse_instant(&format!("2026-11-0{d}T00:00:00Z")).unwrap())
        )),
        prop::sample::select(&PATTERNS[..]).prop_map(|p| Expr::Like(Queryable::Name, p.to_owned())),
        prop::sample::subsequence(&DISTRICTS[..], 1..3)
            .prop_map(|ds| Expr::In(Queryable::District, ds.iter().map(|d| Value::Text((*d).to_owned())).collect())),
        prop::sample::subsequence(&SERVICES[..], 1..3)
            .prop_map(|ss| Expr::In(Queryable::Service, ss.iter().map(|s| Value::Text((*s).to_owned())).collect())),
        prop::sample::select(vec![Queryable::District, Queryable::Accepting, Queryable::Capacity, Queryable::Service])
            .prop_map(Expr::IsNull),
        (point(), point()).prop_map(|(a, b)| Expr::Intersects(Shape::Bbox(Bbox {
            min: LonLat::new(a.lon().min(b.lon()), a.lat().min(b.lat())).unwrap(),
            max: LonLat::new(a.lon().max(b.lon()), a.lat().max(b.lat())).unwrap(),
        }))),
        (point(), point(), point()).prop_map(|(a, b, c)| {
            let ring = geo::LineString::from(vec![
                (a.lon(), a.lat()),
                (b.lon(), b.lat()),
                (c.lon(), c.lat()),
                (a.lon(), a.lat()),
            ]);
            Expr::Intersects(Shape::Geometry(geo::Polygon::new(ring, vec![]).into()))
        }),
        (point(), 0.0..8000.0f64).prop_map(|(p, d)| Expr::DWithin(p, d.round())),
        any::<bool>().prop_map(Expr::Literal),
    ]
}

fn expression() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
}

/// The reference: each predicate spelled out on the provider's fields, no shared helpers.
fn reference(e: &Expr, p: &Provider) -> Option<bool> {
    fn wildcard(t: &[char], pat: &[char]) -> bool {
        match pat.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| wildcard(&t[i..], rest)),
            Some(('_', rest)) => !t.is_empty() && wildcard(&t[1..], rest),
            Some((c, rest)) => t.first() == Some(c) && wildcard(&t[1..], rest),
        }
    }
    let field = |q: Queryable| -> Option<Value> {
        match q {
            Queryable::Name => Some(Value::Text(p.name.clone())),
            Queryable::Kind => Some(Value::Text(p.kind.as_str().into())),
            Queryable::District => p.district.clone().map(Value::Text),
            Queryable::Accepting => p.accepting.map(|a| Value::Text(a.as_str().into())),
            Queryable::Available24h => Some(Value::Bool(p.home_care.is_some_and(|h| h.available_24h))),
            Queryable::Capacity => p.capacity.map(|c| Value::Number(f64::from(c))),
            Queryable::UpdatedAt => super::parse_instant(&p.updated_at).map(Value::Instant),
            other => panic!("not generated: {other:?}"),
        }
    };
    let num = |v: &Value| match v {
        Value::Number(n) => *n,
        _ => f64::NAN,
    };
    Some(match e {
        Expr::Literal(b) => *b,
        Expr::And(all) => {
            let r: Vec<Option<bool>> = all.iter().map(|x| reference(x, p)).collect();
            if r.contains(&Some(false)) {
                false
            } else if r.contains(&None) {
                return None;
            } else {
                true
            }
        }
        Expr::Or(any) => {
            let r: Vec<Option<bool>> = any.iter().map(|x| reference(x, p)).collect();
            if r.contains(&Some(true)) {
                true
            } else if r.contains(&None) {
                return None;
            } else {
                false
            }
        }
        Expr::Not(x) => !reference(x, p)?,
        Expr::Compare(Queryable::Service, op, Value::Text(s)) => (*op == CmpOp::Eq) == p.services.contains(s),
        Expr::In(Queryable::Service, ss) => ss.iter().any(|s| matches!(s, Value::Text(s) if p.services.contains(s))),
        Expr::IsNull(Queryable::Service) => p.services.is_empty(),
        Expr::Compare(q, op, v) => {
            let got = field(*q)?;
            let o = match (&got, v) {
                (Value::Text(a), Value::Text(b)) => a.cmp(b),
                (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
                (Value::Instant(a), Value::Instant(b)) => a.cmp(b),
                _ => num(&got).partial_cmp(&num(v))?,
            };
            op.holds(o)
        }
        Expr::Between(q, lo, hi) => {
            let n = num(&field(*q)?);
            num(lo) <= n && n <= num(hi)
        }
        Expr::Like(q, pattern) => match field(*q)? {
            Value::Text(s) => wildcard(&s.chars().collect::<Vec<_>>(), &pattern.chars().collect::<Vec<_>>()),
            _ => unreachable!(),
        },
        Expr::In(q, vs) => {
            let got = field(*q)?;
            vs.contains(&got)
        }
        Expr::IsNull(q) => field(*q).is_none(),
        Expr::Intersects(Shape::Bbox(b)) => {
            let (x, y) = (p.location.lon(), p.location.lat());
            b.min.lon() <= x && x <= b.max.lon() && b.min.lat() <= y && y <= b.max.lat()
        }
        Expr::Intersects(Shape::Geometry(g)) => {
            use geo::Intersects;
            g.intersects(&p.location.to_point())
        }
        Expr::DWithin(c, d) => {
            use geo::Distance;
            geo::Geodesic.distance(c.to_point(), p.location.to_point()) <= *d
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_filter_selects_what_a_brute_force_scan_selects(providers in providers(), expr in expression()) {
        let written = expr.to_string();
        let parsed = text::parse(&written, &Crs84).map_err(|e| TestCaseError::fail(format!("{written}: {e}")))?;
        prop_assert_eq!(&parsed, &expr, "round trip of {}", written);

        let catalog = Catalog::new(providers.clone(), vec![]);
        let snapshot = catalog.snapshot();
        let filter = Filter { cql: Some(Arc::new(parsed)), ..Filter::default() };
        let got: Vec<&str> = snapshot
            .matching_until(&filter, &Stop::never())
            .unwrap_or_default()
            .iter()
            .map(|f| f.provider.id())
            .collect();
        let want: Vec<&str> =
            providers.iter().filter(|p| reference(&expr, p) == Some(true)).map(|p| p.id.as_str()).collect();
        prop_assert_eq!(got, want, "{}", written);
    }
}
