//! One HTTP error type for the whole API, answered as `application/problem+json` (RFC 9457).
//! Client errors say what was wrong and name the field; internal errors are logged and
//! answered with a generic message that leaks nothing. Also how store errors map to answers,
//! and the helper that runs blocking store work off the async threads.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::FieldError;
use crate::formats::geojson::FeatureOut;
use crate::store::StoreError;

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Query parameters that are missing, malformed or out of range (400).
    #[error("invalid query parameters")]
    InvalidParams(Vec<FieldError>),
    /// A request body that is well-formed JSON but not acceptable (422 for resources,
    /// 400 for query bodies such as a search polygon).
    #[error("invalid body")]
    InvalidBody {
        /// 400 or 422.
        status: StatusCode,
        /// Each problem, naming its field.
        errors: Vec<FieldError>,
    },
    /// Something named in the path that does not exist (404).
    #[error("{0} not found")]
    NotFound(String),
    /// A body that is not JSON (415).
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    /// A body larger than the limit (413).
    #[error("payload too large")]
    PayloadTooLarge(usize),
    /// A method the path does not allow (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A request header that is malformed (400), e.g. an `If-Match` without quotes.
    #[error("invalid header")]
    InvalidHeader(FieldError),
    /// No bearer token, or one that is wrong or revoked (401, with `WWW-Authenticate`).
    #[error("unauthorized")]
    Unauthorized {
        /// A token was given but is not valid (RFC 6750 `error="invalid_token"`).
        invalid_token: bool,
    },
    /// A token that was valid until `expired_at` (401 `invalid_token`).
    #[error("token expired")]
    TokenExpired {
        /// RFC 3339 UTC time the token stopped working.
        expired_at: String,
    },
    /// A valid user whose role may not do this (403).
    #[error("forbidden")]
    Forbidden(String),
    /// A provider account asked for something outside its own providers' vacancy: `forbidden`
    /// names what (fields such as `name`, or actions such as `history`).
    #[error("forbidden for a provider account")]
    ProviderForbidden {
        /// What is not allowed, in English (the `forbidden` member).
        forbidden: Vec<String>,
    },
    /// Too many failed sign-ins from this client (429, with `Retry-After`).
    #[error("too many failed attempts")]
    TooManyFailures {
        /// Seconds until the client may try again.
        retry_after_s: u64,
    },
    /// The request conflicts with the resource's state (409): an id that exists, a change
    /// to a deleted provider, a restore of a live one.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A create names an id that exists (409); the problem names the field (`id`).
    #[error("conflict: {}", .0.reason)]
    Exists(FieldError),
    /// `If-Match` names another version than the current one (412). The body carries the
    /// current version and representation so the client can show who changed it meanwhile.
    #[error("precondition failed")]
    PreconditionFailed {
        /// The current version.
        version: i64,
        /// The current representation (a GeoJSON Feature).
        current: Box<serde_json::Value>,
    },
    /// A change without `If-Match` (428): it would overwrite blindly.
    #[error("precondition required")]
    PreconditionRequired(String),
    /// Too many requests are being handled; this one was refused at once (503, with
    /// `Retry-After`).
    #[error("overloaded")]
    Overloaded {
        /// Seconds the client should wait.
        retry_after_s: u64,
    },
    /// The request took longer than the configured deadline (503, with `Retry-After`).
    #[error("timed out after {after_s} s")]
    Timeout {
        /// The deadline, seconds.
        after_s: u64,
    },
    /// The database refuses writes for now: disk full, file-size limit, read-only file,
    /// locked (503, with `Retry-After`). Nothing was written. The cause is logged.
    #[error("storage unavailable: {0}")]
    StorageUnavailable(String),
    /// The database cannot be reached now (503, with `Retry-After`): its file or server is
    /// gone for the moment. Nothing was written; reads from the catalog still work. The
    /// cause is logged.
    #[error("database unreachable: {0}")]
    DatabaseUnreachable(String),
    /// The database's start-up integrity check still runs (503, with `Retry-After: 1`): a
    /// request that could write waits for it; nothing was written; reads work meanwhile.
    #[error("integrity check running")]
    IntegrityChecking,
    /// The server is not ready to answer (503), e.g. while shutting down.
    #[error("not ready: {0}")]
    NotReady(String),
    /// A failure of caremap itself (500). The message is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Seconds a client is asked to wait after a timeout or a storage failure (`Retry-After`).
pub const STORAGE_RETRY_AFTER_S: u64 = 5;

/// Seconds a write is asked to wait while the start-up integrity check runs (`Retry-After`).
pub const INTEGRITY_RETRY_AFTER_S: u64 = 1;

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    invalid_params: &'a [FieldError],
    #[serde(skip_serializing_if = "Option::is_none")]
    current_version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    current: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    forbidden: Option<&'a [String]>,
}

impl ApiError {
    /// A 400 naming one parameter.
    pub fn param(name: &str, reason: impl Into<String>) -> Self {
        Self::InvalidParams(vec![FieldError::new(name, reason)])
    }

