//! Plain HTML alternates of the OGC API resources (`f=html`), for people who open the API in a
//! browser: a heading, the links, a table of features or collections where there are any, and
//! the JSON itself. No script, no style; every value is escaped.

use std::fmt::Write;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn links_list(out: &mut String, links: &[Value]) {
    out.push_str("<h2>リンク</h2>\n<ul>\n");
    for l in links {
        let (href, rel, kind, title) = (str_of(l, "href"), str_of(l, "rel"), str_of(l, "type"), str_of(l, "title"));
        let label = if title.is_empty() { href } else { title };
        let _ = writeln!(
            out,
            "<li><a href=\"{}\">{}</a> ({}, {})</li>",
            escape(href),
            escape(label),
            escape(rel),
            escape(kind)
        );
    }
    out.push_str("</ul>\n");
}

fn features_table(out: &mut String, features: &[Value], item_base: Option<&str>) {
    out.push_str("<h2>地物</h2>\n<table>\n<tr><th>ID</th><th>名称</th><th>種別</th><th>座標</th></tr>\n");
    for f in features {
        let id = match &f["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let props = &f["properties"];
        let id_cell = match item_base {
            Some(base) => {
                format!("<a href=\"{}/{}?f=html\">{}</a>", escape(base), super::links::segment(&id), escape(&id))
            }
            None => escape(&id),
        };
        let coordinates = match f.pointer("/geometry/type").and_then(Value::as_str) {
            Some("Point") => f.pointer("/geometry/coordinates").map(Value::to_string).unwrap_or_default(),
            Some(other) => other.to_owned(),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "<tr><td>{id_cell}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(str_of(props, "name")),
            escape(str_of(props, "kind")),
            escape(&coordinates)
        );
    }
    out.push_str("</table>\n");
}

fn collections_list(out: &mut String, collections: &[Value]) {
    out.push_str("<h2>コレクション</h2>\n<ul>\n");
    for c in collections {
        let href = c["links"]
            .as_array()
            .and_then(|ls| ls.iter().find(|l| l["rel"] == "self"))
            .map(|l| str_of(l, "href"))
            .unwrap_or("");
        let _ = writeln!(
            out,
            "<li><a href=\"{}?f=html\">{}</a>: {}</li>",
            escape(href),
            escape(str_of(c, "title")),
            escape(str_of(c, "description"))
        );
    }
    out.push_str("</ul>\n");
}

/// The HTML body of a resource: title, description, links, features or collections, JSON.
pub fn render(title: &str, doc: &Value) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(title),
        escape(title)
    );
    if let Some(d) = doc.get("description").and_then(Value::as_str) {
        let _ = writeln!(out, "<p>{}</p>", escape(d));
    }
    if let Some(links) = doc.get("links").and_then(Value::as_array) {
        links_list(&mut out, links);
    }
    if let Some(collections) = doc.get("collections").and_then(Value::as_array) {
        collections_list(&mut out, collections);
    }
    if let Some(features) = doc.get("features").and_then(Value::as_array) {
        let item_base = doc["links"]
            .as_array()
            .and_then(|ls| ls.iter().find(|l| l["rel"] == "self"))
            .map(|l| str_of(l, "href").split('?').next().unwrap_or("").to_owned());
        features_table(&mut out, features, item_base.as_deref());
    }
    let pretty = serde_json::to_string_pretty(doc).unwrap_or_default();
    let _ = write!(out, "<h2>JSON</h2>\n<pre>{}</pre>\n</body>\n</html>\n", escape(&pretty));
    out
}

/// A 200 `text/html` response rendering `doc`.
pub fn page(title: &str, doc: &Value) -> Response {
    html_response(render(title, doc))
}

/// A 200 `text/html; charset=utf-8` response.
pub fn html_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        let doc = serde_json::json!({
            "description": "<script>alert(1)</script>",
            "links": [{ "href": "http://x/\"onmouseover=\"", "rel": "self", "type": "text/html", "title": "t" }],
        });
        let html = render("a & b", &doc);
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("a &amp; b") && html.contains("&quot;onmouseover=&quot;"));
    }
}
