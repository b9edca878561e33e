//! `GET /health` and `GET /ready`.

use serde::{Deserialize, Serialize};

/// A liveness or readiness answer: `ok`, or `ready` once the database answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Status {
    pub status: String,
}