    fn status_code(&self) -> StatusCode {
        match self {
            Self::InvalidParams(_) => StatusCode::BAD_REQUEST,
            Self::InvalidBody { status, .. } => *status,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::InvalidHeader(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } | Self::TokenExpired { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::ProviderForbidden { .. } => StatusCode::FORBIDDEN,
            Self::TooManyFailures { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Conflict(_) | Self::Exists(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            Self::Overloaded { .. }
            | Self::Timeout { .. }
            | Self::StorageUnavailable(_)
            | Self::DatabaseUnreachable(_)
            | Self::IntegrityChecking
            | Self::NotReady(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

fn describe(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.name, e.reason)).collect::<Vec<_>>().join("; ")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let none: &[FieldError] = &[];
        let (kind, title, detail, fields) = match &self {
            Self::InvalidParams(e) => {
                ("/problems/invalid-parameter", "Invalid query parameter", describe(e), e.as_slice())
            }
            Self::InvalidBody { errors, .. } => {
                ("/problems/invalid-body", "Invalid request body", describe(errors), errors.as_slice())
            }
            Self::NotFound(what) => ("/problems/not-found", "Not found", format!("{what} not found"), none),
            Self::UnsupportedMediaType(got) => (
                "/problems/unsupported-media-type",
                "Unsupported media type",
                format!("Content-Type must be application/json or application/geo+json, not '{got}'"),
                none,
            ),
            Self::PayloadTooLarge(limit) => (
                "/problems/payload-too-large",
                "Payload too large",
                format!("the request body is larger than {limit} bytes"),
                none,
            ),
            Self::MethodNotAllowed => (
                "/problems/method-not-allowed",
                "Method not allowed",
                "this path does not allow that method".into(),
                none,
            ),
            Self::InvalidHeader(e) => (
                "/problems/invalid-header",
                "Invalid request header",
                describe(std::slice::from_ref(e)),
                std::slice::from_ref(e),
            ),
            Self::Unauthorized { invalid_token } => (
                "/problems/unauthorized",
                "Unauthorized",
                if *invalid_token {
                    "the bearer token is not valid (wrong or revoked)".into()
                } else {
                    "this path needs a staff token: Authorization: Bearer <token>".into()
                },
                none,
            ),
            Self::TokenExpired { expired_at } => (
                "/problems/token-expired",
                "Unauthorized",
                format!(
                    "the bearer token expired at {expired_at}; ask an administrator for a new one (caremap user rotate)"
                ),
                none,
            ),
            Self::Forbidden(what) => ("/problems/forbidden", "Forbidden", what.clone(), none),
            Self::ProviderForbidden { forbidden } => (
                "/problems/forbidden",
                "Forbidden",
                format!(
                    "この事業所アカウントが変更できるのは、自分の事業所の空き状況だけです（許可されていないもの: {}）",
                    forbidden.join(", ")
                ),
                none,
            ),
            Self::TooManyFailures { retry_after_s } => (
                "/problems/too-many-failures",
                "Too many failed attempts",
                format!("too many wrong tokens from this client; try again in {retry_after_s} s"),
                none,
            ),
            Self::Conflict(what) => ("/problems/conflict", "Conflict", what.clone(), none),
            Self::Exists(e) => {
                ("/problems/conflict", "Conflict", describe(std::slice::from_ref(e)), std::slice::from_ref(e))
            }
            Self::PreconditionFailed { version, current } => (
                "/problems/version-mismatch",
                "Precondition failed",
                format!(
                    "the {} was changed meanwhile: it is at version {version}{}; reload it and apply your change again",
                    if current["type"] == "FeatureCollection" {
                        "地域包括支援センター layer"
                    } else {
                        "provider"
                    },
                    current["properties"]["updated_by"].as_str().map(|who| format!(" (by {who})")).unwrap_or_default()
                ),
                none,
            ),
            Self::PreconditionRequired(what) => {
                ("/problems/precondition-required", "Precondition required", what.clone(), none)
            }
            Self::Overloaded { retry_after_s } => (
                "/problems/overloaded",
                "Service overloaded",
                format!("caremap is handling as many requests as it may; try again in {retry_after_s} s"),
                none,
            ),
            Self::Timeout { after_s } => (
                "/problems/timeout",
                "Request timed out",
                format!(
                    "caremap did not finish this request within {after_s} s; try again later (a write may still \
                     have been saved: read the resource and its version before repeating it)"
                ),
                none,
            ),
            Self::StorageUnavailable(cause) => {
                tracing::error!(error = %cause, "storage unavailable");
                (
                    "/problems/storage-unavailable",
                    "Storage unavailable",
                    "the database cannot take writes now (for example the disk is full); nothing was saved; \
                     reading still works; try again later"
                        .into(),
                    none,
                )
            }
            Self::DatabaseUnreachable(cause) => {
                tracing::warn!(error = %cause, "database unreachable; write refused");
                (
                    "/problems/database-unreachable",
                    "Database unreachable",
                    format!(
                        "the database is unreachable; nothing was written; reading still works; try again in \
                         {STORAGE_RETRY_AFTER_S} s"
                    ),
                    none,
                )
            }
            Self::IntegrityChecking => (
                "/problems/integrity-check-running",
                "Integrity check running",
                format!(
                    "データベースの整合性を検査中のため、いまは保存できません。何も保存されていません。閲覧はできます。\
                     {INTEGRITY_RETRY_AFTER_S}秒後にもう一度お試しください。(the database's integrity check is running; \
                     nothing was written; reading still works; try again in {INTEGRITY_RETRY_AFTER_S} s)"
                ),
                none,
            ),
            Self::NotReady(what) => ("/problems/not-ready", "Not ready", what.clone(), none),
            Self::Internal(message) => {
                tracing::error!(error = %message, "internal error");
                (
                    "/problems/internal",
                    "Internal error",
                    "caremap failed to answer; the error has been logged".into(),
                    none,
                )
            }
        };
        let (current_version, current) = match &self {
            Self::PreconditionFailed { version, current } => (Some(*version), Some(current.as_ref())),
            _ => (None, None),
        };
        let forbidden = match &self {
            Self::ProviderForbidden { forbidden } => Some(forbidden.as_slice()),
            _ => None,
        };
        let body = Problem {
            kind,
            title,
            status: status.as_u16(),
            detail,
            invalid_params: fields,
            current_version,
            current,
            forbidden,
        };
        let mut response = (status, serde_json::to_vec(&body).unwrap_or_default()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        match &self {
            Self::Unauthorized { invalid_token: false } => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"caremap\""));
            }
            Self::TokenExpired { .. } => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(
                        "Bearer realm=\"caremap\", error=\"invalid_token\", error_description=\"the token expired\"",
                    ),
                );
            }
            Self::Unauthorized { invalid_token: true } => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"caremap\", error=\"invalid_token\""),
                );
            }
            Self::TooManyFailures { retry_after_s } | Self::Overloaded { retry_after_s } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_s));
            }
            Self::Timeout { .. } | Self::StorageUnavailable(_) | Self::DatabaseUnreachable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(STORAGE_RETRY_AFTER_S));
            }
            Self::IntegrityChecking => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(INTEGRITY_RETRY_AFTER_S));
            }
            Self::PreconditionFailed { version, .. } => {
                if let Ok(etag) = HeaderValue::from_str(&format!("\"{version}\"")) {
                    headers.insert(header::ETAG, etag);
                }
            }
            _ => {}
        }
        response
    }
}

