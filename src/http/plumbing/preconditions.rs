//! Entity tags of provider versions and the `If-Match` precondition (RFC 9110 §13.1.1).
//!
//! A provider's ETag is strong: `"<version>"`. `If-Match` uses the strong comparison, so a
//! weak tag (`W/"3"`) never matches (412). A change without `If-Match` is refused (428), and
//! so is `If-Match: *`, which would overwrite whatever is there: the point of the header here
//! is that nobody overwrites a version they have not seen.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::domain::FieldError;

use crate::http::error::{ApiError, ApiResult};

/// The ETag of a version: `"7"`.
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// The versions `If-Match` accepts (usually one). Weak tags and tags caremap never issued are
/// left out, so they fail the version check with 412.
///
/// # Errors
/// 428 when the header is missing or `*`; 400 naming `If-Match` when it is malformed.
pub fn if_match_versions(headers: &HeaderMap) -> ApiResult<Vec<i64>> {
    let values: Vec<&HeaderValue> = headers.get_all(header::IF_MATCH).iter().collect();
    if values.is_empty() {
        return Err(ApiError::PreconditionRequired(
            "send If-Match with the ETag of the version you edited (e.g. If-Match: \"3\"), so no change is lost".into(),
        ));
    }
    let malformed = || {
        ApiError::InvalidHeader(FieldError::new(
            "If-Match",
            "must be the entity tag from the ETag header, with its quotes, e.g. \"3\"",
        ))
    };
    let mut versions = Vec::new();
    for value in values {
        for tag in value.to_str().map_err(|_| malformed())?.split(',').map(str::trim) {
            if tag == "*" {
                return Err(ApiError::PreconditionRequired(
                    "If-Match: * would overwrite any version; send the ETag of the version you edited".into(),
                ));
            }
            let (weak, quoted) = match tag.strip_prefix("W/") {
                Some(rest) => (true, rest),
                None => (false, tag),
            };
            let opaque = quoted.strip_prefix('"').and_then(|t| t.strip_suffix('"')).ok_or_else(malformed)?;
            if opaque.contains('"') {
                return Err(malformed());
            }
            if let (false, Ok(version)) = (weak, opaque.parse::<i64>()) {
                versions.push(version);
            }
        }
    }
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(values: &[&str]) -> ApiResult<Vec<i64>> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::IF_MATCH, HeaderValue::from_str(v).unwrap());
        }
        if_match_versions(&headers)
    }

    #[test]
    fn strong_tags_give_their_versions_and_weak_or_foreign_ones_none() {
        assert_eq!(parse(&["\"3\""]).unwrap(), [3]);
        assert_eq!(parse(&["\"3\", \"4\""]).unwrap(), [3, 4]);
        assert_eq!(parse(&["\"3\"", "\"5\""]).unwrap(), [3, 5]);
        assert_eq!(parse(&["W/\"3\""]).unwrap(), Vec::<i64>::new());
        assert_eq!(parse(&["\"abc\""]).unwrap(), Vec::<i64>::new());
    }

    #[test]
    fn a_missing_or_wildcard_precondition_is_required_and_a_bare_number_is_malformed() {
        assert!(matches!(parse(&[]), Err(ApiError::PreconditionRequired(_))));
        assert!(matches!(parse(&["*"]), Err(ApiError::PreconditionRequired(_))));
        assert!(matches!(parse(&["3"]), Err(ApiError::InvalidHeader(_))));
        assert_eq!(etag(12), HeaderValue::from_static("\"12\""));
    }
}
