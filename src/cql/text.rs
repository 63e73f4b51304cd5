//! cql2-text: a lexer and a recursive-descent parser for this grammar (a subset of the CQL2
//! BNF, OGC 21-065r2 Annex B; keywords are case-insensitive):
//!
//! ```text
//! expression  = term { "OR" term }
//! term        = factor { "AND" factor }
//! factor      = "NOT" factor | primary
//! primary     = "(" expression ")" | "TRUE" | "FALSE" | spatial | predicate
//! predicate   = scalar ( compOp scalar
//!                      | [ "NOT" ] "LIKE" scalar
//!                      | [ "NOT" ] "BETWEEN" scalar "AND" scalar
//!                      | [ "NOT" ] "IN" "(" scalar { "," scalar } ")"
//!                      | "IS" [ "NOT" ] "NULL" )
//! compOp      = "=" | "<>" | "<" | "<=" | ">" | ">="
//! spatial     = ( "S_INTERSECTS" | "S_DWITHIN" ) "(" scalar { "," scalar } ")"
//! scalar      = property | 'text' | number | "TRUE" | "FALSE"
//!             | "DATE" "(" 'text' ")" | "TIMESTAMP" "(" 'text' ")" | geometry
//! property    = identifier | '"' identifier '"'
//! geometry    = "POINT" "(" pos ")" | "MULTIPOINT" "(" ( pos | "(" pos ")" ) { "," … } ")"
//!             | "LINESTRING" "(" pos { "," pos } ")" | "POLYGON" rings
//!             | "MULTIPOLYGON" "(" rings { "," rings } ")" | "BBOX" "(" number { "," number } ")"
//! rings       = "(" "(" pos { "," pos } ")" { "," "(" … ")" } ")"
//! pos         = number number
//! ```
//!
//! In text, `''` (or `\'`) is a quote. Errors name the byte offset and the token found.

use super::build::{self, At, Lit, Operand, RawGeometry};
use super::{CmpOp, CqlError, Expr, PositionsIn};

/// Deepest nesting of parentheses and `NOT`s accepted.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Str(String),
    Num(f64),
    Open,
    Close,
    Comma,
    Cmp(CmpOp),
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    at: usize,
    text: String,
}

fn lex(src: &str) -> Result<Vec<Token>, CqlError> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let err = |at: usize, m: &str| {
        let found: String = src[at..].chars().take(12).collect();
        CqlError::new(format!("byte {at} ('{found}')"), m)
    };
    while i < bytes.len() {
        let c = src[i..].chars().next().unwrap_or(' ');
        let start = i;
        let tok = match c {
            c if c.is_whitespace() => {
                i += c.len_utf8();
                continue;
            }
            '(' => {
                i += 1;
                Tok::Open
            }
            ')' => {
                i += 1;
                Tok::Close
            }
            ',' => {
                i += 1;
                Tok::Comma
            }
            '=' => {
                i += 1;
                Tok::Cmp(CmpOp::Eq)
            }
            '<' | '>' => {
                let next = bytes.get(i + 1).copied();
                let (op, len) = match (c, next) {
                    ('<', Some(b'>')) => (CmpOp::Ne, 2),
                    ('<', Some(b'=')) => (CmpOp::Le, 2),
                    ('<', _) => (CmpOp::Lt, 1),
                    ('>', Some(b'=')) => (CmpOp::Ge, 2),
                    _ => (CmpOp::Gt, 1),
                };
                i += len;
                Tok::Cmp(op)
            }
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    let Some(ch) = src[i..].chars().next() else {
                        return Err(err(start, "this text is not closed with '"));
                    };
                    i += ch.len_utf8();
                    match ch {
                        '\'' if bytes.get(i) == Some(&b'\'') => {
                            s.push('\'');
                            i += 1;
                        }
                        '\'' => break,
                        '\\' if bytes.get(i) == Some(&b'\'') => {
                            s.push('\'');
                            i += 1;
                        }
                        ch => s.push(ch),
                    }
                }
                Tok::Str(s)
            }
            '"' => {
                let Some(len) = src[i + 1..].find('"') else {
                    return Err(err(start, "this property name is not closed with \""));
                };
                let name = src[i + 1..i + 1 + len].to_owned();
                i += len + 2;
                Tok::Quoted(name)
            }
            c if c.is_ascii_digit()
                || ((c == '-' || c == '+' || c == '.')
                    && bytes.get(i + 1).is_some_and(|b| b.is_ascii_digit() || *b == b'.')) =>
            {
                i += 1;
                while i < bytes.len() {
                    let b = bytes[i];
                    let exponent_sign = (b == b'-' || b == b'+') && matches!(bytes[i - 1], b'e' | b'E');
                    if b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E' || exponent_sign {
                        i += 1;
                    } else {
                        break;
                    }
                }
                match src[start..i].parse::<f64>() {
                    Ok(n) if n.is_finite() => Tok::Num(n),
                    _ => return Err(err(start, "not a number")),
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                while let Some(ch) = src[i..].chars().next() {
                    if ch.is_alphanumeric() || matches!(ch, '_' | ':' | '.') {
                        i += ch.len_utf8();
                    } else {
                        break;
                    }
                }
                Tok::Word(src[start..i].to_owned())
            }
            _ => return Err(err(start, &format!("unexpected character '{c}'"))),
        };
        tokens.push(Token { tok, at: start, text: src[start..i].to_owned() });
    }
    tokens.push(Token { tok: Tok::End, at: src.len(), text: String::new() });
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    next: usize,
    depth: usize,
    crs: &'a dyn PositionsIn,
}

