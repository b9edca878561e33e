-- Brands. A token belongs to one brand (a `brand` of the trust list, whose keys' GTIN prefixes
-- are the brand's) and carries scopes; tokens made before this migration have no brand and are
-- refused until replaced.
ALTER TABLE tokens ADD COLUMN brand TEXT;
ALTER TABLE tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN expires_at_ms BIGINT;
ALTER TABLE tokens ADD COLUMN revoked_at_ms BIGINT;
ALTER TABLE tokens ADD COLUMN last_used_at_ms BIGINT;

-- Event ids are the sending brand's own: brand B cannot take brand A's next id. Events stored
-- before brands existed keep the brand ''.
ALTER TABLE events ADD COLUMN brand TEXT NOT NULL DEFAULT '';
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD PRIMARY KEY (brand, event_id);
ALTER TABLE event_subjects ADD COLUMN brand TEXT NOT NULL DEFAULT '';
ALTER TABLE event_subjects DROP CONSTRAINT event_subjects_pkey;
ALTER TABLE event_subjects ADD PRIMARY KEY (subject, brand, event_id, role);

-- Identifiers without a GS1 company prefix (private URNs of raw materials, say) belong to the
-- first brand that names them.
CREATE TABLE subject_owners (
    subject TEXT PRIMARY KEY,
    brand TEXT NOT NULL
);

-- The upstream closure of the transformation graph, kept at ingest: every lot and every lot
-- upstream of it with the shortest distance, so a scan finds the recalls covering its lot with
-- index look-ups instead of walking the graph.
CREATE TABLE lot_upstream (
    lot TEXT NOT NULL,
    ancestor TEXT NOT NULL,
    depth BIGINT NOT NULL,
    PRIMARY KEY (lot, ancestor)
);
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
ALTER TABLE recalls ADD COLUMN withdrawn_at_ms BIGINT;
ALTER TABLE recalls ADD COLUMN withdrawn_by TEXT;
ALTER TABLE recalls ADD COLUMN withdraw_reason TEXT;

-- Scan signals count networks, not claims: `client` is a keyed hash of the client's network
-- (its IPv4 address or IPv6 /64), never the address itself.
ALTER TABLE scans ADD COLUMN client TEXT;
CREATE INDEX scans_by_unit_client ON scans (gtin, serial, client, at_ms);
ALTER TABLE scan_totals ADD COLUMN distinct_networks BIGINT NOT NULL DEFAULT 0;
CREATE TABLE unit_networks (
    gtin TEXT NOT NULL,
    serial TEXT NOT NULL,
    client TEXT NOT NULL,
    PRIMARY KEY (gtin, serial, client)
);

-- Small facts about the registry itself: the secret network hashes are keyed with, the highest
-- trust-list version served (an older one is refused at start).
CREATE TABLE registry_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
