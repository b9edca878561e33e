//! Master data as CSV, one row per product or place, with a header row naming the columns
//! (any order; unknown columns are refused, so a typo never silently drops data).

use super::{Invalid, LinkKind, Names, Place, PlaceRole, Product, ProductLink, MAX_ROWS};

/// The product file's columns; `gtin` and `name_zh` are required.
pub const PRODUCT_COLUMNS: [&str; 11] = [
    "gtin",
    "name_zh",
    "name_en",
    "net_content",
    "shelf_life_days",
    "storage_zh",
    "storage_en",
    "description_zh",
    "description_en",
    "qc_report_url",
    "brand_page_url",
];

/// The place file's columns; `id` and `name_zh` are required.
pub const PLACE_COLUMNS: [&str; 8] = [
    "id", "name_zh", "name_en", "city_zh", "city_en", "address", "region", "role",
];

/// A CSV file's header and rows, with their line numbers.
struct Rows {
    header: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

fn read(body: &[u8], columns: &[&str], required: &[&str]) -> Result<Rows, Invalid> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(1, &e))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    for name in &header {
        if !columns.contains(&name.as_str()) {
            return Err(Invalid {
                at: Some("line 1".into()),
                field: name.clone(),
                message: format!(
                    "not a column of this file (columns: {})",
                    columns.join(", ")
                ),
            });
        }
    }
    for name in required {
        if !header.iter().any(|h| h == name) {
            return Err(Invalid {
                at: Some("line 1".into()),
                field: (*name).to_owned(),
                message: "missing: this column is required".into(),
            });
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            csv_error(line, &e)
        })?;
        let line = record.position().map_or(0, |p| p.line());
        rows.push((line, record));
    }
    if rows.is_empty() {
        return Err(field_error(
            "rows",
            "none: the file has a header and no rows",
        ));
    }
    if rows.len() > MAX_ROWS {
        return Err(field_error(
            "rows",
            format!("{}; send at most {MAX_ROWS} per file", rows.len()),
        ));
    }
    Ok(Rows { header, rows })
}

fn csv_error(line: u64, error: &csv::Error) -> Invalid {
    Invalid {
        at: Some(format!("line {line}")),
        field: "row".into(),
        message: match error.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("{len} fields where the header has {expected_len}"),
            csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".into(),
            _ => error.to_string(),
        },
    }
}

impl Rows {
    fn cell<'a>(&self, record: &'a csv::StringRecord, column: &str) -> Option<&'a str> {
        let at = self.header.iter().position(|h| h == column)?;
        record.get(at).map(str::trim).filter(|v| !v.is_empty())
    }

    fn names(&self, record: &csv::StringRecord, stem: &str) -> Result<Option<Names>, Invalid> {
        let zh = self.cell(record, &format!("{stem}_zh"));
        let en = self.cell(record, &format!("{stem}_en"));
        match (zh, en) {
            (None, None) => Ok(None),
            (Some(zh), en) => Ok(Some(Names {
                zh_cn: zh.to_owned(),
                en: en.map(str::to_owned),
            })),
            (None, Some(_)) => Err(field_error(
                &format!("{stem}_zh"),
                format!("empty while {stem}_en is given: Chinese comes first"),
            )),
        }
    }
}

fn at_line(line: u64, error: Invalid) -> Invalid {
    Invalid {
        at: Some(format!("line {line}")),
        ..error
    }
}

