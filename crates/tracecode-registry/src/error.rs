//! The one error type handlers return: 4xx say exactly what is wrong, 5xx say nothing inside.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or a field is invalid; `field` names it when there is one.
    #[error("{message}")]
    Invalid {
        field: Option<&'static str>,
        message: String,
    },
    /// The code is not one the registry counts (not genuine); the verdict says why.
    #[error("{message}")]
    NotGenuine {
        verdict: tracecode_core::Verdict,
        message: String,
    },
    #[error("this endpoint needs an API token: Authorization: Bearer <token>")]
    Unauthorized,
    /// The token is not valid, or may not do this, or the request names another brand's data.
    #[error("{0}")]
    Forbidden(String),
    /// A documented bound (docs/API.md, "Limits") would be exceeded.
    #[error("{message}")]
    Limit {
        limit: &'static str,
        max: u64,
        message: String,
    },
    /// The body is larger than the registry reads.
    #[error("the request body is larger than {max} bytes")]
    TooLarge { max: u64 },
    #[error("not found")]
    NotFound,
    /// The request contradicts what is stored.
    #[error("{0}")]
    Conflict(String),
    /// The body's media type is not one the endpoint reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The client sent too many requests; `retry_after` is in whole seconds.
    #[error("too many requests: slow down and retry after {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    #[error("internal error")]
    Store(StoreError),
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => Self::Conflict(message),
            StoreError::NotYours(message) => Self::Forbidden(message),
            StoreError::Limit {
                limit,
                max,
                message,
            } => Self::Limit {
                limit,
                max,
                message,
            },
            other => Self::Store(other),
        }
    }
}

impl ApiError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: Some(field),
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            Self::Invalid { field, message } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": "invalid", "field": field, "message": message }),
            ),
            Self::NotGenuine { verdict, message } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": "not_genuine", "verdict": verdict, "message": message }),
            ),
            Self::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                json!({ "error": "unauthorized", "message": self.to_string() }),
            ),
            Self::Forbidden(message) => (
                StatusCode::FORBIDDEN,
                json!({ "error": "forbidden", "message": message }),
            ),
            Self::Limit {
                limit,
                max,
                message,
            } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": "limit_exceeded", "limit": limit, "max": max, "message": message }),
            ),
            Self::TooLarge { max } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({ "error": "too_large", "limit": "body_bytes", "max": max,
                        "message": self.to_string() }),
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                json!({ "error": "not_found", "message": self.to_string() }),
            ),
            Self::Conflict(message) => (
                StatusCode::CONFLICT,
                json!({ "error": "conflict", "message": message }),
            ),
            Self::UnsupportedMediaType(message) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                json!({ "error": "unsupported_media_type", "message": message }),
            ),
            Self::TooManyRequests { retry_after } => {
                let body = json!({ "error": "too_many_requests", "message": self.to_string() });
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(axum::http::header::RETRY_AFTER, retry_after.to_string())],
                    Json(body),
                )
                    .into_response();
            }
            Self::Store(e) => {
                // The detail goes to the log only.
                tracing::error!(error = %e, "storage failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "error": "internal", "message": "internal error" }),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}
