//! Master data: what a brand says about its products (by GTIN) and the places its goods pass
//! (by the GLN/SGLN its events name), and the dates a lot's ILMD gives. The registry stores
//! them (`POST /v1/master-data/products`, `…/places`, or an EPCIS document's
//! `epcisMasterData`) and hands the page what a unit's timeline needs (`Timeline::product`,
//! `places`, `lot_dates`), so that a shopper reads a product and places, not identifiers.
//!
//! Every value is checked here, once, for the registry and the issuer CLI alike
//! ([`Product::check`], [`Place::check`]); CSV files read with [`products_from_csv`] and
//! [`places_from_csv`] (feature `csv`) are refused whole at the first bad row, named
//! `line N: field: reason`.

use serde::{Deserialize, Serialize};
use time::Date;
use tracecode_core::{Gtin, RegionCode};

/// Text in the page's two languages: Simplified Chinese always, English when the brand gives
/// it (the English page shows the Chinese otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Names {
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Names {
    /// The text for a page in English (`english`) or Chinese.
    pub fn text(&self, english: bool) -> &str {
        match (&self.en, english) {
            (Some(en), true) => en,
            _ => &self.zh_cn,
        }
    }
}

/// A product, by GTIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Product {
    pub gtin: Gtin,
    pub name: Names,
    /// As printed, e.g. `250 mL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_content: Option<String>,
    /// Days from the production day (signed in the code) to the best-before date; a lot's
    /// ILMD date replaces it for that lot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shelf_life_days: Option<u16>,
    /// Storage conditions, e.g. `2–6 °C`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Names>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Names>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<ProductLink>,
    /// Where the registry serves the product's image (`/v1/products/{gtin}/image?v=…`), set
    /// by the registry when one was uploaded; ignored in imports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

/// A link of a product's page: its kind says what the page calls it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductLink {
    pub kind: LinkKind,
    /// An `https://` address.
    pub url: String,
}

/// What a product link is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LinkKind {
    /// The quality-control report (检验报告).
    QcReport,
    /// The brand's own page for the product.
    BrandPage,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::QcReport => "qc_report",
            Self::BrandPage => "brand_page",
        }
    }
}

/// A place or company, by the identifier the brand's events name it with
/// (`urn:epc:id:sgln:…`, `urn:epc:id:pgln:…` or a GS1 Digital Link `https://…/414/…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Place {
    pub id: String,
    pub name: Names,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<Names>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// GB/T 2260 division.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^[1-9][0-9]{5}$"))]
    pub region: Option<RegionCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<PlaceRole>,
}

/// What a place is to the goods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PlaceRole {
    Farm,
    Plant,
    Warehouse,
    Distributor,
    Shop,
}

impl PlaceRole {
    pub const ALL: [Self; 5] = [
        Self::Farm,
        Self::Plant,
        Self::Warehouse,
        Self::Distributor,
        Self::Shop,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Farm => "farm",
            Self::Plant => "plant",
            Self::Warehouse => "warehouse",
            Self::Distributor => "distributor",
            Self::Shop => "shop",
        }
    }
}

/// A lot's dates from EPCIS ILMD (`itemExpirationDate`, `bestBeforeDate`, `sellByDate`):
/// they replace the product's shelf life for that lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LotDates {
    #[serde(default, skip_serializing_if = "Option::is_none", with = "iso_date")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub best_before: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "iso_date")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub expiration: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "iso_date")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub sell_by: Option<Date>,
}

impl LotDates {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The date a shopper is told: best before, else the expiration date.
    pub fn shown(&self) -> Option<Date> {
        self.best_before.or(self.expiration)
    }
}

