//! cql2-json: `{"op": "and", "args": [...]}` trees with `{"property": "name"}`,
//! `{"date": "…"}`, `{"timestamp": "…"}`, GeoJSON geometries and `{"bbox": [...]}` as
//! operands. Errors name the JSON pointer of the node, e.g. `/args/1/args/0`.

use serde_json::Value as Json;

use super::build::{self, At, Lit, Operand, RawGeometry};
use super::text::MAX_DEPTH;
use super::{CmpOp, CqlError, Expr, PositionsIn};

/// Parses a cql2-json filter, reading geometry positions with `crs`.
///
/// # Errors
/// [`CqlError`] naming the line and column of malformed JSON, or the JSON pointer of the node
/// that is not a usable expression.
pub fn parse(src: &str, crs: &dyn PositionsIn) -> Result<Expr, CqlError> {
    let json: Json = serde_json::from_str(src).map_err(|e| {
        CqlError::new(format!("line {} column {}", e.line(), e.column()), format!("not valid JSON: {e}"))
    })?;
    expression(&json, "", 0, crs)
}

fn at(path: &str) -> String {
    if path.is_empty() { "/ (the whole filter)".into() } else { path.to_owned() }
}

fn args<'j>(node: &'j Json, path: &str, n: Option<usize>) -> Result<&'j [Json], CqlError> {
    let args = node
        .get("args")
        .and_then(Json::as_array)
        .ok_or_else(|| CqlError::new(at(path), "\"args\" must be an array"))?;
    match n {
        Some(n) if args.len() != n => {
            let op = node.get("op").and_then(Json::as_str).unwrap_or("");
            Err(CqlError::new(format!("{path}/args"), format!("\"{op}\" takes {n} arguments, not {}", args.len())))
        }
        _ => Ok(args),
    }
}

fn expression(node: &Json, path: &str, depth: usize, crs: &dyn PositionsIn) -> Result<Expr, CqlError> {
    if depth > MAX_DEPTH {
        return Err(CqlError::new(at(path), format!("the filter nests deeper than {MAX_DEPTH} levels")));
    }
    if let Json::Bool(b) = node {
        return Ok(Expr::Literal(*b));
    }
    let op = node
        .get("op")
        .and_then(Json::as_str)
        .ok_or_else(|| CqlError::new(at(path), "expected an expression {\"op\": …, \"args\": […]} or true/false"))?;
    let sub = |i: usize| format!("{path}/args/{i}");
    let cmp = match op {
        "=" => Some(CmpOp::Eq),
        "<>" => Some(CmpOp::Ne),
        "<" => Some(CmpOp::Lt),
        "<=" => Some(CmpOp::Le),
        ">" => Some(CmpOp::Gt),
        ">=" => Some(CmpOp::Ge),
        _ => None,
    };
    if let Some(cmp) = cmp {
        let a = args(node, path, Some(2))?;
        return build::compare(cmp, &operand(&a[0], &sub(0))?, &operand(&a[1], &sub(1))?);
    }
    match op.to_ascii_lowercase().as_str() {
        "and" | "or" => {
            let a = args(node, path, None)?;
            if a.len() < 2 {
                return Err(CqlError::new(format!("{path}/args"), format!("\"{op}\" takes at least 2 arguments")));
            }
            let all = a
                .iter()
                .enumerate()
                .map(|(i, x)| expression(x, &sub(i), depth + 1, crs))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if op.eq_ignore_ascii_case("and") { Expr::And(all) } else { Expr::Or(all) })
        }
        "not" => Ok(Expr::Not(Box::new(expression(&args(node, path, Some(1))?[0], &sub(0), depth + 1, crs)?))),
        "like" => {
            let a = args(node, path, Some(2))?;
            build::like(&operand(&a[0], &sub(0))?, &operand(&a[1], &sub(1))?)
        }
        "between" => {
            let a = args(node, path, Some(3))?;
            build::between(&operand(&a[0], &sub(0))?, &operand(&a[1], &sub(1))?, &operand(&a[2], &sub(2))?)
        }
        "in" => {
            let a = args(node, path, Some(2))?;
            let list = a[1].as_array().ok_or_else(|| CqlError::new(sub(1), "\"in\" takes an array of values"))?;
            let items = list
                .iter()
                .enumerate()
                .map(|(i, v)| operand(v, &format!("{}/{i}", sub(1))))
                .collect::<Result<Vec<_>, _>>()?;
            build::in_list(&operand(&a[0], &sub(0))?, &items)
        }
        "isnull" => build::is_null(&operand(&args(node, path, Some(1))?[0], &sub(0))?),
        "s_intersects" | "s_dwithin" => {
            let a = args(node, path, None)?;
            let items = a.iter().enumerate().map(|(i, v)| operand(v, &sub(i))).collect::<Result<Vec<_>, _>>()?;
            build::spatial(&op.to_ascii_uppercase(), &at(path), &items, crs)
        }
        _ => Err(CqlError::new(
            format!("{path}/op"),
            format!(
                "the operator \"{op}\" is not supported (and, or, not, =, <>, <, <=, >, >=, like, between, in, isNull, s_intersects, s_dwithin)"
            ),
        )),
    }
}

