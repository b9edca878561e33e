//! `GET /v1/openapi.json`: the API described from the handlers' annotations and the wire
//! types they answer with (tracecode-wire), so the description cannot drift from the code.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;

use super::{attempts, events, health, issued, master_data, recalls, scans, timeline};

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "tracecode registry",
        version = "1",
        description = "Provenance timelines, scan counting and recalls for one-code-per-item \
            traceability. Errors are JSON (ErrorBody). docs/API.md has the prose.",
    ),
    paths(
        health::health,
        health::ready,
        crate::metrics::serve,
        serve,
        health::trust_list,
        scans::record,
        timeline::timeline,
        issued::import,
        events::ingest,
        recalls::add,
        recalls::list,
        recalls::withdraw,
        recalls::scope,
        master_data::put_products,
        master_data::put_places,
        master_data::product,
        master_data::put_image,
        master_data::image,
        attempts::list,
    ),
    components(schemas(tracecode_wire::ErrorBody)),
    modifiers(&BearerToken),
    tags(
        (name = "public", description = "For anyone: shoppers' pages, inspectors"),
        (name = "brand", description = "With a brand's API token: its own data only"),
        (name = "operations", description = "For the operator's monitoring"),
    ),
)]
pub struct ApiDoc;

/// The `token` security scheme the brand endpoints name.
struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("tct_… tokens from `tracecode-registry create-token`"))
                    .build(),
            ),
        );
    }
}

/// The description as served, built once.
pub static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI description serialises")
});

/// This description.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "operations",
    responses((status = 200, content_type = "application/json", body = Object,
        description = "OpenAPI 3.1")),
)]
pub(super) async fn serve() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}