fn field_error(field: &str, message: impl Into<String>) -> Invalid {
    Invalid {
        at: None,
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The CSV column of a checked field (`name.zh-CN` → `name_zh`).
fn csv_column(error: Invalid) -> Invalid {
    let field = match error.field.as_str() {
        "links.url" => "qc_report_url or brand_page_url".to_owned(),
        other => other.replace(".zh-CN", "_zh").replace(".en", "_en"),
    };
    Invalid { field, ..error }
}

fn product_row(file: &Rows, record: &csv::StringRecord) -> Result<Product, Invalid> {
    let gtin = file
        .cell(record, "gtin")
        .ok_or_else(|| field_error("gtin", "empty"))?
        .parse()
        .map_err(|e: tracecode_core::fields::GtinError| field_error("gtin", e.to_string()))?;
    let name = file
        .names(record, "name")?
        .ok_or_else(|| field_error("name_zh", "empty"))?;
    let shelf_life_days = file
        .cell(record, "shelf_life_days")
        .map(|days| {
            days.parse::<u16>().map_err(|_| {
                field_error(
                    "shelf_life_days",
                    format!("{days:?} is not a number of days"),
                )
            })
        })
        .transpose()?;
    let mut links = Vec::new();
    for (column, kind) in [
        ("qc_report_url", LinkKind::QcReport),
        ("brand_page_url", LinkKind::BrandPage),
    ] {
        if let Some(url) = file.cell(record, column) {
            links.push(ProductLink {
                kind,
                url: url.to_owned(),
            });
        }
    }
    let product = Product {
        gtin,
        name,
        net_content: file.cell(record, "net_content").map(str::to_owned),
        shelf_life_days,
        storage: file.names(record, "storage")?,
        description: file.names(record, "description")?,
        links,
        image: None,
    };
    product.check().map_err(csv_column)?;
    Ok(product)
}

fn place_row(file: &Rows, record: &csv::StringRecord) -> Result<Place, Invalid> {
    let region = file
        .cell(record, "region")
        .map(|r| {
            r.parse().map_err(|e: tracecode_core::fields::RegionError| {
                field_error("region", e.to_string())
            })
        })
        .transpose()?;
    let role = file
        .cell(record, "role")
        .map(|r| {
            PlaceRole::ALL
                .into_iter()
                .find(|role| role.as_str() == r)
                .ok_or_else(|| {
                    field_error(
                        "role",
                        format!("{r:?} is not farm, plant, warehouse, distributor or shop"),
                    )
                })
        })
        .transpose()?;
    let place = Place {
        id: file.cell(record, "id").unwrap_or_default().to_owned(),
        name: file
            .names(record, "name")?
            .ok_or_else(|| field_error("name_zh", "empty"))?,
        city: file.names(record, "city")?,
        address: file.cell(record, "address").map(str::to_owned),
        region,
        role,
    };
    place.check().map_err(csv_column)?;
    Ok(place)
}

/// Reads every row with `row`, naming the first bad one by line, and refuses a key given
/// twice.
fn all_rows<T>(
    file: &Rows,
    key_column: &str,
    row: impl Fn(&Rows, &csv::StringRecord) -> Result<T, Invalid>,
    key: impl Fn(&T) -> String,
) -> Result<Vec<T>, Invalid> {
    let mut first_line = std::collections::HashMap::new();
    let mut items = Vec::with_capacity(file.rows.len());
    for (line, record) in &file.rows {
        let item = row(file, record).map_err(|e| at_line(*line, e))?;
        if let Some(first) = first_line.insert(key(&item), *line) {
            return Err(at_line(
                *line,
                field_error(
                    key_column,
                    format!("{} is on line {first} already", key(&item)),
                ),
            ));
        }
        items.push(item);
    }
    Ok(items)
}

/// Products from a CSV file ([`PRODUCT_COLUMNS`]), every row checked; the first bad one is
/// named by line.
pub fn products_from_csv(body: &[u8]) -> Result<Vec<Product>, Invalid> {
    let file = read(body, &PRODUCT_COLUMNS, &["gtin", "name_zh"])?;
    all_rows(&file, "gtin", product_row, |p| p.gtin.to_string())
}

/// Places from a CSV file ([`PLACE_COLUMNS`]), every row checked.
pub fn places_from_csv(body: &[u8]) -> Result<Vec<Place>, Invalid> {
    let file = read(body, &PLACE_COLUMNS, &["id", "name_zh"])?;
    all_rows(&file, "id", place_row, |p| p.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRODUCTS: &str =
        "\u{feff}gtin,name_zh,name_en,net_content,shelf_life_days,qc_report_url\n\
        06901234567892,鲜牛奶,Fresh milk,250 mL,7,https://dairy.example.cn/qc\n\
        06901234000016,生牛乳,,,,\n";

    #[test]
    fn products_read_with_their_links_and_days() {
        let products = products_from_csv(PRODUCTS.as_bytes()).unwrap();
        assert_eq!(products.len(), 2);
        assert_eq!(products[0].name.text(true), "Fresh milk");
        assert_eq!(products[0].shelf_life_days, Some(7));
        assert_eq!(products[0].links[0].kind, LinkKind::QcReport);
        assert_eq!(products[1].name.en, None);
        assert_eq!(products[1].net_content, None);
    }

    #[test]
    fn a_bad_row_is_named_by_line_and_column() {
        let cases = [
            ("gtin,name_zh\n06901234567893,奶\n", "line 2: gtin: "),
            ("gtin,name_zh\n06901234567892,\n", "line 2: name_zh: empty"),
            (
                "gtin,name_zh,shelf_life_days\n06901234567892,奶,soon\n",
                "line 2: shelf_life_days: \"soon\" is not a number of days",
            ),
            (
                "gtin,name_zh,shelf_life_days\n06901234567892,奶,0\n",
                "line 2: shelf_life_days: 0; from 1 to 3650 days",
            ),
            (
                "gtin,name_zh,colour\n06901234567892,奶,red\n",
                "line 1: colour: not a column of this file",
            ),
            (
                "name_zh\n奶\n",
                "line 1: gtin: missing: this column is required",
            ),
            (
                "gtin,name_zh\n06901234567892,奶,extra\n",
                "line 2: row: 3 fields where the header has 2",
            ),
            ("gtin,name_zh\n", "rows: none"),
            (
                "gtin,name_zh,brand_page_url\n06901234567892,奶,http://dairy.cn\n",
                "line 2: qc_report_url or brand_page_url: not an https:// address",
            ),
            (
                "gtin,name_zh\n06901234567892,奶\n06901234567892,奶\n",
                "line 3: gtin: 06901234567892 is on line 2 already",
            ),
        ];
        for (file, expected) in cases {
            let error = products_from_csv(file.as_bytes()).unwrap_err().to_string();
            assert!(error.starts_with(expected), "{file:?}: {error}");
        }
    }

    #[test]
    fn places_read_with_roles_and_regions() {
        let file = "id,name_zh,name_en,city_zh,city_en,region,role\n\
            urn:epc:id:sgln:6901234.00001.0,乳品厂,Dairy plant,呼和浩特,Hohhot,150100,plant\n";
        let places = places_from_csv(file.as_bytes()).unwrap();
        assert_eq!(places[0].role, Some(PlaceRole::Plant));
        assert_eq!(places[0].city.as_ref().unwrap().text(true), "Hohhot");
        let bad = "id,name_zh,role\nurn:epc:id:sgln:6901234.00001.0,厂,castle\n";
        assert_eq!(
            places_from_csv(bad.as_bytes()).unwrap_err().to_string(),
            "line 2: role: \"castle\" is not farm, plant, warehouse, distributor or shop"
        );
        let bad = "id,name_zh,region\nurn:epc:id:sgln:6901234.00001.0,厂,999999\n";
        assert!(places_from_csv(bad.as_bytes())
            .unwrap_err()
            .to_string()
            .starts_with("line 2: region: "));
        let bad = "id,name_zh,name_en\nurn:epc:id:sgln:6901234.00001.0,厂,\"Plant\u{7}\"\n";
        assert_eq!(
            places_from_csv(bad.as_bytes()).unwrap_err().to_string(),
            "line 2: name_en: contains a control character"
        );
    }
}
