//! Master data's SQL, for both backends (see `sql.rs`): products, their images, places and
//! lots' ILMD dates, each stored as its wire type in JSON, checked before it gets here.

use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;
use tracecode_core::Gtin;
use tracecode_wire::master::{LotDates, MasterDataImported, Place, Product};

use super::{millis, MasterData, ProductImage, StoreError, UnitMasterData};

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Stores products and places of `brand`, replacing what they replace; rows that change
/// nothing are counted as unchanged and keep their time.
pub(super) async fn put(
    conn: &mut AnyConnection,
    master: &MasterData,
    brand: &str,
    now: OffsetDateTime,
) -> Result<MasterDataImported, StoreError> {
    let mut outcome = MasterDataImported {
        stored: 0,
        unchanged: 0,
    };
    for product in &master.products {
        let changed = sqlx::query(
            "INSERT INTO products (gtin, brand, document, updated_at_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (gtin) DO UPDATE SET brand = excluded.brand, \
             document = excluded.document, updated_at_ms = excluded.updated_at_ms \
             WHERE products.document <> excluded.document OR products.brand <> excluded.brand",
        )
        .bind(product.gtin.as_str())
        .bind(brand)
        .bind(to_json(product)?)
        .bind(millis(now))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        count(&mut outcome, changed);
    }
    for place in &master.places {
        let changed = sqlx::query(
            "INSERT INTO places (brand, id, document, updated_at_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (brand, id) DO UPDATE SET document = excluded.document, \
             updated_at_ms = excluded.updated_at_ms WHERE places.document <> excluded.document",
        )
        .bind(brand)
        .bind(&place.id)
        .bind(to_json(place)?)
        .bind(millis(now))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        count(&mut outcome, changed);
    }
    Ok(outcome)
}

fn count(outcome: &mut MasterDataImported, changed: u64) {
    if changed == 0 {
        outcome.unchanged += 1;
    } else {
        outcome.stored += 1;
    }
}

/// Stores a lot's ILMD dates (the latest event's win).
pub(super) async fn put_lot_dates(
    conn: &mut AnyConnection,
    lot: &str,
    dates: &LotDates,
    brand: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO lot_dates (lot, brand, document, updated_at_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (lot) DO UPDATE SET brand = excluded.brand, document = excluded.document, \
         updated_at_ms = excluded.updated_at_ms",
    )
    .bind(lot)
    .bind(brand)
    .bind(to_json(dates)?)
    .bind(millis(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The image's address the page uses: versioned by its hash, so that it can be cached for good.
fn image_path(gtin: &str, sha256: &str) -> String {
    format!(
        "/v1/products/{gtin}/image?v={}",
        &sha256[..16.min(sha256.len())]
    )
}

/// A product, with its image's address if it has one.
pub(super) async fn product(
    conn: &mut AnyConnection,
    gtin: &Gtin,
) -> Result<Option<Product>, StoreError> {
    let row = sqlx::query(
        "SELECT p.document, i.sha256 FROM products p \
         LEFT JOIN product_images i ON i.gtin = p.gtin WHERE p.gtin = $1",
    )
    .bind(gtin.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut product: Product = from_json("product", &row.try_get::<String, _>("document")?)?;
    let sha256: Option<String> = row.try_get("sha256")?;
    product.image = sha256.map(|sha| image_path(gtin.as_str(), &sha));
    Ok(Some(product))
}

/// What a unit's timeline shows of master data: its product, the places its events name that
/// its brand described, its lot's dates.
pub(super) async fn for_unit(
    conn: &mut AnyConnection,
    gtin: &Gtin,
    brand: Option<&str>,
    place_ids: &[String],
    lot: Option<&str>,
) -> Result<UnitMasterData, StoreError> {
    let product = product(conn, gtin).await?;
    let mut places = Vec::new();
    if let Some(brand) = brand {
        for id in place_ids {
            let row = sqlx::query("SELECT document FROM places WHERE brand = $1 AND id = $2")
                .bind(brand)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            if let Some(row) = row {
                places.push(from_json::<Place>(
                    "place",
                    &row.try_get::<String, _>("document")?,
                )?);
            }
        }
    }
    let lot_dates = match lot {
        Some(lot) => sqlx::query("SELECT document FROM lot_dates WHERE lot = $1")
            .bind(lot)
            .fetch_optional(&mut *conn)
            .await?
            .map(|row| from_json::<LotDates>("lot dates", &row.try_get::<String, _>("document")?))
            .transpose()?,
        None => None,
    };
    Ok(UnitMasterData {
        product,
        places,
        lot_dates,
    })
}

/// Stores a product's image; false if the product is not described yet.
pub(super) async fn put_image(
    conn: &mut AnyConnection,
    image: &ProductImage,
    brand: &str,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let described = sqlx::query("SELECT 1 FROM products WHERE gtin = $1")
        .bind(image.gtin.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    if !described {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO product_images (gtin, brand, content_type, bytes, sha256, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (gtin) DO UPDATE SET brand = excluded.brand, \
         content_type = excluded.content_type, bytes = excluded.bytes, sha256 = excluded.sha256, \
         updated_at_ms = excluded.updated_at_ms",
    )
    .bind(image.gtin.as_str())
    .bind(brand)
    .bind(image.content_type)
    .bind(image.bytes.as_slice())
    .bind(&image.sha256)
    .bind(millis(now))
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// A product's image, as stored.
pub(super) async fn image(
    conn: &mut AnyConnection,
    gtin: &Gtin,
) -> Result<Option<ProductImage>, StoreError> {
    let row = sqlx::query("SELECT content_type, bytes, sha256 FROM product_images WHERE gtin = $1")
        .bind(gtin.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| {
        let content_type: String = row.try_get("content_type")?;
        Ok(ProductImage {
            gtin: *gtin,
            content_type: super::image_type(&content_type)
                .ok_or_else(|| StoreError::Corrupt(format!("image type {content_type:?}")))?,
            bytes: row.try_get("bytes")?,
            sha256: row.try_get("sha256")?,
        })
    })
    .transpose()
}
