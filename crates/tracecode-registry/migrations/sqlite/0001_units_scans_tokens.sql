-- Units the issuer CLI produced (its registry import file). Serials are decimal text: they
-- use all 64 bits, beyond SQLite's signed integers.
CREATE TABLE units (
    gtin TEXT NOT NULL,
    serial TEXT NOT NULL,
    lot TEXT,
    key_id INTEGER NOT NULL,
    region TEXT NOT NULL,
    production_day TEXT NOT NULL,
    imported_at_ms INTEGER NOT NULL,
    PRIMARY KEY (gtin, serial)
) WITHOUT ROWID;

-- One row per counted scan. `device` is a hash of the client's anonymous nonce and the unit,
-- so one device cannot be followed from unit to unit.
CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    gtin TEXT NOT NULL,
    serial TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    region TEXT,
    device TEXT
);
CREATE INDEX scans_by_unit_time ON scans (gtin, serial, at_ms);

-- Per unit: totals kept with each scan so a scan reads one row, not the unit's whole history.
CREATE TABLE scan_totals (
    gtin TEXT NOT NULL,
    serial TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_at_ms INTEGER NOT NULL,
    first_region TEXT,
    distinct_devices INTEGER NOT NULL,
    PRIMARY KEY (gtin, serial)
) WITHOUT ROWID;

CREATE TABLE unit_devices (
    gtin TEXT NOT NULL,
    serial TEXT NOT NULL,
    device TEXT NOT NULL,
    PRIMARY KEY (gtin, serial, device)
) WITHOUT ROWID;

-- API tokens for write endpoints: only a SHA-256 of each token is kept.
CREATE TABLE tokens (
    name TEXT PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    created_at_ms INTEGER NOT NULL
);