/// A 422 naming each bad field.
pub fn unprocessable(errors: Vec<FieldError>) -> ApiError {
    ApiError::InvalidBody { status: StatusCode::UNPROCESSABLE_ENTITY, errors }
}

/// Maps a store error to the HTTP answer the staff API documents.
pub fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Duplicate { id } => ApiError::Exists(FieldError::new(
            "id",
            format!(
                "provider '{id}' already exists (perhaps deleted: restore it instead); leave the id out to get a new one"
            ),
        )),
        StoreError::NotFound { id } => ApiError::NotFound(format!("provider '{id}'")),
        StoreError::VersionMismatch { current } => {
            let version = current.provider.version;
            match serde_json::to_value(FeatureOut::staff(&current.provider, current.deleted_at.as_deref())) {
                Ok(feature) => ApiError::PreconditionFailed { version, current: Box::new(feature) },
                Err(e) => ApiError::Internal(e.to_string()),
            }
        }
        e @ (StoreError::Deleted { .. } | StoreError::NotDeleted { .. } | StoreError::UserExists { .. }) => {
            ApiError::Conflict(e.to_string())
        }
        e @ StoreError::UnknownVersion { .. } => unprocessable(vec![FieldError::new("version", e.to_string())]),
        StoreError::UnknownUser { name } => ApiError::NotFound(format!("user '{name}'")),
        StoreError::Unavailable(cause) => ApiError::DatabaseUnreachable(cause),
        e if e.is_unavailable() => ApiError::StorageUnavailable(e.to_string()),
        e => ApiError::Internal(e.to_string()),
    }
}

/// Runs blocking store work off the async threads. The work runs to its end even if the
/// client goes away (a `spawn_blocking` task is not cancelled when its handle is dropped).
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, StoreError> + Send + 'static) -> ApiResult<T> {
    off_thread(f).await?.map_err(store_error)
}

/// Runs blocking work off the async threads, as [`blocking`], for work that returns its own
/// result (its errors already mapped, or none); only a task that panicked is an error here.
///
/// # Errors
/// [`ApiError::Internal`] when the task panicked.
pub async fn off_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::Internal(format!("blocking task: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_database_is_a_503_problem_with_retry_after_saying_nothing_was_written() {
        let response = store_error(StoreError::Unavailable("x.db: gone".into())).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json");
        assert_eq!(response.headers()[header::RETRY_AFTER], STORAGE_RETRY_AFTER_S.to_string().as_str());
        let body = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["type"], "/problems/database-unreachable");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.starts_with("the database is unreachable; nothing was written"), "{detail}");
        assert!(!detail.contains("x.db"), "the cause is logged, not sent: {detail}");
    }
}