/// Parses a cql2-text filter, reading geometry positions with `crs`.
///
/// # Errors
/// [`CqlError`] naming the byte offset and token where the filter stops making sense.
pub fn parse(src: &str, crs: &dyn PositionsIn) -> Result<Expr, CqlError> {
    let mut p = Parser { tokens: lex(src)?, next: 0, depth: 0, crs };
    if p.peek().tok == Tok::End {
        return Err(p.error("the filter is empty"));
    }
    let e = p.expression()?;
    if p.peek().tok != Tok::End {
        return Err(p.error("expected AND, OR or the end of the filter"));
    }
    Ok(e)
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.next.min(self.tokens.len() - 1)]
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        &self.tokens[(self.next + ahead).min(self.tokens.len() - 1)].tok
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        self.next = (self.next + 1).min(self.tokens.len() - 1);
        t
    }

    fn where_(t: &Token) -> String {
        if t.tok == Tok::End {
            format!("byte {} (end of the filter)", t.at)
        } else {
            format!("byte {} ('{}')", t.at, t.text)
        }
    }

    fn error(&self, message: impl Into<String>) -> CqlError {
        CqlError::new(Self::where_(self.peek()), message)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(&self.peek().tok, Tok::Word(w) if w.eq_ignore_ascii_case(word))
    }

    fn keyword(&mut self, word: &str) -> bool {
        let yes = self.is_word(word);
        if yes {
            self.bump();
        }
        yes
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<(), CqlError> {
        if &self.peek().tok == tok {
            self.bump();
            Ok(())
        } else {
            Err(self.error(format!("expected {what}")))
        }
    }

    fn expect_word(&mut self, word: &str) -> Result<(), CqlError> {
        if self.keyword(word) { Ok(()) } else { Err(self.error(format!("expected {word}"))) }
    }

    fn deeper(&mut self) -> Result<(), CqlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("the filter nests deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn expression(&mut self) -> Result<Expr, CqlError> {
        let mut terms = vec![self.term()?];
        while self.keyword("OR") {
            terms.push(self.term()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Expr::Or(terms) })
    }

    fn term(&mut self) -> Result<Expr, CqlError> {
        let mut factors = vec![self.factor()?];
        while self.keyword("AND") {
            factors.push(self.factor()?);
        }
        Ok(if factors.len() == 1 { factors.remove(0) } else { Expr::And(factors) })
    }

    fn factor(&mut self) -> Result<Expr, CqlError> {
        self.deeper()?;
        let e = if self.keyword("NOT") { Expr::Not(Box::new(self.factor()?)) } else { self.primary()? };
        self.depth -= 1;
        Ok(e)
    }

    /// Whether the token after a `TRUE`/`FALSE` makes it an operand rather than a predicate.
    fn continues_predicate(tok: &Tok) -> bool {
        match tok {
            Tok::Cmp(_) => true,
            Tok::Word(w) => ["NOT", "LIKE", "BETWEEN", "IN", "IS"].iter().any(|k| w.eq_ignore_ascii_case(k)),
            _ => false,
        }
    }

    fn primary(&mut self) -> Result<Expr, CqlError> {
        if self.peek().tok == Tok::Open {
            self.bump();
            let e = self.expression()?;
            self.expect(&Tok::Close, "')'")?;
            return Ok(e);
        }
        for (word, value) in [("TRUE", true), ("FALSE", false)] {
            if self.is_word(word) && !Self::continues_predicate(self.peek_at(1)) {
                self.bump();
                return Ok(Expr::Literal(value));
            }
        }
        if let Tok::Word(w) = &self.peek().tok
            && *self.peek_at(1) == Tok::Open
        {
            let upper = w.to_ascii_uppercase();
            if upper == "S_INTERSECTS" || upper == "S_DWITHIN" {
                let at = Self::where_(self.peek());
                self.bump();
                let args = self.arguments()?;
                return build::spatial(&upper, &at, &args, self.crs);
            }
            if !matches!(upper.as_str(), "DATE" | "TIMESTAMP") && !is_geometry_word(&upper) {
                return Err(self.error(format!(
                    "the function {w} is not supported; spatial predicates are S_INTERSECTS and S_DWITHIN"
                )));
            }
        }
        self.predicate()
    }

    fn arguments(&mut self) -> Result<Vec<At>, CqlError> {
        self.expect(&Tok::Open, "'('")?;
        let mut args = vec![self.scalar()?];
        while self.peek().tok == Tok::Comma {
            self.bump();
            args.push(self.scalar()?);
        }
        self.expect(&Tok::Close, "',' or ')'")?;
        Ok(args)
    }

    fn predicate(&mut self) -> Result<Expr, CqlError> {
        let subject = self.scalar()?;
        if let Tok::Cmp(op) = self.peek().tok {
            self.bump();
            let right = self.scalar()?;
            return build::compare(op, &subject, &right);
        }
        if self.keyword("IS") {
            let negated = self.keyword("NOT");
            self.expect_word("NULL")?;
            let e = build::is_null(&subject)?;
            return Ok(if negated { Expr::Not(Box::new(e)) } else { e });
        }
        let negated = self.keyword("NOT");
        let e = if self.keyword("LIKE") {
            let pattern = self.scalar()?;
            build::like(&subject, &pattern)?
        } else if self.keyword("BETWEEN") {
            let low = self.scalar()?;
            self.expect_word("AND")?;
            let high = self.scalar()?;
            build::between(&subject, &low, &high)?
        } else if self.keyword("IN") {
            let items = self.arguments()?;
            build::in_list(&subject, &items)?
        } else if negated {
            return Err(self.error("expected LIKE, BETWEEN or IN after NOT"));
        } else {
            return Err(self.error("expected a comparison (=, <>, <, <=, >, >=), LIKE, BETWEEN, IN or IS NULL"));
        };
        Ok(if negated { Expr::Not(Box::new(e)) } else { e })
    }

    fn scalar(&mut self) -> Result<At, CqlError> {
        let t = self.peek().clone();
        let at = Self::where_(&t);
        let operand = match &t.tok {
            Tok::Str(s) => Operand::Lit(Lit::Text(s.clone())),
            Tok::Num(n) => Operand::Lit(Lit::Number(*n)),
            Tok::Quoted(name) => Operand::Property(name.clone()),
            Tok::Word(w) => {
                let upper = w.to_ascii_uppercase();
                let call = *self.peek_at(1) == Tok::Open;
                match upper.as_str() {
                    "TRUE" => Operand::Lit(Lit::Bool(true)),
                    "FALSE" => Operand::Lit(Lit::Bool(false)),
                    "DATE" | "TIMESTAMP" if call => {
                        self.bump();
                        self.bump();
                        let Tok::Str(s) = self.bump().tok else {
                            return Err(CqlError::new(
                                at,
                                format!("{upper} takes one quoted value, e.g. {upper}('2026-11-01')"),
                            ));
                        };
                        self.expect(&Tok::Close, "')'")?;
                        let lit = if upper == "DATE" { Lit::Date(s) } else { Lit::Timestamp(s) };
                        return Ok(At { operand: Operand::Lit(lit), at });
                    }
                    g if call && is_geometry_word(g) => {
                        self.bump();
                        let geometry = self.geometry(g)?;
                        return Ok(At { operand: Operand::Geometry(geometry), at });
                    }
                    "NULL" => return Err(self.error("NULL is tested with IS NULL")),
                    "AND" | "OR" | "NOT" | "LIKE" | "BETWEEN" | "IN" | "IS" => {
                        return Err(self.error("expected a property or a value"));
                    }
                    _ => Operand::Property(w.clone()),
                }
            }
            _ => return Err(self.error("expected a property or a value")),
        };
        self.bump();
        Ok(At { operand, at })
    }

    fn number(&mut self) -> Result<f64, CqlError> {
        match self.peek().tok {
            Tok::Num(n) => {
                self.bump();
                Ok(n)
            }
            _ => Err(self.error("expected a number")),
        }
    }

    fn position(&mut self) -> Result<[f64; 2], CqlError> {
        let x = self.number()?;
        let y = self.number()?;
        if let Tok::Num(_) = self.peek().tok {
            return Err(self.error("only 2-D positions (two numbers) are supported"));
        }
        Ok([x, y])
    }

    /// `pos { "," pos }`, or with `parenthesised` each position in its own parentheses.
    fn positions(&mut self, parenthesised: bool) -> Result<Vec<[f64; 2]>, CqlError> {
        let mut out = Vec::new();
        loop {
            let own = parenthesised || self.peek().tok == Tok::Open;
            if own {
                self.expect(&Tok::Open, "'('")?;
            }
            out.push(self.position()?);
            if own {
                self.expect(&Tok::Close, "')'")?;
            }
            if self.peek().tok != Tok::Comma {
                return Ok(out);
            }
            self.bump();
        }
    }

    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T, CqlError>) -> Result<Vec<T>, CqlError> {
        self.expect(&Tok::Open, "'('")?;
        let mut out = vec![item(self)?];
        while self.peek().tok == Tok::Comma {
            self.bump();
            out.push(item(self)?);
        }
        self.expect(&Tok::Close, "',' or ')'")?;
        Ok(out)
    }

    fn rings(&mut self) -> Result<Vec<Vec<[f64; 2]>>, CqlError> {
        self.list(|p| p.list(Parser::position))
    }

    fn geometry(&mut self, word: &str) -> Result<RawGeometry, CqlError> {
        Ok(match word {
            "POINT" => {
                self.expect(&Tok::Open, "'('")?;
                let p = self.position()?;
                self.expect(&Tok::Close, "')'")?;
                RawGeometry::Point(p)
            }
            "MULTIPOINT" => {
                self.expect(&Tok::Open, "'('")?;
                let ps = self.positions(false)?;
                self.expect(&Tok::Close, "')'")?;
                RawGeometry::MultiPoint(ps)
            }
            "LINESTRING" => RawGeometry::LineString(self.list(Parser::position)?),
            "POLYGON" => RawGeometry::Polygon(self.rings()?),
            "MULTIPOLYGON" => RawGeometry::MultiPolygon(self.list(Parser::rings)?),
            _ => RawGeometry::Bbox(self.list(Parser::number)?),
        })
    }
}

