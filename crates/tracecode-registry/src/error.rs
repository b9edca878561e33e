//! The one error type handlers return: 4xx say exactly what is wrong, 5xx say nothing inside.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::borrow::Cow;
use tracecode_wire::ErrorBody;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or a field is invalid; `field` names it when there is one.
    #[error("{message}")]
    Invalid {
        field: Option<Cow<'static, str>>,
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
    pub fn invalid(field: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: Some(field.into()),
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        let (status, body) = match self {
            Self::Invalid { field, .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorBody {
                    field: field.map(Cow::into_owned),
                    ..ErrorBody::new("invalid", message)
                },
            ),
            Self::NotGenuine { verdict, .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorBody {
                    verdict: Some(verdict),
                    ..ErrorBody::new("not_genuine", message)
                },
            ),
            Self::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                ErrorBody::new("unauthorized", message),
            ),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorBody::new("forbidden", message)),
            Self::Limit { limit, max, .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorBody {
                    limit: Some(limit.to_owned()),
                    max: Some(max),
                    ..ErrorBody::new("limit_exceeded", message)
                },
            ),
            Self::TooLarge { max } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorBody {
                    limit: Some("body_bytes".to_owned()),
                    max: Some(max),
                    ..ErrorBody::new("too_large", message)
                },
            ),
            Self::NotFound => (StatusCode::NOT_FOUND, ErrorBody::new("not_found", message)),
            Self::Conflict(_) => (StatusCode::CONFLICT, ErrorBody::new("conflict", message)),
            Self::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorBody::new("unsupported_media_type", message),
            ),
            Self::TooManyRequests { retry_after } => {
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(axum::http::header::RETRY_AFTER, retry_after.to_string())],
                    Json(ErrorBody::new("too_many_requests", message)),
                )
                    .into_response();
            }
            Self::Store(e) => {
                // The detail goes to the log only.
                tracing::error!(error = %e, "storage failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorBody::new("internal", "internal error"),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}
