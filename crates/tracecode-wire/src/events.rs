//! `POST /v1/events`: EPCIS 2.0 documents, or their CSV form.

use serde::{Deserialize, Serialize};

/// What an event ingestion did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ingested {
    /// Events stored now.
    pub stored: u64,
    /// Events already stored with the same content: sending a document twice is harmless.
    pub duplicates: u64,
}
