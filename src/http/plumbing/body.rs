//! A JSON body extractor that answers every failure as problem+json: wrong Content-Type
//! (415), too large (413), not JSON (400).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::domain::FieldError;

use crate::http::error::ApiError;

/// Largest accepted JSON body, bytes (imports have their own, larger limit).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON (or GeoJSON) request body deserialised into `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

/// A JSON (or GeoJSON) request body as bytes, for handlers that parse it themselves (the
/// search polygon, counted while it is read).
#[derive(Debug)]
pub struct JsonBytes(pub Bytes);

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || essence == "application/geo+json" || essence.ends_with("+json")
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let JsonBytes(bytes) = JsonBytes::from_request(req, state).await?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| ApiError::InvalidBody {
            status: StatusCode::BAD_REQUEST,
            errors: vec![FieldError::new("body", format!("not valid JSON: {e}"))],
        })
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        if !is_json(&content_type) {
            return Err(ApiError::UnsupportedMediaType(content_type));
        }
        // A body announced larger than the limit is refused before any of it is read, so a
        // client cannot hold a request open by trickling a large body.
        let announced = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if announced.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e: BytesRejection| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(MAX_BODY_BYTES)
            } else {
                ApiError::InvalidBody {
                    status: StatusCode::BAD_REQUEST,
                    errors: vec![FieldError::new("body", e.body_text())],
                }
            }
        })?;
        Ok(JsonBytes(bytes))
    }
}
