-- Master data (docs/API.md, "Master data"): what brands say about their products and places,
-- shown to shoppers instead of identifiers. Each row is the wire type as JSON (tracecode-wire,
-- master.rs), checked before it is stored.

-- Products by GTIN; the brand is the one whose GTIN prefix covers it.
CREATE TABLE products (
    gtin TEXT PRIMARY KEY,
    brand TEXT NOT NULL,
    document TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
);

-- A product's picture, as uploaded (PNG, JPEG or WebP, checked from the bytes).
CREATE TABLE product_images (
    gtin TEXT PRIMARY KEY,
    brand TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
);

-- Places by the identifier the brand's events use, per brand: a shop one brand names is not
-- described by another.
CREATE TABLE places (
    brand TEXT NOT NULL,
    id TEXT NOT NULL,
    document TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (brand, id)
);

-- A lot's dates from EPCIS ILMD (LotDates as JSON), by lot subject (01/{gtin}/10/{lot}).
CREATE TABLE lot_dates (
    lot TEXT PRIMARY KEY,
    brand TEXT NOT NULL,
    document TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
