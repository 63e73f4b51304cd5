//! The pages' static files from `web/`: only what the pages use, nothing else in the folder.
//!
//! Served: the pages' own files (`*.html`, `*.css`, `*.js`, images) anywhere in `web/` outside
//! `node_modules/`, and the vendor packages' `dist/` folders ([`VENDOR_DIRS`]). Refused with 404:
//! dotfiles and dot-segments, percent-encoded or unusual characters, every other file under
//! `node_modules/` (the packages' tests, examples, `package.json`, `.package-lock.json`), other
//! extensions, and any path whose real location (after symlinks) is outside `web/`.
//!
//! Caching is by revalidation: every file carries `Cache-Control: no-cache`, a `Last-Modified`
//! and a weak `ETag` (size and modification time), so a browser keeps its copy and asks with
//! `If-None-Match` / `If-Modified-Since`, and gets `304 Not Modified` until the file changes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::http::error::ApiError;

/// The vendor folders (relative to `web/`) the pages load scripts, styles and images from.
pub const VENDOR_DIRS: [&str; 2] = ["node_modules/leaflet/dist", "node_modules/leaflet.markercluster/dist"];

/// The vendor files the pages cannot work without; start-up refuses a `web/` that lacks one.
pub const REQUIRED_VENDOR_FILES: [&str; 4] = [
    "node_modules/leaflet/dist/leaflet.js",
    "node_modules/leaflet/dist/leaflet.css",
    "node_modules/leaflet.markercluster/dist/leaflet.markercluster.js",
    "node_modules/leaflet.markercluster/dist/MarkerCluster.css",
];

/// File extensions the pages use.
const EXTENSIONS: [&str; 10] = ["html", "css", "js", "mjs", "svg", "png", "jpg", "webp", "ico", "woff2"];

/// Checks that `web_dir` has the map page and the vendor files it loads.
///
/// # Errors
/// A message naming the first missing file and the command that installs it.
pub fn check_web_dir(web_dir: &Path) -> Result<(), String> {
    let page = web_dir.join("index.html");
    if !page.is_file() {
        return Err(format!("{} is missing: --web must name the folder with the map page", page.display()));
    }
    for file in REQUIRED_VENDOR_FILES {
        let path = web_dir.join(file);
        if !path.is_file() {
            return Err(format!(
                "{} is missing: install the page's packages with `make web-deps` (or `cd {} && npm ci`)",
                path.display(),
                web_dir.display()
            ));
        }
    }
    Ok(())
}

/// Whether a request path names a file that may be served: plain segments of letters, digits,
/// `-`, `_`, `.` and `@`, none starting with a dot, a page extension, and inside
/// `node_modules/` only under a [`VENDOR_DIRS`] folder. Returns the path relative to `web/`.
fn allowed(path: &str) -> Option<String> {
    let relative = match path.strip_prefix('/')? {
        "" => "index.html",
        rest => rest,
    };
    let segments: Vec<&str> = relative.split('/').collect();
    let plain = |s: &&str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@'))
    };
    if !segments.iter().all(plain) {
        return None;
    }
    let extension = relative.rsplit_once('.').map(|(_, e)| e)?;
    if !EXTENSIONS.contains(&extension) {
        return None;
    }
    if segments[0] == "node_modules" && !VENDOR_DIRS.iter().any(|d| relative.starts_with(&format!("{d}/"))) {
        return None;
    }
    Some(relative.to_owned())
}

/// Serves the allowed files of one `web/` folder.
#[derive(Clone, Debug)]
pub struct StaticFiles {
    root: Arc<PathBuf>,
}

impl StaticFiles {
    /// Files under `web_dir` (resolved to its real path when it exists).
    pub fn new(web_dir: &Path) -> Self {
        let root = std::fs::canonicalize(web_dir).unwrap_or_else(|_| web_dir.to_owned());
        Self { root: Arc::new(root) }
    }

    /// Answers a GET or HEAD for a file; 404 (problem+json) for anything not served, 405 for
    /// other methods.
    pub async fn serve(self, request: Request) -> Response {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return ApiError::MethodNotAllowed.into_response();
        }
        let Some(relative) = allowed(request.uri().path()) else {
            return not_found();
        };
        // The real path must stay inside web/: a symlink out of it is refused.
        let Ok(real) = tokio::fs::canonicalize(self.root.join(&relative)).await else {
            return not_found();
        };
        let Ok(metadata) = tokio::fs::metadata(&real).await else {
            return not_found();
        };
        if !real.starts_with(self.root.as_ref()) || !metadata.is_file() {
            return not_found();
        }
        let etag = etag(&metadata);
        let unchanged = etag.as_ref().is_some_and(|tag| {
            request.headers().get_all(header::IF_NONE_MATCH).iter().any(|v| {
                v.to_str()
                    .is_ok_and(|v| v.split(',').any(|t| t.trim() == "*" || t.trim() == tag.to_str().unwrap_or("")))
            })
        });
        let mut response = if unchanged {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            match ServeFile::new(&real).oneshot(request).await {
                Ok(response) => response.map(Body::new),
                Err(never) => match never {},
            }
        };
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if let Some(etag) = etag {
            headers.insert(header::ETAG, etag);
        }
        response
    }
}

/// A weak validator from the file's size and modification time.
fn etag(metadata: &std::fs::Metadata) -> Option<HeaderValue> {
    let modified = metadata.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    HeaderValue::from_str(&format!("W/\"{:x}-{:x}\"", metadata.len(), modified.as_nanos())).ok()
}

fn not_found() -> Response {
    ApiError::NotFound("this file".into()).into_response()
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn the_pages_files_and_the_vendor_dist_folders_are_allowed() {
        assert_eq!(allowed("/").as_deref(), Some("index.html"));
        assert_eq!(allowed("/staff.html").as_deref(), Some("staff.html"));
        assert_eq!(allowed("/lib/map.js").as_deref(), Some("lib/map.js"));
        assert!(allowed("/node_modules/leaflet/dist/leaflet.js").is_some());
        assert!(allowed("/node_modules/leaflet/dist/images/marker-icon-2x.png").is_some());
        assert!(allowed("/node_modules/leaflet.markercluster/dist/MarkerCluster.css").is_some());
    }

    #[test]
    fn dotfiles_dot_segments_package_files_and_encodings_are_refused() {
        for path in [
            "/.env",
            "/lib/.hidden.js",
            "/../Cargo.toml",
            "/lib/../index.html",
            "/./index.html",
            "//index.html",
            "/lib/",
            "/%2e%2e/Cargo.toml",
            "/index.html%00",
            "/package.json",
            "/package-lock.json",
            "/node_modules/.package-lock.json",
            "/node_modules/leaflet.markercluster/spec/index.html",
            "/node_modules/leaflet.markercluster/example/marker-clustering.html",
            "/node_modules/leaflet/src/Leaflet.js",
            "/node_modules/leaflet/dist/../package.json",
            "/README.md",
            "/lib\\..\\index.html",
        ] {
            assert_eq!(allowed(path), None, "{path}");
        }
    }
}
