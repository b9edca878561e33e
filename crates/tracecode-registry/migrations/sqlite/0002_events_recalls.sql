-- Provenance: EPCIS events as received, keyed by their eventID so that ingestion is idempotent.
-- Identifiers ("subjects") are stored in one canonical form: `01/{gtin}/21/{serial}` for a unit,
-- `01/{gtin}/10/{lot}` for a lot, `00/{sscc}` for a logistic unit, any other URI as given.
CREATE TABLE events (
    event_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    action TEXT,
    event_time_ms INTEGER NOT NULL,
    biz_step TEXT,
    disposition TEXT,
    read_point TEXT,
    biz_location TEXT,
    document TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL
);

-- Which subjects each event names, and how: object, parent, child, input or output.
CREATE TABLE event_subjects (
    subject TEXT NOT NULL,
    event_id TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (subject, event_id, role)
) WITHOUT ROWID;

-- The transformation graph: an input (raw-material lot) went into an output (product lot).
CREATE TABLE lot_links (
    input TEXT NOT NULL,
    output TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (input, output, event_id)
) WITHOUT ROWID;
CREATE INDEX lot_links_by_output ON lot_links (output, input);

-- Aggregation: a child (unit or case) inside a parent (case or pallet) from `added_ms` until
-- `removed_ms` (NULL while still inside). `lot_subject` is a unit child's lot, for recall scopes.
CREATE TABLE containment (
    child TEXT NOT NULL,
    parent TEXT NOT NULL,
    lot_subject TEXT,
    added_ms INTEGER NOT NULL,
    removed_ms INTEGER,
    PRIMARY KEY (child, parent, added_ms)
) WITHOUT ROWID;
CREATE INDEX containment_by_parent ON containment (parent);
CREATE INDEX containment_by_lot ON containment (lot_subject, parent);

-- The newest located event of every subject. `lot_subject` is a unit's lot, so that a recall
-- scope counts units by place without reading every unit of the lot.
CREATE TABLE last_seen (
    subject TEXT PRIMARY KEY,
    lot_subject TEXT,
    location TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    biz_step TEXT
) WITHOUT ROWID;
CREATE INDEX last_seen_by_lot ON last_seen (lot_subject, location);

-- Issued units per lot, kept with every import so a recall scope never counts millions of rows.
CREATE TABLE lot_units (
    lot_subject TEXT PRIMARY KEY,
    units INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO lot_units (lot_subject, units)
    SELECT '01/' || gtin || '/10/' || lot, COUNT(*) FROM units WHERE lot IS NOT NULL GROUP BY gtin, lot;
CREATE INDEX units_by_lot ON units (gtin, lot);

-- Recalls of a lot or a raw-material lot; they cover everything downstream of it.
CREATE TABLE recalls (
    id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    reason TEXT NOT NULL,
    notice_url TEXT,
    recalled_at_ms INTEGER NOT NULL,
    recalled_by TEXT NOT NULL
);
CREATE INDEX recalls_by_subject ON recalls (subject);
