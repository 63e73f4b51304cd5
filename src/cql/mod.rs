//! CQL2 filters (OGC 21-065r2, as used by OGC API – Features Part 3) over providers: the
//! queryables, the typed expression both encodings parse into ([`text`] for cql2-text, [`json`]
//! for cql2-json), and its evaluation against providers in any layout
//! ([`crate::domain::ProviderFields`]) — never against JSON.
//!
//! What is understood: basic CQL2 (`=`, `<>`, `<`, `<=`, `>`, `>=`, `AND`, `OR`, `NOT`,
//! `IS [NOT] NULL`, boolean literals), the advanced comparison operators `LIKE`, `BETWEEN` and
//! `IN`, `S_INTERSECTS` with POINT, MULTIPOINT, LINESTRING, POLYGON, MULTIPOLYGON or BBOX, and
//! caremap's extension `S_DWITHIN(geometry, POINT(lon lat), metres)` by WGS84 geodesic distance.
//!
//! Expressions are checked against the queryables while they are parsed: an unknown property,
//! a value of the wrong type or an operator a queryable does not have is an error that says
//! where it is. Evaluation uses SQL's three-valued logic: a comparison with a missing value is
//! unknown, `NOT` of unknown is unknown, and only expressions that are true select a provider.
//!
//! The expression is also a plan: [`Expr::index_hint`] finds a spatial condition every match
//! must meet, so the catalog can answer it from the R-tree and evaluate the rest on candidates.

mod build;
pub mod json;
mod print;
pub mod text;

#[cfg(test)]
mod properties;

use std::cmp::Ordering;

use geo::{BoundingRect, Intersects};
use time::{Date, OffsetDateTime};

use crate::domain::fields::{self, ProviderField};
use crate::domain::{Bbox, LonLat, ProviderFields};

pub use build::{CqlError, Crs84, PositionsIn, equals};

/// The name of the geometry queryable (the provider's location).
pub const GEOMETRY: &str = "geometry";

/// Most vertices a geometry literal may have (all of an expression's geometries together).
pub const MAX_VERTICES: usize = crate::domain::MAX_POLYGON_VERTICES;

/// Most nodes (operators and values) an expression may have; deeper nesting than this is
/// refused before it can exhaust the stack.
pub const MAX_NODES: usize = 1_000;

/// A property a filter can test: the simple-valued queryables of provider collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Queryable {
    /// `kind`: care, clinic, hospital, pharmacy.
    Kind,
    /// `service`: an MHLW service code; holds when the provider offers it.
    Service,
    /// `district`: the district id.
    District,
    /// `accepting`: the vacancy state, `'yes'`, `'consult'` or `'no'` (TRUE/FALSE read as yes/no).
    Accepting,
    /// `home_care`: does home medical care at all.
    HomeCare,
    /// `available_24h`: home medical care around the clock.
    Available24h,
    /// `name`.
    Name,
    /// `name_kana`.
    NameKana,
    /// `address`.
    Address,
    /// `corporation`.
    Corporation,
    /// `official_code`.
    OfficialCode,
    /// `capacity` (定員).
    Capacity,
    /// `updated_at`: the time of the last change.
    UpdatedAt,
    /// `accepting_updated_at`: the day `accepting` was confirmed.
    AcceptingUpdatedAt,
    /// `accepting_checked_at`: when the vacancy was last confirmed.
    AcceptingCheckedAt,
    /// `accepting_stale`: the vacancy was never confirmed or not within the server's N days.
    /// It depends on when it is asked, so an expression is judged with a clock before it is
    /// evaluated ([`Expr::judging_staleness`]); unjudged, its value is unknown.
    AcceptingStale,
}

/// The type of a queryable's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Text, compared by code point.
    Text,
    /// A set of service codes: `=`, `<>` and `IN` test membership.
    Services,
    /// `true` or `false`.
    Boolean,
    /// A whole number.
    Integer,
    /// An RFC 3339 instant.
    Timestamp,
    /// A calendar date.
    Date,
    /// One of the vacancy states (`yes`, `consult`, `no`); the booleans read as yes and no.
    State,
}

impl Queryable {
    /// Every queryable, in the order the queryables document lists them.
    pub const ALL: [Queryable; 16] = [
        Queryable::Kind,
        Queryable::Service,
        Queryable::District,
        Queryable::Accepting,
        Queryable::HomeCare,
        Queryable::Available24h,
        Queryable::Name,
        Queryable::NameKana,
        Queryable::Address,
        Queryable::Corporation,
        Queryable::OfficialCode,
        Queryable::Capacity,
        Queryable::UpdatedAt,
        Queryable::AcceptingUpdatedAt,
        Queryable::AcceptingCheckedAt,
        Queryable::AcceptingStale,
    ];

