//! The body of every error answer (docs/API.md, "Errors").

use serde::{Deserialize, Serialize};
use tracecode_core::Verdict;

/// What a 4xx or 5xx answer says: a stable `error` code, a message for people, and what the
/// code needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// `invalid`, `not_genuine`, `unauthorized`, `forbidden`, `limit_exceeded`, `too_large`,
    /// `not_found`, `conflict`, `unsupported_media_type`, `too_many_requests` or `internal`.
    pub error: String,
    pub message: String,
    /// `invalid`: the field at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `not_genuine`: the offline verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// `limit_exceeded`, `too_large`: the bound's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// `limit_exceeded`, `too_large`: the bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u64>,
}

impl ErrorBody {
    /// An error with only its code and message.
    pub fn new(error: &str, message: impl Into<String>) -> Self {
        Self {
            error: error.to_owned(),
            message: message.into(),
            field: None,
            verdict: None,
            limit: None,
            max: None,
        }
    }
}
