//! What both encodings share once they have read an operand: checking it against the
//! queryables and typing its literals, building the [`Expr`] of each predicate, and turning
//! geometry literals given in the filter CRS into CRS84 shapes.

use geo::{LineString, MultiPoint, MultiPolygon, Point, Polygon};

use crate::domain::{Bbox, LonLat};

use super::{CmpOp, Expr, GEOMETRY, MAX_VERTICES, Queryable, Shape, Value, ValueType, parse_date, parse_instant};

/// A filter that cannot be used, with where it went wrong: `byte 12 ('nmae')` in cql2-text, a
/// JSON pointer such as `/args/0` in cql2-json.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("at {at}: {message}")]
pub struct CqlError {
    /// Where in the expression.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl CqlError {
    pub(crate) fn new(at: impl Into<String>, message: impl Into<String>) -> Self {
        Self { at: at.into(), message: message.into() }
    }
}

/// How the positions of geometry literals are read: in CRS84 ([`Crs84`]) or converted from the
/// filter's CRS (`filter-crs`) by the caller.
pub trait PositionsIn {
    /// A position written as two numbers in the CRS's axis order, as lon/lat.
    ///
    /// # Errors
    /// Why the position is not usable.
    fn position(&self, a: f64, b: f64) -> Result<LonLat, String>;

    /// A `BBOX(a, b, c, d)` (lower corner, upper corner in the CRS's axis order) as a shape.
    ///
    /// # Errors
    /// Why the box is not usable.
    fn bbox(&self, corners: [f64; 4]) -> Result<Shape, String>;
}

/// Positions in CRS84 (lon, lat), the default `filter-crs`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Crs84;

impl PositionsIn for Crs84 {
    fn position(&self, a: f64, b: f64) -> Result<LonLat, String> {
        LonLat::new(a, b).map_err(|e| e.to_string())
    }

    fn bbox(&self, [a, b, c, d]: [f64; 4]) -> Result<Shape, String> {
        Bbox::parse(&format!("{a},{b},{c},{d}")).map(Shape::Bbox).map_err(|e| e.to_string())
    }
}

/// A literal as written, before it is typed by the queryable it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Text(String),
    Number(f64),
    Bool(bool),
    Date(String),
    Timestamp(String),
}

/// A geometry literal as written, in the filter CRS.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawGeometry {
    Point([f64; 2]),
    MultiPoint(Vec<[f64; 2]>),
    LineString(Vec<[f64; 2]>),
    Polygon(Vec<Vec<[f64; 2]>>),
    MultiPolygon(Vec<Vec<Vec<[f64; 2]>>>),
    Bbox(Vec<f64>),
}

/// An operand of a predicate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Property(String),
    Lit(Lit),
    Geometry(RawGeometry),
}

/// An operand with where it was written.
#[derive(Debug, Clone)]
pub(crate) struct At {
    pub operand: Operand,
    pub at: String,
}

impl At {
    fn error(&self, message: impl Into<String>) -> CqlError {
        CqlError::new(self.at.clone(), message)
    }

    /// The queryable this operand names; `None` for a literal.
    fn queryable(&self) -> Result<Option<Queryable>, CqlError> {
        match &self.operand {
            Operand::Property(name) if name == GEOMETRY => {
                Err(self.error("geometry can only be tested with S_INTERSECTS or S_DWITHIN"))
            }
            Operand::Property(name) => Queryable::parse(name).map(Some).ok_or_else(|| {
                let names: Vec<&str> = Queryable::ALL.iter().map(|q| q.name()).collect();
                self.error(format!("unknown queryable '{name}'; queryables: {}, {GEOMETRY}", names.join(", ")))
            }),
            Operand::Lit(_) => Ok(None),
            Operand::Geometry(_) => Err(self.error("a geometry can only be an argument of S_INTERSECTS or S_DWITHIN")),
        }
    }

    fn lit(&self) -> Result<&Lit, CqlError> {
        match &self.operand {
            Operand::Lit(l) => Ok(l),
            Operand::Property(_) => Err(self.error("comparing two properties is not supported: give a value")),
            Operand::Geometry(_) => Err(self.error("a geometry can only be an argument of S_INTERSECTS or S_DWITHIN")),
        }
    }