    /// The name used in filters and query parameters.
    pub fn name(self) -> &'static str {
        match self {
            Self::Kind => "kind",
            Self::Service => "service",
            Self::District => "district",
            Self::Accepting => "accepting",
            Self::HomeCare => "home_care",
            Self::Available24h => "available_24h",
            Self::Name => "name",
            Self::NameKana => "name_kana",
            Self::Address => "address",
            Self::Corporation => "corporation",
            Self::OfficialCode => "official_code",
            Self::Capacity => "capacity",
            Self::UpdatedAt => "updated_at",
            Self::AcceptingUpdatedAt => "accepting_updated_at",
            Self::AcceptingCheckedAt => "accepting_checked_at",
            Self::AcceptingStale => "accepting_stale",
        }
    }

    /// The queryable with this name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.name() == name)
    }

    /// The type of its values.
    pub fn value_type(self) -> ValueType {
        match self {
            Self::Kind | Self::District | Self::Name | Self::NameKana | Self::Address | Self::Corporation => {
                ValueType::Text
            }
            Self::OfficialCode => ValueType::Text,
            Self::Service => ValueType::Services,
            Self::Accepting => ValueType::State,
            Self::HomeCare | Self::Available24h | Self::AcceptingStale => ValueType::Boolean,
            Self::Capacity => ValueType::Integer,
            Self::UpdatedAt | Self::AcceptingCheckedAt => ValueType::Timestamp,
            Self::AcceptingUpdatedAt => ValueType::Date,
        }
    }

    /// The provider's value, `None` when it has none (SQL NULL). Not for [`Queryable::Service`],
    /// which has many values (see [`Expr::eval`]).
    pub fn value_of<P: ProviderFields>(self, p: &P) -> Option<Value> {
        let text = |key: &'static ProviderField| p.text(key).map(|s| Value::Text(s.to_owned()));
        let home = p.home_care().unwrap_or_default();
        match self {
            Self::Kind => Some(Value::Text(p.kind().as_str().to_owned())),
            Self::Service => None,
            Self::District => text(fields::DISTRICT),
            Self::Accepting => p.accepting().map(|a| Value::Text(a.as_str().to_owned())),
            Self::HomeCare => Some(Value::Bool(home.any())),
            Self::Available24h => Some(Value::Bool(home.available_24h)),
            Self::Name => Some(Value::Text(p.name().to_owned())),
            Self::NameKana => text(fields::NAME_KANA),
            Self::Address => text(fields::ADDRESS),
            Self::Corporation => text(fields::CORPORATION),
            Self::OfficialCode => text(fields::OFFICIAL_CODE),
            Self::Capacity => p.capacity().map(|c| Value::Number(f64::from(c))),
            Self::UpdatedAt => parse_instant(p.updated_at()).map(Value::Instant),
            Self::AcceptingUpdatedAt => p.text(fields::ACCEPTING_UPDATED_AT).and_then(parse_date).map(Value::Date),
            Self::AcceptingCheckedAt => p.accepting_checked_at().and_then(parse_instant).map(Value::Instant),
            Self::AcceptingStale => None,
        }
    }
}

/// An RFC 3339 instant.
pub(crate) fn parse_instant(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// A `YYYY-MM-DD` date.
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// A typed value: a literal of an expression, or a provider's value of a queryable.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A calendar date.
    Date(Date),
    /// An instant.
    Instant(OffsetDateTime),
}

impl Value {
    /// Orders two values of compatible types; an instant and a date compare by the instant's
    /// UTC day. `None` for incompatible types (which the parser never lets through).
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
            (Value::Number(a), Value::Number(b)) => a.partial_cmp(b),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
            (Value::Instant(a), Value::Instant(b)) => Some(a.cmp(b)),
            (Value::Instant(a), Value::Date(b)) => Some(utc_date(*a).cmp(b)),
            (Value::Date(a), Value::Instant(b)) => Some(a.cmp(&utc_date(*b))),
            _ => None,
        }
    }
}

fn utc_date(t: OffsetDateTime) -> Date {
    t.to_offset(time::UtcOffset::UTC).date()
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The cql2-text spelling (also the cql2-json `op`).
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "<>",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
        }
    }

    /// Whether `ordering` (left compared with right) satisfies the operator.
    pub fn holds(self, ordering: Ordering) -> bool {
        match self {
            Self::Eq => ordering.is_eq(),
            Self::Ne => ordering.is_ne(),
            Self::Lt => ordering.is_lt(),
            Self::Le => ordering.is_le(),
            Self::Gt => ordering.is_gt(),
            Self::Ge => ordering.is_ge(),
        }
    }

    /// The operator with its operands swapped (`3 < x` is `x > 3`).
    pub fn flipped(self) -> Self {
        match self {
            Self::Lt => Self::Gt,
            Self::Le => Self::Ge,
            Self::Gt => Self::Lt,
            Self::Ge => Self::Le,
            other => other,
        }
    }
}