/// Dates as `YYYY-MM-DD` (ISO 8601, as EPCIS writes them).
pub mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::macros::format_description;
    use time::Date;

    const FORMAT: &[time::format_description::FormatItem<'static>] =
        format_description!("[year]-[month]-[day]");

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Date, String> {
        Date::parse(text, FORMAT).map_err(|e| format!("{text:?} is not a date YYYY-MM-DD: {e}"))
    }

    /// Writes `YYYY-MM-DD`.
    pub fn format(date: Date) -> String {
        date.format(FORMAT).unwrap_or_default()
    }

    pub fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(date) => s.serialize_str(&format(*date)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| parse(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// The best-before date of a unit: the lot's ILMD date if there is one, else the production
/// day (signed in the code) plus the product's shelf life.
pub fn best_before(
    production_day: Date,
    product: Option<&Product>,
    lot: Option<&LotDates>,
) -> Option<Date> {
    lot.and_then(LotDates::shown).or_else(|| {
        let days = product?.shelf_life_days?;
        production_day.checked_add(time::Duration::days(i64::from(days)))
    })
}

/// What `POST /v1/master-data/products` and `…/places` answer: how many rows were stored
/// (new or changed) and how many were already so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MasterDataImported {
    pub stored: u64,
    pub unchanged: u64,
}

/// Longest name (product, place, city), in characters.
pub const MAX_NAME: usize = 100;
/// Longest description, storage conditions or address, in characters.
pub const MAX_TEXT: usize = 500;
/// Longest net content, in characters.
pub const MAX_NET_CONTENT: usize = 40;
/// Longest link, in bytes.
pub const MAX_URL: usize = 500;
/// Longest place identifier, in bytes.
pub const MAX_PLACE_ID: usize = 256;
/// Longest shelf life: ten years.
pub const MAX_SHELF_LIFE_DAYS: u16 = 3650;
/// Most rows of one import.
pub const MAX_ROWS: usize = 10_000;

/// A value that breaks a rule: which field (JSON name, or CSV column) and why; `line` for
/// CSV rows (the header is line 1), `row` (from 1) for JSON lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub at: Option<String>,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{at}: {}: {}", self.field, self.message),
            None => write!(f, "{}: {}", self.field, self.message),
        }
    }
}

impl std::error::Error for Invalid {}

fn invalid(field: &str, message: impl Into<String>) -> Invalid {
    Invalid {
        at: None,
        field: field.to_owned(),
        message: message.into(),
    }
}

fn check_text(field: &str, text: &str, max: usize) -> Result<(), Invalid> {
    if text.trim().is_empty() {
        return Err(invalid(field, "empty"));
    }
    if text.trim() != text {
        return Err(invalid(field, "starts or ends with a space"));
    }
    let count = text.chars().count();
    if count > max {
        return Err(invalid(field, format!("{count} characters; at most {max}")));
    }
    if text.chars().any(char::is_control) {
        return Err(invalid(field, "contains a control character"));
    }
    Ok(())
}

fn check_names(field: &str, names: &Names, max: usize) -> Result<(), Invalid> {
    check_text(&format!("{field}.zh-CN"), &names.zh_cn, max)?;
    if let Some(en) = &names.en {
        check_text(&format!("{field}.en"), en, max)?;
    }
    Ok(())
}

/// An `https://` address a page may link to.
fn check_url(field: &str, url: &str) -> Result<(), Invalid> {
    if url.len() > MAX_URL {
        return Err(invalid(field, format!("longer than {MAX_URL} bytes")));
    }
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| invalid(field, "not an https:// address"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(field, "not a valid https:// address"));
    }
    Ok(())
}

/// The place identifiers events use for locations.
fn check_place_id(id: &str) -> Result<(), Invalid> {
    if id.is_empty() {
        return Err(invalid(
            "id",
            "missing: a place needs its GLN/SGLN identifier",
        ));
    }
    if id.len() > MAX_PLACE_ID {
        return Err(invalid("id", format!("longer than {MAX_PLACE_ID} bytes")));
    }
    let known = ["urn:epc:id:sgln:", "urn:epc:id:pgln:", "https://"]
        .iter()
        .any(|p| id.starts_with(p));
    if !known || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "id",
            format!(
                "{id:?} is not a place identifier (urn:epc:id:sgln:…, urn:epc:id:pgln:… or a \
                 GS1 Digital Link https://…/414/…)"
            ),
        ));
    }
    Ok(())
}

