//! Reading internally tagged enums (`{"state": "revoked", "cutoff": …}`) without serde's
//! buffering. serde's derived `#[serde(tag = …)]` deserializer first copies the whole object
//! into its private `Content` tree and then reads it again; that machinery alone is over
//! 10 kB of the web app's WebAssembly. Each tagged enum here is instead read through a flat
//! struct of its tag and every variant's fields (`#[serde(try_from = …)]`): the JSON is the
//! same, both ways, and so are the errors that matter (an unknown tag, a missing field).

/// A variant's field, which its flat struct holds as an `Option`.
pub fn required<T>(value: Option<T>, name: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field `{name}`"))
}

/// For enums that deny unknown fields: another variant's field is one.
pub(crate) fn absent<T>(value: &Option<T>, name: &str, tag: &str) -> Result<(), String> {
    match value {
        Some(_) => Err(format!("field `{name}` does not belong to `{tag}`")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::{absent, required};

    #[test]
    fn missing_and_foreign_fields_are_named() {
        assert_eq!(
            required(None::<u8>, "cutoff"),
            Err("missing field `cutoff`".to_owned())
        );
        assert_eq!(required(Some(1), "cutoff"), Ok(1));
        assert_eq!(
            absent(&Some(1), "cutoff", "active"),
            Err("field `cutoff` does not belong to `active`".to_owned())
        );
        assert_eq!(absent(&None::<u8>, "cutoff", "active"), Ok(()));
    }
}
