//! An expression written back as cql2-text (CRS84 geometries), which [`super::text::parse`]
//! reads as the same expression: for logs, and for the property tests' round trip.

use std::fmt::{self, Display, Formatter, Write};

use super::{Expr, Shape, Value};

fn text(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('\'')?;
    f.write_str(&s.replace('\'', "''"))?;
    f.write_char('\'')
}

impl Display for Value {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(s) => text(f, s),
            Value::Number(n) => write!(f, "{n}"),
            Value::Bool(b) => f.write_str(if *b { "TRUE" } else { "FALSE" }),
            Value::Date(d) => write!(f, "DATE('{d}')"),
            Value::Instant(t) => {
                let s = t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
                write!(f, "TIMESTAMP('{s}')")
            }
        }
    }
}

fn positions<'a>(f: &mut Formatter<'_>, coords: impl Iterator<Item = &'a geo::Coord<f64>>) -> fmt::Result {
    for (i, c) in coords.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{} {}", c.x, c.y)?;
    }
    Ok(())
}

fn polygon(f: &mut Formatter<'_>, p: &geo::Polygon<f64>) -> fmt::Result {
    f.write_char('(')?;
    for (i, ring) in std::iter::once(p.exterior()).chain(p.interiors()).enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_char('(')?;
        positions(f, ring.0.iter())?;
        f.write_char(')')?;
    }
    f.write_char(')')
}

impl Display for Shape {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Bbox(b) => write!(f, "BBOX({}, {}, {}, {})", b.min.lon(), b.min.lat(), b.max.lon(), b.max.lat()),
            Shape::Geometry(geo::Geometry::Point(p)) => write!(f, "POINT({} {})", p.x(), p.y()),
            Shape::Geometry(geo::Geometry::MultiPoint(mp)) => {
                f.write_str("MULTIPOINT(")?;
                positions(f, mp.0.iter().map(|p| &p.0))?;
                f.write_char(')')
            }
            Shape::Geometry(geo::Geometry::LineString(l)) => {
                f.write_str("LINESTRING(")?;
                positions(f, l.0.iter())?;
                f.write_char(')')
            }
            Shape::Geometry(geo::Geometry::Polygon(p)) => {
                f.write_str("POLYGON")?;
                polygon(f, p)
            }
            Shape::Geometry(geo::Geometry::MultiPolygon(mp)) => {
                f.write_str("MULTIPOLYGON(")?;
                for (i, p) in mp.0.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    polygon(f, p)?;
                }
                f.write_char(')')
            }
            Shape::Geometry(other) => write!(f, "{other:?}"),
        }
    }
}

fn list<T: Display>(f: &mut Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(b) => f.write_str(if *b { "TRUE" } else { "FALSE" }),
            Expr::And(all) | Expr::Or(all) => {
                let joiner = if matches!(self, Expr::And(_)) { " AND " } else { " OR " };
                for (i, e) in all.iter().enumerate() {
                    if i > 0 {
                        f.write_str(joiner)?;
                    }
                    write!(f, "({e})")?;
                }
                Ok(())
            }
            Expr::Not(e) => write!(f, "NOT ({e})"),
            Expr::Compare(q, op, v) => write!(f, "{} {} {v}", q.name(), op.symbol()),
            Expr::Like(q, pattern) => {
                write!(f, "{} LIKE ", q.name())?;
                text(f, pattern)
            }
            Expr::Between(q, low, high) => write!(f, "{} BETWEEN {low} AND {high}", q.name()),
            Expr::In(q, values) => {
                write!(f, "{} IN (", q.name())?;
                list(f, values)?;
                f.write_char(')')
            }
            Expr::IsNull(q) => write!(f, "{} IS NULL", q.name()),
            Expr::Intersects(shape) => write!(f, "S_INTERSECTS(geometry, {shape})"),
            Expr::DWithin(p, metres) => write!(f, "S_DWITHIN(geometry, POINT({} {}), {metres})", p.lon(), p.lat()),
        }
    }
}
