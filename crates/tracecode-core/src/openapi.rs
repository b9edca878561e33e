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
    Gtin => "^([0-9]{8}|[0-9]{12,14})$",
        "GTIN-8, -12, -13 or -14, check digit included; answers give the 14-digit form";
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

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use utoipa::openapi::schema::Object;
    use utoipa::PartialSchema;

    use super::*;

    fn object<T: PartialSchema>() -> Object {
        match T::schema() {
            RefOr::T(Schema::Object(object)) => object,
            _ => panic!("not an object schema"),
        }
    }

    /// The schema's pattern never refuses what the parser accepts, and refuses these
    /// malformed values as the parser does. (The parser stays stricter: check digits, calendar
    /// days and the u64 range are beyond a pattern.)
    fn agrees<T: FromStr + PartialSchema>(valid: &[&str], malformed: &[&str]) {
        let pattern = object::<T>().pattern.expect("a pattern");
        let pattern = regex::Regex::new(&pattern).expect("the pattern compiles");
        for text in valid {
            assert!(text.parse::<T>().is_ok(), "{text} should parse");
            assert!(pattern.is_match(text), "{pattern} refuses {text}");
        }
        for text in malformed {
            assert!(text.parse::<T>().is_err(), "{text} should not parse");
            assert!(!pattern.is_match(text), "{pattern} accepts {text}");
        }
    }

    #[test]
    fn field_patterns_agree_with_the_parsers() {
        agrees::<Gtin>(
            &[
                "06901234567892",
                "6901234567892",
                "00000000000000",
                "96385074",
            ],
            &["069012345678921", "0690123456", "0690123456789x", ""],
        );
        agrees::<Serial>(
            &["0", "1", "1001", "18446744073709551615"],
            &["01", "-1", "1.5", "12a", "", "123456789012345678901"],
        );
        agrees::<Lot>(
            &["L2611B", "A-1/2", "x", "ABCDEFGHIJ0123456789"],
            &["", "ABCDEFGHIJ01234567890", "has space", "émoji", "a#b"],
        );
        agrees::<RegionCode>(&["310104", "110000"], &["31010", "3101045", "31010a", ""]);
        agrees::<ProductionDay>(
            &["2026-11-20", "2024-02-29"],
            &["2026-1-20", "20261120", "2026/11/20", ""],
        );
    }

    #[test]
    fn key_ids_are_bounded_as_the_trust_list_bounds_them() {
        let key_id = object::<KeyId>();
        let bound = |n: Option<utoipa::Number>| match n {
            Some(utoipa::Number::Int(n)) => n as i64,
            Some(utoipa::Number::UInt(n)) => n as i64,
            _ => panic!("no integer bound"),
        };
        assert_eq!(bound(key_id.minimum), 1);
        assert_eq!(bound(key_id.maximum), i64::from(u16::MAX));
        assert!(KeyId::new(0).is_err());
        assert!(KeyId::new(u16::MAX).is_ok());
    }
}
