//! HTML alternates of the OGC API resources, for people who open the API in a browser (asked
//! for with `Accept: text/html` or `f=html`): the map page's header, colours and type, a
//! `<main>` landmark with a heading, the links, a table of features (with a link to the map)
//! or of collections where there are any, and the JSON itself. No script; every value is
//! escaped.

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

/// `href` with `f=json` added when it names no `f`: a browser asks for HTML, so a link to a
/// JSON resource must say so to give the JSON.
fn explicit_json(href: &str) -> String {
    let has_f = href.split_once('?').is_some_and(|(_, q)| q.split('&').any(|p| p.starts_with("f=")));
    match (has_f, href.contains('?')) {
        (true, _) => href.to_owned(),
        (false, true) => format!("{href}&f=json"),
        (false, false) => format!("{href}?f=json"),
    }
}

fn links_list(out: &mut String, links: &[Value]) {
    out.push_str("<h2>リンク</h2>\n<ul class=\"ogc-links\">\n");
    for l in links {
        let (href, rel, kind, title) = (str_of(l, "href"), str_of(l, "rel"), str_of(l, "type"), str_of(l, "title"));
        let label = if title.is_empty() { href } else { title };
        let href = if kind.starts_with(super::HTML) { href.to_owned() } else { explicit_json(href) };
        let _ = writeln!(
            out,
            "<li><a href=\"{}\">{}</a> <span class=\"ogc-muted\">({}, {})</span></li>",
            escape(&href),
            escape(label),
            escape(rel),
            escape(kind)
        );
    }
    out.push_str("</ul>\n");
}

fn features_table(out: &mut String, features: &[Value], item_base: Option<&str>) {
    out.push_str(
        "<h2 id=\"features-heading\">地物</h2>\n<p><a href=\"/\">地図で見る（介護・在宅医療マップ）</a></p>\n\
         <table aria-labelledby=\"features-heading\">\n<thead>\n\
         <tr><th scope=\"col\">ID</th><th scope=\"col\">名称</th><th scope=\"col\">種別</th><th scope=\"col\">座標</th></tr>\n\
         </thead>\n<tbody>\n",
    );
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
            escape(crate::domain::Kind::parse(str_of(props, "kind")).map_or("", crate::domain::Kind::label_ja)),
            escape(&coordinates)
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn collections_list(out: &mut String, collections: &[Value]) {
    out.push_str("<h2>コレクション</h2>\n<ul class=\"ogc-collections\">\n");
    for c in collections {
        let href = c["links"]
            .as_array()
            .and_then(|ls| ls.iter().find(|l| l["rel"] == "self"))
            .map(|l| str_of(l, "href"))
            .unwrap_or("");
        let _ = writeln!(
            out,
            "<li><a href=\"{}?f=html\">{}</a>：{}</li>",
            escape(href),
            escape(str_of(c, "title")),
            escape(str_of(c, "description"))
        );
    }
    out.push_str("</ul>\n");
}

/// A whole page around `main_html` (already escaped): the map page's styles, a header with
/// the site's name and the API's navigation, `<main>` with the `<h1>` title, and a footer.
pub fn document(title: &str, main_html: &str) -> String {
    let title = escape(title);
    format!(
        "<!doctype html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} – OGC API（介護・在宅医療マップ）</title>\n\
         <link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\n\
         <link rel=\"stylesheet\" href=\"/css/tokens.css\">\n<link rel=\"stylesheet\" href=\"/css/reset.css\">\n\
         <link rel=\"stylesheet\" href=\"/css/ogc.css\">\n</head>\n<body>\n\
         <header class=\"ogc-header\">\n<p class=\"ogc-site\"><a href=\"/\">介護・在宅医療マップ</a></p>\n\
         <nav aria-label=\"OGC API\">\n<ul>\n<li><a href=\"/ogc?f=html\">OGC API</a></li>\n\
         <li><a href=\"/ogc/collections?f=html\">コレクション一覧</a></li>\n<li><a href=\"/ogc/api?f=html\">API 定義</a></li>\n\
         </ul>\n</nav>\n</header>\n<main id=\"main\" class=\"ogc-main\">\n<h1>{title}</h1>\n{main_html}</main>\n\
         <footer class=\"ogc-footer\">\n<p>OGC API – Features。QGIS・GDAL からは JSON で読めます（このページの「JSON」リンク）。</p>\n\
         </footer>\n</body>\n</html>\n"
    )
}

/// The HTML page of a resource: title, description, links, features or collections, JSON.
pub fn render(title: &str, doc: &Value) -> String {
    let mut out = String::new();
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
    let _ = writeln!(out, "<h2>JSON</h2>\n<pre class=\"ogc-json\" tabindex=\"0\">{}</pre>", escape(&pretty));
    document(title, &out)
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

    #[test]
    fn links_to_json_say_f_json_and_html_links_stay() {
        let doc = serde_json::json!({ "links": [
            { "href": "http://x/ogc/collections", "rel": "data", "type": "application/json", "title": "c" },
            { "href": "http://x/ogc/collections/care/items?limit=5", "rel": "items", "type": "application/geo+json", "title": "i" },
            { "href": "http://x/ogc/api?f=json", "rel": "service-desc", "type": "application/json", "title": "a" },
            { "href": "http://x/ogc?f=html", "rel": "alternate", "type": "text/html", "title": "h" },
        ]});
        let html = render("t", &doc);
        assert!(html.contains("href=\"http://x/ogc/collections?f=json\""), "{html}");
        assert!(html.contains("href=\"http://x/ogc/collections/care/items?limit=5&amp;f=json\""), "{html}");
        assert!(html.contains("href=\"http://x/ogc/api?f=json\""), "{html}");
        assert!(html.contains("href=\"http://x/ogc?f=html\""), "{html}");
    }
}
