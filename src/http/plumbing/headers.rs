//! Response headers for browsers: the security headers of every response, and CORS for the
//! public read API only (the staff API never answers cross-origin requests).

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::http::TileLayer;
use crate::http::plumbing::observe::X_REQUEST_ID;

/// Which origins may read the public API from a browser page on another site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// Any origin (`Access-Control-Allow-Origin: *`); the public API sets no cookies and
    /// takes no credentials, so this exposes nothing a plain request would not.
    Any,
    /// Only these origins (`scheme://host[:port]`).
    List(Vec<String>),
    /// No cross-origin access.
    None,
}

impl CorsOrigins {
    /// Parses `*`, `none`, or a comma-separated list of origins.
    ///
    /// # Errors
    /// A sentence naming the first entry that is not an origin.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s == "*" {
            return Ok(Self::Any);
        }
        if s.is_empty() || s.eq_ignore_ascii_case("none") {
            return Ok(Self::None);
        }
        let mut origins = Vec::new();
        for origin in s.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
            let valid = rest.is_some_and(|host| {
                !host.is_empty()
                    && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
            });
            if !valid {
                return Err(format!(
                    "'{origin}' is not an origin: use scheme://host[:port] without a path, '*' or 'none'"
                ));
            }
            origins.push(origin.to_owned());
        }
        Ok(Self::List(origins))
    }

    /// The CORS layer for the public routes, if any origin is allowed: GET, HEAD and POST
    /// (the polygon search is a read), `Content-Type` allowed, `X-Request-Id` exposed,
    /// preflights cached for an hour, no credentials.
    pub fn layer(&self) -> Option<CorsLayer> {
        let origin = match self {
            Self::Any => AllowOrigin::any(),
            Self::List(list) => AllowOrigin::list(list.iter().filter_map(|o| HeaderValue::from_str(o).ok())),
            Self::None => return None,
        };
        Some(
            CorsLayer::new()
                .allow_origin(origin)
                .allow_methods([Method::GET, Method::HEAD, Method::POST])
                .allow_headers([header::CONTENT_TYPE, header::ACCEPT, header::IF_NONE_MATCH])
                .expose_headers([X_REQUEST_ID.clone(), header::ETAG])
                .max_age(Duration::from_secs(3600)),
        )
    }
}

/// The Content-Security-Policy of every response: no inline script or style, images only
/// from here and the configured tile hosts, no framing.
pub fn content_security_policy(tiles: &[TileLayer]) -> String {
    let mut img = vec!["'self'".to_owned(), "data:".to_owned()];
    img.extend(tiles.iter().filter_map(|t| origin(&t.url)).map(str::to_owned));
    img.dedup();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src {}; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        img.join(" ")
    )
}

/// `https://host:port` of a URL, if it has one.
fn origin(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")? + 3;
    let host_end = url[scheme_end..].find('/').map_or(url.len(), |i| scheme_end + i);
    Some(&url[..host_end])
}

/// `Permissions-Policy`: the page may ask for the position (「現在地」) for itself only; no
/// camera, microphone or other powerful features for anyone.
pub const PERMISSIONS_POLICY: &str = "geolocation=(self), camera=(), microphone=(), payment=(), usb=()";

/// `Strict-Transport-Security` when `--hsts` is given: one year, subdomains not included
/// (the city's other hosts are not ours to decide).
pub const HSTS: &str = "max-age=31536000";

/// The `Permissions-Policy` header name.
pub static PERMISSIONS_POLICY_HEADER: HeaderName = HeaderName::from_static("permissions-policy");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_images_from_the_tile_hosts_only() {
        let tiles = vec![TileLayer {
            id: "gsi".into(),
            name: "x".into(),
            url: "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png".into(),
            attribution: String::new(),
            max_zoom: 18,
        }];
        let csp = content_security_policy(&tiles);
        assert!(csp.contains("img-src 'self' data: https://cyberjapandata.gsi.go.jp;"), "{csp}");
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn cors_origins_parse_any_none_and_lists() {
        assert_eq!(CorsOrigins::parse("*"), Ok(CorsOrigins::Any));
        assert_eq!(CorsOrigins::parse("none"), Ok(CorsOrigins::None));
        assert_eq!(CorsOrigins::parse(""), Ok(CorsOrigins::None));
        assert_eq!(
            CorsOrigins::parse("https://a.example, http://localhost:3000"),
            Ok(CorsOrigins::List(vec!["https://a.example".into(), "http://localhost:3000".into()]))
        );
        assert!(CorsOrigins::parse("https://a.example/path").is_err());
        assert!(CorsOrigins::parse("a.example").is_err());
    }
}
