//! Links of the OGC API: absolute URLs (clients such as GDAL follow `href`s verbatim), built
//! from the configured public URL (`--public-url`) or else the host the client used, plus
//! query-string rewriting for `self`, `alternate`, `next` and `prev`.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use serde::Serialize;

use crate::http::AppState;

/// A link of a resource (`rel` and `type` are always given, as Part 1 requires).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    /// Absolute URL.
    pub href: String,
    /// Relation, e.g. `self`, `next`, `items`.
    pub rel: String,
    /// Media type of the target.
    #[serde(rename = "type")]
    pub media_type: &'static str,
    /// Human-readable title (Japanese).
    pub title: String,
}

impl Link {
    /// A link to `href` with relation `rel` and media type `media_type`.
    pub fn new(href: impl Into<String>, rel: &str, media_type: &'static str, title: impl Into<String>) -> Self {
        Self { href: href.into(), rel: rel.to_owned(), media_type, title: title.into() }
    }

    /// The link as an HTTP `Link` header value.
    pub fn header_value(&self) -> String {
        format!("<{}>; rel=\"{}\"; type=\"{}\"", self.href, self.rel, self.media_type)
    }
}

/// The public URL of the server (`--public-url`): `http` or `https`, a host, optionally a
/// path prefix (a server behind a proxy under `/caremap/`); no query, fragment or user info.
/// Kept without the trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// Parses and normalises a public URL.
    ///
    /// # Errors
    /// A sentence saying what is wrong.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("'{s}' is not a public URL such as https://caremap.example.jp/: {why}");
        let uri: axum::http::Uri = s.trim().parse().map_err(|_| bad("not a URL"))?;
        let scheme = uri.scheme_str().map(str::to_ascii_lowercase);
        if !matches!(scheme.as_deref(), Some("http" | "https")) {
            return Err(bad("the scheme must be http or https"));
        }
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        if authority.as_str().contains('@') || authority.host().is_empty() {
            return Err(bad("give a host without user information"));
        }
        if uri.query().is_some() || s.contains('#') {
            return Err(bad("no query or fragment"));
        }
        let path = uri.path().trim_end_matches('/');
        Ok(Self(format!("{}://{}{path}", scheme.unwrap_or_default(), authority.as_str().to_ascii_lowercase())))
    }

    /// The URL without a trailing slash (`https://caremap.example.jp`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The absolute URL of `/ogc`, e.g. `http://127.0.0.1:8080/ogc`: under the configured public
/// URL when there is one (the request's `Host` is then ignored), else as the client addressed
/// it: the request's authority or `Host` (a malformed host falls back to `localhost`), and the
/// scheme from `X-Forwarded-Proto` when a TLS-terminating proxy sets it. `X-Forwarded-Host` is
/// deliberately ignored (a shared cache would let one client plant foreign hosts in links);
/// a proxy must pass the original `Host` through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base(String);

impl Base {
    /// The base URL for `scheme` and `host`; a host with characters outside a hostname,
    /// IP literal and port becomes `localhost`.
    pub fn new(scheme: &str, host: &str) -> Self {
        let valid = !host.is_empty()
            && host.len() <= 255
            && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'));
        let host = if valid { host } else { "localhost" };
        let scheme = if scheme.eq_ignore_ascii_case("https") { "https" } else { "http" };
        Self(format!("{scheme}://{host}/ogc"))
    }

    /// The base under a configured public URL.
    pub fn public(url: &PublicUrl) -> Self {
        Self(format!("{}/ogc", url.as_str()))
    }

    /// `{base}{path}`; `path` starts with `/` or is empty.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    /// The URL of `/ogc` itself.
    pub fn root(&self) -> &str {
        &self.0
    }
}

fn header_str<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok()).map(|v| v.split(',').next().unwrap_or(v).trim())
}

impl FromRequestParts<AppState> for Base {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(url) = &state.public_url {
            return Ok(Self::public(url));
        }
        let scheme = header_str(parts, "x-forwarded-proto").unwrap_or("http").to_owned();
        let host = parts
            .uri
            .authority()
            .map(|a| a.as_str().to_owned())
            .or_else(|| header_str(parts, header::HOST.as_str()).map(str::to_owned))
            .unwrap_or_default();
        Ok(Self::new(&scheme, &host))
    }
}

/// Percent-encodes one path segment (an id), keeping RFC 3986 unreserved characters.
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A query string as ordered pairs, for building the links of a response from its request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// The pairs of a raw query string (already validated by `Params`).
    pub fn parse(raw: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The query with `key` set to `value` (replacing it, or appended).
    pub fn with(&self, key: &str, value: &str) -> Self {
        let mut pairs = self.0.clone();
        match pairs.iter_mut().find(|(k, _)| k == key) {
            Some(pair) => pair.1 = value.to_owned(),
            None => pairs.push((key.to_owned(), value.to_owned())),
        }
        Self(pairs)
    }

    /// `?a=b&c=d`, or the empty string when there are no pairs.
    pub fn suffix(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let mut s = form_urlencoded::Serializer::for_suffix(String::from("?"), 1);
        for (k, v) in &self.0 {
            s.append_pair(k, v);
        }
        s.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_host_header_cannot_inject_into_links() {
        assert_eq!(Base::new("http", "127.0.0.1:8080").url("/collections"), "http://127.0.0.1:8080/ogc/collections");
        assert_eq!(Base::new("https", "example.org").root(), "https://example.org/ogc");
        assert_eq!(Base::new("javascript", "a\"><script>").root(), "http://localhost/ogc");
    }

    #[test]
    fn a_public_url_is_normalised_and_anything_but_a_plain_http_url_refused() {
        let url = PublicUrl::parse("https://CareMap.example.jp/").unwrap();
        assert_eq!(Base::public(&url).url("/collections"), "https://caremap.example.jp/ogc/collections");
        let prefixed = PublicUrl::parse("http://city.example.jp:8443/caremap/").unwrap();
        assert_eq!(Base::public(&prefixed).root(), "http://city.example.jp:8443/caremap/ogc");
        for bad in
            ["caremap.example.jp", "ftp://x.jp/", "https://u:p@x.jp/", "https://x.jp/?a=b", "https://x.jp/#f", ""]
        {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_are_percent_encoded_as_path_segments() {
        assert_eq!(segment("care-1291000003"), "care-1291000003");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
        assert_eq!(segment("北"), "%E5%8C%97");
    }

    #[test]
    fn query_rewriting_keeps_order_and_replaces_in_place() {
        let q = Query::parse(Some("limit=10&kind=care&offset=0"));
        assert_eq!(q.with("offset", "10").suffix(), "?limit=10&kind=care&offset=10");
        assert_eq!(q.with("f", "html").with("f", "json").suffix(), "?limit=10&kind=care&offset=0&f=json");
        assert_eq!(Query::parse(None).suffix(), "");
        assert_eq!(Query::parse(Some("bbox=1%2C2")).suffix(), "?bbox=1%2C2");
    }
}