impl Product {
    /// Every field within its rules; the image is the registry's to set.
    pub fn check(&self) -> Result<(), Invalid> {
        check_names("name", &self.name, MAX_NAME)?;
        if let Some(net) = &self.net_content {
            check_text("net_content", net, MAX_NET_CONTENT)?;
        }
        if let Some(days) = self.shelf_life_days {
            if days == 0 || days > MAX_SHELF_LIFE_DAYS {
                return Err(invalid(
                    "shelf_life_days",
                    format!("{days}; from 1 to {MAX_SHELF_LIFE_DAYS} days"),
                ));
            }
        }
        if let Some(storage) = &self.storage {
            check_names("storage", storage, MAX_TEXT)?;
        }
        if let Some(description) = &self.description {
            check_names("description", description, MAX_TEXT)?;
        }
        if self.links.len() > 4 {
            return Err(invalid("links", "at most 4"));
        }
        for link in &self.links {
            check_url("links.url", &link.url)?;
        }
        if self.image.is_some() {
            return Err(invalid(
                "image",
                "set by the registry: upload the image with PUT /v1/products/{gtin}/image",
            ));
        }
        Ok(())
    }
}

impl Place {
    pub fn check(&self) -> Result<(), Invalid> {
        check_place_id(&self.id)?;
        check_names("name", &self.name, MAX_NAME)?;
        if let Some(city) = &self.city {
            check_names("city", city, MAX_NAME)?;
        }
        if let Some(address) = &self.address {
            check_text("address", address, MAX_TEXT)?;
        }
        Ok(())
    }
}