    /// The literal as a value of the queryable's type.
    fn typed(&self, q: Queryable) -> Result<Value, CqlError> {
        let lit = self.lit()?;
        let wrong = |what: &str| self.error(format!("{} is {what}; this value is {}", q.name(), describe(lit)));
        match (q.value_type(), lit) {
            (ValueType::Text | ValueType::Services, Lit::Text(s)) => Ok(Value::Text(s.clone())),
            (ValueType::Text | ValueType::Services, _) => Err(wrong("text: quote the value ('…')")),
            (ValueType::Boolean, Lit::Bool(b)) => Ok(Value::Bool(*b)),
            // GDAL writes booleans as the integers 1 and 0.
            (ValueType::Boolean, Lit::Number(n)) if *n == 1.0 || *n == 0.0 => Ok(Value::Bool(*n == 1.0)),
            (ValueType::Boolean, _) => Err(wrong("true or false")),
            (ValueType::State, Lit::Text(s)) => crate::domain::Accepting::parse(s)
                .map(|a| Value::Text(a.as_str().to_owned()))
                .ok_or_else(|| wrong("'yes', 'consult' or 'no'")),
            (ValueType::State, Lit::Bool(b)) => {
                Ok(Value::Text(crate::domain::Accepting::from_bool(*b).as_str().into()))
            }
            (ValueType::State, Lit::Number(n)) if *n == 1.0 || *n == 0.0 => {
                Ok(Value::Text(crate::domain::Accepting::from_bool(*n == 1.0).as_str().into()))
            }
            (ValueType::State, _) => Err(wrong("'yes', 'consult' or 'no' (TRUE and FALSE mean yes and no)")),
            (ValueType::Integer, Lit::Number(n)) => Ok(Value::Number(*n)),
            (ValueType::Integer, _) => Err(wrong("a number")),
            (ValueType::Timestamp | ValueType::Date, Lit::Date(s)) => {
                parse_date(s).map(Value::Date).ok_or_else(|| self.error(format!("'{s}' is not a date (YYYY-MM-DD)")))
            }
            (ValueType::Timestamp | ValueType::Date, Lit::Timestamp(s)) => {
                let t = parse_instant(s).ok_or_else(|| self.error(format!("'{s}' is not an RFC 3339 timestamp")))?;
                Ok(if q.value_type() == ValueType::Date { Value::Date(t.date()) } else { Value::Instant(t) })
            }
            (ValueType::Timestamp | ValueType::Date, Lit::Text(s)) => match (parse_instant(s), parse_date(s)) {
                (Some(t), _) if q.value_type() == ValueType::Timestamp => Ok(Value::Instant(t)),
                (Some(t), _) => Ok(Value::Date(t.date())),
                (None, Some(d)) => Ok(Value::Date(d)),
                _ => Err(self.error(format!("'{s}' is neither an RFC 3339 timestamp nor a date"))),
            },
            (ValueType::Timestamp, _) => Err(wrong("a timestamp (TIMESTAMP('…') or DATE('…'))")),
            (ValueType::Date, _) => Err(wrong("a date (DATE('…'))")),
        }
    }
}

fn describe(lit: &Lit) -> String {
    match lit {
        Lit::Text(s) => format!("the text '{s}'"),
        Lit::Number(n) => format!("the number {n}"),
        Lit::Bool(b) => format!("the boolean {b}"),
        Lit::Date(s) => format!("the date '{s}'"),
        Lit::Timestamp(s) => format!("the timestamp '{s}'"),
    }
}

/// The value of a literal compared with another literal (no queryable to type it).
fn constant(at: &At) -> Result<Value, CqlError> {
    Ok(match at.lit()? {
        Lit::Text(s) => Value::Text(s.clone()),
        Lit::Number(n) => Value::Number(*n),
        Lit::Bool(b) => Value::Bool(*b),
        Lit::Date(s) => Value::Date(parse_date(s).ok_or_else(|| at.error(format!("'{s}' is not a date")))?),
        Lit::Timestamp(s) => {
            Value::Instant(parse_instant(s).ok_or_else(|| at.error(format!("'{s}' is not a timestamp")))?)
        }
    })
}

