//! EPCIS 2.0 master data: an `EPCISDocument`'s `epcisHeader.epcisMasterData.vocabularyList`,
//! read into the registry's products and places (docs/API.md, "Master data"). Pure: no I/O.
//!
//! Read are the vocabularies `urn:epcglobal:epcis:vtype:EPCClass` (products: GTIN classes, as
//! `urn:epc:idpat:sgtin:…` or a Digital Link `https://…/01/{gtin}`) and
//! `urn:epcglobal:epcis:vtype:BusinessLocation` / `…:ReadPoint` (places), with these attributes
//! (compact `cbvmda:`/`gs1:` or full URIs):
//!
//! | field | attribute |
//! |---|---|
//! | product name | `cbvmda:regulatedProductName`, else `cbvmda:descriptionShort` |
//! | net content | `cbvmda:netContentDescription` |
//! | shelf life (days) | `gs1:minimumTradeItemLifespanFromTimeOfProduction` |
//! | storage | `gs1:consumerStorageInstructions` |
//! | description | `gs1:productDescription` |
//! | place name, city, address | `cbvmda:name`, `cbvmda:city`, `cbvmda:streetAddressOne` |
//! | region (GB/T 2260), role | `urn:tracecode:mda#region`, `urn:tracecode:mda#role` |
//!
//! A text attribute is a string (Simplified Chinese), or JSON-LD language-tagged values
//! (`{"@value": "Fresh milk", "@language": "en"}`, one or a list) for both languages. Other
//! vocabularies and attributes are left alone; every element read is checked as an import's
//! rows are, and a bad one refuses the whole document.

use serde_json::{Map, Value};
use tracecode_wire::master::{Names, Place, PlaceRole, Product};

use crate::epcis::{self, EpcisError};
use crate::store::MasterData;

const PRODUCT_VOCABULARY: &str = "urn:epcglobal:epcis:vtype:EPCClass";
const PLACE_VOCABULARIES: [&str; 2] = [
    "urn:epcglobal:epcis:vtype:BusinessLocation",
    "urn:epcglobal:epcis:vtype:ReadPoint",
];

fn error(at: String, field: &str, message: impl Into<String>) -> EpcisError {
    EpcisError {
        at: Some(at),
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The master data of a document; none if it has no `epcisMasterData`.
pub fn master_data(document: &Value) -> Result<MasterData, EpcisError> {
    let mut master = MasterData::default();
    let Some(list) = document.pointer("/epcisHeader/epcisMasterData/vocabularyList") else {
        return Ok(master);
    };
    let list = list.as_array().ok_or_else(|| {
        error(
            "epcisHeader.epcisMasterData".into(),
            "vocabularyList",
            "must be a list",
        )
    })?;
    for (v, vocabulary) in list.iter().enumerate() {
        let at = format!("epcisHeader.epcisMasterData.vocabularyList[{v}]");
        let kind = vocabulary.get("type").and_then(Value::as_str).unwrap_or("");
        let is_product = kind == PRODUCT_VOCABULARY;
        if !is_product && !PLACE_VOCABULARIES.contains(&kind) {
            continue;
        }
        let elements = vocabulary
            .get("vocabularyElementList")
            .and_then(Value::as_array)
            .ok_or_else(|| error(at.clone(), "vocabularyElementList", "must be a list"))?;
        for (e, element) in elements.iter().enumerate() {
            let at = format!("{at}.vocabularyElementList[{e}]");
            let id = element
                .get("id")
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty())
                .ok_or_else(|| error(at.clone(), "id", "missing: every element needs its id"))?;
            let attributes = attributes(element).map_err(|m| error(at.clone(), "attributes", m))?;
            if is_product {
                master
                    .products
                    .push(product(id, &attributes).map_err(|(f, m)| error(at.clone(), &f, m))?);
            } else {
                master
                    .places
                    .push(place(id, &attributes).map_err(|(f, m)| error(at.clone(), &f, m))?);
            }
        }
    }
    Ok(master)
}

/// An element's attributes by name: `[{"id": name, "attribute": value}, …]`.
fn attributes(element: &Value) -> Result<Map<String, Value>, String> {
    let mut found = Map::new();
    let Some(list) = element.get("attributes") else {
        return Ok(found);
    };
    for item in list.as_array().ok_or("must be a list")? {
        let name = item
            .get("id")
            .and_then(Value::as_str)
            .ok_or("every attribute needs an id")?;
        let value = item.get("attribute").cloned().unwrap_or(Value::Null);
        found.insert(name.to_owned(), value);
    }
    Ok(found)
}

/// An attribute by its compact or full name in the CBV (`cbvmda:`) or GS1 (`gs1:`)
/// vocabulary, or ours (`urn:tracecode:mda#`).
fn attribute<'a>(attributes: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    epcis::cbv_attribute(attributes, name)
        .or_else(|| attributes.get(&format!("gs1:{name}")))
        .or_else(|| attributes.get(&format!("https://gs1.org/voc/{name}")))
        .or_else(|| attributes.get(&format!("urn:tracecode:mda#{name}")))
}