/// A geometry of a spatial predicate, in CRS84 lon/lat.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A box (may cross the antimeridian).
    Bbox(Bbox),
    /// A point, line or polygon geometry (x = lon, y = lat).
    Geometry(geo::Geometry<f64>),
}

impl Shape {
    /// Whether a position intersects the shape (boundaries included).
    pub fn intersects(&self, p: LonLat) -> bool {
        match self {
            Shape::Bbox(b) => b.contains(p),
            Shape::Geometry(g) => g.intersects(&p.to_point()),
        }
    }
}

/// A filter expression, checked against the queryables. Properties are on the left of every
/// comparison; literals are of the queryable's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `TRUE` or `FALSE`.
    Literal(bool),
    /// All must hold.
    And(Vec<Expr>),
    /// Any must hold.
    Or(Vec<Expr>),
    /// Must not hold.
    Not(Box<Expr>),
    /// `property op value`.
    Compare(Queryable, CmpOp, Value),
    /// `property LIKE 'pattern'` (`%` any run, `_` one character, `\` escapes).
    Like(Queryable, String),
    /// `property BETWEEN low AND high` (both included).
    Between(Queryable, Value, Value),
    /// `property IN (values)`.
    In(Queryable, Vec<Value>),
    /// `property IS NULL` (for `service`: offers no service).
    IsNull(Queryable),
    /// `S_INTERSECTS(geometry, shape)`.
    Intersects(Shape),
    /// `S_DWITHIN(geometry, POINT(lon lat), metres)`: geodesic distance at most this.
    DWithin(LonLat, f64),
}

/// A spatial condition every match of an expression meets, for choosing an index query.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexHint {
    /// Matches lie in this box.
    Bbox(Bbox),
    /// Matches lie in this area.
    Area(geo::MultiPolygon<f64>),
    /// Matches lie within this many metres (geodesic) of this point.
    Radius(LonLat, f64),
}

impl Expr {
    /// The expression with every test of `accepting_stale` replaced by what it means at
    /// `clock`'s moment: stale ⇔ `accepting_checked_at IS NULL OR accepting_checked_at <
    /// cutoff`, fresh ⇔ `NOT accepting_checked_at IS NULL AND accepting_checked_at >= cutoff`
    /// (each true or false for every provider, never unknown).
    #[must_use]
    pub fn judging_staleness(self, clock: &crate::domain::VacancyClock) -> Expr {
        let checked = Queryable::AcceptingCheckedAt;
        let cutoff = Value::Instant(clock.cutoff());
        let is = |stale: bool| {
            if stale {
                Expr::Or(vec![Expr::IsNull(checked), Expr::Compare(checked, CmpOp::Lt, cutoff.clone())])
            } else {
                // Never unknown: a missing time makes this false (so `NOT` of it true), not unknown.
                Expr::And(vec![
                    Expr::Not(Box::new(Expr::IsNull(checked))),
                    Expr::Compare(checked, CmpOp::Ge, cutoff.clone()),
                ])
            }
        };
        let judge = |e: Expr| e.judging_staleness(clock);
        match self {
            Expr::And(es) => Expr::And(es.into_iter().map(judge).collect()),
            Expr::Or(es) => Expr::Or(es.into_iter().map(judge).collect()),
            Expr::Not(e) => Expr::Not(Box::new(judge(*e))),
            Expr::Compare(Queryable::AcceptingStale, op, Value::Bool(b)) => is((op == CmpOp::Eq) == b),
            Expr::In(Queryable::AcceptingStale, values) => Expr::Or(
                values.into_iter().filter_map(|v| if let Value::Bool(b) = v { Some(is(b)) } else { None }).collect(),
            ),
            // Every provider is either stale or fresh.
            Expr::IsNull(Queryable::AcceptingStale) => Expr::Literal(false),
            other => other,
        }
    }

    /// Whether the provider is selected: the expression is true for it.
    pub fn matches<P: ProviderFields>(&self, p: &P) -> bool {
        self.eval(p) == Some(true)
    }