fn is_geometry_word(upper: &str) -> bool {
    matches!(upper, "POINT" | "MULTIPOINT" | "LINESTRING" | "POLYGON" | "MULTIPOLYGON" | "BBOX")
}

#[cfg(test)]
mod tests {
    use super::super::{Crs84, Queryable, Shape, Value};
    use super::*;

    fn ok(s: &str) -> Expr {
        parse(s, &Crs84).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> String {
        parse(s, &Crs84).map(|e| panic!("{s} parsed as {e:?}")).unwrap_err().to_string()
    }

    #[test]
    fn comparisons_and_logic_follow_precedence() {
        let e = ok("kind = 'care' OR kind = 'clinic' AND NOT accepting = TRUE");
        let kind = |k: &str| Expr::Compare(Queryable::Kind, CmpOp::Eq, Value::Text(k.into()));
        let accepting = Expr::Compare(Queryable::Accepting, CmpOp::Eq, Value::Text("yes".into()));
        assert_eq!(e, Expr::Or(vec![kind("care"), Expr::And(vec![kind("clinic"), Expr::Not(Box::new(accepting))])]));
    }

    #[test]
    fn keywords_are_case_insensitive_and_literals_may_come_first() {
        assert_eq!(ok("10 < capacity and \"name\" like 'さくら%'"), ok("capacity > 10 AND name LIKE 'さくら%'"));
    }

    #[test]
    fn advanced_comparisons_parse() {
        assert_eq!(
            ok("capacity NOT BETWEEN 10 AND 20"),
            Expr::Not(Box::new(Expr::Between(Queryable::Capacity, Value::Number(10.0), Value::Number(20.0))))
        );
        assert_eq!(
            ok("district IN ('north', 'south')"),
            Expr::In(Queryable::District, vec![Value::Text("north".into()), Value::Text("south".into())])
        );
        assert_eq!(ok("district IS NOT NULL"), Expr::Not(Box::new(Expr::IsNull(Queryable::District))));
    }

    #[test]
    fn quotes_in_text_are_doubled() {
        assert_eq!(ok("name = 'O''Brien'"), Expr::Compare(Queryable::Name, CmpOp::Eq, Value::Text("O'Brien".into())));
    }

    #[test]
    fn spatial_predicates_take_wkt_and_bbox() {
        assert!(matches!(
            ok("S_INTERSECTS(geometry, BBOX(139.8, 35.8, 139.9, 35.9))"),
            Expr::Intersects(Shape::Bbox(_))
        ));
        assert!(matches!(
            ok("s_intersects(POLYGON((139.8 35.8, 139.9 35.8, 139.9 35.9, 139.8 35.8)), geometry)"),
            Expr::Intersects(Shape::Geometry(geo::Geometry::Polygon(_)))
        ));
        assert!(matches!(ok("S_DWITHIN(geometry, POINT(139.9 35.85), 1500)"), Expr::DWithin(_, d) if d == 1500.0));
    }

    #[test]
    fn errors_say_where_and_what() {
        assert_eq!(err("nmae = 'x'").split(':').next(), Some("at byte 0 ('nmae')"));
        assert!(err("name = 'x' AND").contains("byte 14 (end of the filter)"), "{}", err("name = 'x' AND"));
        assert!(err("name = 'x' kind = 'care'").contains("byte 11 ('kind')"));
        assert!(err("accepting = 'maybe'").contains("accepting is 'yes', 'consult' or 'no'"));
        assert_eq!(ok("accepting = FALSE"), ok("accepting = 'no'"), "the old booleans mean yes and no");
        assert!(err("capacity LIKE '1%'").contains("LIKE applies to text"));
        assert!(err("name = 'open").contains("not closed"));
        assert!(err("S_INTERSECTS(geometry, POLYGON((139.8 35.8, 139.9 35.8, 139.9 35.9)))").contains("ring 0"));
        assert!(err("S_INTERSECTS(geometry, POINT(239 35))").contains("longitude"));
        assert!(err("S_WITHIN(geometry, POINT(139 35))").contains("not supported"));
        assert!(err(&"(".repeat(100)).contains("deeper"));
        assert!(err("").contains("empty"));
    }
}