type Refusal = (String, String);

/// Text in both languages: a string (Chinese), or language-tagged values.
fn names(value: &Value, field: &str) -> Result<Names, Refusal> {
    let refuse = |m: &str| (field.to_owned(), m.to_owned());
    let tagged = |item: &Value| -> Result<(Option<String>, String), Refusal> {
        match item {
            Value::String(text) => Ok((None, text.clone())),
            Value::Object(object) => {
                let text = object
                    .get("@value")
                    .and_then(Value::as_str)
                    .ok_or_else(|| refuse("a language-tagged value needs \"@value\""))?;
                let language = object.get("@language").and_then(Value::as_str);
                Ok((language.map(str::to_ascii_lowercase), text.to_owned()))
            }
            _ => Err(refuse("must be text or language-tagged text")),
        }
    };
    let items = match value {
        Value::Array(items) => items.iter().map(tagged).collect::<Result<Vec<_>, _>>()?,
        other => vec![tagged(other)?],
    };
    let mut zh = None;
    let mut en = None;
    for (language, text) in items {
        match language.as_deref() {
            None | Some("zh" | "zh-cn" | "zh-hans" | "zh-hans-cn") => zh = zh.or(Some(text)),
            Some(l) if l == "en" || l.starts_with("en-") => en = en.or(Some(text)),
            Some(_) => {}
        }
    }
    Ok(Names {
        zh_cn: zh.ok_or_else(|| {
            refuse("no Chinese text (a plain string, or \"@language\": \"zh-CN\")")
        })?,
        en,
    })
}

fn text(value: &Value, field: &str) -> Result<String, Refusal> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| (field.to_owned(), "must be text".to_owned()))
}

fn product(id: &str, attributes: &Map<String, Value>) -> Result<Product, Refusal> {
    let gtin = product_gtin(id).map_err(|m| ("id".to_owned(), m))?;
    let name = attribute(attributes, "regulatedProductName")
        .or_else(|| attribute(attributes, "descriptionShort"))
        .ok_or_else(|| {
            (
                "cbvmda:regulatedProductName".to_owned(),
                "missing: a product needs its name".to_owned(),
            )
        })?;
    let shelf_life_days = attribute(attributes, "minimumTradeItemLifespanFromTimeOfProduction")
        .map(|days| {
            days.as_u64()
                .or_else(|| days.as_str().and_then(|d| d.parse().ok()))
                .and_then(|d| u16::try_from(d).ok())
                .ok_or_else(|| {
                    (
                        "gs1:minimumTradeItemLifespanFromTimeOfProduction".to_owned(),
                        "must be a number of days".to_owned(),
                    )
                })
        })
        .transpose()?;
    let product = Product {
        gtin,
        name: names(name, "cbvmda:regulatedProductName")?,
        net_content: attribute(attributes, "netContentDescription")
            .map(|v| text(v, "cbvmda:netContentDescription"))
            .transpose()?,
        shelf_life_days,
        storage: attribute(attributes, "consumerStorageInstructions")
            .map(|v| names(v, "gs1:consumerStorageInstructions"))
            .transpose()?,
        description: attribute(attributes, "productDescription")
            .map(|v| names(v, "gs1:productDescription"))
            .transpose()?,
        links: Vec::new(),
        image: None,
    };
    product.check().map_err(|e| (e.field, e.message))?;
    Ok(product)
}

/// The GTIN of a product class: `urn:epc:idpat:sgtin:{company}.{item}.*` or a Digital Link
/// naming a GTIN and nothing more specific.
fn product_gtin(id: &str) -> Result<tracecode_core::Gtin, String> {
    let subject = epcis::subject(id)?;
    subject
        .strip_prefix("01/")
        .filter(|gtin| gtin.len() == 14)
        .and_then(|gtin| gtin.parse().ok())
        .ok_or_else(|| {
            format!(
                "{id:?} is not a product class (urn:epc:idpat:sgtin:…, or a Digital Link with \
                 only a GTIN)"
            )
        })
}

