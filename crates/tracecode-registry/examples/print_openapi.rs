//! Prints the registry's OpenAPI description (`GET /v1/openapi.json`) without starting it.

fn main() {
    print!("{}", tracecode_registry::api::openapi::DOCUMENT.as_str());
}
