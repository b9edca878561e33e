-- Brands. A token belongs to one brand (a `brand` of the trust list, whose keys' GTIN prefixes
-- are the brand's) and carries scopes; tokens made before this migration have no brand and are
-- refused until replaced.
ALTER TABLE tokens ADD COLUMN brand TEXT;
ALTER TABLE tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN expires_at_ms INTEGER;
ALTER TABLE tokens ADD COLUMN revoked_at_ms INTEGER;
ALTER TABLE tokens ADD COLUMN last_used_at_ms INTEGER;

-- Event ids are the sending brand's own: brand B cannot take brand A's next id. Events stored
-- before brands existed keep the brand ''.
CREATE TABLE events_by_brand (
    brand TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    action TEXT,
    event_time_ms INTEGER NOT NULL,
    biz_step TEXT,
    disposition TEXT,
    read_point TEXT,
    biz_location TEXT,
    document TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL,
    PRIMARY KEY (brand, event_id)
);
INSERT INTO events_by_brand (brand, event_id, event_type, action, event_time_ms, biz_step,
        disposition, read_point, biz_location, document, received_at_ms)
    SELECT '', event_id, event_type, action, event_time_ms, biz_step, disposition, read_point,
        biz_location, document, received_at_ms FROM events;
DROP TABLE events;
ALTER TABLE events_by_brand RENAME TO events;

CREATE TABLE event_subjects_by_brand (
    subject TEXT NOT NULL,
    brand TEXT NOT NULL,
    event_id TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (subject, brand, event_id, role)
) WITHOUT ROWID;
INSERT INTO event_subjects_by_brand (subject, brand, event_id, role)
    SELECT subject, '', event_id, role FROM event_subjects;
DROP TABLE event_subjects;
ALTER TABLE event_subjects_by_brand RENAME TO event_subjects;

-- Identifiers without a GS1 company prefix (private URNs of raw materials, say) belong to the
-- first brand that names them.
CREATE TABLE subject_owners (
    subject TEXT PRIMARY KEY,
    brand TEXT NOT NULL
) WITHOUT ROWID;

-- The upstream closure of the transformation graph, kept at ingest: every lot and every lot
-- upstream of it with the shortest distance, so a scan finds the recalls covering its lot with
-- index look-ups instead of walking the graph.
CREATE TABLE lot_upstream (
    lot TEXT NOT NULL,
    ancestor TEXT NOT NULL,
    depth INTEGER NOT NULL,
    PRIMARY KEY (lot, ancestor)
) WITHOUT ROWID;
CREATE INDEX lot_upstream_by_ancestor ON lot_upstream (ancestor, lot);
INSERT INTO lot_upstream (lot, ancestor, depth)
    WITH RECURSIVE up(lot, ancestor, depth) AS (
        SELECT output, input, 1 FROM lot_links
        UNION
        SELECT u.lot, l.input, u.depth + 1 FROM up u JOIN lot_links l ON l.output = u.ancestor
        WHERE u.depth < 16)
    SELECT lot, ancestor, MIN(depth) FROM up WHERE lot <> ancestor GROUP BY lot, ancestor;

-- Recalls belong to a brand and can be withdrawn; withdrawn ones stay as history.
ALTER TABLE recalls ADD COLUMN brand TEXT;
ALTER TABLE recalls ADD COLUMN withdrawn_at_ms INTEGER;
ALTER TABLE recalls ADD COLUMN withdrawn_by TEXT;
ALTER TABLE recalls ADD COLUMN withdraw_reason TEXT;

-- Scan signals count networks, not claims: `client` is a keyed hash of the client's network
-- (its IPv4 address or IPv6 /64), never the address itself.
ALTER TABLE scans ADD COLUMN client TEXT;
CREATE INDEX scans_by_unit_client ON scans (gtin, serial, client, at_ms);
ALTER TABLE scan_totals ADD COLUMN distinct_networks INTEGER NOT NULL DEFAULT 0;
CREATE TABLE unit_networks (
    gtin TEXT NOT NULL,
    serial TEXT NOT NULL,
    client TEXT NOT NULL,
    PRIMARY KEY (gtin, serial, client)
) WITHOUT ROWID;

-- Small facts about the registry itself: the secret network hashes are keyed with, the highest
-- trust-list version served (an older one is refused at start).
CREATE TABLE registry_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
