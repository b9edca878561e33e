//! OpenAPI schemas of the core types that cross the wire (feature `openapi`), for the
//! registry's `/v1/openapi.json`. The field types serialise as strings (`KeyId` as a number);
//! their patterns say what the parsers accept, the parsers stay the authority.

use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;

use crate::fields::{Gtin, KeyId, Lot, ProductionDay, RegionCode, Serial};

macro_rules! string_schemas {
    ($($ty:ty => $pattern:literal, $description:literal;)*) => {$(
        impl utoipa::PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::String))
                    .pattern(Some($pattern))
                    .description(Some($description))
                    .into()
            }
        }

        impl utoipa::ToSchema for $ty {}
    )*};
}

string_schemas! {
    Gtin => "^[0-9]{14}$", "GTIN-14, check digit included";
    Serial => "^(0|[1-9][0-9]{0,19})$", "Serial number, decimal, no leading zero";
    Lot => "^[!\"%&'()*+,\\-./0-9:;<=>?A-Z_a-z]{1,20}$", "Lot (GS1 AI 10 characters)";
    RegionCode => "^[0-9]{6}$", "GB/T 2260 region code";
    ProductionDay => "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "Production day, YYYY-MM-DD";
}

impl utoipa::PartialSchema for KeyId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Integer))
            .minimum(Some(1))
            .maximum(Some(65535))
            .description(Some("Issuer key id in the trust list"))
            .into()
    }
}

impl utoipa::ToSchema for KeyId {}