/// `left op right`.
pub(crate) fn compare(op: CmpOp, left: &At, right: &At) -> Result<Expr, CqlError> {
    let (q, value, op) = match (left.queryable()?, right.queryable()?) {
        (Some(_), Some(_)) => return Err(right.error("comparing two properties is not supported: give a value")),
        (Some(q), None) => (q, right, op),
        (None, Some(q)) => (q, left, op.flipped()),
        (None, None) => {
            let (a, b) = (constant(left)?, constant(right)?);
            let ordering = a.compare(&b).ok_or_else(|| right.error("the two values are of different types"))?;
            return Ok(Expr::Literal(op.holds(ordering)));
        }
    };
    let unordered = matches!(q.value_type(), ValueType::Boolean | ValueType::Services | ValueType::State);
    if unordered && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
        return Err(left.error(format!("{} can only be compared with = and <>", q.name())));
    }
    Ok(Expr::Compare(q, op, value.typed(q)?))
}

/// `subject LIKE pattern`.
pub(crate) fn like(subject: &At, pattern: &At) -> Result<Expr, CqlError> {
    let q = subject.queryable()?.ok_or_else(|| subject.error("LIKE needs a queryable on its left"))?;
    if q.value_type() != ValueType::Text {
        return Err(subject.error(format!("{} is not text: LIKE applies to text queryables", q.name())));
    }
    match pattern.lit()? {
        Lit::Text(p) => Ok(Expr::Like(q, p.clone())),
        _ => Err(pattern.error("the LIKE pattern must be text ('…')")),
    }
}

/// `subject BETWEEN low AND high`.
pub(crate) fn between(subject: &At, low: &At, high: &At) -> Result<Expr, CqlError> {
    let q = subject.queryable()?.ok_or_else(|| subject.error("BETWEEN needs a queryable on its left"))?;
    if !matches!(q.value_type(), ValueType::Integer | ValueType::Timestamp | ValueType::Date) {
        return Err(subject.error(format!("{} is not a number or a time: BETWEEN does not apply", q.name())));
    }
    Ok(Expr::Between(q, low.typed(q)?, high.typed(q)?))
}

/// `subject IN (items)`.
pub(crate) fn in_list(subject: &At, items: &[At]) -> Result<Expr, CqlError> {
    let q = subject.queryable()?.ok_or_else(|| subject.error("IN needs a queryable on its left"))?;
    let values = items.iter().map(|i| i.typed(q)).collect::<Result<Vec<_>, _>>()?;
    Ok(Expr::In(q, values))
}

/// `subject IS NULL`.
pub(crate) fn is_null(subject: &At) -> Result<Expr, CqlError> {
    let q = subject.queryable()?.ok_or_else(|| subject.error("IS NULL needs a queryable on its left"))?;
    Ok(Expr::IsNull(q))
}

/// `S_INTERSECTS(a, b)` or `S_DWITHIN(a, b, distance)`, one of `a`, `b` being the geometry
/// queryable and the other a geometry literal. `function` is the upper-case name.
pub(crate) fn spatial(function: &str, at: &str, args: &[At], crs: &dyn PositionsIn) -> Result<Expr, CqlError> {
    let want = if function == "S_DWITHIN" { 3 } else { 2 };
    if args.len() != want {
        return Err(CqlError::new(at, format!("{function} takes {want} arguments, not {}", args.len())));
    }
    let is_geometry = |a: &At| matches!(&a.operand, Operand::Property(n) if n == GEOMETRY);
    let literal = match (is_geometry(&args[0]), is_geometry(&args[1])) {
        (true, false) => &args[1],
        (false, true) => &args[0],
        _ => {
            return Err(CqlError::new(at, format!("{function} compares the queryable {GEOMETRY} with a geometry")));
        }
    };
    let Operand::Geometry(raw) = &literal.operand else {
        return Err(literal.error("expected a geometry: POINT, MULTIPOINT, LINESTRING, POLYGON, MULTIPOLYGON or BBOX"));
    };
    let shape = shape(raw, crs).map_err(|m| literal.error(m))?;
    if function == "S_INTERSECTS" {
        return Ok(Expr::Intersects(shape));
    }
    let Shape::Geometry(geo::Geometry::Point(p)) = shape else {
        return Err(literal.error("S_DWITHIN measures from a POINT"));
    };
    let center = LonLat::new(p.x(), p.y()).map_err(|e| literal.error(e.to_string()))?;
    match &args[2].operand {
        Operand::Lit(Lit::Number(d)) if d.is_finite() && *d >= 0.0 => Ok(Expr::DWithin(center, *d)),
        _ => Err(args[2].error("the distance must be a number of metres, 0 or more")),
    }
}

