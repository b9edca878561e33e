//! The JSON tracecode's processes exchange, defined once (docs/API.md).
//!
//! Every request and answer of the registry's HTTP API, the issuer CLI's registry import file
//! and its static provenance files are these types: the registry serialises them, the web app
//! and the CLI read or write the same ones, so no side can drop or rename a field alone. With
//! the `openapi` feature each type also describes itself as an OpenAPI schema, from which the
//! registry builds `/v1/openapi.json`.
//!
//! Names that leave a process (JSON, DOM attributes, CSV, metric labels) are the serde names
//! here or an `as_str`, never `Debug`.

pub mod attempts;
pub mod error;
pub mod events;
pub mod health;
pub mod issued;
pub mod master;
pub mod recall;
pub mod scan;
pub mod timeline;

pub use attempts::{Attempt, AttemptList, AttemptVerdict, RegionCount};
pub use error::ErrorBody;
pub use events::Ingested;
pub use health::Status;
pub use issued::{IssuedImport, IssuedUnit};
pub use master::{LotDates, MasterDataImported, Names, Place, PlaceRole, Product};
pub use recall::{
    LastSeen, PlaceCount, Recall, RecallAnswer, RecallList, RecallRequest, Scope, ScopeContainer,
    ScopeLot, WithdrawRequest, Withdrawal,
};
pub use scan::{ScanAnswer, ScanRequest};
pub use timeline::{Certificate, Linked, Relation, Timeline, TimelineEvent};