fn place(id: &str, attributes: &Map<String, Value>) -> Result<Place, Refusal> {
    let name = attribute(attributes, "name").ok_or_else(|| {
        (
            "cbvmda:name".to_owned(),
            "missing: a place needs its name".to_owned(),
        )
    })?;
    let region = attribute(attributes, "region")
        .map(|r| {
            text(r, "region")?
                .parse()
                .map_err(|e: tracecode_core::fields::RegionError| {
                    ("region".to_owned(), e.to_string())
                })
        })
        .transpose()?;
    let role = attribute(attributes, "role")
        .map(|r| {
            let r = text(r, "role")?;
            PlaceRole::ALL
                .into_iter()
                .find(|role| role.as_str() == r)
                .ok_or_else(|| {
                    (
                        "role".to_owned(),
                        format!("{r:?} is not farm, plant, warehouse, distributor or shop"),
                    )
                })
        })
        .transpose()?;
    let place = Place {
        id: id.to_owned(),
        name: names(name, "cbvmda:name")?,
        city: attribute(attributes, "city")
            .map(|v| names(v, "cbvmda:city"))
            .transpose()?,
        address: attribute(attributes, "streetAddressOne")
            .map(|v| text(v, "cbvmda:streetAddressOne"))
            .transpose()?,
        region,
        role,
    };
    place.check().map_err(|e| (e.field, e.message))?;
    Ok(place)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(vocabularies: Value) -> Value {
        json!({
            "type": "EPCISDocument",
            "epcisHeader": {"epcisMasterData": {"vocabularyList": vocabularies}},
            "epcisBody": {"eventList": []}
        })
    }

    #[test]
    fn products_and_places_are_read_in_both_languages() {
        let master = master_data(&document(json!([
            {"type": "urn:epcglobal:epcis:vtype:EPCClass", "vocabularyElementList": [
                {"id": "urn:epc:idpat:sgtin:6901234.056789.*", "attributes": [
                    {"id": "cbvmda:regulatedProductName", "attribute": [
                        {"@value": "鲜牛奶", "@language": "zh-CN"},
                        {"@value": "Fresh milk", "@language": "en"}]},
                    {"id": "urn:epcglobal:cbv:mda#netContentDescription", "attribute": "250 mL"},
                    {"id": "gs1:minimumTradeItemLifespanFromTimeOfProduction", "attribute": 7},
                    {"id": "cbvmda:countryOfOrigin", "attribute": "CN"}
                ]}
            ]},
            {"type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": [
                {"id": "urn:epc:id:sgln:6901234.00001.0", "attributes": [
                    {"id": "cbvmda:name", "attribute": "呼和浩特乳品厂"},
                    {"id": "cbvmda:city", "attribute": [{"@value": "呼和浩特"}, {"@value": "Hohhot", "@language": "en"}]},
                    {"id": "urn:tracecode:mda#region", "attribute": "150100"},
                    {"id": "urn:tracecode:mda#role", "attribute": "plant"}
                ]}
            ]},
            {"type": "urn:epcglobal:epcis:vtype:Disposition", "vocabularyElementList": [{"id": "x"}]}
        ])))
        .unwrap();
        assert_eq!(master.products.len(), 1);
        let milk = &master.products[0];
        assert_eq!(milk.gtin.as_str(), "06901234567892");
        assert_eq!(milk.name.text(true), "Fresh milk");
        assert_eq!(milk.name.text(false), "鲜牛奶");
        assert_eq!(milk.shelf_life_days, Some(7));
        assert_eq!(milk.net_content.as_deref(), Some("250 mL"));
        let plant = &master.places[0];
        assert_eq!(plant.city.as_ref().unwrap().text(true), "Hohhot");
        assert_eq!(plant.role, Some(PlaceRole::Plant));
        assert_eq!(plant.region.unwrap().to_string(), "150100");
    }

    #[test]
    fn a_bad_element_is_named_with_its_place_in_the_document() {
        let cases = [
            (
                json!([{"type": "urn:epcglobal:epcis:vtype:BusinessLocation",
                    "vocabularyElementList": [{"attributes": []}]}]),
                "epcisHeader.epcisMasterData.vocabularyList[0].vocabularyElementList[0]: id: missing",
            ),
            (
                json!([{"type": "urn:epcglobal:epcis:vtype:EPCClass",
                    "vocabularyElementList": [{"id": "urn:epc:id:sgln:6901234.00001.0", "attributes": []}]}]),
                "epcisHeader.epcisMasterData.vocabularyList[0].vocabularyElementList[0]: id: \"urn:epc:id:sgln:6901234.00001.0\" is not a product class",
            ),
            (
                json!([{"type": "urn:epcglobal:epcis:vtype:BusinessLocation",
                    "vocabularyElementList": [{"id": "urn:epc:id:sgln:6901234.00001.0", "attributes": [
                        {"id": "cbvmda:name", "attribute": {"@value": "Plant", "@language": "en"}}]}]}]),
                "epcisHeader.epcisMasterData.vocabularyList[0].vocabularyElementList[0]: cbvmda:name: no Chinese text",
            ),
            (
                json!([{"type": "urn:epcglobal:epcis:vtype:BusinessLocation",
                    "vocabularyElementList": [{"id": "urn:epc:id:sgln:6901234.00001.0", "attributes": [
                        {"id": "cbvmda:name", "attribute": "厂".repeat(101)}]}]}]),
                "epcisHeader.epcisMasterData.vocabularyList[0].vocabularyElementList[0]: name.zh-CN: 101 characters",
            ),
        ];
        for (vocabularies, expected) in cases {
            let message = master_data(&document(vocabularies))
                .unwrap_err()
                .to_string();
            assert!(message.starts_with(expected), "{message}");
        }
    }
}
