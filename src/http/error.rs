//! One HTTP error type for the whole API, answered as `application/problem+json` (RFC 9457).
//! Client errors say what was wrong and name the field; internal errors are logged and
//! answered with a generic message that leaks nothing.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::FieldError;

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
    /// A failure of caremap itself (500). The message is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

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
        let body = Problem { kind, title, status: status.as_u16(), detail, invalid_params: fields };
        let mut response = (status, serde_json::to_vec(&body).unwrap_or_default()).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        response
    }
}