/// Checks every item of an import, naming the first bad one (`row N`, from 1), and refuses
/// empty, oversized and repeated lists.
pub fn check_all<T>(
    items: &[T],
    key: impl Fn(&T) -> String,
    check: impl Fn(&T) -> Result<(), Invalid>,
) -> Result<(), Invalid> {
    if items.is_empty() {
        return Err(invalid("rows", "none"));
    }
    if items.len() > MAX_ROWS {
        return Err(invalid(
            "rows",
            format!("{}; send at most {MAX_ROWS} per request", items.len()),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let at = Some(format!("row {}", i + 1));
        check(item).map_err(|e| Invalid {
            at: at.clone(),
            ..e
        })?;
        if !seen.insert(key(item)) {
            return Err(Invalid {
                at,
                field: "id".to_owned(),
                message: format!("{} is given twice", key(item)),
            });
        }
    }
    Ok(())
}

#[cfg(feature = "csv")]
mod csv_files;
#[cfg(feature = "csv")]
pub use csv_files::{places_from_csv, products_from_csv, PLACE_COLUMNS, PRODUCT_COLUMNS};

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn product() -> Product {
        Product {
            gtin: "06901234567892".parse().unwrap(),
            name: Names {
                zh_cn: "鲜牛奶".into(),
                en: Some("Fresh milk".into()),
            },
            net_content: Some("250 mL".into()),
            shelf_life_days: Some(7),
            storage: None,
            description: None,
            links: vec![ProductLink {
                kind: LinkKind::QcReport,
                url: "https://dairy.example.cn/qc/L2611A".into(),
            }],
            image: None,
        }
    }

    #[test]
    fn a_product_round_trips_with_its_language_names() {
        let json = serde_json::to_string(&product()).unwrap();
        assert!(
            json.contains(r#""name":{"zh-CN":"鲜牛奶","en":"Fresh milk"}"#),
            "{json}"
        );
        assert!(json.contains(r#""kind":"qc_report""#), "{json}");
        let back: Product = serde_json::from_str(&json).unwrap();
        assert_eq!(back, product());
        assert_eq!(back.name.text(true), "Fresh milk");
        let chinese_only = Names {
            zh_cn: "鲜牛奶".into(),
            en: None,
        };
        assert_eq!(chinese_only.text(true), "鲜牛奶");
    }

    #[test]
    fn unknown_fields_and_bad_values_are_named() {
        let error = serde_json::from_str::<Product>(
            r#"{"gtin":"06901234567892","name":{"zh-CN":"奶"},"colour":"red"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("unknown field `colour`"), "{error}");
        let error =
            serde_json::from_str::<Product>(r#"{"gtin":"06901234567893","name":{"zh-CN":"奶"}}"#)
                .unwrap_err()
                .to_string();
        assert!(error.contains("check digit"), "{error}");

        let long = Product {
            name: Names {
                zh_cn: "奶".repeat(101),
                en: None,
            },
            ..product()
        };
        assert_eq!(
            long.check().unwrap_err().to_string(),
            "name.zh-CN: 101 characters; at most 100"
        );
        let zero = Product {
            shelf_life_days: Some(0),
            ..product()
        };
        assert!(zero
            .check()
            .unwrap_err()
            .to_string()
            .starts_with("shelf_life_days: 0"));
        let plain = Product {
            links: vec![ProductLink {
                kind: LinkKind::BrandPage,
                url: "javascript:alert(1)".into(),
            }],
            ..product()
        };
        assert_eq!(
            plain.check().unwrap_err().to_string(),
            "links.url: not an https:// address"
        );
        let imaged = Product {
            image: Some("/elsewhere.png".into()),
            ..product()
        };
        assert!(imaged
            .check()
            .unwrap_err()
            .to_string()
            .starts_with("image: set by the registry"));
        assert_eq!(product().check(), Ok(()));
    }

    #[test]
    fn places_need_a_place_identifier() {
        let place = Place {
            id: "urn:epc:id:sgln:6901234.00001.0".into(),
            name: Names {
                zh_cn: "呼和浩特乳品厂".into(),
                en: Some("Hohhot dairy plant".into()),
            },
            city: Some(Names {
                zh_cn: "呼和浩特".into(),
                en: Some("Hohhot".into()),
            }),
            address: None,
            region: Some("150100".parse().unwrap()),
            role: Some(PlaceRole::Plant),
        };
        assert_eq!(place.check(), Ok(()));
        let json = serde_json::to_string(&place).unwrap();
        assert!(
            json.contains(r#""region":"150100","role":"plant""#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Place>(&json).unwrap(), place);
        let nameless = Place {
            id: "01/06901234567892".into(),
            ..place.clone()
        };
        assert!(nameless
            .check()
            .unwrap_err()
            .to_string()
            .starts_with("id: \"01/06901234567892\" is not a place identifier"));
        let error = check_all(&[place.clone(), place], |p| p.id.clone(), Place::check)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "row 2: id: urn:epc:id:sgln:6901234.00001.0 is given twice"
        );
    }

    #[test]
    fn best_before_is_the_lots_date_else_the_shelf_life() {
        let day = date!(2026 - 11 - 20);
        assert_eq!(
            best_before(day, Some(&product()), None),
            Some(date!(2026 - 11 - 27))
        );
        let lot = LotDates {
            best_before: Some(date!(2026 - 12 - 01)),
            ..LotDates::default()
        };
        assert_eq!(
            best_before(day, Some(&product()), Some(&lot)),
            Some(date!(2026 - 12 - 01))
        );
        let expiring = LotDates {
            expiration: Some(date!(2026 - 12 - 05)),
            ..LotDates::default()
        };
        assert_eq!(
            best_before(day, None, Some(&expiring)),
            Some(date!(2026 - 12 - 05))
        );
        assert_eq!(best_before(day, None, None), None);
        let json = serde_json::to_string(&lot).unwrap();
        assert_eq!(json, r#"{"best_before":"2026-12-01"}"#);
        assert_eq!(serde_json::from_str::<LotDates>(&json).unwrap(), lot);
    }
}