fn numbers(v: &Json) -> Option<Vec<f64>> {
    v.as_array()?.iter().map(Json::as_f64).collect()
}

fn position(v: &Json) -> Option<[f64; 2]> {
    match numbers(v)?[..] {
        [x, y] => Some([x, y]),
        _ => None,
    }
}

fn line(v: &Json) -> Option<Vec<[f64; 2]>> {
    v.as_array()?.iter().map(position).collect()
}

fn rings(v: &Json) -> Option<Vec<Vec<[f64; 2]>>> {
    v.as_array()?.iter().map(line).collect()
}

fn geometry(v: &Json) -> Option<Result<RawGeometry, String>> {
    if let Some(b) = v.get("bbox") {
        return Some(numbers(b).map(RawGeometry::Bbox).ok_or_else(|| "\"bbox\" must be an array of numbers".into()));
    }
    let kind = v.get("type")?.as_str()?;
    let c = v.get("coordinates");
    let raw = match kind {
        "Point" => c.and_then(position).map(RawGeometry::Point),
        "MultiPoint" => c.and_then(line).map(RawGeometry::MultiPoint),
        "LineString" => c.and_then(line).map(RawGeometry::LineString),
        "Polygon" => c.and_then(rings).map(RawGeometry::Polygon),
        "MultiPolygon" => {
            c.and_then(|c| c.as_array()?.iter().map(rings).collect::<Option<Vec<_>>>()).map(RawGeometry::MultiPolygon)
        }
        other => return Some(Err(format!("the geometry type {other} is not supported"))),
    };
    Some(raw.ok_or_else(|| format!("the coordinates of this {kind} are malformed (2-D positions only)")))
}

fn operand(v: &Json, path: &str) -> Result<At, CqlError> {
    let lit = |l: Lit| Ok(At { operand: Operand::Lit(l), at: path.to_owned() });
    let text = |key: &str| v.get(key).and_then(Json::as_str).map(str::to_owned);
    match v {
        Json::String(s) => lit(Lit::Text(s.clone())),
        Json::Number(n) => lit(Lit::Number(n.as_f64().unwrap_or(f64::NAN))),
        Json::Bool(b) => lit(Lit::Bool(*b)),
        Json::Object(_) => {
            if let Some(name) = text("property") {
                return Ok(At { operand: Operand::Property(name), at: path.to_owned() });
            }
            if let Some(d) = text("date") {
                return lit(Lit::Date(d));
            }
            if let Some(t) = text("timestamp") {
                return lit(Lit::Timestamp(t));
            }
            match geometry(v) {
                Some(Ok(g)) => Ok(At { operand: Operand::Geometry(g), at: path.to_owned() }),
                Some(Err(m)) => Err(CqlError::new(path, m)),
                None => Err(CqlError::new(
                    path,
                    "expected {\"property\": …}, {\"date\": …}, {\"timestamp\": …}, a GeoJSON geometry or {\"bbox\": […]}",
                )),
            }
        }
        _ => Err(CqlError::new(path, "expected a property or a value")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Crs84, text};
    use super::*;

    fn same(json: &str, cql_text: &str) {
        assert_eq!(parse(json, &Crs84).unwrap(), text::parse(cql_text, &Crs84).unwrap(), "{json}");
    }

    #[test]
    fn json_and_text_mean_the_same() {
        same(
            r#"{"op":"and","args":[{"op":"=","args":[{"property":"kind"},"clinic"]},{"op":"like","args":[{"property":"name"},"%クリニック"]}]}"#,
            "kind = 'clinic' AND name LIKE '%クリニック'",
        );
        same(r#"{"op":"in","args":[{"property":"service"},["130","430"]]}"#, "service IN ('130','430')");
        same(r#"{"op":"between","args":[{"property":"capacity"},10,20]}"#, "capacity BETWEEN 10 AND 20");
        same(r#"{"op":"not","args":[{"op":"isNull","args":[{"property":"district"}]}]}"#, "district IS NOT NULL");
        same(
            r#"{"op":">=","args":[{"property":"updated_at"},{"timestamp":"2026-01-01T00:00:00Z"}]}"#,
            "updated_at >= TIMESTAMP('2026-01-01T00:00:00Z')",
        );
        same(
            r#"{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[139.9,35.85]}]}"#,
            "S_INTERSECTS(geometry, POINT(139.9 35.85))",
        );
        same(
            r#"{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[139.8,35.8,139.9,35.9]}]}"#,
            "S_INTERSECTS(geometry, BBOX(139.8,35.8,139.9,35.9))",
        );
        same(
            r#"{"op":"s_dwithin","args":[{"property":"geometry"},{"type":"Point","coordinates":[139.9,35.85]},800]}"#,
            "S_DWITHIN(geometry, POINT(139.9 35.85), 800)",
        );
    }

    #[test]
    fn errors_name_the_json_pointer() {
        let e = parse(r#"{"op":"and","args":[true,{"op":"=","args":[{"property":"nmae"},"x"]}]}"#, &Crs84).unwrap_err();
        assert_eq!(e.at, "/args/1/args/0");
        assert!(parse("{\"op\":", &Crs84).unwrap_err().at.starts_with("line 1"));
        assert_eq!(parse(r#"{"op":"near","args":[]}"#, &Crs84).unwrap_err().at, "/op");
    }
}