/// A geometry literal as a CRS84 shape, checked: valid positions, closed rings of at least
/// four positions, at most [`MAX_VERTICES`] positions.
fn shape(raw: &RawGeometry, crs: &dyn PositionsIn) -> Result<Shape, String> {
    let position = |[a, b]: [f64; 2]| crs.position(a, b).map(|p| geo::coord! { x: p.lon(), y: p.lat() });
    let line = |ps: &[[f64; 2]]| ps.iter().map(|p| position(*p)).collect::<Result<Vec<_>, _>>();
    let polygon = |rings: &[Vec<[f64; 2]>]| -> Result<Polygon<f64>, String> {
        let mut rings = rings.iter().enumerate().map(|(i, r)| {
            if r.len() < 4 {
                return Err(format!("ring {i} has {} positions; a ring needs at least 4", r.len()));
            }
            if r.first() != r.last() {
                return Err(format!("ring {i} is not closed: its last position must equal its first"));
            }
            line(r).map(LineString::new)
        });
        let exterior = rings.next().ok_or("a polygon needs a ring")??;
        Ok(Polygon::new(exterior, rings.collect::<Result<_, _>>()?))
    };
    let vertices = match raw {
        RawGeometry::Point(_) | RawGeometry::Bbox(_) => 1,
        RawGeometry::MultiPoint(ps) | RawGeometry::LineString(ps) => ps.len(),
        RawGeometry::Polygon(rings) => rings.iter().map(Vec::len).sum(),
        RawGeometry::MultiPolygon(polys) => polys.iter().flatten().map(Vec::len).sum(),
    };
    if vertices > MAX_VERTICES {
        return Err(format!("the geometry has {vertices} positions; at most {MAX_VERTICES} are allowed"));
    }
    let geometry: geo::Geometry<f64> = match raw {
        RawGeometry::Point(p) => Point::from(position(*p)?).into(),
        RawGeometry::MultiPoint(ps) => MultiPoint::new(line(ps)?.into_iter().map(Point::from).collect()).into(),
        RawGeometry::LineString(ps) if ps.len() < 2 => return Err("a LINESTRING needs at least 2 positions".into()),
        RawGeometry::LineString(ps) => LineString::new(line(ps)?).into(),
        RawGeometry::Polygon(rings) => polygon(rings)?.into(),
        RawGeometry::MultiPolygon(polys) => {
            MultiPolygon::new(polys.iter().map(|p| polygon(p)).collect::<Result<_, _>>()?).into()
        }
        RawGeometry::Bbox(v) => match v[..] {
            [a, b, c, d] => return crs.bbox([a, b, c, d]),
            [_, _, _, _, _, _] => return Err("3-D boxes (6 numbers) are not supported: give 4 numbers".into()),
            _ => return Err(format!("BBOX takes 4 numbers, not {}", v.len())),
        },
    };
    Ok(Shape::Geometry(geometry))
}

/// `q = raw` for a queryable given as a query parameter ("queryables as query parameters"):
/// the text is read as the queryable's type.
///
/// # Errors
/// Why the value does not fit the queryable.
pub fn equals(q: Queryable, raw: &str) -> Result<Expr, String> {
    let lit = match q.value_type() {
        ValueType::Integer => {
            Lit::Number(raw.trim().parse::<f64>().ok().filter(|n| n.is_finite()).ok_or("must be a number")?)
        }
        ValueType::Boolean => match raw.trim() {
            "true" | "1" => Lit::Bool(true),
            "false" | "0" => Lit::Bool(false),
            _ => return Err("must be true or false".into()),
        },
        _ => Lit::Text(raw.to_owned()),
    };
    let property = At { operand: Operand::Property(q.name().to_owned()), at: String::new() };
    compare(CmpOp::Eq, &property, &At { operand: Operand::Lit(lit), at: String::new() }).map_err(|e| e.message)
}