    /// The expression's truth for a provider: `None` is SQL's unknown (a missing value).
    pub fn eval<P: ProviderFields>(&self, p: &P) -> Option<bool> {
        match self {
            Expr::Literal(b) => Some(*b),
            Expr::And(all) => {
                let mut unknown = false;
                for e in all {
                    match e.eval(p) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown { None } else { Some(true) }
            }
            Expr::Or(any) => {
                let mut unknown = false;
                for e in any {
                    match e.eval(p) {
                        Some(true) => return Some(true),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                if unknown { None } else { Some(false) }
            }
            Expr::Not(e) => e.eval(p).map(|b| !b),
            Expr::Compare(Queryable::Service, op, Value::Text(code)) => {
                let offers = p.codes().any(|s| s == code);
                Some(if *op == CmpOp::Ne { !offers } else { offers })
            }
            Expr::In(Queryable::Service, codes) => {
                Some(codes.iter().any(|c| matches!(c, Value::Text(c) if p.codes().any(|s| s == c))))
            }
            Expr::IsNull(Queryable::Service) => Some(p.codes().next().is_none()),
            Expr::Compare(q, op, v) => q.value_of(p)?.compare(v).map(|o| op.holds(o)),
            Expr::Like(q, pattern) => match q.value_of(p)? {
                Value::Text(s) => Some(like(&s, pattern)),
                _ => None,
            },
            Expr::Between(q, low, high) => {
                let v = q.value_of(p)?;
                Some(v.compare(low)?.is_ge() && v.compare(high)?.is_le())
            }
            Expr::In(q, values) => {
                let v = q.value_of(p)?;
                Some(values.iter().any(|x| v.compare(x).is_some_and(Ordering::is_eq)))
            }
            Expr::IsNull(q) => Some(q.value_of(p).is_none()),
            Expr::Intersects(shape) => Some(shape.intersects(p.location())),
            Expr::DWithin(center, metres) => Some(p.location().geodesic_distance_m(*center) <= *metres),
        }
    }

    /// A spatial condition that every provider the expression selects meets: the expression
    /// itself or one of its top-level `AND` terms. `None` when there is none (e.g. under `OR`).
    pub fn index_hint(&self) -> Option<IndexHint> {
        match self {
            Expr::And(all) => all.iter().find_map(Expr::index_hint),
            Expr::Intersects(Shape::Bbox(b)) => Some(IndexHint::Bbox(*b)),
            Expr::Intersects(Shape::Geometry(g)) => match g {
                geo::Geometry::Polygon(p) => Some(IndexHint::Area(geo::MultiPolygon::new(vec![p.clone()]))),
                geo::Geometry::MultiPolygon(mp) => Some(IndexHint::Area(mp.clone())),
                other => {
                    let rect = other.bounding_rect()?;
                    let min = LonLat::new(rect.min().x, rect.min().y).ok()?;
                    let max = LonLat::new(rect.max().x, rect.max().y).ok()?;
                    Some(IndexHint::Bbox(Bbox { min, max }))
                }
            },
            Expr::DWithin(center, metres) => Some(IndexHint::Radius(*center, *metres)),
            _ => None,
        }
    }

    /// Both expressions must hold.
    #[must_use]
    pub fn and(self, other: Expr) -> Expr {
        match self {
            Expr::And(mut all) => {
                all.push(other);
                Expr::And(all)
            }
            first => Expr::And(vec![first, other]),
        }
    }
}

/// CQL2 `LIKE`: `%` matches any run of characters, `_` one character, `\` makes the next
/// character literal. Case-sensitive; the whole value must match.
pub fn like(value: &str, pattern: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum P {
        Any,
        One,
        Char(char),
    }
    let mut parts = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        parts.push(match c {
            '%' => P::Any,
            '_' => P::One,
            '\\' => P::Char(chars.next().unwrap_or('\\')),
            c => P::Char(c),
        });
    }
    let text: Vec<char> = value.chars().collect();
    // Greedy matching with backtracking to the last `%` (linear in practice, no recursion).
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match parts.get(p) {
            Some(P::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(P::One) => {
                t += 1;
                p += 1;
            }
            Some(P::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    parts[p..].iter().all(|x| *x == P::Any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Provider;

    #[test]
    fn like_matches_wildcards_and_escapes() {
        assert!(like("さくら訪問看護", "%訪問%"));
        assert!(like("さくら訪問看護", "さくら%"));
        assert!(!like("さくら訪問看護", "訪問%"));
        assert!(like("abc", "a_c"));
        assert!(!like("abbc", "a_c"));
        assert!(like("100%", "100\\%"));
        assert!(!like("1000", "100\\%"));
        assert!(like("", "%"));
        assert!(like("a%b", "a%b"));
        assert!(like("xaxbxb", "%a%b"));
    }

    #[test]
    fn unknown_values_follow_three_valued_logic() {
        let p = Provider::new("x".into(), crate::domain::Kind::Care, "x".into(), LonLat::TOKYO_STATION);
        let unknown = Expr::Compare(Queryable::Accepting, CmpOp::Eq, Value::Bool(true));
        assert_eq!(unknown.eval(&p), None);
        assert_eq!(Expr::Not(Box::new(unknown.clone())).eval(&p), None);
        assert_eq!(Expr::And(vec![unknown.clone(), Expr::Literal(false)]).eval(&p), Some(false));
        assert_eq!(Expr::Or(vec![unknown.clone(), Expr::Literal(true)]).eval(&p), Some(true));
        assert_eq!(Expr::IsNull(Queryable::Accepting).eval(&p), Some(true));
    }
}
